// The Géoplateforme routing API (Road2 "simple" 1.0.0) over routing::Query.
//
// GET reads the query string; POST reads a JSON object with the same names, where
// `intermediates`, `constraints` and `waysAttributes` may be arrays (Road2 joins them with '|'
// as for GET). Parameter checks follow Road2's controller order and wording; the first problem
// is reported (ErrorStyle::road2: {"error":{"message":" … "}}).

#include "geoplex/server/routing_api.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/crs.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/core/geojson.hpp"
#include "geoplex/core/json_writer.hpp"
#include "geoplex/routing/routing.hpp"
#include "server/isochrone_caps.hpp"
#include "server/road2_params.hpp"

namespace geoplex::server {

namespace {

using routing::Optimization;
using namespace road2;  // Road2 parameter helpers shared with the isochrone API

Optimization resolve_profile_optimization(const Params& p, const routing::ResourceInfo& info, std::string& profile) {
    profile = info.profiles.empty() ? "car" : info.profiles.front().name;
    if (info.find_profile("car") != nullptr) profile = "car";
    if (const std::string* v = p.given("profile")) {
        if (info.find_profile(*v) == nullptr) fail("Parameter 'profile' is invalid");
        profile = *v;
    }
    Optimization o = Optimization::fastest;
    if (const std::string* v = p.given("optimization")) {
        const auto parsed = routing::parse_optimization(*v);
        if (!parsed) fail("Parameter 'optimization' is invalid");
        o = *parsed;
    }
    const auto* pi = info.find_profile(profile);
    if (pi == nullptr || std::find(pi->optimizations.begin(), pi->optimizations.end(), o) == pi->optimizations.end())
        fail("Parameters 'profile' and 'optimization' are not compatible");
    return o;
}

std::string version_of(const routing::ResourceInfo& info) { return info.version; }

// ---- /itineraire -------------------------------------------------------------------------------

Response route_handler(const Request& req, const bundle::Engine& engine, const RoutingApiOptions& opt) {
    const Params p(req);
    const auto [router, info] = resolve_resource(p, engine);
    const std::string crs = resolve_crs(p, *info);
    const double margin = opt.snap_radius_m / 111'000.0;
    LonLat start, end;
    const std::string* start_text = p.given("start");
    if (start_text == nullptr) fail("Parameter 'start' not found");
    if (!to_wgs84(*start_text, crs, *info, margin, start)) fail("Parameter 'start' is invalid. Wrong format or out of the bbox.");
    const std::string* end_text = p.given("end");
    if (end_text == nullptr) fail("Parameter 'end' not found");
    if (!to_wgs84(*end_text, crs, *info, margin, end)) fail("Parameter 'end' is invalid. Wrong format or out of the bbox.");
    std::string profile;
    const Optimization o = resolve_profile_optimization(p, *info, profile);

    routing::RouteRequest rr;
    rr.resource = info->id;
    rr.profile = profile;
    rr.optimization = o;
    rr.max_intermediates = opt.max_intermediates;
    rr.snap_radius_m = opt.snap_radius_m;
    rr.points.push_back(start);
    std::vector<std::string> point_texts{*start_text};
    if (const std::string* inter = p.given("intermediates")) {
        const auto parts = split(*inter, '|');
        if (parts.size() > opt.max_intermediates)
            fail("Parameter 'intermediates' is invalid. Wrong format or out of the bbox.");
        for (const auto part : parts) {
            LonLat q;
            if (!to_wgs84(trim(part), crs, *info, margin, q))
                fail("Parameter 'intermediates' is invalid. Wrong format or out of the bbox.");
            rr.points.push_back(q);
            point_texts.emplace_back(trim(part));
        }
    }
    rr.points.push_back(end);
    point_texts.push_back(*end_text);

    bool steps = true, bbox = true;
    if (const std::string* v = p.given("getSteps"); v != nullptr && !parse_bool(*v, steps))
        fail("Parameter 'getSteps' is invalid");
    std::vector<std::string> ways_attributes;
    if (const std::string* v = p.given("waysAttributes")) {
        for (const auto a : split(*v, '|')) {
            const bool ok = a == "name" || (info->format == routing::SourceFormat::bdtopo && !a.empty());
            if (!ok) fail("Parameter 'waysAttributes' is invalid");
            ways_attributes.emplace_back(a);
        }
    }
    GeometryFormat gf = GeometryFormat::geojson;
    if (const std::string* v = p.given("geometryFormat")) {
        if (*v == "geojson") gf = GeometryFormat::geojson;
        else if (*v == "polyline") gf = GeometryFormat::polyline;
        else if (*v == "wkt") gf = GeometryFormat::wkt;
        else fail("Parameter 'geometryFormat' is invalid");
    }
    if (const std::string* v = p.given("getBbox"); v != nullptr && !parse_bool(*v, bbox))
        fail("Parameter 'getBbox' is invalid");
    Units units;
    units.time = opt.default_time_unit;
    if (const std::string* v = p.given("timeUnit")) {
        if (*v != "hour" && *v != "minute" && *v != "second" && *v != "standard") fail("Parameter 'timeUnit' is invalid");
        units.time = *v;
    }
    if (const std::string* v = p.given("distanceUnit")) {
        if (*v != "meter" && *v != "kilometer") fail("Parameter 'distanceUnit' is invalid");
        units.distance = *v;
    }
    if (const std::string* v = p.given("constraints")) rr.constraints = parse_constraints(*v, *info, opt.max_constraints);
    rr.steps = steps;
    rr.geometry = true;

    routing::Query query(*router);
    routing::RouteResult res;
    try {
        res = query.route(rr);
    } catch (const InvalidArgument&) {
        if (!rr.constraints.empty()) fail("Parameter 'constraints' is invalid");
        throw;
    }
    if (res.status != routing::RouteStatus::ok) fail(fmt::format("No path found: {}", res.message), 404);

    const int dec = decimals_for(crs);
    std::vector<XY> line;
    line.reserve(res.geometry.size());
    for (const auto& q : res.geometry) line.push_back({q.lon, q.lat});
    from_wgs84(line, crs);

    core::JsonWriter w;
    w.begin_object();
    w.key("resource").value(info->id);
    w.key("resourceVersion").value(version_of(*info));
    w.key("start").value(*start_text);
    w.key("end").value(*end_text);
    w.key("profile").value(profile);
    w.key("optimization").value(routing::to_string(o));
    w.key("geometry");
    write_line(w, line, gf, dec);
    w.key("crs").value(crs);
    w.key("distanceUnit").value(units.distance);
    w.key("timeUnit").value(units.time);
    if (bbox) {
        w.key("bbox");
        write_bbox(w, line, dec);
    }
    w.key("distance");
    units.distance_value(w, res.distance_m);
    w.key("duration");
    units.time_value(w, res.duration_s);
    w.key("constraints");
    write_constraints(w, rr.constraints);
    w.key("portions").begin_array();
    const routing::Graph& g = router->graph(info->id, profile);
    for (std::size_t i = 0; i < res.legs.size(); ++i) {
        const auto& leg = res.legs[i];
        w.begin_object();
        w.key("start").value(point_texts[i]);
        w.key("end").value(point_texts[i + 1]);
        w.key("distance");
        units.distance_value(w, leg.distance_m);
        w.key("duration");
        units.time_value(w, leg.duration_s);
        if (bbox) {
            w.key("bbox");
            if (res.legs.size() > 1) {
                const std::vector<XY> part(line.begin() + static_cast<long>(leg.first_point),
                                           line.begin() + static_cast<long>(leg.last_point) + 1);
                write_bbox(w, part, dec);
            } else {
                write_bbox(w, line, dec);
            }
        }
        w.key("steps").begin_array();
        for (const auto& s : leg.steps) {
            std::vector<XY> sl;
            for (const auto& q : s.geometry) sl.push_back({q.lon, q.lat});
            from_wgs84(sl, crs);
            w.begin_object();
            w.key("geometry");
            write_line(w, sl, gf, dec);
            if (!ways_attributes.empty() && s.way != routing::invalid_id) {
                w.key("attributes").begin_object();
                const auto attrs_text = g.string(g.way_attributes[s.way]);
                const auto attrs = attrs_text.empty() ? nlohmann::json::object()
                                                      : nlohmann::json::parse(attrs_text, nullptr, false);
                for (const auto& a : ways_attributes) {
                    w.key(a);
                    if (a == "name") {
                        w.begin_object().key("name").value(s.name);
                        if (!s.ref.empty()) w.key("ref").value(s.ref);
                        w.end_object();
                    } else if (attrs.is_object() && attrs.contains(a)) {
                        w.raw(attrs[a].dump());
                    } else {
                        w.null();
                    }
                }
                w.end_object();
            }
            w.key("distance");
            units.distance_value(w, s.distance_m);
            w.key("duration");
            units.time_value(w, s.duration_s);
            w.key("instruction").begin_object().key("type").value(s.maneuver.type);
            if (!s.maneuver.modifier.empty()) w.key("modifier").value(s.maneuver.modifier);
            if (s.maneuver.exit > 0) w.key("exit").value(s.maneuver.exit);
            w.end_object();
            w.end_object();
        }
        w.end_array();
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return Response::json(w.str());
}

// ---- /nearest -----------------------------------------------------------------------------------

Response nearest_handler(const Request& req, const bundle::Engine& engine, const RoutingApiOptions& opt) {
    const Params p(req);
    const auto [router, info] = resolve_resource(p, engine);
    const std::string crs = resolve_crs(p, *info);
    const std::string* coords = p.given("coordinates");
    if (coords == nullptr) fail("Parameter 'coordinates' not found");
    LonLat pt;
    if (!to_wgs84(*coords, crs, *info, opt.snap_radius_m / 111'000.0, pt))
        fail("Parameter 'coordinates' is invalid. Wrong format or out of the bbox.");
    std::size_t count = 1;
    if (const std::string* v = p.given("nbPoints")) {
        std::size_t n = 0;
        const auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
        if (ec != std::errc() || ptr != v->data() + v->size() || n == 0 || n > opt.max_nearest)
            fail("Parameter 'nbPoints' is invalid");
        count = n;
    }
    std::string profile;
    (void)resolve_profile_optimization(p, *info, profile);
    routing::Query query(*router);
    routing::NearestRequest nr;
    nr.resource = info->id;
    nr.profile = profile;
    nr.point = pt;
    nr.count = count;
    nr.radius_m = opt.snap_radius_m;
    const auto snaps = query.nearest(nr);
    std::vector<XY> xy;
    for (const auto& s : snaps) xy.push_back({s.snapped.lon, s.snapped.lat});
    from_wgs84(xy, crs);
    const int dec = decimals_for(crs);
    core::JsonWriter w;
    w.begin_object();
    w.key("resource").value(info->id);
    w.key("resourceVersion").value(version_of(*info));
    w.key("coordinates").value(*coords);
    w.key("crs").value(crs);
    w.key("points").begin_array();
    for (std::size_t i = 0; i < snaps.size(); ++i) {
        w.begin_object();
        w.key("id").value(fmt::format("{}", snaps[i].segment));
        w.key("geometry").begin_array().value_fixed(xy[i].x, dec).value_fixed(xy[i].y, dec).end_array();
        w.key("distance").value_fixed(snaps[i].distance_m, 3);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return Response::json(w.str());
}

// ---- /matrix (geoplex extension) ------------------------------------------------------------------

Response matrix_handler(const Request& req, const bundle::Engine& engine, const RoutingApiOptions& opt) {
    const Params p(req);
    const auto [router, info] = resolve_resource(p, engine);
    const std::string crs = resolve_crs(p, *info);
    const double margin = opt.snap_radius_m / 111'000.0;
    auto points = [&, resource = info](const char* name) {
        const std::string* v = p.given(name);
        if (v == nullptr) fail(fmt::format("Parameter '{}' not found", name));
        std::vector<LonLat> out;
        for (const auto part : split(*v, '|')) {
            LonLat q;
            if (!to_wgs84(trim(part), crs, *resource, margin, q))
                fail(fmt::format("Parameter '{}' is invalid. Wrong format or out of the bbox.", name));
            out.push_back(q);
        }
        return out;
    };
    routing::MatrixRequest mr;
    mr.resource = info->id;
    mr.sources = points("sources");
    mr.targets = points("targets");
    if (mr.sources.size() * mr.targets.size() > opt.max_matrix_cells)
        fail(fmt::format("Parameters 'sources' and 'targets' are invalid: at most {} cells", opt.max_matrix_cells));
    mr.max_size = opt.max_matrix_cells;
    mr.snap_radius_m = opt.snap_radius_m;
    mr.optimization = resolve_profile_optimization(p, *info, mr.profile);
    Units units;
    units.time = "second";
    if (const std::string* v = p.given("timeUnit")) {
        if (*v != "hour" && *v != "minute" && *v != "second" && *v != "standard") fail("Parameter 'timeUnit' is invalid");
        units.time = *v;
    }
    if (const std::string* v = p.given("distanceUnit")) {
        if (*v != "meter" && *v != "kilometer") fail("Parameter 'distanceUnit' is invalid");
        units.distance = *v;
    }
    routing::Query query(*router);
    const auto m = query.matrix(mr);
    core::JsonWriter w;
    w.begin_object();
    w.key("resource").value(info->id);
    w.key("resourceVersion").value(version_of(*info));
    w.key("profile").value(mr.profile);
    w.key("optimization").value(routing::to_string(mr.optimization));
    w.key("crs").value(crs);
    w.key("distanceUnit").value(units.distance);
    w.key("timeUnit").value(units.time);
    auto snapped = [&](const char* key, const std::vector<routing::Snap>& snaps) {
        std::vector<XY> xy;
        for (const auto& s : snaps) xy.push_back({s.snapped.lon, s.snapped.lat});
        from_wgs84(xy, crs);
        w.key(key).begin_array();
        for (std::size_t i = 0; i < snaps.size(); ++i) {
            if (snaps[i].segment == routing::invalid_id) {
                w.null();
                continue;
            }
            const int dec = decimals_for(crs);
            w.begin_array().value_fixed(xy[i].x, dec).value_fixed(xy[i].y, dec).end_array();
        }
        w.end_array();
    };
    snapped("sources", m.source_snaps);
    snapped("targets", m.target_snaps);
    w.key("durations").begin_array();
    for (std::size_t i = 0; i < m.rows; ++i) {
        w.begin_array();
        for (std::size_t j = 0; j < m.cols; ++j) {
            const double d = m.durations_s[i * m.cols + j];
            if (std::isnan(d)) w.null();
            else units.time_value(w, d);
        }
        w.end_array();
    }
    w.end_array();
    w.key("distances").begin_array();
    for (std::size_t i = 0; i < m.rows; ++i) {
        w.begin_array();
        for (std::size_t j = 0; j < m.cols; ++j) {
            const double d = m.distances_m[i * m.cols + j];
            if (std::isnan(d)) w.null();
            else units.distance_value(w, d);
        }
        w.end_array();
    }
    w.end_array();
    w.end_object();
    return Response::json(w.str());
}

// ---- /getcapabilities -----------------------------------------------------------------------------

Response capabilities_handler(const Request& req, const bundle::Engine& engine, const RoutingApiOptions& opt) {
    using json = nlohmann::ordered_json;
    const auto& router = engine.routing();
    std::string host = "localhost";
    if (const std::string* h = req.header("x-forwarded-host")) host = *h;
    else if (const std::string* h2 = req.header("host")) host = *h2;
    json doc;
    doc["info"] = {{"name", "Calcul d'itinéraire"},
                   {"title", "Service de calcul d'itinéraire"},
                   {"description", "Calcul d'itinéraires et de plus proches points du réseau (geoplex)"},
                   {"url", fmt::format("http://{}/navigation/", host)},
                   {"language", "fr"},
                   {"keywords", {{"keyword", json::array({"itinéraire", "navigation"})}}},
                   {"contact", {{"email", ""}}}};
    doc["provider"] = {{"name", "geoplex"}, {"site", ""}, {"mail", ""}};
    doc["api"] = {{"name", "simple"}, {"version", "1.0.0"}};
    json ops = json::array();
    // The operation urls are hard-coded by Road2 ("/route?"), whatever the mounted path: copied.
    ops.push_back({{"id", "route"},
                   {"description", "Calculer un itinéraire."},
                   {"url", "/route?"},
                   {"methods", {"GET", "POST"}},
                   {"parameters",
                    {getcap_parameter("resource", true, "string", "Ressource utilisée pour le calcul."),
                     getcap_parameter("start", true, "string", "Point de départ (x,y)."),
                     getcap_parameter("end", true, "string", "Point d'arrivée (x,y)."),
                     getcap_parameter("intermediates", false, "array", "Points intermédiaires séparés par '|'."),
                     getcap_parameter("profile", false, "enumeration", "Mode de déplacement."),
                     getcap_parameter("optimization", false, "enumeration", "Optimisation : fastest ou shortest."),
                     getcap_parameter("getSteps", false, "boolean", "Présence des étapes."),
                     getcap_parameter("waysAttributes", false, "array", "Attributs des voies."),
                     getcap_parameter("geometryFormat", false, "enumeration", "Format des géométries."),
                     getcap_parameter("getBbox", false, "boolean", "Présence de l'emprise."),
                     getcap_parameter("crs", false, "enumeration", "Projection des points et des géométries."),
                     getcap_parameter("timeUnit", false, "enumeration", "Unité des durées."),
                     getcap_parameter("distanceUnit", false, "enumeration", "Unité des distances."),
                     getcap_parameter("constraints", false, "object", "Contraintes (au plus 3).")}}});
    ops.push_back({{"id", "nearest"},
                   {"description", "Trouver les points du réseau les plus proches."},
                   {"url", "/nearest?"},
                   {"methods", {"GET", "POST"}},
                   {"parameters",
                    {getcap_parameter("resource", true, "string", "Ressource utilisée."),
                     getcap_parameter("coordinates", true, "string", "Point (x,y)."),
                     getcap_parameter("nbPoints", false, "integer", "Nombre de points."),
                     getcap_parameter("crs", false, "enumeration", "Projection.")}}});
    ops.push_back(isochrone_operation());
    ops.push_back({{"id", "matrix"},
                   {"description", "Matrice de durées et de distances (extension geoplex)."},
                   {"url", "/matrix?"},
                   {"methods", {"GET", "POST"}},
                   {"parameters",
                    {getcap_parameter("resource", true, "string", "Ressource utilisée."),
                     getcap_parameter("sources", true, "array", "Points de départ séparés par '|'."),
                     getcap_parameter("targets", true, "array", "Points d'arrivée séparés par '|'."),
                     getcap_parameter("profile", false, "enumeration", "Mode de déplacement."),
                     getcap_parameter("optimization", false, "enumeration", "Optimisation."),
                     getcap_parameter("crs", false, "enumeration", "Projection."),
                     getcap_parameter("timeUnit", false, "enumeration", "Unité des durées."),
                     getcap_parameter("distanceUnit", false, "enumeration", "Unité des distances.")}}});
    doc["operations"] = ops;
    json resources = json::array();
    for (const auto& r : router.resources()) {
        const std::string bbox = fmt::format("{},{},{},{}", r.bbox.min_x, r.bbox.min_y, r.bbox.max_x, r.bbox.max_y);
        json profiles = json::array(), optimizations = json::array();
        for (const auto& pr : r.profiles) {
            profiles.push_back(pr.name);
            for (const auto o : pr.optimizations)
                if (std::find(optimizations.begin(), optimizations.end(), std::string(routing::to_string(o))) ==
                    optimizations.end())
                    optimizations.push_back(std::string(routing::to_string(o)));
        }
        const json point_values = {{"bbox", bbox}, {"projection", "EPSG:4326"}};
        json constraint_values = json::array();
        constraint_values.push_back({{"keyType", "name-osrm"},
                                     {"key", "wayType"},
                                     {"availableConstraintType", {"banned", "preferred", "unpreferred"}},
                                     {"availableValues", {"autoroute", "tunnel", "pont"}},
                                     {"availableOperators", {"="}}});
        json route_params = json::array({
            {{"id", "resource"}, {"values", {r.id}}},
            {{"id", "start"}, {"values", point_values}},
            {{"id", "end"}, {"values", point_values}},
            {{"id", "intermediates"}, {"values", point_values}},
            {{"id", "profile"}, {"values", profiles}, {"defaultValue", profiles.empty() ? json("car") : profiles[0]}},
            {{"id", "optimization"}, {"values", optimizations}, {"defaultValue", "fastest"}},
            {{"id", "getSteps"}, {"values", {"true", "false"}}, {"defaultValue", "true"}},
            {{"id", "waysAttributes"}, {"values", {"name"}}},
            {{"id", "geometryFormat"}, {"values", {"geojson", "polyline", "wkt"}}, {"defaultValue", "geojson"}},
            {{"id", "getBbox"}, {"values", {"true", "false"}}, {"defaultValue", "true"}},
            {{"id", "crs"}, {"values", r.crs}, {"defaultValue", "EPSG:4326"}},
            {{"id", "timeUnit"}, {"values", {"hour", "minute", "second", "standard"}}, {"defaultValue", opt.default_time_unit}},
            {{"id", "distanceUnit"}, {"values", {"meter", "kilometer"}}, {"defaultValue", "meter"}},
            {{"id", "constraints"}, {"values", constraint_values}},
        });
        json nearest_params = json::array({
            {{"id", "resource"}, {"values", {r.id}}},
            {{"id", "coordinates"}, {"values", point_values}},
            {{"id", "nbPoints"}, {"values", {{"min", 1}, {"max", opt.max_nearest}}}, {"defaultValue", "1"}},
            {{"id", "crs"}, {"values", r.crs}, {"defaultValue", "EPSG:4326"}},
        });
        // geoplex extension: constraint sets precomputed per profile (docs/routing.md): a request
        // whose constraints have the same effect is answered at plain CH speed.
        json precomputed = json::array();
        for (const auto& pr : r.profiles)
            for (const auto& cs : pr.constraint_sets) {
                json constraints = json::array();
                for (const auto& c : cs.constraints) {
                    json jc = {{"constraintType", routing::to_string(c.type)}, {"key", c.key},
                               {"operator", routing::to_string(c.op)}};
                    jc["value"] = c.number ? json(*c.number) : json(c.value);
                    constraints.push_back(std::move(jc));
                }
                precomputed.push_back({{"profile", pr.name}, {"name", cs.name}, {"constraints", constraints}});
            }
        resources.push_back({{"id", r.id},
                             {"geoplexPrecomputedConstraints", precomputed},
                             {"description", r.description.empty() ? r.title : r.description},
                             {"availableOperations",
                              {{{"id", "route"}, {"availableParameters", route_params}},
                               {{"id", "nearest"}, {"availableParameters", nearest_params}},
                               {{"id", "isochrone"}, {"availableParameters", isochrone_parameters(r, point_values)}},
                               {{"id", "matrix"}, {"availableParameters", json::array()}}}}});
    }
    doc["resources"] = resources;
    return Response::json(doc.dump(-1, ' ', false, json::error_handler_t::replace));
}

constexpr std::string_view route_openapi = R"json({
  "summary": "Route (Road2 simple 1.0.0 'route' operation)",
  "tags": ["navigation"],
  "parameters": [
    {"name": "resource", "in": "query", "required": true, "schema": {"type": "string"}},
    {"name": "start", "in": "query", "required": true, "schema": {"type": "string"}, "example": "7.4276,43.7393"},
    {"name": "end", "in": "query", "required": true, "schema": {"type": "string"}, "example": "7.4155,43.7277"},
    {"name": "intermediates", "in": "query", "schema": {"type": "string"}, "description": "x,y points joined with '|' (at most 10)"},
    {"name": "profile", "in": "query", "schema": {"type": "string", "default": "car"}},
    {"name": "optimization", "in": "query", "schema": {"type": "string", "enum": ["fastest", "shortest"], "default": "fastest"}},
    {"name": "geometryFormat", "in": "query", "schema": {"type": "string", "enum": ["geojson", "polyline", "wkt"], "default": "geojson"}},
    {"name": "getSteps", "in": "query", "schema": {"type": "boolean", "default": true}},
    {"name": "getBbox", "in": "query", "schema": {"type": "boolean", "default": true}},
    {"name": "waysAttributes", "in": "query", "schema": {"type": "string"}},
    {"name": "distanceUnit", "in": "query", "schema": {"type": "string", "enum": ["meter", "kilometer"], "default": "meter"}},
    {"name": "timeUnit", "in": "query", "schema": {"type": "string", "enum": ["hour", "minute", "second", "standard"], "default": "minute"}},
    {"name": "crs", "in": "query", "schema": {"type": "string", "default": "EPSG:4326"}},
    {"name": "constraints", "in": "query", "schema": {"type": "string"}, "description": "JSON objects {constraintType,key,operator,value} joined with '|' (at most 3)"}
  ],
  "responses": {"200": {"description": "The route", "content": {"application/json": {}}},
                "400": {"description": "Invalid parameter ({\"error\":{\"message\":\" … \"}})"},
                "404": {"description": "No path found"}}
})json";

constexpr std::string_view nearest_openapi = R"json({
  "summary": "Nearest points of the road network (Road2 'nearest' operation)",
  "tags": ["navigation"],
  "parameters": [
    {"name": "resource", "in": "query", "required": true, "schema": {"type": "string"}},
    {"name": "coordinates", "in": "query", "required": true, "schema": {"type": "string"}},
    {"name": "nbPoints", "in": "query", "schema": {"type": "integer", "default": 1}},
    {"name": "crs", "in": "query", "schema": {"type": "string", "default": "EPSG:4326"}}
  ],
  "responses": {"200": {"description": "Nearest points", "content": {"application/json": {}}}}
})json";

constexpr std::string_view matrix_openapi = R"json({
  "summary": "Many-to-many durations and distances (geoplex extension, Road2-style parameters)",
  "tags": ["navigation"],
  "parameters": [
    {"name": "resource", "in": "query", "required": true, "schema": {"type": "string"}},
    {"name": "sources", "in": "query", "required": true, "schema": {"type": "string"}, "description": "x,y points joined with '|'"},
    {"name": "targets", "in": "query", "required": true, "schema": {"type": "string"}, "description": "x,y points joined with '|'"},
    {"name": "profile", "in": "query", "schema": {"type": "string", "default": "car"}},
    {"name": "optimization", "in": "query", "schema": {"type": "string", "enum": ["fastest", "shortest"]}},
    {"name": "crs", "in": "query", "schema": {"type": "string", "default": "EPSG:4326"}},
    {"name": "distanceUnit", "in": "query", "schema": {"type": "string", "enum": ["meter", "kilometer"], "default": "meter"}},
    {"name": "timeUnit", "in": "query", "schema": {"type": "string", "enum": ["hour", "minute", "second", "standard"], "default": "second"}}
  ],
  "responses": {"200": {"description": "durations[i][j] and distances[i][j] from sources[i] to targets[j]; null when unreachable", "content": {"application/json": {}}}}
})json";

constexpr std::string_view capabilities_openapi = R"json({
  "summary": "Capabilities of the routing service (Road2 format)",
  "tags": ["navigation"],
  "responses": {"200": {"description": "Capabilities", "content": {"application/json": {}}}}
})json";

}  // namespace

void add_routing_routes(Router& router, const RoutingApiOptions& options) {
    router.add(Router::Route{{"GET", "POST"}, "/navigation/itineraire",
                             [options](const Request& r, const bundle::Engine& e) { return route_handler(r, e, options); },
                             ErrorStyle::road2, std::string(route_openapi)});
    router.add(Router::Route{{"GET", "POST"}, "/navigation/nearest",
                             [options](const Request& r, const bundle::Engine& e) { return nearest_handler(r, e, options); },
                             ErrorStyle::road2, std::string(nearest_openapi)});
    router.add(Router::Route{{"GET", "POST"}, "/navigation/matrix",
                             [options](const Request& r, const bundle::Engine& e) { return matrix_handler(r, e, options); },
                             ErrorStyle::road2, std::string(matrix_openapi)});
    router.add(Router::Route{{"GET", "POST", "PUT", "DELETE", "PATCH"}, "/navigation/getcapabilities",
                             [options](const Request& r, const bundle::Engine& e) {
                                 return capabilities_handler(r, e, options);
                             },
                             ErrorStyle::road2, std::string(capabilities_openapi)});
}

}  // namespace geoplex::server
