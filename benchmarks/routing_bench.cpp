// Routing benchmark (plain timed driver printing JSON; not a test).
//
//   routing_bench --pbf osm/andorra.osm.pbf [--profile car] [--pairs 2000] [--seed 1]
//                 [--work DIR] [--pairs-out pairs.csv]
//   routing_bench --synth 1000000 ...        (generates a synthetic territory first)
//   routing_bench --reuse 1 --work DIR ...   (queries DIR/routing as built by an earlier run; no build)
//   --constrained N: constrained routes on the first N pairs only (default: all), per constraint set
//   --precompute banned_tunnel,unpreferred_tunnel,...: constraint sets (names below) declared in the
//                bundle, so built as their own hierarchies and queried with a plain CH query
//   --adaptive 1: the Router's adaptive constraint sets instead of the plain constrained pass: per
//                set not declared, a cold pass (A* while the set's hierarchy builds in the
//                background from the 2nd route on), the build's wall time, then a warm pass on the
//                same pairs (answered on the adaptive hierarchy). Default 0: adaptive sets disabled.
//
// Measures: build time and peak RSS of the process (the build dominates it), route latency
// p50/p90/p99 (a) distance/duration only, (b) with geometry + steps serialized to Road2 JSON,
// and a 100×100 matrix. OD pairs are random points on roads (seeded), written with
// --pairs-out so that peers (benchmarks/peers/routing_vs_valhalla) query exactly the same pairs.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <sys/resource.h>
#include <time.h>

#include "geoplex/core/geojson.hpp"
#include "geoplex/core/json_writer.hpp"
#include "geoplex/routing/routing.hpp"
#include "geoplex/synth/synth.hpp"

using namespace geoplex;
using clock_type = std::chrono::steady_clock;

namespace {

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

/// CPU seconds of this thread / process: the machine is shared, so wall times include waiting.
double cpu_seconds(clockid_t which) {
    timespec ts{};
    clock_gettime(which, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::uint64_t peak_rss() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<std::uint64_t>(ru.ru_maxrss) * 1024U;
}

/// What the HTTP layer writes for a route: geometry as GeoJSON, one object per step.
std::size_t serialize(const routing::RouteResult& r) {
    core::JsonWriter w;
    w.begin_object().key("distance").value(r.distance_m).key("duration").value(r.duration_s).key("geometry");
    core::LineString line(r.geometry.begin(), r.geometry.end());
    core::write_geojson(w, line, 7);
    w.key("portions").begin_array();
    for (const auto& leg : r.legs) {
        w.begin_object().key("steps").begin_array();
        for (const auto& s : leg.steps) {
            w.begin_object().key("geometry");
            core::write_geojson(w, core::LineString(s.geometry.begin(), s.geometry.end()), 7);
            w.key("distance").value(s.distance_m).key("duration").value(s.duration_s);
            w.key("instruction").begin_object().key("type").value(s.maneuver.type);
            if (!s.maneuver.modifier.empty()) w.key("modifier").value(s.maneuver.modifier);
            w.end_object().end_object();
        }
        w.end_array().end_object();
    }
    w.end_array().end_object();
    return w.view().size();
}

}  // namespace

int main(int argc, char** argv) {
    std::string pbf, profile = "car", work = "/tmp/geoplex-routing-bench", pairs_out, precompute;
    std::uint64_t synth_nodes = 0;
    std::size_t pairs = 2000, constrained_pairs = static_cast<std::size_t>(-1);
    bool reuse = false, with_full = true, with_matrix = true, adaptive = false;
    unsigned seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--pbf") pbf = v;
        else if (a == "--profile") profile = v;
        else if (a == "--pairs") pairs = std::stoul(v);
        else if (a == "--seed") seed = static_cast<unsigned>(std::stoul(v));
        else if (a == "--work") work = v;
        else if (a == "--pairs-out") pairs_out = v;
        else if (a == "--synth") synth_nodes = std::stoull(v);
        else if (a == "--reuse") reuse = v != "0";
        else if (a == "--constrained") constrained_pairs = std::stoul(v);
        else if (a == "--full") with_full = v != "0";
        else if (a == "--matrix") with_matrix = v != "0";
        else if (a == "--precompute") precompute = v;
        else if (a == "--adaptive") adaptive = v != "0";
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    std::filesystem::create_directories(work);
    if (synth_nodes > 0 && !reuse) {
        synth::Config sc;
        sc.road_nodes = synth_nodes;
        sc.write_addresses = sc.write_dem = sc.write_layers = sc.write_basemap = sc.write_bundle = false;
        const auto t0 = clock_type::now();
        pbf = synth::generate(sc, std::filesystem::path(work) / "synth").roads.string();
        std::fprintf(stderr, "synth: %.1f s\n", std::chrono::duration<double>(clock_type::now() - t0).count());
    }
    if (pbf.empty() && !reuse) {
        std::fprintf(stderr, "usage: routing_bench --pbf FILE | --synth NODES [--profile car] [--pairs N]\n");
        return 2;
    }

    auto wt = [](routing::ConstraintType t, const char* v) {
        return routing::Constraint{t, "wayType", routing::ConstraintOperator::eq, v, {}};
    };
    const std::vector<std::pair<std::string, std::vector<routing::Constraint>>> constraint_sets = {
        {"banned_tunnel", {wt(routing::ConstraintType::banned, "tunnel")}},
        {"banned_autoroute", {wt(routing::ConstraintType::banned, "autoroute")}},
        {"banned_pont", {wt(routing::ConstraintType::banned, "pont")}},
        {"unpreferred_tunnel", {wt(routing::ConstraintType::unpreferred, "tunnel")}},
        {"preferred_autoroute", {wt(routing::ConstraintType::preferred, "autoroute")}},
        {"banned_tunnel_pont", {wt(routing::ConstraintType::banned, "tunnel"), wt(routing::ConstraintType::banned, "pont")}},
        {"unpreferred_pont", {wt(routing::ConstraintType::unpreferred, "pont")}},
    };
    std::vector<bool> precomputed(constraint_sets.size(), false);
    routing::ResourceConfig rc;
    for (std::size_t start = 0; start < precompute.size();) {
        const auto end = std::min(precompute.find(',', start), precompute.size());
        const std::string name = precompute.substr(start, end - start);
        start = end + 1;
        std::size_t k = 0;
        while (k < constraint_sets.size() && constraint_sets[k].first != name) ++k;
        if (k == constraint_sets.size()) {
            std::fprintf(stderr, "--precompute: unknown constraint set %s\n", name.c_str());
            return 2;
        }
        precomputed[k] = true;
        std::string file_name = name;
        std::replace(file_name.begin(), file_name.end(), '_', '-');
        rc.constraint_sets.push_back({file_name, constraint_sets[k].second});
    }
    rc.id = "bench";
    rc.path = pbf;
    rc.profiles = {routing::Profile::builtin(profile)};
    rc.optimizations = {routing::Optimization::fastest};
    routing::BuildConfig cfg;
    cfg.resources.push_back(rc);
    const auto dir = std::filesystem::path(work) / "routing";
    const auto b0 = clock_type::now();
    const double b0_cpu = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
    const auto report = reuse ? routing::BuildReport{} : routing::Builder(cfg).build(dir);
    const double build_s = std::chrono::duration<double>(clock_type::now() - b0).count();
    const double build_cpu_s = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - b0_cpu;
    const std::uint64_t build_rss = peak_rss();

    const auto o0 = clock_type::now();
    routing::OpenOptions open_options;
    open_options.adaptive_sets.enabled = adaptive;
    open_options.adaptive_sets.max_sets = static_cast<std::uint32_t>(constraint_sets.size());
    const auto router = routing::Router::open(dir, open_options);
    const double open_ms = std::chrono::duration<double, std::milli>(clock_type::now() - o0).count();
    const auto& g = router.graph("bench", profile);

    // OD pairs: random graph nodes' positions (on roads), seeded.
    std::mt19937 rng(seed);
    std::uniform_int_distribution<routing::NodeId> pick(0, g.node_count() - 1);
    std::vector<std::pair<LonLat, LonLat>> od;
    for (std::size_t i = 0; i < pairs; ++i) od.emplace_back(g.node_position(pick(rng)), g.node_position(pick(rng)));
    if (!pairs_out.empty()) {
        std::ofstream out(pairs_out);
        for (const auto& [a, b] : od) out << fmt::format("{:.7f},{:.7f},{:.7f},{:.7f}\n", a.lon, a.lat, b.lon, b.lat);
    }

    routing::Query q(router);
    std::array<std::size_t, 6> engines{};  // legs per routing::RouteEngine, of the last run
    auto run = [&](bool full, std::vector<double>& us, std::vector<double>& cpu_us, double& checksum,
                   const std::vector<routing::Constraint>& constraints = {}) {
        engines = {};
        routing::RouteRequest req;
        req.constraints = constraints;
        req.resource = "bench";
        req.profile = profile;
        req.geometry = full;
        req.steps = full;
        req.points.resize(2);
        const std::size_t count = constraints.empty() ? od.size() : std::min(od.size(), constrained_pairs);
        for (std::size_t i = 0; i < count; ++i) {
            const auto& [a, b] = od[i];
            req.points[0] = a;
            req.points[1] = b;
            const double c0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
            const auto t0 = clock_type::now();
            const auto r = q.route(req);
            std::size_t bytes = 0;
            if (full) bytes = serialize(r);
            us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
            cpu_us.push_back((cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e6);
            checksum += r.duration_s + static_cast<double>(bytes) * 1e-9;
            for (const auto& leg : r.legs) ++engines[static_cast<std::size_t>(leg.engine)];
        }
    };
    auto engine_json = [&] {
        std::string out = "{";
        for (std::size_t e = 0; e < engines.size(); ++e)
            if (engines[e] > 0)
                out += fmt::format("{}\"{}\": {}", out.size() > 1 ? ", " : "",
                                   routing::to_string(static_cast<routing::RouteEngine>(e)), engines[e]);
        return out + "}";
    };
    std::vector<double> warm, warm_cpu, summary, summary_cpu, full, full_cpu;
    double checksum = 0;
    run(false, warm, warm_cpu, checksum);  // warm-up (page faults of the mapped files)
    run(false, summary, summary_cpu, checksum);
    if (with_full) run(true, full, full_cpu, checksum);
    // Constrained routes (summary only): the CH path when it avoids the constrained ways, else
    // an exact A* with CH potentials. Several constraint sets, each on the first N pairs.
    std::vector<std::vector<double>> constrained_cpu(constraint_sets.size());
    std::vector<std::string> engines_of(constraint_sets.size());
    std::vector<std::string> adaptive_lines;
    for (std::size_t k = 0; k < constraint_sets.size(); ++k) {
        std::vector<double> wall;
        if (!adaptive || precomputed[k]) {
            run(false, wall, constrained_cpu[k], checksum, constraint_sets[k].second);
            engines_of[k] = engine_json();
            continue;
        }
        // Adaptive: cold pass (the build starts at the 2nd route, in the background), wait for
        // it, then the same pairs again.
        std::vector<double> cold_wall, cold_cpu, set_warm_wall, set_warm_cpu;
        const auto before = router.constraint_set_stats();
        run(false, cold_wall, cold_cpu, checksum, constraint_sets[k].second);
        const std::string cold_engines = engine_json();
        const auto w0 = clock_type::now();
        router.wait_for_pending();
        const double waited_s = std::chrono::duration<double>(clock_type::now() - w0).count();
        const auto after = router.constraint_set_stats();
        run(false, set_warm_wall, set_warm_cpu, checksum, constraint_sets[k].second);
        constrained_cpu[k] = set_warm_cpu;
        engines_of[k] = engine_json();
        const double base = std::max(1e-9, percentile(summary_cpu, 0.5));
        adaptive_lines.push_back(fmt::format(
            "  \"adaptive_{}\": {{\"built\": {}, \"build_s\": {:.2f}, \"waited_after_cold_s\": {:.2f}, "
            "\"cold_cpu_us\": {{\"n\": {}, \"p50\": {:.1f}, \"p90\": {:.1f}, \"p99\": {:.1f}, \"p50_ratio\": {:.1f}, "
            "\"engines\": {}}}, \"warm_cpu_us\": {{\"p50\": {:.1f}, \"p90\": {:.1f}, \"p99\": {:.1f}, \"p50_ratio\": {:.1f}, "
            "\"engines\": {}}}}},\n",
            constraint_sets[k].first, after.built - before.built, after.built > before.built ? after.last_build_seconds : 0.0,
            waited_s, cold_cpu.size(), percentile(cold_cpu, 0.5), percentile(cold_cpu, 0.9), percentile(cold_cpu, 0.99),
            percentile(cold_cpu, 0.5) / base, cold_engines, percentile(set_warm_cpu, 0.5), percentile(set_warm_cpu, 0.9),
            percentile(set_warm_cpu, 0.99), percentile(set_warm_cpu, 0.5) / base, engines_of[k]));
    }

    // 100 × 100 matrix on the first 100 pairs' ends.
    routing::MatrixRequest mr;
    mr.resource = "bench";
    mr.profile = profile;
    for (std::size_t i = 0; i < std::min<std::size_t>(100, od.size()); ++i) {
        mr.sources.push_back(od[i].first);
        mr.targets.push_back(od[i].second);
    }
    std::vector<double> matrix_ms, matrix_cpu_ms;
    for (int k = 0; k < (with_matrix ? 7 : 0); ++k) {
        const double c0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
        const auto t0 = clock_type::now();
        const auto m = q.matrix(mr);
        matrix_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
        matrix_cpu_ms.push_back((cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e3);
        checksum += m.durations_s[0];
    }

    routing::ProfileReport pr;
    if (reuse) {
        const auto& ch = router.ch("bench", profile, routing::Optimization::fastest);
        pr.nodes = g.node_count();
        pr.arcs = g.arc_count();
        pr.ch_arcs = {ch.forward_head.size() + ch.backward_head.size()};
        pr.ch_seconds = {0.0};
    } else {
        pr = report.profiles.at(0);
    }
    fmt::print("{{\n  \"input\": \"{}\", \"profile\": \"{}\", \"nodes\": {}, \"arcs\": {}, \"ch_arcs\": {},\n", pbf,
               profile, pr.nodes, pr.arcs, pr.ch_arcs.at(0));
    fmt::print("  \"build_cpu_s\": {:.2f},\n", build_cpu_s);
    fmt::print("  \"build_s\": {:.2f}, \"read_s\": {:.2f}, \"graph_s\": {:.2f}, \"ch_s\": {:.2f}, \"build_peak_rss_mib\": {:.0f}, "
               "\"open_ms\": {:.2f},\n",
               build_s, report.read_seconds, pr.graph_seconds, pr.ch_seconds.at(0),
               static_cast<double>(build_rss) / 1048576.0, open_ms);
    fmt::print("  \"pairs\": {},\n", od.size());
    fmt::print("  \"route_summary_us\": {{\"p50\": {:.1f}, \"p90\": {:.1f}, \"p99\": {:.1f}}},\n", percentile(summary, 0.5),
               percentile(summary, 0.9), percentile(summary, 0.99));
    fmt::print("  \"route_full_json_us\": {{\"p50\": {:.1f}, \"p90\": {:.1f}, \"p99\": {:.1f}}},\n", percentile(full, 0.5),
               percentile(full, 0.9), percentile(full, 0.99));
    fmt::print("  \"route_summary_cpu_us\": {{\"p50\": {:.1f}, \"p90\": {:.1f}, \"p99\": {:.1f}}},\n",
               percentile(summary_cpu, 0.5), percentile(summary_cpu, 0.9), percentile(summary_cpu, 0.99));
    fmt::print("  \"route_full_json_cpu_us\": {{\"p50\": {:.1f}, \"p90\": {:.1f}, \"p99\": {:.1f}}},\n",
               percentile(full_cpu, 0.5), percentile(full_cpu, 0.9), percentile(full_cpu, 0.99));
    for (std::size_t k = 0; k < constraint_sets.size(); ++k) {
        const auto& v = constrained_cpu[k];
        fmt::print("  \"route_{}_cpu_us\": {{\"n\": {}, \"p50\": {:.1f}, \"p90\": {:.1f}, \"p99\": {:.1f}, "
                   "\"p50_ratio_to_unconstrained\": {:.1f}, \"precomputed\": {}, \"engines\": {}}},\n",
                   constraint_sets[k].first, v.size(), percentile(v, 0.5), percentile(v, 0.9), percentile(v, 0.99),
                   percentile(v, 0.5) / std::max(1e-9, percentile(summary_cpu, 0.5)), precomputed[k] ? "true" : "false",
                   engines_of[k]);
    }
    for (const auto& line : adaptive_lines) fmt::print("{}", line);
    for (const auto& sr : pr.constraint_sets)
        fmt::print("  \"set_{}_build\": {{\"s\": {:.2f}, \"cpu_s\": {:.2f}, \"ch_arcs\": {}}},\n", sr.name,
                   sr.seconds.at(0), sr.cpu_seconds.at(0), sr.arcs.at(0));
    fmt::print("  \"matrix_100x100_cpu_ms\": {{\"median\": {:.2f}, \"min\": {:.2f}}},\n",
               percentile(matrix_cpu_ms, 0.5), matrix_cpu_ms.empty() ? 0.0 : *std::min_element(matrix_cpu_ms.begin(), matrix_cpu_ms.end()));
    fmt::print("  \"matrix_100x100_ms\": {{\"median\": {:.2f}, \"min\": {:.2f}}},\n", percentile(matrix_ms, 0.5),
               matrix_ms.empty() ? 0.0 : *std::min_element(matrix_ms.begin(), matrix_ms.end()));
    fmt::print("  \"checksum\": {:.3f}\n}}\n", checksum);
    return 0;
}
