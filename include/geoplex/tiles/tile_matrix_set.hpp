#pragma once
// Tile matrix sets (OGC TileMatrixSet 2.0 / WMTS 1.0.0): the grids tiles are cut from.
//
// Rows are counted from the top (WMTS TileRow = TMS/XYZ `y` as the Géoplateforme serves it).
// Built-in sets follow the ROK4 definitions used by the Géoplateforme (github.com/rok4/tilematrixsets,
// commit 8f63544): `PM` (= OGC WebMercatorQuad, EPSG:3857), `LAMB93` (EPSG:2154, 22 levels with
// non-power-of-two resolutions and matrix sizes) and `WGS84G` (= OGC WorldCRS84Quad, 2×1 at level 0).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geoplex/core/types.hpp"

namespace geoplex::tiles {

/// OGC's standardised rendering pixel size (0.28 mm), which links scale denominators and cell sizes.
inline constexpr double standard_pixel_size_m = 0.00028;

/// One zoom level of a set.
struct TileMatrix {
    std::string id;                 ///< "0", "1", … for the built-in sets
    double scale_denominator = 0.0;
    double cell_size = 0.0;         ///< CRS units per pixel
    double origin_x = 0.0;          ///< top-left corner of tile (0,0), CRS units
    double origin_y = 0.0;
    std::uint32_t tile_width = 256;
    std::uint32_t tile_height = 256;
    std::uint64_t matrix_width = 1;  ///< columns
    std::uint64_t matrix_height = 1; ///< rows

    /// CRS extent of tile (col,row); row 0 is the top row.
    [[nodiscard]] BBox tile_bounds(std::uint64_t col, std::uint64_t row) const;
    [[nodiscard]] double tile_span_x() const { return cell_size * tile_width; }
    [[nodiscard]] double tile_span_y() const { return cell_size * tile_height; }
    [[nodiscard]] bool contains(std::uint64_t col, std::uint64_t row) const {
        return col < matrix_width && row < matrix_height;
    }
};

class TileMatrixSet {
public:
    std::string id;                  ///< "PM", "LAMB93", …
    std::string title;
    std::string crs;                 ///< "EPSG:3857"; axes always east/north (GIS order)
    std::string well_known_scale_set;///< OGC URI when there is one (GoogleMapsCompatible…)
    std::vector<TileMatrix> matrices;///< index = zoom level

    /// A built-in set: "PM" / "WebMercatorQuad", "LAMB93", "WGS84G" / "WorldCRS84Quad".
    /// Throws Error(errc::not_found) listing the known names.
    [[nodiscard]] static TileMatrixSet well_known(std::string_view name);
    [[nodiscard]] static std::vector<std::string> well_known_names();
    /// Reads an OGC TileMatrixSet 2.0 JSON document (also the ROK4 flavour with `cellSize`
    /// and `crs` as a string). Throws FormatError naming what is wrong.
    [[nodiscard]] static TileMatrixSet from_json(std::string_view json);
    /// OGC TileMatrixSet 2.0 JSON.
    [[nodiscard]] std::string to_json() const;

    [[nodiscard]] std::size_t levels() const noexcept { return matrices.size(); }
    /// The matrix of zoom `z`, or nullptr when out of range.
    [[nodiscard]] const TileMatrix* matrix(std::uint32_t z) const noexcept {
        return z < matrices.size() ? &matrices[z] : nullptr;
    }
    /// True when the tile exists in the set.
    [[nodiscard]] bool contains(std::uint32_t z, std::uint64_t col, std::uint64_t row) const noexcept {
        const TileMatrix* m = matrix(z);
        return m != nullptr && m->contains(col, row);
    }
    /// True for a quadtree over Web Mercator (XYZ clients can use it directly).
    [[nodiscard]] bool is_web_mercator_quad() const noexcept;
};

}  // namespace geoplex::tiles
