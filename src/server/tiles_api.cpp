// Tile services over tiles::Tileset: WMTS 1.0.0 KVP, TMS (rows from the top), XYZ aliases,
// TileJSON, MapLibre styles. See include/geoplex/server/tiles_api.hpp for the routes.

#include "geoplex/server/tiles_api.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/tiles/tiles.hpp"
#include "server/ows_common.hpp"
#include "tiles/detail.hpp"
#include "tiles/served_tile.hpp"

namespace geoplex::server {

namespace {

using json = nlohmann::ordered_json;
using tiles::TileFormat;
using tiles::TileStatus;

using ows::iequals;
using ows::kvp;
using ows::xml_escape;

std::string base_url(const Request& req, const TilesApiOptions& o) { return ows::base_url(req, o.base_url); }

// ---- WMTS exceptions (OWS 1.1 ExceptionReport, WMTS 1.0.0 §8.3 / Table 28) ---------------------

Response ows_exception(int status, std::string_view code, std::string_view locator, std::string_view text) {
    return ows::exception_report(status, code, locator, text);
}

// ---- tiles: ETag, 304, gzip ----------------------------------------------------------------------

bool accepts_gzip(const Request& req) {
    const std::string* ae = req.header("accept-encoding");
    if (ae == nullptr) return false;
    std::string l = *ae;
    for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return l.find("gzip") != std::string::npos && l.find("gzip;q=0") == std::string::npos;
}

/// The HTTP response of a rendered tile (status ok/empty) with caching headers. `served` is the
/// cache entry (ETag computed once per rendering): its bytes are copied once, into the body.
Response tile_response(const Request& req, const tiles::detail::ServedTile& served, const TilesApiOptions& o) {
    const tiles::Tile& tile = served.tile;
    Response r;
    if (tile.status == TileStatus::empty) {
        r.status = 204;
        r.content_type.clear();
        r.headers.emplace_back("Cache-Control", o.tile_cache_control);
        return r;
    }
    const std::string& etag = served.etag.empty() ? tiles::detail::tile_etag(tile.bytes) : served.etag;
    r.headers.reserve(4);
    r.headers.emplace_back("ETag", etag);
    r.headers.emplace_back("Cache-Control", o.tile_cache_control);
    if (tile.gzipped) r.headers.emplace_back("Vary", "Accept-Encoding");
    if (const std::string* inm = req.header("if-none-match");
        inm != nullptr && (inm->find(etag) != std::string::npos || *inm == "*")) {
        r.status = 304;
        r.content_type.clear();
        return r;
    }
    r.content_type = std::string(tiles::mime_type(tile.format));
    if (tile.gzipped) {
        if (accepts_gzip(req)) {
            r.headers.emplace_back("Content-Encoding", "gzip");
            r.body = tile.bytes;
        } else {
            r.body = tiles::detail::gzip_decompress(tile.bytes);
        }
    } else {
        r.body = tile.bytes;
    }
    return r;
}

bool parse_u64(std::string_view s, std::uint64_t& v) {
    if (s.empty()) return false;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size();
}

// ---- where layers come from: the bundle (public family) and the provider ---------------------------

/// "" for the public routes, "/private" for restricted layers.
struct Family {
    bool restricted = false;
    std::string prefix;
};

std::vector<tiles::Tileset> tilesets(const Request& req, const bundle::Engine& engine, const TilesApiOptions& o, const Family& f) {
    std::vector<tiles::Tileset> out;
    if (!f.restricted && engine.has_tiles()) out.push_back(engine.tiles());
    if (o.layers)
        for (auto& t : o.layers->visible(req, f.restricted)) out.push_back(std::move(t));
    return out;
}

struct FoundLayer {
    tiles::Tileset ts;
    const tiles::LayerInfo* layer = nullptr;  ///< points into ts, which keeps it alive
};

std::optional<FoundLayer> find_layer(const Request& req, const bundle::Engine& engine, const TilesApiOptions& o,
                                     std::string_view id, const Family& f) {
    if (!f.restricted && engine.has_tiles())
        if (const auto* l = engine.tiles().find(id)) return FoundLayer{engine.tiles(), l};
    if (o.layers)
        if (auto ts = o.layers->resolve(req, id, f.restricted))
            if (const auto* l = ts->find(id)) return FoundLayer{*ts, l};
    return std::nullopt;
}

FoundLayer layer_or_404(const Request& req, const bundle::Engine& engine, const TilesApiOptions& o, const std::string& id,
                        const Family& f) {
    auto found = find_layer(req, engine, o, id, f);
    if (!found) throw HttpError(404, fmt::format("unknown layer '{}'", id), {}, "NOT_FOUND");
    return std::move(*found);
}

/// Restricted family: the key of the request, to repeat in the URLs it is given ("?apikey=…").
std::string key_query(const Request& req, const Family& f) {
    if (!f.restricted) return {};
    for (const char* name : {"apikey", "api_key", "apiKey"})
        if (const std::string* k = req.param(name); k != nullptr && !k->empty()) {
            std::string enc;
            for (const unsigned char c : *k) {
                if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') enc += static_cast<char>(c);
                else enc += fmt::format("%{:02X}", c);
            }
            return "?apikey=" + enc;
        }
    return {};
}

// ---- TMS / XYZ tile ------------------------------------------------------------------------

Response tms_tile(const Request& req, const bundle::Engine& engine, const TilesApiOptions& o, const Family& fam) {
    const FoundLayer found = layer_or_404(req, engine, o, *req.path_param("layer"), fam);
    const auto& ts = found.ts;
    const auto& layer = *found.layer;
    const std::string& file = *req.path_param("file");
    const auto dot = file.rfind('.');
    std::uint64_t z = 0, x = 0, y = 0;
    if (dot == std::string::npos || !parse_u64(*req.path_param("z"), z) || !parse_u64(*req.path_param("x"), x) ||
        !parse_u64(std::string_view(file).substr(0, dot), y) || z > 30)
        throw HttpError(404, fmt::format("not a tile path: expected /{{z}}/{{x}}/{{y}}.{{ext}}"), {}, "NOT_FOUND");
    const auto format = tiles::parse_format(std::string_view(file).substr(dot + 1));
    if (!format || std::find(layer.formats.begin(), layer.formats.end(), *format) == layer.formats.end())
        throw HttpError(404, fmt::format("layer '{}' is not served as '{}'", layer.id, file.substr(dot + 1)), {}, "NOT_FOUND");
    const auto t = tiles::detail::render_served(ts, layer.id, static_cast<std::uint32_t>(z), x, y, format);
    if (t->tile.status == TileStatus::out_of_range)
        throw HttpError(404, fmt::format("tile {}/{}/{} is outside layer '{}'", z, x, y, layer.id), {}, "NOT_FOUND");
    return tile_response(req, *t, o);
}

// ---- TileJSON and style ------------------------------------------------------------------------

std::string tile_url(const std::string& base, const std::string& prefix, const tiles::LayerInfo& l, const std::string& query) {
    return fmt::format("{}{}/{}/{{z}}/{{x}}/{{y}}.{}{}", base, prefix, l.id, tiles::to_string(l.format), query);
}

json tilejson(const Request& req, const tiles::Tileset& ts, const tiles::LayerInfo& l, const TilesApiOptions& o,
              const std::string& prefix, const std::string& query = {}) {
    json j;
    j["tilejson"] = "3.0.0";
    j["name"] = l.title;
    j["description"] = l.description;
    j["version"] = "1.0.0";
    j["scheme"] = "xyz";
    j["tiles"] = json::array({tile_url(base_url(req, o), prefix, l, query)});
    j["minzoom"] = l.min_zoom;
    j["maxzoom"] = l.max_zoom;
    if (!l.bounds.empty()) {
        j["bounds"] = {l.bounds.min_x, l.bounds.min_y, l.bounds.max_x, l.bounds.max_y};
        j["center"] = {(l.bounds.min_x + l.bounds.max_x) / 2, (l.bounds.min_y + l.bounds.max_y) / 2, l.min_zoom};
    }
    j["format"] = std::string(tiles::to_string(l.format));
    j["tile_matrix_set"] = l.tile_matrix_set;
    if (const auto* s = ts.find_tile_matrix_set(l.tile_matrix_set); s != nullptr && !s->is_web_mercator_quad())
        j["crs"] = s->crs;  // not usable by XYZ clients as is: say which grid it is
    if (l.is_vector) {
        json fields = json::object();
        for (const auto& f : l.fields) fields[f] = "";
        j["vector_layers"] = json::array({json{{"id", l.id}, {"description", l.description}, {"minzoom", l.min_zoom},
                                               {"maxzoom", l.max_zoom}, {"fields", fields}}});
    }
    return j;
}

json maplibre_style(const Request& req, const tiles::LayerInfo& l, const TilesApiOptions& o, const std::string& prefix,
                    const std::string& query = {}) {
    const std::string base = base_url(req, o);
    json source;
    source["type"] = l.is_vector ? "vector" : "raster";
    source["url"] = fmt::format("{}{}/{}{}{}", base, prefix, l.id, prefix == "/tiles" ? ".json" : "/metadata.json", query);
    if (!l.is_vector) source["tileSize"] = 256;
    json style;
    style["version"] = 8;
    style["name"] = l.title;
    style["sources"] = json{{l.id, source}};
    json layers = json::array();
    if (!l.is_vector) {
        layers.push_back(json{{"id", l.id}, {"type", "raster"}, {"source", l.id}});
    } else {
        const auto add = [&](const std::string& suffix, const std::string& type, json paint, json filter) {
            json ly{{"id", l.id + "-" + suffix}, {"type", type}, {"source", l.id}, {"source-layer", l.id}};
            if (!filter.is_null()) ly["filter"] = std::move(filter);
            ly["paint"] = std::move(paint);
            layers.push_back(std::move(ly));
        };
        const std::string& g = l.geometry_type;
        if (g == "Polygon" || g == "Unknown" || g.empty()) {
            add("fill", "fill", json{{"fill-color", "#88a0c8"}, {"fill-opacity", 0.4}},
                json::array({"==", json::array({"geometry-type"}), "Polygon"}));
            add("outline", "line", json{{"line-color", "#3a4f7a"}, {"line-width", 1}},
                json::array({"==", json::array({"geometry-type"}), "Polygon"}));
        }
        if (g == "LineString" || g == "Unknown" || g.empty())
            add("line", "line", json{{"line-color", "#c0392b"}, {"line-width", 1.5}},
                json::array({"==", json::array({"geometry-type"}), "LineString"}));
        if (g == "Point" || g == "Unknown" || g.empty())
            add("point", "circle", json{{"circle-color", "#2c3e50"}, {"circle-radius", 3}},
                json::array({"==", json::array({"geometry-type"}), "Point"}));
    }
    style["layers"] = std::move(layers);
    return style;
}

Response json_response(const json& j, const TilesApiOptions& o) {
    Response r = Response::json(j.dump(-1, ' ', false, json::error_handler_t::replace));
    r.headers.emplace_back("Cache-Control", o.metadata_cache_control);
    return r;
}

// ---- WMTS --------------------------------------------------------------------------------------

std::string crs_urn(const std::string& crs) {
    const auto colon = crs.find(':');
    if (colon == std::string::npos) return crs;
    return fmt::format("urn:ogc:def:crs:{}::{}", crs.substr(0, colon), crs.substr(colon + 1));
}

std::string wmts_capabilities(const Request& req, const std::vector<tiles::Tileset>& sets, const TilesApiOptions& o,
                              const Family& fam) {
    const std::string base = base_url(req, o) + fam.prefix;
    const std::string query = key_query(req, fam);
    std::string x;
    x += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<Capabilities xmlns=\"http://www.opengis.net/wmts/1.0\" xmlns:ows=\"http://www.opengis.net/ows/1.1\" "
         "xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
         "xsi:schemaLocation=\"http://www.opengis.net/wmts/1.0 http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd\" "
         "version=\"1.0.0\">\n";
    x += "  <ows:ServiceIdentification>\n    <ows:Title>geoplex WMTS</ows:Title>\n"
         "    <ows:ServiceType>OGC WMTS</ows:ServiceType>\n    <ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion>\n"
         "  </ows:ServiceIdentification>\n";
    x += "  <ows:OperationsMetadata>\n";
    for (const char* op : {"GetCapabilities", "GetTile"})
        x += fmt::format("    <ows:Operation name=\"{}\"><ows:DCP><ows:HTTP><ows:Get xlink:href=\"{}/wmts?{}\"><ows:Constraint "
                         "name=\"GetEncoding\"><ows:AllowedValues><ows:Value>KVP</ows:Value></ows:AllowedValues></ows:Constraint>"
                         "</ows:Get></ows:HTTP></ows:DCP></ows:Operation>\n",
                         op, xml_escape(base), xml_escape(query.empty() ? std::string() : query.substr(1) + "&"));
    x += "  </ows:OperationsMetadata>\n  <Contents>\n";
    for (const auto& ts : sets)
    for (const auto& l : ts.layers()) {
        const auto* set = ts.find_tile_matrix_set(l.tile_matrix_set);
        x += "    <Layer>\n";
        x += fmt::format("      <ows:Title>{}</ows:Title>\n", xml_escape(l.title));
        if (!l.description.empty()) x += fmt::format("      <ows:Abstract>{}</ows:Abstract>\n", xml_escape(l.description));
        if (!l.bounds.empty())
            x += fmt::format("      <ows:WGS84BoundingBox><ows:LowerCorner>{} {}</ows:LowerCorner><ows:UpperCorner>{} {}"
                             "</ows:UpperCorner></ows:WGS84BoundingBox>\n",
                             l.bounds.min_x, l.bounds.min_y, l.bounds.max_x, l.bounds.max_y);
        x += fmt::format("      <ows:Identifier>{}</ows:Identifier>\n", xml_escape(l.id));
        x += "      <Style isDefault=\"true\"><ows:Title>Légende générique</ows:Title><ows:Identifier>normal</ows:Identifier></Style>\n";
        for (auto f : l.formats) x += fmt::format("      <Format>{}</Format>\n", tiles::mime_type(f));
        x += fmt::format("      <TileMatrixSetLink>\n        <TileMatrixSet>{}</TileMatrixSet>\n        <TileMatrixSetLimits>\n",
                         xml_escape(l.tile_matrix_set));
        for (int z = l.min_zoom; set != nullptr && z <= l.max_zoom; ++z) {
            const auto& m = set->matrices[static_cast<std::size_t>(z)];
            const auto& b = l.native_bounds;
            auto col = [&](double v) { return static_cast<std::uint64_t>(std::clamp(std::floor((v - m.origin_x) / m.tile_span_x()), 0.0, double(m.matrix_width - 1))); };
            auto row = [&](double v) { return static_cast<std::uint64_t>(std::clamp(std::floor((m.origin_y - v) / m.tile_span_y()), 0.0, double(m.matrix_height - 1))); };
            x += fmt::format("          <TileMatrixLimits><TileMatrix>{}</TileMatrix><MinTileRow>{}</MinTileRow><MaxTileRow>{}"
                             "</MaxTileRow><MinTileCol>{}</MinTileCol><MaxTileCol>{}</MaxTileCol></TileMatrixLimits>\n",
                             m.id, b.empty() ? 0 : row(b.max_y), b.empty() ? m.matrix_height - 1 : row(b.min_y),
                             b.empty() ? 0 : col(b.min_x), b.empty() ? m.matrix_width - 1 : col(b.max_x));
        }
        x += "        </TileMatrixSetLimits>\n      </TileMatrixSetLink>\n";
        for (auto f : l.formats)
            x += fmt::format("      <ResourceURL format=\"{}\" resourceType=\"tile\" template=\"{}/tms/1.0.0/{}/{{TileMatrix}}/{{TileCol}}/{{TileRow}}.{}{}\"/>\n",
                             tiles::mime_type(f), xml_escape(base), xml_escape(l.id), tiles::to_string(f), xml_escape(query));
        x += "    </Layer>\n";
    }
    std::vector<std::string> written;  // a set used by several tilesets is described once
    for (const auto& ts : sets)
    for (const auto& s : ts.tile_matrix_sets()) {
        if (std::find(written.begin(), written.end(), s.id) != written.end()) continue;
        written.push_back(s.id);
        x += fmt::format("    <TileMatrixSet>\n      <ows:Identifier>{}</ows:Identifier>\n      <ows:SupportedCRS>{}</ows:SupportedCRS>\n",
                         xml_escape(s.id), crs_urn(s.crs));
        if (!s.well_known_scale_set.empty())
            x += fmt::format("      <WellKnownScaleSet>{}</WellKnownScaleSet>\n", xml_escape(s.well_known_scale_set));
        const bool latlon = s.crs == "EPSG:4326";  // the EPSG axis order of the TopLeftCorner
        for (const auto& m : s.matrices)
            x += fmt::format("      <TileMatrix><ows:Identifier>{}</ows:Identifier><ScaleDenominator>{:.10g}</ScaleDenominator>"
                             "<TopLeftCorner>{:.10g} {:.10g}</TopLeftCorner><TileWidth>{}</TileWidth><TileHeight>{}</TileHeight>"
                             "<MatrixWidth>{}</MatrixWidth><MatrixHeight>{}</MatrixHeight></TileMatrix>\n",
                             xml_escape(m.id), m.scale_denominator, latlon ? m.origin_y : m.origin_x,
                             latlon ? m.origin_x : m.origin_y, m.tile_width, m.tile_height, m.matrix_width, m.matrix_height);
        x += "    </TileMatrixSet>\n";
    }
    x += "  </Contents>\n</Capabilities>\n";
    return x;
}

Response wmts(const Request& req, const bundle::Engine& engine, const TilesApiOptions& o, const Family& fam) {
    const std::string* service = kvp(req, "SERVICE");
    const std::string* request = kvp(req, "REQUEST");
    if (request == nullptr) return ows_exception(400, "MissingParameterValue", "REQUEST", "Missing parameter: REQUEST");
    if (service == nullptr) return ows_exception(400, "MissingParameterValue", "SERVICE", "Missing parameter: SERVICE");
    if (!iequals(*service, "WMTS")) return ows_exception(400, "InvalidParameterValue", "SERVICE", "SERVICE must be WMTS");
    if (const std::string* v = kvp(req, "VERSION"); v != nullptr && *v != "1.0.0")
        return ows_exception(400, "VersionNegotiationFailed", "VERSION", "Only VERSION=1.0.0 is supported");
    if (iequals(*request, "GetCapabilities")) {
        Response r = Response::text(wmts_capabilities(req, tilesets(req, engine, o, fam), o, fam), "application/xml");
        r.headers.emplace_back("Cache-Control", fam.restricted ? std::string("private, no-store") : o.metadata_cache_control);
        return r;
    }
    if (!iequals(*request, "GetTile"))
        return ows_exception(501, "OperationNotSupported", "REQUEST", fmt::format("Request '{}' is not supported", *request));
    for (const char* name : {"LAYER", "STYLE", "FORMAT", "TILEMATRIXSET", "TILEMATRIX", "TILEROW", "TILECOL"})
        if (kvp(req, name) == nullptr) return ows_exception(400, "MissingParameterValue", name, fmt::format("Missing parameter: {}", name));
    const auto located = find_layer(req, engine, o, *kvp(req, "LAYER"), fam);
    if (!located) return ows_exception(400, "InvalidParameterValue", "LAYER", fmt::format("Unknown layer: {}", *kvp(req, "LAYER")));
    const auto& ts = located->ts;
    const auto* layer = located->layer;
    const auto format = tiles::parse_format(*kvp(req, "FORMAT"));
    if (!format || std::find(layer->formats.begin(), layer->formats.end(), *format) == layer->formats.end())
        return ows_exception(400, "InvalidParameterValue", "FORMAT", fmt::format("Format '{}' is not offered for layer {}", *kvp(req, "FORMAT"), layer->id));
    if (*kvp(req, "TILEMATRIXSET") != layer->tile_matrix_set)
        return ows_exception(400, "InvalidParameterValue", "TILEMATRIXSET",
                             fmt::format("Layer {} is offered in TILEMATRIXSET {}", layer->id, layer->tile_matrix_set));
    const auto* set = ts.find_tile_matrix_set(layer->tile_matrix_set);
    std::uint32_t z = 0;
    bool found = false;
    for (std::size_t i = 0; set != nullptr && i < set->matrices.size(); ++i)
        if (set->matrices[i].id == *kvp(req, "TILEMATRIX")) { z = static_cast<std::uint32_t>(i); found = true; }
    if (!found) return ows_exception(400, "InvalidParameterValue", "TILEMATRIX", fmt::format("Unknown TILEMATRIX: {}", *kvp(req, "TILEMATRIX")));
    std::uint64_t row = 0, col = 0;
    if (!parse_u64(*kvp(req, "TILEROW"), row)) return ows_exception(400, "InvalidParameterValue", "TILEROW", "TILEROW must be a non-negative integer");
    if (!parse_u64(*kvp(req, "TILECOL"), col)) return ows_exception(400, "InvalidParameterValue", "TILECOL", "TILECOL must be a non-negative integer");
    const auto t = tiles::detail::render_served(ts, layer->id, z, col, row, format);
    if (t->tile.status == TileStatus::out_of_range) {
        const auto& m = set->matrices[z];
        const char* which = row >= m.matrix_height ? "TILEROW" : "TILECOL";
        return ows_exception(400, "TileOutOfRange", which, fmt::format("Tile {}/{}/{} is out of range for layer {}", z, row, col, layer->id));
    }
    return tile_response(req, *t, o);
}

// ---- TileMapService list ---------------------------------------------------------------------------

std::string tile_map_service(const Request& req, const std::vector<tiles::Tileset>& sets, const TilesApiOptions& o,
                             const Family& fam) {
    const std::string base = base_url(req, o) + fam.prefix;
    const std::string query = key_query(req, fam);
    std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<TileMapService version=\"1.0.0\">\n  <Title>geoplex TMS</Title>\n  <TileMaps>\n";
    for (const auto& ts : sets)
    for (const auto& l : ts.layers()) {
        const auto* s = ts.find_tile_matrix_set(l.tile_matrix_set);
        x += fmt::format("    <TileMap title=\"{}\" srs=\"{}\" profile=\"{}\" href=\"{}/tms/1.0.0/{}/metadata.json{}\"/>\n",
                         xml_escape(l.title), s != nullptr ? s->crs : "", s != nullptr && s->is_web_mercator_quad() ? "global-mercator" : "none",
                         xml_escape(base), xml_escape(l.id), xml_escape(query));
    }
    x += "  </TileMaps>\n</TileMapService>\n";
    return x;
}

constexpr std::string_view tile_openapi = R"JSON({
  "summary": "A map tile (row y counted from the top)",
  "tags": ["tiles"],
  "parameters": [
    {"name": "layer", "in": "path", "required": true, "schema": {"type": "string"}},
    {"name": "z", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}},
    {"name": "x", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0}},
    {"name": "file", "in": "path", "required": true, "description": "{y}.{png|jpeg|webp|pbf}", "schema": {"type": "string"}}],
  "responses": {
    "200": {"description": "The tile", "content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}, "application/x-protobuf": {}}},
    "204": {"description": "No data in this tile"},
    "304": {"description": "Not modified (If-None-Match)"},
    "404": {"description": "Unknown layer or tile outside the layer"}}
})JSON";
constexpr std::string_view wmts_openapi = R"JSON({
  "summary": "WMTS 1.0.0 (KVP): GetCapabilities, GetTile",
  "tags": ["tiles"],
  "parameters": [
    {"name": "SERVICE", "in": "query", "required": true, "schema": {"type": "string", "enum": ["WMTS"]}},
    {"name": "REQUEST", "in": "query", "required": true, "schema": {"type": "string", "enum": ["GetCapabilities", "GetTile"]}},
    {"name": "VERSION", "in": "query", "schema": {"type": "string", "enum": ["1.0.0"]}},
    {"name": "LAYER", "in": "query", "schema": {"type": "string"}},
    {"name": "STYLE", "in": "query", "schema": {"type": "string"}},
    {"name": "FORMAT", "in": "query", "schema": {"type": "string"}},
    {"name": "TILEMATRIXSET", "in": "query", "schema": {"type": "string"}},
    {"name": "TILEMATRIX", "in": "query", "schema": {"type": "string"}},
    {"name": "TILEROW", "in": "query", "schema": {"type": "integer"}},
    {"name": "TILECOL", "in": "query", "schema": {"type": "integer"}}],
  "responses": {"200": {"description": "Capabilities XML or a tile"}, "204": {"description": "No data in this tile"},
                "400": {"description": "OWS ExceptionReport (MissingParameterValue, InvalidParameterValue, TileOutOfRange)"}}
})JSON";
constexpr std::string_view tilejson_openapi = R"JSON({
  "summary": "TileJSON 3.0.0 of a layer",
  "tags": ["tiles"],
  "parameters": [{"name": "layer", "in": "path", "required": true, "schema": {"type": "string"}}],
  "responses": {"200": {"description": "TileJSON", "content": {"application/json": {}}}, "404": {"description": "Unknown layer"}}
})JSON";
constexpr std::string_view style_openapi = R"JSON({
  "summary": "A MapLibre style (v8) showing the layer",
  "tags": ["tiles"],
  "parameters": [{"name": "layer", "in": "path", "required": true, "schema": {"type": "string"}}],
  "responses": {"200": {"description": "Style JSON", "content": {"application/json": {}}}, "404": {"description": "Unknown layer"}}
})JSON";
constexpr std::string_view tms_openapi = R"JSON({
  "summary": "TMS 1.0.0 TileMapService: the tile layers",
  "tags": ["tiles"],
  "responses": {"200": {"description": "TileMapService XML", "content": {"application/xml": {}}}}
})JSON";

}  // namespace

void add_tiles_routes(Router& router, const TilesApiOptions& options) {
    const TilesApiOptions o = options;
    std::vector<Family> families{Family{false, ""}};
    if (o.layers) families.push_back(Family{true, "/private"});
    for (const auto& fam : families) {
        const std::string tms = fam.prefix + "/tms/1.0.0";
        router.add(Router::Route{{"GET"}, fam.prefix + "/wmts",
                                 [o, fam](const Request& r, const bundle::Engine& e) { return wmts(r, e, o, fam); },
                                 ErrorStyle::plain, std::string(wmts_openapi)});
        router.add(Router::Route{{"GET"}, tms,
                                 [o, fam](const Request& r, const bundle::Engine& e) {
                                     Response res = Response::text(tile_map_service(r, tilesets(r, e, o, fam), o, fam), "application/xml");
                                     res.headers.emplace_back("Cache-Control", fam.restricted ? "private, no-store" : o.metadata_cache_control);
                                     return res;
                                 },
                                 ErrorStyle::plain, std::string(tms_openapi)});
        std::vector<std::string> prefixes{tms};
        if (!fam.restricted) prefixes.emplace_back("/tiles");
        for (const std::string& prefix : prefixes) {
            router.add(Router::Route{{"GET"}, prefix + "/{layer}/{z}/{x}/{file}",
                                     [o, fam](const Request& r, const bundle::Engine& e) { return tms_tile(r, e, o, fam); },
                                     ErrorStyle::plain, std::string(tile_openapi)});
            router.add(Router::Route{{"GET"}, prefix + "/{layer}/style.json",
                                     [o, fam, prefix](const Request& r, const bundle::Engine& e) {
                                         const auto f = layer_or_404(r, e, o, *r.path_param("layer"), fam);
                                         return json_response(maplibre_style(r, *f.layer, o, prefix, key_query(r, fam)), o);
                                     },
                                     ErrorStyle::plain, std::string(style_openapi)});
        }
        router.add(Router::Route{{"GET"}, tms + "/{layer}/metadata.json",
                                 [o, fam, tms](const Request& r, const bundle::Engine& e) {
                                     const auto f = layer_or_404(r, e, o, *r.path_param("layer"), fam);
                                     return json_response(tilejson(r, f.ts, *f.layer, o, tms, key_query(r, fam)), o);
                                 },
                                 ErrorStyle::plain, std::string(tilejson_openapi)});
    }
    // /tiles/{layer}.json: the capture is "{layer}.json"; strip the suffix in the handler.
    router.add(Router::Route{{"GET"}, "/tiles/{layerjson}",
                             [o](const Request& r, const bundle::Engine& e) {
                                 std::string id = *r.path_param("layerjson");
                                 if (!id.ends_with(".json")) throw HttpError(404, "expected /tiles/{layer}.json", {}, "NOT_FOUND");
                                 id.resize(id.size() - 5);
                                 const auto f = layer_or_404(r, e, o, id, Family{});
                                 return json_response(tilejson(r, f.ts, *f.layer, o, "/tiles"), o);
                             },
                             ErrorStyle::plain, std::string(tilejson_openapi)});
}

}  // namespace geoplex::server
