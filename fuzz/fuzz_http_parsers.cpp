// libFuzzer target for the request parsers of the server: the request target (path, query
// string, percent-escapes), routing of the decoded path over route patterns, the error
// translation, GeoJSON geometry bodies, encoded polylines, and the rate limiter's keys.
//
// The first byte selects the parser; the rest is the input. Expected failures are the
// documented exceptions (HttpError, geoplex::Error); anything else, a crash or a sanitizer
// report is a bug. Build: cmake -B build/fuzz -DGEOPLEX_BUILD_FUZZERS=ON -DCMAKE_CXX_COMPILER=clang++
// (see docs/server.md, "Fuzzing").

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "geoplex/core/error.hpp"
#include "geoplex/core/geojson.hpp"
#include "geoplex/server/http.hpp"
#include "geoplex/server/rate_limit.hpp"
#include "geoplex/server/router.hpp"

using namespace geoplex;
using namespace geoplex::server;

namespace {

/// Route patterns shaped like the real ones (captures, literals, case-insensitive matching).
const Router& router() {
    static const Router r = [] {
        Router out;
        const Handler echo = [](const Request& q, const bundle::Engine&) {
            std::string body;
            for (const auto& [k, v] : q.query) body += k + "=" + v + ";";
            for (const auto& [k, v] : q.path_params) body += k + ":" + v + ";";
            if (const auto* p = q.param("throw")) {
                if (*p == "http") throw HttpError(400, "bad", {"a", "b"});
                if (*p == "invalid") throw InvalidArgument(std::vector<std::string>{"x", "y"});
                if (*p == "internal") throw Error(errc::internal, "boom");
                throw std::runtime_error("runtime");
            }
            return Response::json(body);
        };
        out.add({{"GET", "POST"}, "/altimetrie/1.0/calcul/alti/rest/{file}", echo, ErrorStyle::altimetry, {}});
        out.add({{"GET", "POST"}, "/navigation/itineraire", echo, ErrorStyle::road2, {}});
        out.add({{"GET"}, "/geocodage/completion", echo, ErrorStyle::completion, {}});
        out.add({{"GET"}, "/geocodage/search", echo, ErrorStyle::geocoder, {}});
        out.add({{"GET"}, "/tms/1.0.0/{layer}/{z}/{x}/{file}", echo, ErrorStyle::plain, {}});
        out.add({{"GET"}, "/tms/1.0.0/{layer}/metadata.json", echo, ErrorStyle::plain, {}});
        out.add({{"GET"}, "/wmts", echo, ErrorStyle::plain, {}});
        return out;
    }();
    return r;
}

// The handlers never touch the engine: a reference to nothing is never read.
const bundle::Engine& no_engine() { return *reinterpret_cast<const bundle::Engine*>(&router()); }

void fuzz_target(std::string_view input) {
    RequestTarget t;
    try {
        t = parse_target(input);
    } catch (const HttpError& e) {
        if (e.status() != 400) __builtin_trap();
        return;
    }
    if (t.path.empty() || (t.path.front() != '/' && t.path != "*")) __builtin_trap();
    Request request;
    request.method = input.size() % 3 == 0 ? "POST" : input.size() % 3 == 1 ? "GET" : "HEAD";
    request.path = t.path;
    request.query = std::move(t.query);
    const Response r = router().handle(request, no_engine());
    if (r.status < 200 || r.status > 599) __builtin_trap();
    (void)router().style_for_path(request.path);
    (void)service_family_of(request.path);
}

void fuzz_query(std::string_view input) {
    try {
        const Fields f = parse_query(input);
        for (const auto& [k, v] : f) {
            if (k.find('\0') != std::string::npos || v.find('\0') != std::string::npos) __builtin_trap();
        }
    } catch (const HttpError&) {
    }
    try {
        (void)percent_decode(input, false);
    } catch (const HttpError&) {
    }
}

void fuzz_geojson(std::string_view input) {
    try {
        const auto g = core::parse_geojson_geometry(input);
        (void)core::to_geojson(g);
        (void)core::to_wkt(g);
    } catch (const Error&) {
    }
}

void fuzz_polyline(std::string_view input) {
    for (const int precision : {5, 6}) {
        try {
            const auto line = core::decode_polyline(input, precision);
            (void)core::encode_polyline(line, precision);
        } catch (const Error&) {
        }
    }
}

void fuzz_errors(std::string_view input) {
    for (const auto style : {ErrorStyle::plain, ErrorStyle::road2, ErrorStyle::geocoder, ErrorStyle::completion,
                             ErrorStyle::altimetry}) {
        const int status = 400 + static_cast<int>(input.size() % 200);
        const Response r = format_error(ErrorInfo{status, std::string(input.substr(0, 8)), {}, std::string(input),
                                                  {std::string(input), "x"}},
                                        style);
        if (r.body.empty()) __builtin_trap();
    }
}

void fuzz_rate_limiter(std::string_view input) {
    static RateLimiter limiter([] {
        RateLimitConfig c;
        c.enabled = true;
        c.max_clients = 64;
        c[ServiceFamily::other] = RateLimit{1, 2};
        return c;
    }());
    static auto now = RateLimiter::Clock::time_point{};
    now += std::chrono::milliseconds(input.empty() ? 1 : static_cast<unsigned char>(input.front()));
    for (std::size_t i = 0; i < service_family_count; ++i) {
        (void)limiter.check(static_cast<ServiceFamily>(i), input, now);
    }
    if (limiter.tracked_clients() > 64) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 6) {
        case 0: fuzz_target(input); break;
        case 1: fuzz_query(input); break;
        case 2: fuzz_geojson(input); break;
        case 3: fuzz_polyline(input); break;
        case 4: fuzz_errors(input); break;
        default: fuzz_rate_limiter(input); break;
    }
    return 0;
}
