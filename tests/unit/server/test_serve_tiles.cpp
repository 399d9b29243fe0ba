// Cached vector tiles over real loopback sockets: what the transport sends for a tile must be the
// tile the library renders, byte for byte, with an ETag of those bytes (computed here with our
// own FNV-1a), 304 on If-None-Match, gzip only when asked (the plain body must be what a Tileset
// opened without gzip renders), HEAD,
// 204 / 404, many requests on one keep-alive connection, and the idle deadline of a kept-alive
// connection (enforced by the server's sweeper, not a timer per read).

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <numbers>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/server/server.hpp"
#include "geoplex/tiles/tiles.hpp"
#include "server_test_support.hpp"

using namespace geoplex;
using namespace geoplex::server;
using namespace std::chrono_literals;
using test::Client;
using test::get;

namespace {

// Two squares far apart: the layer's extent covers the empty land between them.
constexpr const char* squares = R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"north"},"geometry":{"type":"Polygon","coordinates":[[[1.0,48.0],[3.0,48.0],[3.0,49.5],[1.0,49.5],[1.0,48.0]]]}},
{"type":"Feature","properties":{"name":"south"},"geometry":{"type":"Polygon","coordinates":[[[6.0,43.0],[7.5,43.0],[7.5,44.0],[6.0,44.0],[6.0,43.0]]]}}]})";

struct Fixture {
    test::TempDir dir{"geoplex-serve-tiles"};
    std::optional<bundle::Engine> engine;
    std::unique_ptr<Server> server;

    explicit Fixture(ServerConfig config = {}) {
        std::ofstream(dir / "squares.geojson") << squares;
        std::ofstream(dir / "spec.toml") << fmt::format("name = \"serve-tiles\"\n[tiles]\n[[tiles.vector]]\nid = \"squares\"\n"
                                                        "path = \"{}\"\nmax_zoom = 9\n",
                                                        (dir / "squares.geojson").string());
        bundle::build(dir / "spec.toml", dir / "bundle");
        engine = bundle::Engine::open(dir / "bundle");
        config.address = "127.0.0.1";
        config.port = 0;
        config.threads = 2;
        server = std::make_unique<Server>(*engine, config);
        server->start();
    }
};

/// The XYZ tile holding (lon, lat) at zoom z (Web Mercator, rows from the top).
std::pair<std::uint64_t, std::uint64_t> tile_of(double lon, double lat, int z) {
    const double n = std::ldexp(1.0, z);
    const double r = lat * std::numbers::pi / 180;
    return {static_cast<std::uint64_t>((lon + 180) / 360 * n),
            static_cast<std::uint64_t>((1 - std::log(std::tan(r) + 1 / std::cos(r)) / std::numbers::pi) / 2 * n)};
}

std::string fnv_etag(const std::string& bytes) {
    std::uint64_t h = 1469598103934665603ULL;
    for (const unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return fmt::format("\"{:016x}-{:x}\"", h, bytes.size());
}

}  // namespace

TEST_CASE("cached tiles over the wire: same bytes as the library, ETag, 304, gzip, HEAD, 204/404", "[server][socket][tiles]") {
    Fixture f;
    tiles::OpenOptions raw_options;
    raw_options.gzip_vector_tiles = false;
    const auto raw = tiles::Tileset::open(f.dir / "bundle" / "tiles", raw_options);
    Client c(f.server->port());
    for (const int z : {0, 5, 9}) {
        const auto [x, y] = tile_of(2.0, 48.7, z);
        const tiles::Tile tile = f.engine->tiles().render("squares", static_cast<std::uint32_t>(z), x, y);
        REQUIRE(tile.status == tiles::TileStatus::ok);
        REQUIRE(tile.gzipped);
        REQUIRE(tile.bytes.size() > 2);
        CHECK(static_cast<unsigned char>(tile.bytes[0]) == 0x1f);
        const std::string pbf = raw.render("squares", static_cast<std::uint32_t>(z), x, y).bytes;
        REQUIRE(!pbf.empty());
        const std::string etag = fnv_etag(tile.bytes);
        for (const std::string prefix : {"/tiles", "/tms/1.0.0"}) {
            const std::string path = fmt::format("{}/squares/{}/{}/{}.pbf", prefix, z, x, y);
            INFO(path);
            // Twice: the first may render, the second is a cache hit; both the same.
            for (int round = 0; round < 2; ++round) {
                const auto r = c.request(get(path, "Accept-Encoding: gzip, deflate\r\n"));
                REQUIRE(r);
                CHECK(r->status == 200);
                CHECK(r->body == tile.bytes);
                CHECK(r->header("etag") == etag);
                CHECK(r->header("content-encoding") == "gzip");
                CHECK(r->header("content-type") == "application/x-protobuf");
                CHECK(r->header("vary") == "Accept-Encoding");
                CHECK(r->header("content-length") == std::to_string(tile.bytes.size()));
                CHECK_FALSE(r->header("cache-control").empty());
            }
            const auto plain = c.request(get(path));
            REQUIRE(plain);
            CHECK(plain->status == 200);
            CHECK(plain->header("content-encoding").empty());
            CHECK(plain->body == pbf);
            CHECK(plain->header("etag") == etag);

            const auto not_modified = c.request(get(path, "Accept-Encoding: gzip\r\nIf-None-Match: " + etag + "\r\n"));
            REQUIRE(not_modified);
            CHECK(not_modified->status == 304);
            CHECK(not_modified->body.empty());
            CHECK(not_modified->header("etag") == etag);
            const auto other = c.request(get(path, "Accept-Encoding: gzip\r\nIf-None-Match: \"0000000000000000-1\"\r\n"));
            REQUIRE(other);
            CHECK(other->status == 200);
            CHECK(other->body == tile.bytes);

            const auto head = c.request("HEAD " + path + " HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n", true);
            REQUIRE(head);
            CHECK(head->status == 200);
            CHECK(head->header("content-length") == std::to_string(tile.bytes.size()));
            CHECK(head->header("etag") == etag);
            CHECK(head->body.empty());
        }
    }
    // Inside the layer's extent but between the squares: no data, 204 (twice: cached too).
    const auto [ex, ey] = tile_of(4.5, 46.0, 9);
    REQUIRE(f.engine->tiles().render("squares", 9, ex, ey).status == tiles::TileStatus::empty);
    for (int round = 0; round < 2; ++round) {
        const auto empty = c.request(get(fmt::format("/tiles/squares/9/{}/{}.pbf", ex, ey), "Accept-Encoding: gzip\r\n"));
        REQUIRE(empty);
        CHECK(empty->status == 204);
        CHECK(empty->body.empty());
    }
    const auto [fx, fy] = tile_of(-100.0, 40.0, 9);
    const auto far = c.request(get(fmt::format("/tiles/squares/9/{}/{}.pbf", fx, fy)));
    REQUIRE(far);
    CHECK(far->status == 404);
    const auto deep = c.request(get("/tiles/squares/10/520/350.pbf"));
    REQUIRE(deep);
    CHECK(deep->status == 404);
    // Still the same connection after every kind of answer.
    const auto health = c.request(get("/health"));
    REQUIRE(health);
    CHECK(health->status == 200);
}

TEST_CASE("a kept-alive connection idle past idle_timeout is closed; a busy one is not", "[server][socket]") {
    ServerConfig config;
    config.idle_timeout = 400ms;
    config.read_timeout = 5s;
    Fixture f(config);
    Client idle(f.server->port(), 3s);
    Client busy(f.server->port(), 3s);
    REQUIRE(idle.request(get("/health")));
    // The busy client asks every 100 ms for 1.2 s: its deadline moves with each request.
    const auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < 1200ms) {
        const auto r = busy.request(get("/health"));
        REQUIRE(r);
        CHECK(r->status == 200);
        std::this_thread::sleep_for(100ms);
    }
    CHECK(idle.wait_closed());
    CHECK(busy.request(get("/health")));
}
