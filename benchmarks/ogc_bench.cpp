// OGC services benchmark driver (plain timed driver printing one JSON line per run; no timings in tests).
//
//   ogc_bench getmap-raster FILE.tif N          N GetMap 512×512 PNG renders (EPSG:3857, boxes inside the raster)
//   ogc_bench getmap-vector FILE N               N GetMap 512×512 PNG renders of a vector layer (EPSG:3857)
//   ogc_bench make-points OUT.gpkg N             a synthetic GeoPackage of N points (id, name, value)
//   ogc_bench features FILE.gpkg                 streams every feature as GeoJSON through ogc::Services
//   ogc_bench http-features FILE.gpkg OUTDIR     builds a bundle (in a child process), serves it, and
//                                                streams every feature with curl from WFS GetFeature
//                                                (GeoJSON and GML) and OGC API items; reports the server's
//                                                features/s and this process's peak RSS
//
//   ogc_bench download FILE.gpkg OUTDIR          serves FILE as a download resource (server/download_api) and
//                                                fetches it with curl: whole, in 1 MiB ranges, and converted to
//                                                each ?format= (min of 3 each); reports MB/s and seconds
//
// Times are wall and CPU seconds (min of 3 runs where cheap); peak RSS is VmHWM of this process.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/ogc/ogc.hpp"
#include "geoplex/server/download_api.hpp"
#include "geoplex/server/server.hpp"

using namespace geoplex;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
double cpu() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

/// A line of /proc/self/status in MiB: "VmHWM:" (peak resident set) or "VmRSS:" (current).
double status_mib(const std::string& key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0) return std::stod(line.substr(key.size())) / 1024.0;
    return 0;
}
double peak_rss_mib() { return status_mib("VmHWM:"); }
double rss_mib() { return status_mib("VmRSS:"); }

int getmap(const std::string& file, bool vector, int n) {
    tiles::BuildConfig cfg;
    if (vector) {
        tiles::VectorLayerConfig v;
        v.id = "layer";
        v.path = file;
        cfg.vector_layers.push_back(v);
    } else {
        tiles::RasterLayerConfig r;
        r.id = "layer";
        r.path = file;
        cfg.raster_layers.push_back(r);
    }
    const auto services = ogc::Services::from_config(cfg);
    const BBox world = ogc::Services::transform_box(services.layers().front().wgs84, "OGC:CRS84", "EPSG:3857");
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    // Boxes of a quarter of the layer's width (vector) or a third (raster), anywhere inside it.
    std::vector<ogc::MapRequest> reqs;
    for (int i = 0; i < n; ++i) {
        const double w = (world.max_x - world.min_x) / (vector ? 4 : 3);
        const double x0 = world.min_x + u(rng) * (world.max_x - world.min_x - w);
        const double y0 = world.min_y + u(rng) * (world.max_y - world.min_y - w);
        ogc::MapRequest m;
        m.layers = {"layer"};
        m.crs = "EPSG:3857";
        m.bbox = BBox::of(x0, y0, x0 + w, y0 + w);
        m.width = m.height = 512;
        m.transparent = true;
        reqs.push_back(m);
    }
    double best_wall = 1e300, best_cpu = 1e300;
    std::size_t bytes = 0;
    for (int run = 0; run < 3; ++run) {
        const double w0 = now(), c0 = cpu();
        bytes = 0;
        for (const auto& m : reqs) bytes += services.get_map(m).bytes.size();
        best_wall = std::min(best_wall, now() - w0);
        best_cpu = std::min(best_cpu, cpu() - c0);
    }
    fmt::print("{{\"bench\":\"getmap-{}\",\"maps\":{},\"size\":\"512x512\",\"format\":\"png\",\"wall_s\":{:.3f},\"cpu_s\":{:.3f},"
               "\"maps_per_s_wall\":{:.1f},\"maps_per_s_cpu\":{:.1f},\"ms_per_map_cpu\":{:.2f},\"avg_png_bytes\":{}}}\n",
               vector ? "vector" : "raster", n, best_wall, best_cpu, n / best_wall, n / best_cpu, best_cpu * 1000 / n,
               bytes / static_cast<std::size_t>(n));
    return 0;
}

int make_points(const std::string& out, long n) {
    // A CSV written here, converted by ogr2ogr (GDAL stays out of the benchmark's includes).
    const std::string csv = out + ".csv";
    {
        std::ofstream f(csv);
        f << "id,name,value,lon,lat\n";
        std::mt19937 rng(7);
        std::uniform_real_distribution<double> lon(-5.0, 9.5), lat(41.5, 51.0), val(0, 1000);
        for (long i = 0; i < n; ++i) f << fmt::format("{},point {},{:.3f},{:.6f},{:.6f}\n", i, i, val(rng), lon(rng), lat(rng));
    }
    const std::string cmd = fmt::format(
        "ogr2ogr -q -overwrite -f GPKG '{}' '{}' -nln points -a_srs EPSG:4326 -oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat "
        "-oo KEEP_GEOM_COLUMNS=NO -oo AUTODETECT_TYPE=YES",
        out, csv);
    const int rc = std::system(cmd.c_str());
    std::remove(csv.c_str());
    if (rc != 0) return 1;
    fmt::print("{{\"bench\":\"make-points\",\"file\":\"{}\",\"features\":{}}}\n", out, n);
    return 0;
}

int features(const std::string& file) {
    tiles::BuildConfig cfg;
    tiles::VectorLayerConfig v;
    v.id = "points";
    v.path = file;
    cfg.vector_layers.push_back(v);
    const auto services = ogc::Services::from_config(cfg);
    const double rss0 = rss_mib();
    for (const auto format : {ogc::FeatureFormat::geojson, ogc::FeatureFormat::gml32}) {
        ogc::FeatureQuery q;
        q.layer = "points";
        q.count = std::uint64_t{1} << 40;
        q.authority_axis_order = format == ogc::FeatureFormat::gml32;
        const double w0 = now(), c0 = cpu();
        auto s = services.open_features(q, format);
        std::string buf;
        std::size_t bytes = 0;
        bool more = true;
        while (more) {
            buf.clear();
            more = s->next(buf);
            bytes += buf.size();
        }
        const double wall = now() - w0, c = cpu() - c0;
        fmt::print("{{\"bench\":\"features-{}\",\"features\":{},\"bytes\":{},\"wall_s\":{:.3f},\"cpu_s\":{:.3f},\"features_per_s_wall\":{:.0f},"
                   "\"rss_before_mib\":{:.1f},\"peak_rss_mib\":{:.1f}}}\n",
                   format == ogc::FeatureFormat::geojson ? "geojson" : "gml32", s->returned(), bytes, wall, c, s->returned() / wall, rss0,
                   peak_rss_mib());
    }
    return 0;
}

int http_features(const std::string& file, const std::string& outdir) {
    const std::string bundle_dir = outdir + "/bundle";
    // The bundle build (tiles layer description) runs in a child so that its memory does not count.
    if (const pid_t pid = fork(); pid == 0) {
        std::ofstream(outdir + "/spec.toml") << fmt::format("name = \"ogc-bench\"\n[tiles]\n[[tiles.vector]]\nid = \"points\"\npath = \"{}\"\nmax_zoom = 4\n", file);
        bundle::build(outdir + "/spec.toml", bundle_dir);
        _exit(0);
    } else {
        int status = 0;
        waitpid(pid, &status, 0);
        if (status != 0) return 1;
    }
    server::ServerConfig config;
    config.address = "127.0.0.1";
    config.port = 0;
    config.threads = 1;
    config.ogc.wfs_max_count = std::size_t{1} << 40;
    config.ogc.oapif_max_limit = std::size_t{1} << 40;
    server::Server srv(bundle::Engine::open(bundle_dir), config);
    srv.start();
    const double rss0 = rss_mib();
    const std::string base = fmt::format("http://127.0.0.1:{}", srv.port());
    for (const auto& [name, path] : std::initializer_list<std::pair<std::string, std::string>>{
             {"wfs-geojson", "/wfs/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=points&OUTPUTFORMAT=application/json&COUNT=100000000"},
             {"wfs-gml32", "/wfs/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=points&COUNT=100000000"},
             {"oapif-items", "/ogcapi/collections/points/items?limit=100000000"}}) {
        rusage r0{};
        getrusage(RUSAGE_SELF, &r0);
        const double w0 = now();
        const std::string cmd = fmt::format("curl -s -o /dev/null -w '%{{size_download}}' '{}{}'", base, path);
        FILE* p = popen(cmd.c_str(), "r");
        char out[64] = {};
        const std::size_t got = std::fread(out, 1, sizeof out - 1, p);
        pclose(p);
        const double wall = now() - w0;
        rusage r1{};
        getrusage(RUSAGE_SELF, &r1);
        const double server_cpu = static_cast<double>(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
                                  static_cast<double>(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
        fmt::print("{{\"bench\":\"http-{}\",\"bytes\":{},\"wall_s\":{:.3f},\"server_cpu_s\":{:.3f},\"rss_before_mib\":{:.1f},\"peak_rss_mib\":{:.1f}}}\n",
                   name, std::string(out, got), wall, server_cpu, rss0, peak_rss_mib());
        std::fflush(stdout);
    }
    srv.stop();
    return 0;
}

/// One vector layer ("points"), public: the download resource of the benchmark.
class OneLayer final : public server::LayerProvider {
public:
    explicit OneLayer(const std::string& file) {
        tiles::BuildConfig cfg;
        tiles::VectorLayerConfig v;
        v.id = "points";
        v.path = file;
        cfg.vector_layers.push_back(v);
        m_ts = tiles::Tileset::from_config(cfg);
    }
    std::vector<tiles::Tileset> visible(const server::Request&, bool restricted) const override {
        return restricted ? std::vector<tiles::Tileset>{} : std::vector<tiles::Tileset>{*m_ts};
    }
    std::optional<tiles::Tileset> resolve(const server::Request&, std::string_view layer, bool restricted) const override {
        if (restricted || layer != "points") return std::nullopt;
        return m_ts;
    }

private:
    std::optional<tiles::Tileset> m_ts;
};

/// curl's total time (s) and downloaded bytes of `url` (extra curl arguments first), min of 3.
std::pair<double, double> curl_min(const std::string& args, const std::string& url) {
    double best = 1e300, bytes = 0;
    for (int run = 0; run < 3; ++run) {
        const std::string cmd = fmt::format("curl -s -f -o /dev/null -w '%{{time_total}} %{{size_download}}' {} '{}'", args, url);
        FILE* p = popen(cmd.c_str(), "r");
        char out[128] = {};
        const std::size_t got = std::fread(out, 1, sizeof out - 1, p);
        if (pclose(p) != 0) throw std::runtime_error("curl failed: " + cmd);
        std::istringstream in(std::string(out, got));
        double t = 0;
        in >> t >> bytes;
        best = std::min(best, t);
    }
    return {best, bytes};
}

int download(const std::string& file, const std::string& outdir) {
    server::ServerConfig config;
    config.address = "127.0.0.1";
    config.port = 0;
    config.threads = 1;
    server::DownloadApiOptions d;
    d.layers = std::make_shared<OneLayer>(file);
    d.temp_dir = outdir + "/conversions";
    config.more_routes = [d](server::Router& r) { server::add_download_routes(r, d); };
    std::ofstream(outdir + "/manifest.toml") << "name = \"download-bench\"\nformat_version = 1\ncomponents = []\n";
    server::Server srv(bundle::Engine::open(outdir), config);
    srv.start();
    const std::string base = fmt::format("http://127.0.0.1:{}/telechargement/resource/points", srv.port());
    const std::string name = file.substr(file.find_last_of('/') + 1);
    // The first request computes the checksum (once per file): keep it out of the timings.
    curl_min("", base);
    const auto [whole_s, whole_bytes] = curl_min("", base + "/" + name);
    fmt::print("{{\"bench\":\"download-whole\",\"bytes\":{:.0f},\"wall_s\":{:.4f},\"mb_per_s\":{:.1f}}}\n", whole_bytes, whole_s,
               whole_bytes / whole_s / 1e6);
    double range_s = 0, range_bytes = 0;
    const int ranges = 32;
    for (int i = 0; i < ranges; ++i) {
        const double from = std::fmod(i * 7919.0 * 1048576.0, std::max(1.0, whole_bytes - 1048576.0));
        const auto [t, b] = curl_min(fmt::format("-H 'Range: bytes={:.0f}-{:.0f}'", from, from + 1048575.0), base + "/" + name);
        range_s += t;
        range_bytes += b;
    }
    fmt::print("{{\"bench\":\"download-ranges\",\"ranges\":{},\"range_bytes\":1048576,\"bytes\":{:.0f},\"wall_s\":{:.4f},\"mb_per_s\":{:.1f},"
               "\"ms_per_range\":{:.2f}}}\n",
               ranges, range_bytes, range_s, range_bytes / range_s / 1e6, range_s * 1000 / ranges);
    for (const char* format : {"gpkg", "geojson", "shapefile", "csv", "flatgeobuf"}) {
        const auto [t, b] = curl_min("", base + "?format=" + format);
        fmt::print("{{\"bench\":\"download-convert\",\"format\":\"{}\",\"bytes\":{:.0f},\"wall_s\":{:.3f}}}\n", format, b, t);
        std::fflush(stdout);
    }
    srv.stop();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 1 ? argv[1] : "";
        if ((mode == "getmap-raster" || mode == "getmap-vector") && argc == 4) return getmap(argv[2], mode == "getmap-vector", std::stoi(argv[3]));
        if (mode == "make-points" && argc == 4) return make_points(argv[2], std::stol(argv[3]));
        if (mode == "features" && argc == 3) return features(argv[2]);
        if (mode == "http-features" && argc == 4) return http_features(argv[2], argv[3]);
        if (mode == "download" && argc == 4) return download(argv[2], argv[3]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ogc_bench: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr,
                 "usage: ogc_bench getmap-raster FILE N | getmap-vector FILE N | make-points OUT.gpkg N | features FILE.gpkg | "
                 "http-features FILE.gpkg OUTDIR | download FILE.gpkg OUTDIR\n");
    return 2;
}
