#pragma once
// Writes a contraction hierarchy file from the upward arcs of each contraction step. Shared by the
// CH builder (its own node order) and any other producer of a hierarchy over the same graph (e.g.
// a hierarchy recontracted for another metric in a given order).

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "geoplex/routing/routing.hpp"

namespace geoplex::routing::detail {

/// One upward arc of a contracted node, in graph node ids (not ranks). `unpack` is
/// `ContractionHierarchy::original_arc_flag | arc` for an original arc, else the graph id of the
/// shortcut's middle node.
struct ChUpArc {
    NodeId other;
    Weight w;
    Weight aux;
    std::uint32_t unpack;
};

class ChWriter {
public:
    /// `order[r]` = graph node contracted at step r (every node exactly once).
    ChWriter(Optimization optimization, std::span<const NodeId> order);
    /// The arcs of the node of the next rank: its out-arcs and in-arcs to higher nodes (any order;
    /// the vectors are sorted in place).
    void add_rank(std::vector<ChUpArc>& up_out, std::vector<ChUpArc>& up_in);
    /// Writes the file once every rank was added; returns the number of CH arcs. The ids in the
    /// file are not the contraction steps: nodes are renumbered by level in the upward DAG, then
    /// graph node id (see relayout), an order as valid as the contraction order and more local.
    std::uint64_t write(const std::filesystem::path& file);

private:
    struct Csr {
        std::vector<std::uint32_t> first_out{0}, unpack;
        std::vector<NodeId> head;
        std::vector<Weight> weight, aux;
    };
    void emit(Csr& csr, std::vector<ChUpArc>& list) const;
    /// Renumbers the ranks for locality (by level in the upward DAG, then graph node id).
    void relayout();

    Optimization m_optimization;
    std::vector<NodeId> m_order, m_rank;
    Csr m_fwd, m_bwd;
};

}  // namespace geoplex::routing::detail
