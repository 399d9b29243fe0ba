// error_response: every exception kind in every style; exact field names and statuses.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "geoplex/server/http.hpp"

using namespace geoplex;
using namespace geoplex::server;
using nlohmann::json;

namespace {

template <class E>
std::exception_ptr ptr(E e) {
    return std::make_exception_ptr(std::move(e));
}

json body(const Response& r) {
    CHECK(r.content_type == "application/json");
    return json::parse(r.body);
}

/// The keys of a JSON object, sorted.
std::vector<std::string> keys(const json& j) {
    std::vector<std::string> out;
    for (auto it = j.begin(); it != j.end(); ++it) out.push_back(it.key());
    std::sort(out.begin(), out.end());
    return out;
}

using Keys = std::vector<std::string>;

}  // namespace

TEST_CASE("plain style", "[server][errors]") {
    SECTION("HttpError keeps status, code defaults to the status name") {
        const auto r = error_response(ptr(HttpError(404, "No such layer")), ErrorStyle::plain);
        CHECK(r.status == 404);
        const auto j = body(r);
        CHECK(keys(j) == Keys{"error"});
        CHECK(keys(j["error"]) == Keys{"code", "message"});
        CHECK(j["error"]["code"] == "not_found");
        CHECK(j["error"]["message"] == "No such layer");
    }
    SECTION("HttpError with code and details") {
        const auto r = error_response(ptr(HttpError(400, "Bad request", {"a", "b"}, "BAD_PARAMETER")), ErrorStyle::plain);
        CHECK(r.status == 400);
        const auto j = body(r);
        CHECK(j["error"]["code"] == "BAD_PARAMETER");
        CHECK(j["error"]["details"] == json::array({"a", "b"}));
    }
    SECTION("InvalidArgument lists every problem") {
        const auto r = error_response(ptr(InvalidArgument(std::vector<std::string>{"lon is missing", "lat is missing"})),
                                      ErrorStyle::plain);
        CHECK(r.status == 400);
        const auto j = body(r);
        CHECK(j["error"]["code"] == "invalid_argument");
        CHECK(j["error"]["details"] == json::array({"lon is missing", "lat is missing"}));
    }
    SECTION("single-problem InvalidArgument has no redundant details") {
        const auto j = body(error_response(ptr(InvalidArgument("lon is missing")), ErrorStyle::plain));
        CHECK(j["error"]["message"] == "lon is missing");
        CHECK_FALSE(j["error"].contains("details"));
    }
    SECTION("errc mapping") {
        CHECK(error_response(ptr(Error(errc::not_found, "no resource x")), ErrorStyle::plain).status == 404);
        CHECK(body(error_response(ptr(Error(errc::not_found, "no resource x")), ErrorStyle::plain))["error"]["code"] ==
              "not_found");
        CHECK(error_response(ptr(Error(errc::limit_exceeded, "too many points")), ErrorStyle::plain).status == 400);
        CHECK(error_response(ptr(InvalidArgument("too many", errc::limit_exceeded)), ErrorStyle::plain).status == 400);
        CHECK(body(error_response(ptr(Error(errc::limit_exceeded, "x")), ErrorStyle::plain))["error"]["code"] ==
              "limit_exceeded");
        CHECK(error_response(ptr(Error(errc::unsupported, "x")), ErrorStyle::plain).status == 400);
        CHECK(error_response(ptr(Error(errc::cancelled, "x")), ErrorStyle::plain).status == 503);
    }
    SECTION("HttpError 413 for bodies") {
        CHECK(error_response(ptr(HttpError(413, "Body too large")), ErrorStyle::plain).status == 413);
    }
}

TEST_CASE("server errors never leak their message", "[server][errors]") {
    const std::vector<std::exception_ptr> internal{
        ptr(IoError("/secret/path/altitude.idx: permission denied")),
        ptr(FormatError("/secret/path: bad magic")),
        ptr(DependencyError("GDAL said /secret/path")),
        ptr(Error(errc::internal, "/secret/path invariant")),
        ptr(std::runtime_error("/secret/path runtime")),
        ptr(std::bad_alloc()),
        ptr(42),
        ptr(HttpError(500, "/secret/path handler")),
        std::exception_ptr{},
    };
    for (const auto style : {ErrorStyle::plain, ErrorStyle::road2, ErrorStyle::geocoder, ErrorStyle::completion,
                             ErrorStyle::altimetry}) {
        for (const auto& e : internal) {
            std::string logged;
            const auto r = error_response(e, style, [&](std::string_view m) { logged = m; });
            CHECK(r.body.find("secret") == std::string::npos);
            CHECK_FALSE(logged.empty());
            CHECK(r.status == (style == ErrorStyle::completion ? 200 : 500));
            CHECK_NOTHROW(json::parse(r.body));
        }
    }
    // the two-argument form works without a log
    CHECK(error_response(ptr(IoError("x")), ErrorStyle::plain).status == 500);
    const auto j = body(error_response(ptr(IoError("x")), ErrorStyle::plain));
    CHECK(j["error"]["code"] == "internal");
    CHECK(j["error"]["message"] == "Internal Server Error");
}

TEST_CASE("client errors are not logged", "[server][errors]") {
    bool logged = false;
    (void)error_response(ptr(InvalidArgument("x")), ErrorStyle::plain, [&](std::string_view) { logged = true; });
    (void)error_response(ptr(HttpError(404, "x")), ErrorStyle::plain, [&](std::string_view) { logged = true; });
    CHECK_FALSE(logged);
}

TEST_CASE("road2 style", "[server][errors]") {
    SECTION("400 message gets Road2's surrounding spaces, errorType absent by default") {
        const auto r = error_response(ptr(HttpError(400, "Parameter 'start' not found")), ErrorStyle::road2);
        CHECK(r.status == 400);
        const auto j = body(r);
        CHECK(keys(j) == Keys{"error"});
        CHECK(keys(j["error"]) == Keys{"message"});
        CHECK(j["error"]["message"] == " Parameter 'start' not found ");
    }
    SECTION("an already padded message is kept as is") {
        const auto j = body(error_response(ptr(HttpError(400, " Parameter 'end' not found ")), ErrorStyle::road2));
        CHECK(j["error"]["message"] == " Parameter 'end' not found ");
    }
    SECTION("a code becomes errorType") {
        const auto j = body(error_response(ptr(HttpError(403, "Forbidden", {}, "forbidden")), ErrorStyle::road2));
        CHECK(j["error"]["errorType"] == "forbidden");
    }
    SECTION("InvalidArgument reports the first problem, as Road2 stops at the first") {
        const auto j = body(error_response(
            ptr(InvalidArgument(std::vector<std::string>{"Parameter 'start' not found", "Parameter 'end' not found"})),
            ErrorStyle::road2));
        CHECK(j["error"]["message"] == " Parameter 'start' not found ");
    }
    SECTION("500 is Road2's fixed body") {
        const auto r = error_response(ptr(std::runtime_error("boom")), ErrorStyle::road2);
        CHECK(r.status == 500);
        CHECK(body(r) == json::parse(R"({"error":{"errorType":"internal","message":"Internal Server Error"}})"));
    }
}

TEST_CASE("geocoder style", "[server][errors]") {
    SECTION("400 with detail") {
        const auto r = error_response(ptr(HttpError(400, "Failed parsing query", {"q: must contain between 3 and 200 chars"})),
                                      ErrorStyle::geocoder);
        CHECK(r.status == 400);
        const auto j = body(r);
        CHECK(keys(j) == Keys{"code", "detail", "message"});
        CHECK(j["code"] == 400);
        CHECK(j["message"] == "Failed parsing query");
        CHECK(j["detail"] == json::array({"q: must contain between 3 and 200 chars"}));
    }
    SECTION("InvalidArgument: every problem in detail") {
        const auto j = body(error_response(ptr(InvalidArgument(std::vector<std::string>{"a", "b"})), ErrorStyle::geocoder));
        CHECK(j["code"] == 400);
        CHECK(j["detail"] == json::array({"a", "b"}));
    }
    SECTION("500 hides everything") {
        const auto r = error_response(ptr(IoError("x")), ErrorStyle::geocoder);
        CHECK(r.status == 500);
        const auto j = body(r);
        CHECK(keys(j) == Keys{"code", "message"});
        CHECK(j["code"] == 500);
        CHECK(j["message"] == "An unexpected error has occurred");
    }
}

TEST_CASE("completion style answers 200", "[server][errors]") {
    const auto r = error_response(ptr(HttpError(400, "text: required")), ErrorStyle::completion);
    CHECK(r.status == 200);
    const auto j = body(r);
    CHECK(keys(j) == Keys{"error", "status"});
    CHECK(j["status"] == "Error");
    CHECK(j["error"] == "text: required");
    const auto inv = body(error_response(ptr(InvalidArgument(std::vector<std::string>{"first", "second"})),
                                         ErrorStyle::completion));
    CHECK(inv["error"] == "first");
    const auto internal = error_response(ptr(IoError("secret")), ErrorStyle::completion);
    CHECK(internal.status == 200);
    CHECK(body(internal)["error"] == "An unexpected error has occurred");
}

TEST_CASE("altimetry style", "[server][errors]") {
    SECTION("default code BAD_PARAMETER") {
        const auto r = error_response(ptr(HttpError(400, "lon and lat must have the same length")), ErrorStyle::altimetry);
        CHECK(r.status == 400);
        const auto j = body(r);
        CHECK(keys(j) == Keys{"error"});
        CHECK(keys(j["error"]) == Keys{"code", "description"});
        CHECK(j["error"]["code"] == "BAD_PARAMETER");
        CHECK(j["error"]["description"] == "lon and lat must have the same length");
    }
    SECTION("explicit code kept") {
        const auto j = body(error_response(ptr(HttpError(400, "x", {}, "TOO_MANY_POINTS")), ErrorStyle::altimetry));
        CHECK(j["error"]["code"] == "TOO_MANY_POINTS");
    }
    SECTION("every problem in the description") {
        const auto j = body(error_response(ptr(InvalidArgument(std::vector<std::string>{"a", "b"})), ErrorStyle::altimetry));
        CHECK(j["error"]["code"] == "BAD_PARAMETER");
        const std::string d = j["error"]["description"];
        CHECK(d.find('a') != std::string::npos);
        CHECK(d.find('b') != std::string::npos);
    }
    SECTION("404 and 500") {
        const auto nf = error_response(ptr(HttpError(404, "Unknown resource")), ErrorStyle::altimetry);
        CHECK(nf.status == 404);
        CHECK(body(nf)["error"]["code"] == "NOT_FOUND");
        const auto ie = error_response(ptr(DependencyError("gdal")), ErrorStyle::altimetry);
        CHECK(ie.status == 500);
        CHECK(body(ie)["error"]["code"] == "INTERNAL_ERROR");
    }
}

TEST_CASE("invalid UTF-8 in a message still gives valid JSON", "[server][errors]") {
    for (const auto style : {ErrorStyle::plain, ErrorStyle::road2, ErrorStyle::geocoder, ErrorStyle::completion,
                             ErrorStyle::altimetry}) {
        const auto r = error_response(ptr(HttpError(400, "bad value '\xff\xfe'", {"\xc3"})), style);
        CHECK_NOTHROW(json::parse(r.body));
    }
}

TEST_CASE("HttpError with a non-error status becomes a 500", "[server][errors]") {
    CHECK(error_response(ptr(HttpError(200, "ok?")), ErrorStyle::plain).status == 500);
}
