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

/// ⌊v + ½⌋, inline (std::llround is a libm call: ~3 % of a tile run); |v| < 2⁶².
inline std::int64_t round_to_grid(double v) {
    const double t = v + 0.5;
    const auto i = static_cast<std::int64_t>(t);
    return i - (static_cast<double>(i) > t ? 1 : 0);
}

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

/// True when the polygons are valid in the OGC sense, checked exactly on integers and a little
/// more strictly: every ring has at least three distinct points and the orientation its role
/// asks, no two edges meet except consecutive edges of a ring at their shared vertex and edges of
/// two different rings at a vertex of both (a point touch: around it the rings' edges must
/// alternate outgoing / incoming, so interiors neither overlap nor cross, and the rings of one
/// polygon must not touch in a cycle, which would cut its interior), no ring touches itself,
/// every hole lies directly inside its own exterior and every exterior outside the other polygons
/// (or in one of their holes). Conservative: a vertex touching another ring inside an edge is
/// refused (split_pinches inserts it). Expected linear time (edges bucketed on a grid). With
/// `touching`, edges of rings that meet otherwise do not stop the check: the pairs of rings are
/// appended there (r0, r1, r0, r1…; r0 = r1 for a ring meeting itself), and false is returned
/// once all edges are seen. `touches` (optional) tells whether some rings touch at points.
/// With `border` = {lo, hi}, only pairs of edges of which one has an end on the lines x or y = lo
/// or hi are tested (the rest of the checks is unchanged): for the output of clip_polygons from
/// polygons this check accepted without any touch, whose other edges are pieces of the input's.
[[nodiscard]] bool polygons_strictly_valid(RingsView polygons, std::vector<std::uint32_t>* touching = nullptr, bool* touches = nullptr,
                                           const std::int64_t* border = nullptr);

/// Mends rings that touch themselves or each other at points (a ring "pinched" by rounding)
/// without moving any vertex: a vertex lying inside another edge is inserted into it, every ring
/// is cut at its repeated vertices into loops (zero-area loops dropped), loops with a positive
/// area become exteriors and negative ones holes, each hole going to the smallest exterior
/// around it (a negative loop outside every exterior is a lobe: reversed into an exterior, as
/// the even–odd rule of GEOS's MakeValid has it). The result may still be invalid (an
/// exterior inside another): check it. Edges overlapping along a segment are cut at each other's
/// ends, so a ring going back over itself (a zero-width spike) loses the spike. Returns false,
/// leaving `rings` unchanged, when two edges cross, which no split mends.
bool split_pinches(RingSet& rings);

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
