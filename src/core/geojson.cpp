#include "geoplex/core/geojson.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"

namespace geoplex::core {

namespace {

void write_coord(JsonWriter& out, LonLat p, int decimals) {
    out.begin_array();
    if (decimals < 0) {
        out.value(p.lon).value(p.lat);
    } else {
        out.value_fixed(p.lon, decimals).value_fixed(p.lat, decimals);
    }
    out.end_array();
}

template <class Range>
void write_coords(JsonWriter& out, const Range& pts, int decimals) {
    out.begin_array();
    for (const auto& p : pts) write_coord(out, p, decimals);
    out.end_array();
}

void write_rings(JsonWriter& out, const Polygon& poly, int decimals) {
    out.begin_array();
    write_coords(out, poly.outer(), decimals);
    for (const auto& inner : poly.inners()) write_coords(out, inner, decimals);
    out.end_array();
}

struct GeoJsonVisitor {
    JsonWriter& out;
    int decimals;
    void operator()(const Point& p) const { out.key("type").value("Point").key("coordinates"); write_coord(out, p, decimals); }
    void operator()(const LineString& l) const { out.key("type").value("LineString").key("coordinates"); write_coords(out, l, decimals); }
    void operator()(const Polygon& p) const { out.key("type").value("Polygon").key("coordinates"); write_rings(out, p, decimals); }
    void operator()(const MultiPoint& m) const { out.key("type").value("MultiPoint").key("coordinates"); write_coords(out, m, decimals); }
    void operator()(const MultiLineString& m) const {
        out.key("type").value("MultiLineString").key("coordinates").begin_array();
        for (const auto& l : m) write_coords(out, l, decimals);
        out.end_array();
    }
    void operator()(const MultiPolygon& m) const {
        out.key("type").value("MultiPolygon").key("coordinates").begin_array();
        for (const auto& p : m) write_rings(out, p, decimals);
        out.end_array();
    }
};

// ---- parsing -------------------------------------------------------------------------------

LonLat parse_position(const nlohmann::json& j, const char* where) {
    if (!j.is_array() || j.size() < 2 || !j[0].is_number() || !j[1].is_number())
        throw InvalidArgument(std::string("GeoJSON: a position in ") + where + " must be an array of at least 2 numbers");
    LonLat p{j[0].get<double>(), j[1].get<double>()};
    if (!std::isfinite(p.lon) || !std::isfinite(p.lat))
        throw InvalidArgument(std::string("GeoJSON: non-finite coordinate in ") + where);
    return p;
}

template <class Out>
void parse_positions(const nlohmann::json& j, Out& out, const char* where) {
    if (!j.is_array()) throw InvalidArgument(std::string("GeoJSON: ") + where + " coordinates must be an array");
    for (const auto& p : j) out.push_back(parse_position(p, where));
}

Polygon parse_polygon(const nlohmann::json& j) {
    if (!j.is_array() || j.empty()) throw InvalidArgument("GeoJSON: Polygon coordinates must be a non-empty array of rings");
    Polygon poly;
    bool first = true;
    for (const auto& ring_json : j) {
        Polygon::ring_type ring;
        parse_positions(ring_json, ring, "Polygon");
        if (ring.size() < 4) throw InvalidArgument("GeoJSON: a Polygon ring needs at least 4 positions");
        if (!(ring.front() == ring.back())) throw InvalidArgument("GeoJSON: a Polygon ring must be closed (first position = last)");
        if (first) {
            poly.outer() = std::move(ring);
            first = false;
        } else {
            poly.inners().push_back(std::move(ring));
        }
    }
    return poly;
}

// ---- WKT -----------------------------------------------------------------------------------

void wkt_coord(fmt::memory_buffer& b, LonLat p, int decimals) {
    if (decimals < 0) {
        fmt::format_to(std::back_inserter(b), "{} {}", p.lon, p.lat);
    } else {
        fmt::format_to(std::back_inserter(b), "{:.{}f} {:.{}f}", p.lon, decimals, p.lat, decimals);
    }
}
template <class Range>
void wkt_coords(fmt::memory_buffer& b, const Range& pts, int decimals) {
    b.push_back('(');
    bool first = true;
    for (const auto& p : pts) {
        if (!first) b.push_back(',');
        first = false;
        wkt_coord(b, p, decimals);
    }
    b.push_back(')');
}
void wkt_rings(fmt::memory_buffer& b, const Polygon& poly, int decimals) {
    b.push_back('(');
    wkt_coords(b, poly.outer(), decimals);
    for (const auto& inner : poly.inners()) {
        b.push_back(',');
        wkt_coords(b, inner, decimals);
    }
    b.push_back(')');
}

}  // namespace

void write_geojson(JsonWriter& out, const Geometry& g, int decimals) {
    out.begin_object();
    std::visit(GeoJsonVisitor{out, decimals}, g);
    out.end_object();
}

std::string to_geojson(const Geometry& g, int decimals) {
    JsonWriter w;
    write_geojson(w, g, decimals);
    return w.str();
}

Geometry parse_geojson_geometry(std::string_view text) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw InvalidArgument("GeoJSON: not valid JSON");
    if (!j.is_object()) throw InvalidArgument("GeoJSON: a geometry must be a JSON object");
    const auto t = j.find("type");
    if (t == j.end() || !t->is_string()) throw InvalidArgument("GeoJSON: the geometry has no \"type\" string");
    const auto c = j.find("coordinates");
    if (c == j.end()) throw InvalidArgument("GeoJSON: the geometry has no \"coordinates\"");
    const std::string type = t->get<std::string>();
    if (type == "Point") return parse_position(*c, "Point");
    if (type == "LineString") {
        LineString l;
        parse_positions(*c, l, "LineString");
        if (l.size() < 2) throw InvalidArgument("GeoJSON: a LineString needs at least 2 positions");
        return l;
    }
    if (type == "Polygon") return parse_polygon(*c);
    if (type == "MultiPoint") {
        MultiPoint m;
        parse_positions(*c, m, "MultiPoint");
        return m;
    }
    if (type == "MultiLineString") {
        if (!c->is_array()) throw InvalidArgument("GeoJSON: MultiLineString coordinates must be an array");
        MultiLineString m;
        for (const auto& lj : *c) {
            LineString l;
            parse_positions(lj, l, "MultiLineString");
            m.push_back(std::move(l));
        }
        return m;
    }
    if (type == "MultiPolygon") {
        if (!c->is_array()) throw InvalidArgument("GeoJSON: MultiPolygon coordinates must be an array");
        MultiPolygon m;
        for (const auto& pj : *c) m.push_back(parse_polygon(pj));
        return m;
    }
    throw InvalidArgument("GeoJSON: unsupported geometry type '" + type +
                          "' (expected Point, LineString, Polygon, MultiPoint, MultiLineString or MultiPolygon)");
}

std::string to_wkt(const Geometry& g, int decimals) {
    fmt::memory_buffer b;
    std::visit(
        [&](const auto& geom) {
            using T = std::decay_t<decltype(geom)>;
            if constexpr (std::is_same_v<T, Point>) {
                b.append(std::string_view("POINT("));
                wkt_coord(b, geom, decimals);
                b.push_back(')');
            } else if constexpr (std::is_same_v<T, LineString>) {
                b.append(std::string_view("LINESTRING"));
                wkt_coords(b, geom, decimals);
            } else if constexpr (std::is_same_v<T, Polygon>) {
                b.append(std::string_view("POLYGON"));
                wkt_rings(b, geom, decimals);
            } else if constexpr (std::is_same_v<T, MultiPoint>) {
                b.append(std::string_view("MULTIPOINT"));
                wkt_coords(b, geom, decimals);
            } else if constexpr (std::is_same_v<T, MultiLineString>) {
                b.append(std::string_view("MULTILINESTRING("));
                for (std::size_t i = 0; i < geom.size(); ++i) {
                    if (i) b.push_back(',');
                    wkt_coords(b, geom[i], decimals);
                }
                b.push_back(')');
            } else {
                b.append(std::string_view("MULTIPOLYGON("));
                for (std::size_t i = 0; i < geom.size(); ++i) {
                    if (i) b.push_back(',');
                    wkt_rings(b, geom[i], decimals);
                }
                b.push_back(')');
            }
        },
        g);
    return fmt::to_string(b);
}

namespace {
void encode_value(std::string& out, std::int64_t v) {
    std::uint64_t u = static_cast<std::uint64_t>(v) << 1;
    if (v < 0) u = ~u;
    while (u >= 0x20) {
        out.push_back(static_cast<char>((0x20 | (u & 0x1f)) + 63));
        u >>= 5;
    }
    out.push_back(static_cast<char>(u + 63));
}
}  // namespace

std::string encode_polyline(std::span<const LonLat> line, int precision) {
    if (precision < 0 || precision > 9) throw InvalidArgument("encode_polyline: precision must be within 0..9");
    const double factor = std::pow(10.0, precision);
    std::string out;
    out.reserve(line.size() * 8);
    std::int64_t prev_lat = 0, prev_lon = 0;
    for (const auto& p : line) {
        const auto lat = static_cast<std::int64_t>(std::llround(p.lat * factor));
        const auto lon = static_cast<std::int64_t>(std::llround(p.lon * factor));
        encode_value(out, lat - prev_lat);
        encode_value(out, lon - prev_lon);
        prev_lat = lat;
        prev_lon = lon;
    }
    return out;
}

LineString decode_polyline(std::string_view encoded, int precision) {
    if (precision < 0 || precision > 9) throw InvalidArgument("decode_polyline: precision must be within 0..9");
    const double factor = std::pow(10.0, precision);
    LineString line;
    std::size_t i = 0;
    std::int64_t lat = 0, lon = 0;
    auto next = [&]() -> std::int64_t {
        std::uint64_t result = 0;
        int shift = 0;
        for (;;) {
            if (i >= encoded.size()) throw InvalidArgument("decode_polyline: truncated input");
            const int b = static_cast<unsigned char>(encoded[i++]) - 63;
            if (b < 0 || b > 63) throw InvalidArgument("decode_polyline: invalid character");
            if (shift > 60) throw InvalidArgument("decode_polyline: value too long");
            result |= static_cast<std::uint64_t>(b & 0x1f) << shift;
            shift += 5;
            if (b < 0x20) break;
        }
        return (result & 1U) ? ~static_cast<std::int64_t>(result >> 1) : static_cast<std::int64_t>(result >> 1);
    };
    while (i < encoded.size()) {
        lat += next();
        lon += next();
        line.push_back(LonLat{static_cast<double>(lon) / factor, static_cast<double>(lat) / factor});
    }
    return line;
}

}  // namespace geoplex::core
