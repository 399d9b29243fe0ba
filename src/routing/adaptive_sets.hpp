#pragma once
// Adaptive constraint sets: the Router learns the constraint sets its clients use. A set that
// matches no declared set (routing/ch_recontract.hpp) is counted per (profile, optimization);
// at the `after`-th use a background thread (one per Router, lowest CPU priority) recontracts it
// with recontract_ch_file — the code of the declared sets — into a private cache directory,
// maps it and publishes it as a PrecomputedSet. Until then the A* path answers; after, the plain
// CH query of the declared sets. At most `max_sets` hierarchies per profile, LRU eviction.

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "geoplex/routing/routing.hpp"
#include "routing/detail.hpp"

namespace geoplex::routing::detail {

struct LoadedProfile;
struct PrecomputedSet;

/// One constraint set (per-way factors) seen on one profile.
struct AdaptiveEntry : std::enable_shared_from_this<AdaptiveEntry> {
    const LoadedProfile* profile = nullptr;
    std::uint64_t hash = 0;
    WayCosts costs;                       ///< immutable once created
    bool inert = false;                   ///< every factor 1: CH-verify always answers, never built
    std::vector<Constraint> constraints;  ///< as first seen (names the set in logs)
    struct Slot {                         ///< per optimization; guarded by the registry's mutex
        enum class State : std::uint8_t { idle, queued, ready, failed } state = State::idle;
        std::uint32_t uses = 0;
        std::uint64_t last_use = 0;  ///< LRU tick
        std::shared_ptr<const PrecomputedSet> set;
        std::filesystem::path file;
    };
    std::array<Slot, 2> slots;
};

class AdaptiveSets {
public:
    explicit AdaptiveSets(AdaptiveSetOptions options);
    ~AdaptiveSets();
    AdaptiveSets(const AdaptiveSets&) = delete;
    AdaptiveSets& operator=(const AdaptiveSets&) = delete;

    [[nodiscard]] bool enabled() const noexcept { return m_options.enabled; }
    /// The entry of `wc`'s factors on `lp` (created at first sight). O(ways): a Query calls it
    /// once per constraint set (WayCostsCache), then use() per route leg.
    [[nodiscard]] std::shared_ptr<AdaptiveEntry> entry(const LoadedProfile& lp, const WayCosts& wc,
                                                       const std::vector<Constraint>& constraints);
    /// One use of `e` on optimization `o`: queues its build at the `after`-th use; the set once
    /// published (else nullptr).
    [[nodiscard]] std::shared_ptr<const PrecomputedSet> use(AdaptiveEntry& e, Optimization o);

    [[nodiscard]] ConstraintSetStats stats() const;
    void wait_for_pending() const;

private:
    struct Job {
        std::shared_ptr<AdaptiveEntry> entry;
        Optimization o;
    };
    void run();
    void build(const Job& job);
    void evict_beyond_limit(const LoadedProfile* lp);
    [[nodiscard]] std::filesystem::path directory();

    AdaptiveSetOptions m_options;
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_work, m_idle;
    std::vector<std::shared_ptr<AdaptiveEntry>> m_entries;
    std::deque<Job> m_queue;
    bool m_building = false;
    bool m_stop = false;
    std::uint64_t m_tick = 0, m_files = 0;
    ConstraintSetStats m_stats;
    std::filesystem::path m_dir;  ///< created at the first build
    bool m_own_dir = false;       ///< a fresh temporary directory: removed on close
    std::thread m_thread;         ///< started at the first build
};

}  // namespace geoplex::routing::detail
