// OGC services from C++: the bundle's tile layers as WMS maps and WFS / OGC API features,
// without the HTTP server. Renders a 256×256 PNG of the first vector layer and streams two of
// its features as GeoJSON.
//   ogc_services BUNDLE_DIR

#include <cstdio>
#include <exception>
#include <string>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/ogc/ogc.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s BUNDLE_DIR\n", argv[0]);
        return 2;
    }
    try {
        const auto engine = geoplex::bundle::Engine::open(argv[1]);
        const auto services = geoplex::ogc::Services::from_tileset(engine.tiles());
        const geoplex::ogc::LayerInfo* vector = nullptr;
        for (const auto& layer : services.layers()) {
            std::printf("layer %s (%s)\n", layer.id.c_str(), layer.is_vector ? layer.geometry_type.c_str() : "raster");
            if (layer.is_vector && vector == nullptr) vector = &layer;
        }
        if (vector == nullptr) {
            std::fprintf(stderr, "the bundle has no vector layer\n");
            return 1;
        }

        geoplex::ogc::MapRequest map;                        // WMS GetMap
        map.layers = {vector->id};
        map.crs = "CRS:84";                                  // lon/lat order, whatever the CRS's axes
        map.bbox = vector->wgs84;
        map.transparent = true;
        const auto image = services.get_map(map);
        std::printf("map: %zu bytes of %s\n", image.bytes.size(), image.mime.c_str());

        geoplex::ogc::FeatureQuery query;                    // WFS GetFeature / OGC API items
        query.layer = vector->id;
        query.count = 2;
        std::printf("features: %llu\n", static_cast<unsigned long long>(services.count(query)));
        const auto stream = services.open_features(query, geoplex::ogc::FeatureFormat::geojson);
        std::string json;
        while (stream->next(json)) {
        }
        std::printf("streamed %llu features, %zu bytes of GeoJSON\n",
                    static_cast<unsigned long long>(stream->returned()), json.size());
        return 0;
    } catch (const geoplex::ogc::OgcError& e) {
        std::fprintf(stderr, "%s: %s\n", e.code().c_str(), e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
