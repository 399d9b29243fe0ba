#pragma once
// Internals of vector layers: the flat in-memory form a layer is loaded into (by OGR or by the
// native GeoJSON reader), shared by vector_source.cpp and geojson_reader.cpp.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "geoplex/tiles/tiles.hpp"

namespace geoplex::tiles::detail {

enum class GeomType : std::uint8_t { point = 1, line = 2, polygon = 3 };

struct Value {
    enum class Kind : std::uint8_t { string, int64, real, boolean } kind = Kind::string;
    std::string s;
    std::int64_t i = 0;
    double d = 0.0;
};

struct Feature {
    GeomType type = GeomType::point;
    bool has_id = false;
    std::uint64_t id = 0;
    std::uint32_t first_part = 0;  // index into part_start
    std::uint32_t n_parts = 0;
    std::uint32_t first_attr = 0;
    std::uint32_t n_attrs = 0;
};

/// Features with their coordinates in the set's CRS, flattened: part i of the layer is
/// [part_start[i], part_start[i+1]) in xs/ys; a feature owns parts [first_part, first_part+n_parts).
struct RawLayer {
    std::vector<Feature> features;
    std::vector<double> xs, ys;
    std::vector<std::uint32_t> part_start{0};
    std::vector<std::uint8_t> part_outer;  // polygons: 1 = exterior ring (starts a polygon)
    std::vector<std::pair<std::uint32_t, Value>> attrs;  // (field index, value)
    std::vector<std::string> field_names;
};

/// A polygon feature at one zoom level, computed once and shared by all the tiles of the level:
/// vertices less important than the tolerance dropped, rounded to the level's world grid
/// (extent units from the matrix origin, y down: tile (col, row) is [col·extent, (col+1)·extent]),
/// degenerate rings removed, exteriors with a positive surveyor's area, and valid (repaired with
/// GEOS when simplification or rounding broke it). Translating it to a tile keeps it valid.
struct ZoomGeom {
    std::vector<std::int64_t> xy;          // x0, y0, x1, y1… of closed rings
    std::vector<std::uint32_t> ring_end;   // ring i = points [ring_end[i-1], ring_end[i])
    std::vector<std::uint8_t> ring_outer;  // 1 = exterior (starts a polygon)
    std::int64_t min_x = 0, min_y = 0, max_x = 0, max_y = 0;
    std::vector<std::int64_t> ring_box, block_box;  // for clip_polygons (clip.hpp)
    bool plain = false;  // valid by polygons_strictly_valid with no rings touching: clipped tiles need a border check only
};

/// ZoomGeoms of one zoom level, made on first use (thread-safe).
struct ZoomCache {
    std::once_flag sized;
    std::vector<ZoomGeom> geoms;                 // by feature index
    std::unique_ptr<std::once_flag[]> done;      // one per feature
};

/// Reads a GeoJSON FeatureCollection without OGR (a single pass over the text, coordinates
/// parsed with std::from_chars) and transforms it to `target_crs` (Web Mercator analytically,
/// other CRSs through OGR's coordinate transformation). Returns false, leaving `out` empty, when
/// the file is not something it reads exactly as OGR would (not a FeatureCollection, a `crs`
/// member other than WGS84, GeometryCollections, `source_layer` or `crs` set in the config…):
/// the caller then goes through OGR. Throws InvalidArgument for a listed field absent from
/// every feature, IoError when the file cannot be read.
bool read_geojson_fast(const VectorLayerConfig& config, const std::string& target_crs, RawLayer& out);

}  // namespace geoplex::tiles::detail
