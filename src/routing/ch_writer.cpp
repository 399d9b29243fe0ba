// Contraction hierarchy file writer: rank-ordered CSR arrays per direction (for unpacking and the
// isochrone sweeps) and the query layout (per rank its forward then its backward arcs, head and
// weight side by side).

#include "routing/ch_writer.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "routing/detail.hpp"
#include "routing/store.hpp"

namespace geoplex::routing::detail {

ChWriter::ChWriter(Optimization optimization, std::span<const NodeId> order)
    : m_optimization(optimization), m_order(order.begin(), order.end()), m_rank(order.size()) {
    for (std::uint32_t r = 0; r < m_order.size(); ++r) m_rank[m_order[r]] = r;
}

void ChWriter::emit(Csr& csr, std::vector<ChUpArc>& list) const {
    for (auto& e : list) {
        e.other = m_rank[e.other];
        if ((e.unpack & ContractionHierarchy::original_arc_flag) == 0) e.unpack = m_rank[e.unpack];
    }
    std::sort(list.begin(), list.end(), [](const ChUpArc& x, const ChUpArc& y) { return x.other < y.other; });
    for (const auto& e : list) {
        csr.head.push_back(e.other);
        csr.weight.push_back(e.w);
        csr.aux.push_back(e.aux);
        csr.unpack.push_back(e.unpack);
    }
    csr.first_out.push_back(static_cast<std::uint32_t>(csr.head.size()));
}

void ChWriter::add_rank(std::vector<ChUpArc>& up_out, std::vector<ChUpArc>& up_in) {
    emit(m_fwd, up_out);
    emit(m_bwd, up_in);
}

namespace {

/// The CSR `in` with its nodes and the node ids it holds (heads, shortcut middles) renumbered by
/// `new_id` (old → new); each list sorted by new head.
template <class Csr>
Csr renumber(const Csr& in, std::span<const std::uint32_t> new_id, std::span<const std::uint32_t> old_id) {
    Csr out;
    const std::size_t m = in.head.size();
    out.first_out.reserve(new_id.size() + 1);
    out.head.reserve(m);
    out.weight.reserve(m);
    out.aux.reserve(m);
    out.unpack.reserve(m);
    std::vector<std::uint32_t> idx;
    for (const std::uint32_t r : old_id) {
        idx.clear();
        for (auto e = in.first_out[r]; e < in.first_out[r + 1]; ++e) idx.push_back(e);
        std::sort(idx.begin(), idx.end(), [&](auto x, auto y) { return new_id[in.head[x]] < new_id[in.head[y]]; });
        for (const auto e : idx) {
            const std::uint32_t u = in.unpack[e];
            out.head.push_back(new_id[in.head[e]]);
            out.weight.push_back(in.weight[e]);
            out.aux.push_back(in.aux[e]);
            out.unpack.push_back((u & ContractionHierarchy::original_arc_flag) != 0 ? u : new_id[u]);
        }
        out.first_out.push_back(static_cast<std::uint32_t>(out.head.size()));
    }
    return out;
}

}  // namespace

void ChWriter::relayout() {
    // Level of a node in the upward DAG: 0 without lower neighbours, else 1 + the highest level
    // among them. Every arc goes from a lower to a strictly higher level, so any order sorted by
    // level is a valid contraction order (heads rank higher, shortcut middles lower than both
    // ends, the PHAST sweep from the top still topological) that keeps the hierarchy's arcs.
    const auto n = static_cast<std::uint32_t>(m_order.size());
    std::vector<std::uint32_t> level(n, 0);
    for (std::uint32_t r = 0; r < n; ++r)
        for (const Csr* csr : {&m_fwd, &m_bwd})
            for (auto e = csr->first_out[r]; e < csr->first_out[r + 1]; ++e)
                level[csr->head[e]] = std::max(level[csr->head[e]], level[r] + 1);
    // Inside a level, graph node id order (the graph builder numbers nodes along a Z-order curve):
    // the nodes a query meets at one level are then near each other in memory.
    std::vector<std::uint32_t> old_id(n);
    for (std::uint32_t r = 0; r < n; ++r) old_id[r] = r;
    std::sort(old_id.begin(), old_id.end(), [&](std::uint32_t x, std::uint32_t y) {
        return level[x] != level[y] ? level[x] < level[y] : m_order[x] < m_order[y];
    });
    std::vector<std::uint32_t> new_id(n);
    for (std::uint32_t i = 0; i < n; ++i) new_id[old_id[i]] = i;
    m_fwd = renumber(m_fwd, new_id, old_id);
    m_bwd = renumber(m_bwd, new_id, old_id);
    std::vector<NodeId> order(n);
    for (std::uint32_t i = 0; i < n; ++i) order[i] = m_order[old_id[i]];
    m_order = std::move(order);
    for (std::uint32_t i = 0; i < n; ++i) m_rank[m_order[i]] = i;
}

std::uint64_t ChWriter::write(const std::filesystem::path& file) {
    const auto n = static_cast<std::uint32_t>(m_order.size());
    if (m_fwd.first_out.size() != std::size_t{n} + 1)
        throw Error(errc::internal, "CH writer: not every rank was added");
    relayout();
    std::vector<std::uint32_t> query_first;
    std::vector<ChArc> query_arcs;
    query_first.reserve(2 * std::size_t{n} + 1);
    query_arcs.reserve(m_fwd.head.size() + m_bwd.head.size());
    for (std::uint32_t r = 0; r < n; ++r)
        for (const Csr* csr : {&m_fwd, &m_bwd}) {
            query_first.push_back(static_cast<std::uint32_t>(query_arcs.size()));
            for (auto e = csr->first_out[r]; e < csr->first_out[r + 1]; ++e)
                query_arcs.push_back({csr->head[e], csr->weight[e]});
        }
    query_first.push_back(static_cast<std::uint32_t>(query_arcs.size()));
    nlohmann::ordered_json meta;
    meta["optimization"] = std::string(to_string(m_optimization));
    meta["nodes"] = n;
    meta["forward_arcs"] = m_fwd.head.size();
    meta["backward_arcs"] = m_bwd.head.size();
    SectionWriter out(file, ch_magic, ch_format_version);
    out.add_text(ch_section::meta, meta.dump());
    out.add(ch_section::rank, m_rank);
    out.add(ch_section::order, m_order);
    out.add(ch_section::fwd_first_out, m_fwd.first_out);
    out.add(ch_section::fwd_head, m_fwd.head);
    out.add(ch_section::fwd_weight, m_fwd.weight);
    out.add(ch_section::fwd_aux, m_fwd.aux);
    out.add(ch_section::fwd_unpack, m_fwd.unpack);
    out.add(ch_section::bwd_first_out, m_bwd.first_out);
    out.add(ch_section::bwd_head, m_bwd.head);
    out.add(ch_section::bwd_weight, m_bwd.weight);
    out.add(ch_section::bwd_aux, m_bwd.aux);
    out.add(ch_section::bwd_unpack, m_bwd.unpack);
    out.add(ch_section::query_first, query_first);
    out.add(ch_section::query_arcs, query_arcs);
    out.finish();
    return m_fwd.head.size() + m_bwd.head.size();
}

}  // namespace geoplex::routing::detail
