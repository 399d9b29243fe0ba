#pragma once
// The checks run on a closed upload (reference §6.1 "check"): "standard" (the .md5 files),
// "vecteur" (each vector file opens with GDAL, has a known CRS, geometry validity counted with
// OGR_G_IsValid, i.e. GEOS) and "raster" (each raster opens, has a geotransform and a CRS).
// Each check returns its own log lines, kept per check execution.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "catalog/upload_area.hpp"

namespace geoplex::catalog::detail {

/// What a check found in one file.
struct FileReport {
    std::string path;               ///< relative to the upload
    std::string driver;             ///< GDAL driver short name ("GPKG", "GeoJSON", "ESRI Shapefile", "GTiff", "CSV")
    std::string crs;                ///< "EPSG:4326", or a WKT name when there is no EPSG code; "" = unknown
    std::uint64_t features = 0;     ///< vector: features over every layer
    std::uint64_t invalid_geometries = 0;
    std::uint64_t empty_geometries = 0;
    std::vector<std::string> layers;  ///< vector: layer names
    int width = 0, height = 0, bands = 0;  ///< raster
};

struct CheckOutcome {
    std::string name;               ///< "standard", "vecteur", "raster"
    bool success = false;
    std::vector<std::string> logs;  ///< human-readable lines, in order
    std::vector<FileReport> files;
};

/// The files of an upload a check looks at: data files by extension (Shapefile: the .shp; the
/// .shx/.dbf/.prj/.cpg parts travel with it), skipping .md5 sums.
[[nodiscard]] std::vector<std::string> vector_files(const std::vector<TreeEntry>& tree);
[[nodiscard]] std::vector<std::string> raster_files(const std::vector<TreeEntry>& tree);

/// Runs the "standard" check (MD5 sums; passes when there are none).
[[nodiscard]] CheckOutcome check_standard(const UploadArea& area, const std::string& upload_id);
/// Runs the "vecteur" check. `declared_srs` (the upload's srs, e.g. "EPSG:4326") is the CRS of
/// files that carry none (CSV); a file with no CRS and no declared srs fails. `progress` gets
/// 0..1 (may be empty).
[[nodiscard]] CheckOutcome check_vector(const std::filesystem::path& upload_dir, const std::vector<TreeEntry>& tree,
                                        const std::string& declared_srs, const std::function<void(double)>& progress = {});
/// Runs the "raster" check.
[[nodiscard]] CheckOutcome check_raster(const std::filesystem::path& upload_dir, const std::vector<TreeEntry>& tree,
                                        const std::string& declared_srs, const std::function<void(double)>& progress = {});

/// GDAL open options for a CSV with point columns (lon/lat, x/y, longitude/latitude) or a WKT column.
[[nodiscard]] std::vector<std::string> csv_open_options();
/// "EPSG:4326"-style name of a spatial reference handle (OGRSpatialReferenceH), "" when null.
[[nodiscard]] std::string crs_name(void* ogr_srs);
/// Registers GDAL drivers once.
void gdal_init();

}  // namespace geoplex::catalog::detail
