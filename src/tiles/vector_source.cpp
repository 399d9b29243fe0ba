// Vector tiles (MVT 2.1) from any OGR layer.
//
// Load once: every feature is read (GeoJSON by the native reader of geojson_reader.cpp, anything
// else through OGR), transformed to the set's CRS and flattened into shared coordinate arrays
// (points / line parts / polygon rings), attributes are kept as typed values, every vertex gets
// its Douglas–Peucker importance (as geojson-vt does), and a packed R-tree indexes feature boxes.
// Polygons, once per (feature, zoom), on first use: the vertices more important than the zoom's
// tolerance, rounded to the zoom's world grid, degenerate rings dropped, oriented, checked exactly
// on integers (polygons_strictly_valid, clip.cpp: rings may touch at shared vertices, as OGC
// allows); rings pinched by rounding are split at their touching points (split_pinches), a ring
// crossing itself is rebuilt with less simplification, the smaller of two rings that cross is
// dropped, and GEOS repairs the rest (ZoomGeom; 3 of ~1 060 feature-zooms of departements). A tile translates that valid geometry by an integer offset: a polygon inside the
// buffered tile is copied as is; a clipped one goes through the Weiler–Atherton clipper of
// clip.cpp (valid output, a polygon leaving and re-entering a side becomes several), the rounded
// result is checked again, split where rounding pinched it, and GEOS repairs what is left.
// Lines: importance filter and Liang–Barsky per tile.
// Then rings are oriented as MVT 2.1 wants (exterior: positive surveyor's area in tile
// coordinates) and protozero encodes commands, keys and values de-duplicated per layer.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include <boost/function_output_iterator.hpp>
#include <boost/geometry.hpp>
#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <fmt/format.h>
#include <gdal.h>
#include <geos_c.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <protozero/pbf_builder.hpp>
#include <protozero/pbf_writer.hpp>

#include "geoplex/core/error.hpp"
#include "tiles/clip.hpp"
#include "tiles/detail.hpp"
#include "tiles/vector_data.hpp"

namespace geoplex::tiles::detail {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

namespace {

using BPoint = bg::model::d2::point_xy<double>;
using BBoxG = bg::model::box<BPoint>;
using RtreeValue = std::pair<BBoxG, std::uint32_t>;

struct Pt {
    double x, y;
};
struct IPt {
    std::int32_t x, y;
    friend bool operator==(const IPt&, const IPt&) = default;
};
// A vertex on a zoom level's world grid (extent units from the matrix origin, y down).
struct LPt {
    std::int64_t x, y;
    friend bool operator==(const LPt&, const LPt&) = default;
};

struct OgrDataset {
    GDALDatasetH h = nullptr;
    ~OgrDataset() { if (h != nullptr) GDALClose(h); }
};
struct Srs {
    OGRSpatialReferenceH h = nullptr;
    ~Srs() { if (h != nullptr) OSRDestroySpatialReference(h); }
};
struct Ct {
    OGRCoordinateTransformationH h = nullptr;
    ~Ct() { if (h != nullptr) OCTDestroyCoordinateTransformation(h); }
};

// ---- geometry helpers ----------------------------------------------------------------------

double sq_seg_dist(Pt p, Pt a, Pt b) {
    double dx = b.x - a.x, dy = b.y - a.y;
    double x = a.x, y = a.y;
    if (dx != 0.0 || dy != 0.0) {
        const double t = ((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy);
        if (t > 1) { x = b.x; y = b.y; }
        else if (t > 0) { x += dx * t; y += dy * t; }
    }
    dx = p.x - x;
    dy = p.y - y;
    return dx * dx + dy * dy;
}

// Liang–Barsky clip of a polyline to a box; appends the visible pieces.
void clip_line(const std::vector<Pt>& in, double x0, double y0, double x1, double y1,
               std::vector<std::vector<Pt>>& out) {
    std::vector<Pt> cur;
    for (std::size_t i = 0; i + 1 < in.size(); ++i) {
        Pt a = in[i], b = in[i + 1];
        double t0 = 0, t1 = 1;
        const double dx = b.x - a.x, dy = b.y - a.y;
        const double p[4] = {-dx, dx, -dy, dy};
        const double q[4] = {a.x - x0, x1 - a.x, a.y - y0, y1 - a.y};
        bool visible = true;
        for (int k = 0; k < 4 && visible; ++k) {
            if (p[k] == 0) {
                if (q[k] < 0) visible = false;
            } else {
                const double r = q[k] / p[k];
                if (p[k] < 0) { if (r > t1) visible = false; else if (r > t0) t0 = r; }
                else { if (r < t0) visible = false; else if (r < t1) t1 = r; }
            }
        }
        if (!visible) {
            if (cur.size() >= 2) out.push_back(std::move(cur));
            cur.clear();
            continue;
        }
        const Pt ca{a.x + t0 * dx, a.y + t0 * dy};
        const Pt cb{a.x + t1 * dx, a.y + t1 * dy};
        if (cur.empty()) cur.push_back(ca);
        cur.push_back(cb);
        if (t1 < 1) {  // leaves the box: the piece ends here
            if (cur.size() >= 2) out.push_back(std::move(cur));
            cur.clear();
        }
    }
    if (cur.size() >= 2) out.push_back(std::move(cur));
}

// Drops vertices collinear with their neighbours (closed integer ring): same shape, and the
// zero-width spikes clipping leaves along the tile edge disappear.
template <class P>
void remove_collinear(std::vector<P>& r) {
    if (r.size() < 4) return;
    r.pop_back();  // open
    auto collinear = [](P a, P b, P c) {
        // 128-bit products: world-grid coordinates of deep zooms exceed 2^32.
        __extension__ using Wide = __int128;
        return static_cast<Wide>(b.x - a.x) * (c.y - a.y) - static_cast<Wide>(b.y - a.y) * (c.x - a.x) == 0;
    };
    std::vector<P> out;
    out.reserve(r.size());
    for (const auto& p : r) {
        while (out.size() >= 2 && collinear(out[out.size() - 2], out.back(), p)) out.pop_back();
        out.push_back(p);
    }
    // Wrap-around: the seam between the last and the first points.
    bool changed = true;
    while (changed && out.size() >= 3) {
        changed = false;
        if (collinear(out[out.size() - 2], out.back(), out.front())) { out.pop_back(); changed = true; }
        else if (collinear(out.back(), out.front(), out[1])) { out.erase(out.begin()); changed = true; }
    }
    r = std::move(out);
    if (r.size() >= 3) r.push_back(r.front());
    else r.clear();
}

template <class P>
double ring_area2(const std::vector<P>& r) {  // twice the surveyor's area (tile coords)
    double a = 0;
    for (std::size_t i = 0, j = r.size() - 1; i < r.size(); j = i++)
        a += static_cast<double>(r[j].x) * r[i].y - static_cast<double>(r[i].x) * r[j].y;
    return a;
}

// Rounds to the grid, drops repeated points; rings keep an explicit closing point.
std::vector<IPt> quantize(const std::vector<Pt>& pts, bool ring) {
    std::vector<IPt> out;
    out.reserve(pts.size());
    for (const auto& p : pts) {
        const IPt q{static_cast<std::int32_t>(std::lround(p.x)), static_cast<std::int32_t>(std::lround(p.y))};
        if (out.empty() || !(out.back() == q)) out.push_back(q);
    }
    if (ring && !out.empty() && !(out.front() == out.back())) out.push_back(out.front());
    return out;
}

// ---- polygon validity --------------------------------------------------------------------------
// Per-ring simplification and rounding to the integer grid can make a polygon self-intersect. A
// Boost.Geometry validity check (cheap) catches it; then GEOS repairs the unrounded polygon
// (MakeValid) and snap-rounds it to the grid (setPrecision 1.0, OverlayNG), whose output is valid
// by construction. Only broken polygons pay for GEOS.

struct GeosContext {
    GEOSContextHandle_t h;
    GeosContext() : h(GEOS_init_r()) {}
    ~GeosContext() { GEOS_finish_r(h); }
    GeosContext(const GeosContext&) = delete;
    GeosContext& operator=(const GeosContext&) = delete;
};
GEOSContextHandle_t geos() {
    thread_local GeosContext ctx;
    return ctx.h;
}

GEOSGeometry* geos_ring(GEOSContextHandle_t g, const std::vector<Pt>& pts) {
    std::vector<double> xy;
    xy.reserve(pts.size() * 2);
    for (const auto& p : pts) { xy.push_back(p.x); xy.push_back(p.y); }
    GEOSCoordSequence* cs = GEOSCoordSeq_copyFromBuffer_r(g, xy.data(), static_cast<unsigned>(pts.size()), 0, 0);
    return GEOSGeom_createLinearRing_r(g, cs);
}

template <class P>
void snap_polygons(GEOSContextHandle_t g, GEOSGeometry* valid, std::vector<std::vector<std::vector<P>>>& out);

// Calls f(x, y) on each point of a line or ring while it returns true; false if one returned false.
template <class F>
bool for_each_xy(GEOSContextHandle_t g, const GEOSGeometry* line, F&& f) {
    const GEOSCoordSequence* cs = GEOSGeom_getCoordSeq_r(g, line);
    unsigned n = 0;
    GEOSCoordSeq_getSize_r(g, cs, &n);
    for (unsigned i = 0; i < n; ++i) {
        double x = 0, y = 0;
        GEOSCoordSeq_getXY_r(g, cs, i, &x, &y);
        if (!f(x, y)) return false;
    }
    return true;
}

bool integral_coords(GEOSContextHandle_t g, const GEOSGeometry* geom) {
    switch (GEOSGeomTypeId_r(g, geom)) {
        case GEOS_POLYGON: {
            if (!integral_coords(g, GEOSGetExteriorRing_r(g, geom))) return false;
            for (int i = 0; i < GEOSGetNumInteriorRings_r(g, geom); ++i)
                if (!integral_coords(g, GEOSGetInteriorRingN_r(g, geom, i))) return false;
            return true;
        }
        case GEOS_LINEARRING:
        case GEOS_LINESTRING:
            return for_each_xy(g, geom, [](double x, double y) { return x == std::round(x) && y == std::round(y); });
        case GEOS_MULTIPOLYGON:
        case GEOS_GEOMETRYCOLLECTION:
            for (int i = 0; i < GEOSGetNumGeometries_r(g, geom); ++i)
                if (!integral_coords(g, GEOSGetGeometryN_r(g, geom, i))) return false;
            return true;
        default:
            return false;
    }
}

// Appends the grid-snapped, valid polygons of a multipolygon (double tile coords, per polygon
// first ring = exterior): each polygon made valid, overlaps between them dissolved (islands that
// simplification pushed onto the mainland), then snap-rounded to the grid.
template <class P>
void repair_polygons(const std::vector<std::vector<std::vector<Pt>>>& polys, std::vector<std::vector<std::vector<P>>>& out) {
    GEOSContextHandle_t g = geos();
    std::vector<GEOSGeometry*> parts;
    for (const auto& rings : polys) {
        GEOSGeometry* shell = geos_ring(g, rings[0]);
        std::vector<GEOSGeometry*> holes;
        for (std::size_t i = 1; i < rings.size(); ++i) holes.push_back(geos_ring(g, rings[i]));
        GEOSGeometry* poly = GEOSGeom_createPolygon_r(g, shell, holes.data(), static_cast<unsigned>(holes.size()));
        if (poly == nullptr) continue;
        GEOSGeometry* fixed = GEOSMakeValid_r(g, poly);
        GEOSGeom_destroy_r(g, poly);
        if (fixed != nullptr) parts.push_back(fixed);
    }
    if (parts.empty()) return;
    GEOSGeometry* coll = GEOSGeom_createCollection_r(g, GEOS_GEOMETRYCOLLECTION, parts.data(), static_cast<unsigned>(parts.size()));
    if (coll == nullptr) return;
    GEOSGeometry* valid = GEOSUnaryUnion_r(g, coll);
    GEOSGeom_destroy_r(g, coll);
    snap_polygons(g, valid, out);
}

// Snap-rounds the valid (multi)polygon `valid` to the integer grid (setPrecision 1.0, whose
// output is valid), appends its polygons to `out` and destroys `valid`.
template <class P>
void snap_polygons(GEOSContextHandle_t g, GEOSGeometry* valid, std::vector<std::vector<std::vector<P>>>& out) {
    if (valid == nullptr) return;
    // Already on the grid (the input was, and GEOS only split rings where they touch): no snapping.
    GEOSGeometry* snapped = integral_coords(g, valid) ? valid : GEOSGeom_setPrecision_r(g, valid, 1.0, 0);
    if (snapped != valid) GEOSGeom_destroy_r(g, valid);
    if (snapped == nullptr) return;
    auto ring_points = [&](const GEOSGeometry* ring) {
        std::vector<P> r;
        for_each_xy(g, ring, [&](double x, double y) {
            r.push_back(P{static_cast<decltype(P::x)>(std::llround(x)), static_cast<decltype(P::y)>(std::llround(y))});
            return true;
        });
        return r;
    };
    // MakeValid may return a collection mixing polygons with collapsed lines: keep the polygons.
    auto take = [&](const GEOSGeometry* p) {
        if (GEOSGeomTypeId_r(g, p) != GEOS_POLYGON || GEOSisEmpty_r(g, p) != 0) return;
        std::vector<std::vector<P>> poly_rings;
        poly_rings.push_back(ring_points(GEOSGetExteriorRing_r(g, p)));
        for (int i = 0; i < GEOSGetNumInteriorRings_r(g, p); ++i) poly_rings.push_back(ring_points(GEOSGetInteriorRingN_r(g, p, i)));
        out.push_back(std::move(poly_rings));
    };
    const int n = GEOSGetNumGeometries_r(g, snapped);
    for (int i = 0; i < n; ++i) {
        const GEOSGeometry* part = GEOSGetGeometryN_r(g, snapped, i);
        if (GEOSGeomTypeId_r(g, part) == GEOS_POLYGON) take(part);
        else
            for (int k = 0; k < GEOSGetNumGeometries_r(g, part); ++k) take(GEOSGetGeometryN_r(g, part, k));
    }
    GEOSGeom_destroy_r(g, snapped);
}

// ---- MVT encoding ----------------------------------------------------------------------------

constexpr std::uint32_t command(std::uint32_t id, std::uint32_t count) { return (id & 0x7U) | (count << 3U); }
constexpr std::uint32_t zigzag(std::int32_t n) {
    return (static_cast<std::uint32_t>(n) << 1U) ^ static_cast<std::uint32_t>(n >> 31);
}

struct GeometryEncoder {
    std::vector<std::uint32_t> cmds;
    std::int32_t cx = 0, cy = 0;
    void reset() { cmds.clear(); cx = cy = 0; }
    void param(IPt p) {
        cmds.push_back(zigzag(p.x - cx));
        cmds.push_back(zigzag(p.y - cy));
        cx = p.x;
        cy = p.y;
    }
    void points(const std::vector<IPt>& pts) {
        cmds.push_back(command(1, static_cast<std::uint32_t>(pts.size())));
        for (const auto& p : pts) param(p);
    }
    void line(const std::vector<IPt>& pts) {
        cmds.push_back(command(1, 1));
        param(pts[0]);
        cmds.push_back(command(2, static_cast<std::uint32_t>(pts.size() - 1)));
        for (std::size_t i = 1; i < pts.size(); ++i) param(pts[i]);
    }
    void ring(const std::vector<IPt>& pts) {  // pts closed (last == first): the closing point is implicit
        const std::size_t n = pts.size() - 1;
        cmds.push_back(command(1, 1));
        param(pts[0]);
        cmds.push_back(command(2, static_cast<std::uint32_t>(n - 1)));
        for (std::size_t i = 1; i < n; ++i) param(pts[i]);
        cmds.push_back(command(7, 1));
    }
};

}  // namespace

struct VectorSource::Data : RawLayer {
    // Douglas–Peucker importance of every vertex (squared distance, CRS units), computed once at
    // load as geojson-vt does: a tile keeps the vertices more important than its zoom's
    // tolerance, an O(n) filter instead of a simplification per tile.
    std::vector<double> importance;
    std::vector<BBox> boxes;
    bgi::rtree<RtreeValue, bgi::quadratic<16>> rtree;
    BBox bounds;
    std::uint8_t type_mask = 0;
    std::string crs;
    std::vector<std::unique_ptr<ZoomCache>> zooms;  // by zoom level: polygons in the level's world grid
};

namespace {

void append_points(VectorSource::Data& d, OGRGeometryH g) {
    const int n = OGR_G_GetPointCount(g);
    const std::size_t base = d.xs.size();
    d.xs.resize(base + static_cast<std::size_t>(n));
    d.ys.resize(base + static_cast<std::size_t>(n));
    OGR_G_GetPoints(g, d.xs.data() + base, sizeof(double), d.ys.data() + base, sizeof(double), nullptr, 0);
    d.part_start.push_back(static_cast<std::uint32_t>(d.xs.size()));
}

// Adds the parts of `g` of the feature's type (the first type met decides); returns false when
// nothing usable.
bool add_geometry(VectorSource::Data& d, Feature& f, OGRGeometryH g, bool& typed) {
    const auto t = wkbFlatten(OGR_G_GetGeometryType(g));
    auto start_part = [&](GeomType gt, bool outer) {
        if (!typed) { f.type = gt; typed = true; }
        if (f.type != gt) return false;
        d.part_outer.push_back(outer ? 1 : 0);
        ++f.n_parts;
        return true;
    };
    switch (t) {
        case wkbPoint:
            if (OGR_G_IsEmpty(g)) return false;
            if (!start_part(GeomType::point, false)) return false;
            append_points(d, g);
            return true;
        case wkbLineString:
            if (OGR_G_GetPointCount(g) < 2) return false;
            if (!start_part(GeomType::line, false)) return false;
            append_points(d, g);
            return true;
        case wkbPolygon: {
            const int rings = OGR_G_GetGeometryCount(g);
            bool any = false;
            for (int r = 0; r < rings; ++r) {
                OGRGeometryH ring = OGR_G_GetGeometryRef(g, r);
                if (OGR_G_GetPointCount(ring) < 4) {
                    if (r == 0) return false;  // no exterior: drop the polygon
                    continue;
                }
                if (!start_part(GeomType::polygon, r == 0)) return any;
                append_points(d, ring);
                any = true;
            }
            return any;
        }
        case wkbMultiPoint:
        case wkbMultiLineString:
        case wkbMultiPolygon:
        case wkbGeometryCollection: {
            bool any = false;
            for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i) any = add_geometry(d, f, OGR_G_GetGeometryRef(g, i), typed) || any;
            return any;
        }
        default: {
            // Curves, TINs…: linearise through OGR and retry once.
            OGRGeometryH lin = OGR_G_GetLinearGeometry(g, 0, nullptr);
            if (lin == nullptr) return false;
            const auto lt = wkbFlatten(OGR_G_GetGeometryType(lin));
            bool ok = false;
            if (lt != t) ok = add_geometry(d, f, lin, typed);
            OGR_G_DestroyGeometry(lin);
            return ok;
        }
    }
}

// Reads the layer through OGR into `d` (coordinates transformed to the set's CRS).
void load_with_ogr(const VectorLayerConfig& config, const TileMatrixSet& tms, VectorSource::Data& d) {
    ensure_gdal();
    OgrDataset ds;
    ds.h = GDALOpenEx(config.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (ds.h == nullptr)
        throw IoError(fmt::format("vector layer '{}': cannot open '{}': {}", config.id, config.path.string(), CPLGetLastErrorMsg()));
    OGRLayerH layer = config.source_layer.empty() ? GDALDatasetGetLayer(ds.h, 0)
                                                  : GDALDatasetGetLayerByName(ds.h, config.source_layer.c_str());
    if (layer == nullptr)
        throw Error(errc::not_found, fmt::format("vector layer '{}': '{}' has no layer '{}'", config.id,
                                                 config.path.string(), config.source_layer));
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    // Fields to keep: all, or those listed (each must exist).
    std::vector<int> field_index;
    if (config.fields.empty()) {
        for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i) {
            field_index.push_back(i);
            d.field_names.emplace_back(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
        }
    } else {
        for (const auto& name : config.fields) {
            const int i = OGR_FD_GetFieldIndex(defn, name.c_str());
            if (i < 0)
                throw InvalidArgument(fmt::format("vector layer '{}': field '{}' is not in '{}'", config.id, name,
                                                  config.path.string()));
            field_index.push_back(i);
            d.field_names.push_back(name);
        }
    }

    Srs src, dst;
    OGRSpatialReferenceH layer_srs = OGR_L_GetSpatialRef(layer);
    if (!config.crs.empty()) {
        src.h = OSRNewSpatialReference(nullptr);
        if (OSRSetFromUserInput(src.h, config.crs.c_str()) != OGRERR_NONE)
            throw InvalidArgument(fmt::format("vector layer '{}': unknown crs '{}'", config.id, config.crs));
        layer_srs = src.h;
    }
    if (layer_srs == nullptr)
        throw InvalidArgument(fmt::format("vector layer '{}': '{}' has no CRS; set `crs`", config.id, config.path.string()));
    dst.h = OSRNewSpatialReference(nullptr);
    OSRSetFromUserInput(dst.h, tms.crs.c_str());
    OSRSetAxisMappingStrategy(dst.h, OAMS_TRADITIONAL_GIS_ORDER);
    OGRSpatialReferenceH src_clone = OSRClone(layer_srs);
    OSRSetAxisMappingStrategy(src_clone, OAMS_TRADITIONAL_GIS_ORDER);
    Ct ct;
    Srs src_owner;
    src_owner.h = src_clone;
    if (!OSRIsSame(src_clone, dst.h)) {
        ct.h = OCTNewCoordinateTransformation(src_clone, dst.h);
        if (ct.h == nullptr) throw DependencyError(fmt::format("vector layer '{}': no transformation to {}", config.id, tms.crs));
    }

    OGR_L_ResetReading(layer);
    for (OGRFeatureH feat = OGR_L_GetNextFeature(layer); feat != nullptr; feat = OGR_L_GetNextFeature(layer)) {
        struct FeatureGuard { OGRFeatureH h; ~FeatureGuard() { OGR_F_Destroy(h); } } guard{feat};
        OGRGeometryH g = OGR_F_GetGeometryRef(feat);
        if (g == nullptr || OGR_G_IsEmpty(g)) continue;
        OGRGeometryH work = OGR_G_Clone(g);
        struct GeomGuard { OGRGeometryH h; ~GeomGuard() { OGR_G_DestroyGeometry(h); } } gg{work};
        OGR_G_FlattenTo2D(work);
        if (ct.h != nullptr) {
            if (OGR_G_Transform(work, ct.h) != OGRERR_NONE) continue;
        }
        Feature f;
        const GIntBig fid = OGR_F_GetFID(feat);
        if (fid != OGRNullFID && fid >= 0) { f.has_id = true; f.id = static_cast<std::uint64_t>(fid); }
        f.first_part = static_cast<std::uint32_t>(d.part_start.size() - 1);
        const std::size_t coords_before = d.xs.size();
        const std::size_t outer_before = d.part_outer.size();
        bool typed = false;
        if (!add_geometry(d, f, work, typed) || f.n_parts == 0) {
            d.xs.resize(coords_before);
            d.ys.resize(coords_before);
            d.part_start.resize(f.first_part + 1);
            d.part_outer.resize(outer_before);
            continue;
        }
        BBox box;
        for (std::size_t i = coords_before; i < d.xs.size(); ++i) box.extend(d.xs[i], d.ys[i]);
        if (box.empty() || !std::isfinite(box.min_x) || !std::isfinite(box.max_y)) {
            d.xs.resize(coords_before);
            d.ys.resize(coords_before);
            d.part_start.resize(f.first_part + 1);
            d.part_outer.resize(outer_before);
            continue;
        }
        f.first_attr = static_cast<std::uint32_t>(d.attrs.size());
        for (std::size_t k = 0; k < field_index.size(); ++k) {
            const int i = field_index[k];
            if (!OGR_F_IsFieldSetAndNotNull(feat, i)) continue;
            Value v;
            switch (OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, i))) {
                case OFTInteger:
                    if (OGR_Fld_GetSubType(OGR_FD_GetFieldDefn(defn, i)) == OFSTBoolean) {
                        v.kind = Value::Kind::boolean;
                        v.i = OGR_F_GetFieldAsInteger(feat, i) != 0;
                    } else {
                        v.kind = Value::Kind::int64;
                        v.i = OGR_F_GetFieldAsInteger(feat, i);
                    }
                    break;
                case OFTInteger64:
                    v.kind = Value::Kind::int64;
                    v.i = OGR_F_GetFieldAsInteger64(feat, i);
                    break;
                case OFTReal:
                    v.kind = Value::Kind::real;
                    v.d = OGR_F_GetFieldAsDouble(feat, i);
                    break;
                default:
                    v.kind = Value::Kind::string;
                    v.s = OGR_F_GetFieldAsString(feat, i);
                    break;
            }
            d.attrs.emplace_back(static_cast<std::uint32_t>(k), std::move(v));
        }
        f.n_attrs = static_cast<std::uint32_t>(d.attrs.size() - f.first_attr);
        d.features.push_back(f);
    }
}

}  // namespace

VectorSource::VectorSource(const VectorLayerConfig& config, const TileMatrixSet& tms)
    : m_config(config), m_tms(&tms), m_data(std::make_unique<Data>()) {
    auto& d = *m_data;  // GDAL's drivers are registered only if OGR reads the file (load_with_ogr)
    if (!read_geojson_fast(config, tms.crs, d)) load_with_ogr(config, tms, d);
    std::vector<RtreeValue> entries;
    entries.reserve(d.features.size());
    d.boxes.reserve(d.features.size());
    for (std::size_t index = 0; index < d.features.size(); ++index) {
        const Feature& f = d.features[index];
        BBox box;
        for (std::uint32_t i = d.part_start[f.first_part]; i < d.part_start[f.first_part + f.n_parts]; ++i) box.extend(d.xs[i], d.ys[i]);
        d.type_mask = static_cast<std::uint8_t>(d.type_mask | (1U << static_cast<unsigned>(f.type)));
        d.boxes.push_back(box);
        d.bounds.extend(box);
        entries.emplace_back(BBoxG(BPoint(box.min_x, box.min_y), BPoint(box.max_x, box.max_y)), static_cast<std::uint32_t>(index));
    }
    d.rtree = bgi::rtree<RtreeValue, bgi::quadratic<16>>(entries.begin(), entries.end());  // packed (STR)
    d.importance.assign(d.xs.size(), 0.0);
    std::vector<std::pair<std::size_t, std::size_t>> stack;
    for (std::size_t part = 0; part + 1 < d.part_start.size(); ++part) {
        const std::size_t first = d.part_start[part], last = d.part_start[part + 1] - 1;
        d.importance[first] = d.importance[last] = std::numeric_limits<double>::infinity();
        stack.clear();
        if (last > first + 1) stack.emplace_back(first, last);
        while (!stack.empty()) {
            const auto [a, b] = stack.back();
            stack.pop_back();
            double max_d = -1;
            std::size_t index = a + 1;
            for (std::size_t i = a + 1; i < b; ++i) {
                const double dd = sq_seg_dist(Pt{d.xs[i], d.ys[i]}, Pt{d.xs[a], d.ys[a]}, Pt{d.xs[b], d.ys[b]});
                if (dd > max_d) { max_d = dd; index = i; }
            }
            d.importance[index] = max_d;
            if (index - a > 1) stack.emplace_back(a, index);
            if (b - index > 1) stack.emplace_back(index, b);
        }
    }
    for (const auto& f : d.features)
        if (f.type == GeomType::point)
            for (std::uint32_t p = f.first_part; p < f.first_part + f.n_parts; ++p)
                for (std::uint32_t i = d.part_start[p]; i < d.part_start[p + 1]; ++i) d.importance[i] = std::numeric_limits<double>::infinity();
    d.crs = tms.crs;
    for (std::size_t z = 0; z < tms.levels(); ++z) d.zooms.push_back(std::make_unique<ZoomCache>());
}

VectorSource::~VectorSource() = default;

const BBox& VectorSource::native_bounds() const noexcept { return m_data->bounds; }
const std::vector<std::string>& VectorSource::fields() const noexcept { return m_data->field_names; }
std::size_t VectorSource::feature_count() const noexcept { return m_data->features.size(); }

BBox VectorSource::wgs84_bounds() const {
    const auto& b = m_data->bounds;
    if (b.empty()) return b;
    if (m_data->crs == "EPSG:3857") {  // the inverse Web Mercator is monotonic: the corners suffice, no PROJ
        constexpr double r = 6378137.0;
        auto lon = [](double x) { return x / r * 180.0 / M_PI; };
        auto lat = [](double y) { return (2.0 * std::atan(std::exp(y / r)) - M_PI / 2) * 180.0 / M_PI; };
        return BBox::of(lon(b.min_x), lat(b.min_y), lon(b.max_x), lat(b.max_y));
    }
    Srs s, t;
    s.h = OSRNewSpatialReference(nullptr);
    t.h = OSRNewSpatialReference(nullptr);
    OSRSetFromUserInput(s.h, m_data->crs.c_str());
    OSRSetFromUserInput(t.h, "EPSG:4326");
    OSRSetAxisMappingStrategy(s.h, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(t.h, OAMS_TRADITIONAL_GIS_ORDER);
    Ct ct;
    ct.h = OCTNewCoordinateTransformation(s.h, t.h);
    BBox out;
    if (ct.h == nullptr) return out;
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    if (OCTTransformBounds(ct.h, b.min_x, b.min_y, b.max_x, b.max_y, &x0, &y0, &x1, &y1, 21) != 0) out = BBox::of(x0, y0, x1, y1);
    return out;
}

std::string VectorSource::geometry_type() const {
    switch (m_data->type_mask) {
        case 1U << 1U: return "Point";
        case 1U << 2U: return "LineString";
        case 1U << 3U: return "Polygon";
        default: return "Unknown";
    }
}

// ---- polygons: per-zoom world geometry, then a cheap clip per tile ---------------------------------
namespace {

// Orients rings as MVT 2.1 wants (first ring of each polygon = exterior = positive surveyor's
// area in y-down coordinates) and appends them; rings collapsed to nothing are skipped (and a
// polygon whose exterior collapsed is dropped).
template <class P>
void append_oriented(std::vector<std::vector<std::vector<P>>>& polys, std::vector<std::vector<P>>& out,
                     std::vector<std::uint8_t>* outer = nullptr) {
    for (auto& rings : polys) {
        bool exterior = true;
        for (auto& q : rings) {
            const double area = q.size() >= 4 ? ring_area2(q) : 0.0;
            if (area == 0) {
                if (exterior) break;
                continue;
            }
            if ((area > 0) != exterior) std::reverse(q.begin(), q.end());
            if (outer != nullptr) outer->push_back(exterior ? 1 : 0);
            out.push_back(std::move(q));
            exterior = false;
        }
    }
}

RingsView view_of(const ZoomGeom& zg) { return RingsView{zg.xy.data(), zg.ring_end.data(), zg.ring_outer.data(), zg.ring_end.size()}; }

void set_box(ZoomGeom& zg) {
    ring_boxes(zg.xy, zg.ring_end, zg.ring_box, zg.block_box);
    zg.min_x = zg.min_y = std::numeric_limits<std::int64_t>::max();
    zg.max_x = zg.max_y = std::numeric_limits<std::int64_t>::min();
    for (std::size_t i = 0; i < zg.xy.size(); i += 2) {
        zg.min_x = std::min(zg.min_x, zg.xy[i]);
        zg.max_x = std::max(zg.max_x, zg.xy[i]);
        zg.min_y = std::min(zg.min_y, zg.xy[i + 1]);
        zg.max_y = std::max(zg.max_y, zg.xy[i + 1]);
    }
}

double ring_area(const std::vector<std::int64_t>& xy, const std::vector<std::uint32_t>& end, std::size_t r) {
    double a = 0;
    for (std::uint32_t i = (r == 0 ? 0 : end[r - 1]) + 1; i < end[r]; ++i)
        a += static_cast<double>(xy[2 * i - 2]) * static_cast<double>(xy[2 * i + 1]) -
             static_cast<double>(xy[2 * i]) * static_cast<double>(xy[2 * i - 1]);
    return std::abs(a);
}

// Rings (xy, end, outer) without those marked in `drop` (a dropped exterior takes its holes).
void drop_rings(std::vector<std::int64_t>& xy, std::vector<std::uint32_t>& end, std::vector<std::uint8_t>& outer,
                const std::vector<std::uint8_t>& drop) {
    std::size_t w = 0, ring = 0;
    bool dropping = false;
    std::uint32_t begin = 0;
    for (std::size_t r = 0; r < end.size(); begin = end[r], ++r) {
        if (outer[r] != 0) dropping = drop[r] != 0;
        if (dropping || drop[r] != 0) continue;
        for (std::uint32_t i = 2 * begin; i < 2 * end[r]; ++i) xy[w++] = xy[i];
        end[ring] = static_cast<std::uint32_t>(w / 2);
        outer[ring++] = outer[r];
    }
    xy.resize(w);
    end.resize(ring);
    outer.resize(ring);
}

// A clipped tile part that rounding made invalid: where two rings touch and the smaller is a
// sliver (under 256 square units, 1/65 536 of the tile), the sliver goes. True when the result
// is valid; false leaves the rest to GEOS.
bool drop_touching_slivers(RingSet& rings) {
    std::vector<std::uint32_t> touching;
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (polygons_strictly_valid(rings.view(), &touching)) return true;
        if (touching.empty()) return false;
        std::vector<std::uint8_t> drop(rings.end.size(), 0);
        for (std::size_t k = 0; k < touching.size(); k += 2) {
            const std::uint32_t a = touching[k], b = touching[k + 1];
            if (a == b) return false;
            const double aa = ring_area(rings.xy, rings.end, a), ab = ring_area(rings.xy, rings.end, b);
            if (std::min(aa, ab) > 2 * 256) return false;  // twice the area
            drop[aa < ab ? a : b] = 1;
        }
        drop_rings(rings.xy, rings.end, rings.outer, drop);
    }
    return false;
}

// Feature `f` at the zoom of matrix `m`: see ZoomGeom. Each part keeps the vertices more
// important than the tolerance, rounded to the grid; the result is checked exactly
// (polygons_strictly_valid). Where simplification and rounding made rings meet, our own fixes
// come first: rings that only touch (pinches) are split at the touching points, keeping every
// vertex (split_pinches); a ring crossing itself is rebuilt with a quarter of the tolerance (up to three
// times), and of two rings that meet (an islet pushed onto the coast, a lake onto its shore) the
// smaller goes, as geojson-vt drops rings below its tolerance. What is still invalid is repaired
// by GEOS (MakeValid, union, snap-rounding).
ZoomGeom make_zoom_geom(const VectorSource::Data& d, const Feature& f, const TileMatrix& m, double extent, double tolerance) {
    const double cx = m.tile_span_x() / extent, cy = m.tile_span_y() / extent;
    const double sq_tol = (tolerance * cx) * (tolerance * cx);
    std::vector<double> part_tol(f.n_parts, sq_tol);  // < 0: part dropped
    std::vector<std::uint32_t> ring_part, touching;
    std::vector<LPt> q;
    ZoomGeom zg;
    for (int attempt = 0; attempt < 4; ++attempt) {
        zg = ZoomGeom{};
        ring_part.clear();
        bool dropped = true;  // the current polygon lost its exterior
        for (std::uint32_t p = f.first_part; p < f.first_part + f.n_parts; ++p) {
            const bool exterior = d.part_outer[p] != 0;
            const double tol = part_tol[p - f.first_part];
            if (!exterior && dropped) continue;
            if (tol < 0) {
                if (exterior) dropped = true;
                continue;
            }
            q.clear();
            for (std::uint32_t i = d.part_start[p]; i < d.part_start[p + 1]; ++i) {
                if (!(d.importance[i] > tol)) continue;
                const LPt g{round_to_grid((d.xs[i] - m.origin_x) / cx), round_to_grid((m.origin_y - d.ys[i]) / cy)};
                if (q.empty() || !(q.back() == g)) q.push_back(g);
            }
            if (!q.empty() && !(q.front() == q.back())) q.push_back(q.front());
            remove_collinear(q);
            if (q.size() < 4 || ring_area2(q) == 0) {
                if (exterior) dropped = true;
                continue;
            }
            dropped = false;
            if ((ring_area2(q) > 0) != exterior) std::reverse(q.begin(), q.end());
            for (const auto& g : q) {
                zg.xy.push_back(g.x);
                zg.xy.push_back(g.y);
            }
            zg.ring_end.push_back(static_cast<std::uint32_t>(zg.xy.size() / 2));
            zg.ring_outer.push_back(exterior ? 1 : 0);
            ring_part.push_back(p - f.first_part);
        }
        bool touches = true;
        if (polygons_strictly_valid(view_of(zg), &touching, &touches)) {
            zg.plain = !touches;
            set_box(zg);
            return zg;
        }
        {  // rings pinched by rounding: split where they touch, no vertex moved
            RingSet split{zg.xy, zg.ring_end, zg.ring_outer};
            if (split_pinches(split) && polygons_strictly_valid(split.view())) {
                zg.xy = std::move(split.xy);
                zg.ring_end = std::move(split.end);
                zg.ring_outer = std::move(split.outer);
                set_box(zg);
                return zg;
            }
        }
        if (touching.empty() || attempt == 3) break;
        for (std::size_t k = 0; k < touching.size(); k += 2) {
            const std::uint32_t a = touching[k], b = touching[k + 1];
            if (a == b) part_tol[ring_part[a]] = attempt == 0 ? part_tol[ring_part[a]] / 16 : sq_tol * (attempt == 1 ? 16 : 64);
            else part_tol[ring_part[ring_area(zg.xy, zg.ring_end, a) < ring_area(zg.xy, zg.ring_end, b) ? a : b]] = -1;
        }
    }
    // GEOS, from the unrounded simplified rings.
    std::vector<std::vector<std::vector<Pt>>> raw;
    bool dropped = true;
    for (std::uint32_t p = f.first_part; p < f.first_part + f.n_parts; ++p) {
        const bool exterior = d.part_outer[p] != 0;
        if (!exterior && dropped) continue;
        std::vector<Pt> r;
        for (std::uint32_t i = d.part_start[p]; i < d.part_start[p + 1]; ++i)
            if (d.importance[i] > sq_tol) r.push_back(Pt{(d.xs[i] - m.origin_x) / cx, (m.origin_y - d.ys[i]) / cy});
        if (r.size() >= 3 && !(r.front().x == r.back().x && r.front().y == r.back().y)) r.push_back(r.front());
        if (r.size() < 4) {
            if (exterior) dropped = true;
            continue;
        }
        if (exterior) {
            dropped = false;
            raw.emplace_back();
        }
        raw.back().push_back(std::move(r));
    }
    std::vector<std::vector<std::vector<LPt>>> fixed;
    repair_polygons(raw, fixed);
    std::vector<std::vector<LPt>> rings;
    std::vector<std::uint8_t> outer;
    append_oriented(fixed, rings, &outer);
    zg = ZoomGeom{};
    for (std::size_t k = 0; k < rings.size(); ++k) {
        for (const auto& g : rings[k]) {
            zg.xy.push_back(g.x);
            zg.xy.push_back(g.y);
        }
        zg.ring_end.push_back(static_cast<std::uint32_t>(zg.xy.size() / 2));
        zg.ring_outer.push_back(outer[k]);
    }
    set_box(zg);
    return zg;
}

// The robust path for the rare tiles whose Weiler–Atherton clip is refused by the validity check
// (rounding the crossing points made rings touch, or the zoom geometry has a hole touching its
// shell): GEOS intersects the polygons with the square and snap-rounds the result to the grid.
void clip_with_geos(const ZoomGeom& zg, std::int64_t ox, std::int64_t oy, double lo, double hi, std::vector<std::vector<IPt>>& parts) {
    GEOSContextHandle_t g = geos();
    std::vector<GEOSGeometry*> polys, holes;
    GEOSGeometry* shell = nullptr;
    auto flush = [&] {
        if (shell == nullptr) return;
        GEOSGeometry* poly = GEOSGeom_createPolygon_r(g, shell, holes.data(), static_cast<unsigned>(holes.size()));
        if (poly != nullptr) polys.push_back(poly);
        shell = nullptr;
        holes.clear();
    };
    std::vector<Pt> pts;
    std::uint32_t begin = 0;
    for (std::size_t k = 0; k < zg.ring_end.size(); begin = zg.ring_end[k], ++k) {
        pts.clear();
        for (std::uint32_t i = begin; i < zg.ring_end[k]; ++i)
            pts.push_back(Pt{static_cast<double>(zg.xy[2 * i] - ox), static_cast<double>(zg.xy[2 * i + 1] - oy)});
        if (zg.ring_outer[k] != 0) {
            flush();
            shell = geos_ring(g, pts);
        } else {
            holes.push_back(geos_ring(g, pts));
        }
    }
    flush();
    if (polys.empty()) return;
    GEOSGeometry* mp = GEOSGeom_createCollection_r(g, GEOS_MULTIPOLYGON, polys.data(), static_cast<unsigned>(polys.size()));
    GEOSGeometry* box = GEOSGeom_createRectangle_r(g, lo, lo, hi, hi);
    GEOSGeometry* cut = mp != nullptr && box != nullptr ? GEOSIntersection_r(g, mp, box) : nullptr;
    if (mp != nullptr) GEOSGeom_destroy_r(g, mp);
    if (box != nullptr) GEOSGeom_destroy_r(g, box);
    std::vector<std::vector<std::vector<IPt>>> fixed;
    snap_polygons(g, cut, fixed);
    append_oriented(fixed, parts);
}

// Polygons (exteriors followed by their holes) made valid by GEOS (MakeValid, union, snapping
// to the grid), appended oriented.
void repair_rings(const RingSet& rings, std::vector<std::vector<IPt>>& parts) {
    std::vector<std::vector<std::vector<Pt>>> polys;
    std::uint32_t begin = 0;
    for (std::size_t k = 0; k < rings.end.size(); begin = rings.end[k], ++k) {
        if (rings.outer[k] != 0) polys.emplace_back();
        auto& r = polys.back().emplace_back();
        for (std::uint32_t i = begin; i < rings.end[k]; ++i)
            r.push_back(Pt{static_cast<double>(rings.xy[2 * i]), static_cast<double>(rings.xy[2 * i + 1])});
    }
    std::vector<std::vector<std::vector<IPt>>> fixed;
    repair_polygons(polys, fixed);
    append_oriented(fixed, parts);
}

}  // namespace

std::string VectorSource::encode_tile(std::uint32_t z, std::uint64_t x, std::uint64_t y) const {
    const auto& d = *m_data;
    const TileMatrix* m = m_tms->matrix(z);
    if (m == nullptr || !m->contains(x, y)) return {};
    const BBox tb = m->tile_bounds(x, y);
    const double extent = m_config.extent;
    const double sx = extent / (tb.max_x - tb.min_x);
    const double sy = extent / (tb.max_y - tb.min_y);
    const double buf = m_config.buffer;
    const double qx = buf / sx, qy = buf / sy;
    std::vector<std::uint32_t> hits;
    d.rtree.query(bgi::intersects(BBoxG(BPoint(tb.min_x - qx, tb.min_y - qy), BPoint(tb.max_x + qx, tb.max_y + qy))),
                  boost::make_function_output_iterator([&](const RtreeValue& v) { hits.push_back(v.second); }));
    if (hits.empty()) return {};
    std::sort(hits.begin(), hits.end());  // source order: deterministic tiles
    if (hits.size() > m_config.max_features) hits.resize(m_config.max_features);

    const double lo = -buf, hi = extent + buf;

    // Scratch reused across features.
    std::vector<Pt> pts;
    std::vector<std::vector<Pt>> pieces;
    std::vector<std::vector<IPt>> parts;
    RingSet clipped;
    GeometryEncoder geo;

    // Encoded features (geometry + tags) before the layer is assembled, so that a too large tile
    // can be retried with more simplification.
    struct Encoded {
        std::uint32_t feature;
        GeomType type;
        std::vector<std::uint32_t> geometry;
    };

    // Vertices of `part` in tile space, those less important than `tolerance` (extent units) left out.
    double sq_tolerance = 0;
    auto to_tile = [&](std::uint32_t part) {
        pts.clear();
        for (std::uint32_t i = d.part_start[part]; i < d.part_start[part + 1]; ++i)
            if (d.importance[i] > sq_tolerance) pts.push_back(Pt{(d.xs[i] - tb.min_x) * sx, (tb.max_y - d.ys[i]) * sy});
    };

    auto zoom_geom = [&](std::uint32_t fi, std::uint32_t zz) -> const ZoomGeom& {
        ZoomCache& zc = *d.zooms[zz];
        std::call_once(zc.sized, [&] {
            zc.geoms.resize(d.features.size());
            zc.done = std::make_unique<std::once_flag[]>(d.features.size());
        });
        std::call_once(zc.done[fi], [&] { zc.geoms[fi] = make_zoom_geom(d, d.features[fi], *m, extent, m_config.simplify); });
        return zc.geoms[fi];
    };

    auto build = [&](double tolerance, std::size_t max_feats) {
        sq_tolerance = (tolerance / sx) * (tolerance / sx);
        std::vector<Encoded> out;
        for (std::size_t h = 0; h < hits.size() && out.size() < max_feats; ++h) {
            const std::uint32_t fi = hits[h];
            const Feature& f = d.features[fi];
            const BBox& fb = d.boxes[fi];
            // Whole feature inside the buffered tile: nothing to clip.
            const bool inside = (fb.min_x - tb.min_x) * sx >= lo && (fb.max_x - tb.min_x) * sx <= hi &&
                                (tb.max_y - fb.max_y) * sy >= lo && (tb.max_y - fb.min_y) * sy <= hi;
            geo.reset();
            if (f.type == GeomType::point) {
                std::vector<IPt> ps;
                for (std::uint32_t p = f.first_part; p < f.first_part + f.n_parts; ++p) {
                    to_tile(p);
                    for (const auto& q : pts)
                        if (q.x >= lo && q.x <= hi && q.y >= lo && q.y <= hi)
                            ps.push_back(IPt{static_cast<std::int32_t>(std::lround(q.x)), static_cast<std::int32_t>(std::lround(q.y))});
                }
                if (ps.empty()) continue;
                geo.points(ps);
            } else if (f.type == GeomType::line) {
                parts.clear();
                for (std::uint32_t p = f.first_part; p < f.first_part + f.n_parts; ++p) {
                    to_tile(p);
                    pieces.clear();
                    if (inside) pieces.push_back(pts);
                    else clip_line(pts, lo, lo, hi, hi, pieces);
                    for (const auto& piece : pieces) {
                        auto q = quantize(piece, false);
                        if (q.size() >= 2) parts.push_back(std::move(q));
                    }
                }
                if (parts.empty()) continue;
                for (const auto& q : parts) geo.line(q);
            } else {
                // Polygons: the feature's geometry at this zoom (simplified, on the grid, valid),
                // translated to the tile and clipped.
                ZoomGeom scratch;
                const ZoomGeom& zg = tolerance == m_config.simplify ? zoom_geom(fi, z) : (scratch = make_zoom_geom(d, f, *m, extent, tolerance));
                if (zg.ring_end.empty()) continue;
                const double ox = static_cast<double>(x) * extent, oy = static_cast<double>(y) * extent;
                const double x0 = static_cast<double>(zg.min_x) - ox, x1 = static_cast<double>(zg.max_x) - ox;
                const double y0 = static_cast<double>(zg.min_y) - oy, y1 = static_cast<double>(zg.max_y) - oy;
                if (x1 < lo || x0 > hi || y1 < lo || y0 > hi) continue;
                parts.clear();
                if (x0 >= lo && x1 <= hi && y0 >= lo && y1 <= hi) {
                    std::uint32_t begin = 0;
                    for (std::size_t k = 0; k < zg.ring_end.size(); begin = zg.ring_end[k], ++k) {
                        auto& q = parts.emplace_back();
                        for (std::uint32_t i = begin; i < zg.ring_end[k]; ++i)
                            q.push_back(IPt{static_cast<std::int32_t>(static_cast<double>(zg.xy[2 * i]) - ox),
                                            static_cast<std::int32_t>(static_cast<double>(zg.xy[2 * i + 1]) - oy)});
                    }
                } else {
                    clipped.clear();
                    RingsView view = view_of(zg);
                    view.ring_box = zg.ring_box.data();
                    view.block_box = zg.block_box.data();
                    const auto ix = static_cast<std::int64_t>(x) * m_config.extent, iy = static_cast<std::int64_t>(y) * m_config.extent;
                    const auto ilo = -static_cast<std::int64_t>(m_config.buffer);
                    const auto ihi = static_cast<std::int64_t>(m_config.extent) + m_config.buffer;
                    const bool linked = clip_polygons(view, ix, iy, ilo, ihi, clipped);
                    // Only edges with an end on the border can be new when the zoom geometry has no touches.
                    const std::int64_t border[2] = {ilo, ihi};
                    if (linked && (polygons_strictly_valid(clipped.view(), nullptr, nullptr, zg.plain ? border : nullptr) || (split_pinches(clipped) && polygons_strictly_valid(clipped.view())) ||
                                   drop_touching_slivers(clipped))) {
                        std::uint32_t begin = 0;
                        for (std::size_t k = 0; k < clipped.end.size(); begin = clipped.end[k], ++k) {
                            auto& q = parts.emplace_back();
                            for (std::uint32_t i = begin; i < clipped.end[k]; ++i)
                                q.push_back(IPt{static_cast<std::int32_t>(clipped.xy[2 * i]), static_cast<std::int32_t>(clipped.xy[2 * i + 1])});
                        }
                    } else if (linked) {
                        // The clip is right but rounding made rings touch: GEOS repairs the tile's part only.
                        repair_rings(clipped, parts);
                    } else {
                        parts.clear();
                        clip_with_geos(zg, ix, iy, lo, hi, parts);
                    }
                }
                if (parts.empty()) continue;
                for (const auto& q : parts) geo.ring(q);
            }
            out.push_back(Encoded{fi, f.type, geo.cmds});
        }
        return out;
    };

    auto assemble = [&](const std::vector<Encoded>& feats) {
        std::string data;
        protozero::pbf_writer tile(data);
        protozero::pbf_writer layer(tile, 3);
        layer.add_uint32(15, 2);
        layer.add_string(1, m_config.id);
        std::unordered_map<std::uint32_t, std::uint32_t> key_index;  // field → key id
        std::vector<std::uint32_t> key_order;
        std::unordered_map<std::string, std::uint32_t> value_index;  // kind byte + payload → value id
        std::vector<const Value*> value_order;
        std::vector<std::uint32_t> tags;
        std::string vkey;
        for (const auto& e : feats) {
            const Feature& f = d.features[e.feature];
            tags.clear();
            for (std::uint32_t a = f.first_attr; a < f.first_attr + f.n_attrs; ++a) {
                const auto& [field, v] = d.attrs[a];
                auto [kit, knew] = key_index.try_emplace(field, static_cast<std::uint32_t>(key_order.size()));
                if (knew) key_order.push_back(field);
                vkey.clear();
                vkey.push_back(static_cast<char>(v.kind));
                if (v.kind == Value::Kind::string) vkey += v.s;
                else if (v.kind == Value::Kind::real) vkey.append(reinterpret_cast<const char*>(&v.d), sizeof v.d);
                else vkey.append(reinterpret_cast<const char*>(&v.i), sizeof v.i);
                auto [vit, vnew] = value_index.try_emplace(vkey, static_cast<std::uint32_t>(value_order.size()));
                if (vnew) value_order.push_back(&v);
                tags.push_back(kit->second);
                tags.push_back(vit->second);
            }
            protozero::pbf_writer feature(layer, 2);
            if (f.has_id) feature.add_uint64(1, f.id);
            if (!tags.empty()) feature.add_packed_uint32(2, tags.begin(), tags.end());
            feature.add_enum(3, static_cast<std::int32_t>(e.type));
            feature.add_packed_uint32(4, e.geometry.begin(), e.geometry.end());
        }
        for (const auto k : key_order) layer.add_string(3, d.field_names[k]);
        for (const Value* v : value_order) {
            protozero::pbf_writer value(layer, 4);
            switch (v->kind) {
                case Value::Kind::string: value.add_string(1, v->s); break;
                case Value::Kind::real: value.add_double(3, v->d); break;
                case Value::Kind::int64:
                    if (v->i >= 0) value.add_uint64(5, static_cast<std::uint64_t>(v->i));
                    else value.add_sint64(6, v->i);
                    break;
                case Value::Kind::boolean: value.add_bool(7, v->i != 0); break;
            }
        }
        layer.add_uint32(5, m_config.extent);
        layer.commit();
        return data;
    };

    double tolerance = m_config.simplify;
    auto feats = build(tolerance, hits.size());
    if (feats.empty()) return {};
    std::string data = assemble(feats);
    for (int attempt = 0; attempt < 4 && data.size() > m_config.max_tile_bytes; ++attempt) {
        tolerance *= 2;
        feats = build(tolerance, hits.size());
        data = assemble(feats);
    }
    while (data.size() > m_config.max_tile_bytes && feats.size() > 1) {
        feats.resize(feats.size() / 2);
        data = assemble(feats);
    }
    return data;
}

}  // namespace geoplex::tiles::detail
