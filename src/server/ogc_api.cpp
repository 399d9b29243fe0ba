// WMS 1.3.0, WFS 2.0.0 and OGC API Features over ogc::Services (see include/geoplex/server/ogc_api.hpp).
// Protocol only: KVP/JSON parameters, capabilities documents, exception reports, links; the
// rendering, filtering and encoding are ogc::Services'.

#include "geoplex/server/ogc_api.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include <cpl_conv.h>
#include <cpl_minixml.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/clock.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/tiles/tiles.hpp"
#include "server/ows_common.hpp"

namespace geoplex::server {

namespace {

using json = nlohmann::ordered_json;
using ows::iequals;
using ows::kvp;
using ows::xml_escape;

constexpr std::string_view feature_ns = "http://geoplex.org/features";
/// CRSs advertised besides the layers' own (GetMap accepts any CRS PROJ knows).
constexpr std::string_view advertised_crs[] = {"EPSG:4326", "CRS:84", "EPSG:3857", "EPSG:2154", "EPSG:4258", "EPSG:3035"};

enum class Kind { raster, vector, all };

/// The restricted family (/private/…): only the providers' restricted layers, key + access.
bool is_private(const Request& req) { return req.path.starts_with("/private/"); }

// ---- shared state: one ogc::Services per tileset (the bundle may be swapped; published layers
// come and go) ----------------------------------------------------------------------------------

struct State {
    OgcApiOptions options;
    std::mutex mutex;
    std::optional<tiles::Tileset> tileset;  // kept alive so that its address identifies it
    std::shared_ptr<const ogc::Services> services;
    /// Services of published tilesets (one layer each) by tileset identity; the entry keeps the
    /// tileset alive so that the address is not reused. Cleared when it grows past a bound.
    std::map<const void*, std::pair<tiles::Tileset, ogc::Services>> published;
    static constexpr std::size_t max_published = 512;

    [[nodiscard]] bool has_providers() const {
        return options.wms_raster_layers || options.wms_vector_layers || options.wfs_layers;
    }

    std::shared_ptr<const ogc::Services> bundle_services(const bundle::Engine& engine) {
        const tiles::Tileset& ts = engine.tiles();
        std::lock_guard lock(mutex);
        if (!services || &tileset->impl() != &ts.impl()) {
            services = std::make_shared<const ogc::Services>(ogc::Services::from_tileset(ts, options.services));
            tileset = ts;
        }
        return services;
    }

    ogc::Services of(const tiles::Tileset& ts) {
        std::lock_guard lock(mutex);
        const void* key = &ts.impl();
        if (auto it = published.find(key); it != published.end()) return it->second.second;
        if (published.size() >= max_published) published.clear();
        return published.emplace(key, std::make_pair(ts, ogc::Services::from_tileset(ts, options.services))).first->second.second;
    }

    /// The layers `req` may use: the bundle's (public routes only) and those of the providers of
    /// `kind` (features = WFS / OGC API Features) — every visible one, or only `names` (which
    /// resolves them: HttpError 401/403 for a layer the key may not use).
    std::shared_ptr<const ogc::Services> get(const Request& req, const bundle::Engine& engine, Kind kind, bool features,
                                             const std::optional<std::vector<std::string>>& names = std::nullopt) {
        const bool restricted = is_private(req);
        if (!engine.has_tiles() && !has_providers()) throw HttpError(404, "this bundle has no layers", {}, "NOT_FOUND");
        std::vector<ogc::Services> parts;
        std::shared_ptr<const ogc::Services> bundle;
        if (!restricted && engine.has_tiles()) {
            bundle = bundle_services(engine);
            parts.push_back(*bundle);
        }
        std::vector<const LayerProvider*> providers;
        if (features) providers.push_back(options.wfs_layers.get());
        if (!features && kind != Kind::vector) providers.push_back(options.wms_raster_layers.get());
        if (!features && kind != Kind::raster) providers.push_back(options.wms_vector_layers.get());
        bool any = false;
        for (const auto* p : providers) {
            if (p == nullptr) continue;
            if (names) {
                for (const auto& n : *names) {
                    if (bundle && bundle->find(n) != nullptr) continue;
                    if (auto ts = p->resolve(req, n, restricted)) {
                        parts.push_back(of(*ts));
                        any = true;
                    }
                }
            } else {
                for (const auto& ts : p->visible(req, restricted)) {
                    parts.push_back(of(ts));
                    any = true;
                }
            }
        }
        if (!any && bundle) return bundle;
        return std::make_shared<const ogc::Services>(ogc::Services::merge(parts, options.services));
    }
    [[nodiscard]] bool visible(const Request& req, std::string_view layer) const {
        return !options.layer_visible || options.layer_visible(req, layer);
    }
};

bool kind_ok(const ogc::LayerInfo& l, Kind k) { return k == Kind::all || (k == Kind::vector) == l.is_vector; }

std::string service_url(const Request& req, const State& st) { return ows::base_url(req, st.options.base_url) + req.path; }

/// The service URL clients append parameters to ("…?"; in /private with the request's key: "…?apikey=…&").
std::string online_url(const Request& req, const State& st) {
    const std::string url = service_url(req, st) + "?";
    const std::string key = is_private(req) ? ows::apikey_param(req) : std::string();
    return key.empty() ? url : url + key + "&";
}

std::optional<double> to_double(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    double d = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
    return d;
}

std::optional<std::int64_t> to_int(std::string_view s) {
    std::int64_t v = 0;
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    if (s.empty()) return out;
    std::size_t pos = 0;
    while (true) {
        const auto next = s.find(sep, pos);
        out.emplace_back(s.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
        if (next == std::string_view::npos) break;
        pos = next + 1;
    }
    return out;
}

std::string strip_prefix(const std::string& name) {
    const auto colon = name.find(':');
    return colon == std::string::npos ? name : name.substr(colon + 1);
}

Response with_cache(Response r, const State& st) {
    r.headers.emplace_back("Cache-Control", st.options.metadata_cache_control);
    return r;
}

/// Capabilities: what a key sees is its own (never stored by shared caches).
Response with_cache(Response r, const State& st, const Request& req) {
    if (!is_private(req)) return with_cache(std::move(r), st);
    r.headers.emplace_back("Cache-Control", "private, no-store");
    return r;
}

/// Runs `body`, turning OgcError / HttpError / geoplex errors into `exception(status, code, locator, text)`.
template <typename Body, typename Exception>
Response guarded(Body&& body, Exception&& exception) {
    try {
        return body();
    } catch (const ogc::OgcError& e) {
        return exception(e.code() == "NoApplicableCode" ? 500 : 400, e.code(), e.locator(), e.what());
    } catch (const HttpError& e) {
        // The key checks (401 no or unknown key, 403 no access / unavailable) keep their status
        // but answer in the protocol's exception document.
        if (e.status() == 401 || e.status() == 403) return exception(e.status(), "NoApplicableCode", "", e.message());
        return exception(e.status(), e.code().empty() ? std::string("InvalidParameterValue") : e.code(), "", e.message());
    } catch (const InvalidArgument& e) {
        return exception(400, "InvalidParameterValue", "", e.what());
    }
}

// ==== WMS 1.3.0 =====================================================================================

Response wms_exception(int status, std::string_view code, std::string_view locator, std::string_view text) {
    std::string body = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ServiceExceptionReport version=\"1.3.0\" xmlns=\"http://www.opengis.net/ogc\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xsi:schemaLocation=\"http://www.opengis.net/ogc http://schemas.opengis.net/wms/1.3.0/exceptions_1_3_0.xsd\">\n"
        "  <ServiceException code=\"{}\"{}>{}</ServiceException>\n</ServiceExceptionReport>\n",
        xml_escape(code), locator.empty() ? std::string() : fmt::format(" locator=\"{}\"", xml_escape(locator)), xml_escape(text));
    return Response::text(std::move(body), "text/xml; charset=utf-8", status);
}

[[noreturn]] void fail(std::string code, std::string text, std::string locator = {}) {
    throw ogc::OgcError(std::move(code), std::move(text), std::move(locator));
}

const std::string& required(const Request& req, std::string_view name) {
    const std::string* v = kvp(req, name);
    if (v == nullptr || v->empty()) fail("MissingParameterValue", fmt::format("missing parameter {}", name), std::string(name));
    return *v;
}

std::string bbox_xml(const BBox& b, std::string_view crs, bool swap) {
    const BBox o = swap ? BBox::of(b.min_y, b.min_x, b.max_y, b.max_x) : b;
    return fmt::format("<BoundingBox CRS=\"{}\" minx=\"{}\" miny=\"{}\" maxx=\"{}\" maxy=\"{}\"/>", crs, o.min_x, o.min_y, o.max_x, o.max_y);
}

std::string wms_capabilities(const Request& req, const State& st, const ogc::Services& sv, Kind kind) {
    const std::string url = xml_escape(online_url(req, st));
    const auto op = [&](std::string_view name, std::initializer_list<std::string_view> formats) {
        std::string s = fmt::format("<{}>", name);
        for (auto f : formats) s += fmt::format("<Format>{}</Format>", f);
        s += fmt::format("<DCPType><HTTP><Get><OnlineResource xlink:type=\"simple\" xlink:href=\"{}\"/></Get></HTTP></DCPType></{}>",
                         url, name);
        return s;
    };
    std::string x = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<WMS_Capabilities version=\"1.3.0\" xmlns=\"http://www.opengis.net/wms\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xsi:schemaLocation=\"http://www.opengis.net/wms http://schemas.opengis.net/wms/1.3.0/capabilities_1_3_0.xsd\">\n"
        "<Service><Name>WMS</Name><Title>geoplex WMS</Title><Abstract>{} layers of the bundle</Abstract>"
        "<OnlineResource xlink:type=\"simple\" xlink:href=\"{}\"/><Fees>none</Fees><AccessConstraints>none</AccessConstraints>"
        "<MaxWidth>{}</MaxWidth><MaxHeight>{}</MaxHeight></Service>\n<Capability><Request>",
        kind == Kind::raster ? "Raster" : kind == Kind::vector ? "Vector" : "Raster and vector", url,
        st.options.services.max_map_size, st.options.services.max_map_size);
    x += op("GetCapabilities", {"text/xml"});
    x += op("GetMap", {"image/png", "image/jpeg", "image/webp"});
    x += op("GetFeatureInfo", {"application/json", "text/html", "text/plain"});
    x += "</Request><Exception><Format>XML</Format></Exception>\n";
    BBox all;
    std::string layers;
    for (const auto& l : sv.layers()) {
        if (!kind_ok(l, kind) || !st.visible(req, l.id)) continue;
        all.extend(l.wgs84);
        layers += fmt::format("<Layer queryable=\"1\" opaque=\"0\"><Name>{}</Name><Title>{}</Title><Abstract>{}</Abstract>",
                              xml_escape(l.id), xml_escape(l.title), xml_escape(l.abstract));
        if (!l.native_crs.empty() && std::find(std::begin(advertised_crs), std::end(advertised_crs), l.native_crs) == std::end(advertised_crs))
            layers += fmt::format("<CRS>{}</CRS>", xml_escape(l.native_crs));
        if (!l.wgs84.empty()) {
            layers += fmt::format(
                "<EX_GeographicBoundingBox><westBoundLongitude>{}</westBoundLongitude><eastBoundLongitude>{}</eastBoundLongitude>"
                "<southBoundLatitude>{}</southBoundLatitude><northBoundLatitude>{}</northBoundLatitude></EX_GeographicBoundingBox>",
                l.wgs84.min_x, l.wgs84.max_x, l.wgs84.min_y, l.wgs84.max_y);
            layers += bbox_xml(l.wgs84, "CRS:84", false) + bbox_xml(l.wgs84, "EPSG:4326", true);
            try {
                layers += bbox_xml(ogc::Services::transform_box(l.wgs84, "OGC:CRS84", "EPSG:3857"), "EPSG:3857", false);
            } catch (const ogc::OgcError&) {
            }
        }
        for (const auto& s : l.styles)
            layers += fmt::format("<Style><Name>{0}</Name><Title>{0}</Title></Style>", xml_escape(s));
        layers += "</Layer>\n";
    }
    x += "<Layer><Title>geoplex</Title>";
    for (auto c : advertised_crs) x += fmt::format("<CRS>{}</CRS>", c);
    if (!all.empty())
        x += fmt::format(
            "<EX_GeographicBoundingBox><westBoundLongitude>{}</westBoundLongitude><eastBoundLongitude>{}</eastBoundLongitude>"
            "<southBoundLatitude>{}</southBoundLatitude><northBoundLatitude>{}</northBoundLatitude></EX_GeographicBoundingBox>",
            all.min_x, all.max_x, all.min_y, all.max_y);
    x += "\n" + layers + "</Layer></Capability></WMS_Capabilities>\n";
    return x;
}

/// The map part of GetMap / GetFeatureInfo (1.3.0: CRS and axis order per CRS; 1.1.x: SRS, x/y).
ogc::MapRequest parse_map(const Request& req, const State& st, const ogc::Services& sv, Kind kind, bool need_format) {
    ogc::MapRequest m;
    const std::string* version = kvp(req, "VERSION");
    const bool v13 = version == nullptr || version->empty() || version->starts_with("1.3");
    m.layers = split(required(req, "LAYERS"), ',');
    for (const auto& id : m.layers) {
        const auto* l = sv.find(id);
        if (l == nullptr || !kind_ok(*l, kind) || !st.visible(req, id))
            fail("LayerNotDefined", fmt::format("unknown layer '{}'", id), "LAYERS");
    }
    if (const std::string* s = kvp(req, "STYLES"); s != nullptr && !s->empty()) {
        m.styles = split(*s, ',');
        if (m.styles.size() != m.layers.size())
            fail("StyleNotDefined", fmt::format("STYLES has {} entries for {} layers", m.styles.size(), m.layers.size()), "STYLES");
    }
    const std::string crs_name = v13 ? "CRS" : "SRS";
    m.crs = required(req, crs_name);
    if (!ogc::Services::known_crs(m.crs)) fail("InvalidCRS", fmt::format("unknown CRS '{}'", m.crs), crs_name);
    const auto parts = split(required(req, "BBOX"), ',');
    std::vector<double> v;
    for (const auto& p : parts) {
        const auto d = to_double(p);
        if (!d) fail("InvalidParameterValue", fmt::format("BBOX: '{}' is not a number", p), "BBOX");
        v.push_back(*d);
    }
    if (v.size() != 4) fail("InvalidParameterValue", "BBOX needs 4 numbers: minx,miny,maxx,maxy", "BBOX");
    if (v13 && ogc::Services::northing_first(m.crs)) m.bbox = BBox::of(v[1], v[0], v[3], v[2]);
    else m.bbox = BBox::of(v[0], v[1], v[2], v[3]);
    if (!(m.bbox.min_x < m.bbox.max_x && m.bbox.min_y < m.bbox.max_y))
        fail("InvalidParameterValue", "BBOX: min must be below max on both axes", "BBOX");
    for (const char* dim : {"WIDTH", "HEIGHT"}) {
        const auto n = to_int(required(req, dim));
        const auto max = static_cast<std::int64_t>(st.options.services.max_map_size);
        if (!n || *n < 1 || *n > max) fail("InvalidParameterValue", fmt::format("{} must be an integer in 1..{}", dim, max), dim);
        (std::string_view(dim) == "WIDTH" ? m.width : m.height) = static_cast<std::uint32_t>(*n);
    }
    const std::string* format = kvp(req, "FORMAT");
    if (need_format || (format != nullptr && !format->empty())) {
        const std::string f = format == nullptr ? std::string() : format->substr(0, format->find(';'));
        const auto parsed = tiles::parse_format(f);
        if (!parsed || *parsed == tiles::TileFormat::mvt || !f.starts_with("image/"))
            fail("InvalidFormat", fmt::format("FORMAT '{}' is not one of image/png, image/jpeg, image/webp", f), "FORMAT");
        m.format = *parsed;
    }
    if (const std::string* t = kvp(req, "TRANSPARENT"); t != nullptr && !t->empty()) {
        if (iequals(*t, "TRUE")) m.transparent = true;
        else if (!iequals(*t, "FALSE")) fail("InvalidParameterValue", "TRANSPARENT must be TRUE or FALSE", "TRANSPARENT");
    }
    if (const std::string* bg = kvp(req, "BGCOLOR"); bg != nullptr && !bg->empty()) {
        const auto c = ogc::parse_color(*bg);
        if (!c) fail("InvalidParameterValue", "BGCOLOR must be 0xRRGGBB", "BGCOLOR");
        m.background = *c;
    }
    for (const char* dim : {"TIME", "ELEVATION"})
        if (const std::string* d = kvp(req, dim); d != nullptr && !d->empty())
            fail("InvalidDimensionValue", fmt::format("no layer has a {} dimension", dim), dim);
    return m;
}

std::string html_escape(std::string_view s) { return xml_escape(s); }

Response wms_get_feature_info(const Request& req, const State& st, const ogc::Services& sv, Kind kind) {
    ogc::MapRequest m = parse_map(req, st, sv, kind, false);
    const std::string* version = kvp(req, "VERSION");
    const bool v13 = version == nullptr || version->empty() || version->starts_with("1.3");
    const auto query_layers = split(required(req, "QUERY_LAYERS"), ',');
    const std::string i_name = v13 ? "I" : "X", j_name = v13 ? "J" : "Y";
    const auto i = to_int(required(req, i_name));
    const auto j = to_int(required(req, j_name));
    if (!i || !j) fail("InvalidPoint", fmt::format("{} and {} must be integers", i_name, j_name), !i ? i_name : j_name);
    std::string info_format = "text/html";
    if (const std::string* f = kvp(req, "INFO_FORMAT"); f != nullptr && !f->empty()) info_format = *f;
    const bool as_json = info_format == "application/json" || info_format == "application/geo+json";
    if (!as_json && info_format != "text/html" && info_format != "text/plain")
        fail("InvalidFormat", fmt::format("INFO_FORMAT '{}' is not application/json, text/html or text/plain", info_format), "INFO_FORMAT");
    std::size_t count = 1;
    if (const std::string* c = kvp(req, "FEATURE_COUNT"); c != nullptr && !c->empty()) {
        const auto n = to_int(*c);
        if (!n || *n < 1) fail("InvalidParameterValue", "FEATURE_COUNT must be a positive integer", "FEATURE_COUNT");
        count = static_cast<std::size_t>(std::min<std::int64_t>(*n, 100));
    }
    const auto features = sv.feature_info(m, query_layers, static_cast<int>(*i), static_cast<int>(*j), count);
    if (as_json) {
        std::string body = "{\"type\":\"FeatureCollection\",\"features\":[";
        for (std::size_t k = 0; k < features.size(); ++k) body += (k == 0 ? "" : ",") + features[k];
        body += "]}";
        return Response::text(std::move(body), info_format);
    }
    std::string out = info_format == "text/html"
                          ? std::string("<!doctype html><html><head><meta charset=\"utf-8\"><title>GetFeatureInfo</title></head><body>")
                          : std::string();
    for (const auto& f : features) {
        const auto j2 = json::parse(f, nullptr, false);
        if (j2.is_discarded()) continue;
        if (info_format == "text/plain") {
            out += fmt::format("Feature {}:\n", j2.value("id", json()).dump());
            for (const auto& [k, v] : j2["properties"].items()) out += fmt::format("  {} = {}\n", k, v.is_string() ? v.get<std::string>() : v.dump());
            continue;
        }
        out += fmt::format("<table border=\"1\"><caption>{}</caption>", html_escape(j2.value("id", json()).dump()));
        for (const auto& [k, v] : j2["properties"].items())
            out += fmt::format("<tr><th>{}</th><td>{}</td></tr>", html_escape(k), html_escape(v.is_string() ? v.get<std::string>() : v.dump()));
        out += "</table>";
    }
    if (info_format == "text/html") out += features.empty() ? "<p>No feature here.</p></body></html>" : "</body></html>";
    return Response::text(std::move(out), info_format == "text/html" ? "text/html; charset=utf-8" : "text/plain; charset=utf-8");
}

/// The layers a request names (LAYERS, QUERY_LAYERS, TYPENAMES / TYPENAME without prefix);
/// nullopt when it names none (capabilities: every visible layer).
std::optional<std::vector<std::string>> named_layers(const Request& req) {
    std::vector<std::string> out;
    for (const char* p : {"LAYERS", "QUERY_LAYERS", "TYPENAMES", "TYPENAME"})
        if (const std::string* v = kvp(req, p); v != nullptr && !v->empty())
            for (std::string n : split(*v, ',')) {
                if (!n.empty() && n.front() == '(') n.erase(0, 1);
                if (!n.empty() && n.back() == ')') n.pop_back();
                out.push_back(strip_prefix(n));
            }
    if (out.empty()) return std::nullopt;
    return out;
}

Response wms(const Request& req, const bundle::Engine& engine, State& st, Kind kind) {
    return guarded(
        [&]() -> Response {
            const std::string* op = kvp(req, "REQUEST");
            const bool caps = op == nullptr || iequals(*op, "GetCapabilities");
            const auto sv = st.get(req, engine, kind, false, caps ? std::nullopt : named_layers(req));
            const std::string* service = kvp(req, "SERVICE");
            const std::string& request = required(req, "REQUEST");
            if (service != nullptr && !service->empty() && !iequals(*service, "WMS"))
                fail("InvalidParameterValue", fmt::format("SERVICE must be WMS (got '{}')", *service), "SERVICE");
            if (iequals(request, "GetCapabilities")) {
                if (service == nullptr || service->empty()) fail("MissingParameterValue", "missing parameter SERVICE", "SERVICE");
                return with_cache(Response::text(wms_capabilities(req, st, *sv, kind), "text/xml; charset=utf-8"), st, req);
            }
            if (iequals(request, "GetMap")) {
                const ogc::MapRequest m = parse_map(req, st, *sv, kind, true);
                ogc::MapImage img = sv->get_map(m);
                return Response::text(std::move(img.bytes), img.mime);
            }
            if (iequals(request, "GetFeatureInfo")) return wms_get_feature_info(req, st, *sv, kind);
            fail("OperationNotSupported", fmt::format("REQUEST '{}' is not supported (GetCapabilities, GetMap, GetFeatureInfo)", request),
                 "REQUEST");
        },
        wms_exception);
}

// ==== WFS 2.0.0 ======================================================================================

Response wfs_exception(int status, std::string_view code, std::string_view locator, std::string_view text) {
    return ows::exception_report(status, code, locator, text, "2.0.0");
}

std::string gml_geometry_type(const std::string& t) {
    if (t == "Point") return "gml:PointPropertyType";
    if (t == "MultiPoint") return "gml:MultiPointPropertyType";
    if (t == "LineString") return "gml:CurvePropertyType";
    if (t == "MultiLineString") return "gml:MultiCurvePropertyType";
    if (t == "Polygon") return "gml:SurfacePropertyType";
    if (t == "MultiPolygon") return "gml:MultiSurfacePropertyType";
    return "gml:GeometryPropertyType";
}

std::string xsd_type(const std::string& t) {
    if (t == "integer") return "xsd:long";
    if (t == "number") return "xsd:double";
    if (t == "boolean") return "xsd:boolean";
    if (t == "date") return "xsd:date";
    if (t == "datetime") return "xsd:dateTime";
    return "xsd:string";
}

/// The feature types a request names (TYPENAMES or TYPENAME, prefix optional); all when absent.
std::vector<const ogc::LayerInfo*> type_names(const Request& req, const State& st, const ogc::Services& sv, bool required_param) {
    const std::string* names = kvp(req, "TYPENAMES");
    if (names == nullptr) names = kvp(req, "TYPENAME");
    std::vector<const ogc::LayerInfo*> out;
    if (names == nullptr || names->empty()) {
        if (required_param) fail("MissingParameterValue", "missing parameter TYPENAMES", "TYPENAMES");
        for (const auto& l : sv.layers())
            if (l.is_vector && st.visible(req, l.id)) out.push_back(&l);
        return out;
    }
    for (const auto& n : split(*names, ',')) {
        std::string id = n;
        if (!id.empty() && id.front() == '(') id = id.substr(1, id.size() - 2);
        id = strip_prefix(id);
        const auto* l = sv.find(id);
        if (l == nullptr || !l->is_vector || !st.visible(req, id))
            fail("InvalidParameterValue", fmt::format("unknown feature type '{}'", n), "TYPENAMES");
        out.push_back(l);
    }
    return out;
}

std::string wfs_capabilities(const Request& req, const State& st, const ogc::Services& sv) {
    const std::string url = xml_escape(online_url(req, st));
    const auto op = [&](std::string_view name, std::string_view extra = {}) {
        return fmt::format("<ows:Operation name=\"{0}\"><ows:DCP><ows:HTTP><ows:Get xlink:href=\"{1}\"/><ows:Post xlink:href=\"{1}\"/>"
                           "</ows:HTTP></ows:DCP>{2}</ows:Operation>",
                           name, url, extra);
    };
    const auto constraint = [](std::string_view name, std::string_view value) {
        return fmt::format("<ows:Constraint name=\"{}\"><ows:NoValues/><ows:DefaultValue>{}</ows:DefaultValue></ows:Constraint>", name, value);
    };
    std::string x = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<wfs:WFS_Capabilities version=\"2.0.0\" xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" xmlns:ows=\"http://www.opengis.net/ows/1.1\" "
        "xmlns:fes=\"http://www.opengis.net/fes/2.0\" xmlns:gml=\"http://www.opengis.net/gml/3.2\" "
        "xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:geoplex=\"{}\" "
        "xsi:schemaLocation=\"http://www.opengis.net/wfs/2.0 http://schemas.opengis.net/wfs/2.0/wfs.xsd\">\n"
        "<ows:ServiceIdentification><ows:Title>geoplex WFS</ows:Title><ows:Abstract>Vector layers of the bundle</ows:Abstract>"
        "<ows:ServiceType>WFS</ows:ServiceType><ows:ServiceTypeVersion>2.0.0</ows:ServiceTypeVersion><ows:Fees>none</ows:Fees>"
        "<ows:AccessConstraints>none</ows:AccessConstraints></ows:ServiceIdentification>\n<ows:OperationsMetadata>",
        feature_ns);
    x += op("GetCapabilities");
    x += op("DescribeFeatureType");
    x += op("GetFeature",
            "<ows:Parameter name=\"outputFormat\"><ows:AllowedValues><ows:Value>application/gml+xml; version=3.2</ows:Value>"
            "<ows:Value>application/json</ows:Value></ows:AllowedValues></ows:Parameter>"
            "<ows:Parameter name=\"resultType\"><ows:AllowedValues><ows:Value>results</ows:Value><ows:Value>hits</ows:Value>"
            "</ows:AllowedValues></ows:Parameter>");
    for (const auto& [name, value] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
             {"ImplementsBasicWFS", "TRUE"}, {"ImplementsTransactionalWFS", "FALSE"}, {"ImplementsLockingWFS", "FALSE"},
             {"KVPEncoding", "TRUE"}, {"XMLEncoding", "TRUE"}, {"SOAPEncoding", "FALSE"}, {"ImplementsInheritance", "FALSE"},
             {"ImplementsRemoteResolve", "FALSE"}, {"ImplementsResultPaging", "TRUE"}, {"ImplementsStandardJoins", "FALSE"},
             {"ImplementsSpatialJoins", "FALSE"}, {"ImplementsTemporalJoins", "FALSE"}, {"ImplementsFeatureVersioning", "FALSE"},
             {"ManageStoredQueries", "FALSE"}})
        x += constraint(name, value);
    x += constraint("CountDefault", std::to_string(st.options.wfs_max_count));
    x += "</ows:OperationsMetadata>\n<wfs:FeatureTypeList>";
    for (const auto* l : type_names(req, st, sv, false)) {
        x += fmt::format("<wfs:FeatureType><wfs:Name>geoplex:{}</wfs:Name><wfs:Title>{}</wfs:Title><wfs:Abstract>{}</wfs:Abstract>"
                         "<wfs:DefaultCRS>urn:ogc:def:crs:EPSG::4326</wfs:DefaultCRS>",
                         xml_escape(l->id), xml_escape(l->title), xml_escape(l->abstract));
        std::vector<std::string> other{"EPSG:3857"};
        if (!l->native_crs.empty() && l->native_crs != "EPSG:4326" && l->native_crs != "EPSG:3857") other.push_back(l->native_crs);
        for (const auto& c : other) x += fmt::format("<wfs:OtherCRS>{}</wfs:OtherCRS>", xml_escape(ogc::Services::crs_urn(c)));
        x += "<wfs:OutputFormats><wfs:Format>application/gml+xml; version=3.2</wfs:Format><wfs:Format>application/json</wfs:Format>"
             "</wfs:OutputFormats>";
        if (!l->wgs84.empty())
            x += fmt::format("<ows:WGS84BoundingBox><ows:LowerCorner>{} {}</ows:LowerCorner><ows:UpperCorner>{} {}</ows:UpperCorner>"
                             "</ows:WGS84BoundingBox>",
                             l->wgs84.min_x, l->wgs84.min_y, l->wgs84.max_x, l->wgs84.max_y);
        x += "</wfs:FeatureType>\n";
    }
    x += "</wfs:FeatureTypeList>\n<fes:Filter_Capabilities><fes:Conformance>";
    for (const auto& [name, value] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
             {"ImplementsQuery", "TRUE"}, {"ImplementsAdHocQuery", "TRUE"}, {"ImplementsFunctions", "FALSE"},
             {"ImplementsResourceId", "FALSE"}, {"ImplementsMinStandardFilter", "TRUE"}, {"ImplementsStandardFilter", "TRUE"},
             {"ImplementsMinSpatialFilter", "TRUE"}, {"ImplementsSpatialFilter", "FALSE"}, {"ImplementsMinTemporalFilter", "FALSE"},
             {"ImplementsTemporalFilter", "FALSE"}, {"ImplementsVersionNav", "FALSE"}, {"ImplementsSorting", "FALSE"},
             {"ImplementsExtendedOperators", "FALSE"}, {"ImplementsMinimumXPath", "FALSE"}, {"ImplementsSchemaElementFunc", "FALSE"}})
        x += fmt::format("<fes:Constraint name=\"{}\"><ows:NoValues/><ows:DefaultValue>{}</ows:DefaultValue></fes:Constraint>", name, value);
    x += "</fes:Conformance><fes:Scalar_Capabilities><fes:LogicalOperators/><fes:ComparisonOperators>";
    for (auto c : {"PropertyIsEqualTo", "PropertyIsNotEqualTo", "PropertyIsLessThan", "PropertyIsGreaterThan",
                   "PropertyIsLessThanOrEqualTo", "PropertyIsGreaterThanOrEqualTo", "PropertyIsLike", "PropertyIsNull", "PropertyIsBetween"})
        x += fmt::format("<fes:ComparisonOperator name=\"{}\"/>", c);
    x += "</fes:ComparisonOperators></fes:Scalar_Capabilities><fes:Spatial_Capabilities><fes:GeometryOperands>"
         "<fes:GeometryOperand name=\"gml:Envelope\"/><fes:GeometryOperand name=\"gml:Point\"/><fes:GeometryOperand name=\"gml:LineString\"/>"
         "<fes:GeometryOperand name=\"gml:Polygon\"/></fes:GeometryOperands><fes:SpatialOperators><fes:SpatialOperator name=\"BBOX\"/>"
         "<fes:SpatialOperator name=\"Intersects\"/></fes:SpatialOperators></fes:Spatial_Capabilities></fes:Filter_Capabilities>\n"
         "</wfs:WFS_Capabilities>\n";
    return x;
}

std::string describe_feature_type(const Request& req, const State& st, const ogc::Services& sv) {
    std::string x = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:gml=\"http://www.opengis.net/gml/3.2\" "
        "xmlns:geoplex=\"{0}\" targetNamespace=\"{0}\" elementFormDefault=\"qualified\" version=\"1.0\">\n"
        "<xsd:import namespace=\"http://www.opengis.net/gml/3.2\" schemaLocation=\"http://schemas.opengis.net/gml/3.2.1/gml.xsd\"/>\n",
        feature_ns);
    for (const auto* l : type_names(req, st, sv, false)) {
        x += fmt::format("<xsd:complexType name=\"{0}Type\"><xsd:complexContent><xsd:extension base=\"gml:AbstractFeatureType\"><xsd:sequence>"
                         "<xsd:element name=\"geometry\" type=\"{1}\" minOccurs=\"0\" maxOccurs=\"1\" nillable=\"true\"/>",
                         xml_escape(l->id), gml_geometry_type(l->geometry_type));
        for (const auto& f : l->fields)
            x += fmt::format("<xsd:element name=\"{}\" type=\"{}\" minOccurs=\"0\" maxOccurs=\"1\" nillable=\"true\"/>", xml_escape(f.name),
                             xsd_type(f.type));
        x += fmt::format("</xsd:sequence></xsd:extension></xsd:complexContent></xsd:complexType>\n"
                         "<xsd:element name=\"{0}\" type=\"geoplex:{0}Type\" substitutionGroup=\"gml:AbstractFeature\"/>\n",
                         xml_escape(l->id));
    }
    return x + "</xsd:schema>\n";
}

/// A feature stream as the body of a response, with a prefix and a suffix computed at the end.
Response streamed(std::string content_type, std::string prefix, std::shared_ptr<ogc::FeatureStream> stream,
                  std::function<std::string(const ogc::FeatureStream&)> suffix) {
    Response r;
    r.content_type = std::move(content_type);
    r.stream = [prefix = std::move(prefix), stream = std::move(stream), suffix = std::move(suffix), started = false,
                finished = false](std::string& out) mutable {
        if (finished) return false;
        if (!started) {
            out += prefix;
            started = true;
        }
        if (stream->next(out)) return true;
        out += suffix(*stream);
        finished = true;
        return false;
    };
    return r;
}

Response wfs_get_feature(const Request& req, const State& st, const ogc::Services& sv) {
    const auto types = type_names(req, st, sv, true);
    if (types.size() != 1) fail("InvalidParameterValue", "GetFeature serves one feature type per request (no joins)", "TYPENAMES");
    ogc::FeatureQuery q;
    q.layer = types[0]->id;
    q.count = st.options.wfs_max_count;
    if (const std::string* c = kvp(req, "COUNT") != nullptr ? kvp(req, "COUNT") : kvp(req, "MAXFEATURES"); c != nullptr && !c->empty()) {
        const auto n = to_int(*c);
        if (!n || *n < 0) fail("InvalidParameterValue", "COUNT must be a non-negative integer", "COUNT");
        q.count = std::min<std::uint64_t>(static_cast<std::uint64_t>(*n), st.options.wfs_max_count);
    }
    if (const std::string* s = kvp(req, "STARTINDEX"); s != nullptr && !s->empty()) {
        const auto n = to_int(*s);
        if (!n || *n < 0) fail("InvalidParameterValue", "STARTINDEX must be a non-negative integer", "STARTINDEX");
        q.start = static_cast<std::uint64_t>(*n);
    }
    std::string srs = "EPSG:4326";
    if (const std::string* s = kvp(req, "SRSNAME"); s != nullptr && !s->empty()) {
        if (!ogc::Services::known_crs(*s)) fail("InvalidParameterValue", fmt::format("unknown SRSNAME '{}'", *s), "SRSNAME");
        srs = *s;
    }
    q.crs = srs;
    if (const std::string* p = kvp(req, "PROPERTYNAME"); p != nullptr && !p->empty()) {
        std::string list = *p;
        if (list.front() == '(') list = list.substr(1, list.size() - 2);
        for (const auto& name : split(list, ',')) q.properties.push_back(strip_prefix(name));
    }
    if (const std::string* b = kvp(req, "BBOX"); b != nullptr && !b->empty()) {
        auto parts = split(*b, ',');
        std::string crs = "EPSG:4326";
        if (parts.size() == 5) {
            crs = parts.back();
            parts.pop_back();
            if (!ogc::Services::known_crs(crs)) fail("InvalidParameterValue", fmt::format("BBOX: unknown CRS '{}'", crs), "BBOX");
        }
        if (parts.size() != 4) fail("InvalidParameterValue", "BBOX needs 4 numbers (and an optional CRS)", "BBOX");
        double v[4];
        for (std::size_t i = 0; i < 4; ++i) {
            const auto d = to_double(parts[i]);
            if (!d) fail("InvalidParameterValue", fmt::format("BBOX: '{}' is not a number", parts[i]), "BBOX");
            v[i] = *d;
        }
        q.bbox = ogc::Services::northing_first(crs) ? BBox::of(v[1], v[0], v[3], v[2]) : BBox::of(v[0], v[1], v[2], v[3]);
        if (!(q.bbox->min_x <= q.bbox->max_x && q.bbox->min_y <= q.bbox->max_y))
            fail("InvalidParameterValue", "BBOX: lower corner above upper corner", "BBOX");
        q.bbox_crs = crs;
    }
    if (const std::string* f = kvp(req, "FILTER"); f != nullptr && !f->empty()) {
        if (q.bbox) fail("InvalidParameterValue", "BBOX and FILTER are mutually exclusive", "FILTER");
        try {
            q.filter = ogc::parse_fes(*f);
        } catch (const InvalidArgument& e) {
            fail("InvalidParameterValue", e.what(), "FILTER");
        }
    }
    if (const std::string* id = kvp(req, "RESOURCEID"); id != nullptr && !id->empty()) {
        const auto dot = id->rfind('.');
        const auto n = to_int(dot == std::string::npos ? *id : id->substr(dot + 1));
        if (!n) fail("InvalidParameterValue", fmt::format("RESOURCEID '{}' is not {{type}}.{{number}}", *id), "RESOURCEID");
        q.fid = *n;
    }
    std::string format = "application/gml+xml; version=3.2";
    if (const std::string* f = kvp(req, "OUTPUTFORMAT"); f != nullptr && !f->empty()) format = *f;
    const bool geojson = format == "application/json" || format == "json" || format == "application/geo+json" || format == "geojson";
    const bool gml = format.starts_with("application/gml+xml") || format == "text/xml; subtype=gml/3.2" || format == "gml32" ||
                     format == "text/xml; subtype=gml/3.2.1";
    if (!geojson && !gml) fail("InvalidParameterValue", fmt::format("OUTPUTFORMAT '{}' is not supported", format), "OUTPUTFORMAT");
    bool hits = false;
    if (const std::string* rt = kvp(req, "RESULTTYPE"); rt != nullptr && !rt->empty()) {
        if (iequals(*rt, "hits")) hits = true;
        else if (!iequals(*rt, "results")) fail("InvalidParameterValue", "RESULTTYPE must be results or hits", "RESULTTYPE");
    }
    const std::uint64_t matched = sv.count(q);
    const std::uint64_t returned = hits ? 0 : std::min<std::uint64_t>(q.count, matched > q.start ? matched - q.start : 0);
    const std::string stamp = core::utc_now_iso8601();
    if (geojson) {
        q.authority_axis_order = false;  // GeoJSON is always x, y
        if (hits) {
            return Response::text(fmt::format("{{\"type\":\"FeatureCollection\",\"numberMatched\":{},\"numberReturned\":0,\"timeStamp\":\"{}\","
                                              "\"features\":[]}}", matched, stamp), "application/json");
        }
        std::shared_ptr<ogc::FeatureStream> stream = sv.open_features(q, ogc::FeatureFormat::geojson);
        return streamed("application/json",
                        fmt::format("{{\"type\":\"FeatureCollection\",\"numberMatched\":{},\"numberReturned\":{},\"timeStamp\":\"{}\","
                                    "\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"{}\"}}}},\"features\":[",
                                    matched, returned, stamp, ogc::Services::crs_urn(srs)),
                        std::move(stream), [](const ogc::FeatureStream&) { return std::string("]}\n"); });
    }
    q.authority_axis_order = true;
    const std::string head = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<wfs:FeatureCollection xmlns:wfs=\"http://www.opengis.net/wfs/2.0\" xmlns:gml=\"http://www.opengis.net/gml/3.2\" "
        "xmlns:geoplex=\"{}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xsi:schemaLocation=\"{} {}?SERVICE=WFS&amp;VERSION=2.0.0&amp;REQUEST=DescribeFeatureType&amp;TYPENAMES=geoplex:{} "
        "http://www.opengis.net/wfs/2.0 http://schemas.opengis.net/wfs/2.0/wfs.xsd\" "
        "timeStamp=\"{}\" numberMatched=\"{}\" numberReturned=\"{}\"",
        feature_ns, feature_ns, xml_escape(service_url(req, st)), xml_escape(q.layer), stamp, matched, returned);
    const std::string mime = "application/gml+xml; version=3.2";
    if (hits) return Response::text(head + "/>\n", mime);
    std::shared_ptr<ogc::FeatureStream> stream = sv.open_features(q, ogc::FeatureFormat::gml32);
    return streamed(mime, head + ">\n", std::move(stream),
                    [](const ogc::FeatureStream&) { return std::string("</wfs:FeatureCollection>\n"); });
}

Response wfs(const Request& req, const bundle::Engine& engine, State& st) {
    return guarded(
        [&]() -> Response {
            const std::string* op = kvp(req, "REQUEST");
            const bool caps = op == nullptr || iequals(*op, "GetCapabilities");
            const auto sv = st.get(req, engine, Kind::vector, true, caps ? std::nullopt : named_layers(req));
            const std::string* service = kvp(req, "SERVICE");
            if (service != nullptr && !service->empty() && !iequals(*service, "WFS"))
                fail("InvalidParameterValue", fmt::format("SERVICE must be WFS (got '{}')", *service), "service");
            const std::string& request = required(req, "REQUEST");
            if (const std::string* v = kvp(req, "VERSION"); v != nullptr && !v->empty() && !v->starts_with("2.0") && !iequals(request, "GetCapabilities"))
                fail("InvalidParameterValue", fmt::format("VERSION '{}' is not supported (2.0.0)", *v), "version");
            if (iequals(request, "GetCapabilities")) {
                if (service == nullptr || service->empty()) fail("MissingParameterValue", "missing parameter SERVICE", "service");
                return with_cache(Response::text(wfs_capabilities(req, st, *sv), "application/xml"), st, req);
            }
            if (iequals(request, "DescribeFeatureType"))
                return with_cache(Response::text(describe_feature_type(req, st, *sv), "application/gml+xml; version=3.2"), st, req);
            if (iequals(request, "GetFeature")) return wfs_get_feature(req, st, *sv);
            fail("OperationNotSupported", fmt::format("REQUEST '{}' is not supported (GetCapabilities, DescribeFeatureType, GetFeature)", request),
                 "request");
        },
        wfs_exception);
}

/// WFS 2.0.0 XML encoding (POST): a GetCapabilities, DescribeFeatureType or GetFeature document
/// becomes the same request in KVP (one wfs:Query; its fes:Filter passed on as FILTER), the
/// request's own query parameters (the key) kept.
Request wfs_post_as_kvp(const Request& req) {
    if (req.body.empty()) fail("MissingParameterValue", "POST needs a WFS request document in the body", "request");
    CPLPushErrorHandler(CPLQuietErrorHandler);  // a malformed body is the client's error, not a server log line
    std::unique_ptr<CPLXMLNode, void (*)(CPLXMLNode*)> doc(CPLParseXMLString(req.body.c_str()), CPLDestroyXMLNode);
    CPLPopErrorHandler();
    const CPLXMLNode* root = doc.get();
    while (root != nullptr && (root->eType != CXT_Element || root->pszValue[0] == '?')) root = root->psNext;
    if (root == nullptr) fail("OperationParsingFailed", "the body is not an XML document", "request");
    const auto local = [](const CPLXMLNode* n) { return strip_prefix(n->pszValue); };
    const auto attr = [](const CPLXMLNode* n, const char* name) {
        for (const CPLXMLNode* c = n->psChild; c != nullptr; c = c->psNext)
            if (c->eType == CXT_Attribute && iequals(strip_prefix(c->pszValue), name) && c->psChild != nullptr) return std::string(c->psChild->pszValue);
        return std::string();
    };
    const auto text = [](const CPLXMLNode* n) {
        std::string t;
        for (const CPLXMLNode* c = n->psChild; c != nullptr; c = c->psNext)
            if (c->eType == CXT_Text) t += c->pszValue;
        return t;
    };
    Request k = req;
    k.body.clear();
    k.query.emplace_back("SERVICE", attr(root, "service").empty() ? std::string("WFS") : attr(root, "service"));
    k.query.emplace_back("REQUEST", local(root));
    if (const std::string v = attr(root, "version"); !v.empty()) k.query.emplace_back("VERSION", v);
    for (const auto& [a, p] : {std::pair{"count", "COUNT"}, std::pair{"startIndex", "STARTINDEX"}, std::pair{"outputFormat", "OUTPUTFORMAT"},
                               std::pair{"resultType", "RESULTTYPE"}, std::pair{"maxFeatures", "COUNT"}})
        if (const std::string v = attr(root, a); !v.empty()) k.query.emplace_back(p, v);
    std::vector<std::string> type_names;
    int queries = 0;
    for (CPLXMLNode* c = root->psChild; c != nullptr; c = c->psNext) {
        if (c->eType != CXT_Element) continue;
        if (local(c) == "TypeName") type_names.push_back(text(c));
        if (local(c) != "Query") continue;
        if (++queries > 1) fail("InvalidParameterValue", "GetFeature serves one wfs:Query per request", "Query");
        std::string names = attr(c, "typeNames");
        if (names.empty()) names = attr(c, "typeName");
        type_names.push_back(names);
        if (const std::string srs = attr(c, "srsName"); !srs.empty()) k.query.emplace_back("SRSNAME", srs);
        std::vector<std::string> properties;
        for (CPLXMLNode* q = c->psChild; q != nullptr; q = q->psNext) {
            if (q->eType != CXT_Element) continue;
            if (local(q) == "PropertyName") properties.push_back(text(q));
            if (local(q) == "Filter") {
                CPLXMLNode* next = q->psNext;  // serialise the filter alone
                q->psNext = nullptr;
                char* xml = CPLSerializeXMLTree(q);
                q->psNext = next;
                k.query.emplace_back("FILTER", xml != nullptr ? xml : "");
                CPLFree(xml);
            }
        }
        if (!properties.empty()) k.query.emplace_back("PROPERTYNAME", fmt::format("{}", fmt::join(properties, ",")));
    }
    if (!type_names.empty()) k.query.emplace_back("TYPENAMES", fmt::format("{}", fmt::join(type_names, ",")));
    return k;
}

// ==== OGC API Features ================================================================================

constexpr std::string_view crs84_uri = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

std::string crs_uri(std::string_view crs) {
    const std::string urn = ogc::Services::crs_urn(crs);
    if (urn == "urn:ogc:def:crs:OGC:1.3:CRS84") return std::string(crs84_uri);
    if (urn.starts_with("urn:ogc:def:crs:EPSG::")) return "http://www.opengis.net/def/crs/EPSG/0/" + urn.substr(22);
    return std::string(crs);
}

std::vector<std::string> collection_crs(const ogc::LayerInfo& l) {
    std::vector<std::string> out{std::string(crs84_uri), crs_uri("EPSG:4326"), crs_uri("EPSG:3857")};
    if (!l.native_crs.empty()) {
        const std::string n = crs_uri(l.native_crs);
        if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
    return out;
}

[[noreturn]] void bad_request(std::string message) { throw HttpError(400, std::move(message), {}, "InvalidParameterValue"); }

const ogc::LayerInfo& collection(const Request& req, const State& st, const ogc::Services& sv) {
    const std::string& id = *req.path_param("id");
    const auto* l = sv.find(id);
    if (l == nullptr || !l->is_vector || !st.visible(req, id)) throw HttpError(404, fmt::format("no collection '{}'", id), {}, "NotFound");
    return *l;
}

json collection_json(const std::string& base, const ogc::LayerInfo& l) {
    json c;
    c["id"] = l.id;
    c["title"] = l.title;
    c["description"] = l.abstract;
    const std::string self = fmt::format("{}/ogcapi/collections/{}", base, l.id);
    c["links"] = json::array({json{{"href", self}, {"rel", "self"}, {"type", "application/json"}, {"title", "This collection"}},
                              json{{"href", self + "/items"}, {"rel", "items"}, {"type", "application/geo+json"}, {"title", "Features"}}});
    if (!l.wgs84.empty())
        c["extent"] = json{{"spatial", json{{"bbox", json::array({json::array({l.wgs84.min_x, l.wgs84.min_y, l.wgs84.max_x, l.wgs84.max_y})})},
                                            {"crs", crs84_uri}}}};
    c["itemType"] = "feature";
    c["crs"] = collection_crs(l);
    c["storageCrs"] = l.native_crs.empty() ? std::string(crs84_uri) : crs_uri(l.native_crs);
    return c;
}

Response json_doc(const json& j, const State& st, std::string type = "application/json") {
    return with_cache(Response::text(j.dump(-1, ' ', false, json::error_handler_t::replace), std::move(type)), st);
}

std::string query_string(const Fields& q) {
    std::string out;
    for (const auto& [k, v] : q) {
        out += out.empty() ? "?" : "&";
        for (const std::string* s : {&k, &v}) {
            for (const unsigned char c : *s) {
                if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~' || c == ',' || c == ':') out += static_cast<char>(c);
                else out += fmt::format("%{:02X}", c);
            }
            if (s == &k) out += '=';
        }
    }
    return out;
}

/// Output CRS of a request (`crs` parameter, Part 2); CRS84 by default.
std::string output_crs(const Request& req, const ogc::LayerInfo& l) {
    const std::string* c = req.param("crs");
    if (c == nullptr || c->empty()) return std::string(crs84_uri);
    const std::string uri = crs_uri(*c);
    const auto allowed = collection_crs(l);
    if (std::find(allowed.begin(), allowed.end(), uri) == allowed.end())
        bad_request(fmt::format("crs '{}' is not one of this collection's CRSs", *c));
    return uri;
}

/// The Services holding the collection of the path ({id}).
std::shared_ptr<const ogc::Services> collection_services(const Request& req, const bundle::Engine& engine, State& st) {
    return st.get(req, engine, Kind::vector, true, std::vector<std::string>{*req.path_param("id")});
}

Response oapif_items(const Request& req, const bundle::Engine& engine, State& st) {
    const auto sv = collection_services(req, engine, st);
    const auto& l = collection(req, st, *sv);
    const std::string base = ows::base_url(req, st.options.base_url);
    ogc::FeatureQuery q;
    q.layer = l.id;
    q.count = st.options.oapif_default_limit;
    q.authority_axis_order = true;
    for (const auto& [k, v] : req.query) {
        if (k == "limit") {
            const auto n = to_int(v);
            if (!n || *n < 1) bad_request("limit must be a positive integer");
            q.count = std::min<std::uint64_t>(static_cast<std::uint64_t>(*n), st.options.oapif_max_limit);
        } else if (k == "offset") {
            const auto n = to_int(v);
            if (!n || *n < 0) bad_request("offset must be a non-negative integer");
            q.start = static_cast<std::uint64_t>(*n);
        } else if (k == "bbox") {
            std::vector<double> b;
            for (const auto& p : split(v, ',')) {
                const auto d = to_double(p);
                if (!d) bad_request(fmt::format("bbox: '{}' is not a number", p));
                b.push_back(*d);
            }
            if (b.size() == 6) b = {b[0], b[1], b[3], b[4]};
            if (b.size() != 4) bad_request("bbox needs 4 (or 6) numbers");
            q.bbox = BBox::of(b[0], b[1], b[2], b[3]);
        } else if (k == "bbox-crs" || k == "crs" || k == "f") {
            continue;
        } else if (k == "properties") {
            for (const auto& p : split(v, ',')) q.properties.push_back(p);
        } else if (std::any_of(l.fields.begin(), l.fields.end(), [&key = k](const ogc::FieldInfo& f) { return f.name == key; })) {
            q.equals.emplace_back(k, v);
        } else {
            bad_request(fmt::format("unknown parameter '{}'", k));
        }
    }
    if (const std::string* f = req.param("f"); f != nullptr && *f != "json" && *f != "geojson")
        bad_request("f must be json (only GeoJSON is offered)");
    if (q.bbox) {
        const std::string* bc = req.param("bbox-crs");
        const std::string bcrs = bc == nullptr || bc->empty() ? std::string(crs84_uri) : crs_uri(*bc);
        const auto allowed = collection_crs(l);
        if (std::find(allowed.begin(), allowed.end(), bcrs) == allowed.end()) bad_request(fmt::format("bbox-crs '{}' is not supported", *bc));
        // Part 2: the bbox is in bbox-crs's axis order (EPSG:4326 = lat, lon).
        if (ogc::Services::northing_first(bcrs)) q.bbox = BBox::of(q.bbox->min_y, q.bbox->min_x, q.bbox->max_y, q.bbox->max_x);
        if (!(q.bbox->min_x <= q.bbox->max_x && q.bbox->min_y <= q.bbox->max_y)) bad_request("bbox: lower corner above upper corner");
        q.bbox_crs = bcrs;
    }
    const std::string out_crs = output_crs(req, l);
    q.crs = out_crs;
    std::uint64_t matched = 0;
    try {
        matched = sv->count(q);
    } catch (const ogc::OgcError& e) {
        bad_request(e.what());
    }
    const std::uint64_t returned = std::min<std::uint64_t>(q.count, matched > q.start ? matched - q.start : 0);
    const std::string items = fmt::format("{}/ogcapi/collections/{}/items", base, l.id);
    auto link_with = [&](std::optional<std::uint64_t> offset) {
        Fields f;
        for (const auto& kv : req.query)
            if (kv.first != "offset") f.push_back(kv);
        if (offset && *offset > 0) f.emplace_back("offset", std::to_string(*offset));
        return items + query_string(f);
    };
    json links = json::array({json{{"href", link_with(q.start)}, {"rel", "self"}, {"type", "application/geo+json"}, {"title", "This page"}}});
    if (q.start + returned < matched)
        links.push_back(json{{"href", link_with(q.start + returned)}, {"rel", "next"}, {"type", "application/geo+json"}, {"title", "Next page"}});
    if (q.start > 0)
        links.push_back(json{{"href", link_with(q.start > q.count ? q.start - q.count : 0)}, {"rel", "prev"}, {"type", "application/geo+json"},
                             {"title", "Previous page"}});
    links.push_back(json{{"href", fmt::format("{}/ogcapi/collections/{}", base, l.id)}, {"rel", "collection"}, {"type", "application/json"}});
    std::shared_ptr<ogc::FeatureStream> stream;
    try {
        stream = sv->open_features(q, ogc::FeatureFormat::geojson);
    } catch (const ogc::OgcError& e) {
        bad_request(e.what());
    }
    Response r = streamed("application/geo+json",
                          fmt::format("{{\"type\":\"FeatureCollection\",\"numberMatched\":{},\"numberReturned\":{},\"timeStamp\":\"{}\","
                                      "\"links\":{},\"features\":[",
                                      matched, returned, core::utc_now_iso8601(), links.dump()),
                          std::move(stream), [](const ogc::FeatureStream&) { return std::string("]}\n"); });
    r.headers.emplace_back("Content-Crs", "<" + out_crs + ">");
    return r;
}

Response oapif_item(const Request& req, const bundle::Engine& engine, State& st) {
    const auto sv = collection_services(req, engine, st);
    const auto& l = collection(req, st, *sv);
    const auto fid = to_int(*req.path_param("fid"));
    if (!fid) throw HttpError(404, fmt::format("no feature '{}'", *req.path_param("fid")), {}, "NotFound");
    for (const auto& [k, v] : req.query)
        if (k != "crs" && k != "f") bad_request(fmt::format("unknown parameter '{}'", k));
    ogc::FeatureQuery q;
    q.layer = l.id;
    q.fid = *fid;
    q.count = 1;
    q.crs = output_crs(req, l);
    q.authority_axis_order = true;
    auto stream = sv->open_features(q, ogc::FeatureFormat::geojson);
    std::string body;
    while (stream->next(body)) {
    }
    if (body.empty()) throw HttpError(404, fmt::format("no feature {} in '{}'", *fid, l.id), {}, "NotFound");
    const std::string base = ows::base_url(req, st.options.base_url);
    const json links = json::array(
        {json{{"href", fmt::format("{}/ogcapi/collections/{}/items/{}", base, l.id, *fid)}, {"rel", "self"}, {"type", "application/geo+json"}},
         json{{"href", fmt::format("{}/ogcapi/collections/{}", base, l.id)}, {"rel", "collection"}, {"type", "application/json"}}});
    body.pop_back();  // the feature's closing brace: add the links
    body += ",\"links\":" + links.dump() + "}";
    Response r = Response::text(std::move(body), "application/geo+json");
    r.headers.emplace_back("Content-Crs", "<" + q.crs + ">");
    return r;
}

json oapif_openapi(const std::string& base) {
    const auto op = [](std::string summary, json params, std::string type) {
        return json{{"get", json{{"summary", std::move(summary)}, {"parameters", std::move(params)},
                                 {"responses", json{{"200", json{{"description", "OK"}, {"content", json{{std::move(type), json::object()}}}}}}}}}};
    };
    const auto p = [](const char* name, const char* in, const char* type, bool req = false) {
        return json{{"name", name}, {"in", in}, {"required", req}, {"schema", json{{"type", type}}}};
    };
    json paths;
    paths["/ogcapi"] = op("Landing page", json::array(), "application/json");
    paths["/ogcapi/conformance"] = op("Conformance classes", json::array(), "application/json");
    paths["/ogcapi/collections"] = op("Feature collections", json::array(), "application/json");
    paths["/ogcapi/collections/{collectionId}"] = op("A collection", json::array({p("collectionId", "path", "string", true)}), "application/json");
    paths["/ogcapi/collections/{collectionId}/items"] =
        op("Features of a collection",
           json::array({p("collectionId", "path", "string", true), p("limit", "query", "integer"), p("offset", "query", "integer"),
                        p("bbox", "query", "string"), p("bbox-crs", "query", "string"), p("crs", "query", "string")}),
           "application/geo+json");
    paths["/ogcapi/collections/{collectionId}/items/{featureId}"] =
        op("One feature", json::array({p("collectionId", "path", "string", true), p("featureId", "path", "string", true), p("crs", "query", "string")}),
           "application/geo+json");
    return json{{"openapi", "3.0.3"}, {"info", json{{"title", "geoplex OGC API Features"}, {"version", "1.0.0"}}},
                {"servers", json::array({json{{"url", base}}})}, {"paths", paths}};
}

// ---- OpenAPI fragments of the routes ----------------------------------------------------------------

constexpr std::string_view wms_openapi = R"json({
  "summary": "WMS 1.3.0 (KVP): GetCapabilities, GetMap, GetFeatureInfo",
  "tags": ["ogc"],
  "parameters": [
    {"name": "SERVICE", "in": "query", "schema": {"type": "string", "enum": ["WMS"]}},
    {"name": "VERSION", "in": "query", "schema": {"type": "string", "default": "1.3.0"}},
    {"name": "REQUEST", "in": "query", "required": true, "schema": {"type": "string", "enum": ["GetCapabilities", "GetMap", "GetFeatureInfo"]}},
    {"name": "LAYERS", "in": "query", "schema": {"type": "string"}},
    {"name": "STYLES", "in": "query", "schema": {"type": "string"}},
    {"name": "CRS", "in": "query", "schema": {"type": "string"}, "description": "Any CRS PROJ knows; BBOX axis order follows it (EPSG:4326 = lat,lon)"},
    {"name": "BBOX", "in": "query", "schema": {"type": "string"}},
    {"name": "WIDTH", "in": "query", "schema": {"type": "integer"}},
    {"name": "HEIGHT", "in": "query", "schema": {"type": "integer"}},
    {"name": "FORMAT", "in": "query", "schema": {"type": "string", "enum": ["image/png", "image/jpeg", "image/webp"]}},
    {"name": "TRANSPARENT", "in": "query", "schema": {"type": "string", "enum": ["TRUE", "FALSE"]}},
    {"name": "QUERY_LAYERS", "in": "query", "schema": {"type": "string"}},
    {"name": "INFO_FORMAT", "in": "query", "schema": {"type": "string", "enum": ["application/json", "text/html", "text/plain"]}},
    {"name": "I", "in": "query", "schema": {"type": "integer"}},
    {"name": "J", "in": "query", "schema": {"type": "integer"}}],
  "responses": {
    "200": {"description": "Capabilities XML, an image or feature info", "content": {"text/xml": {}, "image/png": {}, "image/jpeg": {}, "image/webp": {}, "application/json": {}, "text/html": {}}},
    "400": {"description": "ServiceExceptionReport (InvalidFormat, InvalidCRS, LayerNotDefined, StyleNotDefined, InvalidPoint, OperationNotSupported…)", "content": {"text/xml": {}}}}
})json";

constexpr std::string_view wfs_openapi = R"json({
  "summary": "WFS 2.0.0 (KVP): GetCapabilities, DescribeFeatureType, GetFeature (streamed)",
  "tags": ["ogc"],
  "parameters": [
    {"name": "SERVICE", "in": "query", "schema": {"type": "string", "enum": ["WFS"]}},
    {"name": "VERSION", "in": "query", "schema": {"type": "string", "default": "2.0.0"}},
    {"name": "REQUEST", "in": "query", "required": true, "schema": {"type": "string", "enum": ["GetCapabilities", "DescribeFeatureType", "GetFeature"]}},
    {"name": "TYPENAMES", "in": "query", "schema": {"type": "string"}},
    {"name": "COUNT", "in": "query", "schema": {"type": "integer", "maximum": 1000}},
    {"name": "STARTINDEX", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    {"name": "BBOX", "in": "query", "schema": {"type": "string"}, "description": "minx,miny,maxx,maxy[,crs] in the CRS's axis order"},
    {"name": "SRSNAME", "in": "query", "schema": {"type": "string"}},
    {"name": "PROPERTYNAME", "in": "query", "schema": {"type": "string"}},
    {"name": "FILTER", "in": "query", "schema": {"type": "string"}, "description": "fes:Filter XML (FES 2.0)"},
    {"name": "RESOURCEID", "in": "query", "schema": {"type": "string"}},
    {"name": "RESULTTYPE", "in": "query", "schema": {"type": "string", "enum": ["results", "hits"]}},
    {"name": "OUTPUTFORMAT", "in": "query", "schema": {"type": "string", "enum": ["application/gml+xml; version=3.2", "application/json"]}}],
  "responses": {
    "200": {"description": "Capabilities, XML schema or features", "content": {"application/xml": {}, "application/gml+xml; version=3.2": {}, "application/json": {}}},
    "400": {"description": "OWS ExceptionReport", "content": {"application/xml": {}}}}
})json";

constexpr std::string_view wfs_post_openapi = R"json({
  "summary": "WFS 2.0.0 XML encoding: a wfs:GetCapabilities, wfs:DescribeFeatureType or wfs:GetFeature document (one wfs:Query with typeNames, srsName, wfs:PropertyName, fes:Filter; count, startIndex, outputFormat, resultType)",
  "tags": ["ogc"],
  "requestBody": {"required": true, "content": {"application/xml": {}, "text/xml": {}}},
  "responses": {
    "200": {"description": "As the KVP request", "content": {"application/xml": {}, "application/gml+xml; version=3.2": {}, "application/json": {}}},
    "400": {"description": "OWS ExceptionReport (OperationParsingFailed, InvalidParameterValue…)", "content": {"application/xml": {}}}}
})json";

std::string oapif_openapi_op(std::string_view summary, std::string_view type, std::string_view params = "[]") {
    return fmt::format(R"({{"summary": "{}", "tags": ["ogc"], "parameters": {}, "responses": {{"200": {{"description": "OK", "content": {{"{}": {{}}}}}}, "400": {{"description": "Bad parameter"}}, "404": {{"description": "No such collection or feature"}}}}}})",
                       summary, params, type);
}

}  // namespace

void add_ogc_routes(Router& router, const OgcApiOptions& options) {
    auto st = std::make_shared<State>();
    st->options = options;
    const auto wms_route = [&](const std::string& path, Kind kind) {
        router.add(Router::Route{{"GET"}, path, [st, kind](const Request& r, const bundle::Engine& e) { return wms(r, e, *st, kind); },
                                 ErrorStyle::plain, std::string(wms_openapi)});
    };
    std::vector<std::string> families{""};
    if (st->has_providers()) families.emplace_back("/private");
    for (const auto& fam : families) {
        if (fam.empty()) wms_route("/wms", Kind::all);
        for (const char* path : {"/wms-r", "/wms-r/wms"}) wms_route(fam + path, Kind::raster);
        for (const char* path : {"/wms-v", "/wms-v/ows", "/wms-v/wms"}) wms_route(fam + path, Kind::vector);
        for (const char* path : {"/wfs", "/wfs/ows"}) {
            router.add(Router::Route{{"GET"}, fam + path, [st](const Request& r, const bundle::Engine& e) { return wfs(r, e, *st); },
                                     ErrorStyle::plain, std::string(wfs_openapi)});
            router.add(Router::Route{{"POST"}, fam + path,
                                     [st](const Request& r, const bundle::Engine& e) {
                                         return guarded([&] { return wfs(wfs_post_as_kvp(r), e, *st); }, wfs_exception);
                                     },
                                     ErrorStyle::plain, std::string(wfs_post_openapi)});
        }
    }

    router.add(Router::Route{
        {"GET"}, "/ogcapi",
        [st](const Request& r, const bundle::Engine&) {
            const std::string b = ows::base_url(r, st->options.base_url) + "/ogcapi";
            json j{{"title", "geoplex OGC API Features"},
                   {"description", "The vector layers of the bundle as OGC API Features collections (Part 1 Core, Part 2 CRS)"},
                   {"links", json::array({json{{"href", b}, {"rel", "self"}, {"type", "application/json"}, {"title", "This document"}},
                                          json{{"href", b + "/api"}, {"rel", "service-desc"}, {"type", "application/vnd.oai.openapi+json;version=3.0"}, {"title", "The API definition"}},
                                          json{{"href", b + "/conformance"}, {"rel", "conformance"}, {"type", "application/json"}, {"title", "Conformance classes"}},
                                          json{{"href", b + "/collections"}, {"rel", "data"}, {"type", "application/json"}, {"title", "Collections"}}})}};
            return json_doc(j, *st);
        },
        ErrorStyle::plain, oapif_openapi_op("OGC API Features landing page", "application/json")});
    router.add(Router::Route{
        {"GET"}, "/ogcapi/conformance",
        [st](const Request&, const bundle::Engine&) {
            return json_doc(json{{"conformsTo", json::array({"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                                                             "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
                                                             "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
                                                             "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"})}},
                            *st);
        },
        ErrorStyle::plain, oapif_openapi_op("Conformance classes", "application/json")});
    router.add(Router::Route{
        {"GET"}, "/ogcapi/api",
        [st](const Request& r, const bundle::Engine&) {
            return json_doc(oapif_openapi(ows::base_url(r, st->options.base_url)), *st, "application/vnd.oai.openapi+json;version=3.0");
        },
        ErrorStyle::plain, oapif_openapi_op("OpenAPI 3.0 definition of the OGC API Features endpoints", "application/vnd.oai.openapi+json;version=3.0")});
    router.add(Router::Route{
        {"GET"}, "/ogcapi/collections",
        [st](const Request& r, const bundle::Engine& e) {
            const auto sv = st->get(r, e, Kind::vector, true);
            const std::string base = ows::base_url(r, st->options.base_url);
            json list = json::array();
            for (const auto& l : sv->layers())
                if (l.is_vector && st->visible(r, l.id)) list.push_back(collection_json(base, l));
            json j{{"links", json::array({json{{"href", base + "/ogcapi/collections"}, {"rel", "self"}, {"type", "application/json"}}})},
                   {"crs", json::array({crs84_uri, crs_uri("EPSG:4326"), crs_uri("EPSG:3857")})},
                   {"collections", std::move(list)}};
            return json_doc(j, *st);
        },
        ErrorStyle::plain, oapif_openapi_op("The feature collections (the bundle's vector layers)", "application/json")});
    const std::string id_param = R"([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}])";
    router.add(Router::Route{
        {"GET"}, "/ogcapi/collections/{id}",
        [st](const Request& r, const bundle::Engine& e) {
            const auto sv = collection_services(r, e, *st);
            return json_doc(collection_json(ows::base_url(r, st->options.base_url), collection(r, *st, *sv)), *st);
        },
        ErrorStyle::plain, oapif_openapi_op("One collection", "application/json", id_param)});
    router.add(Router::Route{
        {"GET"}, "/ogcapi/collections/{id}/items",
        [st](const Request& r, const bundle::Engine& e) { return oapif_items(r, e, *st); }, ErrorStyle::plain,
        oapif_openapi_op("Features of a collection, streamed (bbox, bbox-crs, limit, offset, crs, properties, property=value filters)",
                         "application/geo+json",
                         R"([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                             {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10}},
                             {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                             {"name": "bbox", "in": "query", "schema": {"type": "string"}},
                             {"name": "bbox-crs", "in": "query", "schema": {"type": "string"}},
                             {"name": "crs", "in": "query", "schema": {"type": "string"}}])")});
    router.add(Router::Route{
        {"GET"}, "/ogcapi/collections/{id}/items/{fid}",
        [st](const Request& r, const bundle::Engine& e) { return oapif_item(r, e, *st); }, ErrorStyle::plain,
        oapif_openapi_op("One feature", "application/geo+json",
                         R"([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                             {"name": "fid", "in": "path", "required": true, "schema": {"type": "string"}},
                             {"name": "crs", "in": "query", "schema": {"type": "string"}}])")});
}

}  // namespace geoplex::server
