#pragma once
// Low-level, read-only views of a routing graph and of its contraction hierarchies, plus the
// RoutingKit-style CH query. These are what the isochrone component (PHAST sweeps, bounded
// Dijkstra) builds on; most users want routing.hpp instead.
//
// Everything is a flat array (CSR) living in a memory-mapped bundle file; a view is a handful
// of spans and is cheap to copy. Valid as long as the routing::Router it came from is alive.

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "geoplex/core/types.hpp"

namespace geoplex::routing {

using NodeId = std::uint32_t;     ///< a node of the (expanded) routing graph
using ArcId = std::uint32_t;      ///< a directed arc of the routing graph
using SegmentId = std::uint32_t;  ///< an undirected piece of road between two junctions (geometry owner)
using WayId = std::uint32_t;      ///< index into the way attribute table
using Weight = std::uint32_t;     ///< integer cost: deciseconds (fastest) or decimetres (shortest)

/// "No such node/arc/segment" in every id array.
inline constexpr std::uint32_t invalid_id = std::numeric_limits<std::uint32_t>::max();
/// "Unreachable" in every weight array and result.
inline constexpr Weight inf_weight = std::numeric_limits<Weight>::max();
/// Weights of real paths stay below this, so `a + b` of two finite weights never overflows.
inline constexpr Weight max_path_weight = inf_weight / 2;
static_assert(sizeof(NodeId) == 4 && sizeof(Weight) == 4, "the on-disk arrays are 32-bit");
static_assert(invalid_id == inf_weight, "one sentinel value for ids and weights keeps arrays uniform");

/// Weight resolution: fastest weights are tenths of a second, shortest weights tenths of a metre.
inline constexpr double weight_units_per_second = 10.0;
inline constexpr double weight_units_per_meter = 10.0;

enum class Optimization : std::uint8_t { fastest, shortest };
[[nodiscard]] std::string_view to_string(Optimization o) noexcept;
[[nodiscard]] std::optional<Optimization> parse_optimization(std::string_view s) noexcept;

/// Flags of a way (bit set), used by constraints (`wayType`) and instructions.
namespace way_flag {
inline constexpr std::uint16_t motorway = 1U << 0U;    ///< autoroute (OSM motorway/motorway_link; BD TOPO type_autoroutier)
inline constexpr std::uint16_t tunnel = 1U << 1U;
inline constexpr std::uint16_t bridge = 1U << 2U;      ///< pont
inline constexpr std::uint16_t roundabout = 1U << 3U;
inline constexpr std::uint16_t ferry = 1U << 4U;
inline constexpr std::uint16_t toll = 1U << 5U;
inline constexpr std::uint16_t link = 1U << 6U;        ///< ramp (motorway_link, trunk_link, bretelle)
}  // namespace way_flag

/// A view of one profile's routing graph. Node ids are those of the expanded graph: a junction
/// with turn restrictions is split into one node per restricted incoming arc (same position).
struct Graph {
    // ---- nodes ----
    std::span<const double> node_lonlat;          ///< 2 per node: lon, lat
    // ---- arcs (CSR by tail) ----
    std::span<const std::uint32_t> first_out;     ///< node_count + 1
    std::span<const NodeId> head;                 ///< per arc
    std::span<const std::uint32_t> arc_segment;   ///< per arc: segment << 1 | reversed
    std::span<const Weight> weight_fastest;       ///< per arc, deciseconds (traversal time incl. penalties)
    std::span<const Weight> weight_shortest;      ///< per arc, decimetres
    // ---- arcs by head (reverse CSR) ----
    std::span<const std::uint32_t> first_in;      ///< node_count + 1
    std::span<const ArcId> in_arc;                ///< arc ids grouped by head
    std::span<const NodeId> in_tail;              ///< tail of in_arc[i]
    // ---- segments (geometry between two junctions) ----
    std::span<const std::uint32_t> segment_first_point;  ///< segment_count + 1, into points
    std::span<const double> points;                      ///< 2 per point: lon, lat
    std::span<const double> segment_length_m;            ///< geodesic length
    std::span<const WayId> segment_way;                  ///< attributes
    std::span<const NodeId> segment_head;                ///< 2 per segment: head node when traversed forward/reversed, invalid when not allowed
    // ---- ways ----
    std::span<const std::uint32_t> way_name;      ///< offset into strings (0 = "")
    std::span<const std::uint32_t> way_ref;       ///< offset into strings
    std::span<const std::uint32_t> way_class;     ///< offset into strings: highway value / BD TOPO nature
    std::span<const std::uint32_t> way_attributes;///< offset into strings: JSON object of source attributes ("" = none)
    std::span<const std::uint16_t> way_flags;     ///< way_flag bits
    std::span<const char> strings;                ///< NUL-terminated strings

    [[nodiscard]] std::uint32_t node_count() const noexcept { return static_cast<std::uint32_t>(first_out.size() - 1); }
    [[nodiscard]] std::uint32_t arc_count() const noexcept { return static_cast<std::uint32_t>(head.size()); }
    [[nodiscard]] std::uint32_t segment_count() const noexcept {
        return static_cast<std::uint32_t>(segment_first_point.size() - 1);
    }
    [[nodiscard]] std::span<const Weight> weights(Optimization o) const noexcept {
        return o == Optimization::fastest ? weight_fastest : weight_shortest;
    }
    [[nodiscard]] LonLat node_position(NodeId n) const noexcept { return {node_lonlat[2 * n], node_lonlat[2 * n + 1]}; }
    [[nodiscard]] SegmentId segment_of(ArcId a) const noexcept { return arc_segment[a] >> 1U; }
    [[nodiscard]] bool reversed(ArcId a) const noexcept { return (arc_segment[a] & 1U) != 0; }
    [[nodiscard]] std::string_view string(std::uint32_t offset) const noexcept { return {strings.data() + offset}; }
    /// The geometry of a segment in its stored direction.
    [[nodiscard]] std::span<const double> segment_points(SegmentId s) const noexcept {
        return points.subspan(2 * std::size_t{segment_first_point[s]},
                              2 * std::size_t{segment_first_point[s + 1] - segment_first_point[s]});
    }
};

/// A CH arc as the point-to-point query reads it: head rank and weight side by side, so that one
/// settled node touches one run of memory (see ContractionHierarchy::query_arcs). The other
/// metric is not here (8 bytes an arc instead of 12: a third fewer cache lines per settled node);
/// the query sums it along the final path from `forward_aux` / `backward_aux`.
struct ChArc {
    NodeId head;
    Weight weight;
};
static_assert(sizeof(ChArc) == 8, "on-disk layout");

/// A contraction hierarchy of one (profile, optimization), nodes numbered by rank (0 = contracted
/// first) so that a PHAST downward sweep is a loop over ranks from high to low over `backward_*`.
/// forward_*[r]: arcs r→h with rank h > r, weight w(r→h). backward_*[r]: arcs h→r in the
/// original direction with rank h > r, stored at r. `*_aux` carries the other metric of the same
/// path (decimetres for a fastest CH, deciseconds for a shortest CH). `*_unpack` is either
/// `original_arc_flag | arc id` or the rank of the middle node of a shortcut.
struct ContractionHierarchy {
    static constexpr std::uint32_t original_arc_flag = 1U << 31U;

    Optimization optimization = Optimization::fastest;
    std::span<const NodeId> rank;   ///< graph node → rank
    std::span<const NodeId> order;  ///< rank → graph node
    std::span<const std::uint32_t> forward_first_out;
    std::span<const NodeId> forward_head;
    std::span<const Weight> forward_weight;
    std::span<const Weight> forward_aux;
    std::span<const std::uint32_t> forward_unpack;
    std::span<const std::uint32_t> backward_first_out;
    std::span<const NodeId> backward_head;
    std::span<const Weight> backward_weight;
    std::span<const Weight> backward_aux;
    std::span<const std::uint32_t> backward_unpack;
    /// The same arcs interleaved per rank for the queries: rank r's forward arcs are
    /// query_arcs[query_first[2r], query_first[2r+1]), its backward arcs
    /// query_arcs[query_first[2r+1], query_first[2r+2]), each list in the order of forward_* /
    /// backward_* (so index i of r's forward list is forward_first_out[r] + i). A search settling r
    /// relaxes one list and checks the other for stalling, both in one run of memory.
    std::span<const std::uint32_t> query_first;  ///< 2 × node_count + 1
    std::span<const ChArc> query_arcs;

    [[nodiscard]] std::uint32_t node_count() const noexcept { return static_cast<std::uint32_t>(rank.size()); }
};

/// A point-to-point CH query with reusable scratch state (one per thread):
///   q.reset().add_source(s, 0).add_target(t, 0).run();  q.distance(); q.arc_path();
/// Several sources/targets with initial weights model start and end points in the middle of
/// an arc. Node ids are graph node ids (not ranks).
class ChQuery {
public:
    ChQuery() = default;
    ChQuery(const Graph& graph, const ContractionHierarchy& ch);
    ~ChQuery();
    ChQuery(ChQuery&&) noexcept;
    ChQuery& operator=(ChQuery&&) noexcept;
    ChQuery(const ChQuery&) = delete;
    ChQuery& operator=(const ChQuery&) = delete;

    ChQuery& reset();
    /// `aux` is the other metric of the initial piece (see ContractionHierarchy).
    ChQuery& add_source(NodeId node, Weight initial = 0, Weight aux = 0);
    ChQuery& add_target(NodeId node, Weight final_weight = 0, Weight aux = 0);
    ChQuery& run();

    /// Weight of the best path, inf_weight when none.
    [[nodiscard]] Weight distance() const noexcept;
    /// The other metric along that path.
    [[nodiscard]] Weight aux() const noexcept;
    /// Source and target node the best path starts/ends at (invalid_id when none).
    [[nodiscard]] NodeId path_source() const noexcept;
    [[nodiscard]] NodeId path_target() const noexcept;
    /// The best path as graph arcs, source to target (unpacks shortcuts).
    [[nodiscard]] std::vector<ArcId> arc_path() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

/// Checks the structural invariants of a graph (sizes, sorted CSR, ids in range) and returns
/// "the graph is invalid because: …" messages; empty when sound.
[[nodiscard]] std::vector<std::string> check_graph_for_errors(const Graph& graph);
/// Same for a CH against its graph (rank/order are inverse permutations, heads ranked higher…).
[[nodiscard]] std::vector<std::string> check_ch_for_errors(const Graph& graph, const ContractionHierarchy& ch);

}  // namespace geoplex::routing
