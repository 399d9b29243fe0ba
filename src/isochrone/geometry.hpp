#pragma once
// Private geometry of the isochrone component: a local metric projection, reached road pieces
// as projected polylines, and the polygon builder (raster union → traced rings → GEOS).

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "geoplex/core/geometry.hpp"
#include "geoplex/isochrone/isochrone.hpp"

namespace geoplex::isochrone::detail {

inline constexpr double m_per_deg = 111'319.49;
inline constexpr double deg = std::numbers::pi / 180.0;

/// Equirectangular projection centred on a point: metres east/north of it. Distortion stays
/// under 0.5 % within ~50 km of the centre, far below the polygon tolerances.
struct LocalProjection {
    LonLat origin;
    double kx = m_per_deg, ky = m_per_deg;
    explicit LocalProjection(LonLat o) : origin(o), kx(m_per_deg * std::cos(o.lat * deg)) {}
    [[nodiscard]] XY forward(LonLat p) const { return {(p.lon - origin.lon) * kx, (p.lat - origin.lat) * ky}; }
    [[nodiscard]] LonLat inverse(XY p) const { return {origin.lon + p.x / kx, origin.lat + p.y / ky}; }
};

/// A piece's geometry in the projection, with the cost at each vertex (linear along the piece;
/// empty when not asked for).
struct ProjectedPiece {
    std::vector<XY> points;
    std::vector<double> costs;
};

/// Cuts `piece` out of its segment (fractions in the segment's planar metric, as routing's
/// snapping defines them) and projects it. Without costs, `out.costs` may be left empty (a whole
/// segment needs no lengths then): what polygons use.
void project_piece(const routing::Graph& g, const Piece& piece, const LocalProjection& proj, ProjectedPiece& out,
                   bool with_costs = true);

/// Raster buffers of build_polygon, kept by the caller between requests (no allocation and no
/// thread-local lookup in the raster loops).
struct PolygonScratch {
    std::vector<std::uint16_t> dist;
    std::vector<std::uint8_t> in;
    std::vector<std::int32_t> comp, sizes, parent, label;
    std::vector<std::uint32_t> next;
};

/// The contour polygon of reached pieces (see PolygonOptions), in WGS84.
[[nodiscard]] core::MultiPolygon build_polygon(const std::vector<ProjectedPiece>& pieces, const LocalProjection& proj,
                                               const PolygonOptions& options, PolygonScratch& scratch);

/// The cost raster of reached pieces.
[[nodiscard]] CostGrid build_grid(const std::vector<ProjectedPiece>& pieces, const LocalProjection& proj, double cell_m);

}  // namespace geoplex::isochrone::detail
