#pragma once
// Server metrics in the Prometheus text exposition format (version 0.0.4), served at /metrics.
// Counters are relaxed atomics updated by the I/O threads; one Endpoint per route pattern (the
// pattern, not the raw path, so the number of series stays bounded).

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "geoplex/server/rate_limit.hpp"

namespace geoplex::bundle { class Engine; }

namespace geoplex::server {

class Metrics {
public:
    /// Upper bounds of the latency histogram buckets, in seconds (+Inf is implicit).
    static constexpr std::array<double, 14> latency_buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                               0.1,    0.25,  0.5,    1,     2.5,  5,     10};

    struct Endpoint {
        std::string route;  ///< route pattern, or "(unmatched)", "(options)", "(protocol)"
        std::array<std::atomic<std::uint64_t>, 5> by_class{};  ///< 1xx … 5xx
        std::array<std::atomic<std::uint64_t>, latency_buckets.size() + 1> buckets{};  ///< non-cumulative
        std::atomic<std::uint64_t> sum_us{0};
    };

    Metrics();

    /// The endpoint of a route label; stable address for the life of the Metrics.
    [[nodiscard]] Endpoint& endpoint(std::string_view route);
    /// Records one answered request.
    static void observe(Endpoint& endpoint, int status, std::chrono::microseconds latency) noexcept;

    std::atomic<std::int64_t> in_flight{0};          ///< requests inside a handler now
    std::atomic<std::int64_t> connections{0};        ///< open connections now
    std::atomic<std::uint64_t> connections_refused{0};  ///< over max_connections (503)
    std::atomic<std::uint64_t> handler_exceptions{0};   ///< handlers that threw a non-HTTP error (500)
    std::array<std::atomic<std::uint64_t>, service_family_count> rate_limited{};  ///< 429 per family
    std::atomic<std::uint64_t> reloads_ok{0};
    std::atomic<std::uint64_t> reloads_failed{0};
    std::atomic<std::size_t> rate_limit_clients{0};  ///< set when rendering

    /// The whole exposition: requests, latencies, gauges, and the bundle's info metric.
    [[nodiscard]] std::string render(const bundle::Engine& engine) const;

private:
    std::chrono::steady_clock::time_point m_start;
    double m_start_unix = 0;
    mutable std::mutex m_mutex;  // guards the map (lookups happen once per router build)
    std::deque<Endpoint> m_endpoints;
    std::unordered_map<std::string, Endpoint*> m_by_route;
};

/// Escapes a Prometheus label value (backslash, double quote, newline).
[[nodiscard]] std::string prometheus_label(std::string_view value);

}  // namespace geoplex::server
