// Percent-decoding, query parsing, request-target parsing and the Request accessors.

#include <catch2/catch.hpp>

#include <random>

#include "geoplex/server/http.hpp"

using namespace geoplex::server;

namespace {

int status_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const HttpError& e) {
        return e.status();
    }
    return 0;
}

}  // namespace

TEST_CASE("percent_decode decodes escapes strictly", "[server][http]") {
    CHECK(percent_decode("a%20b") == "a b");
    CHECK(percent_decode("%C3%A9t%c3%a9") == "\xC3\xA9t\xC3\xA9");
    CHECK(percent_decode("a+b") == "a+b");
    CHECK(percent_decode("a+b", true) == "a b");
    CHECK(percent_decode("%2B", true) == "+");  // an encoded '+' stays a plus
    CHECK(percent_decode("") == "");
    CHECK(percent_decode("100%25") == "100%");

    SECTION("malformed escapes are a 400, not a crash") {
        for (const char* bad : {"%", "%2", "a%2", "%zz", "%2g", "%%", "abc%", "%-1"}) {
            INFO(bad);
            CHECK(status_of([&] { (void)percent_decode(bad); }) == 400);
        }
    }
    SECTION("an encoded NUL is refused") {
        CHECK(status_of([] { (void)percent_decode("a%00b"); }) == 400);
    }
}

TEST_CASE("parse_query keeps order and repeats", "[server][http]") {
    const auto q = parse_query("lon=1.48|1.49&lat=43.54&lon=2&flag&empty=&&x=a+b%2Bc");
    REQUIRE(q.size() == 6);
    CHECK(q[0] == std::pair<std::string, std::string>{"lon", "1.48|1.49"});
    CHECK(q[1] == std::pair<std::string, std::string>{"lat", "43.54"});
    CHECK(q[2] == std::pair<std::string, std::string>{"lon", "2"});
    CHECK(q[3] == std::pair<std::string, std::string>{"flag", ""});
    CHECK(q[4] == std::pair<std::string, std::string>{"empty", ""});
    CHECK(q[5] == std::pair<std::string, std::string>{"x", "a b+c"});

    CHECK(parse_query("").empty());
    CHECK(parse_query("&&&").empty());
    const auto eq = parse_query("a==b&=v");
    REQUIRE(eq.size() == 2);
    CHECK(eq[0].second == "=b");
    CHECK(eq[1].first.empty());
    CHECK(eq[1].second == "v");
    // Road2 constraints: URL-encoded JSON joined with '|'
    const auto c = parse_query("constraints=%7B%22constraintType%22%3A%22banned%22%7D");
    CHECK(c.at(0).second == R"({"constraintType":"banned"})");

    CHECK(status_of([] { (void)parse_query("a=%ZZ"); }) == 400);
    CHECK(status_of([] { (void)parse_query("%4=1"); }) == 400);
}

TEST_CASE("parse_target splits and decodes", "[server][http]") {
    auto t = parse_target("/altimetrie/1.0/calcul/alti/rest/elevation.json?lon=1&lat=2");
    CHECK(t.path == "/altimetrie/1.0/calcul/alti/rest/elevation.json");
    REQUIRE(t.query.size() == 2);

    t = parse_target("/tms/1.0.0/PLAN%20IGN/1/2/3.pbf");
    CHECK(t.path == "/tms/1.0.0/PLAN IGN/1/2/3.pbf");
    CHECK(t.query.empty());

    t = parse_target("/a+b?x=a+b");  // '+' is literal in a path, a space in a query
    CHECK(t.path == "/a+b");
    CHECK(t.query.at(0).second == "a b");

    t = parse_target("/health?");
    CHECK(t.path == "/health");
    CHECK(t.query.empty());

    t = parse_target("/p?q=1#frag");
    CHECK(t.path == "/p");
    CHECK(t.query.at(0).second == "1");

    t = parse_target("http://example.org:8080/health?a=1");
    CHECK(t.path == "/health");
    CHECK(t.query.at(0).first == "a");
    CHECK(parse_target("http://example.org").path == "/");
    CHECK(parse_target("*").path == "*");

    for (const char* bad : {"", "health", "://x/y", "1http://x/", "/a b", "/a%zz", "/x?y=%"}) {
        INFO(bad);
        CHECK(status_of([&] { (void)parse_target(bad); }) == 400);
    }
}

TEST_CASE("parse_target never throws anything but HttpError on random input", "[server][http]") {
    std::mt19937 rng(42);
    const std::string alphabet = "/?&=%+#abcAZ09 \x01\x7f\xff.-_:*{}";
    for (int i = 0; i < 20000; ++i) {
        std::string s(rng() % 24, ' ');
        for (auto& c : s) c = alphabet[rng() % alphabet.size()];
        try {
            const auto t = parse_target(s);
            CHECK((t.path == "*" || (!t.path.empty() && t.path.front() == '/')));
        } catch (const HttpError& e) {
            CHECK(e.status() == 400);
        }
    }
}

TEST_CASE("Request accessors", "[server][http]") {
    Request r;
    r.query = {{"lon", "1"}, {"lat", "2"}, {"lon", "3"}};
    r.headers = {{"content-type", "application/json"}};
    r.path_params = {{"id", "ign_rge_alti_wld"}};
    REQUIRE(r.param("lon") != nullptr);
    CHECK(*r.param("lon") == "1");
    CHECK(r.param("LON") == nullptr);  // parameter names are case-sensitive
    CHECK(r.param("zonly") == nullptr);
    CHECK(r.params("lon") == std::vector<std::string_view>{"1", "3"});
    CHECK(r.params("none").empty());
    REQUIRE(r.header("content-type") != nullptr);
    CHECK(*r.header("content-type") == "application/json");
    CHECK(r.header("accept") == nullptr);
    REQUIRE(r.path_param("id") != nullptr);
    CHECK(*r.path_param("id") == "ign_rge_alti_wld");
    CHECK(r.path_param("x") == nullptr);
}
