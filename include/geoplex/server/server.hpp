#pragma once
// The reference HTTP server behind `geoplex serve DIR`: HTTP/1.1 (Boost.Beast, kept out of this
// header) with keep-alive, a fixed pool of threads, CORS, gzip, request limits and an access log,
// serving a Router over a bundle::Engine.
//
//   auto engine = geoplex::bundle::Engine::open("bundle/");
//   geoplex::server::ServerConfig config;
//   config.port = 8080;
//   config.handle_signals = true;                 // SIGINT/SIGTERM stop run() gracefully
//   config.access_log_stream = &std::cout;        // one JSON line per request
//   geoplex::server::Server server(engine, config);
//   server.run();                                 // blocks until stop() or a signal
//
// Tests and embedders use start() (non-blocking), port() and stop() instead of run().

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/progress.hpp"
#include "geoplex/server/altitude_api.hpp"
#include "geoplex/server/geocoder_api.hpp"
#include "geoplex/server/http.hpp"
#include "geoplex/server/metrics.hpp"
#include "geoplex/server/rate_limit.hpp"
#include "geoplex/server/router.hpp"
#include "geoplex/server/routing_api.hpp"
#include "geoplex/server/ogc_api.hpp"
#include "geoplex/server/tiles_api.hpp"
#include "geoplex/server/viewer.hpp"

namespace geoplex::server {

/// The geoplex version the server reports ("0.1.0"), in /health and the Server header.
[[nodiscard]] std::string_view version() noexcept;

/// One served request, as given to ServerConfig::access_log.
struct AccessLogEntry {
    std::string time;               ///< ISO 8601 UTC, microseconds, when the request head arrived
    std::string remote;             ///< client IP address
    std::string method;             ///< "-" when the request line could not be read
    std::string target;             ///< raw request target (path and query), "-" when unknown
    int status = 0;
    std::uint64_t bytes = 0;        ///< response body bytes (after compression; 0 for HEAD)
    std::uint64_t microseconds = 0; ///< from the complete request head to the response written
};
/// The entry as one JSON object on one line (no trailing newline):
/// {"time":"2026-11-21T11:30:00.123456Z","remote":"127.0.0.1","method":"GET","target":"/health","status":200,"bytes":87,"us":41}
[[nodiscard]] std::string format_access_log(const AccessLogEntry& entry);

struct ServerConfig {
    /// Address to listen on ("0.0.0.0", "127.0.0.1", "::").
    std::string address = "0.0.0.0";
    /// TCP port; 0 picks a free one (read it back with Server::port()).
    std::uint16_t port = 8080;
    /// Threads running the I/O and the handlers (one shared io_context).
    unsigned threads = 2;
    /// Largest request line + headers; larger → 431 and the connection is closed.
    std::size_t max_header_bytes = 16 * 1024;
    /// Largest request body (after de-chunking); larger → 413 and the connection is closed.
    std::size_t max_body_bytes = 10 * 1024 * 1024;
    /// Deadline for receiving one complete request (head and body), counted from its first
    /// byte: a client trickling bytes cannot hold a connection longer than this. Also how long
    /// a new connection may take to send its first byte.
    std::chrono::milliseconds read_timeout{10'000};
    /// How long a kept-alive connection may wait for the first byte of its next request.
    std::chrono::milliseconds idle_timeout{30'000};
    /// Deadline for sending one response.
    std::chrono::milliseconds write_timeout{30'000};
    /// stop(): how long in-flight requests may take to finish before the server stops anyway.
    std::chrono::milliseconds shutdown_grace{5'000};
    /// Concurrent connections; further clients get 503 and are closed.
    std::size_t max_connections = 10'000;
    /// Access-Control-Allow-Origin on every response; empty = no CORS headers at all.
    std::string cors_allow_origin = "*";
    /// Bodies at least this large are gzip-compressed when the client accepts gzip.
    std::size_t gzip_min_size = 1024;
    /// zlib level 1 (fast) … 9 (small).
    int gzip_level = 6;
    /// Title of the /openapi.json document.
    std::string openapi_title = "geoplex";
    /// Called once per request (from the I/O threads, concurrently: must be thread-safe).
    std::function<void(const AccessLogEntry&)> access_log;
    /// If set, each request is also written there as a format_access_log line (serialized).
    std::ostream* access_log_stream = nullptr;
    /// Server messages: startup, internal errors with their real message (never sent to
    /// clients), accept failures. Called from the I/O threads.
    std::function<void(core::LogLevel level, std::string_view message)> log;
    /// run() also returns on SIGINT/SIGTERM (graceful stop), via asio::signal_set; SIGHUP
    /// reloads the bundle (see Server::reload).
    bool handle_signals = false;
    /// Per-client limits per service family (429 + Retry-After); off by default.
    RateLimitConfig rate_limits;
    /// Path of the Prometheus metrics route; empty = no route (the counters still run).
    std::string metrics_path = "/metrics";
    /// POST /admin/reload (Server::reload over HTTP). Allowed from loopback addresses only,
    /// unless admin_token is set: then from anywhere with "Authorization: Bearer <token>".
    bool admin_reload = true;
    std::string admin_token;
    /// How Server::reload() opens the new bundle; empty = Engine::open(current directory).
    std::function<bundle::Engine()> reopen_bundle;
    /// Options of the altimetry routes (registered when the bundle has an altitude component).
    AltitudeApiOptions altitude;
    /// Options of the geocoding routes (registered when the bundle has a geocoder component).
    GeocoderApiOptions geocoder;
    /// Options of the routing routes (registered when the bundle has a routing component).
    RoutingApiOptions routing;
    /// Options of the tile routes (registered when the bundle has a tiles component).
    TilesApiOptions tiles;
    /// Options of the WMS, WFS and OGC API Features routes (registered with the tile routes).
    OgcApiOptions ogc;
    /// The web map at "/" (when its files are found; see viewer.hpp).
    ViewerOptions viewer;
    /// Routes added after the components' on every (re)build of the default router, e.g. the
    /// catalog's /api/… (add_catalog_routes); empty = none.
    std::function<void(Router&)> more_routes;

    /// Throws InvalidArgument listing every bad value.
    void validate() const;
};

/// The routes of `geoplex serve`: GET /health, GET /openapi.json, and the API of every component
/// the bundle has (altitude, geocoder, routing, tiles). `add_more` (optional) adds routes before the OpenAPI document is generated,
/// so they appear in it.
[[nodiscard]] Router make_default_router(const ServerConfig& config, const bundle::Engine& engine,
                                         const std::function<void(Router&)>& add_more = {});

class Server {
public:
    /// Serves make_default_router(config, engine). Throws InvalidArgument for a bad config.
    explicit Server(bundle::Engine engine, ServerConfig config = {});
    /// Serves a custom router (a portal's own routes).
    Server(bundle::Engine engine, Router router, ServerConfig config = {});
    ~Server();  ///< stop()s
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds, listens and starts the threads; returns at once. Throws IoError when the address
    /// cannot be bound. A Server runs once: after stop() it cannot be started again.
    void start();
    /// start() (if not started), then blocks until stop() is called from another thread or,
    /// with config.handle_signals, SIGINT/SIGTERM arrives; returns once fully stopped.
    void run();
    /// Graceful and idempotent: stops accepting, closes idle keep-alive connections, lets
    /// in-flight requests finish within config.shutdown_grace, then stops the threads. Blocks
    /// until done. Do not call it from a handler (that would join its own thread).
    void stop();
    /// Asks run() to return (async-signal-unsafe; from any thread, including handlers).
    void request_stop();

    /// The bound port (useful with port 0); 0 before start().
    [[nodiscard]] std::uint16_t port() const noexcept;
    [[nodiscard]] bool running() const noexcept;
    [[nodiscard]] const ServerConfig& config() const noexcept;

    /// Hot reload: requests that start after this call see `engine`; in-flight ones finish on
    /// the old one. With the default router, the routes are rebuilt for the new bundle.
    void set_engine(bundle::Engine engine);
    [[nodiscard]] bundle::Engine engine() const;
    /// Opens the bundle again (config.reopen_bundle, or the current engine's directory, where
    /// `geoplex build` installs a new bundle atomically) and set_engine()s it. On failure the
    /// old bundle keeps serving and the error is thrown. Serialized; safe from any thread.
    /// Called by SIGHUP (with handle_signals) and POST /admin/reload.
    void reload();
    /// The live counters behind /metrics.
    [[nodiscard]] const Metrics& metrics() const noexcept;

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

}  // namespace geoplex::server
