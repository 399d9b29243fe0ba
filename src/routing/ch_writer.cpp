// Contraction hierarchy file writer: rank-ordered CSR arrays per direction (for unpacking and the
// isochrone sweeps) and the query layout (per rank its forward then its backward arcs, head,
// weight and aux side by side).

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

std::uint64_t ChWriter::write(const std::filesystem::path& file) {
    const auto n = static_cast<std::uint32_t>(m_order.size());
    if (m_fwd.first_out.size() != std::size_t{n} + 1)
        throw Error(errc::internal, "CH writer: not every rank was added");
    std::vector<std::uint32_t> query_first;
    std::vector<ChArc> query_arcs;
    query_first.reserve(2 * std::size_t{n} + 1);
    query_arcs.reserve(m_fwd.head.size() + m_bwd.head.size());
    for (std::uint32_t r = 0; r < n; ++r)
        for (const Csr* csr : {&m_fwd, &m_bwd}) {
            query_first.push_back(static_cast<std::uint32_t>(query_arcs.size()));
            for (auto e = csr->first_out[r]; e < csr->first_out[r + 1]; ++e)
                query_arcs.push_back({csr->head[e], csr->weight[e], csr->aux[e]});
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
