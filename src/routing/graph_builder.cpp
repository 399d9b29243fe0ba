// RawNetwork + profile → the routing graph file of that profile:
//   1. base arcs: one per allowed direction of each road piece, integer weights;
//   2. turn restrictions by node splitting: a junction gets one extra node per restricted
//      incoming arc (via node) or per restricted arc sequence along the via way(s), whose
//      outgoing arcs omit the forbidden turns (exact, and the graph stays node-based so a plain
//      CH applies);
//   3. largest strongly connected component kept, the rest reported;
//   4. nodes renumbered along a Z-order curve (locality), CSR both ways, spatial grid.

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numbers>
#include <numeric>
#include <span>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "routing/detail.hpp"
#include "routing/store.hpp"

namespace geoplex::routing::detail {

namespace {

/// Strongly connected components (iterative Tarjan). Returns the component id of each node.
std::vector<std::uint32_t> scc(std::uint32_t n, const std::vector<std::uint32_t>& first_out,
                               const std::vector<std::uint32_t>& head, std::uint32_t& count) {
    std::vector<std::uint32_t> index(n, invalid_id), low(n, 0), comp(n, invalid_id);
    std::vector<std::uint32_t> stack;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> call;  // node, next arc
    std::vector<bool> on_stack(n, false);
    std::uint32_t next_index = 0;
    count = 0;
    for (std::uint32_t root = 0; root < n; ++root) {
        if (index[root] != invalid_id) continue;
        call.emplace_back(root, first_out[root]);
        index[root] = low[root] = next_index++;
        stack.push_back(root);
        on_stack[root] = true;
        while (!call.empty()) {
            auto& [v, a] = call.back();
            if (a < first_out[v + 1]) {
                const std::uint32_t w = head[a++];
                if (index[w] == invalid_id) {
                    index[w] = low[w] = next_index++;
                    stack.push_back(w);
                    on_stack[w] = true;
                    call.emplace_back(w, first_out[w]);
                } else if (on_stack[w]) {
                    low[v] = std::min(low[v], index[w]);
                }
                continue;
            }
            const std::uint32_t done = v;
            call.pop_back();
            if (!call.empty()) low[call.back().first] = std::min(low[call.back().first], low[done]);
            if (low[done] == index[done]) {
                std::uint32_t w = 0;
                do {
                    w = stack.back();
                    stack.pop_back();
                    on_stack[w] = false;
                    comp[w] = count;
                } while (w != done);
                ++count;
            }
        }
    }
    return comp;
}

std::uint64_t morton(LonLat p, const BBox& box) {
    const double fx = box.max_x > box.min_x ? (p.lon - box.min_x) / (box.max_x - box.min_x) : 0.0;
    const double fy = box.max_y > box.min_y ? (p.lat - box.min_y) / (box.max_y - box.min_y) : 0.0;
    const auto qx = static_cast<std::uint64_t>(std::clamp(fx, 0.0, 1.0) * 65535.0);
    const auto qy = static_cast<std::uint64_t>(std::clamp(fy, 0.0, 1.0) * 65535.0);
    std::uint64_t code = 0;
    for (unsigned b = 0; b < 16; ++b) code |= ((qx >> b) & 1U) << (2 * b) | ((qy >> b) & 1U) << (2 * b + 1);
    return code;
}

class StringPool {
public:
    StringPool() { m_data.push_back('\0'); }
    std::uint32_t add(const std::string& s) {
        if (s.empty()) return 0;
        const auto it = m_index.find(s);
        if (it != m_index.end()) return it->second;
        const auto off = static_cast<std::uint32_t>(m_data.size());
        m_data.insert(m_data.end(), s.begin(), s.end());
        m_data.push_back('\0');
        m_index.emplace(s, off);
        return off;
    }
    [[nodiscard]] const std::vector<char>& data() const { return m_data; }

private:
    std::vector<char> m_data;
    std::unordered_map<std::string, std::uint32_t> m_index;
};

constexpr double earth_m_per_deg = 111'319.49;

}  // namespace

void build_graph_file(const RawNetwork& net, std::size_t pi, const Profile& prof, const std::filesystem::path& file,
                      ProfileReport& rep, const core::Callbacks& callbacks) {
    const std::string task = fmt::format("routing: {}/{} graph", rep.resource, prof.name);
    callbacks.report(task, 0, 4);
    const auto S = static_cast<std::uint32_t>(net.segments.size());
    const auto J = static_cast<std::uint32_t>(net.junctions.size());
    if (net.segments.size() >= (1ULL << 30U)) throw Error(errc::limit_exceeded, "routing: too many road pieces");

    // 1. base arcs (id 2s + dir)
    std::vector<Weight> base_wf(2 * std::size_t{S}, inf_weight), base_ws(2 * std::size_t{S}, inf_weight);
    auto tail_of = [&](std::uint32_t a) { const auto& s = net.segments[a >> 1U]; return (a & 1U) ? s.b : s.a; };
    auto head_of = [&](std::uint32_t a) { const auto& s = net.segments[a >> 1U]; return (a & 1U) ? s.a : s.b; };
    auto way_of = [&](std::uint32_t a) { return net.segments[a >> 1U].way; };
    std::vector<std::uint32_t> out_first(J + 1, 0), in_first(J + 1, 0);
    for (std::uint32_t s = 0; s < S; ++s) {
        const RawSegment& seg = net.segments[s];
        if (seg.a == seg.b) continue;  // a loop piece never shortens a path
        const RawWay& way = net.ways[seg.way];
        const WayUse& u = way.use[pi];
        for (std::uint32_t dir = 0; dir < 2; ++dir) {
            const float kmh = dir == 0 ? u.forward_kmh : u.backward_kmh;
            if (kmh <= 0.0F) continue;
            double seconds = (u.fixed_seconds >= 0.0F && way.length_m > 0.0)
                                 ? double{u.fixed_seconds} * seg.length_m / way.length_m
                                 : seg.length_m / (double{kmh} / 3.6);
            seconds += seg.signals * prof.traffic_signal_penalty_s;
            const double cap = static_cast<double>(max_path_weight) / 1024.0;
            base_wf[2 * s + dir] = static_cast<Weight>(std::clamp(std::llround(seconds * weight_units_per_second), 1LL,
                                                                  static_cast<long long>(cap)));
            base_ws[2 * s + dir] = static_cast<Weight>(std::clamp(std::llround(seg.length_m * weight_units_per_meter),
                                                                  1LL, static_cast<long long>(cap)));
            ++out_first[tail_of(2 * s + dir) + 1];
            ++in_first[head_of(2 * s + dir) + 1];
        }
    }
    std::partial_sum(out_first.begin(), out_first.end(), out_first.begin());
    std::partial_sum(in_first.begin(), in_first.end(), in_first.begin());
    std::vector<std::uint32_t> out_list(out_first.back()), in_list(in_first.back());
    {
        std::vector<std::uint32_t> po(out_first.begin(), out_first.end() - 1), pin(in_first.begin(), in_first.end() - 1);
        for (std::uint32_t a = 0; a < 2 * S; ++a) {
            if (base_wf[a] == inf_weight) continue;
            out_list[po[tail_of(a)]++] = a;
            in_list[pin[head_of(a)]++] = a;
        }
    }

    // 2. restrictions → states. A restriction is a prefix of base arcs (the from arc, then the
    //    via way's arcs for a via-way restriction) ending at a junction, plus the turns forbidden
    //    there. Every prefix of a prefix is a state (a trie); a state is an extra graph node at
    //    the junction its last arc reaches. Leaving a state along an arc goes to the longest
    //    state that is a suffix of (state's arcs + arc), else to the plain junction, and the
    //    turns forbidden at a state are those of every state that is one of its suffixes — so
    //    overlapping restrictions stay exact and the graph stays node-based (plain CH, plain Dijkstra).
    rep.restrictions_ignored = pi < net.restrictions_unresolved.size() ? net.restrictions_unresolved[pi] : 0;
    struct State {
        std::uint32_t parent;  // state id, invalid_id for a first arc
        std::uint32_t arc;     // last base arc
    };
    std::vector<State> states;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> child;  // (parent, arc) → state
    auto state_of = [&](std::span<const std::uint32_t> arcs, bool create) -> std::uint32_t {
        std::uint32_t t = invalid_id;
        for (const auto a : arcs) {
            const auto it = child.find({t, a});
            if (it != child.end()) {
                t = it->second;
            } else {
                if (!create) return invalid_id;
                states.push_back({t, a});
                t = child[{t, a}] = static_cast<std::uint32_t>(states.size() - 1);
            }
        }
        return t;
    };
    std::vector<std::pair<std::uint32_t, std::uint32_t>> forbidden;  // (state, out arc)
    auto touches = [&](std::uint32_t j, std::uint32_t way) {
        for (auto x = out_first[j]; x < out_first[j + 1]; ++x)
            if (way_of(out_list[x]) == way) return true;
        return false;
    };
    auto add_rule = [&](std::span<const std::uint32_t> prefix, const RawRestriction& r) {
        const std::uint32_t v = head_of(prefix.back());
        std::uint32_t t = invalid_id;
        for (auto k = out_first[v]; k < out_first[v + 1]; ++k)
            if ((way_of(out_list[k]) == r.to_way) != r.only) {
                if (t == invalid_id) t = state_of(prefix, true);  // no state when nothing is forbidden
                forbidden.emplace_back(t, out_list[k]);
            }
    };
    // Arc sequences of a via-way restriction: a from-way arc, then arcs along each via way in
    // order (no u-turn, no junction twice), ending where the to way leaves.
    auto via_way_prefixes = [&](const RawRestriction& r) {
        std::vector<std::vector<std::uint32_t>> found;
        std::vector<std::uint32_t> path;
        const std::size_t k = r.via_ways.size();
        auto visited = [&](std::uint32_t j) {
            return std::any_of(path.begin(), path.end(), [&](std::uint32_t a) { return tail_of(a) == j; });
        };
        // at junction j after `path`, the last arc on via way `idx`
        std::function<void(std::uint32_t, std::size_t)> extend = [&](std::uint32_t j, std::size_t idx) {
            if (idx + 1 == k && touches(j, r.to_way)) found.push_back(path);
            if (path.size() >= 32 || found.size() >= 8) return;
            for (auto x = out_first[j]; x < out_first[j + 1]; ++x) {
                const std::uint32_t o = out_list[x];
                if ((o >> 1U) == (path.back() >> 1U) || visited(head_of(o))) continue;
                std::size_t next = k;
                if (way_of(o) == r.via_ways[idx]) next = idx;
                else if (idx + 1 < k && way_of(o) == r.via_ways[idx + 1]) next = idx + 1;
                if (next == k) continue;
                path.push_back(o);
                extend(head_of(o), next);
                path.pop_back();
            }
        };
        const RawWay& from = net.ways[r.from_way];
        for (std::uint32_t seg = from.first_segment; seg < from.first_segment + from.segment_count; ++seg)
            for (std::uint32_t a = 2 * seg; a < 2 * seg + 2; ++a) {
                if (base_wf[a] == inf_weight) continue;
                const std::uint32_t j = head_of(a);
                path.assign(1, a);
                for (auto x = out_first[j]; x < out_first[j + 1]; ++x) {
                    const std::uint32_t o = out_list[x];
                    if (way_of(o) != r.via_ways[0] || (o >> 1U) == (a >> 1U) || head_of(o) == tail_of(a)) continue;
                    path.push_back(o);
                    extend(head_of(o), 0);
                    path.pop_back();
                }
            }
        return found;
    };
    for (const auto& r : net.restrictions) {
        if (((r.profile_mask >> pi) & 1U) == 0) continue;
        bool used = false;
        if (r.via_ways.empty()) {
            for (auto k = in_first[r.via]; k < in_first[r.via + 1]; ++k) {
                if (way_of(in_list[k]) != r.from_way || !touches(r.via, r.to_way)) continue;
                const std::uint32_t prefix[1] = {in_list[k]};
                add_rule(prefix, r);
                used = true;
            }
        } else {
            for (const auto& prefix : via_way_prefixes(r)) {
                add_rule(prefix, r);
                used = true;
            }
            if (used) ++rep.via_way_restrictions;
        }
        if (used) ++rep.restrictions;
        else ++rep.restrictions_ignored;
    }
    std::sort(forbidden.begin(), forbidden.end());
    forbidden.erase(std::unique(forbidden.begin(), forbidden.end()), forbidden.end());
    auto arcs_of = [&](std::uint32_t t) {  // a state's arcs, first to last
        std::vector<std::uint32_t> seq;
        for (; t != invalid_id; t = states[t].parent) seq.push_back(states[t].arc);
        std::reverse(seq.begin(), seq.end());
        return seq;
    };
    const auto T = static_cast<std::uint32_t>(states.size());
    // next state from plain junctions, and per state: forbidden turns (suffix union) and transitions
    auto ehead = [&](std::uint32_t a) {
        const auto it = child.find({invalid_id, a});
        return it != child.end() ? J + it->second : head_of(a);
    };
    auto transition = [&](const std::vector<std::uint32_t>& seq, std::uint32_t o) {
        std::vector<std::uint32_t> longer(seq);
        longer.push_back(o);
        for (std::size_t i = 0; i < longer.size(); ++i) {
            const std::uint32_t t = state_of(std::span<const std::uint32_t>(longer).subspan(i), false);
            if (t != invalid_id) return J + t;
        }
        return head_of(o);
    };
    auto is_forbidden = [&](std::uint32_t t, std::uint32_t o) {
        return std::binary_search(forbidden.begin(), forbidden.end(), std::make_pair(t, o));
    };

    // expanded arcs
    const std::uint32_t N = J + T;
    struct EArc {
        std::uint32_t tail, head, base;
    };
    std::vector<EArc> earcs;
    earcs.reserve(out_list.size() + T * 4);
    for (std::uint32_t j = 0; j < J; ++j)
        for (auto k = out_first[j]; k < out_first[j + 1]; ++k) earcs.push_back({j, ehead(out_list[k]), out_list[k]});
    for (std::uint32_t t = 0; t < T; ++t) {
        const auto seq = arcs_of(t);
        std::vector<std::uint32_t> suffix_states;  // t and every state that is a suffix of it
        for (std::size_t i = 0; i < seq.size(); ++i)
            if (const auto s2 = state_of(std::span<const std::uint32_t>(seq).subspan(i), false); s2 != invalid_id)
                suffix_states.push_back(s2);
        const std::uint32_t v = head_of(states[t].arc);
        for (auto k = out_first[v]; k < out_first[v + 1]; ++k) {
            const std::uint32_t o = out_list[k];
            if (std::any_of(suffix_states.begin(), suffix_states.end(), [&](std::uint32_t s2) { return is_forbidden(s2, o); }))
                continue;
            earcs.push_back({J + t, transition(seq, o), o});
        }
    }
    auto position = [&](std::uint32_t node) { return node < J ? net.junctions[node] : net.junctions[head_of(states[node - J].arc)]; };
    callbacks.report(task, 1, 4);

    // 3. largest strongly connected component
    std::sort(earcs.begin(), earcs.end(), [](const EArc& x, const EArc& y) { return x.tail < y.tail; });
    std::vector<std::uint32_t> efirst(N + 1, 0), ehead_arr(earcs.size());
    for (std::size_t i = 0; i < earcs.size(); ++i) {
        ++efirst[earcs[i].tail + 1];
        ehead_arr[i] = earcs[i].head;
    }
    std::partial_sum(efirst.begin(), efirst.end(), efirst.begin());
    std::uint32_t ncomp = 0;
    const auto comp = scc(N, efirst, ehead_arr, ncomp);
    std::vector<std::uint32_t> comp_size(ncomp, 0);
    std::vector<bool> active(N, false);
    for (const auto& e : earcs) active[e.tail] = active[e.head] = true;
    for (std::uint32_t v = 0; v < N; ++v)
        if (active[v]) ++comp_size[comp[v]];
    const auto largest = static_cast<std::uint32_t>(std::max_element(comp_size.begin(), comp_size.end()) - comp_size.begin());
    if (ncomp == 0 || comp_size[largest] < 2)
        throw Error(errc::unsupported, fmt::format("routing: profile '{}' of resource '{}' has no routable road",
                                                   prof.name, rep.resource));
    for (std::uint32_t c = 0; c < ncomp; ++c)
        if (c != largest && comp_size[c] > 0) ++rep.dropped_components;
    for (std::uint32_t v = 0; v < N; ++v)
        if (active[v] && comp[v] != largest) ++rep.dropped_nodes;

    // 4. renumber: kept nodes along a Z-order curve, kept segments in source order
    std::vector<std::uint32_t> kept_nodes;
    for (std::uint32_t v = 0; v < N; ++v)
        if (active[v] && comp[v] == largest) kept_nodes.push_back(v);
    {
        std::vector<std::uint64_t> code(N, 0);
        for (const auto v : kept_nodes) code[v] = morton(position(v), net.bbox);
        std::stable_sort(kept_nodes.begin(), kept_nodes.end(), [&](auto x, auto y) { return code[x] < code[y]; });
    }
    std::vector<std::uint32_t> new_id(N, invalid_id);
    for (std::uint32_t i = 0; i < kept_nodes.size(); ++i) new_id[kept_nodes[i]] = i;
    std::vector<bool> base_kept(2 * std::size_t{S}, false);
    std::vector<EArc> arcs;
    for (const auto& e : earcs)
        if (new_id[e.tail] != invalid_id && new_id[e.head] != invalid_id) {
            arcs.push_back({new_id[e.tail], new_id[e.head], e.base});
            base_kept[e.base] = true;
        }
    std::vector<std::uint32_t> new_seg(S, invalid_id);
    std::vector<std::uint32_t> kept_segs;
    for (std::uint32_t s = 0; s < S; ++s) {
        const bool had = base_wf[2 * s] != inf_weight || base_wf[2 * s + 1] != inf_weight;
        if (base_kept[2 * s] || base_kept[2 * s + 1]) {
            new_seg[s] = static_cast<std::uint32_t>(kept_segs.size());
            kept_segs.push_back(s);
        } else if (had) {
            ++rep.dropped_segments;
            rep.dropped_km += net.segments[s].length_m / 1000.0;
        }
    }
    std::sort(arcs.begin(), arcs.end(), [](const EArc& x, const EArc& y) {
        return x.tail != y.tail ? x.tail < y.tail : (x.head != y.head ? x.head < y.head : x.base < y.base);
    });
    const auto n = static_cast<std::uint32_t>(kept_nodes.size());
    const auto m = static_cast<std::uint32_t>(arcs.size());
    rep.nodes = n;
    rep.arcs = m;
    rep.segments = kept_segs.size();
    callbacks.report(task, 2, 4);

    std::vector<double> node_lonlat(2 * std::size_t{n});
    for (std::uint32_t i = 0; i < n; ++i) {
        const LonLat p = position(kept_nodes[i]);
        node_lonlat[2 * i] = p.lon;
        node_lonlat[2 * i + 1] = p.lat;
    }
    std::vector<std::uint32_t> first_out(n + 1, 0), head(m), arc_segment(m);
    std::vector<Weight> wf(m), ws(m);
    for (std::uint32_t a = 0; a < m; ++a) {
        ++first_out[arcs[a].tail + 1];
        head[a] = arcs[a].head;
        arc_segment[a] = new_seg[arcs[a].base >> 1U] << 1U | (arcs[a].base & 1U);
        wf[a] = base_wf[arcs[a].base];
        ws[a] = base_ws[arcs[a].base];
    }
    std::partial_sum(first_out.begin(), first_out.end(), first_out.begin());
    std::vector<std::uint32_t> first_in(n + 1, 0), in_arc(m), in_tail(m);
    for (std::uint32_t a = 0; a < m; ++a) ++first_in[head[a] + 1];
    std::partial_sum(first_in.begin(), first_in.end(), first_in.begin());
    {
        std::vector<std::uint32_t> pos(first_in.begin(), first_in.end() - 1);
        for (std::uint32_t a = 0; a < m; ++a) {  // arcs sorted by tail → in lists sorted by tail too
            in_arc[pos[head[a]]] = a;
            in_tail[pos[head[a]]++] = arcs[a].tail;
        }
    }

    // segments, ways, strings
    const auto ns = static_cast<std::uint32_t>(kept_segs.size());
    std::vector<std::uint32_t> seg_first_point(ns + 1, 0), seg_way(ns), seg_head(2 * std::size_t{ns}, invalid_id);
    std::vector<double> points, seg_length(ns);
    std::vector<std::uint32_t> new_way(net.ways.size(), invalid_id);
    std::vector<std::uint32_t> kept_ways;
    for (std::uint32_t i = 0; i < ns; ++i) {
        const RawSegment& s = net.segments[kept_segs[i]];
        seg_first_point[i] = static_cast<std::uint32_t>(points.size() / 2);
        for (std::uint32_t k = 0; k < s.point_count; ++k) {
            points.push_back(net.points[s.first_point + k].lon);
            points.push_back(net.points[s.first_point + k].lat);
        }
        seg_length[i] = s.length_m;
        if (new_way[s.way] == invalid_id) {
            new_way[s.way] = static_cast<std::uint32_t>(kept_ways.size());
            kept_ways.push_back(s.way);
        }
        seg_way[i] = new_way[s.way];
        for (std::uint32_t dir = 0; dir < 2; ++dir) {
            const std::uint32_t base = 2 * kept_segs[i] + dir;
            if (base_kept[base]) seg_head[2 * i + dir] = new_id[ehead(base)];
        }
    }
    seg_first_point[ns] = static_cast<std::uint32_t>(points.size() / 2);
    StringPool pool;
    const auto nw = kept_ways.size();
    std::vector<std::uint32_t> way_name(nw), way_ref(nw), way_class(nw), way_attr(nw);
    std::vector<std::uint16_t> way_flags(nw);
    for (std::size_t i = 0; i < nw; ++i) {
        const RawWay& w = net.ways[kept_ways[i]];
        way_name[i] = pool.add(w.name);
        way_ref[i] = pool.add(w.ref);
        way_class[i] = pool.add(w.cls);
        way_attr[i] = pool.add(w.attributes_json);
        way_flags[i] = w.flags;
    }

    // spatial grid over segment pieces (segment, piece index)
    BBox box;
    for (std::size_t i = 0; i + 1 < points.size(); i += 2) box.extend(points[i], points[i + 1]);
    const double mid_lat = (box.min_y + box.max_y) / 2.0;
    const double coslat = std::max(0.01, std::cos(mid_lat * std::numbers::pi / 180.0));
    const double width_m = std::max(1.0, (box.max_x - box.min_x) * earth_m_per_deg * coslat);
    const double height_m = std::max(1.0, (box.max_y - box.min_y) * earth_m_per_deg);
    const double pieces = std::max(1.0, static_cast<double>(points.size() / 2 - ns));
    double cell_m = std::clamp(std::sqrt(width_m * height_m / (pieces / 2.0)), 25.0, 5000.0);
    while ((width_m / cell_m + 1) * (height_m / cell_m + 1) > 4e6) cell_m *= 1.5;
    GridParams gp;
    gp.cell_lat = cell_m / earth_m_per_deg;
    gp.cell_lon = cell_m / (earth_m_per_deg * coslat);
    gp.min_lon = box.min_x;
    gp.min_lat = box.min_y;
    gp.nx = std::floor((box.max_x - box.min_x) / gp.cell_lon) + 1;
    gp.ny = std::floor((box.max_y - box.min_y) / gp.cell_lat) + 1;
    const auto nx = static_cast<std::uint32_t>(gp.nx), ny = static_cast<std::uint32_t>(gp.ny);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> cell_items;  // cell, item index
    std::vector<std::uint32_t> items;                                  // seg, piece pairs
    for (std::uint32_t s = 0; s < ns; ++s) {
        for (std::uint32_t k = seg_first_point[s]; k + 1 < seg_first_point[s + 1]; ++k) {
            const double x0 = points[2 * k], y0 = points[2 * k + 1], x1 = points[2 * k + 2], y1 = points[2 * k + 3];
            const auto item = static_cast<std::uint32_t>(items.size() / 2);
            items.push_back(s);
            items.push_back(k - seg_first_point[s]);
            // Every cell the piece crosses (grid traversal, Amanatides & Woo), not its bounding
            // box: a long diagonal piece would otherwise fill a square of cells.
            const double fx0 = (x0 - gp.min_lon) / gp.cell_lon, fy0 = (y0 - gp.min_lat) / gp.cell_lat;
            const double fx1 = (x1 - gp.min_lon) / gp.cell_lon, fy1 = (y1 - gp.min_lat) / gp.cell_lat;
            auto clampc = [](double v, std::uint32_t cells) {
                return static_cast<long>(std::clamp(std::floor(v), 0.0, static_cast<double>(cells - 1)));
            };
            long cx = clampc(fx0, nx), cy = clampc(fy0, ny);
            const long ex = clampc(fx1, nx), ey = clampc(fy1, ny);
            const double dx = fx1 - fx0, dy = fy1 - fy0;
            const long stepx = dx > 0 ? 1 : -1, stepy = dy > 0 ? 1 : -1;
            const double inf = std::numeric_limits<double>::infinity();
            double tmaxx = dx != 0 ? ((dx > 0 ? static_cast<double>(cx + 1) : static_cast<double>(cx)) - fx0) / dx : inf;
            double tmaxy = dy != 0 ? ((dy > 0 ? static_cast<double>(cy + 1) : static_cast<double>(cy)) - fy0) / dy : inf;
            const double tdx = dx != 0 ? std::abs(1.0 / dx) : inf, tdy = dy != 0 ? std::abs(1.0 / dy) : inf;
            for (std::size_t guard = 0; guard < 4 * (std::size_t{nx} + ny); ++guard) {
                cell_items.emplace_back(static_cast<std::uint32_t>(cy) * nx + static_cast<std::uint32_t>(cx), item);
                if (cx == ex && cy == ey) break;
                // Through a corner exactly: also mark both side cells so no neighbour is skipped.
                if (std::abs(tmaxx - tmaxy) < 1e-12) {
                    const long nx2 = std::clamp(cx + stepx, 0L, static_cast<long>(nx) - 1);
                    const long ny2 = std::clamp(cy + stepy, 0L, static_cast<long>(ny) - 1);
                    cell_items.emplace_back(static_cast<std::uint32_t>(cy) * nx + static_cast<std::uint32_t>(nx2), item);
                    cell_items.emplace_back(static_cast<std::uint32_t>(ny2) * nx + static_cast<std::uint32_t>(cx), item);
                }
                if (std::min(tmaxx, tmaxy) > 1.0 + 1e-9) break;  // rounding: the end is reached
                if (tmaxx < tmaxy) {
                    cx = std::clamp(cx + stepx, 0L, static_cast<long>(nx) - 1);
                    tmaxx += tdx;
                } else {
                    cy = std::clamp(cy + stepy, 0L, static_cast<long>(ny) - 1);
                    tmaxy += tdy;
                }
            }
            cell_items.emplace_back(static_cast<std::uint32_t>(ey) * nx + static_cast<std::uint32_t>(ex), item);
        }
    }
    std::sort(cell_items.begin(), cell_items.end());
    cell_items.erase(std::unique(cell_items.begin(), cell_items.end()), cell_items.end());
    std::vector<std::uint32_t> grid_first(std::size_t{nx} * ny + 1, 0), grid_items;
    grid_items.reserve(cell_items.size() * 2);
    for (const auto& [cell, item] : cell_items) {
        ++grid_first[cell + 1];
        grid_items.push_back(items[2 * item]);
        grid_items.push_back(items[2 * item + 1]);
    }
    std::partial_sum(grid_first.begin(), grid_first.end(), grid_first.begin());
    const std::vector<double> grid_params{gp.min_lon, gp.min_lat, gp.cell_lon, gp.cell_lat, gp.nx, gp.ny};
    callbacks.report(task, 3, 4);

    nlohmann::ordered_json meta;
    meta["resource"] = rep.resource;
    meta["profile"] = prof.name;
    meta["nodes"] = n;
    meta["arcs"] = m;
    meta["segments"] = ns;
    meta["bbox"] = {box.min_x, box.min_y, box.max_x, box.max_y};
    SectionWriter out(file, graph_magic, graph_format_version);
    out.add_text(graph_section::meta, meta.dump());
    out.add(graph_section::node_lonlat, node_lonlat);
    out.add(graph_section::first_out, first_out);
    out.add(graph_section::head, head);
    out.add(graph_section::arc_segment, arc_segment);
    out.add(graph_section::weight_fastest, wf);
    out.add(graph_section::weight_shortest, ws);
    out.add(graph_section::first_in, first_in);
    out.add(graph_section::in_arc, in_arc);
    out.add(graph_section::in_tail, in_tail);
    out.add(graph_section::segment_first_point, seg_first_point);
    out.add(graph_section::points, points);
    out.add(graph_section::segment_length, seg_length);
    out.add(graph_section::segment_way, seg_way);
    out.add(graph_section::segment_head, seg_head);
    out.add(graph_section::way_name, way_name);
    out.add(graph_section::way_ref, way_ref);
    out.add(graph_section::way_class, way_class);
    out.add(graph_section::way_attributes, way_attr);
    out.add(graph_section::way_flags, way_flags);
    out.add(graph_section::strings, pool.data());
    out.add(graph_section::grid_params, grid_params);
    out.add(graph_section::grid_first, grid_first);
    out.add(graph_section::grid_items, grid_items);
    out.finish();
    callbacks.report(task, 4, 4);
    callbacks.info(fmt::format("{}: {} nodes, {} arcs, {} road pieces; {} restrictions ({} ignored); dropped {} "
                               "components ({} nodes, {} pieces, {:.2f} km)",
                               task, n, m, ns, rep.restrictions, rep.restrictions_ignored, rep.dropped_components,
                               rep.dropped_nodes, rep.dropped_segments, rep.dropped_km));
}

}  // namespace geoplex::routing::detail
