#pragma once
// geoplex::synth — a deterministic synthetic territory in real formats (OSM PBF, BAN CSV,
// GeoTIFF, GeoPackage), for the embedded demo and for scale benchmarks. See docs/synth.md.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "geoplex/core/progress.hpp"
#include "geoplex/core/types.hpp"

namespace geoplex::synth {

/// What to generate. Same Config (and same library version) → byte-identical files.
struct Config {
    /// Target number of OSM nodes in roads.osm.pbf (roads, plus the river); reached within ±10%.
    std::uint64_t road_nodes = 20'000;
    /// Seed of every random choice (town sizes, names, noise). Different seeds give different territories.
    std::uint64_t seed = 1;
    /// South-west corner of the territory (the DEM adds a margin beyond it). Must lie in the area
    /// of use of Lambert-93 (metropolitan France), since addresses carry EPSG:2154 coordinates.
    core::LonLat origin{2.90, 45.60};
    /// Name of the size used in bundle.toml (`synthetic-<label>-seed-<seed>`); empty = derived
    /// from road_nodes (a preset name when it matches one, else `<N>-nodes`).
    std::string label;

    /// Write roads.osm.pbf.
    bool write_roads = true;
    /// Write addresses.csv (BAN format).
    bool write_addresses = true;
    /// Write dem.tif (Float32, EPSG:4326).
    bool write_dem = true;
    /// Write layers.gpkg (communes and pois).
    bool write_layers = true;
    /// Write basemap.tif (RGB, EPSG:4326).
    bool write_basemap = true;
    /// Write bundle.toml (needs write_dem).
    bool write_bundle = true;

    /// Wanted DEM pixel size in metres; coarsened when the DEM would exceed dem_max_size pixels a side.
    double dem_resolution_m = 25.0;
    /// Largest DEM width or height in pixels.
    std::uint32_t dem_max_size = 4096;
    /// Wanted basemap pixel size in metres; coarsened when above basemap_max_size pixels a side.
    double basemap_resolution_m = 10.0;
    /// Largest basemap width or height in pixels (the basemap is rendered in memory: 3 bytes a pixel).
    std::uint32_t basemap_max_size = 2048;
    /// Distance between consecutive house numbers on one side of a street, in metres.
    double address_spacing_m = 50.0;

    /// Preset sizes: "village" (~1 000 nodes), "town" (~20 000), "city" (~200 000),
    /// "region" (~1 000 000), or "<N>-nodes" such as "5000000-nodes". Throws InvalidArgument otherwise.
    static Config from_size(std::string_view size);
    /// Throws InvalidArgument listing every problem.
    void validate() const;
    /// The label used in file metadata: `label` or the one derived from road_nodes.
    [[nodiscard]] std::string effective_label() const;
};

/// Smallest and largest road_nodes accepted by Config::validate().
inline constexpr std::uint64_t min_road_nodes = 500;
inline constexpr std::uint64_t max_road_nodes = 50'000'000;

/// What generate() wrote. Paths are empty for outputs that were not requested.
struct Summary {
    std::uint64_t nodes = 0;        ///< OSM nodes written (roads and river)
    std::uint64_t ways = 0;         ///< OSM ways written
    std::uint64_t relations = 0;    ///< OSM relations written (turn restrictions)
    std::uint64_t addresses = 0;    ///< rows of addresses.csv (header excluded)
    std::uint64_t streets = 0;      ///< named town streets (each has a FANTOIR-like code)
    std::uint64_t communes = 0;     ///< one per town; features of layers.gpkg `communes`
    std::uint64_t pois = 0;         ///< features of layers.gpkg `pois`
    std::uint32_t grid_columns = 0; ///< the territory is a grid of square cells, one town each
    std::uint32_t grid_rows = 0;
    double cell_size_m = 0.0;       ///< side of a cell in metres
    core::BBox bbox;                ///< territory (road network) in lon/lat; the rasters add a margin
    std::uint32_t dem_width = 0, dem_height = 0;
    double dem_resolution_m = 0.0;
    std::uint32_t basemap_width = 0, basemap_height = 0;
    std::string name;               ///< bundle name, e.g. "synthetic-town-seed-1"
    std::filesystem::path roads, addresses_csv, dem, layers, basemap, bundle;
    double seconds = 0.0;           ///< wall-clock generation time

    /// Multi-line human-readable report (what the CLI prints).
    [[nodiscard]] std::string to_string() const;
};

/// Generates the territory into out_dir (created if missing; existing output files are replaced).
/// Progress is reported as tasks "synth: roads", "synth: dem", "synth: basemap"; cancellation is
/// polled between cells and raster blocks. Memory stays bounded whatever the size: the network is
/// generated cell by cell in two passes (nodes, then ways), rasters in blocks.
/// Throws InvalidArgument (bad config), IoError (out_dir), DependencyError (GDAL/PROJ).
Summary generate(const Config& config, const std::filesystem::path& out_dir,
                 const core::Callbacks& callbacks = {});

}  // namespace geoplex::synth
