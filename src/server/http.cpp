// Request accessors and the strict request-target parser. Everything a client controls goes
// through here; malformed input becomes HttpError(400), never undefined behaviour.

#include "geoplex/server/http.hpp"

#include <fmt/format.h>

namespace geoplex::server {

namespace {

const std::string* first_value(const Fields& fields, std::string_view name) {
    for (const auto& [k, v] : fields) {
        if (k == name) return &v;
    }
    return nullptr;
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

const std::string* Request::param(std::string_view name) const { return first_value(query, name); }

std::vector<std::string_view> Request::params(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const auto& [k, v] : query) {
        if (k == name) out.emplace_back(v);
    }
    return out;
}

const std::string* Request::header(std::string_view lower_name) const { return first_value(headers, lower_name); }

const std::string* Request::path_param(std::string_view name) const { return first_value(path_params, name); }

std::string collect_body(Response& response) {
    if (!response.stream) return response.body;
    std::string out;
    while (response.stream(out)) {
    }
    response.stream = nullptr;
    return out;
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '%') {
            const int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
            const int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                throw HttpError(400, "Malformed percent-encoding in the request URL",
                                {fmt::format("invalid escape at offset {}", i)});
            }
            const int byte = hi * 16 + lo;
            if (byte == 0) throw HttpError(400, "Encoded NUL byte in the request URL");
            out.push_back(static_cast<char>(static_cast<unsigned char>(byte)));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else if (c == '\0') {
            throw HttpError(400, "NUL byte in the request URL");
        } else {
            out.push_back(c);
        }
    }
    return out;
}

Fields parse_query(std::string_view query) {
    Fields out;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view piece = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (piece.empty()) continue;
        const auto eq = piece.find('=');
        if (eq == std::string_view::npos) {
            out.emplace_back(percent_decode(piece, true), std::string{});
        } else {
            out.emplace_back(percent_decode(piece.substr(0, eq), true), percent_decode(piece.substr(eq + 1), true));
        }
    }
    return out;
}

RequestTarget parse_target(std::string_view target) {
    if (target.empty()) throw HttpError(400, "Empty request target");
    if (target == "*") return RequestTarget{"*", {}};
    for (const char c : target) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) throw HttpError(400, "Invalid character in the request target");
    }
    if (const auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
    if (target.empty()) throw HttpError(400, "Malformed request target");
    if (target.front() != '/') {
        // absolute-form: scheme "://" authority path-abempty
        const auto scheme_end = target.find("://");
        if (scheme_end == std::string_view::npos || scheme_end == 0) {
            throw HttpError(400, "Malformed request target");
        }
        for (std::size_t i = 0; i < scheme_end; ++i) {
            const char c = target[i];
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
            if (!ok) throw HttpError(400, "Malformed request target");
        }
        target = target.substr(scheme_end + 3);
        const auto path_start = target.find_first_of("/?");
        if (path_start == std::string_view::npos) {
            return RequestTarget{"/", {}};
        }
        target = target.substr(path_start);
        if (target.front() == '?') {
            return RequestTarget{"/", parse_query(target.substr(1))};
        }
    }
    RequestTarget out;
    const auto q = target.find('?');
    out.path = percent_decode(target.substr(0, q), false);
    if (q != std::string_view::npos) out.query = parse_query(target.substr(q + 1));
    return out;
}

}  // namespace geoplex::server
