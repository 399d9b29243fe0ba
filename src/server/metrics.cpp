// Prometheus text exposition of the server's counters.

#include "geoplex/server/metrics.hpp"

#include <fmt/format.h>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/version.hpp"

namespace geoplex::server {

namespace {

constexpr std::array<std::string_view, 5> class_names = {"1xx", "2xx", "3xx", "4xx", "5xx"};

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

std::string number(double v) { return fmt::format("{}", v); }

}  // namespace

std::string prometheus_label(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

Metrics::Metrics()
    : m_start(std::chrono::steady_clock::now()),
      m_start_unix(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count()) {}

Metrics::Endpoint& Metrics::endpoint(std::string_view route) {
    std::lock_guard lock(m_mutex);
    const auto it = m_by_route.find(std::string(route));
    if (it != m_by_route.end()) return *it->second;
    Endpoint& e = m_endpoints.emplace_back();
    e.route = std::string(route);
    m_by_route.emplace(e.route, &e);
    return e;
}

void Metrics::observe(Endpoint& e, int status, std::chrono::microseconds latency) noexcept {
    const int cls = status / 100;
    if (cls >= 1 && cls <= 5) e.by_class[static_cast<std::size_t>(cls - 1)].fetch_add(1, std::memory_order_relaxed);
    const double seconds = static_cast<double>(latency.count()) / 1e6;
    std::size_t b = 0;
    while (b < latency_buckets.size() && seconds > latency_buckets[b]) ++b;
    e.buckets[b].fetch_add(1, std::memory_order_relaxed);
    e.sum_us.fetch_add(static_cast<std::uint64_t>(latency.count()), std::memory_order_relaxed);
}

std::string Metrics::render(const bundle::Engine& engine) const {
    std::string out;
    out.reserve(8192);
    std::lock_guard lock(m_mutex);

    header(out, "geoplex_http_requests_total", "counter",
           "HTTP requests answered, by route pattern and status class (4xx/5xx are the errors).");
    for (const auto& e : m_endpoints) {
        const auto label = prometheus_label(e.route);
        for (std::size_t c = 0; c < class_names.size(); ++c) {
            const auto n = e.by_class[c].load(std::memory_order_relaxed);
            if (n != 0) out += fmt::format("geoplex_http_requests_total{{route=\"{}\",code=\"{}\"}} {}\n", label, class_names[c], n);
        }
    }
    header(out, "geoplex_http_request_duration_seconds", "histogram",
           "Time from the complete request head to the last byte of the response, by route pattern.");
    for (const auto& e : m_endpoints) {
        std::uint64_t count = 0;
        for (const auto& b : e.buckets) count += b.load(std::memory_order_relaxed);
        if (count == 0) continue;
        const auto label = prometheus_label(e.route);
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b < latency_buckets.size(); ++b) {
            cumulative += e.buckets[b].load(std::memory_order_relaxed);
            out += fmt::format("geoplex_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", label,
                               number(latency_buckets[b]), cumulative);
        }
        cumulative += e.buckets.back().load(std::memory_order_relaxed);
        out += fmt::format("geoplex_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", label, cumulative);
        out += fmt::format("geoplex_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", label,
                           number(static_cast<double>(e.sum_us.load(std::memory_order_relaxed)) / 1e6));
        out += fmt::format("geoplex_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", label, cumulative);
    }

    header(out, "geoplex_http_requests_in_flight", "gauge", "Requests being handled now.");
    out += fmt::format("geoplex_http_requests_in_flight {}\n", in_flight.load(std::memory_order_relaxed));
    header(out, "geoplex_http_connections_open", "gauge", "Open client connections.");
    out += fmt::format("geoplex_http_connections_open {}\n", connections.load(std::memory_order_relaxed));
    header(out, "geoplex_http_connections_refused_total", "counter", "Connections refused with 503 (max_connections).");
    out += fmt::format("geoplex_http_connections_refused_total {}\n", connections_refused.load(std::memory_order_relaxed));
    header(out, "geoplex_http_handler_exceptions_total", "counter",
           "Handlers that failed with an internal error (answered 500, details in the server log).");
    out += fmt::format("geoplex_http_handler_exceptions_total {}\n", handler_exceptions.load(std::memory_order_relaxed));
    header(out, "geoplex_http_rate_limited_total", "counter", "Requests refused with 429, by service family.");
    for (std::size_t f = 0; f < service_family_count; ++f) {
        out += fmt::format("geoplex_http_rate_limited_total{{family=\"{}\"}} {}\n", to_string(static_cast<ServiceFamily>(f)),
                           rate_limited[f].load(std::memory_order_relaxed));
    }
    header(out, "geoplex_rate_limit_clients", "gauge", "Client addresses tracked by the rate limiter.");
    out += fmt::format("geoplex_rate_limit_clients {}\n", rate_limit_clients.load(std::memory_order_relaxed));
    header(out, "geoplex_bundle_reloads_total", "counter", "Bundle reloads (SIGHUP, POST /admin/reload), by result.");
    out += fmt::format("geoplex_bundle_reloads_total{{result=\"ok\"}} {}\n", reloads_ok.load(std::memory_order_relaxed));
    out += fmt::format("geoplex_bundle_reloads_total{{result=\"error\"}} {}\n", reloads_failed.load(std::memory_order_relaxed));

    const double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    header(out, "geoplex_uptime_seconds", "gauge", "Seconds since the server was created.");
    out += fmt::format("geoplex_uptime_seconds {:.3f}\n", uptime);
    header(out, "geoplex_start_time_seconds", "gauge", "Unix time the server was created.");
    out += fmt::format("geoplex_start_time_seconds {:.3f}\n", m_start_unix);
    const auto& m = engine.manifest();
    header(out, "geoplex_bundle_info", "gauge", "The bundle being served (value is always 1).");
    out += fmt::format(
        "geoplex_bundle_info{{name=\"{}\",created=\"{}\",components=\"{}\",directory=\"{}\",version=\"{}\"}} 1\n",
        prometheus_label(m.name), prometheus_label(m.created), prometheus_label(fmt::format("{}", fmt::join(m.components, ","))),
        prometheus_label(engine.directory().string()), prometheus_label(geoplex::version));
    return out;
}

}  // namespace geoplex::server
