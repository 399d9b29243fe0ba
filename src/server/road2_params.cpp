// Road2 "simple" 1.0.0 request conventions shared by the routing and isochrone APIs (moved out
// of routing_api.cpp unchanged).

#include "server/road2_params.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/core/geojson.hpp"

namespace geoplex::server::road2 {

void fail(const std::string& message, int status) { throw HttpError(status, message); }

Params::Params(const Request& req) {
    if (req.method != "POST") {
        for (const auto& [k, v] : req.query)
            if (get(k) == nullptr) m_values.emplace_back(k, v);
        return;
    }
    const std::string* ct = req.header("content-type");
    if (ct == nullptr || !iequals(trim(std::string_view(*ct).substr(0, std::string_view(*ct).find(';'))),
                                  "application/json"))
        fail("Wrong Content-Type");
    const auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) fail("The request body is not a JSON object");
    for (const auto& [k, v] : body.items()) {
        if (get(k) != nullptr || v.is_null()) continue;
        if (v.is_string()) {
            m_values.emplace_back(k, v.get<std::string>());
        } else if (v.is_array()) {
            if (v.empty()) fail(fmt::format("Parameter '{}' is invalid: the parameter is an empty array", k));
            std::string joined;
            for (const auto& e : v) {
                if (!joined.empty()) joined += '|';
                joined += e.is_string() ? e.get<std::string>() : e.dump();
            }
            m_values.emplace_back(k, std::move(joined));
        } else {
            m_values.emplace_back(k, v.dump());
        }
    }
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

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const auto end = s.find(sep, start);
        out.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return out;
}


/// Road2's point format: "x,y", regex ^-?\d+(\.\d+)?,\s*-?\d+(\.\d+)?$.
bool parse_point(std::string_view s, XY& out) {
    const auto comma = s.find(',');
    if (comma == std::string_view::npos) return false;
    auto number = [](std::string_view t, double& v) {
        if (t.empty()) return false;
        std::size_t i = t.front() == '-' ? 1 : 0;
        std::size_t digits = 0, frac = 0;
        while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])) != 0) ++i, ++digits;
        if (digits == 0) return false;
        if (i < t.size() && t[i] == '.') {
            ++i;
            while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])) != 0) ++i, ++frac;
            if (frac == 0) return false;
        }
        if (i != t.size()) return false;
        const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        return ec == std::errc() && p == t.data() + t.size() && std::isfinite(v);
    };
    std::string_view ys = s.substr(comma + 1);
    while (!ys.empty() && std::isspace(static_cast<unsigned char>(ys.front())) != 0) ys.remove_prefix(1);
    return number(s.substr(0, comma), out.x) && number(ys, out.y);
}

/// Shared, thread-safe CRS transforms (PROJ objects are pooled inside CrsTransform).
const core::CrsTransform& transform(const std::string& from, const std::string& to) {
    static std::mutex mutex;
    static std::map<std::pair<std::string, std::string>, std::unique_ptr<core::CrsTransform>> cache;
    const std::lock_guard lock(mutex);
    auto& t = cache[{from, to}];
    if (!t) t = std::make_unique<core::CrsTransform>(from, to);
    return *t;
}

bool is_wgs84(std::string_view crs) { return crs == "EPSG:4326" || crs == "CRS:84"; }


ResourceRef resolve_resource(const Params& p, const bundle::Engine& engine) {
    const std::string* id = p.given("resource");
    if (id == nullptr) fail("Parameter 'resource' not found");
    const auto& router = engine.routing();
    const auto* info = router.find(*id);
    if (info == nullptr) fail("Parameter 'resource' is invalid: it does not exist on this service");
    return {&router, info};
}

std::string resolve_crs(const Params& p, const routing::ResourceInfo& info) {
    const std::string* crs = p.given("crs");
    if (crs == nullptr) return "EPSG:4326";
    if (std::find(info.crs.begin(), info.crs.end(), *crs) == info.crs.end()) fail("Parameter 'crs' is invalid");
    return *crs;
}

/// Input point in the request CRS → WGS84; false when malformed or outside the resource.
bool to_wgs84(std::string_view text, const std::string& crs, const routing::ResourceInfo& info, double margin_deg,
              LonLat& out) {
    XY xy;
    if (!parse_point(text, xy)) return false;
    if (!is_wgs84(crs)) xy = transform(crs, "EPSG:4326").transform(xy);
    out = {xy.x, xy.y};
    if (!std::isfinite(out.lon) || !std::isfinite(out.lat) || !core::is_valid_lonlat(out)) return false;
    const BBox& b = info.bbox;
    return b.empty() || (out.lon >= b.min_x - margin_deg && out.lon <= b.max_x + margin_deg &&
                         out.lat >= b.min_y - margin_deg && out.lat <= b.max_y + margin_deg);
}

/// WGS84 → output CRS, in place.
void from_wgs84(std::vector<XY>& pts, const std::string& crs) {
    if (is_wgs84(crs) || pts.empty()) return;
    std::vector<double> xs(pts.size()), ys(pts.size());
    for (std::size_t i = 0; i < pts.size(); ++i) {
        xs[i] = pts[i].x;
        ys[i] = pts[i].y;
    }
    transform("EPSG:4326", crs).transform(xs, ys);
    for (std::size_t i = 0; i < pts.size(); ++i) pts[i] = {xs[i], ys[i]};
}

int decimals_for(const std::string& crs) { return core::is_geographic_crs(crs) ? 7 : 2; }


void write_line(core::JsonWriter& w, const std::vector<XY>& pts, GeometryFormat f, int decimals) {
    if (f == GeometryFormat::geojson) {
        w.begin_object().key("type").value("LineString").key("coordinates").begin_array();
        for (const auto& p : pts) w.begin_array().value_fixed(p.x, decimals).value_fixed(p.y, decimals).end_array();
        w.end_array().end_object();
        return;
    }
    core::LineString line;
    for (const auto& p : pts) line.push_back(LonLat{p.x, p.y});
    if (f == GeometryFormat::polyline) w.value(core::encode_polyline(line));
    else w.value(core::to_wkt(core::Geometry(line), decimals));
}

void write_bbox(core::JsonWriter& w, const std::vector<XY>& pts, int decimals) {
    BBox b;
    for (const auto& p : pts) b.extend(p.x, p.y);
    w.begin_array().value_fixed(b.min_x, decimals).value_fixed(b.min_y, decimals).value_fixed(b.max_x, decimals)
        .value_fixed(b.max_y, decimals).end_array();
}


bool parse_bool(const std::string& v, bool& out) {
    if (v == "true") out = true;
    else if (v == "false") out = false;
    else return false;
    return true;
}

/// Road2 constraints: JSON objects joined with '|'. Any problem → "Parameter 'constraints' is invalid".
std::vector<routing::Constraint> parse_constraints(const std::string& text, const routing::ResourceInfo& info,
                                                   std::size_t max) {
    std::vector<routing::Constraint> out;
    auto invalid = [] { fail("Parameter 'constraints' is invalid"); };
    // Split on '|' outside JSON strings.
    std::vector<std::string> parts;
    std::string cur;
    bool in_string = false, escape = false;
    for (const char c : text) {
        if (in_string) {
            if (escape) escape = false;
            else if (c == '\\') escape = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '|') {
            parts.push_back(cur);
            cur.clear();
            continue;
        }
        cur.push_back(c);
    }
    parts.push_back(cur);
    if (parts.size() > max) invalid();
    for (const auto& part : parts) {
        const auto j = nlohmann::json::parse(part, nullptr, false);
        if (j.is_discarded() || !j.is_object()) invalid();
        if (!j.contains("constraintType") || !j.contains("key") || !j.contains("operator") || !j.contains("value"))
            invalid();
        if (!j["constraintType"].is_string() || !j["key"].is_string() || !j["operator"].is_string()) invalid();
        routing::Constraint c;
        const auto type = j["constraintType"].get<std::string>();
        if (type == "banned") c.type = routing::ConstraintType::banned;
        else if (type == "preferred" || type == "prefer") c.type = routing::ConstraintType::preferred;
        else if (type == "unpreferred" || type == "avoid") c.type = routing::ConstraintType::unpreferred;
        else invalid();
        c.key = j["key"].get<std::string>();
        const auto op = j["operator"].get<std::string>();
        static const std::pair<const char*, routing::ConstraintOperator> ops[] = {
            {"=", routing::ConstraintOperator::eq}, {"!=", routing::ConstraintOperator::ne},
            {">", routing::ConstraintOperator::gt}, {">=", routing::ConstraintOperator::ge},
            {"<", routing::ConstraintOperator::lt}, {"<=", routing::ConstraintOperator::le}};
        bool found = false;
        for (const auto& [name, v] : ops)
            if (op == name) {
                c.op = v;
                found = true;
            }
        if (!found) invalid();
        const auto& value = j["value"];
        if (value.is_string()) c.value = value.get<std::string>();
        else if (value.is_number()) {
            c.number = value.get<double>();
            c.value = value.dump();
        } else {
            invalid();
        }
        // OSM resources know wayType only (name-osrm: '=' only).
        const bool waytype = iequals(c.key, "waytype");
        if (info.format == routing::SourceFormat::osm &&
            (!waytype || c.op != routing::ConstraintOperator::eq || c.number ||
             (c.value != "autoroute" && c.value != "tunnel" && c.value != "pont")))
            invalid();
        if (waytype && c.op != routing::ConstraintOperator::eq) invalid();
        const bool numeric_op = c.op != routing::ConstraintOperator::eq && c.op != routing::ConstraintOperator::ne;
        if (numeric_op && !c.number) invalid();  // Road2: `importance >= "4"` is rejected, 4 is not
        c.key = waytype ? "wayType" : c.key;
        out.push_back(std::move(c));
    }
    return out;
}

void write_constraints(core::JsonWriter& w, const std::vector<routing::Constraint>& constraints) {
    w.begin_array();
    for (const auto& c : constraints) {
        // Road2 echoes `type`, not `constraintType`.
        w.begin_object().key("type").value(routing::to_string(c.type)).key("key").value(c.key).key("operator")
            .value(routing::to_string(c.op)).key("value");
        if (c.number) w.raw(c.value);
        else w.value(c.value);
        w.end_object();
    }
    w.end_array();
}

}  // namespace geoplex::server::road2
