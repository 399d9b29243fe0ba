// Streamed response bodies (Response::stream, used by WFS GetFeature and OGC API items): chunked
// transfer encoding on HTTP/1.1, a whole body on HTTP/1.0, nothing for HEAD, a generator failing
// mid-body closes the connection; checked with a raw-socket client that decodes chunks itself.

#include <catch2/catch.hpp>

#include <string>

#include "geoplex/server/server.hpp"
#include "server_test_support.hpp"

using namespace geoplex;
using namespace geoplex::server;
using namespace geoplex::test;

namespace {

/// The body of `pieces` pieces "piece <i>;" and a 100 kB one in the middle.
std::string expected_body(int pieces) {
    std::string out;
    for (int i = 0; i < pieces; ++i) out += i == pieces / 2 ? std::string(100000, 'x') : "piece " + std::to_string(i) + ";";
    return out;
}

Response streamed(int pieces, int fail_at = -1) {
    Response r;
    r.content_type = "text/plain";
    r.stream = [i = 0, pieces, fail_at](std::string& out) mutable {
        if (i == fail_at) throw std::runtime_error("source vanished");
        out += i == pieces / 2 ? std::string(100000, 'x') : "piece " + std::to_string(i) + ";";
        return ++i < pieces;
    };
    return r;
}

Router stream_router() {
    Router router;
    router.add(Router::Route{{"GET"}, "/stream", [](const Request&, const bundle::Engine&) { return streamed(50); }, ErrorStyle::plain,
                             R"({"summary": "test"})"});
    router.add(Router::Route{{"GET"}, "/broken", [](const Request&, const bundle::Engine&) { return streamed(50, 30); },
                             ErrorStyle::plain, R"({"summary": "test"})"});
    return router;
}

/// Sends `request` on a new connection and reads everything until the server closes it (`closed`
/// false when it did not within 5 s).
std::string exchange(std::uint16_t port, const std::string& request, bool* closed = nullptr) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
    std::string all;
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) break;
        char buf[16384];
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            if (closed != nullptr) *closed = true;
            break;
        }
        all.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return all;
}

/// Decodes a chunked body; nullopt when it is not complete (no last chunk).
std::optional<std::string> dechunk(std::string_view s) {
    std::string out;
    for (;;) {
        const auto eol = s.find("\r\n");
        if (eol == std::string_view::npos) return std::nullopt;
        const std::size_t n = std::stoul(std::string(s.substr(0, eol)), nullptr, 16);
        s.remove_prefix(eol + 2);
        if (n == 0) return out;
        if (s.size() < n + 2) return std::nullopt;
        out.append(s.substr(0, n));
        s.remove_prefix(n + 2);
    }
}

struct Fixture {
    std::unique_ptr<Server> server;
    Fixture() {
        ServerConfig config;
        config.address = "127.0.0.1";
        config.port = 0;
        config.threads = 1;
        server = std::make_unique<Server>(shared_engine(), stream_router(), config);
        server->start();
    }
};

}  // namespace

TEST_CASE("collect_body drains a stream", "[server][stream]") {
    Response r = streamed(5);
    CHECK(collect_body(r) == expected_body(5));
    CHECK_FALSE(r.stream);
    Response plain = Response::text("abc", "text/plain");
    CHECK(collect_body(plain) == "abc");
}

TEST_CASE("a streamed body is sent chunked on HTTP/1.1, whole on HTTP/1.0, not at all for HEAD", "[server][stream][socket]") {
    Fixture f;
    {
        const std::string raw =
            exchange(f.server->port(), "GET /stream HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
        const auto head_end = raw.find("\r\n\r\n");
        REQUIRE(head_end != std::string::npos);
        const std::string head = raw.substr(0, head_end);
        CHECK(head.find("200 OK") != std::string::npos);
        CHECK(head.find("Transfer-Encoding: chunked") != std::string::npos);
        CHECK(head.find("Content-Encoding") == std::string::npos);  // streams are not compressed
        const auto body = dechunk(std::string_view(raw).substr(head_end + 4));
        REQUIRE(body);
        CHECK(*body == expected_body(50));
    }
    {
        Client c(f.server->port());
        REQUIRE(c.send("GET /stream HTTP/1.0\r\nHost: x\r\n\r\n"));
        const auto r = c.read_reply();
        REQUIRE(r);
        CHECK(r->header("transfer-encoding").empty());
        CHECK(r->body == expected_body(50));
    }
    {
        Client c(f.server->port());
        const auto r = c.request("HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n", true);
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body.empty());
        // The connection is still usable (no stray body after the HEAD).
        const auto again = c.request("GET /stream HTTP/1.0\r\nHost: x\r\n\r\n");
        REQUIRE(again);
        CHECK(again->body == expected_body(50));
    }
}

TEST_CASE("a generator failing mid-body closes the connection; the server goes on", "[server][stream][socket]") {
    Fixture f;
    {
        bool closed = false;
        const std::string raw = exchange(f.server->port(), "GET /broken HTTP/1.1\r\nHost: x\r\n\r\n", &closed);
        CHECK(closed);  // a keep-alive request, yet the server hangs up: the body cannot be completed
        const auto head_end = raw.find("\r\n\r\n");
        REQUIRE(head_end != std::string::npos);
        CHECK_FALSE(dechunk(std::string_view(raw).substr(head_end + 4)));  // truncated: no last chunk
    }
    const std::string raw = exchange(f.server->port(), "GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const auto body = dechunk(std::string_view(raw).substr(raw.find("\r\n\r\n") + 4));
    REQUIRE(body);
    CHECK(*body == expected_body(50));
}
