#pragma once
// Isochrones and isodistances on a routing bundle: exact one-to-all reachability (bounded
// Dijkstra for small budgets, a PHAST sweep over the contraction hierarchy for large ones),
// road pieces cut where the budget ends, and contour polygons.
//
// Phases: routing::Router::open(dir) (immutable, shared) → Isochrones (one per thread, reusable;
// holds scratch arrays sized to the largest graph seen) → compute()/reach()/grid().
// Expected misses ("no road within N m") are results; bad requests throw InvalidArgument.
// See docs/isochrone.md.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "geoplex/core/geometry.hpp"
#include "geoplex/core/types.hpp"
#include "geoplex/routing/graph.hpp"
#include "geoplex/routing/routing.hpp"

namespace geoplex::isochrone {

using routing::NodeId;
using routing::SegmentId;
using routing::Weight;

/// Road2's `costType`: time uses the fastest weights (seconds), distance the shortest (metres).
enum class CostType : std::uint8_t { time, distance };
/// Road2's `direction`: `departure` = from the point; `arrival` = to the point (reverse graph).
enum class Direction : std::uint8_t { departure, arrival };
/// Which search computed the costs. `automatic` starts a bounded Dijkstra and switches to PHAST
/// once it has settled more than `phast_threshold` of the graph's nodes (see docs/isochrone.md).
enum class Algorithm : std::uint8_t { automatic, dijkstra, phast };

[[nodiscard]] std::string_view to_string(CostType c) noexcept;
[[nodiscard]] std::string_view to_string(Direction d) noexcept;
[[nodiscard]] std::string_view to_string(Algorithm a) noexcept;
[[nodiscard]] std::optional<CostType> parse_cost_type(std::string_view s) noexcept;
[[nodiscard]] std::optional<Direction> parse_direction(std::string_view s) noexcept;

/// Default switch point of Algorithm::automatic: PHAST once a Dijkstra has settled this
/// fraction of the nodes (a PHAST sweep costs about as much as a Dijkstra settling ~10 %).
inline constexpr double default_phast_threshold = 0.10;

/// How reached road pieces become polygons (all distances in metres, in a local equirectangular
/// projection centred on the point). Zero = automatic.
struct PolygonOptions {
    /// A place within this distance of a reached road piece is inside the polygon (at least
    /// two raster cells are used when the cells are coarser).
    double buffer_m = 50.0;
    /// Raster cell used to union the buffered pieces; 0 = max(buffer_m / 3, extent / 200)
    /// where extent is the larger side of the reached area; coarsened to stay under max_cells.
    double cell_m = 0.0;
    std::size_t max_cells = 4'000'000;
    /// Unreachable areas smaller than this are filled (no hole); larger ones stay holes.
    double min_hole_area_m2 = 20'000.0;
    /// Douglas-Peucker tolerance of the rings (GEOS; the topology-preserving variant when plain
    /// Douglas-Peucker breaks validity); 0 = half a cell.
    double simplify_m = 0.0;
};

/// One isochrone/isodistance request (one search, one contour per budget).
struct IsochroneRequest {
    std::string resource;
    std::string profile = "car";
    LonLat point;
    CostType cost_type = CostType::time;
    Direction direction = Direction::departure;
    /// Budgets in seconds (time) or metres (distance), > 0; one contour each.
    std::vector<double> budgets;
    /// Road2 constraints; isochrones accept `banned` only (exact: a Dijkstra without those arcs).
    std::vector<routing::Constraint> constraints;
    /// A point farther than this from any allowed road is IsochroneStatus::no_road.
    double snap_radius_m = 1000.0;
    Algorithm algorithm = Algorithm::automatic;
    double phast_threshold = default_phast_threshold;
    /// false = costs and pieces only (Contour::geometry left empty).
    bool polygons = true;
    PolygonOptions polygon;
    /// Every problem (empty = valid); does not look at the data.
    [[nodiscard]] std::vector<std::string> validate() const;
};

/// A reached part of a road piece: fractions f0 ≤ f1 along the segment's stored geometry
/// (the planar metric routing uses for snapping), with the cost at both ends.
struct Piece {
    SegmentId segment = routing::invalid_id;
    double f0 = 0.0, f1 = 1.0;
    double cost0 = 0.0, cost1 = 0.0;  ///< seconds or metres at f0 and f1
};

struct Contour {
    double budget = 0.0;          ///< seconds or metres
    core::MultiPolygon geometry;  ///< WGS84, outer rings counter-clockwise, holes clockwise
    std::size_t pieces = 0;       ///< reached road pieces (whole or cut) inside the budget
};

enum class IsochroneStatus : std::uint8_t {
    ok,
    no_road,  ///< no allowed road within snap_radius_m of the point
};

struct IsochroneResult {
    IsochroneStatus status = IsochroneStatus::ok;
    routing::Snap snap;              ///< where the point was snapped
    std::vector<Contour> contours;   ///< in the order of IsochroneRequest::budgets
    Algorithm algorithm = Algorithm::dijkstra;  ///< what actually ran
    std::size_t reached_nodes = 0;   ///< nodes within the largest budget
    std::string message;             ///< explanation of a miss
};

/// A search seed: a graph node with an initial cost (in weight units).
struct Seed {
    NodeId node = routing::invalid_id;
    Weight weight = 0;
};

/// Low-level search from explicit seeds (no snapping, no constraint): what the tests and the
/// one-to-all API use. `limit` in weight units (inf_weight = one-to-all).
struct ReachRequest {
    std::string resource;
    std::string profile = "car";
    CostType cost_type = CostType::time;
    Direction direction = Direction::departure;
    std::vector<Seed> seeds;
    Weight limit = routing::inf_weight;
    Algorithm algorithm = Algorithm::automatic;
    double phast_threshold = default_phast_threshold;
};

/// A reachability raster: the least cost of any road point in each cell (NaN = none reached).
struct CostGrid {
    double cell_m = 0.0;
    std::size_t width = 0, height = 0;
    /// WGS84 extent of the grid; row 0 is the northernmost row, column 0 the westernmost.
    BBox bbox;
    std::vector<float> cost;  ///< row-major height × width, seconds or metres
};

/// Per-thread isochrone query. Not thread-safe itself; keeps scratch state between calls.
class Isochrones {
public:
    explicit Isochrones(const routing::Router& router);
    ~Isochrones();
    Isochrones(Isochrones&&) noexcept;
    Isochrones& operator=(Isochrones&&) noexcept;
    Isochrones(const Isochrones&) = delete;
    Isochrones& operator=(const Isochrones&) = delete;

    /// Snaps the point, searches once up to the largest budget, cuts the reached pieces and
    /// builds one polygon per budget. Throws InvalidArgument (validate(), unknown constraint,
    /// non-banned constraint) and Error(not_found) for an unknown resource/profile.
    [[nodiscard]] IsochroneResult compute(const IsochroneRequest& request);

    /// The search alone, from explicit seeds. Returns the algorithm that ran; costs() then holds
    /// the per-node weights (inf_weight beyond the limit) until the next call.
    Algorithm reach(const ReachRequest& request);
    /// Per-node cost of the last search in weight units (deciseconds or decimetres), indexed by
    /// graph node; inf_weight = unreachable or beyond the limit. Valid until the next call.
    [[nodiscard]] std::span<const Weight> costs() const noexcept;

    /// Per-node costs of a request in seconds or metres (+inf beyond the largest budget, or
    /// one-to-all when `budgets` is empty), after snapping like compute().
    [[nodiscard]] std::vector<double> node_costs(const IsochroneRequest& request, IsochroneStatus* status = nullptr);
    /// Cost (seconds or metres) of the road point at `fraction` of `segment` after the last
    /// compute()/node_costs(): +inf when unreachable or beyond the search's largest budget.
    [[nodiscard]] double cost_at(SegmentId segment, double fraction) const;
    /// Reached pieces of the last compute()/node_costs() within `budget` (seconds or metres).
    [[nodiscard]] std::vector<Piece> pieces(double budget) const;
    /// A cost raster of a request (cell_m metres, grid over the reached area up to the
    /// largest budget). Empty grid when the point has no road.
    [[nodiscard]] CostGrid grid(const IsochroneRequest& request, double cell_m);

    [[nodiscard]] const routing::Router& router() const noexcept;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

}  // namespace geoplex::isochrone
