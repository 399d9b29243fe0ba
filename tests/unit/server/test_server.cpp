// The Beast transport over real loopback sockets: keep-alive, CORS, gzip, limits, deadlines,
// garbage, graceful stop. Timeouts are small so the suite runs in seconds; the only timing
// assertions are "the deadline closed the connection" and "stop() returned".

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "geoplex/core/error.hpp"
#include "geoplex/server/server.hpp"
#include "server_test_support.hpp"

using namespace geoplex;
using namespace geoplex::server;
using namespace std::chrono_literals;
using nlohmann::json;
using test::Client;
using test::get;

namespace {

ServerConfig test_config() {
    ServerConfig c;
    c.address = "127.0.0.1";
    c.port = 0;
    c.threads = 2;
    c.read_timeout = 700ms;
    c.idle_timeout = 5s;
    c.write_timeout = 2s;
    c.shutdown_grace = 2s;
    c.max_header_bytes = 16 * 1024;
    c.max_body_bytes = 64 * 1024;
    c.gzip_min_size = 256;
    return c;
}

std::string gunzip(const std::string& in) {
    z_stream zs{};
    REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
    std::string out;
    char buf[16384];
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof buf - zs.avail_out);
    }
    inflateEnd(&zs);
    REQUIRE(rc == Z_STREAM_END);
    return out;
}

/// A router with a large JSON response and an echo of the request body, besides the defaults.
Router test_router(const ServerConfig& config, const bundle::Engine& engine) {
    return make_default_router(config, engine, [](Router& r) {
        r.add(Router::Route{{"GET"}, "/big",
                            [](const Request&, const bundle::Engine&) {
                                json j = json::array();
                                for (int i = 0; i < 500; ++i) j.push_back({{"i", i}, {"label", "rue de la Paix"}});
                                return Response::json(j.dump());
                            },
                            ErrorStyle::plain, {}});
        r.add(Router::Route{{"POST"}, "/echo",
                            [](const Request& req, const bundle::Engine&) {
                                return Response::text(req.body, "text/plain");
                            },
                            ErrorStyle::plain, {}});
        r.add(Router::Route{{"GET"}, "/navigation/itineraire",
                            [](const Request& req, const bundle::Engine&) -> Response {
                                if (req.param("start") == nullptr) throw HttpError(400, "Parameter 'start' not found");
                                return Response::json("{}");
                            },
                            ErrorStyle::road2, {}});
    });
}

struct Fixture {
    test::TempDir dir{"geoplex-serve-test"};
    bundle::Engine engine = test::open_empty_bundle(dir);
    ServerConfig config = test_config();
    std::mutex log_mutex;
    std::vector<AccessLogEntry> entries;
    std::unique_ptr<Server> server;

    void start() {
        config.access_log = [this](const AccessLogEntry& e) {
            std::lock_guard lock(log_mutex);
            entries.push_back(e);
        };
        server = std::make_unique<Server>(engine, test_router(config, engine), config);
        server->start();
        REQUIRE(server->port() != 0);
    }
    [[nodiscard]] std::uint16_t port() const { return server->port(); }
    bool health_ok() {
        Client c(port());
        const auto r = c.request(get("/health"));
        return r && r->status == 200 && json::parse(r->body)["status"] == "ok";
    }
};

}  // namespace

TEST_CASE("/health twice over one keep-alive connection", "[server][socket]") {
    Fixture f;
    f.start();
    Client c(f.port());
    for (int i = 0; i < 2; ++i) {
        const auto r = c.request(get("/health"));
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->header("content-type") == "application/json");
        CHECK(r->header("server") == std::string("geoplex/") + std::string(version()));
        CHECK(r->header("access-control-allow-origin") == "*");
        const auto j = json::parse(r->body);
        CHECK(j["status"] == "ok");
        CHECK(j["bundle"] == "test");
        CHECK(j["components"] == json::array());
        CHECK(j["version"] == std::string(version()));
    }
    f.server->stop();
    std::lock_guard lock(f.log_mutex);
    REQUIRE(f.entries.size() == 2);
    CHECK(f.entries[0].method == "GET");
    CHECK(f.entries[0].target == "/health");
    CHECK(f.entries[0].status == 200);
    CHECK(f.entries[0].remote == "127.0.0.1");
    CHECK(f.entries[0].bytes > 0);
    CHECK(f.entries[0].time.size() == std::string("2026-11-21T11:30:00.123456Z").size());
    const auto line = json::parse(format_access_log(f.entries[0]));
    CHECK(line["status"] == 200);
    CHECK(line.contains("us"));
}

TEST_CASE("/openapi.json lists the routes", "[server][socket]") {
    Fixture f;
    f.start();
    Client c(f.port());
    const auto r = c.request(get("/openapi.json"));
    REQUIRE(r);
    CHECK(r->status == 200);
    const auto doc = json::parse(r->body);
    CHECK(doc["openapi"] == "3.0.3");
    for (const char* p : {"/health", "/openapi.json", "/big", "/echo", "/navigation/itineraire"}) {
        INFO(p);
        CHECK(doc["paths"].contains(p));
    }
}

TEST_CASE("errors over the wire keep their style", "[server][socket]") {
    Fixture f;
    f.start();
    Client c(f.port());
    auto r = c.request(get("/navigation/itineraire"));
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(json::parse(r->body)["error"]["message"] == " Parameter 'start' not found ");
    r = c.request(get("/navigation/nope"));
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(json::parse(r->body) == json::parse(R"({"error":"Not found"})"));
    r = c.request("DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(r);
    CHECK(r->status == 405);
    CHECK(r->header("allow") == "GET, HEAD");
    r = c.request(get("/health?x=%zz"));  // malformed escape: 400, connection still usable
    REQUIRE(r);
    CHECK(r->status == 400);
    r = c.request(get("/health"));
    REQUIRE(r);
    CHECK(r->status == 200);
}

TEST_CASE("HEAD has the headers of GET and no body", "[server][socket]") {
    Fixture f;
    f.start();
    Client c(f.port());
    const auto g = c.request(get("/health"));
    REQUIRE(g);
    const auto h = c.request("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n", true);
    REQUIRE(h);
    CHECK(h->status == 200);
    CHECK(h->body.empty());
    CHECK(h->header("content-length") == g->header("content-length"));
    const auto again = c.request(get("/health"));  // nothing left over on the connection
    REQUIRE(again);
    CHECK(again->status == 200);
}

TEST_CASE("CORS on every response and OPTIONS preflight", "[server][socket]") {
    Fixture f;
    f.start();
    Client c(f.port());
    const auto pre = c.request(
        "OPTIONS /echo HTTP/1.1\r\nHost: x\r\nOrigin: https://cartes.gouv.fr\r\n"
        "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, x-key\r\n\r\n");
    REQUIRE(pre);
    CHECK(pre->status == 204);
    CHECK(pre->header("access-control-allow-origin") == "*");
    CHECK(pre->header("access-control-allow-methods") == "POST, OPTIONS");
    CHECK(pre->header("access-control-allow-headers") == "content-type, x-key");
    CHECK_FALSE(pre->header("access-control-max-age").empty());
    const auto missing = c.request("OPTIONS /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(missing);
    CHECK(missing->status == 404);
    CHECK(missing->header("access-control-allow-origin") == "*");
    const auto err = c.request(get("/nope"));
    REQUIRE(err);
    CHECK(err->header("access-control-allow-origin") == "*");
}

TEST_CASE("gzip when asked and large enough", "[server][socket]") {
    Fixture f;
    f.start();
    Client c(f.port());
    const auto plain = c.request(get("/big"));
    REQUIRE(plain);
    CHECK(plain->header("content-encoding").empty());
    CHECK(plain->header("vary") == "Accept-Encoding");

    const auto zipped = c.request(get("/big", "Accept-Encoding: br, gzip;q=0.8\r\n"));
    REQUIRE(zipped);
    CHECK(zipped->status == 200);
    CHECK(zipped->header("content-encoding") == "gzip");
    CHECK(zipped->header("vary") == "Accept-Encoding");
    CHECK(zipped->body.size() < plain->body.size());
    CHECK(gunzip(zipped->body) == plain->body);

    const auto refused = c.request(get("/big", "Accept-Encoding: gzip;q=0\r\n"));
    REQUIRE(refused);
    CHECK(refused->header("content-encoding").empty());

    const auto small = c.request(get("/health", "Accept-Encoding: gzip\r\n"));  // below gzip_min_size
    REQUIRE(small);
    CHECK(small->header("content-encoding").empty());
}

TEST_CASE("request bodies, chunked and with 100-continue", "[server][socket]") {
    Fixture f;
    f.start();
    Client c(f.port());
    auto r = c.request("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    REQUIRE(r);
    CHECK(r->body == "hello");
    r = c.request("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    REQUIRE(r);
    CHECK(r->body == "abcde");
    REQUIRE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"));
    std::this_thread::sleep_for(50ms);
    REQUIRE(c.send("xyz"));
    r = c.read_reply();  // skips the interim 100
    REQUIRE(r);
    CHECK(r->body == "xyz");
}

TEST_CASE("431 on a 64 KiB header", "[server][socket]") {
    Fixture f;
    f.start();
    Client c(f.port());
    const auto r = c.request(get("/health", "X-Big: " + std::string(64 * 1024, 'a') + "\r\n"));
    REQUIRE(r);
    CHECK(r->status == 431);
    CHECK(c.wait_closed());
    CHECK(f.health_ok());
}

TEST_CASE("413 on an oversized body", "[server][socket]") {
    Fixture f;
    f.start();
    SECTION("announced by Content-Length") {
        Client c(f.port());
        const auto r = c.request("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" +
                                 std::string(100 * 1024, 'x'));
        REQUIRE(r);
        CHECK(r->status == 413);
        CHECK(c.wait_closed());
    }
    SECTION("discovered while de-chunking") {
        Client c(f.port());
        std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (int i = 0; i < 100; ++i) req += "400\r\n" + std::string(1024, 'y') + "\r\n";
        req += "0\r\n\r\n";
        const auto r = c.request(req);
        REQUIRE(r);
        CHECK(r->status == 413);
    }
    CHECK(f.health_ok());
}

TEST_CASE("invalid chunked encoding and bad request lines are 400", "[server][socket]") {
    Fixture f;
    f.start();
    for (const std::string& raw : {
             std::string("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
             std::string("GET /health HTTP/9.9\r\n\r\n"),
             std::string("G@T /health HTTP/1.1\r\n\r\n"),
             std::string("GET /health HTTP/1.1\r\nBad Header Name: x\r\n\r\n"),
             std::string("POST /echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
         }) {
        INFO(raw);
        Client c(f.port());
        const auto r = c.request(raw);
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(c.wait_closed());
    }
    CHECK(f.health_ok());
}

TEST_CASE("a trickling client is closed at the deadline while others are served", "[server][socket]") {
    Fixture f;
    f.start();
    Client slow(f.port(), 10s);
    const std::string request = get("/health");
    std::atomic<bool> closed{false};
    std::thread trickle([&] {
        // one byte every 100 ms: each read succeeds, the whole request would need > 3 s
        for (const char ch : request) {
            if (!slow.send(std::string(1, ch))) break;
            std::this_thread::sleep_for(100ms);
            if (closed) break;
        }
    });
    // meanwhile another client is served normally
    CHECK(f.health_ok());
    CHECK(slow.wait_closed());  // 700 ms read_timeout, not 10 s
    closed = true;
    trickle.join();
    CHECK(f.health_ok());
}

TEST_CASE("a new connection that sends nothing is closed after read_timeout", "[server][socket]") {
    Fixture f;
    f.config.idle_timeout = 60s;  // must not be the one that applies
    f.start();
    Client silent(f.port(), 10s);
    CHECK(silent.wait_closed());
    CHECK(f.health_ok());
}

TEST_CASE("1000 random garbage requests: always an answer or a close", "[server][socket]") {
    Fixture f;
    f.config.read_timeout = 300ms;
    f.start();
    std::mt19937 rng(20261121);
    const std::vector<std::string> seeds{
        get("/health"), "POST /echo HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd",
        "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n",
        "GET /tms/1.0.0/%ff%00/1/2/3.pbf?x=%%&y HTTP/1.0\r\n\r\n"};
    int answered = 0;
    int closed = 0;
    for (int i = 0; i < 1000; ++i) {
        std::string data;
        switch (rng() % 3) {
        case 0:  // pure noise
            data.resize(rng() % 300);
            for (auto& ch : data) ch = static_cast<char>(rng() % 256);
            break;
        case 1: {  // mutated valid request
            data = seeds[rng() % seeds.size()];
            const auto n = 1 + rng() % 6;
            for (unsigned k = 0; k < n; ++k) data[rng() % data.size()] = static_cast<char>(rng() % 256);
            break;
        }
        default: {  // truncated or spliced
            data = seeds[rng() % seeds.size()];
            data = data.substr(0, rng() % (data.size() + 1)) + seeds[rng() % seeds.size()].substr(rng() % 10);
        }
        }
        Client c(f.port(), 3s);
        c.send(data);
        c.shutdown_write();
        if (c.read_reply()) ++answered;
        REQUIRE(c.wait_closed());  // every connection ends (after its replies) well within 3 s
        ++closed;
    }
    CHECK(closed == 1000);
    CHECK(answered > 0);
    CHECK(f.health_ok());
}

TEST_CASE("stop() returns promptly with an idle keep-alive connection open", "[server][socket]") {
    Fixture f;
    f.config.idle_timeout = 60s;
    f.config.shutdown_grace = 30s;
    f.start();
    Client idle(f.port(), 10s);
    REQUIRE(idle.request(get("/health")));
    const auto t0 = std::chrono::steady_clock::now();
    f.server->stop();
    CHECK(std::chrono::steady_clock::now() - t0 < 10s);  // neither idle_timeout nor the grace
    CHECK(idle.wait_closed());
    CHECK_FALSE(f.server->running());
    f.server->stop();  // idempotent
}

TEST_CASE("run() returns after stop() from another thread; set_engine swaps the bundle", "[server][socket]") {
    test::TempDir dir("geoplex-serve-run");
    auto engine = test::open_empty_bundle(dir);
    ServerConfig config = test_config();
    std::ostringstream log;
    config.access_log_stream = &log;
    Server server(engine, config);
    std::thread runner([&] { server.run(); });
    while (server.port() == 0) std::this_thread::sleep_for(5ms);
    {
        Client c(server.port());
        REQUIRE(c.request(get("/health")));
    }
    test::TempDir dir2("geoplex-serve-run2");
    std::ofstream(dir2 / "manifest.toml") << "name = \"second\"\nformat_version = 1\ncomponents = []\n";
    server.set_engine(bundle::Engine::open(dir2.path()));
    {
        Client c(server.port());
        const auto r = c.request(get("/health"));
        REQUIRE(r);
        CHECK(json::parse(r->body)["bundle"] == "second");
    }
    server.stop();
    runner.join();
    const auto text = log.str();
    CHECK(std::count(text.begin(), text.end(), '\n') == 2);
    CHECK(json::parse(text.substr(0, text.find('\n')))["target"] == "/health");
}

TEST_CASE("max_connections: the extra client gets 503", "[server][socket]") {
    Fixture f;
    f.config.max_connections = 1;
    f.start();
    Client first(f.port());
    REQUIRE(first.request(get("/health")));
    Client second(f.port());
    const auto r = second.read_reply();
    REQUIRE(r);
    CHECK(r->status == 503);
}

TEST_CASE("bad configs are refused", "[server]") {
    test::TempDir dir("geoplex-serve-cfg");
    auto engine = test::open_empty_bundle(dir);
    ServerConfig c;
    c.threads = 0;
    c.gzip_level = 12;
    try {
        Server s(engine, c);
        FAIL("no exception");
    } catch (const InvalidArgument& e) {
        CHECK(e.problems().size() == 2);
    }
    ServerConfig bad_addr = test_config();
    bad_addr.address = "not an address";
    Server s(engine, bad_addr);
    CHECK_THROWS_AS(s.start(), InvalidArgument);
}
