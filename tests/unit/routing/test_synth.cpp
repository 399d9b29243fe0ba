// CH exactness and constrained routes on a synthetic town (geoplex::synth): real OSM tags,
// one-ways, roundabouts, a motorway, bridges, tunnels and turn restrictions.

#include <algorithm>
#include <random>

#include <catch2/catch.hpp>

#include "geoplex/core/error.hpp"
#include "geoplex/core/geometry.hpp"
#include "geoplex/routing/routing.hpp"
#include "geoplex/synth/synth.hpp"
#include "unit/routing/reference.hpp"
#include "support/test_data.hpp"

using namespace geoplex;
using namespace geoplex::routing;

namespace {

struct Town {
    geoplex::test::TempDir dir{"geoplex-routing-synth"};
    BuildReport report;
    Router router = build();
    Router build() {
        synth::Config sc;
        sc.road_nodes = 20'000;
        sc.seed = 7;
        sc.write_addresses = sc.write_dem = sc.write_layers = sc.write_basemap = sc.write_bundle = false;
        const auto summary = synth::generate(sc, dir / "synth");
        ResourceConfig r;
        r.id = "synth";
        r.path = summary.roads;
        r.profiles = {Profile::builtin("car"), Profile::builtin("pedestrian")};
        BuildConfig cfg;
        cfg.resources.push_back(r);
        report = Builder(cfg).build(dir / "routing");
        return Router::open(dir / "routing");
    }
};

Town& town() {
    static Town t;
    return t;
}

}  // namespace

TEST_CASE("synthetic town: CH equals Dijkstra on 10 000 pairs per profile and optimization", "[routing][ch][synth]") {
    const Router& r = town().router;
    REQUIRE(town().report.profiles.size() == 2);
    CHECK(town().report.profiles[0].restrictions > 0);  // the generator draws turn restrictions
    for (const char* profile : {"car", "pedestrian"})
        for (const auto o : {Optimization::fastest, Optimization::shortest}) {
            INFO(profile << " " << to_string(o));
            routing::test::check_ch_against_dijkstra(r.graph("synth", profile), r.ch("synth", profile, o), o, 100, 100,
                                                     42);
        }
}

TEST_CASE("synthetic town: CH ids are in level order (CH format 3)", "[routing][ch][synth]") {
    const Router& r = town().router;
    for (const auto o : {Optimization::fastest, Optimization::shortest}) {
        const Graph& g = r.graph("synth", "car");
        const ContractionHierarchy& ch = r.ch("synth", "car", o);
        CHECK(check_ch_for_errors(g, ch).empty());
        // Level of each node computed from the arcs alone (by increasing id is enough only if
        // heads are higher: checked by check_ch_for_errors): 0 without lower neighbour, else 1 +
        // the highest lower neighbour's level.
        const auto n = ch.node_count();
        std::vector<std::uint32_t> level(n, 0);
        for (NodeId x = 0; x < n; ++x) {
            for (auto e = ch.forward_first_out[x]; e < ch.forward_first_out[x + 1]; ++e)
                level[ch.forward_head[e]] = std::max(level[ch.forward_head[e]], level[x] + 1);
            for (auto e = ch.backward_first_out[x]; e < ch.backward_first_out[x + 1]; ++e)
                level[ch.backward_head[e]] = std::max(level[ch.backward_head[e]], level[x] + 1);
        }
        std::size_t unordered = 0;
        for (NodeId x = 1; x < n; ++x)
            if (level[x - 1] > level[x] || (level[x - 1] == level[x] && ch.order[x - 1] >= ch.order[x])) ++unordered;
        CHECK(unordered == 0);
        CHECK(level[n - 1] > 10);  // a real hierarchy, not one flat level
    }
}

TEST_CASE("synthetic town: constrained routes equal a constrained Dijkstra", "[routing][constraints][synth]") {
    const Router& r = town().router;
    const Graph& g = r.graph("synth", "car");
    // Nodes alone at their position (not split by a turn restriction), so a route between
    // their positions starts and ends exactly there.
    std::map<std::pair<double, double>, int> at;
    for (NodeId v = 0; v < g.node_count(); ++v) ++at[{g.node_lonlat[2 * v], g.node_lonlat[2 * v + 1]}];
    std::vector<NodeId> alone;
    for (NodeId v = 0; v < g.node_count(); ++v)
        if (at[{g.node_lonlat[2 * v], g.node_lonlat[2 * v + 1]}] == 1) alone.push_back(v);
    REQUIRE(alone.size() > 100);
    std::mt19937 rng(3);
    std::uniform_int_distribution<std::size_t> pick(0, alone.size() - 1);
    Query q(r);
    int compared = 0, avoided = 0;
    for (const std::string value : {"tunnel", "pont", "autoroute"}) {
        const std::uint16_t bit = value == "tunnel" ? way_flag::tunnel : value == "pont" ? way_flag::bridge : way_flag::motorway;
        for (int k = 0; k < 40; ++k) {
            const NodeId s = alone[pick(rng)], t = alone[pick(rng)];
            // Reference: textbook Dijkstra skipping banned arcs.
            std::vector<std::uint64_t> dist(g.node_count(), UINT64_MAX);
            using Item = std::pair<std::uint64_t, NodeId>;
            std::priority_queue<Item, std::vector<Item>, std::greater<>> pq;
            dist[s] = 0;
            pq.emplace(0, s);
            while (!pq.empty()) {
                const auto [d, x] = pq.top();
                pq.pop();
                if (d > dist[x]) continue;
                for (auto a = g.first_out[x]; a < g.first_out[x + 1]; ++a) {
                    if ((g.way_flags[g.segment_way[g.segment_of(a)]] & bit) != 0) continue;
                    if (d + g.weight_fastest[a] < dist[g.head[a]]) {
                        dist[g.head[a]] = d + g.weight_fastest[a];
                        pq.emplace(dist[g.head[a]], g.head[a]);
                    }
                }
            }
            RouteRequest req;
            req.resource = "synth";
            req.points = {g.node_position(s), g.node_position(t)};
            req.constraints = {Constraint{ConstraintType::banned, "wayType", ConstraintOperator::eq, value, {}}};
            req.steps = false;
            const auto res = q.route(req);
            // A start/end whose only roads are banned is a miss, not a crash.
            if (res.status != RouteStatus::ok) {
                CHECK(dist[t] == UINT64_MAX);
                continue;
            }
            if (dist[t] == UINT64_MAX) continue;
            // A node whose only roads are banned snaps elsewhere: not the reference's start.
            if (res.snaps[0].distance_m > 0.01 || res.snaps[1].distance_m > 0.01) continue;
            ++compared;
            INFO(value << " " << s << " → " << t);
            CHECK(res.duration_s * weight_units_per_second == Approx(static_cast<double>(dist[t])).margin(0.01));
            RouteRequest plain = req;
            plain.constraints.clear();
            if (q.route(plain).duration_s < res.duration_s - 0.05) ++avoided;
        }
    }
    CHECK(compared > 60);
    CHECK(avoided > 0);  // the constraints changed some routes
}

TEST_CASE("synthetic town: routes between random points are consistent", "[routing][synth]") {
    const Router& r = town().router;
    const auto* info = r.find("synth");
    REQUIRE(info != nullptr);
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> lon(info->bbox.min_x, info->bbox.max_x), lat(info->bbox.min_y, info->bbox.max_y);
    Query q(r);
    int ok = 0;
    for (int k = 0; k < 200; ++k) {
        RouteRequest req;
        req.resource = "synth";
        req.profile = k % 2 == 0 ? "car" : "pedestrian";
        req.points = {{lon(rng), lat(rng)}, {lon(rng), lat(rng)}, {lon(rng), lat(rng)}};
        req.snap_radius_m = 5000;  // the countryside between towns is wide
        const auto res = q.route(req);
        if (res.status == RouteStatus::no_road) continue;
        REQUIRE(res.status == RouteStatus::ok);
        ++ok;
        // A route is never shorter than the straight line between its snapped ends.
        CHECK(res.distance_m + 0.5 >= core::geodesic_distance(res.snaps[0].snapped, res.snaps[1].snapped) +
                                         core::geodesic_distance(res.snaps[1].snapped, res.snaps[2].snapped) - 1.0);
        CHECK(res.legs.size() == 2);
        double steps = 0;
        for (const auto& leg : res.legs)
            for (const auto& s : leg.steps) steps += s.distance_m;
        CHECK(steps == Approx(res.distance_m).margin(0.01));
        CHECK(res.geometry.size() >= 2);
    }
    CHECK(ok > 100);
}
