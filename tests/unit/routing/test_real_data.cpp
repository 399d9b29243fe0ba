// Real OSM extracts (../shared/data): CH exactness on Monaco and Andorra, build reports, real routes.

#include <catch2/catch.hpp>
#include <map>
#include <queue>
#include <random>

#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "geoplex/core/geometry.hpp"
#include "geoplex/routing/routing.hpp"
#include "unit/routing/reference.hpp"
#include "support/test_data.hpp"

using namespace geoplex;
using namespace geoplex::routing;

namespace {

struct Built {
    geoplex::test::TempDir dir{"geoplex-routing-real"};
    BuildReport report;
    Router router;
    explicit Built(const std::string& file) : router(build(file)) {}
    Router build(const std::string& file) {
        ResourceConfig r;
        r.id = "osm";
        r.path = geoplex::test::data_file(file);
        r.profiles = {Profile::builtin("car"), Profile::builtin("pedestrian")};
        BuildConfig cfg;
        cfg.resources.push_back(r);
        report = Builder(cfg).build(dir / "routing");
        OpenOptions options;  // (by name: OpenOptions grows)
        options.verify_checksums = true;
        return Router::open(dir / "routing", options);
    }
};

void check_all(const Built& b) {
    for (const char* profile : {"car", "pedestrian"})
        for (const auto o : {Optimization::fastest, Optimization::shortest}) {
            INFO(profile << " " << to_string(o));
            routing::test::check_ch_against_dijkstra(b.router.graph("osm", profile), b.router.ch("osm", profile, o), o,
                                                     100, 100, 1234);
        }
}

}  // namespace

TEST_CASE("Monaco: CH equals Dijkstra on 10 000 pairs per profile and optimization", "[routing][ch][monaco]") {
    const Built b("osm/monaco.osm.pbf");
    REQUIRE(b.report.profiles.size() == 2);
    CHECK(b.report.profiles[0].restrictions > 0);
    check_all(b);

    // A real route across Monaco: from the Place du Casino to the Stade Louis II.
    Query q(b.router);
    RouteRequest req;
    req.resource = "osm";
    req.points = {{7.4276, 43.7393}, {7.4155, 43.7277}};
    const auto res = q.route(req);
    REQUIRE(res.status == RouteStatus::ok);
    const double crow = core::geodesic_distance(req.points[0], req.points[1]);
    CHECK(res.distance_m > crow);
    CHECK(res.distance_m < 4 * crow);
    CHECK(res.duration_s > res.distance_m / (90 / 3.6));
    req.profile = "pedestrian";
    const auto walk = q.route(req);
    REQUIRE(walk.status == RouteStatus::ok);
    CHECK(walk.duration_s == Approx(walk.distance_m / (4 / 3.6)).epsilon(0.01));
}

TEST_CASE("Andorra: CH equals Dijkstra on 10 000 pairs per profile and optimization", "[routing][ch][andorra]") {
    const Built b("osm/andorra.osm.pbf");
    check_all(b);
}

TEST_CASE("Marseille BD TOPO: CH exactness, restrictions, attribute constraints", "[routing][bdtopo]") {
    geoplex::test::TempDir dir("geoplex-routing-bdtopo");
    ResourceConfig r;
    r.id = "bdtopo";
    r.format = SourceFormat::bdtopo;
    r.path = geoplex::test::data_file("vector/bdtopo-marseille10/bdtopo-marseille10.gpkg");
    r.profiles = {Profile::builtin("car"), Profile::builtin("pedestrian")};
    BuildConfig cfg;
    cfg.resources.push_back(r);
    const auto report = Builder(cfg).build(dir / "routing");
    const Router router = Router::open(dir / "routing");
    REQUIRE(report.profiles.size() == 2);
    // non_communication has 3 rows; each names troncons sharing an end.
    CHECK(report.profiles[0].restrictions + report.profiles[0].restrictions_ignored == 3);
    CHECK(report.profiles[0].restrictions >= 1);
    for (const char* profile : {"car", "pedestrian"})
        for (const auto o : {Optimization::fastest, Optimization::shortest}) {
            INFO(profile << " " << to_string(o));
            routing::test::check_ch_against_dijkstra(router.graph("bdtopo", profile), router.ch("bdtopo", profile, o), o,
                                                     100, 100, 99);
        }

    // Attribute constraints against a Dijkstra that reads the attributes itself.
    const Graph& g = router.graph("bdtopo", "car");
    std::vector<nlohmann::json> attrs(g.way_flags.size());
    for (std::size_t w = 0; w < attrs.size(); ++w) attrs[w] = nlohmann::json::parse(g.string(g.way_attributes[w]));
    auto importance = [&](WayId w) {
        const auto& v = attrs[w]["importance"];
        return v.is_string() ? std::stod(v.get<std::string>()) : (v.is_number() ? v.get<double>() : -1.0);
    };
    std::map<std::pair<double, double>, int> at;
    for (NodeId v = 0; v < g.node_count(); ++v) ++at[{g.node_lonlat[2 * v], g.node_lonlat[2 * v + 1]}];
    std::vector<NodeId> alone;
    for (NodeId v = 0; v < g.node_count(); ++v)
        if (at[{g.node_lonlat[2 * v], g.node_lonlat[2 * v + 1]}] == 1) alone.push_back(v);
    std::mt19937 rng(5);
    std::uniform_int_distribution<std::size_t> pick(0, alone.size() - 1);
    Query q(router);
    int compared = 0;
    for (int k = 0; k < 60; ++k) {
        const NodeId s = alone[pick(rng)], t = alone[pick(rng)];
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
                if (importance(g.segment_way[g.segment_of(a)]) <= 2) continue;  // banned: importance <= 2 (main roads)
                if (d + g.weight_fastest[a] < dist[g.head[a]]) {
                    dist[g.head[a]] = d + g.weight_fastest[a];
                    pq.emplace(dist[g.head[a]], g.head[a]);
                }
            }
        }
        RouteRequest req;
        req.resource = "bdtopo";
        req.points = {g.node_position(s), g.node_position(t)};
        req.constraints = {Constraint{ConstraintType::banned, "importance", ConstraintOperator::le, "2", 2.0}};
        req.steps = false;
        const auto res = q.route(req);
        if (res.status != RouteStatus::ok || dist[t] == UINT64_MAX) continue;
        // A node whose only roads are banned snaps elsewhere: not the reference's start.
        if (res.snaps[0].distance_m > 0.01 || res.snaps[1].distance_m > 0.01) continue;
        ++compared;
        CHECK(res.duration_s * weight_units_per_second == Approx(static_cast<double>(dist[t])).margin(0.01));
    }
    CHECK(compared > 20);
    // nature values match Road2's spelling (accents folded, '_' for spaces).
    RouteRequest req;
    req.resource = "bdtopo";
    req.points = {g.node_position(alone[0]), g.node_position(alone[1])};
    req.constraints = {Constraint{ConstraintType::banned, "nature", ConstraintOperator::eq, "type_autoroutier", {}}};
    CHECK_NOTHROW(q.route(req));
    req.constraints = {Constraint{ConstraintType::banned, "couleur", ConstraintOperator::eq, "rouge", {}}};
    CHECK_THROWS_AS(q.route(req), InvalidArgument);
}
