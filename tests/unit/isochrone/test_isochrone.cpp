// Isochrones on a synthetic city (geoplex::synth): exact per-node costs (bounded Dijkstra and
// PHAST, both directions, time and distance) against a plain Dijkstra on every node, snapped
// starts, banned constraints, polygons (GEOS-valid, quality bar), several contours, the grid.

#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include "geoplex/core/error.hpp"
#include "geoplex/isochrone/isochrone.hpp"
#include "geoplex/routing/routing.hpp"
#include "geoplex/synth/synth.hpp"
#include "support/test_data.hpp"
#include "unit/isochrone/checks.hpp"

using namespace geoplex;
using namespace geoplex::isochrone;
namespace iref = geoplex::isochrone::test;

namespace {

struct City {
    geoplex::test::TempDir dir{"geoplex-isochrone-synth"};
    routing::Router router = build();
    routing::Router build() {
        synth::Config sc;
        sc.road_nodes = 20'000;
        sc.seed = 11;
        sc.write_addresses = sc.write_dem = sc.write_layers = sc.write_basemap = sc.write_bundle = false;
        const auto summary = synth::generate(sc, dir / "synth");
        routing::ResourceConfig r;
        r.id = "synth";
        r.path = summary.roads;
        r.profiles = {routing::Profile::builtin("car")};
        routing::BuildConfig cfg;
        cfg.resources.push_back(r);
        (void)routing::Builder(cfg).build(dir / "routing");
        return routing::Router::open(dir / "routing");
    }
};

City& city() {
    static City c;
    return c;
}

/// A point in the middle of a long road piece (not a junction: no tie when snapping).
LonLat mid_piece(const routing::Graph& g, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<SegmentId> pick(0, g.segment_count() - 1);
    for (;;) {
        const SegmentId s = pick(rng);
        if (g.segment_length_m[s] > 80 && g.segment_head[2 * s] != routing::invalid_id)
            return iref::at_fraction(g, s, 0.37);
    }
}

}  // namespace

TEST_CASE("synthetic city: per-node costs equal Dijkstra on every node", "[isochrone][exact][synth]") {
    Isochrones iso(city().router);
    iref::check_exact(iso, city().router, "synth", "car", 3, 5);
}

TEST_CASE("synthetic city: contours are valid and meet the quality bar", "[isochrone][polygon][synth]") {
    Isochrones iso(city().router);
    const auto& g = city().router.graph("synth", "car");
    for (unsigned seed : {1U, 2U}) {
        const LonLat p = mid_piece(g, seed);
        iref::check_contours(iso, "synth", "car", p, CostType::time, Direction::departure, {300, 600});
        iref::check_contours(iso, "synth", "car", p, CostType::distance, Direction::arrival, {3000});
    }
}

TEST_CASE("synthetic city: a tolerance of several cells (GEOS fallback) still gives valid polygons",
          "[isochrone][polygon][synth]") {
    // Below one cell the rings are simplified on the lattice and proved valid by the component's
    // own exact check; at 2.5 cells that proof does not hold and GEOS simplifies. Both paths are
    // checked by GEOS isValid here (the contours test above covers the default path).
    Isochrones iso(city().router);
    const auto& g = city().router.graph("synth", "car");
    const auto w = g.weights(routing::Optimization::fastest);
    IsochroneRequest rq;
    rq.resource = "synth";
    rq.budgets = {300, 600};
    rq.polygon.cell_m = 20;
    rq.polygon.simplify_m = 50;
    for (unsigned seed : {1U, 2U, 3U}) {
        rq.point = mid_piece(g, seed);
        const auto res = iso.compute(rq);
        REQUIRE(res.status == IsochroneStatus::ok);
        const auto pts = iref::road_points(g, w, false, res.snap, 20.0);
        for (std::size_t i = 0; i < rq.budgets.size(); ++i) {
            const auto q = iref::quality(res.contours[i].geometry, pts, rq.budgets[i]);
            INFO("seed " << seed << " budget " << rq.budgets[i] << ": inside " << q.inside_reachable);
            CHECK(!res.contours[i].geometry.empty());
            CHECK(q.valid);
            CHECK(q.reachable > 0);
        }
    }
}

TEST_CASE("synthetic city: banned constraints equal a Dijkstra without those arcs", "[isochrone][constraints][synth]") {
    Isochrones iso(city().router);
    const auto& g = city().router.graph("synth", "car");
    const LonLat p = mid_piece(g, 3);
    for (const auto& [value, bit] : {std::pair<const char*, std::uint16_t>{"autoroute", routing::way_flag::motorway},
                                     {"tunnel", routing::way_flag::tunnel},
                                     {"pont", routing::way_flag::bridge}}) {
        IsochroneRequest rq;
        rq.resource = "synth";
        rq.point = p;
        rq.constraints = {routing::Constraint{routing::ConstraintType::banned, "wayType", routing::ConstraintOperator::eq, value, {}}};
        rq.budgets = {900};
        const auto res = iso.compute(rq);
        REQUIRE(res.status == IsochroneStatus::ok);
        CHECK(res.algorithm == Algorithm::dijkstra);
        rq.budgets.clear();
        const auto costs = iso.node_costs(rq);
        const auto w = g.weights(routing::Optimization::fastest);
        auto banned = [&](routing::ArcId a) { return (g.way_flags[g.segment_way[g.segment_of(a)]] & bit) != 0; };
        std::vector<iref::RefSeed> seeds;
        std::size_t banned_arcs = 0;
        for (routing::ArcId a = 0; a < g.arc_count(); ++a) {
            banned_arcs += banned(a) ? 1 : 0;
            if (g.segment_of(a) != res.snap.segment || banned(a)) continue;
            const double from_tail = g.reversed(a) ? 1.0 - res.snap.fraction : res.snap.fraction;
            seeds.push_back({g.head[a], static_cast<std::uint64_t>(std::llround(w[a] * (1.0 - from_tail)))});
        }
        INFO(value << ": " << banned_arcs << " banned arcs");
        CHECK(banned_arcs > 0);
        const auto ref = iref::dijkstra(g, w, false, seeds, banned);
        std::size_t bad = 0;
        for (NodeId v = 0; v < g.node_count(); ++v) {
            const double want = ref[v] == iref::inf64 ? INFINITY : static_cast<double>(ref[v]) / 10.0;
            if (!(want == costs[v] || std::abs(want - costs[v]) < 1e-9)) ++bad;
        }
        CHECK(bad == 0);
        // no reached piece lies on a banned road
        for (const auto& piece : iso.pieces(900))
            CHECK((g.way_flags[g.segment_way[piece.segment]] & bit) == 0);
    }
    IsochroneRequest bad;
    bad.resource = "synth";
    bad.point = p;
    bad.budgets = {60};
    bad.constraints = {routing::Constraint{routing::ConstraintType::preferred, "wayType", routing::ConstraintOperator::eq, "pont", {}}};
    CHECK_THROWS_AS(iso.compute(bad), InvalidArgument);
}

TEST_CASE("synthetic city: pieces are cut where the budget ends", "[isochrone][pieces][synth]") {
    Isochrones iso(city().router);
    const auto& g = city().router.graph("synth", "car");
    IsochroneRequest rq;
    rq.resource = "synth";
    rq.point = mid_piece(g, 4);
    rq.budgets = {240};
    rq.polygons = false;
    const auto res = iso.compute(rq);
    REQUIRE(res.status == IsochroneStatus::ok);
    const auto pieces = iso.pieces(240);
    REQUIRE(pieces.size() == res.contours[0].pieces);
    std::size_t cut = 0;
    for (const auto& p : pieces) {
        CHECK(p.f0 >= 0.0);
        CHECK(p.f1 <= 1.0);
        CHECK(p.f0 <= p.f1);
        CHECK(std::max(p.cost0, p.cost1) <= 240.0 + 1e-9);
        if (p.f1 - p.f0 < 1.0 - 1e-9 && std::abs(std::max(p.cost0, p.cost1) - 240.0) < 1e-6) ++cut;
    }
    CHECK(cut > 0);  // the frontier cuts pieces exactly at the budget
}

TEST_CASE("synthetic city: misses, validation and the cost grid", "[isochrone][api][synth]") {
    Isochrones iso(city().router);
    const auto& g = city().router.graph("synth", "car");
    IsochroneRequest rq;
    rq.resource = "synth";
    rq.point = {g.node_lonlat[0] + 1.0, g.node_lonlat[1] + 1.0};  // ~100 km away
    rq.budgets = {600};
    const auto miss = iso.compute(rq);
    CHECK(miss.status == IsochroneStatus::no_road);
    CHECK_FALSE(miss.message.empty());
    rq.budgets = {-5};
    CHECK_THROWS_AS(iso.compute(rq), InvalidArgument);
    rq.budgets = {600};
    rq.resource = "nope";
    rq.point = mid_piece(g, 5);
    CHECK_THROWS_AS(iso.compute(rq), Error);
    rq.resource = "synth";
    const CostGrid grid = iso.grid(rq, 50.0);
    REQUIRE(grid.width > 0);
    REQUIRE(grid.cost.size() == grid.width * grid.height);
    std::size_t finite = 0;
    float lowest = 1e30F;
    for (const float c : grid.cost)
        if (!std::isnan(c)) {
            ++finite;
            lowest = std::min(lowest, c);
            CHECK(c <= 600.0F + 1e-3F);
        }
    CHECK(finite > 10);
    CHECK(lowest < 1.0F);  // the start cell
    CHECK(grid.bbox.contains(rq.point));
}
