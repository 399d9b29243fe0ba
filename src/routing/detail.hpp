#pragma once
// Internals shared by the routing builder and the query side.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "geoplex/core/progress.hpp"
#include "geoplex/routing/routing.hpp"

namespace geoplex::routing::detail {

/// How one profile may use a way: speeds per direction (0 = not allowed).
struct WayUse {
    float forward_kmh = 0.0F;
    float backward_kmh = 0.0F;
    /// Seconds for the whole way when fixed (ferry `duration`), else < 0.
    float fixed_seconds = -1.0F;
};

struct RawWay {
    std::string name, ref, cls, attributes_json;
    std::uint16_t flags = 0;
    double length_m = 0.0;           ///< whole way (for fixed durations)
    std::vector<WayUse> use;         ///< per profile
    std::uint32_t first_segment = 0; ///< segments of this way are contiguous
    std::uint32_t segment_count = 0;
};

/// A piece of a way between two junctions.
struct RawSegment {
    std::uint32_t way = 0;
    std::uint32_t a = 0, b = 0;          ///< junction ids
    std::uint32_t first_point = 0;       ///< into RawNetwork::points
    std::uint32_t point_count = 0;
    double length_m = 0.0;
    std::uint16_t signals = 0;           ///< traffic signals on the piece (ends excluded at b)
};

struct RawRestriction {
    std::uint32_t from_way = 0, to_way = 0;
    std::uint32_t via = 0;               ///< junction id (invalid_id for a via-way restriction)
    bool only = false;
    std::uint32_t profile_mask = 0;      ///< bit i = applies to profile i
    std::vector<std::uint32_t> via_ways; ///< via ways in order (empty for a via-node restriction)
};

/// A road network independent of profiles: what the OSM and BD TOPO readers produce.
struct RawNetwork {
    std::vector<RawWay> ways;
    std::vector<RawSegment> segments;
    std::vector<LonLat> points;
    std::vector<LonLat> junctions;
    std::vector<RawRestriction> restrictions;
    std::vector<std::uint64_t> restrictions_unresolved;  ///< per profile: relations that could not be mapped
    BBox bbox;
};

RawNetwork read_osm(const ResourceConfig& config, const core::Callbacks& callbacks);
RawNetwork read_bdtopo(const ResourceConfig& config, const core::Callbacks& callbacks);

/// Builds, checks and writes `<dir>/<profile>.graph`; fills the graph part of the report.
void build_graph_file(const RawNetwork& net, std::size_t profile_index, const Profile& profile,
                      const std::filesystem::path& file, ProfileReport& report, const core::Callbacks& callbacks);

/// Builds `<file>` (a CH) for an opened graph.
std::uint64_t build_ch_file(const Graph& graph, Optimization optimization, const std::filesystem::path& file,
                            const core::Callbacks& callbacks, std::string_view task);

// ---- files ----
inline constexpr std::string_view graph_magic = "GPXRGRPH";
inline constexpr std::uint32_t graph_format_version = 1;
inline constexpr std::string_view ch_magic = "GPXRCH";
/// 2: interleaved query arcs; 3: ids sorted by level; 4: query arcs without aux (8 bytes)
inline constexpr std::uint32_t ch_format_version = 4;

/// Spatial grid over segment pieces, stored in the graph file.
struct GridParams {
    double min_lon = 0, min_lat = 0, cell_lon = 1, cell_lat = 1;
    double nx = 0, ny = 0;  // stored as doubles to keep the section a double array
};

/// Per-way cost factor of a request's constraints: 0 = banned, else a weight multiplier
/// (`any` = false and `factor` empty when there is no constraint). Used by routes and isochrones.
struct WayCosts {
    std::vector<double> factor;
    bool any = false;
};
/// Evaluates Road2 constraints on every way (wayType flags, BD TOPO attributes). Throws
/// InvalidArgument listing every unknown key, bad operator or value.
[[nodiscard]] WayCosts way_costs(const Graph& g, const std::vector<Constraint>& constraints);

[[nodiscard]] std::uint64_t peak_rss_bytes();

class SectionReader;
/// Views over the sections of an opened graph / CH file (sizes checked).
[[nodiscard]] Graph graph_view(const SectionReader& file);
[[nodiscard]] ContractionHierarchy ch_view(const SectionReader& file, const Graph& graph);

/// Section ids of the graph file.
namespace graph_section {
enum : std::uint32_t {
    meta = 1, node_lonlat, first_out, head, arc_segment, weight_fastest, weight_shortest, first_in, in_arc, in_tail,
    segment_first_point, points, segment_length, segment_way, segment_head, way_name, way_ref, way_class,
    way_attributes, way_flags, strings, grid_params, grid_first, grid_items
};
}
/// Section ids of the CH file.
namespace ch_section {
enum : std::uint32_t {
    meta = 1, rank, order, fwd_first_out, fwd_head, fwd_weight, fwd_aux, fwd_unpack,
    bwd_first_out, bwd_head, bwd_weight, bwd_aux, bwd_unpack, query_first, query_arcs
};
}

}  // namespace geoplex::routing::detail
