// Token buckets per (client, service family), striped over shards with one mutex each.

#include "geoplex/server/rate_limit.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include "geoplex/core/error.hpp"

namespace geoplex::server {

namespace {

constexpr std::array<std::string_view, service_family_count> family_names = {
    "altimetrie", "navigation", "geocodage", "tiles", "other", "wms-r", "wms-v", "wfs", "telechargement", "recherche", "csw"};
constexpr std::size_t shard_count = 64;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

double burst_of(const RateLimit& l) { return l.burst > 0 ? l.burst : std::max(1.0, l.rate); }

std::chrono::seconds whole_seconds_up(RateLimiter::Clock::duration d) {
    const auto s = std::chrono::ceil<std::chrono::seconds>(d);
    return std::max(s, std::chrono::seconds(1));
}

}  // namespace

std::string_view to_string(ServiceFamily family) noexcept {
    const auto i = static_cast<std::size_t>(family);
    return i < family_names.size() ? family_names[i] : "other";
}

std::optional<ServiceFamily> parse_service_family(std::string_view name) noexcept {
    for (std::size_t i = 0; i < family_names.size(); ++i) {
        if (family_names[i] == name) return static_cast<ServiceFamily>(i);
    }
    return std::nullopt;
}

ServiceFamily service_family_of(std::string_view path) noexcept {
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    std::string_view first = path.substr(0, path.find('/'));
    if (iequals(first, "private") && first.size() < path.size()) {
        path.remove_prefix(first.size() + 1);
        first = path.substr(0, path.find('/'));
    }
    if (iequals(first, "altimetrie")) return ServiceFamily::altimetrie;
    if (iequals(first, "navigation")) return ServiceFamily::navigation;
    if (iequals(first, "geocodage")) return ServiceFamily::geocodage;
    if (iequals(first, "wmts") || iequals(first, "tms") || iequals(first, "tiles")) return ServiceFamily::tiles;
    if (iequals(first, "wms-r") || iequals(first, "wms")) return ServiceFamily::wms_r;
    if (iequals(first, "wms-v")) return ServiceFamily::wms_v;
    if (iequals(first, "wfs") || iequals(first, "ogcapi")) return ServiceFamily::wfs;
    if (iequals(first, "telechargement")) return ServiceFamily::telechargement;
    if (iequals(first, "recherche")) return ServiceFamily::recherche;
    if (iequals(first, "csw")) return ServiceFamily::csw;
    return ServiceFamily::other;
}

void RateLimitConfig::validate(std::vector<std::string>& problems) const {
    for (std::size_t i = 0; i < families.size(); ++i) {
        const auto& l = families[i];
        if (!(l.rate >= 0) || !std::isfinite(l.rate)) {
            problems.push_back(fmt::format("rate_limits.{}: rate must be a finite number ≥ 0 requests per second "
                                           "(0 = unlimited), got {}", family_names[i], l.rate));
        }
        if (!(l.burst >= 0) || !std::isfinite(l.burst)) {
            problems.push_back(fmt::format("rate_limits.{}: burst must be a finite number ≥ 0 (0 = one second's "
                                           "worth), got {}", family_names[i], l.burst));
        } else if (l.burst > 0 && l.burst < 1) {
            problems.push_back(fmt::format("rate_limits.{}: burst must be at least 1 request (or 0), got {}",
                                           family_names[i], l.burst));
        }
    }
    if (block.count() < 0 || block > std::chrono::hours(24)) {
        problems.push_back(fmt::format("rate_limits.block must be between 0 and 86400 seconds, got {} s",
                                       static_cast<double>(block.count()) / 1000.0));
    }
    if (max_clients < 1) problems.emplace_back("rate_limits.max_clients must be at least 1");
}

// ---- buckets --------------------------------------------------------------------------------

struct Bucket {
    double tokens = -1;  // < 0: never used (full)
    RateLimiter::Clock::time_point updated{};
    RateLimiter::Clock::time_point blocked_until{};
};

struct TrackedClient {
    std::array<Bucket, service_family_count> buckets;
    RateLimiter::Clock::time_point last_seen{};
};

struct RateLimiter::Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, TrackedClient> clients;
};

RateLimiter::RateLimiter(RateLimitConfig config)
    : m_config(std::move(config)), m_shards(std::make_unique<Shard[]>(shard_count)) {
    std::vector<std::string> problems;
    m_config.validate(problems);
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    m_shard_capacity = std::max<std::size_t>(1, (m_config.max_clients + shard_count - 1) / shard_count);
    // A client untouched for this long has full buckets and no block: forgetting it changes nothing.
    double longest = 0;
    for (const auto& l : m_config.families) {
        if (l.rate > 0) longest = std::max(longest, burst_of(l) / l.rate);
    }
    m_idle_after = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(longest)) + m_config.block;
}

RateLimiter::~RateLimiter() = default;

RateLimiter::Decision RateLimiter::check(ServiceFamily family, std::string_view client, Clock::time_point now) {
    const auto index = static_cast<std::size_t>(family);
    if (!m_config.enabled || index >= service_family_count) return {};
    const RateLimit& limit = m_config.families[index];
    if (limit.rate <= 0) return {};
    const double burst = burst_of(limit);

    Shard& shard = m_shards[std::hash<std::string_view>{}(client) % shard_count];
    std::lock_guard lock(shard.mutex);
    auto it = shard.clients.find(std::string(client));
    if (it == shard.clients.end()) {
        if (shard.clients.size() >= m_shard_capacity) {
            // Evict the idle clients; if none is idle (many active clients), the least recently
            // seen one, so memory stays bounded (that client starts afresh: fail open).
            auto oldest = shard.clients.end();
            for (auto c = shard.clients.begin(); c != shard.clients.end();) {
                if (now - c->second.last_seen >= m_idle_after) {
                    c = shard.clients.erase(c);
                    continue;
                }
                if (oldest == shard.clients.end() || c->second.last_seen < oldest->second.last_seen) oldest = c;
                ++c;
            }
            if (shard.clients.size() >= m_shard_capacity && oldest != shard.clients.end()) shard.clients.erase(oldest);
        }
        it = shard.clients.emplace(std::string(client), TrackedClient{}).first;
    }
    TrackedClient& c = it->second;
    c.last_seen = std::max(c.last_seen, now);
    Bucket& b = c.buckets[index];
    Decision d;
    d.rate = limit.rate;
    if (now < b.blocked_until) {
        b.blocked_until = now + m_config.block;  // the excess goes on: re-arm
        d.allowed = false;
        d.retry_after = whole_seconds_up(b.blocked_until - now);
        return d;
    }
    if (b.tokens < 0) {
        b.tokens = burst;
        b.updated = now;
    } else if (now > b.updated) {
        const double elapsed = std::chrono::duration<double>(now - b.updated).count();
        b.tokens = std::min(burst, b.tokens + elapsed * limit.rate);
        b.updated = now;
    }
    if (b.tokens >= 1) {
        b.tokens -= 1;
        return d;
    }
    d.allowed = false;
    if (m_config.block.count() > 0) {
        b.blocked_until = now + m_config.block;
        d.retry_after = whole_seconds_up(m_config.block);
    } else {
        d.retry_after = whole_seconds_up(
            std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>((1.0 - b.tokens) / limit.rate)));
    }
    return d;
}

std::size_t RateLimiter::tracked_clients() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < shard_count; ++i) {
        std::lock_guard lock(m_shards[i].mutex);
        n += m_shards[i].clients.size();
    }
    return n;
}

}  // namespace geoplex::server
