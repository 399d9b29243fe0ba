#pragma once
// Witness searches of node contraction, shared by the CH builder (priority simulation and
// contraction) and the recontraction of precomputed constraint sets. For each in-arc (u → v) of
// the node v being contracted, a small Dijkstra from u over the remaining graph, avoiding v and
// bounded by the largest via weight, a settled-node budget and a hop limit, looks for a path to
// each out-neighbour of v no longer than the path through v; a pair without one needs a shortcut.
// A missed witness (bounds hit) only adds a superfluous shortcut, never a wrong distance.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "geoplex/routing/routing.hpp"

namespace geoplex::routing::detail {

struct WitnessBounds {
    std::uint32_t settled;
    std::uint32_t hops;
};

/// Reusable scratch (one per thread): epoch-stamped labels and target marks.
class WitnessSearch {
public:
    explicit WitnessSearch(std::uint32_t n) : m_label(n) {}

    /// Calls `emit(in_arc, out_arc, via_weight)` for every (in-arc, out-arc) pair of v that has no
    /// witness. Arcs are any type with `.other` (the neighbour) and `.w`. `arcs_of(x, visit)` calls
    /// `visit(head, weight)` for each arc of the remaining graph leaving x (skipping nodes the
    /// search must not pass through).
    template <class Arcs, class ArcsOf, class Emit>
    void for_each_shortcut(const Arcs& ins, const Arcs& outs, NodeId v, WitnessBounds bounds, ArcsOf&& arcs_of, Emit&& emit) {
        for (const auto& ie : ins) {
            const NodeId u = ie.other;
            next_round();
            Weight limit = 0;
            std::uint32_t targets = 0;
            for (const auto& oe : outs)
                if (oe.other != u) {
                    limit = std::max(limit, ie.w + oe.w);
                    if (m_label[oe.other].target != m_round) {
                        m_label[oe.other].target = m_round;
                        ++targets;
                    }
                }
            if (targets == 0) continue;
            search(u, v, limit, targets, bounds, arcs_of);
            for (const auto& oe : outs) {
                if (oe.other == u) continue;
                const Weight via = ie.w + oe.w;
                if (dist(oe.other) <= via) continue;
                emit(ie, oe, via);
            }
        }
    }

private:
    void next_round() {
        if (++m_round == 0) {
            std::fill(m_label.begin(), m_label.end(), Label{});
            m_round = 1;
        }
    }
    [[nodiscard]] Weight dist(NodeId x) const { return m_label[x].stamp == m_round ? m_label[x].dist : inf_weight; }

    template <class ArcsOf>
    void search(NodeId source, NodeId skip, Weight limit, std::uint32_t targets, WitnessBounds bounds, ArcsOf& arcs_of) {
        using Item = std::pair<Weight, NodeId>;
        m_heap.clear();
        m_label[source].dist = 0;
        m_label[source].hops = 0;
        m_label[source].stamp = m_round;
        m_heap.emplace_back(0, source);
        std::uint32_t settled = 0;
        while (!m_heap.empty()) {
            std::pop_heap(m_heap.begin(), m_heap.end(), std::greater<Item>());
            const auto [d, x] = m_heap.back();
            m_heap.pop_back();
            Label& lx = m_label[x];
            if (d != lx.dist) continue;
            if (d > limit || ++settled > bounds.settled) break;
            if (lx.target == m_round) {
                lx.target = 0;  // settled: its distance is final
                if (--targets == 0) break;
            }
            if (lx.hops >= bounds.hops) continue;
            const std::uint32_t hops = lx.hops + 1;
            arcs_of(x, [&](NodeId head, Weight w) {
                if (head == skip) return;
                const Weight nd = d + w;
                if (nd > limit) return;
                Label& ly = m_label[head];
                if (ly.stamp != m_round || nd < ly.dist) {
                    ly.dist = nd;
                    ly.hops = hops;
                    ly.stamp = m_round;
                    m_heap.emplace_back(nd, head);
                    std::push_heap(m_heap.begin(), m_heap.end(), std::greater<Item>());
                }
            });
        }
    }

    /// Everything a search touches per node, in one cache line access.
    struct Label {
        Weight dist = inf_weight;
        std::uint32_t hops = 0;
        std::uint32_t stamp = 0;   ///< dist/hops valid when == round
        std::uint32_t target = 0;  ///< an unsettled target of this round when == round
    };
    std::vector<Label> m_label;
    std::uint32_t m_round = 0;
    std::vector<std::pair<Weight, NodeId>> m_heap;
};

}  // namespace geoplex::routing::detail
