#include "catalog/checks.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <fmt/format.h>

namespace geoplex::catalog::detail {

namespace fs = std::filesystem;

namespace {

std::string lower_ext(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

struct DatasetCloser {
    void operator()(void* ds) const { GDALClose(ds); }
};
using Dataset = std::unique_ptr<void, DatasetCloser>;

struct CStringList {
    std::vector<std::string> items;
    std::vector<char*> ptrs;
    explicit CStringList(std::vector<std::string> v) : items(std::move(v)) {
        for (auto& s : items) ptrs.push_back(s.data());
        ptrs.push_back(nullptr);
    }
    char** get() { return ptrs.data(); }
};

Dataset open_vector(const fs::path& file) {
    const bool csv = lower_ext(file.string()) == ".csv";
    CStringList options(csv ? csv_open_options() : std::vector<std::string>{});
    CPLErrorReset();
    CPLPushErrorHandler(CPLQuietErrorHandler);  // the message goes to the check's log, not stderr
    Dataset ds(GDALOpenEx(file.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, options.get(), nullptr));
    CPLPopErrorHandler();
    return ds;
}

std::string last_gdal_error() {
    const char* m = CPLGetLastErrorMsg();
    return (m != nullptr && *m != '\0') ? std::string(m) : std::string("GDAL could not open it");
}

bool known_srs(const std::string& srs) {
    if (srs.empty()) return false;
    OGRSpatialReferenceH h = OSRNewSpatialReference(nullptr);
    const bool ok = OSRSetFromUserInput(h, srs.c_str()) == OGRERR_NONE;
    OSRDestroySpatialReference(h);
    return ok;
}

/// A check over `files`; already failed, with `none` as its log, when there are none.
CheckOutcome start_check(std::string name, const std::vector<std::string>& files, std::string_view none) {
    gdal_init();
    CheckOutcome c;
    c.name = std::move(name);
    c.success = !files.empty();
    if (files.empty()) c.logs.emplace_back(none);
    return c;
}

}  // namespace

void gdal_init() {
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
}

std::vector<std::string> csv_open_options() {
    return {"X_POSSIBLE_NAMES=lon,lng,longitude,x", "Y_POSSIBLE_NAMES=lat,latitude,y",
            "GEOM_POSSIBLE_NAMES=wkt,geom,geometry,the_geom", "KEEP_GEOM_COLUMNS=NO", "AUTODETECT_TYPE=YES"};
}

std::string crs_name(void* srs_handle) {
    auto* srs = static_cast<OGRSpatialReferenceH>(srs_handle);
    if (srs == nullptr) return {};
    const char* auth = OSRGetAuthorityName(srs, nullptr);
    const char* code = OSRGetAuthorityCode(srs, nullptr);
    if (auth == nullptr || code == nullptr) {
        OGRSpatialReferenceH copy = OSRClone(srs);
        if (OSRAutoIdentifyEPSG(copy) == OGRERR_NONE) {
            auth = OSRGetAuthorityName(copy, nullptr);
            code = OSRGetAuthorityCode(copy, nullptr);
            std::string out = (auth != nullptr && code != nullptr) ? fmt::format("{}:{}", auth, code) : std::string();
            OSRDestroySpatialReference(copy);
            if (!out.empty()) return out;
        } else {
            OSRDestroySpatialReference(copy);
        }
        const char* name = OSRGetName(srs);
        return name != nullptr ? std::string(name) : std::string("unnamed CRS");
    }
    return fmt::format("{}:{}", auth, code);
}

std::vector<std::string> vector_files(const std::vector<TreeEntry>& tree) {
    std::vector<std::string> out;
    for (const auto& e : tree) {
        if (e.directory) continue;
        const std::string ext = lower_ext(e.path);
        if (ext == ".gpkg" || ext == ".geojson" || ext == ".json" || ext == ".shp" || ext == ".csv") out.push_back(e.path);
    }
    return out;
}

std::vector<std::string> raster_files(const std::vector<TreeEntry>& tree) {
    std::vector<std::string> out;
    for (const auto& e : tree) {
        if (e.directory) continue;
        const std::string ext = lower_ext(e.path);
        if (ext == ".tif" || ext == ".tiff") out.push_back(e.path);
    }
    return out;
}

CheckOutcome check_standard(const UploadArea& area, const std::string& upload_id) {
    CheckOutcome c;
    c.name = "standard";
    c.success = true;
    const auto results = area.verify_md5(upload_id);
    if (results.empty()) c.logs.emplace_back("no .md5 file: nothing to verify");
    for (const auto& r : results) {
        c.logs.push_back(r.ok ? fmt::format("{}: MD5 OK", r.file) : r.message);
        c.success = c.success && r.ok;
    }
    return c;
}

CheckOutcome check_vector(const fs::path& upload_dir, const std::vector<TreeEntry>& tree, const std::string& declared_srs,
                          const std::function<void(double)>& progress) {
    const auto files = vector_files(tree);
    CheckOutcome c = start_check("vecteur", files, "no vector file (.gpkg, .geojson, .json, .shp, .csv) in the upload");
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto& rel = files[i];
        FileReport f;
        f.path = rel;
        if (lower_ext(rel) == ".shp") {
            for (const char* part : {".shx", ".dbf"}) {
                std::error_code ec;
                if (!fs::exists(upload_dir / fs::path(rel).replace_extension(part), ec)) {
                    c.success = false;
                    c.logs.push_back(fmt::format("{}: the Shapefile part {} is missing", rel, part));
                }
            }
        }
        const Dataset ds = open_vector(upload_dir / rel);
        if (!ds) {
            c.success = false;
            c.logs.push_back(fmt::format("{}: does not open as vector data: {}", rel, last_gdal_error()));
            c.files.push_back(std::move(f));
            continue;
        }
        f.driver = GDALGetDriverShortName(GDALGetDatasetDriver(ds.get()));
        const int n = GDALDatasetGetLayerCount(ds.get());
        if (n == 0) {
            c.success = false;
            c.logs.push_back(fmt::format("{}: no layer", rel));
        }
        for (int li = 0; li < n; ++li) {
            OGRLayerH layer = GDALDatasetGetLayer(ds.get(), li);
            const std::string lname = OGR_L_GetName(layer);
            f.layers.push_back(lname);
            std::string crs = crs_name(OGR_L_GetSpatialRef(layer));
            if (crs.empty() && OGR_FD_GetGeomFieldCount(OGR_L_GetLayerDefn(layer)) > 0) {
                if (known_srs(declared_srs)) {
                    crs = declared_srs;
                    c.logs.push_back(fmt::format("{}/{}: no CRS in the file, the upload's srs {} is used", rel, lname, declared_srs));
                } else {
                    c.success = false;
                    c.logs.push_back(fmt::format("{}/{}: unknown CRS (none in the file and no valid srs on the upload)", rel, lname));
                }
            }
            if (f.crs.empty()) f.crs = crs;
            std::uint64_t count = 0, invalid = 0, empty = 0;
            OGR_L_ResetReading(layer);
            CPLPushErrorHandler(CPLQuietErrorHandler);  // GEOS explains each invalid ring on stderr otherwise
            while (OGRFeatureH feat = OGR_L_GetNextFeature(layer)) {
                ++count;
                OGRGeometryH g = OGR_F_GetGeometryRef(feat);
                if (g == nullptr || OGR_G_IsEmpty(g)) {
                    ++empty;
                } else if (!OGR_G_IsValid(g)) {
                    ++invalid;
                }
                OGR_F_Destroy(feat);
            }
            CPLPopErrorHandler();
            f.features += count;
            f.invalid_geometries += invalid;
            f.empty_geometries += empty;
            c.logs.push_back(fmt::format("{}/{}: driver {}, CRS {}, {} features, {} invalid geometries, {} empty", rel, lname,
                                         f.driver, crs.empty() ? "none" : crs, count, invalid, empty));
        }
        c.files.push_back(std::move(f));
        if (progress) progress(static_cast<double>(i + 1) / static_cast<double>(files.size()));
    }
    return c;
}

CheckOutcome check_raster(const fs::path& upload_dir, const std::vector<TreeEntry>& tree, const std::string& declared_srs,
                          const std::function<void(double)>& progress) {
    const auto files = raster_files(tree);
    CheckOutcome c = start_check("raster", files, "no raster file (.tif, .tiff) in the upload");
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto& rel = files[i];
        FileReport f;
        f.path = rel;
        CPLErrorReset();
        CPLPushErrorHandler(CPLQuietErrorHandler);
        const Dataset ds(GDALOpenEx((upload_dir / rel).c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
        CPLPopErrorHandler();
        if (!ds) {
            c.success = false;
            c.logs.push_back(fmt::format("{}: does not open as a raster: {}", rel, last_gdal_error()));
            c.files.push_back(std::move(f));
            continue;
        }
        f.driver = GDALGetDriverShortName(GDALGetDatasetDriver(ds.get()));
        f.width = GDALGetRasterXSize(ds.get());
        f.height = GDALGetRasterYSize(ds.get());
        f.bands = GDALGetRasterCount(ds.get());
        double gt[6] = {0, 1, 0, 0, 0, 1};
        const bool georef = GDALGetGeoTransform(ds.get(), gt) == CE_None;
        f.crs = crs_name(GDALGetSpatialRef(ds.get()));
        if (!georef) {
            c.success = false;
            c.logs.push_back(fmt::format("{}: not georeferenced (no geotransform)", rel));
        }
        if (f.crs.empty()) {
            if (known_srs(declared_srs)) {
                f.crs = declared_srs;
                c.logs.push_back(fmt::format("{}: no CRS in the file, the upload's srs {} is used", rel, declared_srs));
            } else {
                c.success = false;
                c.logs.push_back(fmt::format("{}: unknown CRS (none in the file and no valid srs on the upload)", rel));
            }
        }
        c.logs.push_back(fmt::format("{}: driver {}, {}x{} pixels, {} bands, CRS {}", rel, f.driver, f.width, f.height, f.bands,
                                     f.crs.empty() ? "none" : f.crs));
        c.files.push_back(std::move(f));
        if (progress) progress(static_cast<double>(i + 1) / static_cast<double>(files.size()));
    }
    return c;
}

}  // namespace geoplex::catalog::detail
