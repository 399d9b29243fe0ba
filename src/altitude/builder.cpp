// Builder: reads each source through GDAL, writes embedded grids (.dem) and resources.json.

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "altitude/detail.hpp"
#include "geoplex/core/error.hpp"

namespace geoplex::altitude {

namespace {

using detail::Dataset;

/// Owning OGRSpatialReferenceH.
struct Srs {
    OGRSpatialReferenceH h = nullptr;
    Srs() : h(OSRNewSpatialReference(nullptr)) { OSRSetAxisMappingStrategy(h, OAMS_TRADITIONAL_GIS_ORDER); }
    explicit Srs(OGRSpatialReferenceH clone) : h(OSRClone(clone)) { OSRSetAxisMappingStrategy(h, OAMS_TRADITIONAL_GIS_ORDER); }
    ~Srs() { if (h != nullptr) OSRDestroySpatialReference(h); }
    Srs(const Srs&) = delete;
    Srs& operator=(const Srs&) = delete;
};

struct CrsFacts {
    std::string definition;  // "EPSG:xxxx" when identified, else WKT2
    bool lonlat = false;
    BBox extent;
};

/// Identifies the CRS, decides whether it is WGS84 lon/lat, and computes the WGS84 extent.
CrsFacts crs_facts(OGRSpatialReferenceH file_srs, const SourceConfig& src, const detail::Grid& g) {
    Srs srs;
    if (!src.crs.empty()) {
        if (OSRSetFromUserInput(srs.h, src.crs.c_str()) != OGRERR_NONE)
            throw InvalidArgument(fmt::format("source '{}': unknown crs '{}'", src.name, src.crs));
    } else if (file_srs != nullptr) {
        OSRDestroySpatialReference(srs.h);
        srs.h = OSRClone(file_srs);
        OSRSetAxisMappingStrategy(srs.h, OAMS_TRADITIONAL_GIS_ORDER);
    } else {
        throw InvalidArgument(fmt::format(
            "source '{}': raster '{}' has no CRS; set crs (e.g. \"EPSG:2154\") in its config", src.name,
            src.path.string()));
    }
    CrsFacts facts;
    const char* auth = OSRGetAuthorityName(srs.h, nullptr);
    const char* code = OSRGetAuthorityCode(srs.h, nullptr);
    if (auth == nullptr || code == nullptr) {
        OSRAutoIdentifyEPSG(srs.h);
        auth = OSRGetAuthorityName(srs.h, nullptr);
        code = OSRGetAuthorityCode(srs.h, nullptr);
    }
    if (auth != nullptr && code != nullptr) {
        facts.definition = fmt::format("{}:{}", auth, code);
    } else {
        char* wkt = nullptr;
        const char* options[] = {"FORMAT=WKT2_2019", nullptr};
        OSRExportToWktEx(srs.h, &wkt, options);
        facts.definition = wkt != nullptr ? wkt : "";
        CPLFree(wkt);
    }
    Srs wgs84;
    OSRSetWellKnownGeogCS(wgs84.h, "WGS84");
    facts.lonlat = OSRIsGeographic(srs.h) != 0 && OSRIsSameGeogCS(srs.h, wgs84.h) != 0 &&
                   std::fabs(OSRGetAngularUnits(srs.h, nullptr) - 0.0174532925199433) < 1e-12;
    // WGS84 extent from a few points along the raster border.
    OGRCoordinateTransformationH ct = facts.lonlat ? nullptr : OCTNewCoordinateTransformation(srs.h, wgs84.h);
    constexpr int steps = 8;
    for (int i = 0; i <= steps; ++i) {
        for (int j = 0; j <= steps; ++j) {
            if (i != 0 && i != steps && j != 0 && j != steps) continue;
            const double px = g.width * static_cast<double>(i) / steps;
            const double py = g.height * static_cast<double>(j) / steps;
            double x = g.gt[0] + px * g.gt[1] + py * g.gt[2];
            double y = g.gt[3] + px * g.gt[4] + py * g.gt[5];
            if (ct != nullptr && OCTTransform(ct, 1, &x, &y, nullptr) == 0) continue;
            if (std::isfinite(x) && std::isfinite(y)) facts.extent.extend(x, y);
        }
    }
    if (ct != nullptr) OCTDestroyCoordinateTransformation(ct);
    return facts;
}

std::string file_name_for(const ResourceConfig& r, const SourceConfig& s) { return r.id + "." + s.name + ".dem"; }

void write_dem(const std::filesystem::path& out, Dataset& ds, int band, const detail::Grid& g, const CrsFacts& facts,
               const std::string& task, const core::Callbacks& cb) {
    auto* h = static_cast<GDALDatasetH>(ds.handle());
    GDALRasterBandH b = GDALGetRasterBand(h, band);
    int has_nodata = 0;
    const double nodata = GDALGetRasterNoDataValue(b, &has_nodata);
    const float nd = static_cast<float>(nodata);

    core::IndexFileWriter w(out, detail::dem_magic, detail::dem_version);
    detail::DemHeader hdr;
    hdr.width = g.width;
    hdr.height = g.height;
    hdr.flags = facts.lonlat ? detail::dem_flag_lonlat : 0U;
    hdr.crs_size = static_cast<std::uint32_t>(facts.definition.size());
    std::copy(g.gt.begin(), g.gt.end(), hdr.geotransform);
    const std::uint64_t after_crs = sizeof(detail::DemHeader) + facts.definition.size();
    hdr.grid_offset = (after_crs + 63U) / 64U * 64U;
    w.write_value(hdr);
    w.write(std::as_bytes(std::span<const char>(facts.definition.data(), facts.definition.size())));
    w.pad_to(64);
    if (w.payload_size() != hdr.grid_offset) throw Error(errc::internal, "dem grid offset mismatch");

    const std::uint32_t chunk = std::max<std::uint32_t>(1, (1U << 22U) / std::max<std::uint32_t>(g.width, 1));
    std::vector<float> rows;
    for (std::uint32_t y = 0; y < g.height; y += chunk) {
        cb.check_cancelled();
        const std::uint32_t n = std::min(chunk, g.height - y);
        rows.resize(std::size_t{g.width} * n);
        CPLErrorReset();
        if (GDALRasterIO(b, GF_Read, 0, static_cast<int>(y), static_cast<int>(g.width), static_cast<int>(n), rows.data(),
                         static_cast<int>(g.width), static_cast<int>(n), GDT_Float32, 0, 0) != CE_None)
            throw DependencyError(fmt::format("{}: cannot read rows {}..{}: {}", task, y, y + n, detail::gdal_last_error()));
        if (has_nodata != 0)
            for (float& v : rows)
                if (v == nd) v = std::numeric_limits<float>::quiet_NaN();
        w.write_array(std::span<const float>(rows));
        cb.report(task, y + n, g.height);
    }
    w.finish();
}

}  // namespace

Builder::Builder(BuildConfig config) : m_config(std::move(config)) {
    auto problems = m_config.validate();
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
}

void Builder::build(const std::filesystem::path& out_dir, const core::Callbacks& cb) const {
    detail::gdal_init();
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec) throw IoError(fmt::format("cannot create '{}': {}", out_dir.string(), ec.message()));

    nlohmann::json manifest;
    manifest["format_version"] = detail::dem_version;
    manifest["resources"] = nlohmann::json::array();
    for (const ResourceConfig& r : m_config.resources) {
        nlohmann::json jr;
        jr["id"] = r.id;
        jr["title"] = r.title;
        jr["description"] = r.description;
        jr["keywords"] = r.keywords;
        jr["nodata"] = r.nodata;
        jr["sources"] = nlohmann::json::array();
        // Highest priority first; ties keep the config order.
        std::vector<const SourceConfig*> order;
        for (const auto& s : r.sources) order.push_back(&s);
        std::stable_sort(order.begin(), order.end(),
                         [](const SourceConfig* a, const SourceConfig* b) { return a->priority > b->priority; });
        for (const SourceConfig* s : order) {
            const std::string task = fmt::format("altitude: {}/{}", r.id, s->name);
            cb.info(fmt::format("{}: reading {}", task, s->path.string()));
            Dataset ds(s->path);
            auto* h = static_cast<GDALDatasetH>(ds.handle());
            if (s->band < 1 || s->band > GDALGetRasterCount(h))
                throw InvalidArgument(fmt::format("source '{}': raster '{}' has no band {}", s->name, s->path.string(), s->band));
            detail::Grid g;
            g.width = static_cast<std::uint32_t>(GDALGetRasterXSize(h));
            g.height = static_cast<std::uint32_t>(GDALGetRasterYSize(h));
            if (GDALGetGeoTransform(h, g.gt.data()) != CE_None || !detail::invert_geotransform(g.gt, g.inv))
                throw FormatError(fmt::format("source '{}': raster '{}' has no usable geotransform", s->name, s->path.string()));
            const CrsFacts facts = crs_facts(GDALGetSpatialRef(h), *s, g);
            nlohmann::json js;
            js["name"] = s->name;
            js["title"] = s->title;
            js["accuracy"] = s->accuracy;
            js["priority"] = s->priority;
            js["storage"] = std::string(to_string(s->storage));
            js["crs"] = facts.definition;
            js["lonlat"] = facts.lonlat;
            js["width"] = g.width;
            js["height"] = g.height;
            js["geotransform"] = g.gt;
            js["band"] = s->band;
            js["extent"] = facts.extent.empty() ? nlohmann::json(nullptr)
                                                : nlohmann::json{facts.extent.min_x, facts.extent.min_y,
                                                                 facts.extent.max_x, facts.extent.max_y};
            if (s->storage == Storage::embed) {
                const std::string file = file_name_for(r, *s);
                write_dem(out_dir / file, ds, s->band, g, facts, task, cb);
                js["file"] = file;
            } else {
                js["path"] = std::filesystem::absolute(s->path).lexically_normal().string();
                cb.report(task, g.height, g.height);
            }
            jr["sources"].push_back(std::move(js));
        }
        manifest["resources"].push_back(std::move(jr));
    }
    const auto tmp = out_dir / "resources.json.tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << manifest.dump(2) << '\n';
        if (!out) throw IoError(fmt::format("cannot write '{}'", tmp.string()));
    }
    std::filesystem::rename(tmp, out_dir / "resources.json", ec);
    if (ec) throw IoError(fmt::format("cannot write '{}': {}", (out_dir / "resources.json").string(), ec.message()));
}

}  // namespace geoplex::altitude
