// The vector-tile polygon clipper (Weiler–Atherton to a square, src/tiles/clip.cpp) and its
// integer validity check, against GEOS through OGR (independent): every clip result must be
// valid for GEOS and cover the area GEOS's intersection covers (exactly when the crossing points
// fall on the grid, within the rounding of the crossing points otherwise).

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <ogr_api.h>

#include "tiles/clip.hpp"

using namespace geoplex::tiles::detail;

namespace {

using Ring = std::vector<std::pair<std::int64_t, std::int64_t>>;  // open: the closing point is added
struct Poly {
    Ring shell;
    std::vector<Ring> holes;
};

double area2(const Ring& r) {
    double a = 0;
    for (std::size_t i = 0; i < r.size(); ++i) {
        const auto& p = r[i];
        const auto& q = r[(i + 1) % r.size()];
        a += double(p.first) * double(q.second) - double(q.first) * double(p.second);
    }
    return a;
}

// Shells positive, holes negative, as clip_polygons wants.
RingSet make(const std::vector<Poly>& polys) {
    RingSet s;
    auto add = [&](Ring r, bool outer) {
        if ((area2(r) > 0) != outer) std::reverse(r.begin(), r.end());
        r.push_back(r.front());
        for (const auto& [x, y] : r) {
            s.xy.push_back(x);
            s.xy.push_back(y);
        }
        s.end.push_back(static_cast<std::uint32_t>(s.xy.size() / 2));
        s.outer.push_back(outer ? 1 : 0);
    };
    for (const auto& p : polys) {
        add(p.shell, true);
        for (const auto& h : p.holes) add(h, false);
    }
    return s;
}

struct Geom {
    OGRGeometryH h = nullptr;
    explicit Geom(OGRGeometryH g = nullptr) : h(g) {}
    ~Geom() { if (h != nullptr) OGR_G_DestroyGeometry(h); }
    Geom(const Geom&) = delete;
    Geom& operator=(const Geom&) = delete;
};

Geom from_wkt(const std::string& wkt) {
    OGRGeometryH g = nullptr;
    char* p = const_cast<char*>(wkt.c_str());
    REQUIRE(OGR_G_CreateFromWkt(&p, nullptr, &g) == OGRERR_NONE);
    return Geom(g);
}

Geom to_ogr(const RingSet& s) {
    std::string wkt = "MULTIPOLYGON(";
    std::uint32_t begin = 0;
    for (std::size_t r = 0; r < s.end.size(); begin = s.end[r], ++r) {
        if (s.outer[r] != 0) wkt += r == 0 ? "((" : ")),((";
        else wkt += "),(";
        for (std::uint32_t i = begin; i < s.end[r]; ++i) wkt += fmt::format("{}{} {}", i == begin ? "" : ",", s.xy[2 * i], s.xy[2 * i + 1]);
    }
    wkt += s.end.empty() ? "EMPTY" : "))";
    if (s.end.empty()) wkt = "MULTIPOLYGON EMPTY";
    else wkt += ")";
    return from_wkt(wkt);
}

double geos_clip_area(const RingSet& in, std::int64_t lo, std::int64_t hi) {
    Geom g = to_ogr(in);
    Geom box = from_wkt(fmt::format("POLYGON(({0} {0},{1} {0},{1} {1},{0} {1},{0} {0}))", lo, hi));
    Geom cut(OGR_G_Intersection(g.h, box.h));
    return cut.h != nullptr ? OGR_G_Area(cut.h) : 0.0;
}

std::size_t exteriors(const RingSet& s) {
    std::size_t n = 0;
    for (const auto o : s.outer) n += o;
    return n;
}

struct Result {
    RingSet out;
    double area = 0, expected = 0;
    bool ogr_valid = false;
};

// Clips, checks the output with both validity checks, returns areas.
Result clip(const RingSet& in, std::int64_t lo, std::int64_t hi) {
    Result r;
    REQUIRE(clip_polygons(in.view(), 0, 0, lo, hi, r.out));
    Geom g = to_ogr(r.out);
    r.ogr_valid = OGR_G_IsValid(g.h) != 0;
    r.area = r.out.end.empty() ? 0.0 : OGR_G_Area(g.h);
    r.expected = geos_clip_area(in, lo, hi);
    return r;
}

}  // namespace

TEST_CASE("clip: a polygon leaving and re-entering one side becomes several polygons") {
    // A comb: three teeth hang below the window's bottom side y = 0, joined below it.
    const RingSet in = make({Poly{{{10, -50}, {90, -50}, {90, 50}, {70, 50}, {70, -10}, {60, -10}, {60, 50}, {40, 50},
                                   {40, -10}, {30, -10}, {30, 50}, {10, 50}},
                                  {}}});
    REQUIRE(polygons_strictly_valid(in.view()));
    const Result r = clip(in, 0, 100);
    CHECK(exteriors(r.out) == 3);
    CHECK(r.out.end.size() == 3);
    CHECK(r.ogr_valid);
    CHECK(polygons_strictly_valid(r.out.view()));
    CHECK(r.area == Approx(r.expected).margin(1e-9));
    CHECK(r.area == 3 * 20 * 50);
}

TEST_CASE("clip: a hole crossing the window side opens into the shell; holes inside are kept") {
    // Shell [−100, 200]², hole [−20, 20]² across the left side x = 0 and a hole inside the window.
    const RingSet in = make({Poly{{{-100, -100}, {200, -100}, {200, 200}, {-100, 200}},
                                  {{{-20, -20}, {20, -20}, {20, 20}, {-20, 20}}, {{40, 40}, {60, 40}, {60, 60}, {40, 60}}}}});
    REQUIRE(polygons_strictly_valid(in.view()));
    const Result r = clip(in, 0, 100);
    CHECK(exteriors(r.out) == 1);
    CHECK(r.out.end.size() == 2);  // the shell (with the cut hole in it) and the inner hole
    CHECK(r.ogr_valid);
    CHECK(polygons_strictly_valid(r.out.view()));
    CHECK(r.area == Approx(r.expected).margin(1e-9));
    CHECK(r.area == 100 * 100 - 20 * 20 - 20 * 20);  // the cut hole's part [0, 20]², the inner hole
    // A hole cut by two sides (a corner of the window inside the hole).
    const RingSet corner = make({Poly{{{-100, -100}, {200, -100}, {200, 200}, {-100, 200}}, {{{-30, -30}, {30, -30}, {30, 30}, {-30, 30}}}}});
    const Result rc = clip(corner, 0, 100);
    CHECK(rc.ogr_valid);
    CHECK(rc.area == Approx(rc.expected).margin(1e-9));
    CHECK(rc.area == 100 * 100 - 30 * 30);
}

TEST_CASE("clip: the window inside the polygon, outside it, or inside a hole") {
    const RingSet big = make({Poly{{{-100, -100}, {200, -100}, {200, 200}, {-100, 200}}, {{{40, 40}, {60, 40}, {60, 60}, {40, 60}}}}});
    const Result r = clip(big, 0, 100);
    CHECK(r.out.end.size() == 2);  // the window as the shell, the hole kept
    CHECK(r.ogr_valid);
    CHECK(r.area == 100 * 100 - 20 * 20);
    const RingSet in_hole = make({Poly{{{-300, -300}, {400, -300}, {400, 400}, {-300, 400}}, {{{-200, -200}, {300, -200}, {300, 300}, {-200, 300}}}}});
    CHECK(clip(in_hole, 0, 100).out.end.empty());
    const RingSet away = make({Poly{{{200, 200}, {300, 200}, {300, 300}, {200, 300}}, {}}});
    CHECK(clip(away, 0, 100).out.end.empty());
    // A ring around the window that misses it on every side but not by its box (an L shape).
    const RingSet ell = make({Poly{{{-50, -50}, {300, -50}, {300, -10}, {-10, -10}, {-10, 300}, {-50, 300}}, {}}});
    CHECK(clip(ell, 0, 100).out.end.empty());
}

TEST_CASE("clip: vertices on the window's sides and corners, edges along its sides") {
    // A diamond touching each side of the window from inside at one vertex.
    const RingSet diamond = make({Poly{{{50, 0}, {100, 50}, {50, 100}, {0, 50}}, {}}});
    Result r = clip(diamond, 0, 100);
    CHECK(r.ogr_valid);
    CHECK(r.area == 5000);
    // A diamond around the window, its sides through the window's corners: the whole window.
    const RingSet big_diamond = make({Poly{{{50, -50}, {150, 50}, {50, 150}, {-50, 50}}, {}}});
    r = clip(big_diamond, 0, 100);
    CHECK(r.ogr_valid);
    CHECK(polygons_strictly_valid(r.out.view()));
    CHECK(r.area == Approx(r.expected).margin(1e-9));
    CHECK(r.area == 10000);
    // A smaller diamond cutting the four corners off.
    const RingSet cut_diamond = make({Poly{{{50, -30}, {130, 50}, {50, 130}, {-30, 50}}, {}}});
    r = clip(cut_diamond, 0, 100);
    CHECK(r.ogr_valid);
    CHECK(polygons_strictly_valid(r.out.view()));
    CHECK(r.area == Approx(r.expected).margin(1e-9));
    CHECK(r.area == 10000 - 4 * 20 * 20 / 2);  // |x − 50| + |y − 50| ≤ 80 cuts 20 × 20 / 2 per corner
    // A polygon through a corner of the window, with vertices on the sides.
    const RingSet through = make({Poly{{{-50, -50}, {0, 0}, {50, 0}, {60, 30}, {0, 40}, {-50, 40}}, {}}});
    r = clip(through, 0, 100);
    CHECK(r.ogr_valid);
    CHECK(r.area == Approx(r.expected).margin(1e-9));
    // Edges running along the window's sides, from outside and from inside.
    const RingSet along = make({Poly{{{-50, 0}, {150, 0}, {150, -50}, {200, -50}, {200, 60}, {-50, 60}}, {}}});
    r = clip(along, 0, 100);
    CHECK(r.ogr_valid);
    CHECK(r.area == Approx(r.expected).margin(1e-9));
    CHECK(r.area == 100 * 60);
    // A tooth touching the bottom side from outside at one vertex, and one dipping to it from inside.
    const RingSet touch = make({Poly{{{-50, 50}, {20, 50}, {30, 0}, {40, 50}, {150, 50}, {150, 120}, {-50, 120}}, {}}});
    r = clip(touch, 0, 100);
    CHECK(r.ogr_valid);
    CHECK(r.area == Approx(r.expected).margin(1e-9));
    const RingSet dip = make({Poly{{{-50, -50}, {150, -50}, {150, 150}, {-50, 150}}, {{{20, 30}, {30, 0}, {40, 30}}}}});
    r = clip(dip, 0, 100);  // the hole touches the window's side: refused by the strict check, valid for GEOS
    CHECK(r.ogr_valid);
    CHECK(r.area == Approx(r.expected).margin(1e-9));
}

TEST_CASE("polygons_strictly_valid refuses what GEOS refuses") {
    CHECK_FALSE(polygons_strictly_valid(make({Poly{{{0, 0}, {10, 10}, {10, 0}, {0, 10}}, {}}}).view()));  // bow-tie
    CHECK_FALSE(polygons_strictly_valid(make({Poly{{{0, 0}, {10, 0}, {20, 0}, {10, 0}, {10, 10}}, {}}}).view()));  // spike
    CHECK_FALSE(polygons_strictly_valid(
        make({Poly{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}, {{{20, 20}, {30, 20}, {30, 30}}}}}).view()));  // hole outside
    CHECK_FALSE(polygons_strictly_valid(make({Poly{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}, {}},
                                              Poly{{{2, 2}, {4, 2}, {4, 4}}, {}}})
                                            .view()));  // nested polygons
    CHECK_FALSE(polygons_strictly_valid(make({Poly{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}, {}},
                                              Poly{{{10, 0}, {20, 0}, {20, 10}, {10, 10}}, {}}})
                                            .view()));  // sharing an edge
    CHECK_FALSE(polygons_strictly_valid(make({Poly{{{0, 0}, {10, 0}, {10, 10}, {0, 10}},
                                                   {{{2, 2}, {8, 2}, {8, 8}, {2, 8}}, {{3, 3}, {5, 3}, {5, 5}}}}})
                                            .view()));  // hole in a hole
    // An island in a lake is valid.
    CHECK(polygons_strictly_valid(make({Poly{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}, {{{2, 2}, {8, 2}, {8, 8}, {2, 8}}}},
                                        Poly{{{4, 4}, {6, 4}, {6, 6}, {4, 6}}, {}}})
                                      .view()));
}

TEST_CASE("clip: random star polygons with holes, against GEOS") {
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> u(0, 1);
    auto star = [&](double cx, double cy, double r0, double r1, int n) {
        Ring r;
        for (int i = 0; i < n; ++i) {
            const double a = 2 * M_PI * (i + 0.3 * u(rng)) / n, rad = r0 + (r1 - r0) * u(rng);
            r.emplace_back(std::llround(cx + rad * std::cos(a)), std::llround(cy + rad * std::sin(a)));
        }
        return r;
    };
    int cases = 0, strict_ok = 0, geos_valid = 0, exact_valid_input = 0;
    for (int it = 0; it < 400; ++it) {
        const double cx = 500 * u(rng) - 100, cy = 500 * u(rng) - 100;
        std::vector<Poly> polys;
        polys.push_back(Poly{star(cx, cy, 150, 400, 10 + static_cast<int>(u(rng) * 60)), {}});
        if (u(rng) < 0.6) polys[0].holes.push_back(star(cx, cy, 30, 140, 5 + static_cast<int>(u(rng) * 20)));
        if (u(rng) < 0.5) polys.push_back(Poly{star(cx + 900, cy, 100, 300, 30), {}});
        const RingSet in = make(polys);
        Geom gin = to_ogr(in);
        if (!polygons_strictly_valid(in.view())) continue;
        ++exact_valid_input;
        REQUIRE(OGR_G_IsValid(gin.h));  // what the strict check accepts, GEOS accepts
        const std::int64_t lo = static_cast<std::int64_t>(200 * u(rng)), hi = lo + 64 + static_cast<std::int64_t>(300 * u(rng));
        const Result r = clip(in, lo, hi);
        ++cases;
        INFO(fmt::format("case {} box [{}, {}]", it, lo, hi));
        if (polygons_strictly_valid(r.out.view())) {
            ++strict_ok;
            CHECK(r.ogr_valid);
        }
        geos_valid += r.ogr_valid ? 1 : 0;
        // Rounding a crossing point moves it by at most 0.5 along the side: the area changes by
        // at most 0.5 × the length of the edge through it, per crossing.
        double tol = 1e-6, longest = 0;
        int crossings = 0;
        for (std::size_t i = 0; i < r.out.xy.size(); i += 2) {
            const auto x = r.out.xy[i], y = r.out.xy[i + 1];
            if (x == lo || x == hi || y == lo || y == hi) ++crossings;
        }
        for (std::size_t i = 0; i < in.end.size(); ++i) {
            const std::uint32_t b = i == 0 ? 0 : in.end[i - 1];
            for (std::uint32_t k = b + 1; k < in.end[i]; ++k)
                longest = std::max(longest, std::hypot(double(in.xy[2 * k] - in.xy[2 * k - 2]), double(in.xy[2 * k + 1] - in.xy[2 * k - 1])));
        }
        tol += 0.5 * crossings * longest;
        CHECK(std::abs(r.area - r.expected) <= tol);
    }
    INFO(fmt::format("{} cases, {} strictly valid, {} GEOS-valid", cases, strict_ok, geos_valid));
    CHECK(exact_valid_input > 200);
    CHECK(cases == exact_valid_input);
    CHECK(strict_ok >= cases * 9 / 10);  // rounding rarely breaks validity (callers repair those)
}

// ---- pinched rings: split_pinches and the point touches the validity check accepts ------------------

namespace {

// Rings as given (no reorientation): `outer` per ring.
RingSet raw(const std::vector<Ring>& rings, const std::vector<int>& outer) {
    RingSet s;
    for (std::size_t k = 0; k < rings.size(); ++k) {
        for (const auto& [x, y] : rings[k]) {
            s.xy.push_back(x);
            s.xy.push_back(y);
        }
        s.xy.push_back(rings[k].front().first);
        s.xy.push_back(rings[k].front().second);
        s.end.push_back(static_cast<std::uint32_t>(s.xy.size() / 2));
        s.outer.push_back(static_cast<std::uint8_t>(outer[k]));
    }
    return s;
}

// The area GEOS's MakeValid gives the input (the independent reference).
double make_valid_area(const RingSet& in) {
    Geom g = to_ogr(in);
    Geom fixed(OGR_G_MakeValid(g.h));
    REQUIRE(fixed.h != nullptr);
    return OGR_G_Area(fixed.h);
}

// Splits `in`; the result must pass our check and GEOS's, and cover what MakeValid covers.
RingSet check_split(const RingSet& in, std::size_t want_exteriors, std::size_t want_holes) {
    Geom gin = to_ogr(in);
    CHECK_FALSE(OGR_G_IsValid(gin.h));   // the input is broken for GEOS…
    CHECK_FALSE(polygons_strictly_valid(in.view()));  // …and for us
    RingSet out = in;
    REQUIRE(split_pinches(out));
    Geom gout = to_ogr(out);
    CHECK(OGR_G_IsValid(gout.h));
    CHECK(polygons_strictly_valid(out.view()));
    CHECK(OGR_G_Area(gout.h) == Approx(make_valid_area(in)).margin(1e-9));
    CHECK(exteriors(out) == want_exteriors);
    CHECK(out.end.size() - exteriors(out) == want_holes);
    return out;
}

}  // namespace

TEST_CASE("split_pinches: figure-8, two pinches, loops inside and outside, against GEOS MakeValid") {
    // Figure-8: two lobes touching at (5, 5).
    check_split(raw({{{0, 0}, {4, 0}, {5, 5}, {6, 0}, {10, 0}, {10, 10}, {6, 10}, {5, 5}, {4, 10}, {0, 10}}}, {1}), 2, 0);
    // Three lobes, pinched at (5, 5) and (15, 5).
    check_split(raw({{{0, 0}, {4, 0}, {5, 5}, {6, 0}, {14, 0}, {15, 5}, {16, 0}, {20, 0}, {20, 10}, {16, 10}, {15, 5}, {14, 10},
                      {6, 10}, {5, 5}, {4, 10}, {0, 10}}},
                    {1}),
                3, 0);
    // A loop inside (a bay whose mouth closed to a point): it becomes a hole touching the shell.
    const RingSet bay = check_split(raw({{{0, 0}, {10, 0}, {10, 10}, {5, 10}, {9, 2}, {1, 2}, {5, 10}, {0, 10}}}, {1}), 1, 1);
    // A loop outside, same orientation (a peninsula whose neck closed) and reversed (a curl).
    check_split(raw({{{0, 0}, {10, 0}, {10, 10}, {5, 10}, {7, 15}, {3, 15}, {5, 10}, {0, 10}}}, {1}), 2, 0);
    check_split(raw({{{0, 0}, {10, 0}, {10, 10}, {5, 10}, {3, 15}, {7, 15}, {5, 10}, {0, 10}}}, {1}), 2, 0);
    // A pinch inside an edge: a tooth from the top whose tip (5, 0) lies on the bottom edge.
    check_split(raw({{{0, 0}, {10, 0}, {10, 10}, {6, 10}, {5, 0}, {4, 10}, {0, 10}}}, {1}), 2, 0);
    // A hole pinched into two holes touching at (5, 5).
    check_split(raw({{{-10, -10}, {20, -10}, {20, 20}, {-10, 20}}, {{0, 0}, {0, 10}, {4, 10}, {5, 5}, {6, 10}, {10, 10}, {10, 0}, {6, 0}, {5, 5}, {4, 0}}},
                    {1, 0}),
                1, 2);
    // Crossing edges cannot be mended by splitting.
    RingSet bow = raw({{{0, 0}, {10, 10}, {10, 0}, {0, 10}}}, {1});
    const RingSet before = bow;
    CHECK_FALSE(split_pinches(bow));
    CHECK(bow.xy == before.xy);
    // The split bay clipped by a window cutting its hole (crossings on the grid) stays mendable.
    RingSet cut;
    REQUIRE(clip_polygons(bay.view(), 0, 0, 4, 20, cut));
    if (!polygons_strictly_valid(cut.view())) REQUIRE(split_pinches(cut));
    Geom gcut = to_ogr(cut);
    CHECK(OGR_G_IsValid(gcut.h));
    CHECK(polygons_strictly_valid(cut.view()));
    CHECK(OGR_G_Area(gcut.h) == Approx(geos_clip_area(bay, 4, 20)).margin(1e-9));
}

TEST_CASE("polygons_strictly_valid: point touches between rings, as GEOS judges them") {
    auto same = [](const RingSet& s, bool want) {
        Geom g = to_ogr(s);
        CHECK((OGR_G_IsValid(g.h) != 0) == want);
        CHECK(polygons_strictly_valid(s.view()) == want);
    };
    const Ring square{{0, 0}, {10, 0}, {10, 10}, {0, 10}};
    // Two squares touching at a corner; sharing an edge or overlapping at a corner is not valid.
    same(make({Poly{square, {}}, Poly{{{10, 10}, {20, 10}, {20, 20}, {10, 20}}, {}}}), true);
    same(make({Poly{square, {}}, Poly{{{10, 10}, {20, 10}, {20, 20}, {10, 20}, {5, 15}}, {}}}), true);
    same(make({Poly{square, {}}, Poly{{{10, 10}, {5, 20}, {20, 20}, {20, 5}}, {}}}), true);
    same(make({Poly{square, {}}, Poly{{{10, 10}, {0, 20}, {20, 20}, {20, 0}}, {}}}), true);
    same(make({Poly{square, {}}, Poly{{{10, 10}, {4, 4}, {20, 5}}, {}}}), false);  // the triangle enters the square
    // A hole touching its shell at a vertex of both; at two vertices (the interior is cut in two).
    const Ring shell{{0, 0}, {10, 0}, {10, 5}, {10, 10}, {0, 10}, {0, 5}};
    same(make({Poly{shell, {{{10, 5}, {5, 2}, {5, 8}}}}}), true);
    same(make({Poly{shell, {{{10, 5}, {5, 2}, {0, 5}, {5, 8}}}}}), false);
    // Two holes touching each other at a point, and both the shell at another: a cycle.
    same(make({Poly{shell, {{{10, 5}, {2, 2}, {4, 5}, {7, 4}}, {{10, 5}, {7, 6}, {4, 5}, {2, 8}}}}}), false);
    same(make({Poly{shell, {{{10, 5}, {2, 2}, {4, 4}}, {{10, 5}, {4, 6}, {2, 8}}}}}), true);  // three rings at one point
    same(make({Poly{shell, {{{2, 2}, {5, 2}, {5, 5}}, {{5, 5}, {8, 5}, {8, 8}}}}}), true);
    // An island in a lake touching the lake's shore.
    same(make({Poly{square, {{{2, 2}, {8, 2}, {8, 8}, {2, 8}}}}, Poly{{{2, 2}, {6, 4}, {4, 6}}, {}}}), true);
    // A ring touching itself is not valid (OGC), even as an "inverted" shell.
    same(raw({{{0, 0}, {10, 0}, {10, 10}, {5, 10}, {7, 5}, {3, 5}, {5, 10}, {0, 10}}}, {1}), false);
}
