// Uses only installed headers and the exported geoplex::geoplex target.
#include <cstdio>
#include <vector>

#include <geoplex/bundle/engine.hpp>
#include <geoplex/core/geojson.hpp>
#include <geoplex/core/geometry.hpp>
#include <geoplex/version.hpp>

int main() {
    const std::vector<geoplex::LonLat> line = {{-120.2, 38.5}, {-120.95, 40.7}, {-126.453, 43.252}};
    const auto encoded = geoplex::core::encode_polyline(line);
    const double km = geoplex::core::geodesic_length(line) / 1000.0;
    std::printf("geoplex %.*s: %s %.1f km\n", static_cast<int>(geoplex::version.size()), geoplex::version.data(),
                encoded.c_str(), km);
    // The published example of the encoded polyline format; exit code says whether it matched.
    return encoded == "_p~iF~ps|U_ulLnnqC_mqNvxq`@" && km > 700 && km < 800 ? 0 : 1;
}
