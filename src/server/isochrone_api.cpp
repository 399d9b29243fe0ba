// The Géoplateforme isochrone API (Road2 "simple" 1.0.0 `isochrone` operation) over
// isochrone::Isochrones. Parameters, units, CRS, constraints and errors follow Road2 through
// the helpers shared with the routing API (road2_params.hpp); the first problem is reported.

#include "geoplex/server/isochrone_api.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/core/geojson.hpp"
#include "geoplex/core/json_writer.hpp"
#include "geoplex/isochrone/isochrone.hpp"
#include "server/isochrone_caps.hpp"
#include "server/road2_params.hpp"

namespace geoplex::server {

namespace {

using namespace road2;
using isochrone::CostType;

/// One reusable query object per thread (scratch arrays sized to the graph).
isochrone::Isochrones& isochrones_for(const routing::Router& router) {
    thread_local std::unique_ptr<isochrone::Isochrones> cached;
    thread_local const void* key = nullptr;
    if (!cached || key != &router.impl()) {
        cached = std::make_unique<isochrone::Isochrones>(router);
        key = &router.impl();
    }
    return *cached;
}

bool parse_number(std::string_view s, double& out) {
    s = trim(s);
    if (s.empty()) return false;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
}

/// Seconds or metres per unit of the request.
double unit_factor(CostType ct, const Units& u) {
    if (ct == CostType::distance) return u.distance == "kilometer" ? 1000.0 : 1.0;
    if (u.time == "hour") return 3600.0;
    if (u.time == "minute") return 60.0;
    return 1.0;
}

void write_ring(core::JsonWriter& w, const std::vector<XY>& ring, int dec) {
    w.begin_array();
    for (const XY p : ring) w.begin_array().value_fixed(p.x, dec).value_fixed(p.y, dec).end_array();
    w.end_array();
}

/// The contour in the output CRS: Polygon when one part, else MultiPolygon (GeoJSON, WKT), or
/// the encoded outer ring of the largest part (polyline, a line format).
void write_contour(core::JsonWriter& w, const core::MultiPolygon& mp, const std::string& crs, GeometryFormat gf,
                   int dec) {
    std::vector<std::vector<std::vector<XY>>> parts;
    for (const auto& poly : mp) {
        std::vector<std::vector<XY>> rings;
        auto add = [&](const auto& ring) {
            std::vector<XY> pts;
            for (const auto& q : ring) pts.push_back({q.lon, q.lat});
            from_wgs84(pts, crs);
            rings.push_back(std::move(pts));
        };
        add(poly.outer());
        for (const auto& in : poly.inners()) add(in);
        parts.push_back(std::move(rings));
    }
    if (gf == GeometryFormat::geojson) {
        w.begin_object();
        if (parts.size() == 1) {
            w.key("type").value("Polygon").key("coordinates").begin_array();
            for (const auto& r : parts[0]) write_ring(w, r, dec);
            w.end_array();
        } else {
            w.key("type").value("MultiPolygon").key("coordinates").begin_array();
            for (const auto& part : parts) {
                w.begin_array();
                for (const auto& r : part) write_ring(w, r, dec);
                w.end_array();
            }
            w.end_array();
        }
        w.end_object();
        return;
    }
    core::MultiPolygon out;
    for (const auto& part : parts) {
        core::Polygon poly;
        for (std::size_t i = 0; i < part.size(); ++i) {
            core::Polygon::ring_type ring;
            for (const XY p : part[i]) ring.push_back(LonLat{p.x, p.y});
            if (i == 0) poly.outer() = std::move(ring);
            else poly.inners().push_back(std::move(ring));
        }
        out.push_back(std::move(poly));
    }
    if (gf == GeometryFormat::wkt) {
        if (out.size() == 1) w.value(core::to_wkt(core::Geometry(out.front()), dec));
        else w.value(core::to_wkt(core::Geometry(out), dec));
        return;
    }
    std::size_t best = 0;
    for (std::size_t i = 1; i < out.size(); ++i)
        if (out[i].outer().size() > out[best].outer().size()) best = i;
    const auto& ring = out.empty() ? core::Polygon::ring_type{} : out[best].outer();
    w.value(core::encode_polyline(std::span<const LonLat>(ring.data(), ring.size())));
}

Response isochrone_handler(const Request& req, const bundle::Engine& engine, const IsochroneApiOptions& opt) {
    const Params p(req);
    const auto [router, info] = resolve_resource(p, engine);
    const std::string crs = resolve_crs(p, *info);
    const double margin = opt.snap_radius_m / 111'000.0;
    const std::string* point_text = p.given("point");
    if (point_text == nullptr) fail("Parameter 'point' not found");
    isochrone::IsochroneRequest ir;
    ir.resource = info->id;
    ir.snap_radius_m = opt.snap_radius_m;
    if (!to_wgs84(*point_text, crs, *info, margin, ir.point))
        fail("Parameter 'point' is invalid. Wrong format or out of the bbox.");
    const std::string* cost_type = p.given("costType");
    if (cost_type == nullptr) fail("Parameter 'costType' not found.");
    const auto ct = isochrone::parse_cost_type(*cost_type);
    if (!ct) fail("Parameter 'costType' is invalid");
    ir.cost_type = *ct;
    const std::string* cost_value = p.given("costValue");
    if (cost_value == nullptr) fail("Parameter 'costValue' not found");
    std::vector<double> values;
    for (const auto part : split(*cost_value, '|')) {
        double v = 0;
        if (!parse_number(part, v) || v <= 0) fail("Parameter 'costValue' is invalid");
        values.push_back(v);
    }
    if (values.size() > opt.max_contours) fail("Parameter 'costValue' is invalid");
    // profile (default car), then its compatibility with the cost type (one CH per optimization)
    std::string profile = info->profiles.empty() ? "car" : info->profiles.front().name;
    if (info->find_profile("car") != nullptr) profile = "car";
    if (const std::string* v = p.given("profile")) {
        if (info->find_profile(*v) == nullptr) fail("Parameter 'profile' is invalid");
        profile = *v;
    }
    const auto optimization =
        ir.cost_type == CostType::time ? routing::Optimization::fastest : routing::Optimization::shortest;
    const auto* pi = info->find_profile(profile);
    if (std::find(pi->optimizations.begin(), pi->optimizations.end(), optimization) == pi->optimizations.end())
        fail("Parameters 'profile' and 'costType' are not compatible.");
    ir.profile = profile;
    if (const std::string* v = p.given("direction")) {
        const auto d = isochrone::parse_direction(*v);
        if (!d) fail("Parameter 'direction' is invalid");
        ir.direction = *d;
    }
    if (const std::string* v = p.given("constraints")) {
        ir.constraints = parse_constraints(*v, *info, opt.max_constraints);
        for (const auto& c : ir.constraints)  // isochrones accept `banned` only (Road2 constraintIso)
            if (c.type != routing::ConstraintType::banned) fail("Parameter 'constraints' is invalid");
    }
    GeometryFormat gf = GeometryFormat::geojson;
    if (const std::string* v = p.given("geometryFormat")) {
        if (*v == "geojson") gf = GeometryFormat::geojson;
        else if (*v == "polyline") gf = GeometryFormat::polyline;
        else if (*v == "wkt") gf = GeometryFormat::wkt;
        else fail("Parameter 'geometryFormat' is invalid");
    }
    Units units;
    units.time = opt.default_time_unit;
    if (const std::string* v = p.given("timeUnit")) {
        if (*v != "hour" && *v != "minute" && *v != "second") fail("Parameter 'timeUnit' is invalid");
        units.time = *v;
    }
    if (const std::string* v = p.given("distanceUnit")) {
        if (*v != "meter" && *v != "kilometer") fail("Parameter 'distanceUnit' is invalid");
        units.distance = *v;
    }
    const double factor = unit_factor(ir.cost_type, units);
    const double max = ir.cost_type == CostType::time ? opt.max_time_s : opt.max_distance_m;
    for (const double v : values) {
        if (v * factor > max) fail("Parameter 'costValue' is invalid");
        ir.budgets.push_back(v * factor);
    }

    isochrone::IsochroneResult res;
    try {
        res = isochrones_for(*router).compute(ir);
    } catch (const InvalidArgument&) {
        if (!ir.constraints.empty()) fail("Parameter 'constraints' is invalid");
        throw;
    }
    if (res.status != isochrone::IsochroneStatus::ok) fail(fmt::format("No path found: {}", res.message), 404);

    const int dec = decimals_for(crs);
    core::JsonWriter w;
    w.begin_object();
    w.key("point").value(*point_text);
    w.key("resource").value(info->id);
    w.key("resourceVersion").value(info->version);
    w.key("costType").value(isochrone::to_string(ir.cost_type));
    w.key("costValue").value(values.front());
    if (ir.cost_type == CostType::time) w.key("timeUnit").value(units.time);
    else w.key("distanceUnit").value(units.distance);
    w.key("profile").value(profile);
    w.key("direction").value(isochrone::to_string(ir.direction));
    w.key("crs").value(crs);
    w.key("geometry");
    write_contour(w, res.contours.front().geometry, crs, gf, dec);
    w.key("optimization").value(routing::to_string(optimization));
    w.key("constraints");
    write_constraints(w, ir.constraints);
    if (values.size() > 1) {  // geoplex extension: one contour per '|'-separated costValue
        w.key("contours").begin_array();
        for (std::size_t i = 0; i < values.size(); ++i) {
            w.begin_object().key("costValue").value(values[i]).key("geometry");
            write_contour(w, res.contours[i].geometry, crs, gf, dec);
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
    return Response::json(w.str());
}

constexpr std::string_view isochrone_openapi = R"json({
  "summary": "Isochrone or isodistance (Road2 simple 1.0.0 'isochrone' operation)",
  "tags": ["navigation"],
  "parameters": [
    {"name": "resource", "in": "query", "required": true, "schema": {"type": "string"}},
    {"name": "point", "in": "query", "required": true, "schema": {"type": "string"}, "example": "1.5212,42.5078"},
    {"name": "costType", "in": "query", "required": true, "schema": {"type": "string", "enum": ["time", "distance"]}},
    {"name": "costValue", "in": "query", "required": true, "schema": {"type": "string"}, "description": "A positive number in timeUnit or distanceUnit; several joined with '|' give several contours (geoplex extension)"},
    {"name": "profile", "in": "query", "schema": {"type": "string", "default": "car"}},
    {"name": "direction", "in": "query", "schema": {"type": "string", "enum": ["departure", "arrival"], "default": "departure"}},
    {"name": "constraints", "in": "query", "schema": {"type": "string"}, "description": "'banned' JSON objects {constraintType,key,operator,value} joined with '|' (at most 3)"},
    {"name": "geometryFormat", "in": "query", "schema": {"type": "string", "enum": ["geojson", "polyline", "wkt"], "default": "geojson"}},
    {"name": "distanceUnit", "in": "query", "schema": {"type": "string", "enum": ["meter", "kilometer"], "default": "meter"}},
    {"name": "timeUnit", "in": "query", "schema": {"type": "string", "enum": ["hour", "minute", "second"], "default": "second"}},
    {"name": "crs", "in": "query", "schema": {"type": "string", "default": "EPSG:4326"}}
  ],
  "responses": {"200": {"description": "The contour: {point, resource, resourceVersion, costType, costValue, timeUnit|distanceUnit, profile, direction, crs, geometry, optimization, constraints}", "content": {"application/json": {}}},
                "400": {"description": "Invalid parameter ({\"error\":{\"message\":\" … \"}})"},
                "404": {"description": "No road near the point"}}
})json";

}  // namespace

nlohmann::ordered_json getcap_parameter(const char* name, bool required, const char* type, const char* description) {
    return nlohmann::ordered_json{{"name", name},         {"in", "query"},      {"description", description},
                                  {"required", required}, {"default", nullptr}, {"schema", {{"type", type}}}};
}

nlohmann::ordered_json isochrone_operation() {
    return {{"id", "isochrone"},
            {"description", "Calculer une isochrone ou une isodistance."},
            {"url", "/isochrone?"},
            {"methods", {"GET", "POST"}},
            {"parameters",
             {getcap_parameter("resource", true, "string", "Ressource utilisée pour le calcul."),
              getcap_parameter("point", true, "string", "Point de départ ou d'arrivée (x,y)."),
              getcap_parameter("costType", true, "enumeration", "Type du coût : time ou distance."),
              getcap_parameter("costValue", true, "float", "Valeur du coût, dans timeUnit ou distanceUnit."),
              getcap_parameter("profile", false, "enumeration", "Mode de déplacement."),
              getcap_parameter("direction", false, "enumeration", "departure ou arrival."),
              getcap_parameter("constraints", false, "object", "Contraintes 'banned' (au plus 3)."),
              getcap_parameter("geometryFormat", false, "enumeration", "Format de la géométrie."),
              getcap_parameter("distanceUnit", false, "enumeration", "Unité des distances."),
              getcap_parameter("timeUnit", false, "enumeration", "Unité des durées."),
              getcap_parameter("crs", false, "enumeration", "Projection.")}}};
}

nlohmann::ordered_json isochrone_parameters(const routing::ResourceInfo& r, const nlohmann::ordered_json& point_values) {
    using json = nlohmann::ordered_json;
    const IsochroneApiOptions defaults;
    json profiles = json::array(), cost_types = json::array();
    bool time = false, distance = false;
    for (const auto& pr : r.profiles) {
        profiles.push_back(pr.name);
        for (const auto o : pr.optimizations) {
            time = time || o == routing::Optimization::fastest;
            distance = distance || o == routing::Optimization::shortest;
        }
    }
    if (time) cost_types.push_back("time");
    if (distance) cost_types.push_back("distance");
    json constraint_values = json::array();
    constraint_values.push_back({{"keyType", "name-osrm"},
                                 {"key", "wayType"},
                                 {"availableConstraintType", {"banned"}},
                                 {"availableValues", {"autoroute", "tunnel", "pont"}},
                                 {"availableOperators", {"="}}});
    return json::array({
        {{"id", "resource"}, {"values", {r.id}}},
        {{"id", "point"}, {"values", point_values}},
        {{"id", "costType"}, {"values", cost_types}},
        {{"id", "costValue"}, {"values", {{"min", 0}, {"max", defaults.max_time_s}}}},
        {{"id", "profile"}, {"values", profiles}, {"defaultValue", profiles.empty() ? json("car") : profiles[0]}},
        {{"id", "direction"}, {"values", {"departure", "arrival"}}, {"defaultValue", "departure"}},
        {{"id", "constraints"}, {"values", constraint_values}},
        {{"id", "geometryFormat"}, {"values", {"geojson", "polyline", "wkt"}}, {"defaultValue", "geojson"}},
        {{"id", "crs"}, {"values", r.crs}, {"defaultValue", "EPSG:4326"}},
        {{"id", "timeUnit"}, {"values", {"hour", "minute", "second"}}, {"defaultValue", defaults.default_time_unit}},
        {{"id", "distanceUnit"}, {"values", {"meter", "kilometer"}}, {"defaultValue", "meter"}},
    });
}

void add_isochrone_routes(Router& router, const IsochroneApiOptions& options) {
    router.add(Router::Route{{"GET", "POST"}, "/navigation/isochrone",
                             [options](const Request& r, const bundle::Engine& e) { return isochrone_handler(r, e, options); },
                             ErrorStyle::road2, std::string(isochrone_openapi)});
}

}  // namespace geoplex::server
