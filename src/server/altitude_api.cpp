// The Géoplateforme altimetry API ("alticodage") over altitude::Query.
//
//   GET|POST /altimetrie/1.0/calcul/alti/rest/elevation.{json|xml}
//   GET|POST /altimetrie/1.0/calcul/alti/rest/elevationLine.{json|xml}
//   GET      /altimetrie/resources[?keywords=A&keywords=B]
//   GET      /altimetrie/resources/{id}
//
// GET reads the query string; POST reads a JSON object with the same keys whose values are
// strings (numbers and booleans are accepted too). Errors are HttpError(400, …, code) and are
// rendered by error_response() in the altimetry style: {"error":{"code":…,"description":…}}.

#include "geoplex/server/altitude_api.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/altitude/altitude.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/core/json_writer.hpp"

namespace geoplex::server {

namespace {

using altitude::Interpolation;
constexpr const char* bad_parameter = "BAD_PARAMETER";
constexpr const char* bad_request = "BAD_REQUEST";
constexpr int z_decimals = 2;

[[noreturn]] void fail(std::string message, const char* code = bad_parameter) {
    throw HttpError(400, std::move(message), {}, code);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

/// The request parameters, from the query string (GET) or the JSON body (POST).
class Params {
public:
    explicit Params(const Request& req) {
        if (req.method != "POST") {
            for (const auto& [k, v] : req.query) add(k, v);
            return;
        }
        const std::string* ct = req.header("content-type");
        if (ct == nullptr || !iequals(trim(std::string_view(*ct).substr(0, std::string_view(*ct).find(';'))), "application/json"))
            fail("Wrong Content-Type: POST requests need 'Content-Type: application/json'", bad_request);
        const auto body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
        if (body.is_discarded() || !body.is_object()) fail("The request body is not a JSON object", bad_request);
        for (const auto& [k, v] : body.items()) {
            if (v.is_string()) add(k, v.get<std::string>());
            else if (v.is_number() || v.is_boolean()) add(k, v.dump());
            else if (!v.is_null()) fail(fmt::format("Parameter '{}' must be a string", k));
        }
    }
    [[nodiscard]] const std::string* get(std::string_view name) const {
        for (const auto& [k, v] : m_values)
            if (k == name) return &v;
        return nullptr;
    }
    [[nodiscard]] const std::string& required(std::string_view name) const {
        const std::string* v = get(name);
        if (v == nullptr || trim(*v).empty()) fail(fmt::format("Parameter '{}' is required", name));
        return *v;
    }
    [[nodiscard]] bool boolean(std::string_view name) const {
        const std::string* v = get(name);
        if (v == nullptr || trim(*v).empty()) return false;
        if (iequals(trim(*v), "true")) return true;
        if (iequals(trim(*v), "false")) return false;
        fail(fmt::format("Parameter '{}' must be 'true' or 'false', not '{}'", name, *v));
    }

private:
    void add(const std::string& k, std::string v) {
        if (get(k) == nullptr) m_values.emplace_back(k, std::move(v));  // first value wins
    }
    std::vector<std::pair<std::string, std::string>> m_values;
};

/// Parses a delimited list of coordinates, checking each against [lo, hi].
std::vector<double> parse_list(std::string_view name, std::string_view text, char delimiter, double lo, double hi,
                               std::size_t max_points) {
    std::vector<double> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = text.find(delimiter, start);
        const std::string_view token = trim(text.substr(start, end == std::string_view::npos ? text.npos : end - start));
        if (out.size() >= max_points)
            fail(fmt::format("Too many points: at most {} values are allowed in '{}'", max_points, name));
        double v = 0.0;
        const char* first = token.data();
        const char* last = token.data() + token.size();
        if (!token.empty() && *first == '+') ++first;
        const auto [ptr, ec] = std::from_chars(first, last, v);
        if (token.empty() || ec != std::errc() || ptr != last || !std::isfinite(v))
            fail(fmt::format("Parameter '{}': value {} ('{}') is not a number", name, out.size() + 1, token));
        if (v < lo || v > hi)
            fail(fmt::format("Parameter '{}': value {} ({}) is outside [{}, {}]", name, out.size() + 1, token, lo, hi));
        out.push_back(v);
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return out;
}

struct PointRequest {
    std::string resource;
    std::vector<LonLat> points;
    bool indent = false;
    bool measures = false;
    bool zonly = false;
};

PointRequest parse_points(const Params& p, const altitude::Altimetry& alti, std::size_t max_points) {
    PointRequest r;
    // Check presence of everything first so that one response names every missing parameter.
    std::vector<std::string> missing;
    for (const char* name : {"lon", "lat", "resource"}) {
        const std::string* v = p.get(name);
        if (v == nullptr || trim(*v).empty()) missing.emplace_back(name);
    }
    if (!missing.empty()) {
        std::string list;
        for (const auto& m : missing) list += (list.empty() ? "'" : ", '") + m + "'";
        fail(fmt::format("Missing required parameter(s): {}", list));
    }
    char delimiter = '|';
    if (const std::string* d = p.get("delimiter"); d != nullptr && !d->empty()) {
        if (d->size() != 1 || (*d != "|" && *d != ";" && *d != ","))
            fail(fmt::format("Parameter 'delimiter' must be one of '|', ';', ',', not '{}'", *d));
        delimiter = (*d)[0];
    }
    r.resource = std::string(trim(p.required("resource")));
    if (alti.find(r.resource) == nullptr) fail(fmt::format("Parameter 'resource': unknown resource '{}'", r.resource));
    const auto lon = parse_list("lon", p.required("lon"), delimiter, -180.0, 180.0, max_points);
    const auto lat = parse_list("lat", p.required("lat"), delimiter, -90.0, 90.0, max_points);
    if (lon.size() != lat.size())
        fail(fmt::format("Parameters 'lon' and 'lat' must have the same number of values ({} lon, {} lat)", lon.size(),
                         lat.size()));
    r.points.resize(lon.size());
    for (std::size_t i = 0; i < lon.size(); ++i) r.points[i] = LonLat{lon[i], lat[i]};
    r.indent = p.boolean("indent");
    r.measures = p.boolean("measures");
    r.zonly = p.boolean("zonly");
    return r;
}

// ---- output ---------------------------------------------------------------------------------------

/// The accuracy text of a point: its source's, or (uncovered) the first source's.
const std::string& accuracy_of(const altitude::ResourceInfo& info, std::int32_t source) {
    static const std::string none;
    if (source >= 0 && static_cast<std::size_t>(source) < info.sources.size()) return info.sources[static_cast<std::size_t>(source)].accuracy;
    return info.sources.empty() ? none : info.sources.front().accuracy;
}

std::string maybe_indent(std::string compact, bool indent) {
    if (!indent) return compact;
    return nlohmann::ordered_json::parse(compact).dump(4);
}

void xml_escape(std::string& out, std::string_view s) {
    for (const char c : s) {
        switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default: out += c;
        }
    }
}

std::string fixed(double v) {
    core::JsonWriter w;
    w.value_fixed(v, z_decimals);
    return w.str();
}

std::string shortest(double v) {
    core::JsonWriter w;
    w.value(v);
    return w.str();
}

struct Sampled {
    std::vector<LonLat> points;
    std::vector<double> z;
    std::vector<std::int32_t> source;
    std::vector<double> measures;  // points × sources, when asked
};

void write_json_point(core::JsonWriter& w, const altitude::ResourceInfo& info, const Sampled& s, std::size_t i,
                      bool measures) {
    w.begin_object();
    w.key("lon").value(s.points[i].lon);
    w.key("lat").value(s.points[i].lat);
    w.key("z").value_fixed(s.z[i], z_decimals);
    w.key("acc").value(accuracy_of(info, s.source[i]));
    if (measures) {
        const std::size_t ns = info.sources.size();
        w.key("measures").begin_array();
        for (std::size_t k = 0; k < ns; ++k) {
            const auto& src = info.sources[k];
            w.begin_object();
            w.key("z").value_fixed(s.measures[i * ns + k], z_decimals);
            w.key("source_name").value(src.name);
            w.key("source_measure").value(src.title);
            w.key("acc").value(src.accuracy);
            w.key("title").value(info.title);
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
}

void write_xml_point(std::string& x, const altitude::ResourceInfo& info, const Sampled& s, std::size_t i, bool measures) {
    x += "<elevation><lon>" + shortest(s.points[i].lon) + "</lon><lat>" + shortest(s.points[i].lat) + "</lat><z>" +
         fixed(s.z[i]) + "</z><acc>";
    xml_escape(x, accuracy_of(info, s.source[i]));
    x += "</acc>";
    if (measures) {
        const std::size_t ns = info.sources.size();
        x += "<measures>";
        for (std::size_t k = 0; k < ns; ++k) {
            const auto& src = info.sources[k];
            x += "<measure><z>" + fixed(s.measures[i * ns + k]) + "</z><source_name>";
            xml_escape(x, src.name);
            x += "</source_name><source_measure>";
            xml_escape(x, src.title);
            x += "</source_measure><acc>";
            xml_escape(x, src.accuracy);
            x += "</acc><title>";
            xml_escape(x, info.title);
            x += "</title></measure>";
        }
        x += "</measures>";
    }
    x += "</elevation>";
}

constexpr std::string_view xml_prolog = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

Response xml_response(std::string body) { return Response::text(std::move(body), "application/xml; charset=utf-8"); }

// ---- handlers -------------------------------------------------------------------------------------

Response elevation(const Request& req, const bundle::Engine& engine, bool xml, const AltitudeApiOptions& opt) {
    const Params params(req);
    const auto& alti = engine.altitude();
    PointRequest r = parse_points(params, alti, opt.max_points);
    const auto& info = alti.resource(r.resource);
    altitude::Query q(alti);
    Sampled s;
    s.points = std::move(r.points);
    s.z.resize(s.points.size());
    s.source.resize(s.points.size());
    q.elevations(r.resource, s.points, s.z, Interpolation::bilinear, s.source);
    if (r.measures && !r.zonly) {
        s.measures.resize(s.points.size() * info.sources.size());
        q.measures(r.resource, s.points, s.measures, Interpolation::bilinear);
    }
    if (xml) {
        std::string x(xml_prolog);
        x += "<elevations>";
        for (std::size_t i = 0; i < s.points.size(); ++i) {
            if (r.zonly) x += "<z>" + fixed(s.z[i]) + "</z>";
            else write_xml_point(x, info, s, i, r.measures);
        }
        x += "</elevations>\n";
        return xml_response(std::move(x));
    }
    core::JsonWriter w;
    w.begin_object().key("elevations").begin_array();
    for (std::size_t i = 0; i < s.points.size(); ++i) {
        if (r.zonly) w.value_fixed(s.z[i], z_decimals);
        else write_json_point(w, info, s, i, r.measures);
    }
    w.end_array().end_object();
    return Response::json(maybe_indent(w.str(), r.indent));
}

Response elevation_line(const Request& req, const bundle::Engine& engine, bool xml, const AltitudeApiOptions& opt) {
    const Params params(req);
    const auto& alti = engine.altitude();
    PointRequest r = parse_points(params, alti, opt.max_points);
    if (r.points.size() < 2) fail("An elevation line needs at least 2 points");
    std::size_t sampling = r.points.size();
    if (const std::string* sv = params.get("sampling"); sv != nullptr && !trim(*sv).empty()) {
        const std::string_view t = trim(*sv);
        long long v = 0;
        const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec != std::errc() || ptr != t.data() + t.size())
            fail(fmt::format("Parameter 'sampling' must be an integer, not '{}'", *sv));
        if (v < 2 || static_cast<unsigned long long>(v) > opt.max_points)
            fail(fmt::format("Parameter 'sampling' must be between 2 and {}, not {}", opt.max_points, v));
        sampling = static_cast<std::size_t>(v);
    }
    bool accurate = false;
    if (const std::string* pm = params.get("profile_mode"); pm != nullptr && !trim(*pm).empty()) {
        if (iequals(trim(*pm), "accurate")) accurate = true;
        else if (!iequals(trim(*pm), "simple"))
            fail(fmt::format("Parameter 'profile_mode' must be 'simple' or 'accurate', not '{}'", *pm));
    }
    // "accurate" doubles the sampling (the Géoplateforme's documented behaviour).
    if (accurate) sampling *= 2;
    const auto& info = alti.resource(r.resource);
    altitude::Query q(alti);
    const auto line = q.elevation_line(r.resource, r.points, sampling, Interpolation::bilinear);
    Sampled s;
    s.points = line.points;
    s.z = line.z;
    s.source = line.source;
    if (xml) {
        std::string x(xml_prolog);
        x += "<elevations>";
        for (std::size_t i = 0; i < s.points.size(); ++i) write_xml_point(x, info, s, i, false);
        x += "<height_differences><positive>" + fixed(line.positive) + "</positive><negative>" + fixed(line.negative) +
             "</negative></height_differences></elevations>\n";
        return xml_response(std::move(x));
    }
    core::JsonWriter w;
    w.begin_object().key("elevations").begin_array();
    for (std::size_t i = 0; i < s.points.size(); ++i) write_json_point(w, info, s, i, false);
    w.end_array();
    w.key("height_differences").begin_object();
    w.key("positive").value_fixed(line.positive, z_decimals);
    w.key("negative").value_fixed(line.negative, z_decimals);
    w.end_object().end_object();
    return Response::json(maybe_indent(w.str(), r.indent));
}

void write_resource(core::JsonWriter& w, const altitude::ResourceInfo& r, bool detailed) {
    w.begin_object();
    w.key("_id").value(r.id);
    w.key("title").value(r.title);
    w.key("description").value(r.description);
    w.key("keywords").begin_array();
    for (const auto& k : r.keywords) w.value(k);
    w.end_array();
    w.key("bbox").begin_object();
    if (!r.extent.empty()) {
        w.key("west").value(r.extent.min_x);
        w.key("south").value(r.extent.min_y);
        w.key("east").value(r.extent.max_x);
        w.key("north").value(r.extent.max_y);
    }
    w.end_object();
    w.key("nodata").value(r.nodata);
    if (detailed) {
        w.key("sources").begin_array();
        for (const auto& s : r.sources) {
            w.begin_object();
            w.key("name").value(s.name);
            w.key("title").value(s.title);
            w.key("accuracy").value(s.accuracy);
            w.key("priority").value(s.priority);
            w.key("crs").value(s.crs);
            w.key("storage").value(altitude::to_string(s.storage));
            w.key("width").value(static_cast<std::uint64_t>(s.width));
            w.key("height").value(static_cast<std::uint64_t>(s.height));
            w.key("resolution").begin_array().value(s.geotransform[1]).value(std::fabs(s.geotransform[5])).end_array();
            w.key("bbox").begin_object();
            if (!s.extent.empty()) {
                w.key("west").value(s.extent.min_x);
                w.key("south").value(s.extent.min_y);
                w.key("east").value(s.extent.max_x);
                w.key("north").value(s.extent.max_y);
            }
            w.end_object();
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
}

Response list_resources(const Request& req, const bundle::Engine& engine) {
    const auto& alti = engine.altitude();
    const auto wanted = req.params("keywords");
    std::vector<const altitude::ResourceInfo*> selected;
    for (const auto& r : alti.resources()) {
        const bool all = std::all_of(wanted.begin(), wanted.end(), [&](std::string_view k) {
            return std::any_of(r.keywords.begin(), r.keywords.end(), [&](const std::string& rk) { return iequals(rk, trim(k)); });
        });
        if (all) selected.push_back(&r);
    }
    core::JsonWriter w;
    w.begin_object();
    w.key("content").value(fmt::format("{} resource{}", selected.size(), selected.size() == 1 ? "" : "s"));
    w.key("resources").begin_array();
    for (const auto* r : selected) write_resource(w, *r, false);
    w.end_array().end_object();
    return Response::json(w.str());
}

Response get_resource(const Request& req, const bundle::Engine& engine) {
    const std::string* id = req.path_param("id");
    const auto* r = id != nullptr ? engine.altitude().find(*id) : nullptr;
    if (r == nullptr) throw HttpError(404, fmt::format("Resource '{}' not found", id != nullptr ? *id : ""), {}, "NOT_FOUND");
    core::JsonWriter w;
    write_resource(w, *r, true);
    return Response::json(w.str());
}

// ---- OpenAPI ----------------------------------------------------------------------------------------

nlohmann::json param(const char* name, const char* description, bool required, nlohmann::json schema,
                     const char* in = "query") {
    return nlohmann::json{{"name", name}, {"in", in}, {"required", required}, {"description", description},
                          {"schema", std::move(schema)}};
}

std::string openapi_points(bool line, bool xml) {
    using nlohmann::json;
    const json str = json{{"type", "string"}};
    const json boolean = json{{"type", "string"}, {"enum", {"true", "false"}}, {"default", "false"}};
    json params = json::array({
        param("lon", "Longitudes (WGS84 degrees, -180..180) separated by the delimiter; as many as lat, at most 5000", true, str),
        param("lat", "Latitudes (WGS84 degrees, -90..90) separated by the delimiter; as many as lon, at most 5000", true, str),
        param("resource", "Identifier of the altitude resource (see /altimetrie/resources)", true, str),
        param("delimiter", "Separator of the lon and lat lists", false, json{{"type", "string"}, {"enum", {"|", ";", ","}}, {"default", "|"}}),
        param("indent", "Indent the JSON response", false, boolean),
        param("measures", "Add the value of every source of the resource (measures[])", false, boolean),
        param("zonly", "Answer a plain array of elevations", false, boolean),
    });
    if (line) {
        params.push_back(param("sampling", "Number of points equally spaced along the line (2..5000); default: the number of input points", false,
                               json{{"type", "integer"}, {"minimum", 2}, {"maximum", 5000}}));
        params.push_back(param("profile_mode", "simple, or accurate (doubles the sampling)", false,
                               json{{"type", "string"}, {"enum", {"simple", "accurate"}}, {"default", "simple"}}));
    }
    json body_props = json::object();
    for (const auto& p : params) body_props[p["name"].get<std::string>()] = json{{"type", "string"}};
    json op;
    op["summary"] = line ? "Elevation profile along a polyline (Géoplateforme compatible)"
                         : "Elevations of points (Géoplateforme compatible)";
    op["description"] = line ? "Samples points equally spaced along the WGS84 geodesic length of the line and returns "
                               "their elevations and the cumulative positive and negative height differences. POST "
                               "takes a JSON object with the same keys, all values as strings."
                             : "Points without coverage get z = -99999. z is rounded to 2 decimals. POST takes a JSON "
                               "object with the same keys, all values as strings.";
    op["tags"] = json::array({"altimetrie"});
    op["parameters"] = params;
    op["requestBody"] = json{{"required", false},
                             {"content", {{"application/json", {{"schema", {{"type", "object"}, {"properties", body_props}}}}}}}};
    const char* type = xml ? "application/xml" : "application/json";
    op["responses"] = json{{"200", {{"description", "Elevations"}, {"content", {{type, json::object()}}}}},
                           {"400", {{"description", "Bad parameter: {\"error\":{\"code\":\"BAD_PARAMETER\",\"description\":\"…\"}}"}}}};
    return op.dump();
}

std::string openapi_resources(bool one) {
    using nlohmann::json;
    json op;
    op["summary"] = one ? "Details of an altitude resource (extent, sources)" : "List of the altitude resources";
    op["tags"] = json::array({"altimetrie"});
    if (one) {
        op["parameters"] = json::array({param("id", "Resource identifier", true, json{{"type", "string"}}, "path")});
        op["responses"] = json{{"200", {{"description", "The resource"}}}, {"404", {{"description", "Unknown resource"}}}};
    } else {
        op["parameters"] = json::array({param("keywords", "Keep resources having this keyword (repeatable; all must match)", false,
                                              json{{"type", "array"}, {"items", {{"type", "string"}}}})});
        op["parameters"][0]["style"] = "form";
        op["parameters"][0]["explode"] = true;
        op["responses"] = json{{"200", {{"description", "{\"content\":\"N resources\",\"resources\":[{\"_id\",\"title\",\"bbox\",…}]}"}}}};
    }
    return op.dump();
}

}  // namespace

void add_altitude_routes(Router& router, const AltitudeApiOptions& options) {
    const std::string base = "/altimetrie/1.0/calcul/alti/rest/";
    for (const bool xml : {false, true}) {
        const std::string ext = xml ? ".xml" : ".json";
        router.add(Router::Route{{"GET", "POST"}, base + "elevation" + ext,
                                 [options, xml](const Request& req, const bundle::Engine& e) { return elevation(req, e, xml, options); },
                                 ErrorStyle::altimetry, openapi_points(false, xml)});
        router.add(Router::Route{{"GET", "POST"}, base + "elevationLine" + ext,
                                 [options, xml](const Request& req, const bundle::Engine& e) { return elevation_line(req, e, xml, options); },
                                 ErrorStyle::altimetry, openapi_points(true, xml)});
    }
    router.add(Router::Route{{"GET"}, "/altimetrie/resources", list_resources, ErrorStyle::altimetry, openapi_resources(false)});
    router.add(Router::Route{{"GET"}, "/altimetrie/resources/{id}", get_resource, ErrorStyle::altimetry, openapi_resources(true)});
}

}  // namespace geoplex::server
