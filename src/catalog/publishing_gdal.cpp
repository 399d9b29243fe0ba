// Processings on files, with GDAL: vector upload → VECTOR-DB GeoPackage, raster upload → stored
// GeoTIFF; and what stored data is (extent, size, srs, relations) read back from the output.

#include <algorithm>
#include <cctype>
#include <memory>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_utils.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <fmt/format.h>

#include "catalog/checks.hpp"
#include "catalog/publishing_impl.hpp"

namespace geoplex::catalog::detail {

namespace fs = std::filesystem;

namespace {

struct Closer {
    void operator()(void* ds) const { GDALClose(ds); }
};
using Dataset = std::unique_ptr<void, Closer>;

/// A NULL-terminated argv list for GDAL's utilities.
struct Argv {
    char** list = nullptr;
    Argv() = default;
    Argv(const Argv&) = delete;
    Argv& operator=(const Argv&) = delete;
    ~Argv() { CSLDestroy(list); }
    Argv& add(const std::string& s) {
        list = CSLAddString(list, s.c_str());
        return *this;
    }
};

std::string gdal_error() {
    const char* m = CPLGetLastErrorMsg();
    return (m != nullptr && *m != '\0') ? std::string(m) : std::string("unknown GDAL error");
}

std::string ogr_type_name(OGRFieldType t, OGRFieldSubType sub) {
    switch (t) {
        case OFTInteger: return sub == OFSTBoolean ? "boolean" : "integer";
        case OFTInteger64: return "bigint";
        case OFTReal: return "double precision";
        case OFTString: return "character varying";
        case OFTDate: return "date";
        case OFTTime: return "time";
        case OFTDateTime: return "timestamp with time zone";
        case OFTBinary: return "bytea";
        default: return "character varying";
    }
}

/// Transforms a box in `srs` to a lon/lat GeoBox (densified edges).
std::optional<GeoBox> to_wgs84(OGRSpatialReferenceH srs, double minx, double miny, double maxx, double maxy) {
    if (srs == nullptr) return std::nullopt;
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRSpatialReferenceH src = OSRClone(srs);
    OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(src, wgs);
    std::optional<GeoBox> out;
    if (ct != nullptr) {
        double w = 0, s = 0, e = 0, n = 0;
        if (OCTTransformBounds(ct, minx, miny, maxx, maxy, &w, &s, &e, &n, 21) != 0) out = GeoBox{w, s, e, n};
        OCTDestroyCoordinateTransformation(ct);
    }
    OSRDestroySpatialReference(src);
    OSRDestroySpatialReference(wgs);
    return out;
}

void extend(std::optional<GeoBox>& acc, const std::optional<GeoBox>& b) {
    if (!b) return;
    if (!acc) {
        acc = b;
        return;
    }
    acc->west = std::min(acc->west, b->west);
    acc->south = std::min(acc->south, b->south);
    acc->east = std::max(acc->east, b->east);
    acc->north = std::max(acc->north, b->north);
}

bool has_srs(OGRLayerH layer) { return OGR_L_GetSpatialRef(layer) != nullptr; }

}  // namespace

std::string clean_name(std::string_view name) {
    // U+00C0..U+00FF (UTF-8 C3 80..C3 BF) folded to ASCII; "_" = not a letter.
    static constexpr std::string_view latin1[64] = {
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
        "d", "n", "o", "o", "o", "o", "o", "_", "o", "u", "u", "u", "u", "y", "th", "ss",
        "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
        "d", "n", "o", "o", "o", "o", "o", "_", "o", "u", "u", "u", "u", "y", "th", "y"};
    std::string out;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        const auto next = i + 1 < name.size() ? static_cast<unsigned char>(name[i + 1]) : 0U;
        if (c == 0xc3 && next >= 0x80 && next <= 0xbf) {
            out += latin1[next - 0x80];
            ++i;
        } else if (c == 0xc5 && (next == 0x92 || next == 0x93)) {  // Œ œ
            out += "oe";
            ++i;
        } else if (c < 0x80 && std::isalnum(c) != 0) {
            out += static_cast<char>(std::tolower(c));
        } else if (c < 0x80 || (c & 0xc0U) != 0x80) {  // one '_' per other character
            out += '_';
        }
    }
    if (out.empty() || std::isdigit(static_cast<unsigned char>(out.front())) != 0) out.insert(0, "t_");
    return out;
}

void vector_to_db(const fs::path& upload_dir, const std::vector<TreeEntry>& tree, const std::string& declared_srs,
                  const std::string& target_srs, const fs::path& out_dir, StoredData& out, std::vector<std::string>& logs) {
    gdal_init();
    fs::create_directories(out_dir);
    const fs::path gpkg = out_dir / "data.gpkg";
    std::vector<std::string> tables;
    for (const auto& rel : vector_files(tree)) {
        const bool csv = fs::path(rel).extension() == ".csv" || fs::path(rel).extension() == ".CSV";
        std::vector<std::string> oo = csv ? csv_open_options() : std::vector<std::string>{};
        std::vector<const char*> oo_ptrs;
        for (auto& s : oo) oo_ptrs.push_back(s.c_str());
        oo_ptrs.push_back(nullptr);
        CPLErrorReset();
        Dataset src(GDALOpenEx((upload_dir / rel).c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, oo_ptrs.data(), nullptr));
        if (!src) throw DependencyError(fmt::format("{}: {}", rel, gdal_error()));
        const int n = GDALDatasetGetLayerCount(src.get());
        for (int li = 0; li < n; ++li) {
            OGRLayerH layer = GDALDatasetGetLayer(src.get(), li);
            std::string table = clean_name(OGR_L_GetName(layer));
            while (std::find(tables.begin(), tables.end(), table) != tables.end()) table += "_2";
            tables.push_back(table);
            // OGR SQL renames the columns; the geometry comes along implicitly.
            OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
            std::string sql = "SELECT ";
            std::vector<std::string> used;
            for (int fi = 0; fi < OGR_FD_GetFieldCount(defn); ++fi) {
                const std::string name = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, fi));
                std::string clean = clean_name(name);
                while (std::find(used.begin(), used.end(), clean) != used.end() || clean == "fid" || clean == "geom") clean += "_";
                used.push_back(clean);
                std::string quoted;
                for (char c : name) quoted += c == '"' ? std::string("\\\"") : std::string(1, c);
                sql += fmt::format("{}\"{}\" AS \"{}\"", fi == 0 ? "" : ", ", quoted, clean);
            }
            if (used.empty()) sql += "*";
            std::string lname;
            for (char c : std::string(OGR_L_GetName(layer))) lname += c == '"' ? std::string("\\\"") : std::string(1, c);
            sql += fmt::format(" FROM \"{}\"", lname);

            Argv argv;
            argv.add("-f").add("GPKG").add("-nln").add(table).add("-sql").add(sql).add("-lco").add("GEOMETRY_NAME=geom")
                .add("-lco").add("FID=fid").add("-nlt").add("PROMOTE_TO_MULTI");
            if (fs::exists(gpkg)) argv.add("-update");
            if (!target_srs.empty()) argv.add("-t_srs").add(target_srs);
            if (!has_srs(layer) && !declared_srs.empty()) argv.add("-a_srs").add(declared_srs);
            GDALVectorTranslateOptions* opts = GDALVectorTranslateOptionsNew(argv.list, nullptr);
            if (opts == nullptr) throw DependencyError(fmt::format("GDAL refused the options for {}", rel));
            GDALDatasetH in = src.get();
            int usage_error = 0;
            CPLErrorReset();
            GDALDatasetH dst = fs::exists(gpkg) ? GDALOpenEx(gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr)
                                                : nullptr;
            GDALDatasetH res = GDALVectorTranslate(dst != nullptr ? nullptr : gpkg.c_str(), dst, 1, &in, opts, &usage_error);
            GDALVectorTranslateOptionsFree(opts);
            if (res == nullptr) {
                if (dst != nullptr) GDALClose(dst);
                throw DependencyError(fmt::format("{}/{}: copy to GeoPackage failed: {}", rel, OGR_L_GetName(layer), gdal_error()));
            }
            GDALClose(res);
            logs.push_back(fmt::format("{}/{} → table {}", rel, OGR_L_GetName(layer), table));
        }
    }
    if (tables.empty()) throw InvalidArgument("the upload holds no vector layer");

    // Read back what was stored: the stored data describes the GeoPackage, not the input.
    Dataset db(GDALOpenEx(gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    if (!db) throw DependencyError(fmt::format("cannot reopen {}: {}", gpkg.string(), gdal_error()));
    out.relations.clear();
    out.extent.reset();
    std::string srs;
    for (int li = 0; li < GDALDatasetGetLayerCount(db.get()); ++li) {
        OGRLayerH layer = GDALDatasetGetLayer(db.get(), li);
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
        Relation r;
        r.name = OGR_L_GetName(layer);
        r.primary_key = {"fid"};
        r.attributes.push_back({"fid", "bigint"});
        for (int fi = 0; fi < OGR_FD_GetFieldCount(defn); ++fi) {
            OGRFieldDefnH f = OGR_FD_GetFieldDefn(defn, fi);
            r.attributes.push_back({OGR_Fld_GetNameRef(f), ogr_type_name(OGR_Fld_GetType(f), OGR_Fld_GetSubType(f))});
        }
        const std::string layer_srs = crs_name(OGR_L_GetSpatialRef(layer));
        if (srs.empty()) srs = layer_srs;
        if (OGR_FD_GetGeomFieldCount(defn) > 0) {
            r.geometry_type = OGRGeometryTypeToName(wkbFlatten(OGR_L_GetGeomType(layer)));
            std::transform(r.geometry_type.begin(), r.geometry_type.end(), r.geometry_type.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
            r.geometry_type.erase(std::remove(r.geometry_type.begin(), r.geometry_type.end(), ' '), r.geometry_type.end());
            const auto code = layer_srs.rfind(':');
            r.attributes.push_back({OGR_L_GetGeometryColumn(layer),
                                    fmt::format("geometry({}, {})", r.geometry_type,
                                                code == std::string::npos ? std::string("0") : layer_srs.substr(code + 1))});
            OGREnvelope env;
            if (OGR_L_GetExtent(layer, &env, 1) == OGRERR_NONE)
                extend(out.extent, to_wgs84(OGR_L_GetSpatialRef(layer), env.MinX, env.MinY, env.MaxX, env.MaxY));
        }
        r.feature_count = OGR_L_GetFeatureCount(layer, 1);
        out.relations.push_back(std::move(r));
    }
    out.srs = srs.empty() ? declared_srs : srs;
    db.reset();
    out.size = static_cast<std::int64_t>(directory_size(out_dir));
    out.path = gpkg.string();
}

void raster_to_store(const fs::path& upload_dir, const std::vector<TreeEntry>& tree, const std::string& declared_srs,
                     const fs::path& out_dir, StoredData& out, std::vector<std::string>& logs) {
    gdal_init();
    const auto files = raster_files(tree);
    if (files.empty()) throw InvalidArgument("the upload holds no raster");
    if (files.size() > 1) logs.push_back(fmt::format("{} rasters in the upload: only {} is stored", files.size(), files.front()));
    fs::create_directories(out_dir);
    const fs::path target = out_dir / (clean_name(fs::path(files.front()).stem().string()) + ".tif");
    CPLErrorReset();
    Dataset src(GDALOpenEx((upload_dir / files.front()).c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    if (!src) throw DependencyError(fmt::format("{}: {}", files.front(), gdal_error()));
    Argv argv;
    argv.add("-of").add("GTiff").add("-co").add("TILED=YES").add("-co").add("COMPRESS=DEFLATE");
    if (GDALGetSpatialRef(src.get()) == nullptr && !declared_srs.empty()) argv.add("-a_srs").add(declared_srs);
    GDALTranslateOptions* opts = GDALTranslateOptionsNew(argv.list, nullptr);
    int usage_error = 0;
    GDALDatasetH res = GDALTranslate(target.c_str(), src.get(), opts, &usage_error);
    GDALTranslateOptionsFree(opts);
    if (res == nullptr) throw DependencyError(fmt::format("{}: copy failed: {}", files.front(), gdal_error()));
    double gt[6] = {0, 1, 0, 0, 0, 1};
    GDALGetGeoTransform(res, gt);
    const int w = GDALGetRasterXSize(res), h = GDALGetRasterYSize(res);
    const double x0 = gt[0], x1 = gt[0] + gt[1] * w + gt[2] * h, y0 = gt[3], y1 = gt[3] + gt[4] * w + gt[5] * h;
    out.extent = to_wgs84(GDALGetSpatialRef(res), std::min(x0, x1), std::min(y0, y1), std::max(x0, x1), std::max(y0, y1));
    out.srs = crs_name(GDALGetSpatialRef(res));
    GDALClose(res);
    out.relations.clear();
    out.size = static_cast<std::int64_t>(directory_size(out_dir));
    out.path = target.string();
    logs.push_back(fmt::format("{} → {} ({}x{} px, {})", files.front(), target.filename().string(), w, h, out.srs));
}

}  // namespace geoplex::catalog::detail
