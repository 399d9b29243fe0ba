// Isochrone benchmark (plain timed driver printing JSON; not a test).
//
//   isochrone_bench --pbf osm/andorra.osm.pbf [--minutes 15] [--points 50] [--seed 1]
//                   [--work DIR] [--points-out points.csv] [--quality-of polygons.json]
//   isochrone_bench --synth 1000000 [--minutes 30] [--points 20]
//
// Measures, on the car profile: an isochrone with its polygon (p50/p99 wall and CPU time per
// point over seeded random road points, written with --points-out so that the Valhalla peer
// queries exactly the same points), the search alone, a one-to-all PHAST sweep, and the
// polygons' quality: the share of road points reachable within the budget inside the polygon
// and the share of road points costing more than 1.25 × the budget outside it (road points
// every 25 m along every road piece, costs from the exact search). --quality-of evaluates the
// same two figures for other polygons (one GeoJSON geometry per point, a JSON array).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <boost/geometry/algorithms/correct.hpp>
#include <boost/geometry/algorithms/covered_by.hpp>
#include <boost/geometry/algorithms/envelope.hpp>
#include <boost/geometry/geometries/box.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <time.h>

#include "geoplex/core/geojson.hpp"
#include "geoplex/isochrone/isochrone.hpp"
#include "geoplex/routing/routing.hpp"
#include "geoplex/synth/synth.hpp"

using namespace geoplex;
using clock_type = std::chrono::steady_clock;
namespace bg = boost::geometry;

namespace {

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// Polygons in a planar copy (degrees scaled by cos(lat)) so that Boost.Geometry uses its fast
/// cartesian point-in-polygon.
using PXY = XY;
using PPoly = bg::model::polygon<PXY, false, true>;
using PMulti = bg::model::multi_polygon<PPoly>;

PMulti planar(const core::MultiPolygon& mp, double coslat) {
    PMulti out;
    for (const auto& p : mp) {
        PPoly q;
        for (const auto& c : p.outer()) q.outer().push_back(PXY{c.lon * coslat, c.lat});
        for (const auto& in : p.inners()) {
            q.inners().emplace_back();
            for (const auto& c : in) q.inners().back().push_back(PXY{c.lon * coslat, c.lat});
        }
        bg::correct(q);
        out.push_back(std::move(q));
    }
    return out;
}

struct Share {
    std::size_t reach = 0, reach_in = 0, far = 0, far_out = 0;
    void add(const Share& o) {
        reach += o.reach;
        reach_in += o.reach_in;
        far += o.far;
        far_out += o.far_out;
    }
    [[nodiscard]] double inside() const { return reach > 0 ? static_cast<double>(reach_in) / static_cast<double>(reach) : 1.0; }
    [[nodiscard]] double outside() const { return far > 0 ? static_cast<double>(far_out) / static_cast<double>(far) : 1.0; }
};

/// The two quality figures of `poly` for the last search of `iso` (costs of road points every 25 m).
Share quality(const isochrone::Isochrones& iso, const routing::Graph& g, const core::MultiPolygon& poly, double budget,
              LonLat centre) {
    const double coslat = std::cos(centre.lat * 3.14159265358979323846 / 180.0);
    const PMulti pm = planar(poly, coslat);
    bg::model::box<PXY> env;
    bg::envelope(pm, env);
    Share s;
    for (routing::SegmentId seg = 0; seg < g.segment_count(); ++seg) {
        const auto pts = g.segment_points(seg);
        const auto m = static_cast<int>(std::ceil(g.segment_length_m[seg] / 25.0));
        for (int k = 0; k <= m; ++k) {
            const double f = m > 0 ? static_cast<double>(k) / m : 0.0;
            const double c = iso.cost_at(seg, f);
            const bool reach = c <= budget, far = c > 1.25 * budget;
            if (!reach && !far) continue;
            // position: linear along the stored points by fraction of vertices' planar length
            const std::size_t np = pts.size() / 2;
            double total = 0;
            for (std::size_t q = 0; q + 1 < np; ++q)
                total += std::hypot((pts[2 * q + 2] - pts[2 * q]) * coslat, pts[2 * q + 3] - pts[2 * q + 1]);
            double want = f * total, x = pts[0], y = pts[1];
            for (std::size_t q = 0; q + 1 < np; ++q) {
                const double len = std::hypot((pts[2 * q + 2] - pts[2 * q]) * coslat, pts[2 * q + 3] - pts[2 * q + 1]);
                if (want <= len || q + 2 == np) {
                    const double t = len > 0 ? std::min(1.0, want / len) : 0.0;
                    x = pts[2 * q] + t * (pts[2 * q + 2] - pts[2 * q]);
                    y = pts[2 * q + 1] + t * (pts[2 * q + 3] - pts[2 * q + 1]);
                    break;
                }
                want -= len;
            }
            const PXY p{x * coslat, y};
            const bool inside = bg::covered_by(p, env) && bg::covered_by(p, pm);
            if (reach) {
                ++s.reach;
                s.reach_in += inside ? 1 : 0;
            } else {
                ++s.far;
                s.far_out += inside ? 0 : 1;
            }
        }
    }
    return s;
}

core::MultiPolygon to_multi(const core::Geometry& g) {
    if (const auto* p = std::get_if<core::Polygon>(&g)) return core::MultiPolygon{*p};
    if (const auto* m = std::get_if<core::MultiPolygon>(&g)) return *m;
    return {};
}

}  // namespace

int main(int argc, char** argv) {
    std::string pbf, work = "/tmp/geoplex-isochrone-bench", points_out, quality_of;
    std::uint64_t synth_nodes = 0;
    std::size_t npoints = 50;
    double minutes = 15;
    unsigned seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--pbf") pbf = v;
        else if (a == "--points") npoints = std::stoul(v);
        else if (a == "--minutes") minutes = std::stod(v);
        else if (a == "--seed") seed = static_cast<unsigned>(std::stoul(v));
        else if (a == "--work") work = v;
        else if (a == "--points-out") points_out = v;
        else if (a == "--quality-of") quality_of = v;
        else if (a == "--synth") synth_nodes = std::stoull(v);
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    std::filesystem::create_directories(work);
    if (synth_nodes > 0) {
        synth::Config sc;
        sc.road_nodes = synth_nodes;
        sc.write_addresses = sc.write_dem = sc.write_layers = sc.write_basemap = sc.write_bundle = false;
        pbf = synth::generate(sc, std::filesystem::path(work) / "synth").roads.string();
    }
    if (pbf.empty()) {
        std::fprintf(stderr, "usage: isochrone_bench --pbf FILE | --synth NODES [--minutes 15] [--points 50]\n");
        return 2;
    }
    routing::ResourceConfig rc;
    rc.id = "bench";
    rc.path = pbf;
    rc.profiles = {routing::Profile::builtin("car")};
    rc.optimizations = {routing::Optimization::fastest};
    routing::BuildConfig cfg;
    cfg.resources.push_back(rc);
    const auto dir = std::filesystem::path(work) / "routing";
    const auto b0 = clock_type::now();
    const auto report = routing::Builder(cfg).build(dir);
    const double build_s = std::chrono::duration<double>(clock_type::now() - b0).count();
    const auto router = routing::Router::open(dir);
    const auto& g = router.graph("bench", "car");

    // seeded road points: positions of random graph nodes
    std::mt19937 rng(seed);
    std::uniform_int_distribution<routing::NodeId> pick(0, g.node_count() - 1);
    std::vector<LonLat> points;
    for (std::size_t i = 0; i < npoints; ++i) points.push_back(g.node_position(pick(rng)));
    if (!points_out.empty()) {
        std::ofstream out(points_out);
        for (const auto& p : points) out << fmt::format("{:.7f},{:.7f}\n", p.lon, p.lat);
    }
    const double budget = minutes * 60.0;
    isochrone::Isochrones iso(router);
    isochrone::IsochroneRequest rq;
    rq.resource = "bench";
    rq.budgets = {budget};

    if (!quality_of.empty()) {  // quality of another engine's polygons on the same points
        std::ifstream in(quality_of);
        const auto polys = nlohmann::json::parse(in);
        Share total;
        std::vector<double> inside, outside;
        for (std::size_t i = 0; i < points.size() && i < polys.size(); ++i) {
            if (polys[i].is_null()) continue;
            rq.point = points[i];
            rq.polygons = false;
            (void)iso.compute(rq);
            const auto s = quality(iso, g, to_multi(core::parse_geojson_geometry(polys[i].dump())), budget, points[i]);
            total.add(s);
            inside.push_back(s.inside());
            outside.push_back(s.outside());
        }
        fmt::print("{{\"polygons\": \"{}\", \"points\": {}, \"inside_reachable\": {:.4f}, \"outside_far\": {:.4f}, "
                   "\"inside_reachable_p10\": {:.4f}, \"outside_far_p10\": {:.4f}}}\n",
                   quality_of, inside.size(), total.inside(), total.outside(), percentile(inside, 0.1),
                   percentile(outside, 0.1));
        return 0;
    }

    auto run = [&](bool polygons, std::vector<double>& ms, std::vector<double>& cpu_ms, std::size_t& phast) {
        rq.polygons = polygons;
        phast = 0;
        for (const auto& p : points) {
            rq.point = p;
            const double c0 = thread_cpu_s();
            const auto t0 = clock_type::now();
            const auto r = iso.compute(rq);
            ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
            cpu_ms.push_back((thread_cpu_s() - c0) * 1e3);
            phast += r.algorithm == isochrone::Algorithm::phast ? 1 : 0;
        }
    };
    std::vector<double> warm, warm_cpu, with_poly, with_poly_cpu, search, search_cpu;
    std::size_t phast_count = 0;
    run(true, warm, warm_cpu, phast_count);  // warm-up (page faults of the mapped files)
    run(true, with_poly, with_poly_cpu, phast_count);
    run(false, search, search_cpu, phast_count);

    // one-to-all PHAST sweeps from 20 random nodes
    std::vector<double> sweep_ms, sweep_cpu_ms;
    for (int k = 0; k < 20; ++k) {
        isochrone::ReachRequest rr;
        rr.resource = "bench";
        rr.seeds = {{pick(rng), 0}};
        rr.algorithm = isochrone::Algorithm::phast;
        const double c0 = thread_cpu_s();
        const auto t0 = clock_type::now();
        (void)iso.reach(rr);
        sweep_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
        sweep_cpu_ms.push_back((thread_cpu_s() - c0) * 1e3);
    }

    // quality of our polygons on the same points
    Share total;
    std::vector<double> inside, outside;
    std::vector<nlohmann::json> polygons;
    rq.polygons = true;
    for (const auto& p : points) {
        rq.point = p;
        const auto r = iso.compute(rq);
        if (r.status != isochrone::IsochroneStatus::ok) continue;
        const auto s = quality(iso, g, r.contours[0].geometry, budget, p);
        total.add(s);
        inside.push_back(s.inside());
        outside.push_back(s.outside());
    }

    const routing::ProfileReport pr = report.profiles.empty() ? routing::ProfileReport{} : report.profiles.front();
    fmt::print("{{\n  \"input\": \"{}\", \"nodes\": {}, \"arcs\": {}, \"ch_arcs\": {}, \"build_s\": {:.2f},\n", pbf,
               g.node_count(), g.arc_count(), pr.ch_arcs.empty() ? 0 : pr.ch_arcs.front(), build_s);
    fmt::print("  \"points\": {}, \"minutes\": {}, \"phast_used\": {},\n", points.size(), minutes, phast_count);
    fmt::print("  \"isochrone_with_polygon_ms\": {{\"p50\": {:.3f}, \"p99\": {:.3f}, \"min\": {:.3f}}},\n",
               percentile(with_poly, 0.5), percentile(with_poly, 0.99), percentile(with_poly, 0.0));
    fmt::print("  \"isochrone_with_polygon_cpu_ms\": {{\"p50\": {:.3f}, \"p99\": {:.3f}}},\n", percentile(with_poly_cpu, 0.5),
               percentile(with_poly_cpu, 0.99));
    fmt::print("  \"search_only_ms\": {{\"p50\": {:.3f}, \"p99\": {:.3f}}},\n", percentile(search, 0.5),
               percentile(search, 0.99));
    fmt::print("  \"one_to_all_phast_ms\": {{\"p50\": {:.3f}, \"min\": {:.3f}, \"cpu_p50\": {:.3f}}},\n",
               percentile(sweep_ms, 0.5), percentile(sweep_ms, 0.0), percentile(sweep_cpu_ms, 0.5));
    fmt::print("  \"quality\": {{\"inside_reachable\": {:.4f}, \"outside_far\": {:.4f}, \"inside_reachable_p10\": {:.4f}, "
               "\"outside_far_p10\": {:.4f}}}\n}}\n",
               total.inside(), total.outside(), percentile(inside, 0.1), percentile(outside, 0.1));
    return 0;
}
