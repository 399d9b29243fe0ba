#pragma once
// Routing: graphs from OSM PBF (libosmium) or IGN BD TOPO (GDAL), contraction hierarchies,
// routes with intermediates and steps, many-to-many matrices and nearest-road queries.
//
// Phases: BuildConfig → Builder::build(dir) → Router::open(dir) (immutable, memory-mapped,
// thread-safe) → Query (one per thread, reusable; holds scratch state).
// Expected misses ("no road within N m", "no route") are results; failures throw.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "geoplex/core/progress.hpp"
#include "geoplex/core/types.hpp"
#include "geoplex/routing/graph.hpp"

namespace geoplex::routing {

// ---- profiles ---------------------------------------------------------------------------------

/// How a mode of travel reads OSM tags: declared as data (profiles/*.toml, same format as the
/// embedded defaults returned by Profile::builtin). See docs/routing.md for the format.
struct Profile {
    /// Name used in requests (`profile=car`).
    std::string name;
    /// Speed in km/h per `highway` value; a value absent from the table is not routable.
    std::map<std::string, double, std::less<>> highway_speeds;
    /// Access tags from the most to the least specific ("motorcar", "motor_vehicle", "vehicle", "access").
    std::vector<std::string> access_tags;
    /// Access values that forbid the way ("no", "private"…); others allow it.
    std::vector<std::string> access_denied;
    /// Tags read as one-way indications ("oneway"; "oneway:foot" for pedestrians). Empty = ignore.
    std::vector<std::string> oneway_tags;
    /// `highway` values that are one-way without a tag (motorway) and whether roundabouts are.
    std::vector<std::string> implied_oneway;
    bool roundabout_oneway = true;
    /// Speed = maxspeed × factor when the way has a parseable maxspeed (0 = ignore maxspeed).
    double maxspeed_factor = 0.0;
    /// Upper bound of any speed, km/h.
    double max_speed_kmh = 130.0;
    /// Speed on ferries (route=ferry) without a `duration` tag; 0 = ferries not used.
    double ferry_speed_kmh = 0.0;
    /// Seconds added to a road piece per traffic signal on it.
    double traffic_signal_penalty_s = 0.0;
    /// Honour turn restriction relations.
    bool turn_restrictions = false;
    /// Relation tags read as restrictions ("restriction:motorcar", "restriction").
    std::vector<std::string> restriction_tags;
    /// Values of `except` that exempt this profile ("motorcar").
    std::vector<std::string> restriction_exceptions;
    /// BD TOPO: the field allowing this profile ("acces_vehicule_leger", "acces_pieton"), the
    /// speed field ("vitesse_moyenne_vl"; empty = constant bdtopo_speed_kmh) and whether
    /// `sens_de_circulation` applies.
    std::string bdtopo_access_field;
    std::string bdtopo_speed_field;
    double bdtopo_speed_kmh = 0.0;
    bool bdtopo_oneway = true;

    /// Every problem of the profile (empty = valid).
    [[nodiscard]] std::vector<std::string> validate() const;
    /// Parses the TOML profile format. Throws InvalidArgument listing every problem.
    [[nodiscard]] static Profile from_toml(std::string_view text, std::string_view origin = "profile");
    [[nodiscard]] static Profile from_file(const std::filesystem::path& path);
    /// Embedded defaults: "car", "pedestrian". Throws InvalidArgument for another name.
    [[nodiscard]] static Profile builtin(std::string_view name);
    /// The TOML text of a builtin profile (what profiles/<name>.toml contains).
    [[nodiscard]] static std::string_view builtin_toml(std::string_view name);
};

// ---- build ------------------------------------------------------------------------------------

enum class ConstraintType : std::uint8_t { banned, preferred, unpreferred };
enum class ConstraintOperator : std::uint8_t { eq, ne, gt, ge, lt, le };
[[nodiscard]] std::string_view to_string(ConstraintType t) noexcept;
[[nodiscard]] std::string_view to_string(ConstraintOperator o) noexcept;

/// A Road2 constraint: {constraintType, key, operator, value}. Keys: `wayType` (autoroute,
/// tunnel, pont) everywhere; BD TOPO attributes (nature, importance, cpx_classement_administratif,
/// largeur…) on BD TOPO resources. Numeric operators need a numeric value.
struct Constraint {
    ConstraintType type = ConstraintType::banned;
    std::string key;
    ConstraintOperator op = ConstraintOperator::eq;
    std::string value;            ///< as given (strings)
    std::optional<double> number; ///< when the value is a JSON number
};

/// Weight factors of preferred/unpreferred constraints (Road2 leaves them to the engine).
inline constexpr double preferred_factor = 0.8;
inline constexpr double unpreferred_factor = 1.5;

/// A constraint set whose hierarchies are precomputed at build time (OSRM's `exclude` classes):
/// a request whose constraints give the same per-way factors is answered by a plain CH query on
/// them (docs/routing.md, "Constrained routes"). Bundle: [[routing.resources.constraint_sets]].
struct ConstraintSet {
    /// Letters, digits, '_', '-', '.'; names the files (`<profile>-<optimization>.set-<name>.ch`).
    std::string name;
    std::vector<Constraint> constraints;
};

enum class SourceFormat : std::uint8_t {
    osm,     ///< OSM PBF or XML (libosmium)
    bdtopo,  ///< IGN BD TOPO troncon_de_route (+ non_communication) through GDAL
};

/// One routing resource (Road2's `resource`): a road network and the profiles built on it.
struct ResourceConfig {
    /// Identifier used in requests (`resource=bdtopo-osrm`); letters, digits, '_', '-', '.'.
    std::string id;
    std::string title;
    std::string description;
    /// Data date reported as `resourceVersion`; empty = the build date.
    std::string version;
    SourceFormat format = SourceFormat::osm;
    /// The OSM file, or any GDAL vector dataset for BD TOPO.
    std::filesystem::path path;
    /// BD TOPO layer names.
    std::string bdtopo_layer = "troncon_de_route";
    std::string bdtopo_restrictions_layer = "non_communication";
    /// Profiles built (default: builtin car and pedestrian).
    std::vector<Profile> profiles;
    /// Optimizations built per profile (one CH each).
    std::vector<Optimization> optimizations{Optimization::fastest, Optimization::shortest};
    /// CRSs accepted/produced by the HTTP API for this resource (EPSG:4326 always included).
    std::vector<std::string> crs{"EPSG:4326", "EPSG:2154"};
    /// Constraint sets precomputed per profile and optimization (default none: each one costs
    /// about one CH build, see docs/routing.md).
    std::vector<ConstraintSet> constraint_sets;

    [[nodiscard]] std::vector<std::string> validate() const;
};

struct BuildConfig {
    std::vector<ResourceConfig> resources;
    /// Every problem, prefixed with where it is ("resources[0].path: …").
    [[nodiscard]] std::vector<std::string> validate() const;
};

/// What was built for one (resource, profile): kept and dropped parts, timings.
struct ProfileReport {
    std::string resource;
    std::string profile;
    std::uint64_t segments = 0;             ///< road pieces in the graph
    std::uint64_t nodes = 0;                ///< graph nodes (after restriction splitting)
    std::uint64_t arcs = 0;
    std::uint64_t restrictions = 0;         ///< turn restrictions applied
    std::uint64_t via_way_restrictions = 0; ///< of which with via way(s)
    std::uint64_t restrictions_ignored = 0; ///< not resolvable (missing ways, via not shared…)
    std::uint64_t dropped_components = 0;   ///< strongly connected components removed
    std::uint64_t dropped_nodes = 0;
    std::uint64_t dropped_segments = 0;
    double dropped_km = 0.0;
    double graph_seconds = 0.0;
    std::vector<double> ch_seconds;         ///< per optimization, in ResourceConfig order
    std::vector<std::uint64_t> ch_arcs;     ///< forward+backward CH arcs per optimization
    struct SetReport {
        std::string name;
        std::vector<double> seconds, cpu_seconds;  ///< per optimization: wall and CPU (whole process)
        std::vector<std::uint64_t> arcs;
    };
    std::vector<SetReport> constraint_sets;  ///< precomputed constraint sets
};

struct BuildReport {
    std::vector<ProfileReport> profiles;
    double read_seconds = 0.0;
    std::uint64_t peak_rss_bytes = 0;
    [[nodiscard]] std::string to_string() const;
};

/// Builds `<out_dir>` (the bundle's routing folder): resources.json, one `<resource>/<profile>.graph`
/// and one `<resource>/<profile>-<optimization>.ch` per optimization. Progress tasks:
/// "routing: read", "routing: <resource>/<profile> graph", "routing: <resource>/<profile>-<opt> CH".
class Builder {
public:
    /// Throws InvalidArgument listing every problem of `config`.
    explicit Builder(BuildConfig config);
    BuildReport build(const std::filesystem::path& out_dir, const core::Callbacks& callbacks = {}) const;
    [[nodiscard]] const BuildConfig& config() const noexcept { return m_config; }

private:
    BuildConfig m_config;
};

// ---- open -------------------------------------------------------------------------------------

struct ProfileInfo {
    std::string name;
    std::vector<Optimization> optimizations;
    std::vector<ConstraintSet> constraint_sets;  ///< precomputed (ResourceConfig::constraint_sets)
    ProfileReport report;
};

struct ResourceInfo {
    std::string id;
    std::string title;
    std::string description;
    std::string version;
    SourceFormat format = SourceFormat::osm;
    std::vector<ProfileInfo> profiles;
    std::vector<std::string> crs;
    BBox bbox;  ///< WGS84 extent of the network
    [[nodiscard]] const ProfileInfo* find_profile(std::string_view name) const noexcept;
};

/// Adaptive constraint sets (docs/routing.md, "Adaptive constraint sets"): a constraint set that
/// matches no declared set and has been used `after` times on a (resource, profile, optimization)
/// is recontracted in the background (one low-priority thread per Router) into `cache_dir`;
/// later routes with it are plain CH queries on that hierarchy. At most `max_sets` hierarchies
/// per profile (least recently used evicted). Memory per set ≈ one CH file mapped (~250 MB on a
/// 1 M-node graph) + one ChQuery per Query using it.
struct AdaptiveSetOptions {
    bool enabled = true;
    std::uint32_t after = 2;     ///< uses (route legs) before the build is queued (>= 1)
    std::uint32_t max_sets = 4;  ///< hierarchies kept per profile (>= 1)
    /// Where the hierarchies are written; empty = a fresh directory under the system temporary
    /// directory, removed when the Router closes (the bundle itself is never written).
    std::filesystem::path cache_dir;
};

struct OpenOptions {
    bool verify_checksums = false;
    AdaptiveSetOptions adaptive_sets;
};

/// Counters of a Router's adaptive constraint sets (Router::constraint_set_stats()).
struct ConstraintSetStats {
    std::uint64_t built = 0;    ///< hierarchies built so far
    std::uint64_t pending = 0;  ///< queued or being built now
    std::uint64_t ready = 0;    ///< currently published
    std::uint64_t evicted = 0;  ///< dropped by the max_sets limit
    std::uint64_t failed = 0;   ///< builds that threw (the set then stays on A*)
    double build_seconds = 0.0;       ///< wall time of all builds
    double last_build_seconds = 0.0;  ///< wall time of the last build
    std::string last_error;           ///< message of the last failed build
};

/// An opened routing folder. Immutable, thread-safe, cheap to copy (shared handle).
class Router {
public:
    /// Opens `<bundle>/routing`. Throws IoError/FormatError naming the missing or corrupt file.
    static Router open(const std::filesystem::path& dir, const OpenOptions& options = {});

    [[nodiscard]] const std::vector<ResourceInfo>& resources() const noexcept;
    /// nullptr when unknown.
    [[nodiscard]] const ResourceInfo* find(std::string_view resource) const noexcept;
    /// Throws Error(errc::not_found) for an unknown resource or profile, or an optimization not built.
    [[nodiscard]] const Graph& graph(std::string_view resource, std::string_view profile) const;
    [[nodiscard]] const ContractionHierarchy& ch(std::string_view resource, std::string_view profile,
                                                 Optimization optimization) const;
    /// The adaptive constraint sets of this Router (and of its copies: they share one registry).
    [[nodiscard]] ConstraintSetStats constraint_set_stats() const;
    /// Blocks until no adaptive set is queued or being built (tests, benchmarks).
    void wait_for_pending() const;

    struct Impl;
    [[nodiscard]] const Impl& impl() const noexcept { return *m_impl; }

private:
    explicit Router(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}
    std::shared_ptr<const Impl> m_impl;
};

// ---- requests ---------------------------------------------------------------------------------

struct RouteRequest {
    std::string resource;
    std::string profile = "car";
    Optimization optimization = Optimization::fastest;
    /// Start, intermediates, end (WGS84). At least 2.
    std::vector<LonLat> points;
    std::vector<Constraint> constraints;
    /// With neither geometry nor steps (and no constraint), the route is not unpacked: distance
    /// and duration come from the CH's integer sums (decimetres/deciseconds), legs have no points.
    bool geometry = true;
    bool steps = true;
    /// A point farther than this from any routable road is a miss.
    double snap_radius_m = 1000.0;
    /// Most intermediates accepted.
    std::size_t max_intermediates = 10;
    /// Every problem (empty = valid); does not look at the data.
    [[nodiscard]] std::vector<std::string> validate() const;
};

struct Maneuver {
    std::string type;      ///< OSRM words: depart, turn, new name, continue, roundabout, arrive…
    std::string modifier;  ///< uturn, sharp right, right, slight right, straight, slight left, left, sharp left ("" = none)
    int exit = 0;          ///< roundabout exit number (0 = none)
};

struct Step {
    std::vector<LonLat> geometry;
    double distance_m = 0.0;
    double duration_s = 0.0;
    Maneuver maneuver;
    WayId way = invalid_id;  ///< attributes of the road followed (invalid for arrive)
    std::string name;
    std::string ref;
};

/// What answered a route leg (observability: tests, benchmarks, logs).
enum class RouteEngine : std::uint8_t {
    ch,            ///< no constraint: the bundle's CH
    declared_set,  ///< a constraint set declared in the bundle: CH on its hierarchy
    adaptive_set,  ///< an adaptive constraint set built by this Router: CH on its hierarchy
    ch_verified,   ///< constraints: the unconstrained CH path crosses no constrained way
    astar,         ///< constraints: A* with CH potentials
    direct,        ///< both ends on the same road piece, no graph node in between
};
[[nodiscard]] std::string_view to_string(RouteEngine e) noexcept;

struct Leg {
    RouteEngine engine = RouteEngine::ch;
    LonLat start;  ///< snapped
    LonLat end;
    double distance_m = 0.0;
    double duration_s = 0.0;
    std::size_t first_point = 0;  ///< into RouteResult::geometry
    std::size_t last_point = 0;
    BBox bbox;
    std::vector<Step> steps;
};

struct Snap {
    LonLat input;
    LonLat snapped;
    double distance_m = 0.0;  ///< from input to snapped
    SegmentId segment = invalid_id;
    double fraction = 0.0;    ///< position along the segment (stored direction), 0..1
};

enum class RouteStatus : std::uint8_t {
    ok,
    no_road,   ///< points[failed_point] has no routable road within snap_radius_m
    no_route,  ///< leg failed_point → failed_point+1 is disconnected (constraints)
};

struct RouteResult {
    RouteStatus status = RouteStatus::ok;
    std::size_t failed_point = 0;
    double distance_m = 0.0;
    double duration_s = 0.0;
    std::vector<LonLat> geometry;
    BBox bbox;
    std::vector<Leg> legs;
    std::vector<Snap> snaps;
    /// Human explanation of a miss ("no road within 1000 m of point 2").
    std::string message;
};

struct MatrixRequest {
    std::string resource;
    std::string profile = "car";
    Optimization optimization = Optimization::fastest;
    std::vector<LonLat> sources;
    std::vector<LonLat> targets;
    double snap_radius_m = 1000.0;
    std::size_t max_size = 10000;  ///< most sources × targets cells
    [[nodiscard]] std::vector<std::string> validate() const;
};

struct MatrixResult {
    std::size_t rows = 0, cols = 0;
    /// Row-major rows × cols; NaN where unreachable or a point has no road.
    std::vector<double> durations_s;
    std::vector<double> distances_m;
    std::vector<Snap> source_snaps, target_snaps;  ///< segment invalid_id = no road
};

struct NearestRequest {
    std::string resource;
    std::string profile = "car";
    LonLat point;
    std::size_t count = 1;
    double radius_m = 1000.0;
};

// ---- query ------------------------------------------------------------------------------------

/// Per-thread query object. Not thread-safe itself; keeps scratch state between calls.
class Query {
public:
    explicit Query(const Router& router);
    ~Query();
    Query(Query&&) noexcept;
    Query& operator=(Query&&) noexcept;
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    /// Throws InvalidArgument (validate()'s problems, unknown constraint key/value) and
    /// Error(not_found) for an unknown resource/profile. Misses are RouteStatus values.
    [[nodiscard]] RouteResult route(const RouteRequest& request);
    [[nodiscard]] MatrixResult matrix(const MatrixRequest& request);
    /// Up to `count` nearest routable road pieces (one per segment), nearest first.
    [[nodiscard]] std::vector<Snap> nearest(const NearestRequest& request);

    [[nodiscard]] const Router& router() const noexcept;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

}  // namespace geoplex::routing
