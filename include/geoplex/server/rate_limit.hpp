#pragma once
// Per-client rate limits per service family, as the Géoplateforme applies them: a token bucket
// per (client IP, family); over the limit → 429 with Retry-After, and the client is blocked on
// that family for `block` (5 s on the Géoplateforme), re-armed by every refused request.
//
//   RateLimitConfig config;                  // the Géoplateforme's rates
//   config.enabled = true;
//   RateLimiter limiter(config);
//   auto d = limiter.check(ServiceFamily::altimetrie, "203.0.113.7");
//   if (!d.allowed) { /* 429, Retry-After: d.retry_after.count() */ }
//
// Memory is bounded: at most max_clients clients are tracked (striped over shards, each with
// its own mutex); idle clients (bucket full again, no block) are evicted first.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace geoplex::server {

/// The service families that have their own limit (the first segment of the path).
enum class ServiceFamily : std::uint8_t {
    altimetrie,  ///< /altimetrie/…
    navigation,  ///< /navigation/… (routes, isochrones, nearest)
    geocodage,   ///< /geocodage/… (search, reverse, completion)
    tiles,       ///< /wmts, /tms/…, /tiles/…
    other,       ///< everything else (/health, /openapi.json, /metrics, /)
    wms_r,       ///< /wms-r/…, /wms (raster WMS)
    wms_v,       ///< /wms-v/… (vector WMS)
    wfs,         ///< /wfs/…, /ogcapi/… (features)
    telechargement,  ///< /telechargement/… (downloads)
    recherche,   ///< /recherche/… (layer search)
    csw,         ///< /csw (catalogue service)
};
inline constexpr std::size_t service_family_count = 11;

[[nodiscard]] std::string_view to_string(ServiceFamily family) noexcept;
/// "altimetrie", "navigation", "geocodage", "tiles", "other", "wms-r", "wms-v", "wfs",
/// "telechargement", "recherche" or "csw"; nullopt otherwise.
[[nodiscard]] std::optional<ServiceFamily> parse_service_family(std::string_view name) noexcept;
/// The family of a path or route pattern, from its first segment (case-insensitive); a leading
/// "/private" segment is skipped (restricted services share their open family's limit).
[[nodiscard]] ServiceFamily service_family_of(std::string_view path) noexcept;

struct RateLimit {
    /// Requests per second; 0 = unlimited.
    double rate = 0;
    /// Bucket size (requests allowed at once); 0 = max(1, rate), i.e. one second's worth.
    double burst = 0;
};

struct RateLimitConfig {
    /// Off unless turned on (the CLI turns it on when the config file has [rate_limits]).
    bool enabled = false;
    /// Per family, indexed by ServiceFamily. Defaults: the Géoplateforme's published limits
    /// (altimetry 5/s, routing 10/s, geocoding 50/s, WMS-R 40/s, WMS-V 50/s, WFS 30/s,
    /// download 10/s, layer search 10/s, CSW 15/s; tiles and the rest unlimited).
    std::array<RateLimit, service_family_count> families{
        RateLimit{5, 0},  RateLimit{10, 0}, RateLimit{50, 0}, RateLimit{0, 0},  RateLimit{0, 0},
        RateLimit{40, 0}, RateLimit{50, 0}, RateLimit{30, 0}, RateLimit{10, 0}, RateLimit{10, 0},
        RateLimit{15, 0}};
    /// After a refusal the client is refused on that family for this long; every refused
    /// request re-arms it (Retry-After stays at 5 while the excess lasts, then counts down).
    /// 0 = no block: Retry-After is the time until the next token.
    std::chrono::milliseconds block{5'000};
    /// Most clients tracked at once (memory ≈ 200 bytes each).
    std::size_t max_clients = 100'000;
    /// Identify clients by the last address of X-Forwarded-For (set by your proxy) instead of
    /// the TCP peer. Only turn on behind a proxy that sets it: clients can forge it otherwise.
    bool trust_forwarded_for = false;

    [[nodiscard]] RateLimit& operator[](ServiceFamily f) { return families[static_cast<std::size_t>(f)]; }
    [[nodiscard]] const RateLimit& operator[](ServiceFamily f) const { return families[static_cast<std::size_t>(f)]; }
    /// Appends a message per bad value ("rate_limits.navigation.rate must be ≥ 0 (got -1)").
    void validate(std::vector<std::string>& problems) const;
};

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    explicit RateLimiter(RateLimitConfig config);
    ~RateLimiter();
    RateLimiter(const RateLimiter&) = delete;
    RateLimiter& operator=(const RateLimiter&) = delete;

    struct Decision {
        bool allowed = true;
        /// Whole seconds to wait (≥ 1) when refused; 0 when allowed.
        std::chrono::seconds retry_after{0};
        /// The limit that applied (requests per second), for the message.
        double rate = 0;
    };
    /// Takes one token for `client` in `family` at time `now` (tests pass their own clock).
    /// Thread-safe. Always allowed when disabled or when the family is unlimited.
    [[nodiscard]] Decision check(ServiceFamily family, std::string_view client, Clock::time_point now);
    [[nodiscard]] Decision check(ServiceFamily family, std::string_view client) {
        return check(family, client, Clock::now());
    }
    /// Clients currently tracked (for /metrics and tests).
    [[nodiscard]] std::size_t tracked_clients() const;
    [[nodiscard]] const RateLimitConfig& config() const noexcept { return m_config; }

private:
    struct Shard;
    RateLimitConfig m_config;
    std::unique_ptr<Shard[]> m_shards;
    std::size_t m_shard_capacity = 0;
    Clock::duration m_idle_after{};  // a client untouched this long is back to a full bucket
};

}  // namespace geoplex::server
