// geoplex::synth — Config, Summary and generate(): drives the two passes over the cells and
// writes every output. The procedural model itself lives in layout.cpp.

#include "geoplex/synth/synth.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <osmium/builder/osm_object_builder.hpp>
#include <osmium/io/pbf_output.hpp>
#include <osmium/io/writer.hpp>
#include <osmium/memory/buffer.hpp>
#include <osmium/osm/box.hpp>
#include <osmium/osm/timestamp.hpp>

#include "geoplex/core/crs.hpp"
#include "geoplex/core/error.hpp"
#include "synth/layout.hpp"

namespace geoplex::synth {

namespace fs = std::filesystem;
using detail::Layout;
using detail::RoadClass;

// ---- Config -------------------------------------------------------------------------------

namespace {

struct Preset {
    std::string_view name;
    std::uint64_t nodes;
};
constexpr Preset presets[] = {{"village", 1'000}, {"town", 20'000}, {"city", 200'000}, {"region", 1'000'000}};

}  // namespace

Config Config::from_size(std::string_view size) {
    Config c;
    for (const Preset& p : presets) {
        if (size == p.name) {
            c.road_nodes = p.nodes;
            c.label = std::string(p.name);
            return c;
        }
    }
    constexpr std::string_view suffix = "-nodes";
    if (size.size() > suffix.size() && size.substr(size.size() - suffix.size()) == suffix) {
        const std::string_view digits = size.substr(0, size.size() - suffix.size());
        std::uint64_t n = 0;
        const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        if (ec == std::errc() && ptr == digits.data() + digits.size()) {
            c.road_nodes = n;
            c.label = std::string(size);
            c.validate();
            return c;
        }
    }
    throw InvalidArgument(fmt::format(
        "unknown synthetic territory size '{}': expected village (~1 000 road nodes), town (~20 000), "
        "city (~200 000), region (~1 000 000) or '<N>-nodes' such as '5000000-nodes'", size));
}

void Config::validate() const {
    std::vector<std::string> problems;
    if (road_nodes < min_road_nodes || road_nodes > max_road_nodes)
        problems.push_back(fmt::format("road_nodes is {} but must be between {} and {}", road_nodes, min_road_nodes, max_road_nodes));
    // EPSG:2154's area of use (metropolitan France), so that Lambert-93 addresses make sense.
    if (!(origin.lon >= -9.86 && origin.lon <= 8.0 && origin.lat >= 41.15 && origin.lat <= 50.0))
        problems.push_back(fmt::format("origin ({}, {}) must lie in metropolitan France: lon in [-9.86, 8.0], lat in [41.15, 50.0]",
                                       origin.lon, origin.lat));
    if (!(dem_resolution_m >= 1.0 && dem_resolution_m <= 1000.0))
        problems.push_back(fmt::format("dem_resolution_m is {} but must be between 1 and 1000", dem_resolution_m));
    if (dem_max_size < 16 || dem_max_size > 65536)
        problems.push_back(fmt::format("dem_max_size is {} but must be between 16 and 65536", dem_max_size));
    if (!(basemap_resolution_m >= 1.0 && basemap_resolution_m <= 1000.0))
        problems.push_back(fmt::format("basemap_resolution_m is {} but must be between 1 and 1000", basemap_resolution_m));
    if (basemap_max_size < 16 || basemap_max_size > 16384)
        problems.push_back(fmt::format("basemap_max_size is {} but must be between 16 and 16384", basemap_max_size));
    if (!(address_spacing_m >= 5.0 && address_spacing_m <= 1000.0))
        problems.push_back(fmt::format("address_spacing_m is {} but must be between 5 and 1000", address_spacing_m));
    if (write_bundle && !write_dem) problems.emplace_back("write_bundle needs write_dem (the bundle references dem.tif)");
    for (char ch : label)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_')) {
            problems.push_back(fmt::format("label '{}' may only contain letters, digits, '-' and '_'", label));
            break;
        }
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
}

std::string Config::effective_label() const {
    if (!label.empty()) return label;
    for (const Preset& p : presets)
        if (p.nodes == road_nodes) return std::string(p.name);
    return fmt::format("{}-nodes", road_nodes);
}

std::string Summary::to_string() const {
    std::string s = fmt::format("synthetic territory '{}'\n", name);
    s += fmt::format("  grid: {} x {} cells of {:.0f} m (one town and one commune each)\n", grid_columns, grid_rows, cell_size_m);
    s += fmt::format("  bbox: {:.6f},{:.6f} - {:.6f},{:.6f} (lon/lat)\n", bbox.min_x, bbox.min_y, bbox.max_x, bbox.max_y);
    s += fmt::format("  osm: {} nodes, {} ways, {} relations\n", nodes, ways, relations);
    s += fmt::format("  addresses: {} on {} streets; communes: {}; pois: {}\n", addresses, streets, communes, pois);
    if (dem_width > 0) s += fmt::format("  dem: {} x {} px at {:.1f} m\n", dem_width, dem_height, dem_resolution_m);
    if (basemap_width > 0) s += fmt::format("  basemap: {} x {} px\n", basemap_width, basemap_height);
    for (const auto* p : {&roads, &addresses_csv, &dem, &layers, &basemap, &bundle})
        if (!p->empty()) s += fmt::format("  wrote {}\n", p->string());
    s += fmt::format("  in {:.2f} s\n", seconds);
    return s;
}

// ---- helpers ------------------------------------------------------------------------------

namespace {

/// Fixed metadata of every OSM object, so files do not depend on the clock.
constexpr const char* osm_timestamp = "2024-01-01T00:00:00Z";
/// Written into the GeoPackage instead of the current date.
constexpr const char* fixed_date = "2024-01-01T00:00:00.000Z";
constexpr double raster_margin_m = 1000.0;

[[noreturn]] void gdal_fail(const std::string& what) {
    throw DependencyError(fmt::format("GDAL: {}: {}", what, CPLGetLastErrorMsg()));
}

struct GdalCloser {
    void operator()(GDALDataset* ds) const { if (ds != nullptr) GDALClose(GDALDataset::ToHandle(ds)); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, GdalCloser>;

/// Closes (and so flushes) a dataset, reporting GDAL's failure as an exception.
void close_dataset(DatasetPtr& ds, const std::string& what) {
    CPLErrorReset();
    GDALClose(GDALDataset::ToHandle(ds.release()));
    if (CPLGetLastErrorType() >= CE_Failure) gdal_fail("closing " + what);
}

struct CslList {
    char** list = nullptr;
    CslList() = default;
    CslList(const CslList&) = delete;
    CslList& operator=(const CslList&) = delete;
    ~CslList() { CSLDestroy(list); }
    CslList& set(const char* k, const char* v) { list = CSLSetNameValue(list, k, v); return *this; }
};

/// Sets a GDAL config option for this thread for the lifetime of the object.
class ScopedConfig {
public:
    ScopedConfig(const char* key, const char* value) : m_key(key) {
        if (const char* old = CPLGetThreadLocalConfigOption(key, nullptr)) {
            m_old = old;
            m_had = true;
        }
        CPLSetThreadLocalConfigOption(key, value);
    }
    ~ScopedConfig() { CPLSetThreadLocalConfigOption(m_key, m_had ? m_old.c_str() : nullptr); }
    ScopedConfig(const ScopedConfig&) = delete;
    ScopedConfig& operator=(const ScopedConfig&) = delete;

private:
    const char* m_key;
    std::string m_old;
    bool m_had = false;
};

OGRSpatialReference wgs84() {
    OGRSpatialReference srs;
    if (srs.importFromEPSG(4326) != OGRERR_NONE) gdal_fail("EPSG:4326 unknown");
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

/// A raster covering the territory plus a margin, in EPSG:4326 with square metre-sized pixels.
struct RasterFrame {
    double res = 25;  // metres
    std::uint32_t width = 0, height = 0;
    double x0 = 0, y1 = 0;  // local metres of the top-left corner
    static RasterFrame make(const Layout& L, double res_m, std::uint32_t max_size) {
        RasterFrame f;
        const double w = L.width() + 2 * raster_margin_m, h = L.height() + 2 * raster_margin_m;
        f.res = std::max(res_m, std::max(w, h) / max_size);
        f.width = static_cast<std::uint32_t>(std::ceil(w / f.res - 1e-9));
        f.height = static_cast<std::uint32_t>(std::ceil(h / f.res - 1e-9));
        f.x0 = -raster_margin_m;
        f.y1 = L.height() + raster_margin_m;
        return f;
    }
    [[nodiscard]] double x(double col) const { return x0 + col * res; }
    [[nodiscard]] double y(double row) const { return y1 - row * res; }
    void geotransform(const Layout& L, double gt[6]) const {
        const core::LonLat tl = L.to_lonlat(x0, y1);
        gt[0] = tl.lon;
        gt[1] = res / L.m_per_deg_lon;
        gt[2] = 0;
        gt[3] = tl.lat;
        gt[4] = 0;
        gt[5] = -res / L.m_per_deg_lat;
    }
};

GDALDriver* driver(const char* name) {
    GDALAllRegister();
    GDALDriver* d = GetGDALDriverManager()->GetDriverByName(name);
    if (d == nullptr) throw DependencyError(fmt::format("GDAL has no {} driver", name));
    return d;
}

void write_dem(const Layout& L, const RasterFrame& f, const fs::path& path, const core::Callbacks& cb) {
    CslList opts;
    opts.set("TILED", "YES").set("BLOCKXSIZE", "256").set("BLOCKYSIZE", "256").set("COMPRESS", "DEFLATE").set("PREDICTOR", "3");
    DatasetPtr ds(driver("GTiff")->Create(path.string().c_str(), static_cast<int>(f.width), static_cast<int>(f.height), 1,
                                         GDT_Float32, opts.list));
    if (!ds) gdal_fail("cannot create " + path.string());
    double gt[6];
    f.geotransform(L, gt);
    ds->SetGeoTransform(gt);
    const OGRSpatialReference srs = wgs84();
    ds->SetSpatialRef(&srs);
    GDALRasterBand* band = ds->GetRasterBand(1);
    band->SetNoDataValue(-9999.0);
    band->SetDescription("elevation (m)");
    const std::uint32_t strip = 256;
    std::vector<float> buf;
    const std::uint32_t strips = (f.height + strip - 1) / strip;
    for (std::uint32_t s = 0; s < strips; ++s) {
        cb.check_cancelled();
        const std::uint32_t r0 = s * strip, rows = std::min(strip, f.height - r0);
        buf.resize(static_cast<std::size_t>(rows) * f.width);
        for (std::uint32_t r = 0; r < rows; ++r) {
            const double y = f.y(r0 + r + 0.5);
            for (std::uint32_t c = 0; c < f.width; ++c)
                buf[static_cast<std::size_t>(r) * f.width + c] = static_cast<float>(L.elevation(f.x(c + 0.5), y));
        }
        if (band->RasterIO(GF_Write, 0, static_cast<int>(r0), static_cast<int>(f.width), static_cast<int>(rows), buf.data(),
                           static_cast<int>(f.width), static_cast<int>(rows), GDT_Float32, 0, 0, nullptr) != CE_None)
            gdal_fail("writing " + path.string());
        ds->FlushCache(false);
        cb.report("synth: dem", s + 1, strips);
    }
    close_dataset(ds, path.string());
}

/// The basemap, rendered in memory (bounded by Config::basemap_max_size).
class Basemap {
public:
    Basemap(const Layout& L, const RasterFrame& f) : m_L(L), m_f(f), m_px(static_cast<std::size_t>(f.width) * f.height * 3) {}

    void land(const core::Callbacks& cb) {
        // Rows of elevations, one evaluation per pixel: the hillshade uses the pixel to the east
        // and the row above (north).
        std::vector<double> above(m_f.width + 1), here(m_f.width + 1);
        auto fill = [&](std::vector<double>& row, double y) {
            for (std::uint32_t c = 0; c <= m_f.width; ++c) row[c] = m_L.elevation(m_f.x(c + 0.5), y);
        };
        fill(above, m_f.y(-0.5));
        for (std::uint32_t r = 0; r < m_f.height; ++r) {
            if (r % 64 == 0) {
                cb.check_cancelled();
                cb.report("synth: basemap", r, m_f.height);
            }
            const double y = m_f.y(r + 0.5);
            fill(here, y);
            const double river = m_L.river_x(y);
            const double river_half = std::max(15.0, m_f.res * 0.6);
            for (std::uint32_t c = 0; c < m_f.width; ++c) {
                const double x = m_f.x(c + 0.5);
                const double h = here[c];
                // Hillshade from the north-west, then a hypsometric tint.
                const double dzx = here[c + 1] - h, dzy = above[c] - h;
                const double shade = std::clamp(1.0 + (-dzx + dzy) / m_f.res * 0.8, 0.55, 1.25);
                const double t = std::clamp((h - 250.0) / 700.0, 0.0, 1.0);
                const double R = 150 + 90 * t, G = 190 - 30 * t, B = 120 - 10 * t;
                set(c, r, R * shade, G * shade, B * shade);
                if (std::abs(x - river) < river_half && y >= 0 && y <= m_L.height()) set(c, r, 70, 130, 200);
            }
            std::swap(above, here);
        }
        cb.report("synth: basemap", m_f.height, m_f.height);
    }

    void line(core::XY a, core::XY b, RoadClass cls) {
        std::uint8_t R = 255, G = 255, B = 255;
        double width_m = 8;
        switch (cls) {
            case RoadClass::motorway: R = 220; G = 60; B = 60; width_m = 30; break;
            case RoadClass::motorway_link: R = 220; G = 90; B = 90; width_m = 14; break;
            case RoadClass::trunk: R = 235; G = 120; B = 60; width_m = 20; break;
            case RoadClass::primary: R = 245; G = 160; B = 70; width_m = 16; break;
            case RoadClass::secondary: R = 245; G = 210; B = 90; width_m = 14; break;
            case RoadClass::river: R = 70; G = 130; B = 200; width_m = 25; break;
            case RoadClass::footway: case RoadClass::path: case RoadClass::track: R = 160; G = 120; B = 90; width_m = 3; break;
            default: break;
        }
        const double half = std::max(0.5, width_m / m_f.res / 2);
        const double ax = (a.x - m_f.x0) / m_f.res, ay = (m_f.y1 - a.y) / m_f.res;
        const double bx = (b.x - m_f.x0) / m_f.res, by = (m_f.y1 - b.y) / m_f.res;
        const int steps = static_cast<int>(std::ceil(std::max(std::abs(bx - ax), std::abs(by - ay)))) + 1;
        const int rad = static_cast<int>(std::floor(half));
        for (int s = 0; s <= steps; ++s) {
            const double t = static_cast<double>(s) / steps;
            const int cx = static_cast<int>(std::floor(ax + (bx - ax) * t)), cy = static_cast<int>(std::floor(ay + (by - ay) * t));
            for (int dy = -rad; dy <= rad; ++dy)
                for (int dx = -rad; dx <= rad; ++dx)
                    if (cx + dx >= 0 && cy + dy >= 0 && cx + dx < static_cast<int>(m_f.width) && cy + dy < static_cast<int>(m_f.height))
                        set(static_cast<std::uint32_t>(cx + dx), static_cast<std::uint32_t>(cy + dy), R, G, B);
        }
    }

    void write(const fs::path& path) {
        CslList opts;
        opts.set("TILED", "YES").set("COMPRESS", "DEFLATE").set("PREDICTOR", "2").set("PHOTOMETRIC", "RGB").set("INTERLEAVE", "PIXEL");
        DatasetPtr ds(driver("GTiff")->Create(path.string().c_str(), static_cast<int>(m_f.width), static_cast<int>(m_f.height), 3,
                                             GDT_Byte, opts.list));
        if (!ds) gdal_fail("cannot create " + path.string());
        double gt[6];
        m_f.geotransform(m_L, gt);
        ds->SetGeoTransform(gt);
        const OGRSpatialReference srs = wgs84();
        ds->SetSpatialRef(&srs);
        int bands[3] = {1, 2, 3};
        if (ds->RasterIO(GF_Write, 0, 0, static_cast<int>(m_f.width), static_cast<int>(m_f.height), m_px.data(),
                         static_cast<int>(m_f.width), static_cast<int>(m_f.height), GDT_Byte, 3, bands, 3,
                         static_cast<GSpacing>(m_f.width) * 3, 1, nullptr) != CE_None)
            gdal_fail("writing " + path.string());
        close_dataset(ds, path.string());
    }

private:
    void set(std::uint32_t c, std::uint32_t r, double R, double G, double B) {
        const std::size_t i = (static_cast<std::size_t>(r) * m_f.width + c) * 3;
        m_px[i] = static_cast<std::uint8_t>(std::clamp(R, 0.0, 255.0));
        m_px[i + 1] = static_cast<std::uint8_t>(std::clamp(G, 0.0, 255.0));
        m_px[i + 2] = static_cast<std::uint8_t>(std::clamp(B, 0.0, 255.0));
    }
    const Layout& m_L;
    RasterFrame m_f;
    std::vector<std::uint8_t> m_px;
};

/// layers.gpkg: communes (polygons) and pois (points), EPSG:4326.
class Layers {
public:
    Layers(const Layout& L, const fs::path& path) : m_L(L), m_date("OGR_CURRENT_DATE", fixed_date) {
        m_ds.reset(driver("GPKG")->Create(path.string().c_str(), 0, 0, 0, GDT_Unknown, nullptr));
        if (!m_ds) gdal_fail("cannot create " + path.string());
        OGRSpatialReference srs = wgs84();
        CslList lo;
        lo.set("FID", "fid").set("GEOMETRY_NAME", "geom").set("SPATIAL_INDEX", "YES");
        m_communes = m_ds->CreateLayer("communes", &srs, wkbPolygon, lo.list);
        m_pois = m_ds->CreateLayer("pois", &srs, wkbPoint, lo.list);
        if (m_communes == nullptr || m_pois == nullptr) gdal_fail("creating layers in " + path.string());
        field(m_communes, "code_insee", OFTString);
        field(m_communes, "nom", OFTString);
        field(m_communes, "code_postal", OFTString);
        field(m_communes, "population", OFTInteger);
        field(m_pois, "nom", OFTString);
        field(m_pois, "categorie", OFTString);
        field(m_pois, "code_insee", OFTString);
        if (m_ds->StartTransaction() != OGRERR_NONE) gdal_fail("starting a transaction");
    }

    void add(std::uint32_t c, const detail::CellGeometry& g) {
        const std::string insee = detail::commune_insee(c), name = detail::commune_name(m_L.seed, c);
        {
            OGRFeature f(m_communes->GetLayerDefn());
            f.SetField("code_insee", insee.c_str());
            f.SetField("nom", name.c_str());
            f.SetField("code_postal", detail::commune_postcode(c).c_str());
            f.SetField("population", static_cast<int>(m_L.towns[c].population));
            OGRLinearRing ring;
            const std::uint32_t i = c % m_L.cols, j = c / m_L.cols;
            auto add_pt = [&](core::XY p) {
                const core::LonLat ll = m_L.to_lonlat(p.x, p.y);
                ring.addPoint(ll.lon, ll.lat);
            };
            add_pt(corner(i, j));
            add_pt(hmid(i, j));
            add_pt(corner(i + 1, j));
            add_pt(vmid(i + 1, j));
            add_pt(corner(i + 1, j + 1));
            add_pt(hmid(i, j + 1));
            add_pt(corner(i, j + 1));
            add_pt(vmid(i, j));
            ring.closeRings();
            OGRPolygon poly;
            poly.addRing(&ring);
            f.SetGeometry(&poly);
            if (m_communes->CreateFeature(&f) != OGRERR_NONE) gdal_fail("writing a commune");
        }
        for (const detail::Poi& p : g.pois) {
            OGRFeature f(m_pois->GetLayerDefn());
            f.SetField("nom", p.name.c_str());
            f.SetField("categorie", p.category);
            f.SetField("code_insee", insee.c_str());
            const core::LonLat ll = m_L.to_lonlat(p.at.x, p.at.y);
            OGRPoint pt(ll.lon, ll.lat);
            f.SetGeometry(&pt);
            if (m_pois->CreateFeature(&f) != OGRERR_NONE) gdal_fail("writing a poi");
            ++m_poi_count;
        }
        if (++m_pending >= 64) {
            if (m_ds->CommitTransaction() != OGRERR_NONE || m_ds->StartTransaction() != OGRERR_NONE) gdal_fail("committing");
            m_pending = 0;
        }
    }

    void close() {
        if (m_ds->CommitTransaction() != OGRERR_NONE) gdal_fail("committing");
        close_dataset(m_ds, "the GeoPackage");
    }
    [[nodiscard]] std::uint64_t pois() const { return m_poi_count; }

private:
    static void field(OGRLayer* layer, const char* name, OGRFieldType type) {
        OGRFieldDefn d(name, type);
        if (layer->CreateField(&d) != OGRERR_NONE) gdal_fail(std::string("creating field ") + name);
    }
    // Commune boundaries: the cell grid with jittered shared corners and edge midpoints, so
    // neighbouring polygons match exactly; the territory's outline stays straight.
    [[nodiscard]] double jitter() const { return std::min(0.08 * m_L.cell, 450.0); }
    [[nodiscard]] core::XY corner(std::uint32_t i, std::uint32_t j) const {
        core::XY p{i * m_L.cell, j * m_L.cell};
        if (i > 0 && i < m_L.cols) p.x += (detail::unit(detail::hash(m_L.seed, 0xc0, i, j)) - 0.5) * 2 * jitter();
        if (j > 0 && j < m_L.rows) p.y += (detail::unit(detail::hash(m_L.seed, 0xc1, i, j)) - 0.5) * 2 * jitter();
        return p;
    }
    [[nodiscard]] core::XY hmid(std::uint32_t i, std::uint32_t j) const {  // edge (i,j)-(i+1,j)
        const core::XY a = corner(i, j), b = corner(i + 1, j);
        core::XY m{(a.x + b.x) / 2, (a.y + b.y) / 2};
        if (j > 0 && j < m_L.rows) m.y += (detail::unit(detail::hash(m_L.seed, 0xe1, i, j)) - 0.5) * 1.5 * jitter();
        return m;
    }
    [[nodiscard]] core::XY vmid(std::uint32_t i, std::uint32_t j) const {  // edge (i,j)-(i,j+1)
        const core::XY a = corner(i, j), b = corner(i, j + 1);
        core::XY m{(a.x + b.x) / 2, (a.y + b.y) / 2};
        if (i > 0 && i < m_L.cols) m.x += (detail::unit(detail::hash(m_L.seed, 0xe2, i, j)) - 0.5) * 1.5 * jitter();
        return m;
    }

    const Layout& m_L;
    ScopedConfig m_date;
    DatasetPtr m_ds;
    OGRLayer* m_communes = nullptr;
    OGRLayer* m_pois = nullptr;
    std::uint64_t m_poi_count = 0;
    int m_pending = 0;
};

/// addresses.csv in the BAN "adresses" layout.
class AddressWriter {
public:
    static constexpr const char* header =
        "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;"
        "nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;"
        "source_position;source_nom_voie;certification_commune;cad_parcelles\n";

    AddressWriter(const Layout& L, const fs::path& path, double spacing)
        : m_L(L), m_spacing(spacing), m_out(path, std::ios::binary), m_l93("EPSG:4326", "EPSG:2154") {
        if (!m_out) throw IoError("cannot write " + path.string());
        m_out << header;
    }

    void add(std::uint32_t c, const detail::CellGeometry& g) {
        struct Row { std::uint32_t street; std::uint32_t number; const char* rep; core::XY at; };
        std::vector<Row> rows;
        for (std::uint32_t s = 0; s < g.streets.size(); ++s) {
            const auto& line = g.streets[s].line;
            double along = m_spacing / 2;  // distance of the next number pair from the start
            double walked = 0;
            std::uint32_t k = 0;
            for (std::size_t i = 0; i + 1 < line.size(); ++i) {
                const core::XY a = line[i], b = line[i + 1];
                const double len = std::hypot(b.x - a.x, b.y - a.y);
                if (len <= 0) continue;
                const double ux = (b.x - a.x) / len, uy = (b.y - a.y) / len;
                while (along <= walked + len) {
                    const double t = along - walked;
                    const core::XY p{a.x + ux * t, a.y + uy * t};
                    // Odd numbers on the left, even on the right, both increasing along the street.
                    for (int side = 0; side < 2; ++side) {
                        const double off = side == 0 ? 9.0 : -9.0;
                        const std::uint32_t number = 2 * k + 1 + static_cast<std::uint32_t>(side);
                        const core::XY q{p.x - uy * off, p.y + ux * off};
                        rows.push_back({s, number, "", q});
                        const std::uint64_t h = detail::hash(m_L.seed, c, s, number);
                        if (detail::unit(h) < 0.05) {
                            rows.push_back({s, number, "bis", {q.x + ux * 5, q.y + uy * 5}});
                            if (detail::unit(detail::mix(h)) < 0.3) {
                                rows.push_back({s, number, "ter", {q.x + ux * 9, q.y + uy * 9}});
                                if (detail::unit(detail::mix(h + 1)) < 0.3)
                                    rows.push_back({s, number, "quater", {q.x + ux * 13, q.y + uy * 13}});
                            }
                        }
                    }
                    ++k;
                    along += m_spacing;
                }
                walked += len;
            }
        }
        if (rows.empty()) return;
        std::vector<double> lon(rows.size()), lat(rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const core::LonLat ll = m_L.to_lonlat(rows[i].at.x, rows[i].at.y);
            // Round first so that lon/lat in the file and x/y describe the same point.
            lon[i] = std::round(ll.lon * 1e6) / 1e6;
            lat[i] = std::round(ll.lat * 1e6) / 1e6;
        }
        std::vector<double> x = lon, y = lat;
        m_l93.transform(x, y);
        const std::string insee = detail::commune_insee(c), postcode = detail::commune_postcode(c);
        const std::string commune = detail::commune_name(m_L.seed, c), upper = detail::afnor(commune);
        const bool certified = detail::hash(m_L.seed, c, 0xce) % 2 == 0;
        std::vector<std::string> afnor_names(g.streets.size());
        for (std::size_t s = 0; s < g.streets.size(); ++s) afnor_names[s] = detail::afnor(g.streets[s].name);
        fmt::memory_buffer out;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const Row& r = rows[i];
            const auto& st = g.streets[r.street];
            if (!std::isfinite(x[i]) || !std::isfinite(y[i])) throw DependencyError("PROJ could not project an address to EPSG:2154");
            fmt::format_to(std::back_inserter(out), "{}_{:04}_{:05}{}{};{}_{:04};{};{};{};{};{};{};;;{:.2f};{:.2f};{:.6f};{:.6f};entrée;;;{};{};commune;commune;{};\n",
                           insee, st.code, r.number, *r.rep ? "_" : "", r.rep, insee, st.code, r.number, r.rep, st.name, postcode,
                           insee, commune, x[i], y[i], lon[i], lat[i], upper, afnor_names[r.street], certified ? 1 : 0);
        }
        m_out.write(out.data(), static_cast<std::streamsize>(out.size()));
        m_count += rows.size();
    }
    void close() {
        m_out.close();
        if (!m_out) throw IoError("error writing addresses.csv");
    }
    [[nodiscard]] std::uint64_t count() const { return m_count; }

private:
    const Layout& m_L;
    double m_spacing;
    std::ofstream m_out;
    core::CrsTransform m_l93;
    std::uint64_t m_count = 0;
};

/// Writes OSM objects in big buffers; every object carries the same fixed metadata.
class OsmWriter {
public:
    OsmWriter(const fs::path& path, const core::BBox& box)
        : m_ts(osm_timestamp), m_writer(make_file(path), make_header(box), osmium::io::overwrite::allow) {}

    void node(std::uint64_t id, core::LonLat p, const detail::Tags* tags = nullptr) {
        {
            osmium::builder::NodeBuilder b{m_buf};
            b.set_id(static_cast<osmium::object_id_type>(id)).set_version(1).set_changeset(1).set_timestamp(m_ts).set_uid(1);
            b.set_location(osmium::Location{p.lon, p.lat});
            b.set_user("geoplex");
            if (tags != nullptr) {
                osmium::builder::TagListBuilder tl{b};
                for (const auto& [k, v] : *tags) tl.add_tag(k, v);
            }
        }
        commit();
    }
    void way(std::uint64_t id, const std::vector<std::uint64_t>& refs, const detail::Tags& tags) {
        {
            osmium::builder::WayBuilder b{m_buf};
            b.set_id(static_cast<osmium::object_id_type>(id)).set_version(1).set_changeset(1).set_timestamp(m_ts).set_uid(1);
            b.set_user("geoplex");
            {
                osmium::builder::WayNodeListBuilder wl{b};
                for (std::uint64_t r : refs) wl.add_node_ref(static_cast<osmium::object_id_type>(r));
            }
            osmium::builder::TagListBuilder tl{b};
            for (const auto& [k, v] : tags) tl.add_tag(k, v);
        }
        commit();
    }
    void restriction(std::uint64_t id, std::uint64_t from, std::uint64_t via, std::uint64_t to, const char* type) {
        {
            osmium::builder::RelationBuilder b{m_buf};
            b.set_id(static_cast<osmium::object_id_type>(id)).set_version(1).set_changeset(1).set_timestamp(m_ts).set_uid(1);
            b.set_user("geoplex");
            {
                osmium::builder::RelationMemberListBuilder ml{b};
                ml.add_member(osmium::item_type::way, static_cast<osmium::object_id_type>(from), "from");
                ml.add_member(osmium::item_type::node, static_cast<osmium::object_id_type>(via), "via");
                ml.add_member(osmium::item_type::way, static_cast<osmium::object_id_type>(to), "to");
            }
            osmium::builder::TagListBuilder tl{b};
            tl.add_tag("type", "restriction");
            tl.add_tag("restriction", type);
        }
        commit();
    }
    void close() {
        if (m_buf.committed() > 0) m_writer(std::move(m_buf));
        m_writer.close();
    }

private:
    static osmium::io::File make_file(const fs::path& path) { return osmium::io::File{path.string(), "pbf"}; }
    static osmium::io::Header make_header(const core::BBox& box) {
        osmium::io::Header h;
        h.set("generator", "geoplex-synth");
        h.set("sorting", "Type_then_ID");
        h.add_box(osmium::Box{box.min_x, box.min_y, box.max_x, box.max_y});
        return h;
    }
    void commit() {
        m_buf.commit();
        if (m_buf.committed() > buffer_size - 64 * 1024) {
            m_writer(std::move(m_buf));
            m_buf = osmium::memory::Buffer{buffer_size, osmium::memory::Buffer::auto_grow::yes};
        }
    }
    static constexpr std::size_t buffer_size = 4U << 20U;
    osmium::Timestamp m_ts;
    osmium::io::Writer m_writer;
    osmium::memory::Buffer m_buf{buffer_size, osmium::memory::Buffer::auto_grow::yes};
};

std::uint64_t count_nodes(const Layout& L, const core::Callbacks& cb) {
    std::uint64_t n = 0;
    for (std::uint32_t c = 0; c < L.cells(); ++c) {
        if (c % 64 == 0) cb.check_cancelled();
        n += detail::build_cell(L, c, false).nodes.size();
    }
    return n;
}

/// Plans the layout so that the node count lands close to the target: the per-cell overhead
/// (roads between towns, motorway, river) is measured, then the town budget corrected.
Layout plan(const Config& config, const core::Callbacks& cb) {
    const double target = static_cast<double>(config.road_nodes);
    double budget = 0.7 * target;
    Layout L = detail::make_layout(config.seed, config.origin, config.road_nodes, budget);
    for (int round = 0; round < 4; ++round) {
        const double n = static_cast<double>(count_nodes(L, cb));
        if (std::abs(n - target) <= 0.02 * target) break;
        budget = std::max(1.0, budget + (target - n));
        L = detail::make_layout(config.seed, config.origin, config.road_nodes, budget);
    }
    return L;
}

void write_bundle(const Config& config, const Summary& s, const fs::path& path) {
    std::ofstream out(path, std::ios::binary);
    out << "# Bundle spec of a synthetic territory written by geoplex synth (seed " << config.seed << ").\n"
        << "# Build it with: geoplex build bundle.toml -o BUNDLE\n"
        << "name = \"" << s.name << "\"\n\n"
        << "[altitude]\n"
        << "[[altitude.resources]]\n"
        << "id = \"synth_dem\"\n"
        << "title = \"Synthetic DEM\"\n"
        << "description = \"Synthetic terrain of a fictional territory (value-noise hills, a river valley), EPSG:4326, "
        << fmt::format("{}x{} px", s.dem_width, s.dem_height) << "\"\n"
        << "keywords = [\"Altitude\", \"Synthetic\"]\n"
        << "[[altitude.resources.sources]]\n"
        << "name = \"dem\"\n"
        << "path = \"dem.tif\"\n"
        << "priority = 1\n"
        << "storage = \"embed\"\n"
        << "title = \"" << fmt::format("Synthetic DEM {:.0f} m", s.dem_resolution_m) << "\"\n"
        << "accuracy = \"Synthetic\"\n";
    // Every other component whose source files were written.
    if (config.write_roads) {
        out << "\n[routing]\n"
            << "[[routing.resources]]\n"
            << "id = \"synth-osm\"\n"
            << "title = \"Synthetic road network\"\n"
            << "format = \"osm\"\n"
            << "path = \"roads.osm.pbf\"\n"
            << "profiles = [\"car\", \"pedestrian\"]\n"
            << "optimizations = [\"fastest\", \"shortest\"]\n"
            << "crs = [\"EPSG:4326\", \"EPSG:2154\"]\n";
    }
    if (config.write_addresses) {
        out << "\n[geocoder]\n"
            << "[[geocoder.sources]]\n"
            << "format = \"ban-csv\"\n"
            << "path = \"addresses.csv\"\n";
    }
    if (config.write_basemap || config.write_layers) {
        out << "\n[tiles]\n";
        if (config.write_basemap)
            out << "[[tiles.raster]]\nid = \"basemap\"\npath = \"basemap.tif\"\nstyle = \"bands\"\nformat = \"png\"\n"
                << "tile_matrix_set = \"PM\"\nmax_zoom = 15\n";
        out << "[[tiles.raster]]\nid = \"relief\"\npath = \"dem.tif\"\nstyle = \"hillshade\"\nformat = \"png\"\n"
            << "tile_matrix_set = \"PM\"\nmax_zoom = 14\n";
        if (config.write_layers)
            out << "[[tiles.vector]]\nid = \"communes\"\npath = \"layers.gpkg\"\nmax_zoom = 14\n";
    }
    out.close();
    if (!out) throw IoError("cannot write " + path.string());
}

}  // namespace

Summary generate(const Config& config, const fs::path& out_dir, const core::Callbacks& callbacks) {
    const auto started = std::chrono::steady_clock::now();
    config.validate();
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec || !fs::is_directory(out_dir)) throw IoError(fmt::format("cannot create output directory {}: {}", out_dir.string(), ec.message()));

    const Layout L = plan(config, callbacks);
    Summary s;
    s.name = fmt::format("synthetic-{}-seed-{}", config.effective_label(), config.seed);
    s.grid_columns = L.cols;
    s.grid_rows = L.rows;
    s.cell_size_m = L.cell;
    s.communes = L.cells();
    // Padded by 1e-6° (~0.1 m) so that nodes on the edge stay inside after the PBF's 1e-7° rounding.
    const core::LonLat sw = L.to_lonlat(0, 0), ne = L.to_lonlat(L.width(), L.height());
    s.bbox = core::BBox::of(sw.lon - 1e-6, sw.lat - 1e-6, ne.lon + 1e-6, ne.lat + 1e-6);
    callbacks.info(fmt::format("synth: {} x {} cells of {:.0f} m", L.cols, L.rows, L.cell));

    if (config.write_dem) {
        const RasterFrame f = RasterFrame::make(L, config.dem_resolution_m, config.dem_max_size);
        s.dem = out_dir / "dem.tif";
        write_dem(L, f, s.dem, callbacks);
        s.dem_width = f.width;
        s.dem_height = f.height;
        s.dem_resolution_m = f.res;
    }
    std::unique_ptr<Basemap> basemap;
    RasterFrame bf;
    if (config.write_basemap) {
        bf = RasterFrame::make(L, config.basemap_resolution_m, config.basemap_max_size);
        basemap = std::make_unique<Basemap>(L, bf);
        basemap->land(callbacks);
        s.basemap_width = bf.width;
        s.basemap_height = bf.height;
    }

    const std::uint32_t cells = L.cells();
    const std::uint64_t total = 2ULL * cells;
    // Pass 1: nodes, cell by cell; remembers where each cell's ids start.
    std::vector<std::uint64_t> first_node(cells + 1, 1);
    std::unique_ptr<OsmWriter> osm;
    if (config.write_roads) {
        s.roads = out_dir / "roads.osm.pbf";
        osm = std::make_unique<OsmWriter>(s.roads, s.bbox);
    }
    for (std::uint32_t c = 0; c < cells; ++c) {
        callbacks.check_cancelled();
        const auto g = detail::build_cell(L, c, false);
        if (osm) {
            auto tagged = g.node_tags.begin();
            for (std::size_t i = 0; i < g.nodes.size(); ++i) {
                const detail::Tags* tags = nullptr;
                if (tagged != g.node_tags.end() && tagged->first == i) tags = &(tagged++)->second;
                osm->node(first_node[c] + i, L.to_lonlat(g.nodes[i].x, g.nodes[i].y), tags);
            }
        }
        first_node[c + 1] = first_node[c] + g.nodes.size();
        callbacks.report("synth: roads", c + 1, total);
    }
    s.nodes = first_node[cells] - 1;

    // Pass 2: each cell rebuilt with details; ways, addresses, layers, basemap lines.
    std::unique_ptr<AddressWriter> addresses;
    if (config.write_addresses) {
        s.addresses_csv = out_dir / "addresses.csv";
        addresses = std::make_unique<AddressWriter>(L, s.addresses_csv, config.address_spacing_m);
    }
    std::unique_ptr<Layers> layers;
    if (config.write_layers) {
        s.layers = out_dir / "layers.gpkg";
        fs::remove(s.layers, ec);  // the GPKG driver refuses to overwrite
        layers = std::make_unique<Layers>(L, s.layers);
    }
    struct PendingRestriction { std::uint64_t from, via, to; const char* type; };
    std::vector<PendingRestriction> restrictions;
    std::uint64_t way_id = 1;
    std::vector<std::uint64_t> refs;
    for (std::uint32_t c = 0; c < cells; ++c) {
        callbacks.check_cancelled();
        const auto g = detail::build_cell(L, c, true);
        const std::uint64_t first_way = way_id;
        for (const auto& w : g.ways) {
            refs.clear();
            for (const detail::Ref& r : w.refs) refs.push_back(first_node[r.cell] + r.local);
            if (osm) osm->way(way_id, refs, w.tags);
            ++way_id;
            if (basemap) {
                for (std::size_t k = 0; k + 1 < w.refs.size(); ++k) {
                    auto at = [&](const detail::Ref& r) {
                        if (r.cell == c) return g.nodes[r.local];
                        return detail::referenced_node(L, r);
                    };
                    basemap->line(at(w.refs[k]), at(w.refs[k + 1]), w.cls);
                }
            }
        }
        for (const auto& r : g.restrictions)
            restrictions.push_back({first_way + r.from_way, first_node[r.via.cell] + r.via.local, first_way + r.to_way, r.type});
        if (addresses) addresses->add(c, g);
        if (layers) layers->add(c, g);
        s.streets += g.streets.size();
        callbacks.report("synth: roads", cells + c + 1, total);
    }
    s.ways = way_id - 1;
    s.relations = restrictions.size();
    if (osm) {
        std::uint64_t rel_id = 1;
        for (const auto& r : restrictions) osm->restriction(rel_id++, r.from, r.via, r.to, r.type);
        osm->close();
    }
    if (addresses) {
        addresses->close();
        s.addresses = addresses->count();
    }
    if (layers) {
        layers->close();
        s.pois = layers->pois();
    }
    if (basemap) {
        s.basemap = out_dir / "basemap.tif";
        basemap->write(s.basemap);
    }
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (config.write_bundle) {
        s.bundle = out_dir / "bundle.toml";
        write_bundle(config, s, s.bundle);
    }
    return s;
}

}  // namespace geoplex::synth
