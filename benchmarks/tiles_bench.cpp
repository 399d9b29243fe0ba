// Tiles benchmark driver (plain timed driver printing one JSON line; no timings in tests).
//
//   tiles_bench mvt    FILE.geojson ZMAX [THREADS]      every tile z0..ZMAX over the data's bounds,
//                                                       uncompressed MVT (what vt-pbf produces)
//   tiles_bench raster FILE.tif ZMIN ZMAX OUT.pmtiles [THREADS]   a PMTiles PNG pyramid
//   tiles_bench export FILE.geojson ZMAX OUTDIR [THREADS]  every MVT tile z0..ZMAX as {z}/{x}/{y}.pbf files
//
// Used by benchmarks/peers/mvt_vs_geojsonvt.sh and raster_vs_gdal2tiles.sh, which run the peers on
// the same input in the same run and print the ratios.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "geoplex/tiles/tiles.hpp"

using namespace geoplex;
using namespace geoplex::tiles;

namespace {

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double cpu() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// The same tile range the JavaScript peer computes from the lon/lat bounds.
std::uint64_t tx(double lon, int z) {
    const double n = std::ldexp(1.0, z);
    return static_cast<std::uint64_t>(std::clamp(std::floor((lon + 180) / 360 * n), 0.0, n - 1));
}
std::uint64_t ty(double lat, int z) {
    const double n = std::ldexp(1.0, z);
    const double r = lat * M_PI / 180;
    return static_cast<std::uint64_t>(std::clamp(std::floor((1 - std::log(std::tan(r) + 1 / std::cos(r)) / M_PI) / 2 * n), 0.0, n - 1));
}

// A tileset with one vector layer "departements" (no cache) read from `file`.
Tileset vector_tileset(const std::string& file, int zmax, bool gzip) {
    BuildConfig cfg;
    VectorLayerConfig v;
    v.id = "departements";
    v.path = file;
    v.max_zoom = zmax;
    cfg.vector_layers.push_back(v);
    OpenOptions o;
    o.cache_bytes = 0;
    o.gzip_vector_tiles = gzip;
    return Tileset::from_config(cfg, o);
}

int mvt(const std::string& file, int zmax, unsigned threads) {
    const double t0 = now(), c0 = cpu();
    const Tileset ts = vector_tileset(file, zmax, false);
    const double t1 = now();
    const BBox b = ts.find("departements")->bounds;
    struct T { int z; std::uint64_t x, y; };
    std::vector<T> list;
    for (int z = 0; z <= zmax; ++z)
        for (std::uint64_t x = tx(b.min_x, z); x <= tx(b.max_x, z); ++x)
            for (std::uint64_t y = ty(b.max_y, z); y <= ty(b.min_y, z); ++y) list.push_back({z, x, y});
    std::atomic<std::size_t> next{0}, nonempty{0}, bytes{0};
    auto work = [&] {
        for (std::size_t i = next++; i < list.size(); i = next++) {
            const Tile t = ts.render("departements", static_cast<std::uint32_t>(list[i].z), list[i].x, list[i].y);
            if (t.status == TileStatus::ok) {
                ++nonempty;
                bytes += t.bytes.size();
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    const double t2 = now();
    std::printf("%s\n", fmt::format(R"({{"tool":"geoplex","threads":{},"tiles":{},"nonempty":{},"bytes":{},"load_s":{:.4f},"tile_s":{:.4f},"total_s":{:.4f},"cpu_s":{:.4f}}})",
                                    threads, list.size(), nonempty.load(), bytes.load(), t1 - t0, t2 - t1, t2 - t0, cpu() - c0).c_str());
    return 0;
}

int raster(const std::string& file, int zmin, int zmax, const std::string& out, unsigned threads) {
    const double t0 = now(), c0 = cpu();
    BuildConfig cfg;
    RasterLayerConfig r;
    r.id = "raster";
    r.path = file;
    r.max_zoom = zmax;
    cfg.raster_layers.push_back(r);
    OpenOptions o;
    o.cache_bytes = 0;
    const Tileset ts = Tileset::from_config(cfg, o);
    PyramidConfig p;
    p.layer = "raster";
    p.min_zoom = zmin;
    p.max_zoom = zmax;
    const auto n = write_pyramid(ts, p, out, threads);
    const double t1 = now();
    std::printf("%s\n", fmt::format(R"({{"tool":"geoplex","threads":{},"tiles":{},"total_s":{:.4f},"cpu_s":{:.4f}}})", threads, n,
                                    t1 - t0, cpu() - c0).c_str());
    return 0;
}

// Every tile z0..ZMAX of a GeoJSON layer as files (gzip-compressed MVT, as served), through the
// directory container: what serve_vs_nginx serves with nginx.
int export_tiles(const std::string& file, int zmax, const std::string& out, unsigned threads) {
    const Tileset ts = vector_tileset(file, zmax, true);
    PyramidConfig p;
    p.layer = "departements";
    p.container = PyramidContainer::directory;
    p.max_zoom = zmax;
    const auto n = write_pyramid(ts, p, out, threads);
    std::printf("%s\n", fmt::format(R"({{"tool":"geoplex export","tiles":{}}})", n).c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 1 ? argv[1] : "";
        if (mode == "mvt" && argc >= 4)
            return mvt(argv[2], std::stoi(argv[3]), argc > 4 ? static_cast<unsigned>(std::stoul(argv[4])) : 1U);
        if (mode == "raster" && argc >= 6)
            return raster(argv[2], std::stoi(argv[3]), std::stoi(argv[4]), argv[5], argc > 6 ? static_cast<unsigned>(std::stoul(argv[6])) : 2U);
        if (mode == "export" && argc >= 5)
            return export_tiles(argv[2], std::stoi(argv[3]), argv[4], argc > 5 ? static_cast<unsigned>(std::stoul(argv[5])) : 2U);
        std::fprintf(stderr, "usage: tiles_bench mvt FILE ZMAX [THREADS] | raster FILE ZMIN ZMAX OUT.pmtiles [THREADS] | "
                             "export FILE ZMAX OUTDIR [THREADS]\n");
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tiles_bench: %s\n", e.what());
        return 1;
    }
}
