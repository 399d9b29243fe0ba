// Opens a bundle and prints elevations of points and a short profile.
//   altitude_elevation BUNDLE_DIR [RESOURCE [LON LAT]...]
// Without points, samples the centre of the resource's extent and a line across it. Exits 1
// when the centre has no data (the example checks its own output when run as a test).

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "geoplex/altitude/altitude.hpp"
#include "geoplex/bundle/engine.hpp"

int main(int argc, char** argv) {
    using namespace geoplex;
    if (argc < 2 || (argc > 3 && (argc - 3) % 2 != 0)) {
        std::fprintf(stderr, "usage: %s BUNDLE_DIR [RESOURCE [LON LAT]...]\n", argv[0]);
        return 2;
    }
    try {
        const auto engine = bundle::Engine::open(argv[1]);
        const altitude::Altimetry& alti = engine.altitude();  // immutable, shareable between threads
        if (alti.resources().empty()) throw std::runtime_error("the bundle has no altitude resource");
        const altitude::ResourceInfo& res = argc > 2 ? alti.resource(argv[2]) : alti.resources().front();

        std::vector<LonLat> points;
        for (int i = 3; i + 1 < argc; i += 2) points.push_back({std::atof(argv[i]), std::atof(argv[i + 1])});
        const bool self_check = points.empty();
        const BBox e = res.extent;
        if (self_check) points = {{(e.min_x + e.max_x) / 2, (e.min_y + e.max_y) / 2}, {e.max_x + 1.0, e.max_y + 1.0}};

        altitude::Query query(alti);  // one per thread; reuse it for every batch
        std::vector<double> z(points.size());
        std::vector<std::int32_t> source(points.size());
        query.elevations(res.id, points, z, altitude::Interpolation::bilinear, source);
        for (std::size_t i = 0; i < points.size(); ++i)
            std::printf("%s (%.6f, %.6f): %.2f m (%s)\n", res.id.c_str(), points[i].lon, points[i].lat, z[i],
                        source[i] >= 0 ? res.sources[static_cast<std::size_t>(source[i])].name.c_str() : "no data");

        if (self_check) {
            const std::vector<LonLat> line{{e.min_x, e.min_y}, {e.max_x, e.max_y}};  // the diagonal
            const auto profile = query.elevation_line(res.id, line, 11);
            std::printf("profile over %.0f m: +%.1f m / -%.1f m\n", profile.distances.back(), profile.positive,
                        profile.negative);
            if (z[0] == res.nodata || z[1] != res.nodata) {
                std::fprintf(stderr, "unexpected: the centre should have data and the outside point none\n");
                return 1;
            }
        }
        return 0;
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "error: %s\n", ex.what());
        return 1;
    }
}
