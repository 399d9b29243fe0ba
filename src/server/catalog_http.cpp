// See catalog_http.hpp.

#include "server/catalog_http.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "geoplex/catalog/publishing.hpp"
#include "geoplex/core/error.hpp"

namespace geoplex::server {

using json = nlohmann::json;

Response json_no_store(const json& body, int status) {
    Response r = Response::json(body.dump(-1, ' ', false, json::error_handler_t::replace), status);
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
}

const std::string& route_capture(const Request& r, const char* name) {
    const std::string* v = r.path_param(name);
    if (v == nullptr) throw HttpError(500, fmt::format("route without {{{}}}", name));
    return *v;
}

std::optional<catalog::Principal> bearer_principal(catalog::Catalog& c, const Request& r) {
    const std::string* auth = r.header("authorization");
    if (auth == nullptr) return std::nullopt;
    std::string_view v(*auth);
    constexpr std::string_view scheme = "bearer ";
    const bool is_bearer = v.size() >= scheme.size() && std::equal(scheme.begin(), scheme.end(), v.begin(), [](char a, char b) {
                               return a == std::tolower(static_cast<unsigned char>(b));
                           });
    if (!is_bearer) throw HttpError(401, "authentication required: send Authorization: Bearer <token>", {}, "UNAUTHORIZED");
    v.remove_prefix(scheme.size());
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    auto p = c.authenticate_bearer(v);
    if (!p) throw HttpError(401, "invalid or expired bearer token", {}, "UNAUTHORIZED");
    return p;
}

catalog::Principal require_bearer(catalog::Catalog& c, const Request& r) {
    auto p = bearer_principal(c, r);
    if (!p) throw HttpError(401, "authentication required: send Authorization: Bearer <token>", {}, "UNAUTHORIZED");
    return std::move(*p);
}

void rethrow_as_http() {
    try {
        throw;
    } catch (const catalog::CatalogError& e) {
        throw HttpError(e.status(), e.what(), {}, std::string(status_code_name(e.status())));
    } catch (const catalog::Conflict& e) {
        throw HttpError(409, e.what(), {}, "CONFLICT");
    } catch (const catalog::NotFound& e) {
        throw HttpError(404, e.what(), {}, "NOT_FOUND");
    } catch (const json::exception& e) {
        throw HttpError(400, fmt::format("invalid JSON value: {}", e.what()), {}, "BAD_REQUEST");
    }
}

std::optional<std::vector<FormPart>> multipart_parts(const Request& r) {
    const std::string* ct = r.header("content-type");
    if (ct == nullptr) return std::nullopt;
    std::string type = ct->substr(0, ct->find(';'));
    for (auto& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (type != "multipart/form-data") return std::nullopt;
    const auto b = ct->find("boundary=");
    if (b == std::string::npos) throw HttpError(400, "multipart/form-data without a boundary", {}, "BAD_REQUEST");
    std::string boundary = ct->substr(b + 9);
    if (const auto semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
    if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"') boundary = boundary.substr(1, boundary.size() - 2);
    const std::string delim = "--" + boundary;
    const std::string next_delim = "\r\n" + delim;
    const std::string_view body(r.body);
    std::vector<FormPart> parts;
    for (std::size_t pos = body.find(delim); pos != std::string_view::npos;) {
        const std::size_t head_end = body.find("\r\n\r\n", pos);
        if (head_end == std::string_view::npos) break;  // the closing delimiter
        const std::string_view head = body.substr(pos, head_end - pos);
        const std::size_t data = head_end + 4;
        const std::size_t next = body.find(next_delim, data);
        if (next == std::string_view::npos) throw HttpError(400, "multipart/form-data: unterminated part", {}, "BAD_REQUEST");
        std::size_t n = head.find("name=\"");
        while (n != std::string_view::npos && n > 0 && head[n - 1] != ' ' && head[n - 1] != ';') n = head.find("name=\"", n + 1);  // not filename=
        if (n != std::string_view::npos)
            if (const auto e = head.find('"', n + 6); e != std::string_view::npos)
                parts.push_back({head.substr(n + 6, e - n - 6), body.substr(data, next - data)});
        pos = next + 2;
    }
    return parts;
}

PageWindow page_window(const Request& r, std::size_t total) {
    const auto number = [&r](const char* name, std::size_t fallback, std::size_t max) {
        const std::string* v = r.param(name);
        if (v == nullptr) return fallback;
        std::size_t n = 0;
        const char* end = v->data() + v->size();
        const auto res = std::from_chars(v->data(), end, n);
        if (res.ec != std::errc() || res.ptr != end || n < 1 || n > max)
            throw InvalidArgument(fmt::format("{}: expected an integer from 1 to {}", name, max));
        return n;
    };
    const std::size_t limit = number("limit", 10, 1000), page = number("page", 1, 1'000'000);
    const std::size_t first = std::min(total, (page - 1) * limit);
    return {first, std::min(total, first + limit)};
}

Response paged_reply(const PageWindow& w, std::size_t total, json page) {
    Response res = json_no_store(page);
    res.headers.emplace_back("Content-Range", fmt::format("items {}-{}/{}", w.first, w.last == 0 ? 0 : w.last - 1, total));
    return res;
}

}  // namespace geoplex::server
