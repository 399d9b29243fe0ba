// One-way streets, turn restrictions, access rules, snapping, steps and constraints on small
// hand-drawn maps. Expected routes are written by hand from the drawing.

#include <catch2/catch.hpp>

#include "geoplex/core/error.hpp"
#include "geoplex/core/geometry.hpp"
#include "unit/routing/ascii_map.hpp"
#include "unit/routing/reference.hpp"

using namespace geoplex;
using namespace geoplex::routing;
using geoplex::routing::test::AsciiMap;

namespace {

struct Result {
    RouteStatus status;
    std::string letters;
    RouteResult raw;
};

Result route(const Router& r, const AsciiMap& m, std::vector<LonLat> points, std::string profile = "car",
             Optimization o = Optimization::fastest, std::vector<Constraint> constraints = {}) {
    Query q(r);
    RouteRequest req;
    req.resource = "test";
    req.profile = std::move(profile);
    req.optimization = o;
    req.points = std::move(points);
    req.constraints = std::move(constraints);
    RouteResult res = q.route(req);
    return {res.status, m.letters(res.geometry), res};
}

Result route(const Router& r, const AsciiMap& m, char from, char to, std::string profile = "car",
             Optimization o = Optimization::fastest, std::vector<Constraint> constraints = {}) {
    return route(r, m, {m.at(from), m.at(to)}, std::move(profile), o, std::move(constraints));
}

const char* square = R"(
a-b-c
|   |
d---e
)";

const char* ladder = R"(
a-b-c
  | |
  d-e
)";

}  // namespace

TEST_CASE("one-way streets are honoured by cars, not by pedestrians", "[routing][oneway]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(square);
    m.way("abc", {{"highway", "primary"}, {"oneway", "yes"}});
    m.way("adec", {{"highway", "residential"}});
    const Router r = m.build(dir);
    CHECK(route(r, m, 'a', 'c').letters == "abc");
    CHECK(route(r, m, 'c', 'a').letters == "ceda");
    CHECK(route(r, m, 'c', 'a', "pedestrian").letters == "cba");
    CHECK(route(r, m, 'c', 'a', "car", Optimization::shortest).letters == "ceda");
}

TEST_CASE("oneway=-1 reverses the allowed direction", "[routing][oneway]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(square);
    m.way("abc", {{"highway", "primary"}, {"oneway", "-1"}});
    m.way("adec", {{"highway", "residential"}});
    const Router r = m.build(dir);
    CHECK(route(r, m, 'a', 'c').letters == "adec");
    CHECK(route(r, m, 'c', 'a').letters == "cba");
}

TEST_CASE("roundabouts and motorways are one-way without a tag for cars", "[routing][oneway]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(square);
    m.way("abc", {{"highway", "primary"}, {"junction", "roundabout"}});
    m.way("adec", {{"highway", "residential"}});
    const Router r = m.build(dir);
    CHECK(route(r, m, 'c', 'a').letters == "ceda");
    CHECK(route(r, m, 'c', 'a', "pedestrian").letters == "cba");
}

TEST_CASE("no_* turn restrictions force a detour for cars only", "[routing][restrictions]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(ladder);
    const int ab = m.way("ab", {{"highway", "residential"}});
    m.way("bc", {{"highway", "residential"}});
    const int bd = m.way("bd", {{"highway", "residential"}});
    m.way("de", {{"highway", "residential"}});
    m.way("ce", {{"highway", "residential"}});
    m.restriction(ab, 'b', bd, "no_right_turn");
    BuildReport report;
    const Router r = m.build(dir, &report);
    CHECK(route(r, m, 'a', 'd').letters == "abced");
    CHECK(route(r, m, 'a', 'd', "pedestrian").letters == "abd");
    // The restriction is directional: d → b → a is still allowed.
    CHECK(route(r, m, 'd', 'a').letters == "dba");
    // Other turns at b are untouched.
    CHECK(route(r, m, 'a', 'c').letters == "abc");
    REQUIRE(report.profiles.size() == 2);
    CHECK(report.profiles[0].restrictions == 1);
    CHECK(report.profiles[1].restrictions == 0);
}

TEST_CASE("only_* turn restrictions forbid every other turn", "[routing][restrictions]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(ladder);
    const int ab = m.way("ab", {{"highway", "residential"}});
    const int bc = m.way("bc", {{"highway", "residential"}});
    m.way("bd", {{"highway", "residential"}});
    m.way("de", {{"highway", "residential"}});
    m.way("ce", {{"highway", "residential"}});
    m.restriction(ab, 'b', bc, "only_straight_on");
    const Router r = m.build(dir);
    CHECK(route(r, m, 'a', 'd').letters == "abced");
    CHECK(route(r, m, 'a', 'c').letters == "abc");
    CHECK(route(r, m, 'c', 'd').letters == "cbd");
}

TEST_CASE("restrictions with except=motorcar do not apply to cars", "[routing][restrictions]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(ladder);
    const int ab = m.way("ab", {{"highway", "residential"}});
    m.way("bc", {{"highway", "residential"}});
    const int bd = m.way("bd", {{"highway", "residential"}});
    m.way("de", {{"highway", "residential"}});
    m.way("ce", {{"highway", "residential"}});
    m.restriction(ab, 'b', bd, "no_right_turn", {{"except", "bicycle;motorcar"}});
    const Router r = m.build(dir);
    CHECK(route(r, m, 'a', 'd').letters == "abd");
}

namespace {
// A via-way restriction: coming from ab, along bc, the turn into ce is forbidden (no_*) or
// only ch is allowed (only_*). The detour is b-d-f-e; bc and ch are long enough that turning
// back on them (a node-based graph allows u-turns at nodes) costs more than the detour.
const char* via_way_map = R"(
a-b-------c---------h
  |       |
  |       e
  |       |
  d-------f
)";
}  // namespace

TEST_CASE("no_* restrictions with a via way forbid the whole arc sequence", "[routing][restrictions]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(via_way_map);
    const int ab = m.way("ab", {{"highway", "residential"}});
    const int bc = m.way("bc", {{"highway", "residential"}});
    m.way("ch", {{"highway", "residential"}});
    const int ce = m.way("ce", {{"highway", "residential"}});
    m.way("bdfe", {{"highway", "residential"}});
    m.restriction(ab, std::vector<int>{bc}, ce, "no_right_turn");
    BuildReport report;
    const Router r = m.build(dir, &report);
    CHECK(route(r, m, 'a', 'e').letters == "abdfe");
    CHECK(route(r, m, 'a', 'e', "pedestrian").letters == "abce");
    // Only the sequence a-b-c-e is forbidden: c → e, and b → c → e (not coming from a), are allowed.
    CHECK(route(r, m, 'c', 'e').letters == "ce");
    CHECK(route(r, m, {m.between('b', 'c', 0.25), m.at('e')}).letters == "ce");
    CHECK(route(r, m, 'a', 'h').letters == "abch");
    CHECK(route(r, m, 'e', 'a').letters == "ecba");  // directional
    REQUIRE(report.profiles.size() == 2);
    CHECK(report.profiles[0].restrictions == 1);
    CHECK(report.profiles[0].via_way_restrictions == 1);
    CHECK(report.profiles[0].restrictions_ignored == 0);
    // Exactness of the CH on the split graph: equal to the reference Dijkstra on every pair.
    const Graph& g = r.graph("test", "car");
    const auto& ch = r.ch("test", "car", Optimization::fastest);
    ChQuery q(g, ch);
    for (NodeId s = 0; s < g.node_count(); ++s) {
        const auto ref = routing::test::dijkstra_all(g, Optimization::fastest, s);
        for (NodeId t = 0; t < g.node_count(); ++t) {
            const Weight d = q.reset().add_source(s).add_target(t).run().distance();
            CHECK(d == (ref[t] == UINT64_MAX ? inf_weight : static_cast<Weight>(ref[t])));
        }
    }
}

TEST_CASE("only_* restrictions with a via way allow one exit at its end", "[routing][restrictions]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(via_way_map);
    const int ab = m.way("ab", {{"highway", "residential"}});
    const int bc = m.way("bc", {{"highway", "residential"}});
    const int ch = m.way("ch", {{"highway", "residential"}});
    m.way("ce", {{"highway", "residential"}});
    m.way("bdfe", {{"highway", "residential"}});
    m.restriction(ab, std::vector<int>{bc}, ch, "only_straight_on");
    BuildReport report;
    const Router r = m.build(dir, &report);
    CHECK(route(r, m, 'a', 'e').letters == "abdfe");
    CHECK(route(r, m, 'a', 'h').letters == "abch");
    CHECK(route(r, m, 'd', 'e').letters == "dfe");
    CHECK(route(r, m, {m.between('b', 'c', 0.25), m.at('e')}).letters == "ce");
    CHECK(report.profiles[0].via_way_restrictions == 1);
}

TEST_CASE("a restriction whose via way does not connect from and to is ignored and counted", "[routing][restrictions]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(via_way_map);
    const int ab = m.way("ab", {{"highway", "residential"}});
    m.way("bc", {{"highway", "residential"}});
    const int ch = m.way("ch", {{"highway", "residential"}});
    const int ce = m.way("ce", {{"highway", "residential"}});
    const int df = m.way("bdfe", {{"highway", "residential"}});
    m.restriction(ab, std::vector<int>{ce}, ch, "no_left_turn");  // ce does not touch ab
    m.restriction(ab, std::vector<int>{df}, ch, "no_left_turn");  // bdfe does not reach ch
    BuildReport report;
    const Router r = m.build(dir, &report);
    CHECK(report.profiles[0].restrictions == 0);
    CHECK(report.profiles[0].restrictions_ignored == 2);
    CHECK(route(r, m, 'a', 'e').letters == "abce");
}

TEST_CASE("access rules: motor_vehicle=no, footways, motorways", "[routing][access]") {
    auto build = [](geoplex::test::TempDir& dir, AsciiMap& m, routing::test::Tags bd_tags) {
        m.way("ab", {{"highway", "residential"}});
        m.way("bc", {{"highway", "residential"}});
        m.way("bd", std::move(bd_tags));
        m.way("de", {{"highway", "residential"}});
        m.way("ce", {{"highway", "residential"}});
        return m.build(dir);
    };
    SECTION("motor_vehicle=no") {
        geoplex::test::TempDir dir("geoplex-routing");
        AsciiMap m(ladder);
        const Router r = build(dir, m, {{"highway", "residential"}, {"motor_vehicle", "no"}});
        CHECK(route(r, m, 'a', 'd').letters == "abced");
        CHECK(route(r, m, 'a', 'd', "pedestrian").letters == "abd");
    }
    SECTION("a more specific tag wins: access=no, motorcar=yes") {
        geoplex::test::TempDir dir("geoplex-routing");
        AsciiMap m(ladder);
        const Router r = build(dir, m, {{"highway", "residential"}, {"access", "no"}, {"motorcar", "yes"}});
        CHECK(route(r, m, 'a', 'd').letters == "abd");
        CHECK(route(r, m, 'a', 'd', "pedestrian").letters == "abced");
    }
    SECTION("footway") {
        geoplex::test::TempDir dir("geoplex-routing");
        AsciiMap m(ladder);
        const Router r = build(dir, m, {{"highway", "footway"}});
        CHECK(route(r, m, 'a', 'd').letters == "abced");
        CHECK(route(r, m, 'a', 'd', "pedestrian").letters == "abd");
    }
    SECTION("motorway") {
        geoplex::test::TempDir dir("geoplex-routing");
        AsciiMap m(ladder);
        const Router r = build(dir, m, {{"highway", "motorway"}, {"oneway", "no"}});
        CHECK(route(r, m, 'a', 'd').letters == "abd");
        CHECK(route(r, m, 'a', 'd', "pedestrian").letters == "abced");
    }
}

TEST_CASE("disconnected pieces are dropped and reported; far points are misses", "[routing][scc][snap]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(R"(
a-b-c           x-y
)");
    m.way("abc", {{"highway", "residential"}});
    m.way("xy", {{"highway", "residential"}});
    BuildReport report;
    const Router r = m.build(dir, &report);
    REQUIRE(report.profiles.size() == 2);
    CHECK(report.profiles[0].dropped_components == 1);
    CHECK(report.profiles[0].dropped_segments == 1);
    CHECK(report.profiles[0].segments == 1);  // a-b-c is one piece: b joins nothing
    CHECK(report.profiles[0].dropped_km == Approx(core::geodesic_distance(m.at('x'), m.at('y')) / 1000.0).epsilon(1e-6));

    Query q(r);
    RouteRequest req;
    req.resource = "test";
    req.points = {m.at('a'), m.at('x')};
    req.snap_radius_m = 50;  // x is ~190 m from c
    const auto miss = q.route(req);
    CHECK(miss.status == RouteStatus::no_road);
    CHECK(miss.failed_point == 1);
    CHECK_THAT(miss.message, Catch::Contains("no road within 50 m"));
    req.snap_radius_m = 1000;
    const auto hit = q.route(req);
    CHECK(hit.status == RouteStatus::ok);
    CHECK(m.letters(hit.geometry) == "abc");
}

TEST_CASE("start and end in the middle of a road piece", "[routing][snap]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(R"(
a---------b
|         |
d---------c
)");
    m.way("ab", {{"highway", "primary"}, {"oneway", "yes"}});
    m.way("bcda", {{"highway", "residential"}});
    const Router r = m.build(dir);
    const double ab = core::geodesic_distance(m.at('a'), m.at('b'));
    const double loop = core::geodesic_distance(m.at('b'), m.at('c')) + core::geodesic_distance(m.at('c'), m.at('d')) +
                        core::geodesic_distance(m.at('d'), m.at('a'));
    // Downstream on the one-way piece: no junction in between.
    auto fwd = route(r, m, {m.between('a', 'b', 0.25), m.between('a', 'b', 0.75)});
    REQUIRE(fwd.status == RouteStatus::ok);
    CHECK(fwd.raw.distance_m == Approx(0.5 * ab).margin(0.05));
    CHECK(fwd.letters.empty());
    // Upstream: around the loop.
    auto back = route(r, m, {m.between('a', 'b', 0.75), m.between('a', 'b', 0.25)});
    REQUIRE(back.status == RouteStatus::ok);
    CHECK(back.letters == "bcda");
    CHECK(back.raw.distance_m == Approx(0.5 * ab + loop).margin(0.05));
    // Pedestrians ignore the one-way.
    auto walk = route(r, m, {m.between('a', 'b', 0.75), m.between('a', 'b', 0.25)}, "pedestrian");
    CHECK(walk.raw.distance_m == Approx(0.5 * ab).margin(0.05));
    CHECK(walk.raw.duration_s == Approx(0.5 * ab / (4.0 / 3.6)).margin(0.2));
    // The snapped point is on the road and the snap distance is the offset.
    const LonLat off{m.between('a', 'b', 0.5).lon, m.between('a', 'b', 0.5).lat + 0.0001};
    auto snapped = route(r, m, {off, m.between('a', 'b', 0.9)});
    REQUIRE(snapped.raw.snaps.size() == 2);
    CHECK(snapped.raw.snaps[0].snapped.lat == Approx(m.at('a').lat).margin(1e-9));
    CHECK(snapped.raw.snaps[0].distance_m == Approx(core::geodesic_distance(off, m.between('a', 'b', 0.5))).margin(0.05));
}

TEST_CASE("intermediates give one leg each", "[routing][legs]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(square);
    m.way("abc", {{"highway", "primary"}, {"oneway", "yes"}});
    m.way("adec", {{"highway", "residential"}});
    const Router r = m.build(dir);
    auto res = route(r, m, {m.at('a'), m.at('c'), m.at('d')});
    REQUIRE(res.status == RouteStatus::ok);
    CHECK(res.letters == "abced");
    REQUIRE(res.raw.legs.size() == 2);
    const auto& g = res.raw.geometry;
    const std::vector<LonLat> leg0(g.begin() + static_cast<long>(res.raw.legs[0].first_point),
                                   g.begin() + static_cast<long>(res.raw.legs[0].last_point) + 1);
    const std::vector<LonLat> leg1(g.begin() + static_cast<long>(res.raw.legs[1].first_point),
                                   g.begin() + static_cast<long>(res.raw.legs[1].last_point) + 1);
    CHECK(m.letters(leg0) == "abc");
    CHECK(m.letters(leg1) == "ced");
    CHECK(res.raw.distance_m == Approx(res.raw.legs[0].distance_m + res.raw.legs[1].distance_m));
    RouteRequest too_many;
    too_many.resource = "test";
    too_many.points.assign(13, m.at('a'));
    Query q(r);
    CHECK_THROWS_AS(q.route(too_many), InvalidArgument);
}

TEST_CASE("steps: depart, turns with modifiers, new name, arrive", "[routing][steps]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(R"(
a---b---e
    |
    c
)");
    m.way("ab", {{"highway", "residential"}, {"name", "Rue A"}});
    m.way("bc", {{"highway", "residential"}, {"name", "Rue B"}});
    m.way("be", {{"highway", "residential"}, {"name", "Rue E"}});
    const Router r = m.build(dir);
    auto right = route(r, m, 'a', 'c');
    REQUIRE(right.raw.legs.size() == 1);
    const auto& s = right.raw.legs[0].steps;
    REQUIRE(s.size() == 3);
    CHECK(s[0].maneuver.type == "depart");
    CHECK(s[0].name == "Rue A");
    CHECK(s[1].maneuver.type == "turn");
    CHECK(s[1].maneuver.modifier == "right");
    CHECK(s[1].name == "Rue B");
    CHECK(s[2].maneuver.type == "arrive");
    CHECK(s[0].distance_m + s[1].distance_m == Approx(right.raw.distance_m));
    auto left = route(r, m, 'c', 'a');
    REQUIRE(left.raw.legs[0].steps.size() == 3);
    CHECK(left.raw.legs[0].steps[1].maneuver.modifier == "left");
    auto straight = route(r, m, 'a', 'e');
    REQUIRE(straight.raw.legs[0].steps.size() == 3);
    CHECK(straight.raw.legs[0].steps[1].maneuver.type == "new name");
    CHECK(straight.raw.legs[0].steps[1].maneuver.modifier == "straight");
}

TEST_CASE("banned wayType constraints avoid tunnels, bridges and motorways", "[routing][constraints]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(square);
    m.way("abc", {{"highway", "primary"}, {"tunnel", "yes"}});
    m.way("adec", {{"highway", "residential"}, {"bridge", "yes"}});
    const Router r = m.build(dir);
    auto banned = [](std::string v) { return Constraint{ConstraintType::banned, "wayType", ConstraintOperator::eq, std::move(v), {}}; };
    CHECK(route(r, m, 'a', 'c').letters == "abc");
    CHECK(route(r, m, 'a', 'c', "car", Optimization::fastest, {banned("tunnel")}).letters == "adec");
    CHECK(route(r, m, 'a', 'c', "car", Optimization::fastest, {banned("autoroute")}).letters == "abc");
    auto none = route(r, m, 'a', 'c', "car", Optimization::fastest, {banned("tunnel"), banned("pont")});
    CHECK(none.status != RouteStatus::ok);
    // unpreferred × 1.5 on the primary road (65 km/h vs 25 km/h) is not enough to leave it.
    Constraint unpref{ConstraintType::unpreferred, "waytype", ConstraintOperator::eq, "tunnel", {}};
    CHECK(route(r, m, 'a', 'c', "car", Optimization::fastest, {unpref}).letters == "abc");
    Query q(r);
    RouteRequest bad;
    bad.resource = "test";
    bad.points = {m.at('a'), m.at('c')};
    bad.constraints = {banned("viaduc")};
    CHECK_THROWS_AS(q.route(bad), InvalidArgument);
    bad.constraints = {Constraint{ConstraintType::banned, "nature", ConstraintOperator::eq, "sentier", {}}};
    CHECK_THROWS_AS(q.route(bad), InvalidArgument);
}

TEST_CASE("matrix cells equal route durations and distances", "[routing][matrix]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(square);
    m.way("abc", {{"highway", "primary"}, {"oneway", "yes"}});
    m.way("adec", {{"highway", "residential"}});
    const Router r = m.build(dir);
    Query q(r);
    MatrixRequest mr;
    mr.resource = "test";
    const std::vector<LonLat> pts{m.at('a'), m.at('c'), m.between('a', 'b', 0.5), m.between('d', 'e', 0.3)};
    mr.sources = pts;
    mr.targets = pts;
    for (const auto o : {Optimization::fastest, Optimization::shortest}) {
        mr.optimization = o;
        const auto mat = q.matrix(mr);
        REQUIRE(mat.rows == 4);
        REQUIRE(mat.cols == 4);
        for (std::size_t i = 0; i < 4; ++i)
            for (std::size_t j = 0; j < 4; ++j) {
                RouteRequest rr;
                rr.resource = "test";
                rr.optimization = o;
                rr.points = {pts[i], pts[j]};
                const auto res = q.route(rr);
                INFO("cell " << i << "," << j);
                REQUIRE(res.status == RouteStatus::ok);
                CHECK(mat.durations_s[i * 4 + j] == Approx(res.duration_s).margin(0.3));
                CHECK(mat.distances_m[i * 4 + j] == Approx(res.distance_m).margin(0.3));
            }
        // one-way: a → c is direct, c → a goes around
        CHECK(mat.distances_m[0 * 4 + 1] < mat.distances_m[1 * 4 + 0]);
    }
}

TEST_CASE("nearest returns road pieces nearest first", "[routing][nearest]") {
    geoplex::test::TempDir dir("geoplex-routing");
    AsciiMap m(square);
    m.way("abc", {{"highway", "primary"}});
    m.way("adec", {{"highway", "residential"}});
    const Router r = m.build(dir);
    Query q(r);
    NearestRequest nr;
    nr.resource = "test";
    nr.point = {m.at('b').lon, m.at('b').lat - 0.00005};
    nr.count = 5;  // more than there are pieces: all of them (one per piece)
    const auto near = q.nearest(nr);
    REQUIRE(near.size() == 2);
    CHECK(near[0].distance_m == Approx(core::geodesic_distance(nr.point, m.at('b'))).margin(0.05));
    CHECK(near[1].distance_m == Approx(core::geodesic_distance(nr.point, {m.at('a').lon, nr.point.lat})).margin(0.05));
    nr.radius_m = 1;
    CHECK(q.nearest(nr).empty());
    nr.resource = "nope";
    CHECK_THROWS_AS(q.nearest(nr), Error);
}
