// Altitude benchmark: a plain timed driver printing one JSON object per measurement.
//
//   altitude_bench [--data DIR] [--points N] [--lines N] [--threads T] [--points-file FILE]
//                  [--dump-nearest FILE]
//
// Inputs, built at start in a temporary directory from DIR/dem/N43E007.hgt (DIR defaults to
// $GEOPLEX_TEST_DATA):
//   embed     : the SRTM tile embedded as an uncompressed, memory-mapped Float32 grid;
//   reference : a DEFLATE-tiled GeoTIFF (gdal_translate -co TILED=YES -co COMPRESS=DEFLATE) read
//               through GDAL with the decoded-block cache.
// Measurements: N seeded random points (or --points-file "lon lat" lines), elevation lines
// totalling N samples, per-thread throughput with T threads, and a 5 000-point elevation.json
// served through Router::handle. Best of 3 runs after a warm-up.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include "geoplex/altitude/altitude.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/server/altitude_api.hpp"
#include "geoplex/server/router.hpp"

using namespace geoplex;
using Clock = std::chrono::steady_clock;

namespace {

/// CPU time of the calling thread: robust to other processes sharing the cores (the wall time is
/// reported too).
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Timing {
    double wall = 1e300;
    double cpu = 1e300;  // calling thread only: meaningful for single-threaded runs
};

Timing time_of(const std::function<void()>& f, int runs = 3) {
    f();  // warm-up (page faults, cache fill)
    Timing best;
    for (int i = 0; i < runs; ++i) {
        const auto t0 = Clock::now();
        const double c0 = thread_cpu_seconds();
        f();
        best.cpu = std::min(best.cpu, thread_cpu_seconds() - c0);
        best.wall = std::min(best.wall, std::chrono::duration<double>(Clock::now() - t0).count());
    }
    return best;
}

void report(const std::string& name, std::size_t samples, Timing t, int threads = 1) {
    // Single thread: per-sample cost from the thread's CPU time. Several threads: wall time.
    const double seconds = threads == 1 ? t.cpu : t.wall;
    const double per_thread = static_cast<double>(samples) / seconds / threads;
    std::printf("{\"bench\":\"%s\",\"samples\":%zu,\"threads\":%d,\"wall_s\":%.6f,\"cpu_s\":%.6f,"
                "\"ns_per_sample_per_thread\":%.2f,\"msamples_per_s_per_thread\":%.2f}\n",
                name.c_str(), samples, threads, t.wall, threads == 1 ? t.cpu : 0.0, 1e9 / per_thread, per_thread / 1e6);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    std::string data = std::getenv("GEOPLEX_TEST_DATA") != nullptr ? std::getenv("GEOPLEX_TEST_DATA") : "";
    std::size_t n_points = 1'000'000, line_len = 1000;
    int threads = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    std::string points_file, dump_file;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--data") data = argv[i + 1];
        else if (a == "--points") n_points = std::stoul(argv[i + 1]);
        else if (a == "--line-length") line_len = std::stoul(argv[i + 1]);
        else if (a == "--threads") threads = std::stoi(argv[i + 1]);
        else if (a == "--points-file") points_file = argv[i + 1];
        else if (a == "--dump-nearest") dump_file = argv[i + 1];
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    const auto hgt = std::filesystem::path(data) / "dem" / "N43E007.hgt";
    if (data.empty() || !std::filesystem::exists(hgt)) {
        std::fprintf(stderr, "need --data DIR (or GEOPLEX_TEST_DATA) holding dem/N43E007.hgt\n");
        return 2;
    }
    const auto tmp = std::filesystem::temp_directory_path() / fmt::format("geoplex-altitude-bench-{}", ::getpid());
    std::filesystem::create_directories(tmp);
    const auto deflate = tmp / "n43e007-deflate.tif";
    const std::string cmd = fmt::format("gdal_translate -q -co TILED=YES -co COMPRESS=DEFLATE '{}' '{}'", hgt.string(), deflate.string());
    if (std::system(cmd.c_str()) != 0) {
        std::fprintf(stderr, "failed: %s\n", cmd.c_str());
        return 1;
    }
    int rc = 0;
    try {
        altitude::BuildConfig cfg;
        altitude::ResourceConfig embed;
        embed.id = "embed";
        embed.title = "SRTM embedded";
        altitude::SourceConfig srtm;
        srtm.name = "srtm";
        srtm.path = hgt;
        embed.sources.push_back(srtm);
        altitude::ResourceConfig ref = embed;
        ref.id = "reference";
        ref.sources[0].path = deflate;
        ref.sources[0].storage = altitude::Storage::reference;
        cfg.resources = {embed, ref};
        const auto bundle_dir = tmp / "bundle";
        const auto t0 = Clock::now();
        altitude::Builder(cfg).build(bundle_dir / "altitude");
        std::printf("{\"bench\":\"build\",\"seconds\":%.4f}\n", std::chrono::duration<double>(Clock::now() - t0).count());
        std::ofstream(bundle_dir / "manifest.toml") << "name = \"bench\"\nformat_version = 1\ncomponents = [\"altitude\"]\n";
        const auto engine = bundle::Engine::open(bundle_dir);
        const altitude::Altimetry& alti = engine.altitude();

        // Points: seeded uniform in the tile, or read from a file.
        std::vector<LonLat> pts;
        if (!points_file.empty()) {
            std::ifstream in(points_file);
            double lon = 0, lat = 0;
            while (in >> lon >> lat) pts.push_back({lon, lat});
        } else {
            std::mt19937_64 rng(42);
            std::uniform_real_distribution<double> ux(7.0, 8.0), uy(43.0, 44.0);
            pts.resize(n_points);
            for (auto& p : pts) p = {ux(rng), uy(rng)};
        }
        std::vector<double> z(pts.size());
        altitude::Query q(alti);
        for (const char* res : {"embed", "reference"}) {
            for (const auto interp : {altitude::Interpolation::nearest, altitude::Interpolation::bilinear}) {
                const Timing s = time_of([&] { q.elevations(res, pts, z, interp); });
                report(fmt::format("points/{}/{}", res, altitude::to_string(interp)), pts.size(), s);
            }
        }
        if (!dump_file.empty()) {
            q.elevations("embed", pts, z, altitude::Interpolation::nearest);
            std::ofstream out(dump_file);
            for (const double v : z) out << fmt::format("{}\n", v);
        }
        // Per-thread throughput with `threads` threads, one Query each.
        for (const char* res : {"embed", "reference"}) {
            const Timing s = time_of([&] {
                std::vector<std::thread> pool;
                for (int t = 0; t < threads; ++t)
                    pool.emplace_back([&] {
                        altitude::Query tq(alti);
                        std::vector<double> tz(pts.size());
                        tq.elevations(res, pts, tz, altitude::Interpolation::bilinear);
                    });
                for (auto& th : pool) th.join();
            });
            report(fmt::format("points/{}/bilinear/mt", res), pts.size() * static_cast<std::size_t>(threads), s, threads);
        }
        // Elevation lines: random 2-point lines sampled every `line_len`, n_points samples in all.
        {
            std::mt19937_64 rng(43);
            std::uniform_real_distribution<double> ux(7.05, 7.95), uy(43.05, 43.95);
            const std::size_t n_lines = std::max<std::size_t>(1, n_points / line_len);
            std::vector<std::vector<LonLat>> lines(n_lines);
            for (auto& l : lines) l = {{ux(rng), uy(rng)}, {ux(rng), uy(rng)}};
            for (const char* res : {"embed", "reference"}) {
                double sink = 0;
                const Timing s = time_of([&] {
                    for (const auto& l : lines) sink += q.elevation_line(res, l, line_len).positive;
                });
                report(fmt::format("lines/{}/bilinear", res), n_lines * line_len, s);
                if (sink < 0) std::printf("#\n");
            }
        }
        // 5 000-point elevation.json through the handler (no network).
        {
            server::Router router;
            server::add_altitude_routes(router);
            std::string lon, lat;
            for (std::size_t i = 0; i < 5000; ++i) {
                lon += fmt::format("{}{:.6f}", i ? "|" : "", pts[i % pts.size()].lon);
                lat += fmt::format("{}{:.6f}", i ? "|" : "", pts[i % pts.size()].lat);
            }
            std::size_t bytes = 0;
            const int reps = 50;
            const Timing s = time_of([&] {
                for (int i = 0; i < reps; ++i) {
                    server::Request req;
                    req.method = "GET";
                    req.path = "/altimetrie/1.0/calcul/alti/rest/elevation.json";
                    req.query = {{"lon", lon}, {"lat", lat}, {"resource", "embed"}};
                    const auto r = router.handle(req, engine);
                    if (r.status != 200) throw std::runtime_error("handler returned " + std::to_string(r.status) + ": " + r.body);
                    bytes = r.body.size();
                }
            });
            std::printf("{\"bench\":\"http/elevation.json/5000\",\"ms_per_request_cpu\":%.3f,\"ms_per_request_wall\":%.3f,"
                        "\"response_bytes\":%zu}\n",
                        s.cpu / reps * 1e3, s.wall / reps * 1e3, bytes);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        rc = 1;
    }
    std::error_code ec;
    std::filesystem::remove_all(tmp, ec);
    return rc;
}
