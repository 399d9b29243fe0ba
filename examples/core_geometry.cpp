// Core geometry helpers: geodesic length, equally spaced samples, GeoJSON / WKT / polyline output,
// and a Lambert-93 transform.
//   core_geometry

#include <cstdio>
#include <vector>

#include "geoplex/core/crs.hpp"
#include "geoplex/core/geojson.hpp"
#include "geoplex/core/geometry.hpp"

int main() {
    using geoplex::LonLat;
    namespace core = geoplex::core;

    // Along the Promenade des Anglais, Nice.
    const std::vector<LonLat> line = {{7.2000, 43.6900}, {7.2300, 43.6930}, {7.2600, 43.6950}};
    std::printf("length: %.1f m\n", core::geodesic_length(line));

    std::vector<double> distances;
    const auto samples = core::sample_along(line, 5, &distances);
    for (std::size_t i = 0; i < samples.size(); ++i)
        std::printf("sample %zu at %7.1f m: %.6f %.6f\n", i, distances[i], samples[i].lon, samples[i].lat);

    const core::LineString ls(line.begin(), line.end());
    std::printf("geojson:  %s\n", core::to_geojson(ls, 5).c_str());
    std::printf("wkt:      %s\n", core::to_wkt(ls, 5).c_str());
    std::printf("polyline: %s\n", core::encode_polyline(line).c_str());

    core::CrsTransform to_l93("EPSG:4326", "EPSG:2154");
    const auto p = to_l93.transform(geoplex::XY{line[0].lon, line[0].lat});
    std::printf("Lambert-93: %.2f %.2f\n", p.x, p.y);
    return 0;
}
