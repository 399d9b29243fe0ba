// Operating the server: configuration file, rate limits (429 + Retry-After), /metrics, bundle
// reload (POST /admin/reload, SIGHUP), a throwing handler, SIGTERM draining, many idle
// connections. No timing assertions: clocks are passed explicitly or rates are so low that no
// token comes back during the test; waits are bounded polls for a state change.

#include <catch2/catch.hpp>

#include <csignal>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "geoplex/server/config.hpp"
#include "geoplex/server/server.hpp"
#include "server_test_support.hpp"

using namespace geoplex;
using namespace geoplex::server;
using namespace std::chrono_literals;
using nlohmann::json;
using test::Client;
using test::get;

namespace {

ServerConfig ops_config() {
    ServerConfig c;
    c.address = "127.0.0.1";
    c.port = 0;
    c.threads = 2;
    c.read_timeout = 5s;
    c.idle_timeout = 30s;
    c.shutdown_grace = 30s;
    return c;
}

void write_manifest(const test::TempDir& dir, std::string_view name) {
    std::ofstream(dir / "manifest.toml", std::ios::trunc)
        << "name = \"" << name << "\"\nformat_version = 1\ncomponents = []\n";
}

std::string health_bundle(std::uint16_t port) {
    Client c(port);
    const auto r = c.request(get("/health"));
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json::parse(r->body)["bundle"].get<std::string>();
}

std::string post(const std::string& target, const std::string& extra_headers = {}) {
    return "POST " + target + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n" + extra_headers + "\r\n";
}

/// Prometheus text → {"name{labels}": value}; checks every sample line has the expected shape.
std::map<std::string, double> parse_prometheus(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line.front() == '#') {
            if (!line.empty()) CHECK((line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0));
            continue;
        }
        const auto space = line.rfind(' ');
        REQUIRE(space != std::string::npos);
        const std::string key = line.substr(0, space);
        if (const auto brace = key.find('{'); brace != std::string::npos) REQUIRE(key.back() == '}');
        out[key] = std::stod(line.substr(space + 1));
    }
    return out;
}

/// Scrapes on `c`: over the connection that made the earlier requests, the server has counted
/// them (a response is counted before the next request on its connection is read).
std::map<std::string, double> scrape(Client& c) {
    const auto r = c.request(get("/metrics"));
    REQUIRE(r);
    REQUIRE(r->status == 200);
    CHECK(r->header("content-type").rfind("text/plain; version=0.0.4", 0) == 0);
    return parse_prometheus(r->body);
}

std::map<std::string, double> scrape(std::uint16_t port) {
    Client c(port);
    return scrape(c);
}

/// Polls `done` (bounded) — a wait for a state change, not a timing assertion.
template <class F>
bool eventually(F done) {
    for (int i = 0; i < 1000; ++i) {
        if (done()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return done();
}

}  // namespace

// ---- rate limiter (explicit clock) -----------------------------------------------------------

TEST_CASE("token bucket: N requests pass, the N+1th is refused with the block as Retry-After", "[server][rate]") {
    RateLimitConfig c;
    c.enabled = true;
    c[ServiceFamily::navigation] = RateLimit{1, 3};  // 1/s, bucket of 3
    c.block = 5s;
    RateLimiter limiter(c);
    const auto t0 = RateLimiter::Clock::time_point{} + 1000s;
    for (int i = 0; i < 3; ++i) CHECK(limiter.check(ServiceFamily::navigation, "10.0.0.1", t0).allowed);
    auto d = limiter.check(ServiceFamily::navigation, "10.0.0.1", t0);
    CHECK_FALSE(d.allowed);
    CHECK(d.retry_after == 5s);
    // Other clients and other families are not affected.
    CHECK(limiter.check(ServiceFamily::navigation, "10.0.0.2", t0).allowed);
    CHECK(limiter.check(ServiceFamily::altimetrie, "10.0.0.1", t0).allowed);
    CHECK(limiter.check(ServiceFamily::tiles, "10.0.0.1", t0).allowed);  // unlimited by default
    // 3 s later the block still runs; the refused request re-arms it (Géoplateforme behaviour).
    d = limiter.check(ServiceFamily::navigation, "10.0.0.1", t0 + 3s);
    CHECK_FALSE(d.allowed);
    CHECK(d.retry_after == 5s);
    // 4.5 s after that, Retry-After counts down: 1 s left.
    d = limiter.check(ServiceFamily::navigation, "10.0.0.1", t0 + 3s + 3500ms);
    CHECK_FALSE(d.allowed);
    CHECK(d.retry_after == 5s);  // that request re-armed it again
    d = limiter.check(ServiceFamily::navigation, "10.0.0.1", t0 + 3s + 3500ms + 5001ms);
    CHECK(d.allowed);  // the block is over and the bucket refilled (capped at 3)
    CHECK(limiter.check(ServiceFamily::navigation, "10.0.0.1", t0 + 3s + 3500ms + 5001ms).allowed);
    CHECK(limiter.check(ServiceFamily::navigation, "10.0.0.1", t0 + 3s + 3500ms + 5001ms).allowed);
    CHECK_FALSE(limiter.check(ServiceFamily::navigation, "10.0.0.1", t0 + 3s + 3500ms + 5001ms).allowed);
}

TEST_CASE("token bucket without a block: Retry-After is the time to the next token", "[server][rate]") {
    RateLimitConfig c;
    c.enabled = true;
    c.block = 0ms;
    c[ServiceFamily::altimetrie] = RateLimit{0.25, 1};  // one token every 4 s
    RateLimiter limiter(c);
    const auto t0 = RateLimiter::Clock::time_point{} + 50s;
    CHECK(limiter.check(ServiceFamily::altimetrie, "::1", t0).allowed);
    auto d = limiter.check(ServiceFamily::altimetrie, "::1", t0 + 1s);
    CHECK_FALSE(d.allowed);
    CHECK(d.retry_after == 3s);
    CHECK_FALSE(limiter.check(ServiceFamily::altimetrie, "::1", t0 + 3900ms).allowed);
    CHECK(limiter.check(ServiceFamily::altimetrie, "::1", t0 + 4100ms).allowed);
}

TEST_CASE("rate limiter: disabled passes everything; memory stays bounded", "[server][rate]") {
    RateLimitConfig off;
    off[ServiceFamily::other] = RateLimit{1, 1};
    RateLimiter none(off);
    const auto t0 = RateLimiter::Clock::time_point{} + 10s;
    for (int i = 0; i < 10; ++i) CHECK(none.check(ServiceFamily::other, "a", t0).allowed);
    CHECK(none.tracked_clients() == 0);

    RateLimitConfig c;
    c.enabled = true;
    c.max_clients = 128;
    c[ServiceFamily::geocodage] = RateLimit{1, 1};
    RateLimiter limiter(c);
    for (int i = 0; i < 5000; ++i) {
        (void)limiter.check(ServiceFamily::geocodage, "192.0.2." + std::to_string(i), t0 + std::chrono::milliseconds(i));
    }
    CHECK(limiter.tracked_clients() <= 128);
    CHECK(limiter.tracked_clients() > 0);

    RateLimitConfig bad;
    bad[ServiceFamily::navigation] = RateLimit{-1, 0.5};
    CHECK_THROWS_AS(RateLimiter(bad), InvalidArgument);
}

TEST_CASE("service families from paths", "[server][rate]") {
    CHECK(service_family_of("/altimetrie/1.0/calcul/alti/rest/elevation.json") == ServiceFamily::altimetrie);
    CHECK(service_family_of("/navigation/itineraire") == ServiceFamily::navigation);
    CHECK(service_family_of("/geocodage/completion") == ServiceFamily::geocodage);
    CHECK(service_family_of("/WMTS") == ServiceFamily::tiles);
    CHECK(service_family_of("/tms/1.0.0/{layer}/{z}/{x}/{file}") == ServiceFamily::tiles);
    CHECK(service_family_of("/health") == ServiceFamily::other);
    CHECK(service_family_of("/") == ServiceFamily::other);
    CHECK(service_family_of("/wms-r/wms") == ServiceFamily::wms_r);
    CHECK(service_family_of("/private/wms-v/ows") == ServiceFamily::wms_v);
    CHECK(service_family_of("/wfs/ows") == ServiceFamily::wfs);
    CHECK(service_family_of("/ogcapi/collections") == ServiceFamily::wfs);
    CHECK(service_family_of("/private/telechargement/resource/x") == ServiceFamily::telechargement);
    CHECK(service_family_of("/recherche/api/indexes/geoplateforme") == ServiceFamily::recherche);
    CHECK(service_family_of("/private/wmts") == ServiceFamily::tiles);
    CHECK(service_family_of("/private") == ServiceFamily::other);
    CHECK(parse_service_family("geocodage") == ServiceFamily::geocodage);
    CHECK(parse_service_family("wms-v") == ServiceFamily::wms_v);
    CHECK(to_string(ServiceFamily::telechargement) == "telechargement");
    CHECK_FALSE(parse_service_family("wms").has_value());
    // The defaults are the Géoplateforme's published limits.
    const RateLimitConfig defaults;
    CHECK(defaults[ServiceFamily::wms_r].rate == 40);
    CHECK(defaults[ServiceFamily::wms_v].rate == 50);
    CHECK(defaults[ServiceFamily::wfs].rate == 30);
    CHECK(defaults[ServiceFamily::telechargement].rate == 10);
    CHECK(defaults[ServiceFamily::recherche].rate == 10);
    CHECK(defaults[ServiceFamily::tiles].rate == 0);
}

// ---- over the wire ---------------------------------------------------------------------------

TEST_CASE("429 over the wire: the 4th request of a bucket of 3, in the family's error style", "[server][socket][rate]") {
    test::TempDir dir("geoplex-ops-rate");
    auto engine = test::open_empty_bundle(dir);
    ServerConfig config = ops_config();
    config.rate_limits.enabled = true;
    config.rate_limits[ServiceFamily::other] = RateLimit{0.001, 3};       // no refill during the test
    config.rate_limits[ServiceFamily::altimetrie] = RateLimit{0.001, 1};
    Router router = make_default_router(config, engine, [](Router& r) {
        r.add(Router::Route{{"GET"}, "/altimetrie/ping",
                            [](const Request&, const bundle::Engine&) { return Response::json(R"({"pong":true})"); },
                            ErrorStyle::altimetry, {}});
        r.add(Router::Route{{"GET"}, "/geocodage/completion",
                            [](const Request&, const bundle::Engine&) { return Response::json(R"({"status":"OK"})"); },
                            ErrorStyle::completion, {}});
    });
    config.rate_limits[ServiceFamily::geocodage] = RateLimit{0.001, 1};
    Server server(engine, router, config);
    server.start();
    Client c(server.port());
    for (int i = 0; i < 3; ++i) {
        const auto r = c.request(get("/health"));
        REQUIRE(r);
        CHECK(r->status == 200);
    }
    const auto refused = c.request(get("/health"));
    REQUIRE(refused);
    CHECK(refused->status == 429);
    CHECK(refused->header("retry-after") == "5");
    const auto body = json::parse(refused->body);
    CHECK(body["error"]["code"] == "too_many_requests");
    CHECK(body["error"]["message"].get<std::string>().find("other") != std::string::npos);

    // The connection stays usable and another family has its own bucket, in its own style.
    auto r = c.request(get("/altimetrie/ping"));
    REQUIRE(r);
    CHECK(r->status == 200);
    r = c.request(get("/altimetrie/ping"));
    REQUIRE(r);
    CHECK(r->status == 429);
    CHECK(json::parse(r->body)["error"]["code"] == "TOO_MANY_REQUESTS");
    CHECK(r->header("retry-after") == "5");
    // The completion style answers errors with 200 — not a rate limit.
    r = c.request(get("/geocodage/completion"));
    REQUIRE(r);
    CHECK(r->status == 200);
    r = c.request(get("/geocodage/completion"));
    REQUIRE(r);
    CHECK(r->status == 429);
    CHECK(json::parse(r->body)["status"] == "Error");

    // Counted in /metrics ("other" is exhausted, so scrape through a fresh server-side view).
    const auto& m = server.metrics();
    CHECK(m.rate_limited[static_cast<std::size_t>(ServiceFamily::other)] == 1);
    CHECK(m.rate_limited[static_cast<std::size_t>(ServiceFamily::altimetrie)] == 1);
    CHECK(m.rate_limited[static_cast<std::size_t>(ServiceFamily::geocodage)] == 1);
}

TEST_CASE("X-Forwarded-For identifies clients only when trusted", "[server][socket][rate]") {
    test::TempDir dir("geoplex-ops-xff");
    auto engine = test::open_empty_bundle(dir);
    for (const bool trusted : {false, true}) {
        ServerConfig config = ops_config();
        config.rate_limits.enabled = true;
        config.rate_limits.trust_forwarded_for = trusted;
        config.rate_limits[ServiceFamily::other] = RateLimit{0.001, 1};
        Server server(engine, config);
        server.start();
        Client c(server.port());
        const auto a = c.request(get("/health", "X-Forwarded-For: 198.51.100.1, 203.0.113.1\r\n"));
        const auto b = c.request(get("/health", "X-Forwarded-For: 198.51.100.1, 203.0.113.2\r\n"));
        REQUIRE(a);
        REQUIRE(b);
        CHECK(a->status == 200);
        CHECK(b->status == (trusted ? 200 : 429));  // trusted: two clients (the last hop differs)
    }
}

TEST_CASE("/metrics: Prometheus text with counters per route pattern", "[server][socket][metrics]") {
    test::TempDir dir("geoplex-ops-metrics");
    auto engine = test::open_empty_bundle(dir);
    ServerConfig config = ops_config();
    Router router = make_default_router(config, engine, [](Router& r) {
        r.add(Router::Route{{"GET"}, "/items/{id}",
                            [](const Request& q, const bundle::Engine&) -> Response {
                                if (*q.path_param("id") == "bad") throw HttpError(400, "bad id");
                                return Response::json("{}");
                            },
                            ErrorStyle::plain, {}});
    });
    Server server(engine, router, config);
    server.start();
    Client c(server.port());
    for (const char* target : {"/health", "/health", "/items/1", "/items/2", "/items/3", "/items/bad", "/nowhere"}) {
        REQUIRE(c.request(get(target)));
    }
    const auto m = scrape(c);
    CHECK(m.at(R"(geoplex_http_requests_total{route="/health",code="2xx"})") == 2);
    CHECK(m.at(R"(geoplex_http_requests_total{route="/items/{id}",code="2xx"})") == 3);  // the pattern, not the path
    CHECK(m.at(R"(geoplex_http_requests_total{route="/items/{id}",code="4xx"})") == 1);
    CHECK(m.at("geoplex_http_requests_total{route=\"(unmatched)\",code=\"4xx\"}") == 1);
    CHECK(m.count(R"(geoplex_http_requests_total{route="/items/1",code="2xx"})") == 0);
    // The histogram: cumulative buckets, +Inf = count = every request of the route.
    CHECK(m.at(R"(geoplex_http_request_duration_seconds_count{route="/items/{id}"})") == 4);
    CHECK(m.at(R"(geoplex_http_request_duration_seconds_bucket{route="/items/{id}",le="+Inf"})") == 4);
    double previous = 0;
    for (const double le : Metrics::latency_buckets) {
        const auto key = fmt::format(R"(geoplex_http_request_duration_seconds_bucket{{route="/health",le="{}"}})", le);
        REQUIRE(m.count(key) == 1);
        CHECK(m.at(key) >= previous);
        previous = m.at(key);
    }
    CHECK(previous <= 2);
    CHECK(m.at(R"(geoplex_http_request_duration_seconds_sum{route="/health"})") >= 0);
    CHECK(m.at("geoplex_http_requests_in_flight") == 1);  // the scrape itself
    CHECK(m.at("geoplex_http_connections_open") >= 1);
    CHECK(m.at("geoplex_uptime_seconds") >= 0);
    bool info = false;
    for (const auto& [key, value] : m) {
        if (key.rfind(R"(geoplex_bundle_info{name="test",created="",components="",directory=")", 0) == 0) {
            info = value == 1 && key.find(R"(version=")" + std::string(version()) + "\"}") != std::string::npos;
        }
    }
    CHECK(info);
    // The scrape is counted by the next one.
    const auto m2 = scrape(c);
    CHECK(m2.at(R"(geoplex_http_requests_total{route="/metrics",code="2xx"})") == 1);
}

TEST_CASE("a throwing handler answers 500 JSON and the server keeps serving", "[server][socket]") {
    test::TempDir dir("geoplex-ops-throw");
    auto engine = test::open_empty_bundle(dir);
    ServerConfig config = ops_config();
    std::mutex log_mutex;
    std::string logged;
    config.log = [&](core::LogLevel level, std::string_view message) {
        std::lock_guard lock(log_mutex);
        if (level == core::LogLevel::error) logged += std::string(message) + "\n";
    };
    Router router = make_default_router(config, engine, [](Router& r) {
        r.add(Router::Route{{"GET"}, "/boom",
                            [](const Request&, const bundle::Engine&) -> Response { throw std::runtime_error("kaboom 42"); },
                            ErrorStyle::road2, {}});
        r.add(Router::Route{{"GET"}, "/boom-int",
                            [](const Request&, const bundle::Engine&) -> Response { throw 7; },
                            ErrorStyle::plain, {}});
    });
    Server server(engine, router, config);
    server.start();
    Client c(server.port());
    for (int round = 0; round < 3; ++round) {
        auto r = c.request(get("/boom"));
        REQUIRE(r);
        CHECK(r->status == 500);
        CHECK(r->header("content-type") == "application/json");
        const auto body = json::parse(r->body);
        CHECK(body["error"]["message"] == "Internal Server Error");
        CHECK(r->body.find("kaboom") == std::string::npos);  // the cause stays in the log
        r = c.request(get("/boom-int"));
        REQUIRE(r);
        CHECK(r->status == 500);
        r = c.request(get("/health"));  // same connection, next request fine
        REQUIRE(r);
        CHECK(r->status == 200);
    }
    {
        std::lock_guard lock(log_mutex);
        CHECK(logged.find("kaboom 42") != std::string::npos);
    }
    CHECK(server.metrics().handler_exceptions == 6);
}

// ---- reload ----------------------------------------------------------------------------------

TEST_CASE("POST /admin/reload swaps the bundle; a bad bundle keeps the old one", "[server][socket][reload]") {
    test::TempDir dir("geoplex-ops-reload");
    write_manifest(dir, "A");
    Server server(bundle::Engine::open(dir.path()), ops_config());
    server.start();
    CHECK(health_bundle(server.port()) == "A");

    write_manifest(dir, "B");  // a new bundle installed in the same directory
    {
        Client c(server.port());
        const auto r = c.request(post("/admin/reload"));
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(json::parse(r->body)["bundle"] == "B");
    }
    CHECK(health_bundle(server.port()) == "B");

    std::ofstream(dir / "manifest.toml", std::ios::trunc) << "this is = = not toml";
    {
        Client c(server.port());
        const auto r = c.request(post("/admin/reload"));
        REQUIRE(r);
        CHECK(r->status == 500);
        const auto body = json::parse(r->body);
        CHECK(body["error"]["code"] == "reload_failed");
        CHECK(body["error"]["message"].get<std::string>().find("manifest.toml") != std::string::npos);
    }
    CHECK(health_bundle(server.port()) == "B");  // still serving the previous bundle
    const auto m = scrape(server.port());
    CHECK(m.at(R"(geoplex_bundle_reloads_total{result="ok"})") == 1);
    CHECK(m.at(R"(geoplex_bundle_reloads_total{result="error"})") == 1);
    // (the reload's own response is counted once written: poll, as it was on another connection)
    CHECK(eventually([&] {
        return scrape(server.port()).count(R"(geoplex_http_requests_total{route="/admin/reload",code="2xx"})") == 1;
    }));
}

TEST_CASE("admin token: reload needs the bearer token", "[server][socket][reload]") {
    test::TempDir dir("geoplex-ops-token");
    write_manifest(dir, "A");
    test::TempDir other("geoplex-ops-token2");
    write_manifest(other, "C");
    ServerConfig config = ops_config();
    config.admin_token = "0123456789abcdef0123";
    config.reopen_bundle = [&] { return bundle::Engine::open(other.path()); };
    Server server(bundle::Engine::open(dir.path()), config);
    server.start();
    Client c(server.port());
    auto r = c.request(post("/admin/reload"));
    REQUIRE(r);
    CHECK(r->status == 403);
    r = c.request(post("/admin/reload", "Authorization: Bearer 0123456789abcdef0124\r\n"));
    REQUIRE(r);
    CHECK(r->status == 403);
    CHECK(health_bundle(server.port()) == "A");
    r = c.request(post("/admin/reload", "Authorization: Bearer 0123456789abcdef0123\r\n"));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(health_bundle(server.port()) == "C");
    r = c.request(get("/admin/reload"));
    REQUIRE(r);
    CHECK(r->status == 405);
}

TEST_CASE("SIGHUP reloads, SIGTERM drains the request in flight, then run() returns", "[server][socket][signals]") {
    test::TempDir dir("geoplex-ops-signals");
    write_manifest(dir, "before");
    ServerConfig config = ops_config();
    config.handle_signals = true;
    std::mutex m;
    std::condition_variable cv;
    bool entered = false;
    bool release = false;
    Router router = make_default_router(config, bundle::Engine::open(dir.path()), [&](Router& r) {
        r.add(Router::Route{{"GET"}, "/slow",
                            [&](const Request&, const bundle::Engine&) {
                                std::unique_lock lock(m);
                                entered = true;
                                cv.notify_all();
                                cv.wait(lock, [&] { return release; });
                                return Response::json(R"({"slow":"done"})");
                            },
                            ErrorStyle::plain, {}});
    });
    Server server(bundle::Engine::open(dir.path()), router, config);
    std::thread runner([&] { server.run(); });
    REQUIRE(eventually([&] { return server.port() != 0 && server.running(); }));
    const auto port = server.port();

    write_manifest(dir, "after");
    std::raise(SIGHUP);
    CHECK(eventually([&] { return health_bundle(port) == "after"; }));

    Client slow(port, 30s);
    REQUIRE(slow.send(get("/slow")));
    {
        std::unique_lock lock(m);
        REQUIRE(cv.wait_for(lock, 20s, [&] { return entered; }));
    }
    std::raise(SIGTERM);
    REQUIRE(eventually([&] { return !server.running(); }));  // stopping: no longer accepting
    CHECK(eventually([&] {
        try {
            Client late(port, 1s);
            return !late.request(get("/health")).has_value();
        } catch (const std::runtime_error&) {
            return true;  // connection refused
        }
    }));
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    const auto r = slow.read_reply();
    REQUIRE(r);  // the request in flight was answered, not dropped
    CHECK(r->status == 200);
    CHECK(json::parse(r->body)["slow"] == "done");
    CHECK(r->header("connection") == "close");
    runner.join();
    CHECK_FALSE(server.running());
}

// ---- many idle and trickling connections -----------------------------------------------------

TEST_CASE("1000 idle keep-alive connections and 100 tricklers: ordinary requests still answered",
          "[server][socket][load]") {
    test::TempDir dir("geoplex-ops-idle");
    auto engine = test::open_empty_bundle(dir);
    ServerConfig config = ops_config();
    config.read_timeout = 60s;  // the tricklers stay for the whole test
    Server server(engine, config);
    server.start();
    std::vector<std::unique_ptr<Client>> idle;
    for (int i = 0; i < 1000; ++i) {
        idle.push_back(std::make_unique<Client>(server.port(), 10s));
        if (i % 10 == 0) {  // some have served a request and are kept alive, the rest never spoke
            const auto r = idle.back()->request(get("/health"));
            REQUIRE(r);
        }
    }
    std::vector<std::unique_ptr<Client>> tricklers;
    const std::string partial = "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
    for (int i = 0; i < 100; ++i) {
        tricklers.push_back(std::make_unique<Client>(server.port(), 10s));
        REQUIRE(tricklers.back()->send(partial.substr(0, 1 + static_cast<std::size_t>(i) % partial.size())));
    }
    for (int i = 0; i < 50; ++i) {
        Client c(server.port(), 10s);
        const auto r = c.request(get("/health"));
        REQUIRE(r);
        CHECK(r->status == 200);
        tricklers[static_cast<std::size_t>(i)]->send("x");  // one more byte: still incomplete
    }
    const auto m = scrape(server.port());
    CHECK(m.at("geoplex_http_connections_open") >= 1100);
    // The kept-alive ones still work.
    const auto r = idle.front()->request(get("/health"));
    REQUIRE(r);
    CHECK(r->status == 200);
}

// ---- configuration file ----------------------------------------------------------------------

TEST_CASE("server configuration file: every key read", "[server][config]") {
    const auto s = parse_serve_settings(R"(
[server]
listen = "127.0.0.1"
port = 9090
threads = 3
access_log = "off"
verify_checksums = true
metrics_path = "/internal/metrics"
[server.limits]
max_header_bytes = 8192
max_body_bytes = 1048576
max_connections = 500
max_points = 100
[server.timeouts]
read = 2.5
idle = 60
write = 10
shutdown_grace = 0
[server.cors]
allow_origin = ""
[server.gzip]
min_size = 2048
level = 9
[server.admin]
reload = false
token = "0123456789abcdef"
[rate_limits]
block = 2
max_clients = 1000
trust_forwarded_for = true
altimetrie = 2
navigation = { rate = 10, burst = 20 }
tiles = 400
)", "server.toml");
    const auto& c = s.server;
    CHECK(c.address == "127.0.0.1");
    CHECK(c.port == 9090);
    CHECK(c.threads == 3);
    CHECK(s.access_log == "off");
    CHECK(s.verify_checksums);
    CHECK(c.metrics_path == "/internal/metrics");
    CHECK(c.max_header_bytes == 8192);
    CHECK(c.max_body_bytes == 1048576);
    CHECK(c.max_connections == 500);
    CHECK(c.altitude.max_points == 100);
    CHECK(c.read_timeout == 2500ms);
    CHECK(c.idle_timeout == 60s);
    CHECK(c.write_timeout == 10s);
    CHECK(c.shutdown_grace == 0ms);
    CHECK(c.cors_allow_origin.empty());
    CHECK(c.gzip_min_size == 2048);
    CHECK(c.gzip_level == 9);
    CHECK_FALSE(c.admin_reload);
    CHECK(c.admin_token == "0123456789abcdef");
    CHECK(c.rate_limits.enabled);  // the section turns them on
    CHECK(c.rate_limits.block == 2s);
    CHECK(c.rate_limits.max_clients == 1000);
    CHECK(c.rate_limits.trust_forwarded_for);
    CHECK(c.rate_limits[ServiceFamily::altimetrie].rate == 2);
    CHECK(c.rate_limits[ServiceFamily::navigation].rate == 10);
    CHECK(c.rate_limits[ServiceFamily::navigation].burst == 20);
    CHECK(c.rate_limits[ServiceFamily::geocodage].rate == 50);  // Géoplateforme default kept
    CHECK(c.rate_limits[ServiceFamily::tiles].rate == 400);

    const auto empty = parse_serve_settings("", "empty.toml");
    CHECK_FALSE(empty.server.rate_limits.enabled);
    CHECK(empty.server.port == 8080);
}

TEST_CASE("server configuration file: every problem reported at once, with the key", "[server][config]") {
    try {
        (void)parse_serve_settings(R"(
[server]
port = 70000
threads = "4"
colour = "blue"
[server.timeouts]
read = -1
[server.gzip]
level = 12
[rate_limits]
navigation = -3
geocodage = { rate = 5, brust = 10 }
)", "bad.toml");
        FAIL("no exception");
    } catch (const InvalidArgument& e) {
        const auto& p = e.problems();
        std::string all;
        for (const auto& s : p) all += s + "\n";
        INFO(all);
        CHECK(p.size() == 7);
        CHECK(all.find("bad.toml: server.port: must be an integer in 0..65535 (got 70000)") != std::string::npos);
        CHECK(all.find("server.threads: must be an integer in 1..1024 (got \"4\")") != std::string::npos);
        CHECK(all.find("unknown key 'colour'") != std::string::npos);
        CHECK(all.find("server.timeouts.read") != std::string::npos);
        CHECK(all.find("server.gzip.level") != std::string::npos);
        CHECK(all.find("rate_limits.navigation") != std::string::npos);
        CHECK(all.find("unknown key 'brust' (known: rate, burst)") != std::string::npos);
    }
    try {
        (void)parse_serve_settings("[server]\nport = 80\nport = 81\n", "dup.toml");
        FAIL("no exception");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("dup.toml: not valid TOML") != std::string::npos);
        CHECK(std::string(e.what()).find("line 3") != std::string::npos);
    }
    // ServerConfig::validate() problems come through too.
    CHECK_THROWS_WITH(parse_serve_settings("[server]\nmetrics_path = \"metrics\"\n", "m.toml"),
                      Catch::Contains("metrics_path must start with '/'"));
    CHECK_THROWS_AS(load_serve_settings("/nonexistent/server.toml"), IoError);
}

TEST_CASE("a missing or corrupt bundle fails at startup naming the file", "[server][config]") {
    test::TempDir dir("geoplex-ops-corrupt");
    try {
        (void)bundle::Engine::open(dir / "missing");
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("missing") != std::string::npos);
    }
    std::ofstream(dir / "manifest.toml") << "name = \"x\"\nformat_version = [\n";
    try {
        (void)bundle::Engine::open(dir.path());
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find((dir / "manifest.toml").string()) != std::string::npos);
    }
    std::ofstream(dir / "manifest.toml", std::ios::trunc)
        << "name = \"x\"\nformat_version = 1\ncomponents = [\"altitude\"]\n";
    try {
        (void)bundle::Engine::open(dir.path());
        FAIL("no exception");
    } catch (const Error& e) {
        INFO(e.what());
        CHECK(std::string(e.what()).find("altitude") != std::string::npos);
    }
}

TEST_CASE("the documented example configuration is valid and says what it says", "[server][config]") {
    const auto s = load_serve_settings(GEOPLEX_EXAMPLE_CONFIG);
    CHECK(s.server.threads == 4);
    CHECK(s.server.rate_limits.enabled);
    CHECK(s.server.rate_limits[ServiceFamily::altimetrie].rate == 5);
    CHECK(s.server.rate_limits[ServiceFamily::tiles].rate == 0);
    CHECK(s.server.admin_token.empty());
}
