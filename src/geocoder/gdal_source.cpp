// POIs and cadastral parcels from any GDAL vector layer: fields by name (configurable), the
// geometry reduced to one point (a point on the surface of polygons) and kept whole for reverse
// searches by geometry, transformed to WGS84.

#include "geocoder/gdal_source.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "geoplex/core/crs.hpp"
#include "geoplex/core/error.hpp"
#include "geocoder/format.hpp"

namespace geoplex::geocoder::detail {

namespace {

struct DatasetCloser {
    void operator()(void* ds) const { GDALClose(ds); }
};
struct FeatureDeleter {
    void operator()(OGRFeatureH f) const { OGR_F_Destroy(f); }
};
struct GeometryDeleter {
    void operator()(OGRGeometryH g) const { OGR_G_DestroyGeometry(g); }
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

// One point for any geometry: the point itself, else a point on the surface (polygons; GEOS),
// else the centroid.
bool representative_point(OGRGeometryH g, double& x, double& y) {
    if (g == nullptr || OGR_G_IsEmpty(g) != 0) return false;
    if (wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPoint) {
        x = OGR_G_GetX(g, 0);
        y = OGR_G_GetY(g, 0);
        return true;
    }
    std::unique_ptr<std::remove_pointer_t<OGRGeometryH>, GeometryDeleter> p(OGR_G_PointOnSurface(g));
    if (!p || OGR_G_IsEmpty(p.get()) != 0) {
        p.reset(OGR_G_CreateGeometry(wkbPoint));
        if (OGR_G_Centroid(g, p.get()) != OGRERR_NONE) return false;
    }
    x = OGR_G_GetX(p.get(), 0);
    y = OGR_G_GetY(p.get(), 0);
    return std::isfinite(x) && std::isfinite(y);
}

// Appends the parts of `g` (points, lines, polygon rings, recursively through collections) in
// WGS84, encoded as geom_data (format.hpp). False when a vertex cannot be transformed.
bool encode_geometry(OGRGeometryH g, const core::CrsTransform& to_wgs84, std::vector<std::int32_t>& out) {
    if (g == nullptr) return true;
    const auto type = wkbFlatten(OGR_G_GetGeometryType(g));
    const auto part = [&](OGRGeometryH p, std::int32_t kind) {
        const int n = OGR_G_GetPointCount(p);
        if (n <= 0) return true;
        out.push_back(kind);
        out.push_back(n);
        for (int i = 0; i < n; ++i) {
            const XY ll = to_wgs84.transform(XY{OGR_G_GetX(p, i), OGR_G_GetY(p, i)});
            if (!std::isfinite(ll.x) || !is_valid_lonlat(LonLat{ll.x, ll.y})) return false;
            out.push_back(to_fixed(ll.x));
            out.push_back(to_fixed(ll.y));
        }
        return true;
    };
    switch (type) {
    case wkbPoint: return part(g, geom_point);
    case wkbLineString: return part(g, geom_line);
    case wkbPolygon:
        for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i)
            if (!part(OGR_G_GetGeometryRef(g, i), geom_ring)) return false;
        return true;
    default:
        for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i)
            if (!encode_geometry(OGR_G_GetGeometryRef(g, i), to_wgs84, out)) return false;
        return true;
    }
}

}  // namespace

bool is_parcel_id(std::string_view id) noexcept {
    if (id.size() != 14) return false;
    const bool corsica = id[0] == '2' && (id[1] == 'A' || id[1] == 'B');
    for (std::size_t i = 0; i < 5; ++i)
        if (!is_digit(id[i]) && !(corsica && i == 1)) return false;
    for (std::size_t i = 5; i < 8; ++i)
        if (!is_digit(id[i])) return false;
    for (std::size_t i = 8; i < 10; ++i)
        if (!is_digit(id[i]) && !is_upper(id[i])) return false;
    for (std::size_t i = 10; i < 14; ++i)
        if (!is_digit(id[i])) return false;
    return true;
}

std::uint64_t read_vector_features(const SourceConfig& src, const std::function<void(const VectorFeature&)>& sink) {
    const bool parcels = src.format == SourceFormat::gdal_parcel;
    const std::string file = src.path.string();
    GDALAllRegister();
    std::unique_ptr<void, DatasetCloser> ds(GDALOpenEx(file.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    if (!ds) throw IoError(fmt::format("cannot open the vector source '{}': {}", file, CPLGetLastErrorMsg()));
    OGRLayerH layer = src.layer.empty() ? GDALDatasetGetLayer(ds.get(), 0) : GDALDatasetGetLayerByName(ds.get(), src.layer.c_str());
    if (layer == nullptr)
        throw FormatError(src.layer.empty() ? fmt::format("'{}' has no vector layer", file)
                                            : fmt::format("'{}' has no layer '{}'", file, src.layer));
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    const std::string layer_name = OGR_FD_GetName(defn);
    const auto field = [&](const std::string& configured, const char* def, bool required) {
        const std::string name = configured.empty() ? def : configured;
        if (name.empty()) return -1;
        const int i = OGR_FD_GetFieldIndex(defn, name.c_str());
        // A field named in the spec must exist; a default one may be absent when optional.
        if (i < 0 && (required || !configured.empty())) {
            std::string known;
            for (int k = 0; k < OGR_FD_GetFieldCount(defn); ++k)
                known += (k == 0 ? "" : ", ") + std::string(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, k)));
            throw FormatError(fmt::format("layer '{}' of '{}' has no field '{}' (fields: {})", layer_name, file, name, known));
        }
        return i;
    };
    const int f_id = field(src.id_field, parcels ? "id" : "", parcels);
    const int f_name = parcels ? -1 : field(src.name_field, "name", true);
    const int f_cat = parcels ? -1 : field(src.category_field, "category", false);
    const int f_citycode = parcels ? -1 : field(src.citycode_field, "", false);
    const int f_postcode = parcels ? -1 : field(src.postcode_field, "", false);
    const int f_sheet = parcels ? field(src.sheet_field, "feuille", false) : -1;

    std::string crs = "EPSG:4326";
    if (OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer)) {
        char* wkt = nullptr;
        if (OSRExportToWkt(srs, &wkt) == OGRERR_NONE && wkt != nullptr) crs = wkt;
        CPLFree(wkt);
    }
    const core::CrsTransform to_wgs84(crs, "EPSG:4326");
    const auto str = [](OGRFeatureH f, int i) -> std::string {
        if (i < 0 || OGR_F_IsFieldSetAndNotNull(f, i) == 0) return {};
        return OGR_F_GetFieldAsString(f, i);
    };
    std::uint64_t skipped = 0;
    OGR_L_ResetReading(layer);
    for (;;) {
        std::unique_ptr<std::remove_pointer_t<OGRFeatureH>, FeatureDeleter> f(OGR_L_GetNextFeature(layer));
        if (!f) break;
        VectorFeature v;
        double x = 0, y = 0;
        OGRGeometryH geom = OGR_F_GetGeometryRef(f.get());
        if (!representative_point(geom, x, y)) { ++skipped; continue; }
        if (wkbFlatten(OGR_G_GetGeometryType(geom)) != wkbPoint && !encode_geometry(geom, to_wgs84, v.geometry)) {
            ++skipped;
            continue;
        }
        const XY ll = to_wgs84.transform(XY{x, y});
        v.lon = ll.x;
        v.lat = ll.y;
        if (!std::isfinite(v.lon) || !is_valid_lonlat(LonLat{v.lon, v.lat})) { ++skipped; continue; }
        if (parcels) {
            v.id = str(f.get(), f_id);
            std::transform(v.id.begin(), v.id.end(), v.id.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
            if (!is_parcel_id(v.id)) { ++skipped; continue; }
            v.sheet = str(f.get(), f_sheet);
        } else {
            v.name = str(f.get(), f_name);
            if (v.name.empty()) { ++skipped; continue; }
            v.id = f_id >= 0 ? str(f.get(), f_id) : fmt::format("{}/{}", layer_name, OGR_F_GetFID(f.get()));
            v.categories = str(f.get(), f_cat);
            std::replace(v.categories.begin(), v.categories.end(), ';', '|');
            v.citycode = str(f.get(), f_citycode);
            v.postcode = str(f.get(), f_postcode);
        }
        sink(v);
    }
    return skipped;
}

}  // namespace geoplex::geocoder::detail
