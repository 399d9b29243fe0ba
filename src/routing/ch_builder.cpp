// Contraction hierarchy preprocessing.
//
// Node order: contraction in rounds of independent sets. Priority = shortcuts added per arc
// removed, original arcs stood for by the shortcuts per original arc removed, contracted
// neighbours and depth in the hierarchy; each round contracts every node whose (priority, id) is
// below all its neighbours', the batch's witness searches running on every core and avoiding the
// whole batch, then the neighbours' priorities are recomputed (in parallel; a neighbour of more
// than 8 arcs is simulated again only once 1/8 of its arcs changed, else its simulated term is
// kept, and a chosen node with a stale term is simulated again before the round and waits if it
// is no longer a local minimum). Witness searches are
// small Dijkstras on epoch-stamped scratch arrays, bounded by the largest via-weight, a hop limit
// and a settled-node budget, and they stop as soon as every target is settled. A missed witness
// only adds a superfluous shortcut, never a wrong distance, so the result stays exact whatever the
// bounds; the order and the shortcuts do not depend on the number of threads.
// Adjacency is a pair of small vectors per node; a contracted node's remaining arcs move into
// the output (they all go up the hierarchy). The witness searches read a flat copy of the
// remaining out-arcs, rebuilt after each round.

#include <algorithm>
#include <atomic>
#include <numeric>
#include <thread>

#include <fmt/format.h>

#include "geoplex/core/error.hpp"
#include "routing/detail.hpp"
#include "routing/ch_writer.hpp"
#include "routing/witness.hpp"

namespace geoplex::routing::detail {

namespace {

struct DEdge {
    NodeId other;
    Weight w;
    Weight aux;
    std::uint32_t unpack;
    std::uint32_t hops;  ///< original arcs this arc stands for
};

struct Shortcut {
    NodeId from, to;
    Weight w, aux;
    std::uint32_t hops;
};

using Adjacency = std::vector<std::vector<DEdge>>;

/// The remaining graph's out-arcs as the witness searches read them: (head, weight) runs in one
/// flat array, rebuilt after every round (node v's run: arcs[first[v], first[v] + count[v])).
/// Rebuilding costs O(remaining arcs) per round; the searches then walk contiguous memory
/// instead of one heap block of 20-byte edges per node.
struct FlatGraph {
    struct Arc {
        NodeId head;
        Weight w;
    };
    std::vector<std::uint32_t> first, count;
    std::vector<Arc> arcs;
};

/// Search bounds: simulation (priorities) vs the actual contraction.
using Bounds = WitnessBounds;
constexpr Bounds simulate_bounds{30, 4};
constexpr Bounds contract_bounds{1000, 64};
constexpr bool two_hop_independence = true;
/// A touched node is simulated again once its contracted neighbours since its last simulation
/// reach 1/lazy_factor of its arcs (every time for nodes of ≤ 8 arcs; see update_priority).
constexpr std::uint32_t lazy_factor = 8;

/// Reusable witness-search scratch (one per thread).
class Witness {
public:
    explicit Witness(std::uint32_t n) : m_search(n) {}

    /// Shortcuts needed to contract v; appended to `out` when given. Returns (count, hops).
    /// `blocked` (may be null): nodes the searches must not pass through (the batch being contracted).
    std::pair<std::uint32_t, std::uint32_t> shortcuts(const Adjacency& out_adj, const Adjacency& in_adj,
                                                      const FlatGraph& flat, NodeId v, Bounds bounds,
                                                      std::vector<Shortcut>* out,
                                                      const std::uint8_t* blocked = nullptr) {
        std::uint32_t count = 0, hops = 0;
        const auto emit = [&](const DEdge& ie, const DEdge& oe, Weight via) {
            ++count;
            hops += ie.hops + oe.hops;
            if (out != nullptr) out->push_back({ie.other, oe.other, via, ie.aux + oe.aux, ie.hops + oe.hops});
        };
        const auto arcs_of = [&flat, blocked](NodeId x, auto&& visit) {
            const FlatGraph::Arc* arcs = flat.arcs.data() + flat.first[x];
            for (std::uint32_t i = 0, end = flat.count[x]; i < end; ++i)
                if (blocked == nullptr || blocked[arcs[i].head] == 0) visit(arcs[i].head, arcs[i].w);
        };
        m_search.for_each_shortcut(in_adj[v], out_adj[v], v, bounds, arcs_of, emit);
        return {count, hops};
    }

private:
    WitnessSearch m_search;
};

/// Runs fn(i, thread) for i in [0, count) on `threads` threads (chunks taken from a shared counter);
/// inline when the work is small. fn must only write to its own i / thread slots.
template <typename Fn>
void parallel_for(std::size_t count, unsigned threads, Fn&& fn) {
    constexpr std::size_t chunk = 64;
    if (threads <= 1 || count < 4 * chunk) {
        for (std::size_t i = 0; i < count; ++i) fn(i, 0U);
        return;
    }
    std::atomic<std::size_t> next{0};
    auto work = [&](unsigned t) {
        for (;;) {
            const std::size_t begin = next.fetch_add(chunk, std::memory_order_relaxed);
            if (begin >= count) return;
            for (std::size_t i = begin; i < std::min(count, begin + chunk); ++i) fn(i, t);
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
    for (auto& th : pool) th.join();
}

/// Contraction in rounds: each round contracts an independent set of nodes (every node whose
/// (priority, id) is smaller than all its neighbours'), its witness searches in parallel and
/// avoiding the whole set, so every witness path survives the round; the shortcuts are then
/// applied in node order and the neighbours' priorities recomputed in parallel. The result does
/// not depend on the number of threads.
class Contractor {
public:
    Contractor(std::uint32_t n, unsigned threads)
        : m_threads(threads), m_out(n), m_in(n), m_contracted(n, 0), m_depth(n, 0), m_deleted(n, 0) {
        for (unsigned t = 0; t < threads; ++t) m_witness.emplace_back(n);
        up_out.reserve(n);
        up_in.reserve(n);
        order.reserve(n);
    }

    static void insert(std::vector<DEdge>& list, const DEdge& e) {
        for (auto& x : list)
            if (x.other == e.other) {
                if (e.w < x.w) x = e;
                return;
            }
        list.push_back(e);
    }
    void add_arc(NodeId t, NodeId h, Weight w, Weight aux, std::uint32_t unpack, std::uint32_t hops) {
        if (t == h) return;
        insert(m_out[t], {h, w, aux, unpack, hops});
        insert(m_in[h], {t, w, aux, unpack, hops});
    }

    /// Full priority: simulates v's contraction (witness searches) and stores the simulated term.
    [[nodiscard]] float priority(NodeId v, Witness& w) {
        m_sim[v] = simulated_term(v, w);
        m_stale[v] = 0;
        return m_sim[v] + cheap_terms(v);
    }
    /// Priority after neighbours were contracted: the simulation is re-run only once the
    /// contracted neighbours since the last one reach 1/lazy_factor of v's arcs, else the last
    /// simulated term is kept (the cheap terms are always fresh).
    [[nodiscard]] float update_priority(NodeId v, Witness& w) {
        const auto degree = static_cast<std::uint32_t>(m_out[v].size() + m_in[v].size());
        if (m_stale[v] * lazy_factor >= degree) return priority(v, w);
        return m_sim[v] + cheap_terms(v);
    }
    [[nodiscard]] float cheap_terms(NodeId v) const {
        return static_cast<float>(m_deleted[v]) + 0.5F * static_cast<float>(m_depth[v]);
    }
    [[nodiscard]] float simulated_term(NodeId v, Witness& w) const {
        const auto [added, added_hops] = w.shortcuts(m_out, m_in, m_flat, v, simulate_bounds, nullptr);
        std::uint32_t removed = 0, removed_hops = 0;
        for (const auto* list : {&m_out[v], &m_in[v]})
            for (const DEdge& e : *list) {
                ++removed;
                removed_hops += e.hops;
            }
        const float edge_quotient = static_cast<float>(added) / static_cast<float>(std::max<std::uint32_t>(1, removed));
        const float hop_quotient =
            static_cast<float>(added_hops) / static_cast<float>(std::max<std::uint32_t>(1, removed_hops));
        return 8.0F * edge_quotient + 8.0F * hop_quotient;
    }

    /// Contracts every node; `progress(done)` after each round.
    template <typename Progress>
    void run(Progress&& progress) {
        const auto n = static_cast<std::uint32_t>(m_out.size());
        m_prio.resize(n);
        m_sim.resize(n);
        m_stale.assign(n, 0);
        std::vector<NodeId> remaining(n);
        std::iota(remaining.begin(), remaining.end(), 0U);
        m_flat.first.assign(n, 0);
        m_flat.count.assign(n, 0);
        flatten(remaining);
        parallel_for(n, m_threads, [&](std::size_t v, unsigned t) {
            m_prio[v] = priority(static_cast<NodeId>(v), m_witness[t]);
        });
        std::vector<std::uint8_t> chosen;
        std::vector<NodeId> batch, touched;
        std::vector<std::size_t> stale;
        std::vector<std::vector<Shortcut>> shortcuts;
        while (!remaining.empty()) {
            chosen.assign(remaining.size(), 0);
            parallel_for(remaining.size(), m_threads,
                         [&](std::size_t i, unsigned) { chosen[i] = local_minimum(remaining[i]) ? 1 : 0; });
            // Lazy check: a chosen node whose simulation is stale is simulated again; it waits for a
            // later round if it is no longer a local minimum (its 2-hop neighbours are not chosen, so
            // their priorities did not change and the set stays independent).
            stale.clear();
            for (std::size_t i = 0; i < remaining.size(); ++i)
                if (chosen[i] != 0 && m_stale[remaining[i]] != 0) stale.push_back(i);
            parallel_for(stale.size(), m_threads, [&](std::size_t k, unsigned t) {
                const NodeId v = remaining[stale[k]];
                m_prio[v] = priority(v, m_witness[t]);
            });
            parallel_for(stale.size(), m_threads, [&](std::size_t k, unsigned) {
                if (!local_minimum(remaining[stale[k]])) chosen[stale[k]] = 0;
            });
            batch.clear();
            std::size_t kept = 0;
            for (std::size_t i = 0; i < remaining.size(); ++i)
                if (chosen[i] != 0) batch.push_back(remaining[i]);
                else remaining[kept++] = remaining[i];
            remaining.resize(kept);
            for (const NodeId v : batch) m_contracted[v] = 1;
            if (shortcuts.size() < batch.size()) shortcuts.resize(batch.size());
            parallel_for(batch.size(), m_threads, [&](std::size_t i, unsigned t) {
                shortcuts[i].clear();
                m_witness[t].shortcuts(m_out, m_in, m_flat, batch[i], contract_bounds, &shortcuts[i],
                                       m_contracted.data());
            });
            touched.clear();
            for (std::size_t i = 0; i < batch.size(); ++i) detach(batch[i], shortcuts[i], touched);
            flatten(remaining);
            std::sort(touched.begin(), touched.end());
            touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
            parallel_for(touched.size(), m_threads, [&](std::size_t i, unsigned t) {
                m_prio[touched[i]] = update_priority(touched[i], m_witness[t]);
            });
            progress(static_cast<std::uint32_t>(order.size()));
        }
    }

    std::vector<std::vector<DEdge>> up_out, up_in;  // per contraction step
    std::vector<NodeId> order;

private:
    /// Rebuilds the flat out-arcs of the remaining nodes (contracted nodes keep a stale run that
    /// no search reaches: their arcs were removed from every remaining node's lists).
    void flatten(const std::vector<NodeId>& remaining) {
        m_flat.arcs.clear();
        for (const NodeId v : remaining) {
            m_flat.first[v] = static_cast<std::uint32_t>(m_flat.arcs.size());
            m_flat.count[v] = static_cast<std::uint32_t>(m_out[v].size());
            for (const DEdge& e : m_out[v]) m_flat.arcs.push_back({e.other, e.w});
        }
    }

    /// (priority, id) below every uncontracted neighbour's: no two neighbours are both chosen.
    [[nodiscard]] bool local_minimum(NodeId v) const {
        const float p = m_prio[v];
        auto beats = [&](NodeId x) {
            const float q = m_prio[x];
            return q < p || (q == p && x < v);
        };
        for (const auto* list : {&m_out[v], &m_in[v]})
            for (const DEdge& e : *list) {
                if (beats(e.other)) return false;
                if constexpr (two_hop_independence)
                    for (const auto* list2 : {&m_out[e.other], &m_in[e.other]})
                        for (const DEdge& f : *list2)
                            if (f.other != v && beats(f.other)) return false;
            }
        return true;
    }

    /// Removes v (its shortcuts computed), adds its shortcuts, records its arcs as CH arcs and its
    /// neighbours in `touched`.
    void detach(NodeId v, const std::vector<Shortcut>& shortcuts, std::vector<NodeId>& touched) {
        order.push_back(v);
        for (const DEdge& e : m_out[v]) erase(m_in[e.other], v);
        for (const DEdge& e : m_in[v]) erase(m_out[e.other], v);
        for (const Shortcut& s : shortcuts) add_arc(s.from, s.to, s.w, s.aux, v, s.hops);
        m_neighbours.clear();
        for (const auto* list : {&m_out[v], &m_in[v]})
            for (const DEdge& e : *list) m_neighbours.push_back(e.other);
        std::sort(m_neighbours.begin(), m_neighbours.end());
        m_neighbours.erase(std::unique(m_neighbours.begin(), m_neighbours.end()), m_neighbours.end());
        for (const NodeId x : m_neighbours) {
            m_depth[x] = std::max(m_depth[x], m_depth[v] + 1);
            ++m_deleted[x];
            ++m_stale[x];
            touched.push_back(x);
        }
        up_out.push_back(std::move(m_out[v]));
        up_in.push_back(std::move(m_in[v]));
        std::vector<DEdge>().swap(m_out[v]);
        std::vector<DEdge>().swap(m_in[v]);
    }

    static void erase(std::vector<DEdge>& list, NodeId v) {
        for (std::size_t i = 0; i < list.size(); ++i)
            if (list[i].other == v) {
                list[i] = list.back();
                list.pop_back();
                return;
            }
    }

    unsigned m_threads;
    Adjacency m_out, m_in;
    FlatGraph m_flat;
    std::vector<std::uint8_t> m_contracted;  ///< contracted or in the current batch
    std::vector<std::uint32_t> m_depth, m_deleted;
    std::vector<float> m_prio;
    std::vector<float> m_sim;            ///< simulated term of the last simulation
    std::vector<std::uint32_t> m_stale;  ///< neighbours contracted since that simulation
    std::vector<Witness> m_witness;  ///< one per thread
    std::vector<NodeId> m_neighbours;
};

}  // namespace

std::uint64_t build_ch_file(const Graph& g, Optimization opt, const std::filesystem::path& file,
                            const core::Callbacks& callbacks, std::string_view task) {
    const std::uint32_t n = g.node_count();
    const auto weights = g.weights(opt);
    const auto aux = g.weights(opt == Optimization::fastest ? Optimization::shortest : Optimization::fastest);
    const unsigned threads = std::max(1U, std::min(8U, std::thread::hardware_concurrency()));
    Contractor c(n, threads);
    for (NodeId t = 0; t < n; ++t)
        for (auto a = g.first_out[t]; a < g.first_out[t + 1]; ++a)
            c.add_arc(t, g.head[a], weights[a], aux[a], ContractionHierarchy::original_arc_flag | a, 1);
    const std::uint32_t report_every = std::max<std::uint32_t>(1, n / 100);
    std::uint32_t reported = 0;
    c.run([&](std::uint32_t done) {
        if (done - reported < report_every) return;
        reported = done;
        callbacks.report(task, done, n);
        callbacks.check_cancelled();
    });
    if (c.order.size() != n) throw Error(errc::internal, "CH: not every node was contracted");

    ChWriter writer(opt, c.order);
    std::vector<ChUpArc> out_arcs, in_arcs;
    auto convert = [](std::vector<DEdge>& list, std::vector<ChUpArc>& arcs) {
        arcs.clear();
        for (const DEdge& e : list) arcs.push_back({e.other, e.w, e.aux, e.unpack});
        std::vector<DEdge>().swap(list);  // keep the peak low: the lists move into the writer
    };
    for (std::uint32_t r = 0; r < n; ++r) {
        convert(c.up_out[r], out_arcs);
        convert(c.up_in[r], in_arcs);
        writer.add_rank(out_arcs, in_arcs);
    }
    const std::uint64_t arcs = writer.write(file);
    callbacks.report(task, n, n);
    return arcs;
}

}  // namespace geoplex::routing::detail
