// geoplex.Router and geoplex.Route: routes, matrices and nearest roads on numpy arrays.
//
// Points come in as (N, 2) array-likes of (lon, lat) rows. A Router is the routing handle plus a
// pool of routing::Query objects (their scratch state is sized to the graph), so repeated calls
// do not reallocate and Python threads can query one Router at once. Every query runs with the
// GIL released. Expected misses (no road near a point, disconnected points) are results, as in
// C++: Route.status says which; matrices hold NaN.

#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "bindings.hpp"
#include "convert.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/core/geojson.hpp"
#include "geoplex/routing/routing.hpp"
#include "query_pool.hpp"

namespace geoplex::python {

namespace {

using PyRouter = QueryPool<routing::Router, routing::Query>;

/// A route as Python sees it: numbers, the geometry (exposed as a numpy view) and plain-Python
/// legs and snaps (JSON-serialisable as they are).
struct PyRoute {
    std::string resource, profile, optimization;
    std::string status;
    std::optional<std::size_t> failed_point;
    std::string message;
    double distance = 0.0;
    double duration = 0.0;
    std::vector<LonLat> points;
    BBox bbox;
    py::list legs;
    py::list snaps;

    [[nodiscard]] bool ok() const noexcept { return status == "ok"; }
};

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::string_view status_name(routing::RouteStatus s) {
    switch (s) {
        case routing::RouteStatus::ok:
            return "ok";
        case routing::RouteStatus::no_road:
            return "no_road";
        case routing::RouteStatus::no_route:
            return "no_route";
    }
    return "ok";
}

routing::Optimization parse_optimization(const std::string& name) {
    if (auto o = routing::parse_optimization(name)) return *o;
    throw InvalidArgument(fmt::format("optimization must be 'fastest' or 'shortest', not '{}'", name));
}

const routing::ResourceInfo& resource_info(const routing::Router& router, const std::optional<std::string>& id) {
    if (!id) {
        if (router.resources().empty()) throw Error(errc::not_found, "this router has no routing resource");
        return router.resources().front();
    }
    if (const auto* info = router.find(*id)) return *info;
    std::string known;
    for (const auto& r : router.resources()) known += fmt::format("{}'{}'", known.empty() ? "" : ", ", r.id);
    throw Error(errc::not_found, fmt::format("unknown routing resource '{}' (known: {})", *id, known));
}

double radius_argument(double radius, const char* name) {
    require_finite(radius, name);
    if (radius <= 0.0 || radius > 100000.0)
        throw InvalidArgument(fmt::format("{} must be in ]0, 100000] metres, got {}", name, radius));
    return radius;
}

py::list bbox_list(const BBox& b) {
    py::list out;
    for (const double v : {b.min_x, b.min_y, b.max_x, b.max_y}) out.append(v);
    return out;
}

py::list coordinates_list(std::span<const LonLat> points) {
    py::list out;
    for (const LonLat p : points) out.append(position_list(p));
    return out;
}

// ---- constraints --------------------------------------------------------------------------------

routing::ConstraintType parse_constraint_type(const std::string& s, std::size_t i) {
    if (s == "banned") return routing::ConstraintType::banned;
    if (s == "preferred" || s == "prefer") return routing::ConstraintType::preferred;
    if (s == "unpreferred" || s == "avoid") return routing::ConstraintType::unpreferred;
    throw InvalidArgument(
        fmt::format("constraints[{}]: type must be 'banned', 'preferred' or 'unpreferred', not '{}'", i, s));
}

routing::ConstraintOperator parse_constraint_operator(const std::string& s, std::size_t i) {
    using Op = routing::ConstraintOperator;
    static const std::pair<const char*, Op> ops[] = {{"=", Op::eq},  {"==", Op::eq}, {"!=", Op::ne}, {">", Op::gt},
                                                     {">=", Op::ge}, {"<", Op::lt},  {"<=", Op::le}};
    for (const auto& [name, op] : ops)
        if (s == name) return op;
    throw InvalidArgument(fmt::format("constraints[{}]: operator must be one of =, !=, >, >=, <, <=, not '{}'", i, s));
}

/// Road2 constraint objects: {"constraintType" (or "type"): "banned", "key": "wayType",
/// "operator": "=", "value": "autoroute"}; "operator" defaults to "=".
std::vector<routing::Constraint> parse_constraints(const py::object& value) {
    std::vector<routing::Constraint> out;
    if (value.is_none()) return out;
    if (py::isinstance<py::dict>(value) || !py::isinstance<py::sequence>(value) || py::isinstance<py::str>(value))
        throw InvalidArgument(fmt::format("constraints must be a list of dicts, not {}", type_name(value)));
    std::size_t i = 0;
    for (const py::handle item : value) {
        if (!py::isinstance<py::dict>(item))
            throw InvalidArgument(fmt::format("constraints[{}] must be a dict, not {}", i, type_name(item)));
        const auto d = py::reinterpret_borrow<py::dict>(item);
        const auto text = [&](const char* key, const char* fallback_key) -> std::optional<std::string> {
            for (const char* k : {key, fallback_key}) {
                if (k == nullptr || !d.contains(k)) continue;
                const py::object v = d[k];
                if (!py::isinstance<py::str>(v))
                    throw InvalidArgument(fmt::format("constraints[{}].{} must be a str, not {}", i, k, type_name(v)));
                return v.cast<std::string>();
            }
            return std::nullopt;
        };
        routing::Constraint c;
        const auto type = text("constraintType", "type");
        if (!type) throw InvalidArgument(fmt::format("constraints[{}]: 'constraintType' is missing", i));
        c.type = parse_constraint_type(*type, i);
        const auto key = text("key", nullptr);
        if (!key || key->empty()) throw InvalidArgument(fmt::format("constraints[{}]: 'key' is missing", i));
        c.key = *key;
        c.op = parse_constraint_operator(text("operator", nullptr).value_or("="), i);
        if (!d.contains("value")) throw InvalidArgument(fmt::format("constraints[{}]: 'value' is missing", i));
        const py::object v = d["value"];
        if (py::isinstance<py::str>(v)) {
            c.value = v.cast<std::string>();
        } else if ((py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v)) && !py::isinstance<py::bool_>(v)) {
            c.number = v.cast<double>();
            c.value = py::str(v).cast<std::string>();
        } else {
            throw InvalidArgument(
                fmt::format("constraints[{}].value must be a str or a number, not {}", i, type_name(v)));
        }
        out.push_back(std::move(c));
        ++i;
    }
    return out;
}

// ---- results ------------------------------------------------------------------------------------

py::list flag_names(std::uint16_t flags) {
    static const std::pair<std::uint16_t, const char*> names[] = {
        {routing::way_flag::motorway, "motorway"}, {routing::way_flag::tunnel, "tunnel"},
        {routing::way_flag::bridge, "bridge"},     {routing::way_flag::roundabout, "roundabout"},
        {routing::way_flag::ferry, "ferry"},       {routing::way_flag::toll, "toll"},
        {routing::way_flag::link, "link"}};
    py::list out;
    for (const auto& [bit, name] : names)
        if ((flags & bit) != 0) out.append(name);
    return out;
}

py::dict step_dict(const routing::Step& s, const routing::Graph& graph) {
    py::dict maneuver;
    maneuver["type"] = s.maneuver.type;
    maneuver["modifier"] = s.maneuver.modifier;
    maneuver["exit"] = s.maneuver.exit;
    py::dict d;
    d["distance"] = s.distance_m;
    d["duration"] = s.duration_s;
    d["maneuver"] = maneuver;
    d["name"] = s.name;
    d["ref"] = s.ref;
    const bool known_way = s.way != routing::invalid_id && s.way < graph.way_class.size();
    d["way_class"] = known_way ? py::str(std::string(graph.string(graph.way_class[s.way]))) : py::str("");
    d["way_flags"] = known_way && s.way < graph.way_flags.size() ? flag_names(graph.way_flags[s.way]) : py::list();
    d["geometry"] = coordinates_list(s.geometry);
    return d;
}

py::dict leg_dict(const routing::Leg& leg, const routing::Graph& graph) {
    py::dict d;
    d["start"] = position_list(leg.start);
    d["end"] = position_list(leg.end);
    d["distance"] = leg.distance_m;
    d["duration"] = leg.duration_s;
    d["first_point"] = leg.first_point;
    d["last_point"] = leg.last_point;
    d["bbox"] = bbox_list(leg.bbox);
    py::list steps;
    for (const auto& s : leg.steps) steps.append(step_dict(s, graph));
    d["steps"] = steps;
    return d;
}

py::dict snap_dict(const routing::Snap& s) {
    py::dict d;
    d["input"] = position_list(s.input);
    const bool found = s.segment != routing::invalid_id;
    d["snapped"] = found ? py::object(position_list(s.snapped)) : py::object(py::none());
    d["distance"] = found ? s.distance_m : nan;
    return d;
}

PyRoute wrap_route(const routing::Router& router, const routing::RouteRequest& request, routing::RouteResult&& r) {
    const routing::Graph& graph = router.graph(request.resource, request.profile);
    PyRoute out;
    out.resource = request.resource;
    out.profile = request.profile;
    out.optimization = std::string(routing::to_string(request.optimization));
    out.status = std::string(status_name(r.status));
    if (r.status != routing::RouteStatus::ok) out.failed_point = r.failed_point;
    out.message = std::move(r.message);
    out.distance = r.status == routing::RouteStatus::ok ? r.distance_m : nan;
    out.duration = r.status == routing::RouteStatus::ok ? r.duration_s : nan;
    out.points = std::move(r.geometry);
    out.bbox = r.bbox;
    for (const auto& leg : r.legs) out.legs.append(leg_dict(leg, graph));
    for (const auto& s : r.snaps) out.snaps.append(snap_dict(s));
    return out;
}

py::array_t<double> geometry_view(const py::object& self) {
    const auto& route = self.cast<const PyRoute&>();
    const auto n = static_cast<py::ssize_t>(route.points.size());
    constexpr auto stride = static_cast<py::ssize_t>(sizeof(LonLat));
    // A read-only view over the route's points, kept alive by the Route object.
    py::array_t<double> view({n, py::ssize_t{2}}, {stride, static_cast<py::ssize_t>(sizeof(double))},
                             n != 0 ? &route.points.front().lon : nullptr, self);
    view.attr("setflags")(py::arg("write") = false);
    return view;
}

py::dict route_geojson(const PyRoute& r) {
    py::dict properties;
    properties["resource"] = r.resource;
    properties["profile"] = r.profile;
    properties["optimization"] = r.optimization;
    properties["status"] = r.status;
    properties["distance"] = r.distance;
    properties["duration"] = r.duration;
    properties["distance_unit"] = "meter";
    properties["duration_unit"] = "second";
    properties["bbox"] = r.ok() ? py::object(bbox_list(r.bbox)) : py::object(py::none());
    properties["legs"] = r.legs;
    if (!r.ok()) properties["message"] = r.message;
    py::dict feature;
    feature["type"] = "Feature";
    if (r.ok()) {
        py::dict geometry;
        geometry["type"] = "LineString";
        geometry["coordinates"] = coordinates_list(r.points);
        feature["geometry"] = geometry;
    } else {
        feature["geometry"] = py::none();
    }
    feature["properties"] = properties;
    return feature;
}

py::dict route_dict(const PyRoute& r) {
    py::dict d;
    d["status"] = r.status;
    d["message"] = r.message;
    d["failed_point"] = r.failed_point ? py::object(py::int_(*r.failed_point)) : py::object(py::none());
    d["resource"] = r.resource;
    d["profile"] = r.profile;
    d["optimization"] = r.optimization;
    d["distance"] = r.distance;
    d["duration"] = r.duration;
    d["bbox"] = r.ok() ? py::object(bbox_list(r.bbox)) : py::object(py::none());
    d["geometry"] = route_geojson(r)["geometry"];
    d["legs"] = r.legs;
    d["snaps"] = r.snaps;
    return d;
}

py::dict resource_dict(const routing::ResourceInfo& r) {
    py::dict d;
    d["id"] = r.id;
    d["title"] = r.title;
    d["description"] = r.description;
    d["version"] = r.version;
    d["format"] = r.format == routing::SourceFormat::osm ? "osm" : "bdtopo";
    py::list profiles;
    for (const auto& p : r.profiles) {
        py::dict pd;
        pd["name"] = p.name;
        py::list opts;
        for (const auto o : p.optimizations) opts.append(std::string(routing::to_string(o)));
        pd["optimizations"] = opts;
        pd["nodes"] = p.report.nodes;
        pd["arcs"] = p.report.arcs;
        pd["segments"] = p.report.segments;
        pd["restrictions"] = p.report.restrictions;
        profiles.append(pd);
    }
    d["profiles"] = profiles;
    d["crs"] = py::cast(r.crs);
    d["bbox"] = bbox_tuple(r.bbox);
    return d;
}

std::unique_ptr<PyRouter> make_router(routing::Router router) {
    return std::make_unique<PyRouter>(std::move(router));
}

}  // namespace

py::object routing_object(const bundle::Engine& engine) {
    return py::cast(make_router(engine.routing()));
}

void bind_routing(py::module_& m) {
    py::class_<PyRoute>(m, "Route",
                        "A route between two or more points (result of Router.route()).\n\n"
                        "A miss is a result, not an exception: `status` is 'no_road' (a point has no routable road\n"
                        "within snap_radius) or 'no_route' (two successive points are not connected), with\n"
                        "`failed_point` and a human `message`; distance and duration are then NaN.")
        .def_readonly("status", &PyRoute::status, "'ok', 'no_road' or 'no_route'.")
        .def_property_readonly("ok", &PyRoute::ok, "True when status == 'ok'.")
        .def_readonly("failed_point", &PyRoute::failed_point,
                      "Index of the point without road ('no_road') or of the start of the disconnected leg\n"
                      "('no_route'); None when ok.")
        .def_readonly("message", &PyRoute::message, "Why the route failed ('' when ok).")
        .def_readonly("resource", &PyRoute::resource, "Routing resource used.")
        .def_readonly("profile", &PyRoute::profile, "Profile used ('car', 'pedestrian'…).")
        .def_readonly("optimization", &PyRoute::optimization, "'fastest' or 'shortest'.")
        .def_readonly("distance", &PyRoute::distance, "Length in metres (NaN when not ok).")
        .def_readonly("duration", &PyRoute::duration, "Travel time in seconds (NaN when not ok).")
        .def_property_readonly("geometry", &geometry_view,
                               "The route's line as a read-only float64 array of shape (N, 2), (lon, lat) rows\n"
                               "(empty without geometry, or when not ok). Legs index it with first_point/last_point.")
        .def_property_readonly(
            "bbox", [](const PyRoute& r) { return bbox_tuple(r.bbox); },
            "(min_lon, min_lat, max_lon, max_lat) of the geometry.")
        .def_readonly("legs", &PyRoute::legs,
                      "One dict per leg (between successive points): start, end ([lon, lat], snapped), distance (m),\n"
                      "duration (s), first_point/last_point (indices into geometry), bbox, and steps: dicts with\n"
                      "distance, duration, maneuver {type, modifier, exit} (OSRM words: depart, turn, new name,\n"
                      "continue, roundabout, arrive…), name, ref, way_class (highway value or BD TOPO nature),\n"
                      "way_flags (motorway, tunnel, bridge, roundabout, ferry, toll, link) and geometry\n"
                      "([[lon, lat], …]).")
        .def_readonly("snaps", &PyRoute::snaps,
                      "One dict per input point: input and snapped ([lon, lat]; snapped None when no road) and\n"
                      "distance (m) between them.")
        .def("to_geojson", &route_geojson,
             "A GeoJSON Feature (dict): the LineString (null geometry when not ok) with resource, profile,\n"
             "optimization, status, distance (m), duration (s), bbox and legs as properties.")
        .def("to_dict", &route_dict, "The route as a plain, JSON-serialisable dict (geometry as GeoJSON).")
        .def(
            "to_polyline",
            [](const PyRoute& r, int precision) {
                if (precision < 1 || precision > 10)
                    throw InvalidArgument(fmt::format("precision must be in [1, 10], got {}", precision));
                return core::encode_polyline(r.points, precision);
            },
            py::arg("precision") = 5, "Google encoded polyline of the geometry (precision 5 as OSRM/Road2, 6 = polyline6).")
        .def("__len__", [](const PyRoute& r) { return r.points.size(); }, "Number of points of the geometry.")
        .def("__repr__", [](const PyRoute& r) {
            if (!r.ok()) return fmt::format("Route(status='{}', message='{}')", r.status, r.message);
            return fmt::format("Route(distance={:.1f} m, duration={:.1f} s, legs={}, points={}, profile='{}')",
                               r.distance, r.duration, r.legs.size(), r.points.size(), r.profile);
        });

    py::class_<PyRouter>(m, "Router",
                         "The routing component of a bundle: routes, matrices, nearest roads. Immutable and safe\n"
                         "to share between threads (each call leases its own query state; the GIL is released).\n"
                         "Get it from Engine.routing or Router.open(path).")
        .def_static(
            "open",
            [](const std::filesystem::path& path, bool verify_checksums) {
                routing::OpenOptions options;
                options.verify_checksums = verify_checksums;
                std::optional<routing::Router> router;
                {
                    py::gil_scoped_release release;
                    router.emplace(routing::Router::open(path, options));
                }
                return make_router(std::move(*router));
            },
            py::arg("path"), py::arg("verify_checksums") = false,
            "Opens a bundle's routing/ folder alone.\n\n"
            "Raises:\n"
            "    IoError, FormatError: a file is missing or corrupt.")
        .def(
            "resources",
            [](const PyRouter& self) {
                py::list out;
                for (const auto& r : self.handle().resources()) out.append(resource_dict(r));
                return out;
            },
            "The routing resources, as dicts: id, title, description, version, format ('osm' or 'bdtopo'),\n"
            "profiles (dicts: name, optimizations, nodes, arcs, segments, restrictions), crs, bbox.")
        .def(
            "profiles",
            [](const PyRouter& self, const std::optional<std::string>& resource) {
                std::vector<std::string> names;
                for (const auto& p : resource_info(self.handle(), resource).profiles) names.push_back(p.name);
                return names;
            },
            py::arg("resource") = py::none(),
            "Profile names of a resource (None = the first resource), e.g. ['car', 'pedestrian'].")
        .def(
            "route",
            [](PyRouter& self, const py::object& points, const std::string& profile, const std::string& optimization,
               const std::optional<std::string>& resource, const py::object& constraints, bool geometry, bool steps,
               double snap_radius, std::size_t max_intermediates) {
                routing::RouteRequest request;
                request.resource = resource_info(self.handle(), resource).id;
                request.profile = profile;
                request.optimization = parse_optimization(optimization);
                request.points = lonlat_points(points, "points", 2);
                request.constraints = parse_constraints(constraints);
                request.geometry = geometry;
                request.steps = steps;
                request.snap_radius_m = radius_argument(snap_radius, "snap_radius");
                request.max_intermediates = max_intermediates;
                if (request.points.size() > max_intermediates + 2)
                    throw InvalidArgument(fmt::format("points: at most {} intermediates are allowed (got {}); raise "
                                                      "max_intermediates",
                                                      max_intermediates, request.points.size() - 2));
                routing::RouteResult result;
                {
                    py::gil_scoped_release release;
                    auto query = self.lease();
                    result = query->route(request);
                }
                return wrap_route(self.handle(), request, std::move(result));
            },
            py::arg("points"), py::arg("profile") = "car", py::arg("optimization") = "fastest",
            py::arg("resource") = py::none(), py::arg("constraints") = py::none(), py::arg("geometry") = true,
            py::arg("steps") = true, py::arg("snap_radius") = 1000.0, py::arg("max_intermediates") = 10,
            "The best route through `points` (start, intermediates…, end).\n\n"
            "Args:\n"
            "    points: (N, 2) array-like of (lon, lat) rows, N >= 2 (WGS84).\n"
            "    profile: a profile of the resource ('car', 'pedestrian'…).\n"
            "    optimization: 'fastest' or 'shortest'.\n"
            "    resource: routing resource id; None = the first one.\n"
            "    constraints: list of Road2 constraint dicts, e.g.\n"
            "        {'constraintType': 'banned', 'key': 'wayType', 'operator': '=', 'value': 'autoroute'}\n"
            "        ('type' is accepted for 'constraintType'; 'operator' defaults to '='). Keys: wayType\n"
            "        (autoroute, tunnel, pont) everywhere, BD TOPO attributes on BD TOPO resources;\n"
            "        preferred/unpreferred multiply weights by 0.8/1.5.\n"
            "    geometry, steps: unpack the route's line / turn-by-turn steps (both False: only the totals).\n"
            "    snap_radius: metres; a point farther from any routable road is a 'no_road' miss.\n"
            "    max_intermediates: most intermediate points accepted.\n\n"
            "Returns:\n"
            "    Route (check .ok / .status).\n\n"
            "Raises:\n"
            "    InvalidArgument: bad points, optimization, constraint, radius.\n"
            "    NotFound: unknown resource or profile, or optimization not built.")
        .def(
            "matrix",
            [](PyRouter& self, const py::object& sources, const py::object& targets, const std::string& profile,
               const std::string& optimization, const std::optional<std::string>& resource, double snap_radius,
               const std::optional<std::size_t>& max_size) {
                routing::MatrixRequest request;
                request.resource = resource_info(self.handle(), resource).id;
                request.profile = profile;
                request.optimization = parse_optimization(optimization);
                request.sources = lonlat_points(sources, "sources", 1);
                request.targets = targets.is_none() ? request.sources : lonlat_points(targets, "targets", 1);
                request.snap_radius_m = radius_argument(snap_radius, "snap_radius");
                request.max_size = max_size.value_or(std::numeric_limits<std::size_t>::max());
                const auto rows = static_cast<py::ssize_t>(request.sources.size());
                const auto cols = static_cast<py::ssize_t>(request.targets.size());
                py::array_t<double> durations({rows, cols});
                py::array_t<double> distances({rows, cols});
                double* out_durations = durations.mutable_data();
                double* out_distances = distances.mutable_data();
                {
                    py::gil_scoped_release release;
                    routing::MatrixResult result;
                    {
                        auto query = self.lease();
                        result = query->matrix(request);
                    }
                    const auto cells = static_cast<std::size_t>(rows * cols);
                    if (result.durations_s.size() != cells || result.distances_m.size() != cells)
                        throw Error(errc::internal, "routing matrix: result size does not match the request");
                    std::copy(result.durations_s.begin(), result.durations_s.end(), out_durations);
                    std::copy(result.distances_m.begin(), result.distances_m.end(), out_distances);
                }
                return py::make_tuple(durations, distances);
            },
            py::arg("sources"), py::arg("targets") = py::none(), py::arg("profile") = "car",
            py::arg("optimization") = "fastest", py::arg("resource") = py::none(), py::arg("snap_radius") = 1000.0,
            py::arg("max_size") = py::none(),
            "Many-to-many travel times and distances.\n\n"
            "Args:\n"
            "    sources, targets: (N, 2) and (M, 2) array-likes of (lon, lat) rows; targets None = sources.\n"
            "    profile, optimization, resource, snap_radius: as route(). The optimization chooses the\n"
            "        paths; both metrics are measured along them.\n"
            "    max_size: most N × M cells accepted (None = no limit).\n\n"
            "Returns:\n"
            "    (durations, distances): two float64 arrays of shape (N, M), seconds and metres; cell [i, j]\n"
            "    is source i → target j along the best path. NaN where target j cannot be reached from\n"
            "    source i, or where either point has no road within snap_radius. Equal to route([s, t])\n"
            "    for each pair.")
        .def(
            "nearest",
            [](PyRouter& self, const py::object& points, const std::string& profile,
               const std::optional<std::string>& resource, double radius) {
                const auto input = lonlat_points(points, "points", 0);
                routing::NearestRequest request;
                request.resource = resource_info(self.handle(), resource).id;
                request.profile = profile;
                request.radius_m = radius_argument(radius, "radius");
                request.count = 1;
                const auto n = static_cast<py::ssize_t>(input.size());
                py::array_t<double> snapped({n, py::ssize_t{2}});
                py::array_t<double> distance({n});
                double* out_snapped = snapped.mutable_data();
                double* out_distance = distance.mutable_data();
                {
                    py::gil_scoped_release release;
                    auto query = self.lease();
                    for (std::size_t i = 0; i < input.size(); ++i) {
                        request.point = input[i];
                        const auto hits = query->nearest(request);
                        const bool found = !hits.empty();
                        out_snapped[2 * i] = found ? hits.front().snapped.lon : nan;
                        out_snapped[2 * i + 1] = found ? hits.front().snapped.lat : nan;
                        out_distance[i] = found ? hits.front().distance_m : nan;
                    }
                }
                return py::make_tuple(snapped, distance);
            },
            py::arg("points"), py::arg("profile") = "car", py::arg("resource") = py::none(),
            py::arg("radius") = 1000.0,
            "The nearest routable road position of each point (vectorised).\n\n"
            "Args:\n"
            "    points: (N, 2) array-like of (lon, lat) rows (one pair = one point).\n"
            "    profile, resource: as route().\n"
            "    radius: metres searched around each point.\n\n"
            "Returns:\n"
            "    (snapped, distance): float64 arrays of shape (N, 2) — (lon, lat) on the road — and (N,)\n"
            "    — metres from the point; NaN rows where no road is within radius.")
        .def(
            "nearest_roads",
            [](PyRouter& self, const py::object& point, std::size_t count, const std::string& profile,
               const std::optional<std::string>& resource, double radius) {
                const auto input = lonlat_points(point, "point", 1);
                if (input.size() != 1)
                    throw InvalidArgument(fmt::format("point must be one (lon, lat) pair, got {}", input.size()));
                if (count == 0 || count > 1000)
                    throw InvalidArgument(fmt::format("count must be in [1, 1000], got {}", count));
                routing::NearestRequest request;
                request.resource = resource_info(self.handle(), resource).id;
                request.profile = profile;
                request.radius_m = radius_argument(radius, "radius");
                request.count = count;
                request.point = input.front();
                std::vector<routing::Snap> hits;
                {
                    py::gil_scoped_release release;
                    auto query = self.lease();
                    hits = query->nearest(request);
                }
                py::list features;
                for (std::size_t i = 0; i < hits.size(); ++i) {
                    py::dict geometry;
                    geometry["type"] = "Point";
                    geometry["coordinates"] = position_list(hits[i].snapped);
                    py::dict properties;
                    properties["rank"] = i;
                    properties["distance"] = hits[i].distance_m;
                    properties["segment"] = hits[i].segment;
                    properties["fraction"] = hits[i].fraction;
                    py::dict feature;
                    feature["type"] = "Feature";
                    feature["geometry"] = geometry;
                    feature["properties"] = properties;
                    features.append(feature);
                }
                py::dict collection;
                collection["type"] = "FeatureCollection";
                collection["features"] = features;
                return collection;
            },
            py::arg("point"), py::arg("count") = 5, py::arg("profile") = "car", py::arg("resource") = py::none(),
            py::arg("radius") = 1000.0,
            "Up to `count` nearest routable road pieces around one point (Road2's nearest), nearest first,\n"
            "as a GeoJSON FeatureCollection of the projected points with properties rank, distance (m),\n"
            "segment (road piece id) and fraction (position along it, 0..1).")
        .def("__repr__", [](const PyRouter& self) {
            std::string items;
            for (const auto& r : self.handle().resources()) {
                std::string profiles;
                for (const auto& p : r.profiles) profiles += fmt::format("{}'{}'", profiles.empty() ? "" : ", ", p.name);
                items += fmt::format("{}'{}': [{}]", items.empty() ? "" : ", ", r.id, profiles);
            }
            return fmt::format("Router(resources={{{}}})", items);
        });
}

}  // namespace geoplex::python
