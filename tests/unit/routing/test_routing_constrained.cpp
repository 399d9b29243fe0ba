// Constrained routes (routing/constrained.hpp: CH then verify, else A* with CH potentials)
// against an independent reference: per-way factors recomputed here from the way flags and the
// BD TOPO attributes, then a textbook multi-source Dijkstra (std::priority_queue, 64-bit sums)
// on max(1, round(w × factor)). Monaco, Andorra, Marseille BD TOPO and a synthetic town.

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <random>

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
             const std::vector<ConstraintSet>& sets = {}, const std::string& sub = "routing") {
    ResourceConfig r;
    r.id = "r";
    r.format = format;
    r.path = path;
    r.profiles = {Profile::builtin("car")};
    r.constraint_sets = sets;
    BuildConfig cfg;
    cfg.resources.push_back(r);
    Builder(cfg).build(dir / sub);
    return Router::open(dir / sub);
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

/// Every declared set, both optimizations: a plain CH query on the set's hierarchy equals the
/// reference Dijkstra on `sources_n` × `targets_n` random pairs (two seeds each); the path is
/// allowed, weighs that, and its aux is the TRUE other metric of the path (unscaled).
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
            const ContractionHierarchy& ch = set.ch[static_cast<std::size_t>(o)];
            CHECK(check_ch_for_errors(g, ch).empty());
            const auto W = g.weights(o);
            const auto A = g.weights(o == Optimization::fastest ? Optimization::shortest : Optimization::fastest);
            ChQuery q(g, ch);
            std::mt19937 rng(static_cast<std::uint32_t>(101 + k));
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
    CHECK(cache.precomputed(lp) == lp.sets[0].get());
    // Unpreferred tunnel alone, or the ban plus something else, are other sets.
    CHECK(detail::find_precomputed(lp, detail::way_costs(g, {way_type(ConstraintType::unpreferred, "tunnel")})) ==
          nullptr);
    cache.get(g, {way_type(ConstraintType::banned, "tunnel"), way_type(ConstraintType::banned, "autoroute")});
    const bool motorways = std::any_of(g.way_flags.begin(), g.way_flags.end(),
                                       [](std::uint16_t f) { return (f & way_flag::motorway) != 0; });
    CHECK((cache.precomputed(lp) == nullptr) == motorways);
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
