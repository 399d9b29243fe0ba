// The Géoplateforme geocoding API over geocoder::Query.
//
//   GET  /geocodage/search            q, index, limit, lat, lon, postcode, citycode, depcode, type,
//                                     city, autocomplete, returntruegeometry
//   GET  /geocodage/reverse           lon, lat, searchgeom (Point | LineString | Polygon | Circle), index, limit, filters,
//                                     returntruegeometry
//   GET  /geocodage/completion        text, type, maximumResponses, terr, lonlat, bbox, zipcode,
//                                     citycode, depcode           ({status, results}; errors: 200)
//   GET  /geocodage/getCapabilities   and /geocodage/completion/getCapabilities
//   POST /geocodage/search/csv        CSV in (raw body or multipart field "data") → CSV out
//   POST /geocodage/reverse/csv
//
// Errors are HttpError(400, "Failed parsing query", [every problem]) rendered by error_response()
// in the geocoder style ({"code":400,"message":…,"detail":[…]}), or the completion style.

#include "geoplex/server/geocoder_api.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/core/geometry.hpp"
#include "geoplex/core/json_writer.hpp"
#include "geoplex/geocoder/geocoder.hpp"

namespace geoplex::server {

namespace {

using geocoder::DocType;
constexpr const char* parse_failure = "Failed parsing query";

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
    return s;
}

std::vector<std::string> split_list(std::string_view s, char sep = ',') {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = s.find(sep, start);
        const auto piece = trim(s.substr(start, end == std::string_view::npos ? s.npos : end - start));
        if (!piece.empty()) out.emplace_back(piece);
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return out;
}

bool parse_number(std::string_view s, double& v) {
    s = trim(s);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(v);
}

/// One Query per thread, re-created when the engine's geocoder changes (bundle hot reload).
geocoder::Query& thread_query(const bundle::Engine& engine) {
    const geocoder::Geocoder& g = engine.geocoder();
    thread_local std::unique_ptr<geocoder::Query> query;
    thread_local const geocoder::Geocoder::Impl* owner = nullptr;
    if (!query || owner != &g.impl()) {
        query = std::make_unique<geocoder::Query>(g);
        owner = &g.impl();
    }
    return *query;
}

/// Collects every problem of a request, then throws them together.
class Problems {
public:
    void add(std::string p) { m_list.push_back(std::move(p)); }
    void throw_if_any() const {
        if (!m_list.empty()) throw HttpError(400, parse_failure, m_list);
    }

private:
    std::vector<std::string> m_list;
};

std::size_t parse_limit(const Request& req, const char* name, std::size_t def, std::size_t max, Problems& p) {
    const std::string* v = req.param(name);
    if (v == nullptr || trim(*v).empty()) return def;
    double d = 0;
    if (!parse_number(*v, d) || d != std::floor(d) || d < 1 || d > static_cast<double>(max)) {
        p.add(fmt::format("{}: must be an integer between 1 and {}", name, max));
        return def;
    }
    return static_cast<std::size_t>(d);
}

/// `index` (comma list of address, poi, parcel; default address). An index the bundle has no
/// document of is refused ("not served by this bundle").
std::vector<geocoder::IndexKind> parse_indexes(const Request& req, const bundle::Engine& engine, Problems& p) {
    std::vector<geocoder::IndexKind> out;
    const std::string* v = req.param("index");
    if (v == nullptr) return out;
    const auto& info = engine.geocoder().info();
    std::string available = "address";
    if (info.serves(geocoder::IndexKind::poi)) available += ", poi";
    if (info.serves(geocoder::IndexKind::parcel)) available += ", parcel";
    for (const auto& i : split_list(*v)) {
        const auto k = geocoder::index_kind_from_string(i);
        if (!k) p.add(fmt::format("index: '{}' is not one of address, poi, parcel", i));
        else if (!info.serves(*k)) p.add(fmt::format("index: '{}' is not served by this bundle (available: {})", i, available));
        else if (std::find(out.begin(), out.end(), *k) == out.end()) out.push_back(*k);
    }
    return out;
}

bool has_index(const std::vector<geocoder::IndexKind>& v, geocoder::IndexKind k) {
    return std::find(v.begin(), v.end(), k) != v.end();
}

/// postcode, citycode, depcode, type, city: the filters shared by search and reverse.
geocoder::Filters parse_filters(const Request& req, Problems& p) {
    geocoder::Filters f;
    const auto list = [&](const char* name, std::size_t max) {
        std::vector<std::string> out;
        if (const std::string* v = req.param(name)) {
            out = split_list(*v);
            if (out.size() > max) p.add(fmt::format("{}: at most {} values", name, max));
        }
        return out;
    };
    f.postcodes = list("postcode", 50);
    f.citycodes = list("citycode", 200);
    f.depcodes = list("depcode", 10);
    if (const std::string* v = req.param("type"); v != nullptr && !trim(*v).empty()) {
        const auto t = geocoder::doc_type_from_string(trim(*v));
        if (!t) p.add(fmt::format("type: '{}' is not one of housenumber, street, locality, municipality", *v));
        else f.types = {*t};
    }
    if (const std::string* v = req.param("city")) {
        if (v->size() > 50) p.add("city: must be at most 50 characters");
        else f.city = std::string(trim(*v));
    }
    f.categories = list("category", 20);
    for (auto& problem : f.validate()) p.add(std::move(problem));
    return f;
}

std::optional<LonLat> parse_lonlat(const Request& req, Problems& p) {
    const std::string* lon = req.param("lon");
    const std::string* lat = req.param("lat");
    if (lon == nullptr && lat == nullptr) return std::nullopt;
    if (lon == nullptr || lat == nullptr) {
        p.add("lon/lat must be present together if defined");
        return std::nullopt;
    }
    LonLat ll;
    bool ok = true;
    if (!parse_number(*lon, ll.lon) || ll.lon < -180 || ll.lon > 180) { p.add("lon: must be a number between -180 and 180"); ok = false; }
    if (!parse_number(*lat, ll.lat) || ll.lat < -90 || ll.lat > 90) { p.add("lat: must be a number between -90 and 90"); ok = false; }
    return ok ? std::optional<LonLat>(ll) : std::nullopt;
}

void write_strings(core::JsonWriter& w, const char* key, const std::vector<std::string>& values) {
    w.key(key).begin_array();
    for (const auto& v : values) w.value(v);
    w.end_array();
}

// Properties per index, with the reference's names (§3.4).
void write_feature(core::JsonWriter& w, const geocoder::Result& r, bool with_distance) {
    w.begin_object();
    w.key("type").value("Feature");
    w.key("geometry").begin_object().key("type").value("Point").key("coordinates").begin_array();
    w.value(r.position.lon).value(r.position.lat).end_array().end_object();
    w.key("properties").begin_object();
    const auto list_of = [](const std::string& v) { return v.empty() ? std::vector<std::string>{} : std::vector<std::string>{v}; };
    if (r.type == DocType::poi) {
        w.key("toponym").value(r.name);
        w.key("id").value(r.id);
        write_strings(w, "postcode", list_of(r.postcode));
        write_strings(w, "citycode", list_of(r.citycode));
        write_strings(w, "city", list_of(r.city));
        write_strings(w, "category", r.categories);
        w.key("extrafields").begin_object().key("names").begin_array().value(r.name).end_array().end_object();
        w.key("x").value(r.position.lon);
        w.key("y").value(r.position.lat);
        w.key("score").value_fixed(r.score, 6);
        if (with_distance) w.key("distance").value_fixed(r.distance, 2);
        w.key("_score").value_fixed(r.score, 6);
        w.key("_type").value("poi");
        if (!r.true_geometry.empty()) w.key("truegeometry").raw(r.true_geometry);
    } else if (r.type == DocType::parcel) {
        w.key("id").value(r.id);
        w.key("departmentcode").value(r.departmentcode);
        w.key("municipalitycode").value(r.municipalitycode);
        w.key("city").value(r.city);
        w.key("oldmunicipalitycode").value(r.oldmunicipalitycode);
        w.key("districtcode").value(r.districtcode);
        w.key("section").value(r.section);
        w.key("number").value(r.number);
        w.key("sheet").value(r.sheet);
        w.key("x").value(r.position.lon);
        w.key("y").value(r.position.lat);
        w.key("score").value_fixed(r.score, 6);
        if (with_distance) w.key("distance").value_fixed(r.distance, 2);
        w.key("_score").value_fixed(r.score, 6);
        w.key("_type").value("parcel");
        if (!r.true_geometry.empty()) w.key("truegeometry").raw(r.true_geometry);
    } else {
        w.key("label").value(r.label);
        w.key("score").value_fixed(r.score, 6);
        if (r.type == DocType::housenumber) w.key("housenumber").value(r.housenumber);
        w.key("id").value(r.id);
        w.key("name").value(r.name);
        w.key("postcode").value(r.postcode);
        w.key("citycode").value(r.citycode);
        w.key("x").value(r.position.lon);
        w.key("y").value(r.position.lat);
        w.key("city").value(r.city);
        w.key("context").value(r.context);
        w.key("type").value(geocoder::to_string(r.type));
        w.key("importance").value_fixed(r.importance, 5);
        if (!r.street.empty()) w.key("street").value(r.street);
        if (with_distance) w.key("distance").value_fixed(r.distance, 2);
        w.key("_score").value_fixed(r.score, 6);
        w.key("_type").value("address");
    }
    w.end_object();
    w.end_object();
}

/// A 0/1/true/false query parameter; absent or empty = false.
bool parse_flag(const Request& req, const char* name, Problems& p) {
    const std::string* a = req.param(name);
    if (a == nullptr) return false;
    const auto v = trim(*a);
    const bool on = v == "1" || v == "true";
    if (!on && v != "0" && v != "false" && !v.empty()) p.add(fmt::format("{}: must be 0, 1, true or false", name));
    return on;
}

Response feature_collection(const std::vector<geocoder::Result>& results, bool with_distance) {
    core::JsonWriter w;
    w.begin_object().key("type").value("FeatureCollection").key("features").begin_array();
    for (const auto& r : results) write_feature(w, r, with_distance);
    w.end_array().end_object();
    return Response::json(w.str());
}

Response search(const Request& req, const bundle::Engine& engine, const GeocoderApiOptions& o) {
    Problems p;
    geocoder::SearchRequest s;
    s.indexes = parse_indexes(req, engine, p);
    const bool parcel_only = s.indexes.size() == 1 && s.indexes[0] == geocoder::IndexKind::parcel;
    // Structured parcel search: departmentcode, municipalitycode, … (index=parcel alone).
    for (const auto& [name, field] : {std::pair{"departmentcode", &s.parcel.departmentcode},
                                      {"municipalitycode", &s.parcel.municipalitycode},
                                      {"oldmunicipalitycode", &s.parcel.oldmunicipalitycode},
                                      {"districtcode", &s.parcel.districtcode}, {"section", &s.parcel.section},
                                      {"number", &s.parcel.number}, {"sheet", &s.parcel.sheet}}) {
        const std::string* v = req.param(name);
        if (v == nullptr || trim(*v).empty()) continue;
        if (!has_index(s.indexes, geocoder::IndexKind::parcel)) p.add(fmt::format("{}: only with index=parcel", name));
        *field = std::string(trim(*v));
    }
    for (auto& problem : s.parcel.validate()) p.add(std::move(problem));
    const std::string* q = req.param("q");
    if (q == nullptr || trim(*q).empty()) {
        if (!parcel_only || s.parcel.empty()) p.add(parcel_only ? "q: required (or a structured parcel search: departmentcode, municipalitycode, section, number, …)" : "q: required");
    } else {
        const auto text = trim(*q);
        // The Géoplateforme's rule: 3 to 200 characters, starting with a letter or a digit.
        std::size_t chars = 0;
        for (const char c : text) chars += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U ? 1 : 0;
        const auto first = static_cast<unsigned char>(text.front());
        if (chars < 3 || chars > 200 || (first < 0x80 && std::isalnum(first) == 0))
            p.add("q: must contain between 3 and 200 chars and start with a number or a letter");
        s.q = std::string(text);
    }
    s.limit = parse_limit(req, "limit", o.default_limit, o.max_limit, p);
    s.bias = parse_lonlat(req, p);
    s.filters = parse_filters(req, p);
    s.autocomplete = parse_flag(req, "autocomplete", p);
    s.true_geometry = parse_flag(req, "returntruegeometry", p);
    p.throw_if_any();
    return feature_collection(thread_query(engine).search(s), s.bias.has_value());
}

Response reverse(const Request& req, const bundle::Engine& engine, const GeocoderApiOptions& o) {
    Problems p;
    geocoder::ReverseRequest r;
    r.indexes = parse_indexes(req, engine, p);
    const bool address_only = r.indexes.empty() || (r.indexes.size() == 1 && r.indexes[0] == geocoder::IndexKind::address);
    r.limit = parse_limit(req, "limit", o.default_limit, o.max_limit, p);
    r.filters = parse_filters(req, p);
    r.true_geometry = parse_flag(req, "returntruegeometry", p);
    const auto point = parse_lonlat(req, p);
    if (const std::string* g = req.param("searchgeom")) {
        // Matched by intersection with the documents' geometries (parcels' and GDAL POIs' true
        // geometries, else their points): geocoder::SearchGeometry.
        const auto j = nlohmann::json::parse(*g, nullptr, false);
        const auto bad = [&](const std::string& why) { p.add("Error: Parameter [searchgeom] " + why); };
        const auto as_point = [](const nlohmann::json& v, LonLat& out) {
            if (!v.is_array() || v.size() < 2 || !v[0].is_number() || !v[1].is_number()) return false;
            out = {v[0].get<double>(), v[1].get<double>()};
            return is_valid_lonlat(out);
        };
        const auto as_points = [&](const nlohmann::json& v, std::vector<LonLat>& out) {
            if (!v.is_array()) return false;
            for (const auto& x : v) {
                LonLat ll;
                if (!as_point(x, ll)) return false;
                out.push_back(ll);
            }
            return true;
        };
        geocoder::SearchGeometry sg;
        if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
            bad("must be a GeoJSON geometry object");
        } else {
            const std::string type = j["type"].get<std::string>();
            const auto& c = j.contains("coordinates") ? j["coordinates"] : nlohmann::json();
            LonLat ll;
            std::vector<LonLat> pts;
            if (type == "Circle") {
                if (!as_point(c, ll)) bad("Circle: coordinates must be [lon, lat]");
                else if (!j.contains("radius") || !j["radius"].is_number() || j["radius"].get<double>() < 0 ||
                         j["radius"].get<double>() > 1000)
                    bad("Circle: radius must be a number of metres between 0 and 1000");
                else sg = {geocoder::SearchGeometry::Kind::point, {{ll}}, j["radius"].get<double>()};
            } else if (type == "Polygon") {
                sg.kind = geocoder::SearchGeometry::Kind::polygon;
                if (!c.is_array() || c.empty()) bad("Polygon: coordinates must be [[[lon, lat], …], …]");
                for (const auto& ring : c) {
                    pts.clear();
                    if (!as_points(ring, pts) || pts.size() < 4) { bad("Polygon: every ring must be [[lon, lat], …] with at least 4 positions"); break; }
                    sg.parts.push_back(pts);
                }
            } else if ((type == "Point" || type == "LineString") && address_only) {
                bad(fmt::format("{} is not allowed with index=address (use Polygon or Circle)", type));
            } else if (type == "Point") {
                if (!as_point(c, ll)) bad("Point: coordinates must be [lon, lat]");
                else sg = {geocoder::SearchGeometry::Kind::point, {{ll}}};
            } else if (type == "LineString") {
                if (!as_points(c, pts) || pts.size() < 2) bad("LineString: coordinates must be [[lon, lat], …] with at least 2 positions");
                else sg = {geocoder::SearchGeometry::Kind::linestring, {pts}};
            } else {
                bad(fmt::format("type '{}' is not one of Point, LineString, Polygon, Circle", type));
            }
            // Documents that are only a point (POIs without a true geometry) are hit by a Point or
            // LineString within 10 m.
            if (type == "Point" || type == "LineString") sg.point_tolerance_m = 10.0;
            if (!sg.parts.empty() && sg.validate().empty()) {
                // At most 2 km across (the reverse limits its cost): the bounding box's diagonal.
                double min_lon = 180, max_lon = -180, min_lat = 90, max_lat = -90;
                for (const auto& part : sg.parts)
                    for (const auto& v : part) {
                        min_lon = std::min(min_lon, v.lon); max_lon = std::max(max_lon, v.lon);
                        min_lat = std::min(min_lat, v.lat); max_lat = std::max(max_lat, v.lat);
                    }
                if (core::geodesic_distance({min_lon, min_lat}, {max_lon, max_lat}) > 2000)
                    bad(fmt::format("{}: must fit in a 2 km box", type));
                r.point = point ? *point : LonLat{(min_lon + max_lon) / 2, (min_lat + max_lat) / 2};
            } else if (!sg.parts.empty()) {
                for (const auto& problem : sg.validate()) bad(fmt::format("{}: {}", type, problem));
            }
            r.geometry = std::move(sg);
        }
    } else if (!point) {
        if (req.param("lon") == nullptr) p.add("lon: required");
        if (req.param("lat") == nullptr) p.add("lat: required");
    } else {
        r.point = *point;
    }
    p.throw_if_any();
    auto results = thread_query(engine).reverse(r);
    // The reference's rule: with searchgeom and without lon/lat, every hit scores 1.
    if (r.geometry && !point)
        for (auto& x : results) x.score = 1.0;
    return feature_collection(results, true);
}

Response completion(const Request& req, const bundle::Engine& engine, const GeocoderApiOptions& o) {
    Problems p;
    geocoder::SearchRequest s;
    s.autocomplete = true;
    const std::string* text = req.param("text");
    if (text == nullptr || trim(*text).empty()) p.add("Le paramètre 'text' est obligatoire");
    else s.q = std::string(trim(*text));
    s.limit = parse_limit(req, "maximumResponses", 10, o.max_completion, p);
    // Both types by default; PositionOfInterest = the bundle's POIs (index poi).
    bool addresses = true, pois = true;
    if (const std::string* t = req.param("type")) {
        addresses = pois = false;
        for (const auto& v : split_list(*t)) {
            if (v == "StreetAddress") addresses = true;
            else if (v == "PositionOfInterest") pois = true;
            else p.add(fmt::format("type: '{}' is not one of PositionOfInterest, StreetAddress", v));
        }
    }
    pois = pois && engine.geocoder().info().pois > 0;
    bool metropole_only = false, domtom_only = false;
    if (const std::string* t = req.param("terr")) {
        for (const auto& v : split_list(*t)) {
            if (v == "METROPOLE") metropole_only = true;
            else if (v == "DOMTOM") domtom_only = true;
            else if (v.size() == 5) s.filters.postcodes.push_back(v);
            else s.filters.depcodes.push_back(v);
        }
    }
    const auto list = [&](const char* name, std::vector<std::string>& into, std::size_t max) {
        if (const std::string* v = req.param(name)) {
            auto l = split_list(*v);
            if (l.size() > max) p.add(fmt::format("{}: at most {} values", name, max));
            into.insert(into.end(), l.begin(), l.end());
        }
    };
    list("zipcode", s.filters.postcodes, 50);
    list("citycode", s.filters.citycodes, 200);
    list("depcode", s.filters.depcodes, 10);
    if (const std::string* v = req.param("lonlat")) {
        const auto parts = split_list(*v);
        LonLat ll;
        if (parts.size() != 2 || !parse_number(parts[0], ll.lon) || !parse_number(parts[1], ll.lat) || !is_valid_lonlat(ll))
            p.add("lonlat: must be 'lon,lat'");
        else s.bias = ll;
    }
    std::optional<BBox> bbox;
    if (const std::string* v = req.param("bbox")) {
        const auto parts = split_list(*v);
        double b[4] = {};
        bool ok = parts.size() == 4;
        for (std::size_t i = 0; ok && i < 4; ++i) ok = parse_number(parts[i], b[i]);
        if (!ok || b[0] > b[2] || b[1] > b[3]) p.add("bbox: must be 'xmin,ymin,xmax,ymax'");
        else bbox = BBox::of(b[0], b[1], b[2], b[3]);
    }
    for (auto& problem : s.filters.validate()) p.add(std::move(problem));
    p.throw_if_any();
    std::vector<geocoder::Result> results;
    if (addresses) s.indexes.push_back(geocoder::IndexKind::address);
    if (pois) s.indexes.push_back(geocoder::IndexKind::poi);
    if (!s.indexes.empty()) {
        const std::size_t wanted = s.limit;
        const bool post_filter = metropole_only || domtom_only || bbox.has_value();
        if (post_filter) s.limit = std::min<std::size_t>(100, wanted * 5);
        results = thread_query(engine).search(s);
        const auto overseas = [](const geocoder::Result& r) { return r.citycode.starts_with("97") || r.citycode.starts_with("98"); };
        results.erase(std::remove_if(results.begin(), results.end(), [&](const geocoder::Result& r) {
                          if (metropole_only && !domtom_only && overseas(r)) return true;
                          if (domtom_only && !metropole_only && !overseas(r)) return true;
                          return bbox && !bbox->contains(r.position);
                      }),
                      results.end());
        if (results.size() > wanted) results.resize(wanted);
    }
    core::JsonWriter w;
    w.begin_object().key("status").value("OK").key("results").begin_array();
    for (const auto& r : results) {
        const bool overseas = r.citycode.starts_with("97") || r.citycode.starts_with("98");
        const bool poi = r.type == DocType::poi;
        w.begin_object();
        w.key("country").value(poi ? "PositionOfInterest" : "StreetAddress");
        w.key("city").value(r.city);
        w.key("x").value(r.position.lon);
        w.key("y").value(r.position.lat);
        w.key("zipcode").value(r.postcode);
        w.key("street").value(r.type == DocType::municipality || poi ? std::string() : r.street);
        // Our convention (docs/geocoder.md): 7 house number, 6 street/locality, 5 municipality, 4 POI.
        w.key("classification").value(r.type == DocType::housenumber ? 7 : r.type == DocType::municipality ? 5 : poi ? 4 : 6);
        w.key("kind").value(poi && !r.categories.empty() ? r.categories.front() : std::string(geocoder::to_string(r.type)));
        w.key("fulltext").value(r.label);
        w.key("metropole").value(!overseas);
        if (poi) {
            w.key("zipcodes").begin_array();
            if (!r.postcode.empty()) w.value(r.postcode);
            w.end_array();
            w.key("poiType").begin_array();
            for (const auto& c : r.categories) w.value(c);
            w.end_array();
        }
        w.end_object();
    }
    w.end_array().end_object();
    return Response::json(w.str());
}

Response capabilities(const Request&, const bundle::Engine& engine) {
    const auto& info = engine.geocoder().info();
    using J = nlohmann::ordered_json;
    const auto param = [](const char* name, const char* description, const char* type, bool required) {
        return J{{"name", name}, {"in", "query"}, {"description", description}, {"required", required},
                 {"schema", {{"type", type}}}};
    };
    J filters = J::array({param("postcode", "Code postal (5 chiffres), liste séparée par des virgules", "string", false),
                          param("citycode", "Code INSEE, liste séparée par des virgules", "string", false),
                          param("depcode", "Code de département, liste séparée par des virgules", "string", false),
                          param("type", "housenumber, street, locality ou municipality", "string", false),
                          param("city", "Nom de commune", "string", false)});
    J search_params = J::array({param("q", "Texte à géocoder (3 à 200 caractères)", "string", true),
                                param("index", "address", "string", false),
                                param("limit", "Nombre de résultats (1 à 20)", "integer", false),
                                param("lat", "Latitude du point de priorisation", "number", false),
                                param("lon", "Longitude du point de priorisation", "number", false),
                                param("autocomplete", "Dernier mot comme préfixe (0/1)", "boolean", false)});
    J reverse_params = J::array({param("lon", "Longitude", "number", false), param("lat", "Latitude", "number", false),
                                 param("searchgeom", "Géométrie de recherche (Point, LineString, Polygon ou Circle)", "string", false),
                                 param("index", "address", "string", false),
                                 param("limit", "Nombre de résultats (1 à 20)", "integer", false)});
    const J true_geometry = param("returntruegeometry", "Ajoute la géométrie réelle (poi, parcel) : truegeometry", "boolean", false);
    search_params.push_back(true_geometry);
    reverse_params.push_back(true_geometry);
    for (const auto& f : filters) { search_params.push_back(f); reverse_params.push_back(f); }
    J fields = J::array();
    for (const char* f : {"label", "id", "housenumber", "street", "name", "postcode", "citycode", "city", "context",
                          "type", "x", "y", "importance", "score"})
        fields.push_back(J{{"name", f}, {"queryable", false}, {"filter", std::string_view(f) == "postcode" ||
                                                                      std::string_view(f) == "citycode" ||
                                                                      std::string_view(f) == "type"}});
    J body = {
        {"info", {{"name", "Géocodage"}, {"description", "Service de géocodage (geoplex)"}, {"url", "/geocodage"}}},
        {"api", {{"name", "rest"}, {"version", "1.0.0"}}},
        {"operations", J::array({J{{"id", "search"}, {"description", "Géocodage direct"}, {"url", "/search?"},
                                   {"methods", J::array({"GET"})}, {"parameters", search_params}},
                                 J{{"id", "reverse"}, {"description", "Géocodage inverse"}, {"url", "/reverse?"},
                                   {"methods", J::array({"GET"})}, {"parameters", reverse_params}}})},
        {"indexes", J::array({J{{"id", "address"},
                                {"description", fmt::format("Adresses ({} communes, {} voies, {} numéros)",
                                                            info.municipalities, info.streets, info.housenumbers)},
                                {"fields", fields}}})}};
    // The POI and parcel indexes when the bundle has documents of them (properties: reference §3.4).
    const auto index_fields = [&](std::initializer_list<const char*> names, std::initializer_list<const char*> filters_of) {
        J out = J::array();
        for (const char* f : names)
            out.push_back(J{{"name", f}, {"queryable", false},
                            {"filter", std::any_of(filters_of.begin(), filters_of.end(), [&](const char* x) { return std::string_view(x) == f; })}});
        return out;
    };
    if (info.pois > 0)
        body["indexes"].push_back(J{{"id", "poi"}, {"description", fmt::format("Points d'intérêt ({})", info.pois)},
                                    {"fields", index_fields({"toponym", "category", "postcode", "citycode", "city", "x", "y", "score"},
                                                            {"category", "postcode", "citycode"})}});
    if (info.parcels > 0)
        body["indexes"].push_back(J{{"id", "parcel"}, {"description", fmt::format("Parcelles cadastrales ({})", info.parcels)},
                                    {"fields", index_fields({"id", "departmentcode", "municipalitycode", "oldmunicipalitycode",
                                                             "districtcode", "section", "number", "sheet", "x", "y", "score"},
                                                            {"departmentcode", "municipalitycode", "oldmunicipalitycode",
                                                             "districtcode", "section", "number", "sheet"})}});
    return Response::json(body.dump(-1, ' ', false, J::error_handler_t::replace));
}

Response completion_capabilities(const Request&, const bundle::Engine& engine) {
    (void)engine.geocoder();
    return Response::json(R"({"status":"OK","types":["StreetAddress"],"poiTypes":[],)"
                          R"("parameters":["text","type","maximumResponses","terr","lonlat","bbox","zipcode","citycode","depcode"]})");
}

// ---- batch CSV ----------------------------------------------------------------------------------

/// The CSV and its options, from a multipart/form-data body (field "data" + fields) or from a
/// raw body with options in the query string.
struct CsvInput {
    std::string_view csv;
    std::vector<std::pair<std::string, std::string>> fields;  // form fields and query parameters
};

CsvInput read_csv_input(const Request& req) {
    CsvInput in;
    for (const auto& kv : req.query) in.fields.push_back(kv);
    const std::string* ct = req.header("content-type");
    const std::string_view ctype = ct != nullptr ? std::string_view(*ct) : std::string_view();
    if (ctype.find("multipart/form-data") == std::string_view::npos) {
        in.csv = req.body;
        return in;
    }
    const auto bpos = ctype.find("boundary=");
    if (bpos == std::string_view::npos) throw HttpError(400, parse_failure, {"multipart/form-data without a boundary"});
    std::string_view boundary = ctype.substr(bpos + 9);
    if (const auto semi = boundary.find(';'); semi != std::string_view::npos) boundary = boundary.substr(0, semi);
    if (boundary.size() >= 2 && boundary.front() == '"') boundary = boundary.substr(1, boundary.size() - 2);
    const std::string delim = "--" + std::string(boundary);
    const std::string_view body = req.body;
    std::size_t pos = body.find(delim);
    bool found = false;
    while (pos != std::string_view::npos) {
        pos += delim.size();
        if (body.substr(pos, 2) == "--") break;
        const auto head_end = body.find("\r\n\r\n", pos);
        if (head_end == std::string_view::npos) break;
        const std::string_view head = body.substr(pos, head_end - pos);
        const auto next = body.find("\r\n" + delim, head_end + 4);
        if (next == std::string_view::npos) break;
        const std::string_view content = body.substr(head_end + 4, next - head_end - 4);
        std::string name;
        if (const auto n = head.find("name=\""); n != std::string_view::npos) {
            const auto e = head.find('"', n + 6);
            name = std::string(head.substr(n + 6, e - n - 6));
        }
        if (name == "data") { in.csv = content; found = true; }
        else if (!name.empty()) in.fields.emplace_back(name, std::string(content));
        pos = next + 2;
    }
    if (!found) throw HttpError(400, parse_failure, {"data: a CSV file is required (multipart field 'data')"});
    return in;
}

Response batch(const Request& req, const bundle::Engine& engine, const GeocoderApiOptions& o, bool reverse_mode) {
    CsvInput in = read_csv_input(req);
    geocoder::BatchOptions b;
    b.max_rows = o.csv_max_rows;
    Problems p;
    for (const auto& [k, v] : in.fields) {
        if (k == "columns") for (auto& c : split_list(v)) b.columns.push_back(c);
        else if (k == "postcode") b.postcode_column = std::string(trim(v));
        else if (k == "citycode") b.citycode_column = std::string(trim(v));
        else if (k == "lat") b.lat_column = std::string(trim(v));
        else if (k == "lon") b.lon_column = std::string(trim(v));
        else if (k == "type") {
            const auto t = geocoder::doc_type_from_string(trim(v));
            if (!t) p.add(fmt::format("type: '{}' is not one of housenumber, street, locality, municipality", v));
            else b.filters.types = {*t};
        } else if (k == "index") {
            for (const auto& i : split_list(v))
                if (i != "address") p.add(fmt::format("index: '{}' is not available for batch CSV (available: address)", i));
        }
    }
    p.throw_if_any();
    // Rows are geocoded one at a time from the body to the output (constant working memory).
    std::istringstream input{std::string(in.csv)};
    std::ostringstream output;
    auto& query = thread_query(engine);
    try {
        if (reverse_mode) (void)geocoder::batch_reverse_csv(query, input, output, b);
        else (void)geocoder::batch_search_csv(query, input, output, b);
    } catch (const InvalidArgument& e) {
        throw HttpError(400, parse_failure, e.problems());
    } catch (const FormatError& e) {
        throw HttpError(400, parse_failure, {e.what()});
    }
    Response r = Response::text(output.str(), "text/csv; charset=utf-8");
    r.headers.emplace_back("Content-Disposition", reverse_mode ? "attachment; filename=\"reverse.csv\""
                                                                : "attachment; filename=\"search.csv\"");
    return r;
}

constexpr std::string_view search_openapi = R"json({
  "summary": "Géocodage direct (adresses)", "tags": ["geocodage"],
  "parameters": [
    {"name": "q", "in": "query", "required": true, "schema": {"type": "string", "minLength": 3, "maxLength": 200}},
    {"name": "index", "in": "query", "schema": {"type": "string", "default": "address"}, "description": "address, poi, parcel, or a comma list of them"},
    {"name": "returntruegeometry", "in": "query", "schema": {"type": "boolean", "default": false}, "description": "poi and parcel results get a truegeometry property (GeoJSON)"},
    {"name": "category", "in": "query", "schema": {"type": "string"}, "description": "POI categories, comma list"},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 20, "default": 10}},
    {"name": "lat", "in": "query", "schema": {"type": "number"}},
    {"name": "lon", "in": "query", "schema": {"type": "number"}},
    {"name": "postcode", "in": "query", "schema": {"type": "string"}},
    {"name": "citycode", "in": "query", "schema": {"type": "string"}},
    {"name": "depcode", "in": "query", "schema": {"type": "string"}},
    {"name": "type", "in": "query", "schema": {"type": "string", "enum": ["housenumber", "street", "locality", "municipality"]}},
    {"name": "city", "in": "query", "schema": {"type": "string", "maxLength": 50}},
    {"name": "autocomplete", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}}],
  "responses": {"200": {"description": "GeoJSON FeatureCollection"}, "400": {"description": "{code, message, detail}"}}
})json";

constexpr std::string_view reverse_openapi = R"json({
  "summary": "Géocodage inverse (adresses)", "tags": ["geocodage"],
  "parameters": [
    {"name": "lon", "in": "query", "schema": {"type": "number"}},
    {"name": "lat", "in": "query", "schema": {"type": "number"}},
    {"name": "searchgeom", "in": "query", "schema": {"type": "string"}, "description": "GeoJSON Point, LineString, Polygon or Circle {type,coordinates,radius}: the documents intersecting it (Point and LineString: not with index=address alone)"},
    {"name": "index", "in": "query", "schema": {"type": "string", "default": "address"}, "description": "address, poi, parcel, or a comma list of them"},
    {"name": "returntruegeometry", "in": "query", "schema": {"type": "boolean", "default": false}, "description": "poi and parcel results get a truegeometry property (GeoJSON)"},
    {"name": "category", "in": "query", "schema": {"type": "string"}, "description": "POI categories, comma list"},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 20, "default": 10}},
    {"name": "type", "in": "query", "schema": {"type": "string"}}],
  "responses": {"200": {"description": "GeoJSON FeatureCollection with distance"}, "400": {"description": "{code, message, detail}"}}
})json";

constexpr std::string_view completion_openapi = R"json({
  "summary": "Autocomplétion (ancien format)", "tags": ["geocodage"],
  "parameters": [
    {"name": "text", "in": "query", "required": true, "schema": {"type": "string"}},
    {"name": "type", "in": "query", "schema": {"type": "string"}},
    {"name": "maximumResponses", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 15, "default": 10}},
    {"name": "terr", "in": "query", "schema": {"type": "string"}},
    {"name": "lonlat", "in": "query", "schema": {"type": "string"}},
    {"name": "bbox", "in": "query", "schema": {"type": "string"}}],
  "responses": {"200": {"description": "{status, results} (errors too: {status:\"Error\", error})"}}
})json";

constexpr std::string_view csv_openapi = R"json({
  "summary": "Géocodage par lot (CSV)", "tags": ["geocodage"],
  "requestBody": {"content": {"multipart/form-data": {}, "text/csv": {}}},
  "responses": {"200": {"description": "CSV with the result columns appended", "content": {"text/csv": {}}}}
})json";

constexpr std::string_view capabilities_openapi = R"json({
  "summary": "Capacités du service de géocodage", "tags": ["geocodage"],
  "responses": {"200": {"description": "getCapabilities JSON"}}
})json";

}  // namespace

void add_geocoder_routes(Router& router, const GeocoderApiOptions& options) {
    const auto o = options;
    router.add(Router::Route{{"GET"}, "/geocodage/search",
                             [o](const Request& r, const bundle::Engine& e) { return search(r, e, o); },
                             ErrorStyle::geocoder, std::string(search_openapi)});
    router.add(Router::Route{{"GET"}, "/geocodage/reverse",
                             [o](const Request& r, const bundle::Engine& e) { return reverse(r, e, o); },
                             ErrorStyle::geocoder, std::string(reverse_openapi)});
    router.add(Router::Route{{"GET"}, "/geocodage/completion",
                             [o](const Request& r, const bundle::Engine& e) { return completion(r, e, o); },
                             ErrorStyle::completion, std::string(completion_openapi)});
    router.add(Router::Route{{"GET"}, "/geocodage/getCapabilities", capabilities, ErrorStyle::geocoder,
                             std::string(capabilities_openapi)});
    router.add(Router::Route{{"GET"}, "/geocodage/completion/getCapabilities", completion_capabilities,
                             ErrorStyle::completion, std::string(capabilities_openapi)});
    router.add(Router::Route{{"POST"}, "/geocodage/search/csv",
                             [o](const Request& r, const bundle::Engine& e) { return batch(r, e, o, false); },
                             ErrorStyle::geocoder, std::string(csv_openapi)});
    router.add(Router::Route{{"POST"}, "/geocodage/reverse/csv",
                             [o](const Request& r, const bundle::Engine& e) { return batch(r, e, o, true); },
                             ErrorStyle::geocoder, std::string(csv_openapi)});
}

}  // namespace geoplex::server
