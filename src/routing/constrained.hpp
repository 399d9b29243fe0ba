#pragma once
// Exact shortest paths on constrained weights (Road2 `banned` / `preferred` / `unpreferred`)
// without re-customising the contraction hierarchy:
//   1. CH then verify: with no factor < 1 the unconstrained CH distance is a lower bound of the
//      constrained one, so when the CH path crosses only ways of factor exactly 1 it IS the
//      constrained optimum (a CH query + an unpack, microseconds).
//   2. Otherwise A* on the constrained weights with CH potentials (Strasser & Zeitz, 2021): the
//      potential of a node is its exact UNCONSTRAINED distance to the targets, computed lazily
//      from one backward CH search (every upward search space of the nodes A* touches, memoised).
//      Bans and factors >= 1 only raise weights, so it stays a consistent lower bound; with a
//      factor < 1 it is scaled by a constant c <= min(scaled(w, f) / w) (integer arithmetic).
// No preprocessing and no file: the CH of the bundle is all it needs. A bundle may also declare
// constraint sets whose hierarchies are precomputed (routing/ch_recontract.hpp), and the Router
// builds hierarchies for the sets its clients use (routing/adaptive_sets.hpp): a request with
// the same per-way factors then gets a plain CH query on them (query.cpp) instead.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "routing/detail.hpp"

namespace geoplex::routing::detail {

/// A constrained arc weight: w × factor, rounded, at least 1 (factor > 0; 0 = banned).
[[nodiscard]] inline Weight constrained_weight(Weight w, double factor) {
    return static_cast<Weight>(std::max(1.0, std::round(static_cast<double>(w) * factor)));
}

/// The smallest factor > 0 of `wc` (1 when none): lower bounds are scaled by it when < 1.
[[nodiscard]] double min_factor(const WayCosts& wc);

/// A start or end of a search: a graph node and the weight of the partial piece before/after it.
struct SearchSeed {
    NodeId node = invalid_id;
    Weight weight = 0;
};

struct ConstrainedPath {
    Weight weight = inf_weight;  ///< constrained weight (seeds included); inf_weight = none below the bound
    NodeId source = invalid_id;  ///< seed node the path starts at
    NodeId target = invalid_id;  ///< seed node it ends at
    std::vector<ArcId> arcs;     ///< graph arcs, source to target
};

struct LoadedProfile;
struct PrecomputedSet;
struct AdaptiveEntry;
class AdaptiveSets;

/// The WayCosts of the last constraint set seen on a graph (a Query keeps one: evaluating the
/// constraints visits every way, which costs more than the search on large graphs, and requests
/// tend to repeat the same constraints).
class WayCostsCache {
public:
    const WayCosts& get(const Graph& g, const std::vector<Constraint>& constraints);
    /// min_factor() of the last get().
    [[nodiscard]] double min_factor() const noexcept { return m_min_factor; }
    /// Every factor of the last get() is 1 (e.g. a ban on motorways where there are none): the
    /// unconstrained CH answers exactly.
    [[nodiscard]] bool inert() const noexcept { return m_inert; }
    /// Weakly connected component of every node of `g` (the graph of the last get()) over the
    /// arcs the constraints allow, computed at the first call: bans that cut the graph (bridges
    /// over a river) would otherwise make a search exhaust the start's side before "no route".
    std::span<const std::uint32_t> components(const Graph& g);
    /// The constraint set of `lp` (the profile of the last get()) with the same factors, or
    /// nullptr: a declared one (routing/ch_recontract.hpp; not owned) looked up once per
    /// constraint set, else the adaptive one of `registry` (routing/adaptive_sets.hpp; this
    /// call counts as one use of it on `o`, and returns it once built).
    std::shared_ptr<const PrecomputedSet> precomputed(const LoadedProfile& lp, Optimization o,
                                                      AdaptiveSets* registry);

private:
    const void* m_graph = nullptr;
    std::vector<Constraint> m_constraints;
    WayCosts m_costs;
    double m_min_factor = 1.0;
    bool m_inert = false;
    std::vector<std::uint32_t> m_component;
    bool m_set_checked = false;
    const PrecomputedSet* m_set = nullptr;
    std::shared_ptr<AdaptiveEntry> m_entry;  ///< in the registry, when no declared set matches
};

/// What the last run did (benchmarks and tests look at it).
struct ConstrainedStats {
    bool ch_path = false;          ///< answered by the verified CH path (step 1)
    std::uint64_t settled = 0;     ///< A* nodes settled
    std::uint64_t potentials = 0;  ///< CH nodes whose potential was computed
};

/// Reusable scratch state (one per thread, sized to the largest graph seen).
class ConstrainedSearch {
public:
    /// Best path from `sources` to `targets` on the weights of `o` × `wc`, or weight inf_weight
    /// when none is lighter than `bound`. `ch` is the hierarchy of `o`; `ch_query` a query on it
    /// (its scratch state is reused for step 1). `wc.any` must be true and `least` = min_factor(wc).
    /// `component` (WayCostsCache::components, optional) answers "none" at once across components.
    ConstrainedPath run(const Graph& g, const ContractionHierarchy& ch, ChQuery& ch_query, Optimization o,
                        const WayCosts& wc, double least, std::span<const SearchSeed> sources,
                        std::span<const SearchSeed> targets, Weight bound = inf_weight,
                        std::span<const std::uint32_t> component = {});
    /// Same answer without step 1 (tests compare both).
    ConstrainedPath run_astar(const Graph& g, const ContractionHierarchy& ch, Optimization o, const WayCosts& wc,
                              double least, std::span<const SearchSeed> sources, std::span<const SearchSeed> targets,
                              Weight bound = inf_weight);
    [[nodiscard]] const ConstrainedStats& stats() const noexcept { return m_stats; }

private:
    void ensure(std::uint32_t n);
    void backward_search(const ContractionHierarchy& ch, std::span<const SearchSeed> targets);
    [[nodiscard]] Weight potential(const ContractionHierarchy& ch, NodeId rank);

    std::uint32_t m_round = 0;
    // A* labels per graph node
    std::vector<Weight> m_dist;
    std::vector<std::uint32_t> m_stamp;
    std::vector<ArcId> m_parent_arc;
    std::vector<NodeId> m_parent;
    // backward CH distances and memoised potentials per rank
    std::vector<Weight> m_bdist, m_pot;
    std::vector<std::uint32_t> m_bstamp, m_pstamp;
    std::vector<std::pair<std::uint64_t, NodeId>> m_heap;
    std::vector<NodeId> m_stack;
    ConstrainedStats m_stats;
};

}  // namespace geoplex::routing::detail
