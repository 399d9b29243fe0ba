// Constrained routes (routing/constrained.hpp: CH then verify, else A* with CH potentials)
// against an independent reference: per-way factors recomputed here from the way flags and the
// BD TOPO attributes, then a textbook multi-source Dijkstra (std::priority_queue, 64-bit sums)
// on max(1, round(w × factor)). Monaco, Andorra, Marseille BD TOPO and a synthetic town.

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <queue>
#include <random>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "geoplex/routing/routing.hpp"
#include "geoplex/synth/synth.hpp"
#include "geoplex/core/error.hpp"
#include "routing/ch_recontract.hpp"
#include "routing/constrained.hpp"
#include "routing/detail.hpp"
#include "routing/router_impl.hpp"
#include "routing/spec.hpp"
#include "support/test_data.hpp"

using namespace geoplex;
using namespace geoplex::routing;

namespace {

Router build(const geoplex::test::TempDir& dir, const std::string& path, SourceFormat format = SourceFormat::osm,
             const std::vector<ConstraintSet>& sets = {}, const std::string& sub = "routing",
             const OpenOptions& options = {}) {
    ResourceConfig r;
    r.id = "r";
    r.format = format;
    r.path = path;
    r.profiles = {Profile::builtin("car")};
    r.constraint_sets = sets;
    BuildConfig cfg;
    cfg.resources.push_back(r);
    Builder(cfg).build(dir / sub);
    return Router::open(dir / sub, options);
}

/// A constraint set with the reference's own per-way factor (0 = banned).
struct Case {
    std::string name;
    std::vector<Constraint> constraints;
    std::function<double(const Graph&, WayId)> factor;
};

Constraint way_type(ConstraintType t, std::string v) {
    return Constraint{t, "wayType", ConstraintOperator::eq, std::move(v), {}};
}

std::vector<Case> way_type_cases() {
    auto flag = [](std::uint16_t bit, double f) {
        return [bit, f](const Graph& g, WayId w) { return (g.way_flags[w] & bit) != 0 ? f : 1.0; };
    };
    return {
        {"banned tunnel", {way_type(ConstraintType::banned, "tunnel")}, flag(way_flag::tunnel, 0.0)},
        {"banned autoroute", {way_type(ConstraintType::banned, "autoroute")}, flag(way_flag::motorway, 0.0)},
        {"unpreferred tunnel", {way_type(ConstraintType::unpreferred, "tunnel")}, flag(way_flag::tunnel, 1.5)},
        {"preferred autoroute", {way_type(ConstraintType::preferred, "autoroute")}, flag(way_flag::motorway, 0.8)},
        {"banned pont + unpreferred autoroute",
         {way_type(ConstraintType::banned, "pont"), way_type(ConstraintType::unpreferred, "autoroute")},
         [](const Graph& g, WayId w) {
             if ((g.way_flags[w] & way_flag::bridge) != 0) return 0.0;
             return (g.way_flags[w] & way_flag::motorway) != 0 ? 1.5 : 1.0;
         }},
    };
}

std::vector<std::uint64_t> reference(const Graph& g, Optimization o, const std::vector<double>& factor,
                                     const std::vector<detail::SearchSeed>& sources) {
    constexpr std::uint64_t inf = UINT64_MAX;
    std::vector<std::uint64_t> dist(g.node_count(), inf);
    using Item = std::pair<std::uint64_t, NodeId>;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> pq;
    for (const auto& s : sources)
        if (s.weight < dist[s.node]) {
            dist[s.node] = s.weight;
            pq.emplace(s.weight, s.node);
        }
    while (!pq.empty()) {
        const auto [d, x] = pq.top();
        pq.pop();
        if (d > dist[x]) continue;
        for (auto a = g.first_out[x]; a < g.first_out[x + 1]; ++a) {
            const double f = factor[g.segment_way[g.segment_of(a)]];
            if (f == 0.0) continue;
            const auto w = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(g.weights(o)[a] * f)));
            if (d + w < dist[g.head[a]]) {
                dist[g.head[a]] = d + w;
                pq.emplace(d + w, g.head[a]);
            }
        }
    }
    return dist;
}

struct Tally {
    std::size_t pairs = 0, reachable = 0, ch_path = 0, astar = 0, changed = 0;
    bool lowers = false;  ///< some factor < 1 (no CH shortcut then)
    bool inert = false;   ///< every factor is 1 (e.g. no motorway in Andorra): nothing can change
};

/// `sources_n` random source sets × `targets_n` random target sets; two seeds each with random
/// partial weights (a point in the middle of a road). Checks run(), run_astar(), the path and
/// the bound against the reference.
Tally check(const Router& router, Optimization o, const Case& c, std::uint32_t sources_n, std::uint32_t targets_n,
            std::uint32_t seed) {
    const Graph& g = router.graph("r", "car");
    const ContractionHierarchy& ch = router.ch("r", "car", o);
    const detail::WayCosts wc = detail::way_costs(g, c.constraints);
    std::vector<double> factor(g.way_flags.size());
    for (WayId w = 0; w < factor.size(); ++w) factor[w] = c.factor(g, w);
    REQUIRE(wc.any);
    REQUIRE(wc.factor == factor);
    const double least = detail::min_factor(wc);
    detail::WayCostsCache cache;
    REQUIRE(cache.get(g, c.constraints).factor == factor);
    const auto component = cache.components(g);
    const std::vector<double> ones(factor.size(), 1.0);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<NodeId> pick(0, g.node_count() - 1);
    std::uniform_int_distribution<Weight> partial(0, 60);
    ChQuery q(g, ch);
    detail::ConstrainedSearch search, astar;
    Tally tally;
    tally.lowers = std::any_of(factor.begin(), factor.end(), [](double f) { return f > 0 && f < 1; });
    tally.inert = std::all_of(factor.begin(), factor.end(), [](double f) { return f == 1.0; });
    for (std::uint32_t i = 0; i < sources_n; ++i) {
        const std::vector<detail::SearchSeed> sources = {{pick(rng), partial(rng)}, {pick(rng), partial(rng)}};
        const auto ref = reference(g, o, factor, sources);
        const auto plain = reference(g, o, ones, sources);
        for (std::uint32_t j = 0; j < targets_n; ++j) {
            const std::vector<detail::SearchSeed> targets = {{pick(rng), partial(rng)}, {pick(rng), partial(rng)}};
            std::uint64_t want = UINT64_MAX, unconstrained = UINT64_MAX;
            for (const auto& t : targets) {
                if (ref[t.node] != UINT64_MAX) want = std::min(want, ref[t.node] + t.weight);
                if (plain[t.node] != UINT64_MAX) unconstrained = std::min(unconstrained, plain[t.node] + t.weight);
            }
            ++tally.pairs;
            INFO(c.name << " " << to_string(o) << " sources " << sources[0].node << "," << sources[1].node
                        << " targets " << targets[0].node << "," << targets[1].node);
            const auto got = search.run(g, ch, q, o, wc, least, sources, targets);
            const auto got_astar = astar.run_astar(g, ch, o, wc, least, sources, targets);
            // With the component labels: same answer (including "none" across components).
            CHECK(search.run(g, ch, q, o, wc, least, sources, targets, inf_weight, component).weight ==
                  (want == UINT64_MAX ? inf_weight : want));
            if (want == UINT64_MAX) {
                CHECK(got.weight == inf_weight);
                CHECK(got_astar.weight == inf_weight);
                continue;
            }
            ++tally.reachable;
            if (want != unconstrained) ++tally.changed;
            CHECK(got.weight == want);
            CHECK(got_astar.weight == want);
            if (search.stats().ch_path) ++tally.ch_path;
            else ++tally.astar;
            // The path: from a source seed to a target seed over allowed arcs, weighing `want`.
            for (const auto* p : {&got, &got_astar}) {
                std::uint64_t w = UINT64_MAX;
                for (const auto& s : sources)
                    if (s.node == p->source) w = std::min<std::uint64_t>(w, s.weight);
                REQUIRE(w != UINT64_MAX);
                NodeId at = p->source;
                bool connected = true;
                for (const ArcId a : p->arcs) {
                    connected = connected && a >= g.first_out[at] && a < g.first_out[at + 1];
                    const double f = factor[g.segment_way[g.segment_of(a)]];
                    CHECK(f > 0);
                    w += std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(g.weights(o)[a] * f)));
                    at = g.head[a];
                }
                CHECK(connected);
                CHECK(at == p->target);
                std::uint64_t last = UINT64_MAX;
                for (const auto& t : targets)
                    if (t.node == at) last = std::min<std::uint64_t>(last, t.weight);
                REQUIRE(last != UINT64_MAX);
                CHECK(w + last == want);
            }
            // The bound: nothing at or above it, the path below it.
            if (j % 4 == 0) {
                CHECK(search.run(g, ch, q, o, wc, least, sources, targets, static_cast<Weight>(want)).weight == inf_weight);
                CHECK(astar.run_astar(g, ch, o, wc, least, sources, targets, static_cast<Weight>(want)).weight == inf_weight);
                CHECK(search.run(g, ch, q, o, wc, least, sources, targets, static_cast<Weight>(want + 1)).weight == want);
            }
        }
    }
    return tally;
}

void check_cases(const Router& router, const std::vector<Case>& cases, std::uint32_t sources_n,
                 std::uint32_t targets_n) {
    std::size_t changed = 0, ch_paths = 0, rejected = 0;
    for (const auto o : {Optimization::fastest, Optimization::shortest})
        for (std::size_t k = 0; k < cases.size(); ++k) {
            const Case& c = cases[k];
            const Tally t = check(router, o, c, sources_n, targets_n, static_cast<std::uint32_t>(17 + k));
            INFO(c.name << " " << to_string(o) << ": " << t.reachable << "/" << t.pairs << " reachable, " << t.changed
                        << " changed by the constraints, " << t.ch_path << " CH paths, " << t.astar << " A*");
            CHECK(t.reachable * 4 > t.pairs);
            if (t.lowers) CHECK(t.ch_path == 0);  // a factor < 1: no CH shortcut, always A*
            if (t.inert) CHECK(t.ch_path == t.reachable);  // nothing constrained: always the CH path
            changed += t.changed;
            ch_paths += t.ch_path;
            if (!t.lowers) rejected += t.astar;
        }
    // Both steps were exercised: routes changed by the constraints, CH paths accepted, and CH
    // paths rejected (bans / factors >= 1 only) so that A* ran.
    CHECK(changed > 0);
    CHECK(ch_paths > 0);
    CHECK(rejected > 0);
}

struct Town {
    geoplex::test::TempDir dir{"geoplex-routing-constrained-synth"};
    Router router = make();
    Router make() {
        synth::Config sc;
        sc.road_nodes = 10'000;
        sc.seed = 11;
        sc.write_addresses = sc.write_dem = sc.write_layers = sc.write_basemap = sc.write_bundle = false;
        return build(dir, synth::generate(sc, dir / "synth").roads.string());
    }
};

}  // namespace

TEST_CASE("constrained search equals a constrained Dijkstra: synthetic town", "[routing][constraints][synth]") {
    const Town town;
    check_cases(town.router, way_type_cases(), 15, 20);
}

TEST_CASE("constrained search equals a constrained Dijkstra: Monaco and Andorra", "[routing][constraints][osm]") {
    for (const char* file : {"osm/monaco.osm.pbf", "osm/andorra.osm.pbf"}) {
        INFO(file);
        const geoplex::test::TempDir dir("geoplex-routing-constrained-osm");
        const Router router = build(dir, geoplex::test::data_file(file));
        check_cases(router, way_type_cases(), 25, 20);
    }
}

TEST_CASE("constrained search equals a constrained Dijkstra: Marseille BD TOPO attributes",
          "[routing][constraints][bdtopo]") {
    const geoplex::test::TempDir dir("geoplex-routing-constrained-bdtopo");
    const Router router =
        build(dir, geoplex::test::data_file("vector/bdtopo-marseille10/bdtopo-marseille10.gpkg"), SourceFormat::bdtopo);
    const Graph& g = router.graph("r", "car");
    std::vector<nlohmann::json> attrs(g.way_flags.size());
    for (std::size_t w = 0; w < attrs.size(); ++w) attrs[w] = nlohmann::json::parse(g.string(g.way_attributes[w]));
    auto importance = [attrs](const Graph&, WayId w) {
        const auto& v = attrs[w]["importance"];
        return v.is_string() ? std::stod(v.get<std::string>()) : (v.is_number() ? v.get<double>() : -1.0);
    };
    auto nature = [attrs](WayId w) {
        const auto& v = attrs[w]["nature"];
        return v.is_string() ? v.get<std::string>() : std::string();
    };
    const std::vector<Case> cases = {
        {"banned importance <= 2",
         {Constraint{ConstraintType::banned, "importance", ConstraintOperator::le, "2", 2.0}},
         [importance](const Graph& gg, WayId w) {
             const double i = importance(gg, w);
             return i >= 0 && i <= 2 ? 0.0 : 1.0;
         }},
        {"unpreferred nature = route a 2 chaussees",
         {Constraint{ConstraintType::unpreferred, "nature", ConstraintOperator::eq, "route_a_2_chaussees", {}}},
         [nature](const Graph&, WayId w) { return nature(w) == "Route à 2 chaussées" ? 1.5 : 1.0; }},
        {"banned autoroute (cpx_classement_administratif) + unpreferred importance > 4",
         {Constraint{ConstraintType::banned, "cpx_classement_administratif", ConstraintOperator::eq, "Autoroute", {}},
          Constraint{ConstraintType::unpreferred, "importance", ConstraintOperator::gt, "4", 4.0}},
         [attrs, importance](const Graph& gg, WayId w) {
             const auto& v = attrs[w]["cpx_classement_administratif"];
             if (v.is_string() && v.get<std::string>() == "Autoroute") return 0.0;
             return importance(gg, w) > 4 ? 1.5 : 1.0;
         }},
        {"preferred importance >= 5 + banned nature = type autoroutier",
         {Constraint{ConstraintType::preferred, "importance", ConstraintOperator::ge, "5", 5.0},
          Constraint{ConstraintType::banned, "nature", ConstraintOperator::eq, "Type autoroutier", {}}},
         [importance, nature](const Graph& gg, WayId w) {
             if (nature(w) == "Type autoroutier") return 0.0;
             return importance(gg, w) >= 5 ? 0.8 : 1.0;
         }},
    };
    check_cases(router, cases, 25, 20);
}

// ---- precomputed constraint sets (routing/ch_recontract.hpp) ---------------------------------

namespace {

std::vector<ConstraintSet> sets_of(const std::vector<Case>& cases) {
    std::vector<ConstraintSet> sets;
    for (std::size_t k = 0; k < cases.size(); ++k) sets.push_back({fmt::format("s{}", k), cases[k].constraints});
    return sets;
}

/// A hierarchy of `g` on the weights of `o` × `factor` (a constraint set's): a plain CH query
/// equals the reference Dijkstra on `sources_n` × `targets_n` random pairs (two seeds each); the
/// path is allowed, weighs that, and its aux is the TRUE other metric of the path (unscaled).
/// Returns how many answers the factors changed.
std::size_t check_hierarchy(const Graph& g, const ContractionHierarchy& ch, Optimization o,
                            const std::vector<double>& factor, std::uint32_t seed, std::uint32_t sources_n,
                            std::uint32_t targets_n) {
    CHECK(check_ch_for_errors(g, ch).empty());
    std::size_t changed = 0;
    const auto W = g.weights(o);
    const auto A = g.weights(o == Optimization::fastest ? Optimization::shortest : Optimization::fastest);
    ChQuery q(g, ch);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<NodeId> pick(0, g.node_count() - 1);
    std::uniform_int_distribution<Weight> partial(0, 60);
    const std::vector<double> ones(factor.size(), 1.0);
    std::size_t pairs = 0, reachable = 0;
    for (std::uint32_t i = 0; i < sources_n; ++i) {
        const std::vector<detail::SearchSeed> sources = {{pick(rng), partial(rng)}, {pick(rng), partial(rng)}};
        const auto ref = reference(g, o, factor, sources);
        const auto plain = reference(g, o, ones, sources);
        for (std::uint32_t j = 0; j < targets_n; ++j) {
            const std::vector<detail::SearchSeed> targets = {{pick(rng), partial(rng)},
                                                             {pick(rng), partial(rng)}};
            std::uint64_t want = UINT64_MAX, unconstrained = UINT64_MAX;
            for (const auto& t : targets) {
                if (ref[t.node] != UINT64_MAX) want = std::min(want, ref[t.node] + t.weight);
                if (plain[t.node] != UINT64_MAX) unconstrained = std::min(unconstrained, plain[t.node] + t.weight);
            }
            ++pairs;
            q.reset();
            for (const auto& s : sources) q.add_source(s.node, s.weight);
            for (const auto& t : targets) q.add_target(t.node, t.weight);
            q.run();
            if (want == UINT64_MAX) {
                CHECK(q.distance() == inf_weight);
                continue;
            }
            ++reachable;
            if (want != unconstrained) ++changed;
            REQUIRE(q.distance() == want);
            std::uint64_t w = UINT64_MAX, aux = 0;
            for (const auto& s : sources)
                if (s.node == q.path_source()) w = std::min<std::uint64_t>(w, s.weight);
            REQUIRE(w != UINT64_MAX);
            NodeId at = q.path_source();
            bool connected = true, allowed = true;
            for (const ArcId a : q.arc_path()) {
                connected = connected && a >= g.first_out[at] && a < g.first_out[at + 1];
                const double f = factor[g.segment_way[g.segment_of(a)]];
                allowed = allowed && f > 0;
                w += std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(W[a] * f)));
                aux += A[a];
                at = g.head[a];
            }
            CHECK(connected);
            CHECK(allowed);
            CHECK(at == q.path_target());
            std::uint64_t last = UINT64_MAX;
            for (const auto& t : targets)
                if (t.node == at) last = std::min<std::uint64_t>(last, t.weight);
            REQUIRE(last != UINT64_MAX);
            CHECK(w + last == want);
            CHECK(q.aux() == aux);
        }
    }
    CHECK(pairs >= 2000);
    CHECK(reachable * 4 > pairs);
    return changed;
}

/// Every declared set, both optimizations: check_hierarchy on the set's hierarchies.
void check_precomputed(const Router& router, const std::vector<Case>& cases, std::uint32_t sources_n,
                       std::uint32_t targets_n) {
    const Graph& g = router.graph("r", "car");
    const auto& lp = router.impl().profile("r", "car");
    REQUIRE(lp.sets.size() == cases.size());
    const ProfileInfo* info = router.find("r")->find_profile("car");
    REQUIRE(info->constraint_sets.size() == cases.size());
    std::size_t changed = 0;
    for (std::size_t k = 0; k < cases.size(); ++k) {
        const Case& c = cases[k];
        const detail::PrecomputedSet& set = *lp.sets[k];
        CHECK(set.set.name == fmt::format("s{}", k));
        CHECK(info->constraint_sets[k].constraints.size() == c.constraints.size());
        std::vector<double> factor(g.way_flags.size());
        for (WayId w = 0; w < factor.size(); ++w) factor[w] = c.factor(g, w);
        REQUIRE(std::equal(set.factor.begin(), set.factor.end(), factor.begin(), factor.end()));
        // The request's constraints find this set (or an earlier one with the very same factors).
        const auto* found = detail::find_precomputed(lp, detail::way_costs(g, c.constraints));
        REQUIRE(found != nullptr);
        CHECK(std::equal(found->factor.begin(), found->factor.end(), factor.begin(), factor.end()));
        for (const auto o : {Optimization::fastest, Optimization::shortest}) {
            INFO(c.name << " " << to_string(o));
            REQUIRE(set.has_ch[static_cast<std::size_t>(o)]);
            changed += check_hierarchy(g, set.ch[static_cast<std::size_t>(o)], o, factor,
                                       static_cast<std::uint32_t>(101 + k), sources_n, targets_n);
        }
    }
    CHECK(changed > 0);  // the sets do change routes
}

/// Routes through Query (the precomputed branch) against the same routes on a bundle without
/// sets (CH-verify / A*): same status, same total of the optimized metric (to rounding of the
/// partial end pieces), with and without geometry.
void check_routes_match(const Router& with_sets, const Router& without, const std::vector<Constraint>& constraints,
                        std::size_t count, std::uint32_t seed) {
    const Graph& g = with_sets.graph("r", "car");
    Query a(with_sets), b(without);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<NodeId> pick(0, g.node_count() - 1);
    std::size_t ok = 0;
    for (const auto o : {Optimization::fastest, Optimization::shortest})
        for (std::size_t i = 0; i < count; ++i) {
            RouteRequest req;
            req.resource = "r";
            req.optimization = o;
            req.points = {g.node_position(pick(rng)), g.node_position(pick(rng))};
            req.constraints = constraints;
            req.geometry = req.steps = i % 2 == 1;  // summary only (no unpacking for bans) and full
            const auto ra = a.route(req), rb = b.route(req);
            REQUIRE(ra.status == rb.status);
            if (ra.status != RouteStatus::ok) continue;
            ++ok;
            // Summary routes sum the arcs' integer weights (dm / ds), full routes the pieces' lengths.
            if (o == Optimization::fastest) CHECK(std::abs(ra.duration_s - rb.duration_s) < 0.5 + 1e-3 * rb.duration_s);
            else CHECK(std::abs(ra.distance_m - rb.distance_m) < 0.5 + 1e-3 * rb.distance_m);
        }
    CHECK(ok * 2 > count);
}

std::vector<std::string> spec_problems(const std::string& text) {
    try {
        (void)detail::config_from_toml(*toml::parse(text)["routing"].as_table(), "/");
    } catch (const InvalidArgument& e) {
        return e.problems();
    }
    return {};
}

bool has(const std::vector<std::string>& problems, const std::string& part) {
    return std::any_of(problems.begin(), problems.end(), [&](const std::string& p) { return p.find(part) != std::string::npos; });
}

}  // namespace

TEST_CASE("precomputed constraint sets equal a constrained Dijkstra: synthetic town and Andorra",
          "[routing][constraints][sets]") {
    // banned tunnel, banned autoroute, unpreferred tunnel, preferred autoroute, banned pont + unpreferred autoroute
    const auto cases = way_type_cases();
    synth::Config sc;
    sc.road_nodes = 10'000;
    sc.seed = 11;
    sc.write_addresses = sc.write_dem = sc.write_layers = sc.write_basemap = sc.write_bundle = false;
    const geoplex::test::TempDir dir("geoplex-routing-sets");
    const auto roads = synth::generate(sc, dir / "synth").roads.string();
    const Router town = build(dir, roads, SourceFormat::osm, sets_of(cases), "town");
    check_precomputed(town, cases, 40, 50);
    // Through Query: the precomputed branch answers like the CH-verify / A* branch.
    const Router plain = build(dir, roads, SourceFormat::osm, {}, "plain");
    check_routes_match(town, plain, cases[0].constraints, 150, 5);
    check_routes_match(town, plain, cases[4].constraints, 150, 6);

    const Router andorra =
        build(dir, geoplex::test::data_file("osm/andorra.osm.pbf"), SourceFormat::osm, sets_of(cases), "andorra");
    check_precomputed(andorra, cases, 40, 50);
}

TEST_CASE("precomputed constraint sets: an equivalent spelling finds the set, another set does not",
          "[routing][constraints][sets]") {
    const geoplex::test::TempDir dir("geoplex-routing-sets-spelling");
    const Router router = build(dir, geoplex::test::data_file("osm/monaco.osm.pbf"), SourceFormat::osm,
                                {{"no-tunnel", {way_type(ConstraintType::banned, "tunnel")}}});
    const Graph& g = router.graph("r", "car");
    const auto& lp = router.impl().profile("r", "car");
    REQUIRE(lp.sets.size() == 1);
    REQUIRE(std::count(lp.sets[0]->factor.begin(), lp.sets[0]->factor.end(), 0.0) > 0);  // Monaco has tunnels
    // Another key case, the ban repeated, a weaker constraint on the same ways: same factors.
    const std::vector<Constraint> same = {Constraint{ConstraintType::banned, "WAYTYPE", ConstraintOperator::eq, "tunnel", {}},
                                          way_type(ConstraintType::unpreferred, "tunnel"),
                                          way_type(ConstraintType::banned, "tunnel")};
    CHECK(detail::find_precomputed(lp, detail::way_costs(g, same)) == lp.sets[0].get());
    detail::WayCostsCache cache;
    cache.get(g, same);
    CHECK(cache.precomputed(lp, Optimization::fastest, nullptr).get() == lp.sets[0].get());
    // Unpreferred tunnel alone, or the ban plus something else, are other sets.
    CHECK(detail::find_precomputed(lp, detail::way_costs(g, {way_type(ConstraintType::unpreferred, "tunnel")})) ==
          nullptr);
    cache.get(g, {way_type(ConstraintType::banned, "tunnel"), way_type(ConstraintType::banned, "autoroute")});
    const bool motorways = std::any_of(g.way_flags.begin(), g.way_flags.end(),
                                       [](std::uint16_t f) { return (f & way_flag::motorway) != 0; });
    CHECK((cache.precomputed(lp, Optimization::fastest, nullptr) == nullptr) == motorways);
    CHECK(detail::find_precomputed(lp, detail::WayCosts{}) == nullptr);  // no constraint: the base CH
}

TEST_CASE("precomputed constraint sets: Marseille BD TOPO attribute set", "[routing][constraints][sets][bdtopo]") {
    const geoplex::test::TempDir dir("geoplex-routing-sets-bdtopo");
    const std::string gpkg = geoplex::test::data_file("vector/bdtopo-marseille10/bdtopo-marseille10.gpkg");
    // Independent factors read from the attributes here.
    auto attr = [](const Graph& g, WayId w, const char* key) {
        const auto j = nlohmann::json::parse(g.string(g.way_attributes[w]));
        return j.contains(key) ? j[key] : nlohmann::json();
    };
    auto importance = [attr](const Graph& g, WayId w) {
        const auto v = attr(g, w, "importance");
        return v.is_string() ? std::stod(v.get<std::string>()) : (v.is_number() ? v.get<double>() : -1.0);
    };
    const std::vector<Case> cases = {
        {"banned importance <= 2 + unpreferred nature = route a 2 chaussees",
         {Constraint{ConstraintType::banned, "importance", ConstraintOperator::le, "2", 2.0},
          Constraint{ConstraintType::unpreferred, "nature", ConstraintOperator::eq, "Route à 2 chaussées", {}}},
         [importance, attr](const Graph& g, WayId w) {
             const double i = importance(g, w);
             if (i >= 0 && i <= 2) return 0.0;
             const auto n = attr(g, w, "nature");
             return n.is_string() && n.get<std::string>() == "Route à 2 chaussées" ? 1.5 : 1.0;
         }},
        {"preferred importance >= 4",
         {Constraint{ConstraintType::preferred, "importance", ConstraintOperator::ge, "4", 4.0}},
         [importance](const Graph& g, WayId w) { return importance(g, w) >= 4 ? 0.8 : 1.0; }},
    };
    const Router router = build(dir, gpkg, SourceFormat::bdtopo, sets_of(cases));
    check_precomputed(router, cases, 40, 50);
    // An attribute the resource lacks: the build names the set.
    try {
        (void)build(dir, gpkg, SourceFormat::bdtopo,
                    {{"bad", {Constraint{ConstraintType::banned, "no_such_field", ConstraintOperator::eq, "x", {}}}}},
                    "bad");
        FAIL("the build accepted an unknown key");
    } catch (const InvalidArgument& e) {
        CHECK(has(e.problems(), "constraint_sets[0] ('bad', profile car)"));
        CHECK(has(e.problems(), "no_such_field"));
    }
}

TEST_CASE("constraint sets in bundle.toml: validation messages", "[routing][constraints][sets]") {
    const std::string head = "[[routing.resources]]\nid = \"r\"\npath = \"/\"\nprofiles = [\"car\"]\n";
    // A valid declaration parses (the path "/" exists).
    CHECK(spec_problems(head + "[[routing.resources.constraint_sets]]\nname = \"no-tunnel\"\n"
                               "constraints = [{constraintType = \"banned\", key = \"wayType\", operator = \"=\", "
                               "value = \"tunnel\"}]\n")
              .empty());
    const auto p = spec_problems(
        head +
        "[[routing.resources.constraint_sets]]\nname = \"a\"\n"
        "constraints = [{constraintType = \"forbidden\", key = \"wayType\", operator = \"=\", value = \"tunnel\"}]\n"
        "[[routing.resources.constraint_sets]]\nname = \"a\"\n"
        "constraints = [{constraintType = \"banned\", key = \"wayType\", operator = \"~\", value = \"tunnel\"}]\n"
        "[[routing.resources.constraint_sets]]\nname = \"b c\"\nconstraints = [{constraintType = \"banned\", key = "
        "\"wayType\", operator = \"=\", value = \"bridge\"}]\n"
        "[[routing.resources.constraint_sets]]\nname = \"d\"\nconstraints = [{constraintType = \"banned\", key = "
        "\"nature\", operator = \"=\", value = \"x\"}]\n"
        "[[routing.resources.constraint_sets]]\nname = \"e\"\nconstraints = []\ncolour = 1\n"
        "[[routing.resources.constraint_sets]]\nname = \"f\"\nconstraints = [{constraintType = \"banned\", key = "
        "\"wayType\", operator = \"=\"}]\n");
    INFO(fmt::format("{}", fmt::join(p, "\n")));
    CHECK(has(p, "constraint_sets[0].constraints[0].constraintType: 'forbidden' is not one of banned"));
    CHECK(has(p, "constraint_sets[1].constraints[0].operator: '~' is not one of"));
    CHECK(has(p, "constraint_sets[1].name: 'a' appears twice"));
    CHECK(has(p, "constraint_sets[2].name: 'b c' must be"));
    CHECK(has(p, "constraint_sets[2].constraints[0]: wayType accepts '=' and the values autoroute, tunnel, pont"));
    CHECK(has(p, "constraint_sets[3].constraints[0].key: 'nature' is not available on an osm resource"));
    CHECK(has(p, "constraint_sets[4]: unknown key 'colour'"));
    CHECK(has(p, "constraint_sets[4].constraints: at least one constraint"));
    CHECK(has(p, "constraint_sets[5].constraints[0].value: missing"));
    CHECK(has(spec_problems(head + "constraint_sets = 3\n"), "constraint_sets: must be an array of tables"));
}

// ---- adaptive constraint sets (routing/adaptive_sets.hpp) -------------------------------------

namespace {

/// The synthetic 10 k town's roads (the same as Town's), written in `dir`.
std::string town_roads(const geoplex::test::TempDir& dir) {
    synth::Config sc;
    sc.road_nodes = 10'000;
    sc.seed = 11;
    sc.write_addresses = sc.write_dem = sc.write_layers = sc.write_basemap = sc.write_bundle = false;
    return synth::generate(sc, dir / "synth").roads.string();
}

OpenOptions adaptive(bool enabled = true, std::uint32_t max_sets = 4) {
    OpenOptions o;
    o.adaptive_sets.enabled = enabled;
    o.adaptive_sets.max_sets = max_sets;
    return o;
}

/// A point in the middle of a random road piece (one nearest segment, not a junction).
LonLat mid_piece(const Graph& g, std::mt19937& rng, SegmentId& seg) {
    std::uniform_int_distribution<SegmentId> pick(0, static_cast<SegmentId>(g.segment_length_m.size() - 1));
    seg = pick(rng);
    const auto pts = g.segment_points(seg);
    const std::size_t k = std::uniform_int_distribution<std::size_t>(0, pts.size() / 2 - 2)(rng);
    return {(pts[2 * k] + pts[2 * k + 2]) / 2, (pts[2 * k + 1] + pts[2 * k + 3]) / 2};
}

/// The reference weight of a route between two snaps on different segments: the seeds of a
/// point on a road piece (the rest of the piece to its head node / from its tail node, scaled
/// like the graph's arcs), then the reference Dijkstra.
std::uint64_t reference_route(const Graph& g, Optimization o, const std::vector<double>& factor, const Snap& from,
                              const Snap& to) {
    const auto W = g.weights(o);
    auto piece = [&](SegmentId s, unsigned dir, auto&& f) {
        const NodeId h = g.segment_head[2 * s + dir];
        if (h == invalid_id) return;
        for (auto i = g.first_in[h]; i < g.first_in[h + 1]; ++i)
            if (g.arc_segment[g.in_arc[i]] == (s << 1U | dir)) f(g.in_tail[i], h, g.in_arc[i]);
    };
    auto scaled = [&](ArcId a, double part) {
        const double f = factor[g.segment_way[g.segment_of(a)]];
        return static_cast<Weight>(std::llround(
            static_cast<double>(std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(W[a] * f)))) * part));
    };
    std::vector<detail::SearchSeed> sources;
    std::vector<std::pair<NodeId, Weight>> targets;
    for (unsigned dir = 0; dir < 2; ++dir) {
        piece(from.segment, dir, [&](NodeId, NodeId h, ArcId a) {
            if (factor[g.segment_way[g.segment_of(a)]] > 0)
                sources.push_back({h, scaled(a, dir == 0 ? 1.0 - from.fraction : from.fraction)});
        });
        piece(to.segment, dir, [&](NodeId t, NodeId, ArcId a) {
            if (factor[g.segment_way[g.segment_of(a)]] > 0)
                targets.emplace_back(t, scaled(a, dir == 0 ? to.fraction : 1.0 - to.fraction));
        });
    }
    const auto dist = reference(g, o, factor, sources);
    std::uint64_t best = UINT64_MAX;
    for (const auto& [t, w] : targets)
        if (dist[t] != UINT64_MAX) best = std::min(best, dist[t] + w);
    return best;
}

RouteRequest summary_request(const Graph& g, std::mt19937& rng, const std::vector<Constraint>& constraints,
                             Optimization o = Optimization::fastest) {
    RouteRequest req;
    req.resource = "r";
    req.optimization = o;
    SegmentId a = 0, b = 0;
    do {
        req.points = {mid_piece(g, rng, a), mid_piece(g, rng, b)};
    } while (a == b);
    req.constraints = constraints;
    req.geometry = req.steps = false;
    return req;
}

/// A route answered by `q` weighs what the reference says (fastest summary: integer deciseconds).
void check_summary(const Graph& g, const RouteRequest& req, const RouteResult& res, const std::vector<double>& factor) {
    if (res.status == RouteStatus::no_road) return;
    REQUIRE(res.snaps.size() == 2);
    if (res.snaps[0].segment == res.snaps[1].segment) return;  // may not leave the piece: not the reference's case
    for (const auto& sn : res.snaps)  // a point on a banned road snaps to a junction: tied roads, not modelled here
        if (sn.fraction <= 0.0 || sn.fraction >= 1.0) return;
    const auto want = reference_route(g, req.optimization, factor, res.snaps[0], res.snaps[1]);
    INFO("snaps " << res.snaps[0].segment << "@" << res.snaps[0].fraction << " -> " << res.snaps[1].segment << "@"
                  << res.snaps[1].fraction << " " << res.snaps[0].distance_m << " " << res.snaps[1].distance_m);
    if (want == UINT64_MAX) {
        CHECK(res.status == RouteStatus::no_route);
        return;
    }
    REQUIRE(res.status == RouteStatus::ok);
    REQUIRE(res.legs.size() == 1);
    INFO("engine " << to_string(res.legs[0].engine));
    const auto got = std::llround(res.duration_s * weight_units_per_second);
    if (res.legs[0].engine == RouteEngine::adaptive_set) {
        CHECK(got == static_cast<long long>(want));  // summary route: the hierarchy's integer sum
    } else {
        CHECK(std::abs(got - static_cast<long long>(want)) <= 1);  // unpacked: the pieces' durations
    }
}

std::vector<double> factors_of(const Graph& g, const Case& c) {
    std::vector<double> factor(g.way_flags.size());
    for (WayId w = 0; w < factor.size(); ++w) factor[w] = c.factor(g, w);
    return factor;
}

/// Uses the set of `c` twice through Query, waits for its build, then checks the hierarchy
/// (check_hierarchy) and `routes` Query routes (adaptive engine, reference weights).
void check_adaptive(const Router& router, const Case& c, std::size_t routes, std::uint32_t seed) {
    INFO(c.name);
    const Graph& g = router.graph("r", "car");
    const auto factor = factors_of(g, c);
    Query q(router);
    std::mt19937 rng(seed);
    const auto before = router.constraint_set_stats();
    for (int use = 0; use < 2; ++use) {
        const auto req = summary_request(g, rng, c.constraints);
        const auto res = q.route(req);
        for (const auto& leg : res.legs) CHECK(leg.engine != RouteEngine::adaptive_set);
        check_summary(g, req, res, factor);
    }
    router.wait_for_pending();
    const auto after = router.constraint_set_stats();
    CHECK(after.built == before.built + 1);
    CHECK(after.pending == 0);
    CHECK(after.failed == 0);
    // The hierarchy itself, on random seeds.
    detail::WayCostsCache cache;
    (void)cache.get(g, c.constraints);
    const auto set = cache.precomputed(router.impl().profile("r", "car"), Optimization::fastest,
                                       router.impl().adaptive_sets.get());
    REQUIRE(set != nullptr);
    CHECK(set->adaptive);
    REQUIRE(set->has_ch[0]);
    CHECK_FALSE(set->has_ch[1]);  // only the optimization used
    (void)check_hierarchy(g, set->ch[0], Optimization::fastest, factor, seed, 40, 50);
    // Routes through Query: every leg found on the set's hierarchy (or on one road piece). With
    // bans only, summary routes are the hierarchy's integer sums: exactly the reference. With
    // factors the route is unpacked and reports its true duration: compared with the same route
    // on a Router without adaptive sets (A* / CH-verify, checked above against the reference).
    const bool bans_only = std::all_of(factor.begin(), factor.end(), [](double f) { return f == 0.0 || f == 1.0; });
    std::optional<Router> plain;
    std::optional<Query> plain_q;
    if (!bans_only) {
        plain = Router::open(router.impl().dir, adaptive(false));
        plain_q.emplace(*plain);
    }
    std::size_t adaptive_legs = 0, ok = 0;
    for (std::size_t i = 0; i < routes; ++i) {
        const auto req = summary_request(g, rng, c.constraints);
        const auto res = q.route(req);
        ok += res.status == RouteStatus::ok ? 1 : 0;
        for (const auto& leg : res.legs) {
            CHECK((leg.engine == RouteEngine::adaptive_set || leg.engine == RouteEngine::direct));
            adaptive_legs += leg.engine == RouteEngine::adaptive_set ? 1 : 0;
        }
        if (bans_only) {
            check_summary(g, req, res, factor);
        } else {
            const auto want = plain_q->route(req);
            REQUIRE(res.status == want.status);
            CHECK(std::abs(res.duration_s - want.duration_s) < 0.2 + 1e-4 * want.duration_s);
        }
    }
    INFO(ok << " routes of " << routes);
    CHECK(ok * 5 > routes);  // bridges over the town's river banned: many pairs disconnected
    CHECK(adaptive_legs * 10 > ok * 9);
    CHECK(router.constraint_set_stats().built == after.built);  // not rebuilt
}

}  // namespace

TEST_CASE("adaptive constraint sets: built after two uses, equal a constrained Dijkstra", "[routing][constraints][adaptive]") {
    const auto cases = way_type_cases();
    const geoplex::test::TempDir dir("geoplex-routing-adaptive");
    const Router town = build(dir, town_roads(dir), SourceFormat::osm, {}, "town");
    check_adaptive(town, cases[0], 1000, 3);  // banned tunnel
    check_adaptive(town, cases[4], 300, 4);   // banned pont + unpreferred autoroute
    const Router andorra = build(dir, geoplex::test::data_file("osm/andorra.osm.pbf"), SourceFormat::osm, {}, "andorra");
    check_adaptive(andorra, cases[0], 1000, 5);
}

TEST_CASE("adaptive constraint sets: Marseille BD TOPO attribute set", "[routing][constraints][adaptive][bdtopo]") {
    const geoplex::test::TempDir dir("geoplex-routing-adaptive-bdtopo");
    const Router router =
        build(dir, geoplex::test::data_file("vector/bdtopo-marseille10/bdtopo-marseille10.gpkg"), SourceFormat::bdtopo);
    const Graph& g = router.graph("r", "car");
    std::vector<std::string> nature(g.way_flags.size());
    for (std::size_t w = 0; w < nature.size(); ++w) {
        const auto j = nlohmann::json::parse(g.string(g.way_attributes[w]));
        if (j.contains("nature") && j["nature"].is_string()) nature[w] = j["nature"].get<std::string>();
    }
    const Case c{"banned nature=Route à 2 chaussées",
                 {Constraint{ConstraintType::banned, "nature", ConstraintOperator::eq, "Route à 2 chaussées", {}}},
                 [nature](const Graph&, WayId w) { return nature[w] == "Route à 2 chaussées" ? 0.0 : 1.0; }};
    REQUIRE(std::count(nature.begin(), nature.end(), "Route à 2 chaussées") > 0);
    check_adaptive(router, c, 1000, 9);
}

TEST_CASE("adaptive constraint sets: eviction, declared sets, threads, disabled", "[routing][constraints][adaptive]") {
    const auto cases = way_type_cases();
    const geoplex::test::TempDir dir("geoplex-routing-adaptive-misc");
    const auto roads = town_roads(dir);
    (void)build(dir, roads, SourceFormat::osm, {sets_of({cases[0]})}, "town");  // declares "banned tunnel"
    const Graph* graph = nullptr;
    auto use = [&](const Router& r, const std::vector<Constraint>& constraints, int times, std::uint32_t seed) {
        Query q(r);
        std::mt19937 rng(seed);
        RouteEngine last = RouteEngine::direct;
        for (int i = 0; i < times; ++i) {
            const auto res = q.route(summary_request(*graph, rng, constraints));
            if (!res.legs.empty()) last = res.legs.back().engine;
        }
        return last;
    };

    SECTION("beyond max_sets the least recently used set is evicted") {
        const Router r = Router::open(dir / "town", adaptive(true, 2));
        graph = &r.graph("r", "car");
        for (const std::size_t k : {1U, 2U, 3U}) {
            (void)use(r, cases[k].constraints, 2, static_cast<std::uint32_t>(k));
            r.wait_for_pending();
        }
        const auto st = r.constraint_set_stats();
        CHECK(st.built == 3);
        CHECK(st.ready == 2);
        CHECK(st.evicted == 1);
        // cases[1] was the least recently used: back on A* / CH-verify; cases[3] still adaptive.
        const auto evicted = use(r, cases[1].constraints, 2, 7);  // the 2nd use queues it again
        CHECK((evicted == RouteEngine::astar || evicted == RouteEngine::ch_verified));
        CHECK(use(r, cases[3].constraints, 3, 8) == RouteEngine::adaptive_set);
        // Used again: rebuilt, evicting the next least recently used (cases[2]).
        r.wait_for_pending();
        CHECK(r.constraint_set_stats().built == 4);
        CHECK(r.constraint_set_stats().evicted == 2);
        CHECK(use(r, cases[1].constraints, 1, 9) == RouteEngine::adaptive_set);
    }
    SECTION("a declared set is never rebuilt adaptively") {
        const Router r = Router::open(dir / "town", adaptive());
        graph = &r.graph("r", "car");
        // Same factors, another spelling: the constraint twice.
        const std::vector<Constraint> twice = {cases[0].constraints[0], cases[0].constraints[0]};
        CHECK(use(r, cases[0].constraints, 5, 1) == RouteEngine::declared_set);
        CHECK(use(r, twice, 5, 2) == RouteEngine::declared_set);
        r.wait_for_pending();
        CHECK(r.constraint_set_stats().built == 0);
        CHECK(r.constraint_set_stats().pending == 0);
    }
    SECTION("disabled: never built") {
        const Router r = Router::open(dir / "town", adaptive(false));
        graph = &r.graph("r", "car");
        const auto last = use(r, cases[4].constraints, 6, 3);
        CHECK((last == RouteEngine::astar || last == RouteEngine::ch_verified));
        r.wait_for_pending();
        CHECK(r.constraint_set_stats().built == 0);
    }
    SECTION("two threads querying while a set builds: same answers as the reference") {
        const Router r = Router::open(dir / "town", adaptive());
        const Graph& g = r.graph("r", "car");
        graph = &g;
        const Case pont{"banned pont", {way_type(ConstraintType::banned, "pont")}, [](const Graph& gg, WayId w) {
                            return (gg.way_flags[w] & way_flag::bridge) != 0 ? 0.0 : 1.0;
                        }};
        const auto factor = factors_of(g, pont);
        std::vector<RouteRequest> reqs;
        std::mt19937 rng(21);
        for (int i = 0; i < 300; ++i) reqs.push_back(summary_request(g, rng, pont.constraints));
        std::array<std::vector<RouteResult>, 2> got;
        std::array<std::vector<RouteEngine>, 2> engines;
        auto work = [&](std::size_t t) {
            Query q(r);
            for (const auto& req : reqs) {
                got[t].push_back(q.route(req));
                if (!got[t].back().legs.empty()) engines[t].push_back(got[t].back().legs.back().engine);
            }
        };
        std::thread a(work, 0), b(work, 1);
        a.join();
        b.join();
        r.wait_for_pending();
        CHECK(r.constraint_set_stats().built == 1);
        // Both threads, whatever engine answered (A* before the set was published, the set's CH
        // after), equal the reference.
        for (std::size_t t = 0; t < 2; ++t)
            for (std::size_t i = 0; i < reqs.size(); ++i) check_summary(g, reqs[i], got[t][i], factor);
        // After the build, routes answer on the adaptive set.
        CHECK(use(r, pont.constraints, 2, 22) == RouteEngine::adaptive_set);
    }
}
