#pragma once
// Polygon clipping to a tile and an integer validity check, for vector tiles (see clip.cpp).

#include <cstddef>
#include <cstdint>
#include <vector>

namespace geoplex::tiles::detail {

/// Polygons as closed integer rings, flat: ring i is points [end[i-1], end[i]) of xy (x0, y0,
/// x1, y1…, last point = first); outer[i] = 1 starts a polygon (exterior: positive surveyor's
/// area Σ x[k-1]·y[k] − x[k]·y[k-1]), 0 = a hole of the last exterior (negative area).
struct RingsView {
    const std::int64_t* xy = nullptr;
    const std::uint32_t* end = nullptr;
    const std::uint8_t* outer = nullptr;
    std::size_t rings = 0;
    /// Optional, for clip_polygons: per ring its box (x0, y0, x1, y1), and per block of
    /// `block_size` edges (points [k·block_size, (k+1)·block_size] of xy) its box, so that the
    /// parts far from the square are skipped (see ring_boxes()).
    const std::int64_t* ring_box = nullptr;
    const std::int64_t* block_box = nullptr;
    [[nodiscard]] std::uint32_t begin(std::size_t r) const { return r == 0 ? 0 : end[r - 1]; }
};

constexpr std::uint32_t block_size = 32;

/// The ring and block boxes of RingsView for the rings of `xy`/`end`.
void ring_boxes(const std::vector<std::int64_t>& xy, const std::vector<std::uint32_t>& end, std::vector<std::int64_t>& ring_box,
                std::vector<std::int64_t>& block_box);

/// Owning RingsView.
struct RingSet {
    std::vector<std::int64_t> xy;
    std::vector<std::uint32_t> end;
    std::vector<std::uint8_t> outer;
    void clear() {
        xy.clear();
        end.clear();
        outer.clear();
    }
    [[nodiscard]] RingsView view() const { return RingsView{xy.data(), end.data(), outer.data(), end.size()}; }
};

/// True when the polygons are valid in the OGC sense, checked exactly on integers and more
/// strictly: every ring has at least three distinct points and the orientation its role asks,
/// no two edges meet except consecutive edges of a ring at their shared vertex (no spike, no
/// ring touching itself or another ring), every hole lies directly inside its own exterior and
/// every exterior outside the other polygons (or in one of their holes). Conservative: a valid
/// polygon whose hole touches its shell at one point is refused (the callers then repair or
/// clip with GEOS). Expected linear time (edges bucketed on a grid). With `touching`, edges of
/// rings that meet do not stop the check: the pairs of rings are appended there (r0, r1, r0,
/// r1…; r0 = r1 for a ring meeting itself), and false is returned once all edges are seen.
[[nodiscard]] bool polygons_strictly_valid(RingsView polygons, std::vector<std::uint32_t>* touching = nullptr);

/// Clips `polygons` (valid, e.g. polygons_strictly_valid) translated by (−ox, −oy) to the square
/// [lo, hi]², Weiler–Atherton style for a convex window: each ring is cut into the chains inside
/// the open square, the chains are linked along the square's boundary (counter-clockwise, i.e.
/// with the interior on the left) from each exit to the next entry, so a polygon leaving and
/// re-entering one side becomes several polygons and a hole cut by the side opens into the
/// shell; rings not crossing are kept, dropped, or (the square inside the polygon) replaced by
/// the square. Crossing points are rounded to the integer grid, repeated and collinear points
/// dropped, collapsed rings removed. Appends to `out` (exteriors followed by their holes).
/// Returns false when the crossings do not link up consistently (degenerate input): `out` may
/// then hold partial output and the caller should take a robust path. Rounding can make the
/// output invalid in rare cases: check it with polygons_strictly_valid.
bool clip_polygons(RingsView polygons, std::int64_t ox, std::int64_t oy, std::int64_t lo, std::int64_t hi, RingSet& out);

}  // namespace geoplex::tiles::detail
