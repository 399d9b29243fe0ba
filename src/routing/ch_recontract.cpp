// Precomputed constraint sets: hierarchies recontracted in a given node order on the weights of
// a constraint set (see ch_recontract.hpp), their files, and the lookup of a request's set.

#include "routing/ch_recontract.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>

#include <fmt/format.h>

#include "geoplex/core/error.hpp"
#include "geoplex/core/hash.hpp"
#include "routing/ch_writer.hpp"
#include "routing/constrained.hpp"
#include "routing/router_impl.hpp"
#include "routing/witness.hpp"

namespace geoplex::routing::detail {

namespace {

constexpr std::string_view costs_magic = "GPXRCSET";
constexpr std::uint32_t costs_format_version = 1;
namespace costs_section {
enum : std::uint32_t { meta = 1, factor };
}

/// Witness search bounds (those of the CH builder's contraction step).
constexpr WitnessBounds witness_bounds{1000, 64};

struct Edge {
    NodeId other;
    Weight w;
    Weight aux;
    std::uint32_t unpack;
};

/// Contraction in a fixed order: the remaining graph as per-node out/in lists, one witness
/// Dijkstra per in-neighbour of the contracted node (over the remaining nodes, avoiding it,
/// bounded by the largest via weight, a settled-node budget and a hop limit).
class Recontractor {
public:
    explicit Recontractor(std::uint32_t n) : m_out(n), m_in(n), m_search(n) {}

    void add_arc(NodeId t, NodeId h, Weight w, Weight aux, std::uint32_t unpack) {
        if (t == h) return;
        insert(m_out[t], {h, w, aux, unpack});
        insert(m_in[h], {t, w, aux, unpack});
    }

    /// Contracts v: its remaining arcs become its CH arcs (`up_out`, `up_in`), shortcuts join
    /// its neighbours.
    void contract(NodeId v, std::vector<ChUpArc>& up_out, std::vector<ChUpArc>& up_in) {
        const auto& outs = m_out[v];
        const auto& ins = m_in[v];
        m_shortcuts.clear();
        const auto arcs_of = [this](NodeId x, auto&& visit) {
            for (const Edge& e : m_out[x]) visit(e.other, e.w);
        };
        m_search.for_each_shortcut(ins, outs, v, witness_bounds, arcs_of, [this](const Edge& ie, const Edge& oe, Weight via) {
            m_shortcuts.push_back({ie.other, oe.other, via, ie.aux + oe.aux});
        });
        up_out.clear();
        up_in.clear();
        for (const Edge& e : outs) up_out.push_back({e.other, e.w, e.aux, e.unpack});
        for (const Edge& e : ins) up_in.push_back({e.other, e.w, e.aux, e.unpack});
        for (const Edge& e : outs) erase(m_in[e.other], v);
        for (const Edge& e : ins) erase(m_out[e.other], v);
        std::vector<Edge>().swap(m_out[v]);
        std::vector<Edge>().swap(m_in[v]);
        for (const Shortcut& s : m_shortcuts) add_arc(s.from, s.to, s.w, s.aux, v);
    }

private:
    struct Shortcut {
        NodeId from, to;
        Weight w, aux;
    };
    static void insert(std::vector<Edge>& list, const Edge& e) {
        for (auto& x : list)
            if (x.other == e.other) {
                if (e.w < x.w) x = e;
                return;
            }
        list.push_back(e);
    }
    static void erase(std::vector<Edge>& list, NodeId v) {
        for (std::size_t i = 0; i < list.size(); ++i)
            if (list[i].other == v) {
                list[i] = list.back();
                list.pop_back();
                return;
            }
    }
    std::vector<std::vector<Edge>> m_out, m_in;
    WitnessSearch m_search;
    std::vector<Shortcut> m_shortcuts;
};

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

std::string costs_file_name(const std::string& profile, const std::string& set) {
    return fmt::format("{}.set-{}.costs", profile, set);
}
std::string ch_file_name(const std::string& profile, Optimization o, const std::string& set) {
    return fmt::format("{}-{}.set-{}.ch", profile, to_string(o), set);
}

}  // namespace

std::uint64_t factor_hash(std::span<const double> factor) noexcept { return core::fnv1a64(std::as_bytes(factor)); }

std::uint64_t recontract_ch_file(const Graph& g, const ContractionHierarchy& base, Optimization o,
                                 const WayCosts& wc, const std::filesystem::path& file,
                                 const core::Callbacks& callbacks, std::string_view task) {
    const std::uint32_t n = g.node_count();
    if (base.node_count() != n) throw Error(errc::internal, "CH recontraction: the base hierarchy has another graph");
    const auto W = g.weights(o);
    const auto A = g.weights(o == Optimization::fastest ? Optimization::shortest : Optimization::fastest);
    Recontractor c(n);
    for (NodeId t = 0; t < n; ++t)
        for (auto a = g.first_out[t]; a < g.first_out[t + 1]; ++a) {
            const double f = wc.any ? wc.factor[g.segment_way[g.segment_of(a)]] : 1.0;
            if (f <= 0) continue;  // banned
            c.add_arc(t, g.head[a], constrained_weight(W[a], f), A[a], ContractionHierarchy::original_arc_flag | a);
        }
    ChWriter writer(o, base.order);
    std::vector<ChUpArc> up_out, up_in;
    const std::uint32_t report_every = std::max<std::uint32_t>(1, n / 100);
    for (std::uint32_t r = 0; r < n; ++r) {
        c.contract(base.order[r], up_out, up_in);
        writer.add_rank(up_out, up_in);
        if ((r + 1) % report_every == 0) {
            callbacks.report(task, r + 1, n);
            callbacks.check_cancelled();
        }
    }
    const std::uint64_t arcs = writer.write(file);
    callbacks.report(task, n, n);
    return arcs;
}

nlohmann::ordered_json build_constraint_sets(const Graph& g, const ResourceConfig& res, std::size_t resource_index,
                                             const std::string& profile, const std::filesystem::path& dir,
                                             ProfileReport& report, const core::Callbacks& callbacks) {
    using clock = std::chrono::steady_clock;
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    if (res.constraint_sets.empty()) return out;
    std::array<SectionReader, 2> base_files;
    std::array<ContractionHierarchy, 2> base;
    for (const Optimization o : res.optimizations) {
        const auto k = static_cast<std::size_t>(o);
        base_files[k] = SectionReader(dir / fmt::format("{}-{}.ch", profile, to_string(o)), ch_magic,
                                      ch_format_version, false);
        base[k] = ch_view(base_files[k], g);
    }
    for (std::size_t si = 0; si < res.constraint_sets.size(); ++si) {
        const ConstraintSet& set = res.constraint_sets[si];
        WayCosts wc;
        try {
            wc = way_costs(g, set.constraints);
        } catch (const InvalidArgument& e) {
            std::vector<std::string> problems;
            for (const auto& m : e.problems())
                problems.push_back(fmt::format("resources[{}].constraint_sets[{}] ('{}', profile {}): {}", resource_index,
                                               si, set.name, profile, m));
            throw InvalidArgument(std::move(problems));
        }
        {
            SectionWriter costs(dir / costs_file_name(profile, set.name), costs_magic, costs_format_version);
            nlohmann::ordered_json meta;
            meta["name"] = set.name;
            costs.add_text(costs_section::meta, meta.dump());
            costs.add(costs_section::factor, wc.factor);
            costs.finish();
        }
        ProfileReport::SetReport sr;
        sr.name = set.name;
        nlohmann::ordered_json js;
        js["name"] = set.name;
        js["constraints"] = nlohmann::ordered_json::array();
        for (const auto& c : set.constraints) js["constraints"].push_back(constraint_to_json(c));
        nlohmann::ordered_json opts = nlohmann::ordered_json::array();
        for (const Optimization o : res.optimizations) {
            const auto t0 = clock::now();
            const double c0 = cpu_seconds();
            const std::string task =
                fmt::format("routing: {}/{}-{} CH for constraint set '{}'", res.id, profile, to_string(o), set.name);
            const auto arcs = recontract_ch_file(g, base[static_cast<std::size_t>(o)], o, wc,
                                                 dir / ch_file_name(profile, o, set.name), callbacks, task);
            sr.seconds.push_back(std::chrono::duration<double>(clock::now() - t0).count());
            sr.cpu_seconds.push_back(cpu_seconds() - c0);
            sr.arcs.push_back(arcs);
            opts.push_back(std::string(to_string(o)));
            callbacks.info(fmt::format("{}: {} arcs in {:.2f} s ({:.2f} s CPU)", task, arcs, sr.seconds.back(),
                                       sr.cpu_seconds.back()));
            callbacks.check_cancelled();
        }
        js["optimizations"] = std::move(opts);
        js["seconds"] = sr.seconds;
        js["cpu_seconds"] = sr.cpu_seconds;
        js["arcs"] = sr.arcs;
        out.push_back(std::move(js));
        report.constraint_sets.push_back(std::move(sr));
    }
    return out;
}

void load_constraint_sets(const nlohmann::json& jp, const std::filesystem::path& dir, LoadedProfile& lp,
                          ProfileInfo& info, bool verify_checksums) {
    const auto it = jp.find("constraint_sets");
    if (it == jp.end()) return;
    for (const auto& js : *it) {
        auto ps = std::make_unique<PrecomputedSet>();
        ps->set.name = js.at("name").get<std::string>();
        std::vector<std::string> problems;
        for (const auto& jc : js.at("constraints")) ps->set.constraints.push_back(constraint_from_json(jc, "", problems));
        if (!problems.empty())
            throw FormatError(fmt::format("constraint set '{}' of profile '{}': {}; rebuild the bundle", ps->set.name,
                                          info.name, problems.front()));
        ps->costs_file = SectionReader(dir / costs_file_name(info.name, ps->set.name), costs_magic,
                                       costs_format_version, verify_checksums);
        ps->factor = ps->costs_file.get<double>(costs_section::factor);
        if (ps->factor.size() != lp.graph.way_flags.size())
            throw FormatError(fmt::format("'{}': not the ways of the graph; rebuild the bundle",
                                          ps->costs_file.path().string()));
        ps->hash = factor_hash(ps->factor);
        ps->bans_only = std::all_of(ps->factor.begin(), ps->factor.end(), [](double f) { return f == 0.0 || f == 1.0; });
        for (const auto& jo : js.at("optimizations")) {
            const auto o = parse_optimization(jo.get<std::string>());
            if (!o) throw FormatError("unknown optimization");
            const auto k = static_cast<std::size_t>(*o);
            ps->ch_files[k] = SectionReader(dir / ch_file_name(info.name, *o, ps->set.name), ch_magic,
                                            ch_format_version, verify_checksums);
            ps->ch[k] = ch_view(ps->ch_files[k], lp.graph);
            ps->ch[k].optimization = *o;
            ps->has_ch[k] = true;
        }
        info.constraint_sets.push_back(ps->set);
        lp.sets.push_back(std::move(ps));
    }
}

const PrecomputedSet* find_precomputed(const LoadedProfile& lp, const WayCosts& wc) {
    if (!wc.any || lp.sets.empty()) return nullptr;
    const std::uint64_t h = factor_hash(wc.factor);
    for (const auto& ps : lp.sets)
        if (ps->hash == h && std::equal(ps->factor.begin(), ps->factor.end(), wc.factor.begin(), wc.factor.end()))
            return ps.get();
    return nullptr;
}

}  // namespace geoplex::routing::detail
