#pragma once
// Brute-force references for the routing tests. Deliberately independent of the CH code: a
// textbook Dijkstra over the graph's own CSR arrays (std::priority_queue, no stamps, no
// stalling, no shared helpers).

#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <vector>

#include "geoplex/routing/graph.hpp"

namespace geoplex::routing::test {

/// One-to-all shortest path weights from `source` (64-bit sums: no overflow tricks).
inline std::vector<std::uint64_t> dijkstra_all(const Graph& g, Optimization o, NodeId source) {
    constexpr std::uint64_t inf = UINT64_MAX;
    const auto w = g.weights(o);
    std::vector<std::uint64_t> dist(g.node_count(), inf);
    using Item = std::pair<std::uint64_t, NodeId>;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> q;
    dist[source] = 0;
    q.emplace(0, source);
    while (!q.empty()) {
        const auto [d, x] = q.top();
        q.pop();
        if (d > dist[x]) continue;
        for (auto a = g.first_out[x]; a < g.first_out[x + 1]; ++a) {
            const std::uint64_t nd = d + w[a];
            if (nd < dist[g.head[a]]) {
                dist[g.head[a]] = nd;
                q.emplace(nd, g.head[a]);
            }
        }
    }
    return dist;
}

/// Checks that `arcs` is a connected path from s to t; returns its weight or "" + error.
inline std::string check_path(const Graph& g, Optimization o, const std::vector<ArcId>& arcs, NodeId s, NodeId t,
                              std::uint64_t& weight) {
    weight = 0;
    NodeId at = s;
    for (const ArcId a : arcs) {
        if (a >= g.arc_count()) return "arc id out of range";
        if (a < g.first_out[at] || a >= g.first_out[at + 1]) return "arc does not leave the current node";
        weight += g.weights(o)[a];
        at = g.head[a];
    }
    if (at != t) return "path does not end at the target";
    return {};
}

}  // namespace geoplex::routing::test

#include <random>

#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace geoplex::routing::test {

/// CH distances (and unpacked paths) against plain Dijkstra on sources × targets random
/// node pairs: one full Dijkstra per source, so 100 × 100 = 10 000 pairs stay cheap.
inline void check_ch_against_dijkstra(const Graph& g, const ContractionHierarchy& ch, Optimization o,
                                      std::uint32_t sources, std::uint32_t targets, std::uint32_t seed) {
    REQUIRE(check_graph_for_errors(g).empty());
    REQUIRE(check_ch_for_errors(g, ch).empty());
    std::mt19937 rng(seed);
    std::uniform_int_distribution<NodeId> pick(0, g.node_count() - 1);
    ChQuery q(g, ch);
    std::size_t pairs = 0, mismatches = 0, bad_paths = 0, reachable = 0;
    std::string first_problem;
    for (std::uint32_t i = 0; i < sources; ++i) {
        const NodeId s = pick(rng);
        const auto ref = dijkstra_all(g, o, s);
        for (std::uint32_t j = 0; j < targets; ++j) {
            const NodeId t = pick(rng);
            q.reset().add_source(s).add_target(t).run();
            ++pairs;
            const std::uint64_t expected = ref[t];
            const std::uint64_t got = q.distance() == inf_weight ? UINT64_MAX : q.distance();
            if (expected != got) {
                ++mismatches;
                if (first_problem.empty())
                    first_problem = fmt::format("{} → {}: dijkstra {} CH {}", s, t, expected, got);
                continue;
            }
            if (got == UINT64_MAX) continue;
            ++reachable;
            std::uint64_t w = 0;
            const auto err = check_path(g, o, q.arc_path(), s, t, w);
            if (!err.empty() || w != expected) {
                ++bad_paths;
                if (first_problem.empty())
                    first_problem = fmt::format("{} → {}: unpacked path: {} (weight {} vs {})", s, t, err, w, expected);
            }
        }
    }
    INFO(first_problem);
    CHECK(pairs == std::size_t{sources} * targets);
    CHECK(mismatches == 0);
    CHECK(bad_paths == 0);
    // Every kept node is in one strongly connected component: everything is reachable.
    CHECK(reachable == pairs);
}

}  // namespace geoplex::routing::test
