#pragma once
// Helpers of the altitude tests: subprocesses (gdallocationinfo, the numpy reference), point
// generation and small bundles built with the altitude Builder.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "geoplex/altitude/altitude.hpp"
#include "support/test_data.hpp"

namespace geoplex::test::alt {

/// Runs a shell command, returns its stdout; throws when it exits non-zero.
inline std::string run(const std::string& command) {
    std::string out;
    FILE* p = popen(command.c_str(), "r");
    if (p == nullptr) throw std::runtime_error("popen failed: " + command);
    char buf[65536];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int rc = pclose(p);
    if (rc != 0) throw std::runtime_error(fmt::format("command failed ({}): {}", rc, command));
    return out;
}

inline std::string quote(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

inline std::filesystem::path script_dir() { return std::filesystem::path(GEOPLEX_ALTITUDE_TEST_DIR); }

/// `n` random points uniformly in `box` grown by `margin` (fraction of its size) on each side.
inline std::vector<LonLat> random_points(const BBox& box, std::size_t n, double margin, unsigned seed) {
    std::mt19937_64 rng(seed);
    const double dx = (box.max_x - box.min_x) * margin, dy = (box.max_y - box.min_y) * margin;
    std::uniform_real_distribution<double> ux(box.min_x - dx, box.max_x + dx), uy(box.min_y - dy, box.max_y + dy);
    std::vector<LonLat> pts(n);
    for (auto& p : pts) p = LonLat{ux(rng), uy(rng)};
    return pts;
}

/// Writes "lon lat" (sep ' ') or "lon,lat" lines with round-trip precision.
inline void write_points(const std::filesystem::path& file, const std::vector<LonLat>& pts, char sep) {
    std::ofstream out(file);
    for (const auto& p : pts) out << fmt::format("{:.17g}{}{:.17g}\n", p.lon, sep, p.lat);
}

/// gdallocationinfo -valonly -wgs84 on every point: the raw pixel value, NaN when off the raster.
inline std::vector<double> gdallocationinfo(const std::filesystem::path& raster, const std::vector<LonLat>& pts,
                                            const std::filesystem::path& tmp) {
    const auto in = tmp / "gli-points.txt";
    write_points(in, pts, ' ');
    const std::string out = run(fmt::format("gdallocationinfo -valonly -wgs84 {} < {} 2>/dev/null", quote(raster), quote(in)));
    std::vector<double> v;
    std::istringstream ss(out);
    std::string line;
    while (std::getline(ss, line)) v.push_back(line.empty() ? std::nan("") : std::stod(line));
    return v;
}

struct Reference {
    std::vector<double> nearest, bilinear;  // NaN where uncovered
};

/// The numpy reference (numpy_reference.py) on every point.
inline Reference numpy_reference(const std::filesystem::path& raster, const std::vector<LonLat>& pts,
                                 const std::filesystem::path& tmp, const std::string& crs = {}) {
    const auto in = tmp / "np-points.csv";
    const auto out = tmp / "np-values.csv";
    write_points(in, pts, ',');
    run(fmt::format("/usr/bin/python3 {} {} {} {} {}", quote(script_dir() / "numpy_reference.py"), quote(raster), quote(in),
                    quote(out), crs.empty() ? std::string() : "--crs " + crs));
    Reference r;
    std::ifstream f(out);
    std::string line;
    while (std::getline(f, line)) {
        const auto comma = line.find(',');
        r.nearest.push_back(std::stod(line.substr(0, comma)));
        r.bilinear.push_back(std::stod(line.substr(comma + 1)));
    }
    return r;
}

inline altitude::SourceConfig source(std::string name, std::filesystem::path path, int priority = 0,
                                     altitude::Storage storage = altitude::Storage::embed, std::string crs = {}) {
    altitude::SourceConfig s;
    s.name = std::move(name);
    s.path = std::move(path);
    s.priority = priority;
    s.storage = storage;
    s.crs = std::move(crs);
    s.title = s.name + " title";
    return s;
}

inline altitude::ResourceConfig resource(std::string id, std::vector<altitude::SourceConfig> sources) {
    altitude::ResourceConfig r;
    r.id = std::move(id);
    r.title = r.id + " title";
    r.description = "test resource";
    r.keywords = {"Altitude", "Test"};
    r.sources = std::move(sources);
    return r;
}

}  // namespace geoplex::test::alt
