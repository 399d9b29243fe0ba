// Services: the layers of a tileset as OGC layers (sources, fields, extents), CRS helpers and
// the pools of GDAL handles.

#include <algorithm>
#include <cctype>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <fmt/format.h>

#include "geoplex/core/error.hpp"
#include "ogc/detail.hpp"

namespace geoplex::ogc {

namespace detail {

QuietGdal::QuietGdal() {
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
}
QuietGdal::~QuietGdal() { CPLPopErrorHandler(); }

namespace {

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
}

}  // namespace

std::string normalize_crs(std::string_view crs) {
    std::string c(crs);
    for (auto& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (c == "CRS:84" || c == "OGC:CRS84" || c == "URN:OGC:DEF:CRS:OGC:1.3:CRS84" || c == "URN:OGC:DEF:CRS:OGC::CRS84" ||
        c == "HTTP://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84" || c == "HTTPS://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84")
        return "OGC:CRS84";
    // urn:ogc:def:crs:EPSG::4326, urn:ogc:def:crs:EPSG:6.6:4326, http://www.opengis.net/def/crs/EPSG/0/4326,
    // http://www.opengis.net/gml/srs/epsg.xml#4326
    for (const std::string_view p : {"URN:OGC:DEF:CRS:EPSG:", "URN:X-OGC:DEF:CRS:EPSG:", "HTTP://WWW.OPENGIS.NET/DEF/CRS/EPSG/",
                                     "HTTPS://WWW.OPENGIS.NET/DEF/CRS/EPSG/", "HTTP://WWW.OPENGIS.NET/GML/SRS/EPSG.XML#"}) {
        if (istarts_with(c, p)) {
            const auto last = c.find_last_of(":/#");
            const std::string code = c.substr(last + 1);
            if (!code.empty() && std::all_of(code.begin(), code.end(), [](char d) { return std::isdigit(static_cast<unsigned char>(d)); }))
                return "EPSG:" + code;
        }
    }
    if (istarts_with(c, "EPSG:")) return "EPSG:" + c.substr(5);
    return std::string(crs);
}

Srs::Srs(std::string_view crs, bool user_input) : h(OSRNewSpatialReference(nullptr)) {
    const std::string c = normalize_crs(crs);
    // Only identifiers: user input never reaches PROJ as a file name or a pipeline.
    const bool identifier =
        !user_input || (c.find_first_of("/\\\n\r\t ") == std::string::npos && c.find(':') != std::string::npos);
    if (!identifier || OSRSetFromUserInput(h, c.c_str()) != OGRERR_NONE) {
        OSRDestroySpatialReference(h);
        h = nullptr;
        throw OgcError("InvalidCRS", fmt::format("unknown CRS '{}'", crs), "CRS");
    }
    OSRSetAxisMappingStrategy(h, OAMS_TRADITIONAL_GIS_ORDER);
}
Srs::~Srs() {
    if (h != nullptr) OSRDestroySpatialReference(h);
}

Transform::Transform(OGRSpatialReferenceH from, OGRSpatialReferenceH to) {
    if (from == nullptr || to == nullptr || OSRIsSame(from, to) != 0) return;
    h = OCTNewCoordinateTransformation(from, to);
    if (h == nullptr) throw OgcError("InvalidCRS", "no transformation between these CRSs", "CRS");
}
Transform::~Transform() {
    if (h != nullptr) OCTDestroyCoordinateTransformation(h);
}

VectorLayer::~VectorLayer() {
    for (auto* ds : free_handles) GDALClose(ds);
}

GDALDatasetH VectorLayer::borrow() const {
    {
        std::lock_guard lock(mutex);
        if (!free_handles.empty()) {
            auto* ds = free_handles.back();
            free_handles.pop_back();
            return ds;
        }
    }
    GDALDatasetH ds = GDALOpenEx(config.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (ds == nullptr)
        throw IoError(fmt::format("vector layer '{}': cannot open '{}': {}", config.id, config.path.string(), CPLGetLastErrorMsg()));
    return ds;
}

void VectorLayer::give_back(GDALDatasetH ds) const {
    std::lock_guard lock(mutex);
    free_handles.push_back(ds);
}

OGRLayerH VectorLayer::layer_of(GDALDatasetH ds) const {
    OGRLayerH l = config.source_layer.empty() ? GDALDatasetGetLayer(ds, 0) : GDALDatasetGetLayerByName(ds, config.source_layer.c_str());
    if (l == nullptr) {
        give_back(ds);
        throw IoError(fmt::format("vector layer '{}': no layer '{}' in '{}'", config.id, config.source_layer, config.path.string()));
    }
    return l;
}

Borrowed::~Borrowed() {
    OGR_L_SetAttributeFilter(lyr, nullptr);
    OGR_L_SetSpatialFilter(lyr, nullptr);
    OGR_L_ResetReading(lyr);
    layer.give_back(ds);
}

Srs source_srs(const VectorLayer& layer, OGRLayerH lyr) {
    if (!layer.config.crs.empty()) return Srs(layer.config.crs, false);
    if (OGRSpatialReferenceH s = OGR_L_GetSpatialRef(lyr)) {
        Srs out;
        out.h = OSRClone(s);
        OSRSetAxisMappingStrategy(out.h, OAMS_TRADITIONAL_GIS_ORDER);
        return out;
    }
    return Srs("OGC:CRS84");
}

namespace {

std::string field_type(OGRFieldType t, OGRFieldSubType sub) {
    switch (t) {
        case OFTInteger:
            return sub == OFSTBoolean ? "boolean" : "integer";
        case OFTInteger64: return "integer";
        case OFTReal: return "number";
        case OFTDate: return "date";
        case OFTDateTime: return "datetime";
        default: return "string";
    }
}

std::string authority_of(OGRSpatialReferenceH srs) {
    if (srs == nullptr) return {};
    OGRSpatialReferenceH copy = OSRClone(srs);
    OSRAutoIdentifyEPSG(copy);
    const char* name = OSRGetAuthorityName(copy, nullptr);
    const char* code = OSRGetAuthorityCode(copy, nullptr);
    std::string out = name != nullptr && code != nullptr ? fmt::format("{}:{}", name, code) : std::string();
    OSRDestroySpatialReference(copy);
    return out;
}

std::shared_ptr<LayerState> make_vector(const tiles::VectorLayerConfig& c, const tiles::LayerInfo* tile_info,
                                        const ServicesOptions& options) {
    auto st = std::make_shared<LayerState>();
    st->vector = std::make_shared<VectorLayer>();
    st->vector->config = c;
    auto& info = st->info;
    info.id = c.id;
    info.title = c.title.empty() ? c.id : c.title;
    info.abstract = c.description;
    info.is_vector = true;
    QuietGdal quiet;
    Borrowed b(*st->vector);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(b.lyr);
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i) {
        OGRFieldDefnH f = OGR_FD_GetFieldDefn(defn, i);
        const std::string name = OGR_Fld_GetNameRef(f);
        if (!c.fields.empty() && std::find(c.fields.begin(), c.fields.end(), name) == c.fields.end()) continue;
        info.fields.push_back(FieldInfo{name, field_type(OGR_Fld_GetType(f), OGR_Fld_GetSubType(f))});
    }
    info.geometry_type = OGRGeometryTypeToName(wkbFlatten(OGR_L_GetGeomType(b.lyr)));
    info.geometry_type.erase(std::remove(info.geometry_type.begin(), info.geometry_type.end(), ' '), info.geometry_type.end());
    if (info.geometry_type == "Unknown(any)") info.geometry_type = "Geometry";
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(b.lyr);
    Srs assigned;
    if (!c.crs.empty()) {
        assigned = Srs(c.crs);
        srs = assigned.h;
    }
    info.native_crs = authority_of(srs);
    if (srs != nullptr) {
        char* wkt = nullptr;
        OSRExportToWkt(srs, &wkt);
        st->vector->native_wkt = wkt != nullptr ? wkt : "";
        CPLFree(wkt);
    }
    if (tile_info != nullptr && !tile_info->bounds.empty()) {
        info.wgs84 = tile_info->bounds;
    } else {
        OGREnvelope env;
        if (OGR_L_GetExtent(b.lyr, &env, TRUE) == OGRERR_NONE) {
            const BBox native = BBox::of(env.MinX, env.MinY, env.MaxX, env.MaxY);
            if (srs == nullptr) {
                info.wgs84 = native;
            } else {
                Srs to("OGC:CRS84");
                Transform t(srs, to.h);
                double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
                if (t.h == nullptr) info.wgs84 = native;
                else if (OCTTransformBounds(t.h, env.MinX, env.MinY, env.MaxX, env.MaxY, &x0, &y0, &x1, &y1, 21) != 0)
                    info.wgs84 = BBox::of(x0, y0, x1, y1);
            }
        }
    }
    const auto it = std::find_if(options.styles.begin(), options.styles.end(), [&](const auto& e) { return e.first == c.id; });
    if (it != options.styles.end() && !it->second.empty()) st->styles = it->second;
    else st->styles = {VectorStyle{}};
    for (const auto& s : st->styles) info.styles.push_back(s.name);
    return st;
}

std::shared_ptr<LayerState> make_raster(const tiles::RasterLayerConfig& c) {
    auto st = std::make_shared<LayerState>();
    st->tms = std::make_shared<tiles::TileMatrixSet>(tiles::detail::resolve_tile_matrix_set(c.tile_matrix_set));
    st->raster = std::make_shared<tiles::detail::RasterSource>(c, *st->tms);
    auto& info = st->info;
    info.id = c.id;
    info.title = c.title.empty() ? c.id : c.title;
    info.abstract = c.description;
    info.wgs84 = st->raster->wgs84_bounds();
    info.native_crs = c.crs;
    if (info.native_crs.empty()) {
        QuietGdal quiet;
        if (GDALDatasetH ds = GDALOpenEx(c.path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr)) {
            info.native_crs = authority_of(GDALGetSpatialRef(ds));
            GDALClose(ds);
        }
    }
    info.styles = {"default"};
    return st;
}

}  // namespace
}  // namespace detail

const detail::LayerState& Services::Impl::layer(std::string_view id, std::string_view code) const {
    const auto* l = find(id);
    if (l == nullptr) throw OgcError(std::string(code), fmt::format("unknown layer '{}'", id), "LAYERS");
    return *l;
}

Services Services::from_tileset(const tiles::Tileset& tileset, ServicesOptions options) {
    tiles::detail::ensure_gdal();
    auto impl = std::make_shared<Impl>();
    impl->options = std::move(options);
    for (const auto& l : tileset.layers()) {
        if (const auto* r = tileset.raster_config(l.id)) impl->layers.push_back(detail::make_raster(*r));
        else if (const auto* v = tileset.vector_config(l.id)) impl->layers.push_back(detail::make_vector(*v, &l, impl->options));
    }
    for (const auto& l : impl->layers) impl->infos.push_back(l->info);
    return Services(std::move(impl));
}

Services Services::from_config(const tiles::BuildConfig& config, ServicesOptions options) {
    tiles::detail::ensure_gdal();
    if (auto p = config.validate(); !p.empty()) throw InvalidArgument(std::move(p));
    auto impl = std::make_shared<Impl>();
    impl->options = std::move(options);
    for (const auto& r : config.raster_layers) impl->layers.push_back(detail::make_raster(r));
    for (const auto& v : config.vector_layers) impl->layers.push_back(detail::make_vector(v, nullptr, impl->options));
    for (const auto& l : impl->layers) impl->infos.push_back(l->info);
    return Services(std::move(impl));
}

Services Services::merge(const std::vector<Services>& parts, ServicesOptions options) {
    auto impl = std::make_shared<Impl>();
    impl->options = std::move(options);
    for (const auto& p : parts)
        for (const auto& l : p.m_impl->layers)
            if (impl->find(l->info.id) == nullptr) {
                impl->layers.push_back(l);
                impl->infos.push_back(l->info);
            }
    return Services(std::move(impl));
}

const std::vector<LayerInfo>& Services::layers() const { return m_impl->infos; }
const LayerInfo* Services::find(std::string_view id) const {
    const auto* l = m_impl->find(id);
    return l == nullptr ? nullptr : &l->info;
}
const ServicesOptions& Services::options() const noexcept { return m_impl->options; }

std::string Services::crs_urn(std::string_view crs) {
    const std::string c = detail::normalize_crs(crs);
    if (c == "OGC:CRS84") return "urn:ogc:def:crs:OGC:1.3:CRS84";
    if (c.starts_with("EPSG:")) return "urn:ogc:def:crs:EPSG::" + c.substr(5);
    return c;
}

bool Services::known_crs(std::string_view crs) {
    detail::QuietGdal quiet;
    try {
        detail::Srs s(crs);
        return true;
    } catch (const OgcError&) {
        return false;
    }
}

bool Services::northing_first(std::string_view crs) {
    detail::QuietGdal quiet;
    OGRSpatialReferenceH h = OSRNewSpatialReference(nullptr);
    const std::string c = detail::normalize_crs(crs);
    bool out = false;
    if (OSRSetFromUserInput(h, c.c_str()) == OGRERR_NONE)
        out = OSRIsGeographic(h) ? OSREPSGTreatsAsLatLong(h) != 0 : OSREPSGTreatsAsNorthingEasting(h) != 0;
    OSRDestroySpatialReference(h);
    return out;
}

BBox Services::transform_box(const BBox& box, std::string_view from_crs, std::string_view to_crs) {
    detail::QuietGdal quiet;
    detail::Srs from(from_crs.empty() ? std::string_view("OGC:CRS84") : from_crs);
    detail::Srs to(to_crs.empty() ? std::string_view("OGC:CRS84") : to_crs);
    if (OSRIsSame(from.h, to.h) != 0) return box;
    detail::Transform t(from.h, to.h);
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    if (t.h == nullptr || OCTTransformBounds(t.h, box.min_x, box.min_y, box.max_x, box.max_y, &x0, &y0, &x1, &y1, 21) == 0)
        throw OgcError("InvalidParameterValue", "the bounding box cannot be transformed to this CRS", "BBOX");
    return BBox::of(x0, y0, x1, y1);
}

}  // namespace geoplex::ogc
