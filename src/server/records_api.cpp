// OGC API Records (Part 1, core + GeoJSON) over the catalog's public records, at /records — a
// tree of its own next to the OGC API Features one at /ogcapi (ogc_api.cpp), with the same
// landing / conformance / collections layout and one collection, "catalog".
// See metadata_api.hpp and docs/http-api.md "OGC API Records".

#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/catalog/publishing.hpp"
#include "geoplex/catalog/store.hpp"
#include "geoplex/core/error.hpp"
#include "server/metadata_api.hpp"
#include "server/ows_common.hpp"

namespace geoplex::server {

namespace {

using json = nlohmann::json;
using catalog::Dataset;

constexpr std::size_t default_limit = 10, max_limit = 1000;

Response json_reply(const json& j, const char* type = "application/json") {
    return Response::text(j.dump(-1, ' ', false, json::error_handler_t::replace), type);
}

json link(const std::string& href, const char* rel, const char* type, const std::string& title = {}) {
    json l{{"href", href}, {"rel", rel}, {"type", type}};
    if (!title.empty()) l["title"] = title;
    return l;
}

std::string percent(std::string_view s) {
    std::string out;
    for (const unsigned char c : s) {
        if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
        else out += fmt::format("%{:02X}", c);
    }
    return out;
}

/// An OGC API Records record (GeoJSON Feature) for a dataset.
json record_of(const Dataset& d, const std::string& base) {
    json geometry = nullptr;
    if (d.bbox) {
        const auto& b = *d.bbox;
        geometry = json{{"type", "Polygon"},
                        {"coordinates", json::array({json::array({json::array({b.west, b.south}), json::array({b.east, b.south}),
                                                                  json::array({b.east, b.north}), json::array({b.west, b.north}),
                                                                  json::array({b.west, b.south})})})}};
    }
    json time = nullptr;
    if (!d.temporal_start.empty() || !d.temporal_end.empty())
        time = json{{"interval", json::array({d.temporal_start.empty() ? json("..") : json(d.temporal_start),
                                              d.temporal_end.empty() ? json("..") : json(d.temporal_end)})}};
    json themes = json::array();
    if (!d.themes.empty()) {
        json concepts = json::array();
        for (const auto& t : d.themes) concepts.push_back(json{{"id", t}});
        themes.push_back(json{{"concepts", concepts}, {"scheme", "GEMET - INSPIRE themes, version 1.0"}});
    }
    json formats = json::array();
    for (const auto& f : d.formats) formats.push_back(json{{"name", f}});
    json contacts = json::array();
    if (!d.contact.organisation.empty() || !d.contact.name.empty()) {
        json ct{{"organization", d.contact.organisation}, {"roles", json::array({d.contact.role})}};
        if (!d.contact.name.empty()) ct["name"] = d.contact.name;
        if (!d.contact.email.empty()) ct["emails"] = json::array({json{{"value", d.contact.email}}});
        contacts.push_back(ct);
    }
    if (!d.producer.empty()) contacts.push_back(json{{"organization", d.producer}, {"roles", json::array({"publisher"})}});
    json properties{{"type", d.level == "SERIES" ? "series" : "dataset"},
                    {"title", d.title},
                    {"description", d.abstract},
                    {"keywords", d.keywords},
                    {"themes", themes},
                    {"language", json{{"code", d.language}}},
                    {"formats", formats},
                    {"contacts", contacts},
                    {"license", d.licence},
                    {"externalIds", json::array({json{{"scheme", "gmd:fileIdentifier"}, {"value", d.file_identifier}}})},
                    {"created", d.created},
                    {"updated", d.modified}};
    if (!d.publication_date.empty()) properties["publicationDate"] = d.publication_date;
    const std::string self = base + "/records/collections/catalog/items/" + percent(d.id);
    json links = json::array({link(self, "self", "application/geo+json"),
                              link(self + "?f=jsonld", "alternate", "application/ld+json", "DCAT-AP (JSON-LD)"),
                              link(self + "?f=xml", "alternate", "application/xml", "ISO 19139"),
                              link(base + "/records/collections/catalog", "collection", "application/json")});
    for (const auto& o : catalog::online_resources(d)) {
        json l = link(o.url, "item", "text/html", o.name);
        if (!o.protocol.empty()) l["protocol"] = o.protocol;
        links.push_back(std::move(l));
    }
    return json{{"id", d.id},
                {"type", "Feature"},
                {"conformsTo", json::array({"http://www.opengis.net/spec/ogcapi-records-1/1.0/req/record-core"})},
                {"geometry", geometry},
                {"time", time},
                {"properties", properties},
                {"links", links}};
}

std::size_t number(const Request& r, const char* name, std::size_t fallback, std::size_t max) {
    const std::string* v = r.param(name);
    if (v == nullptr) return fallback;
    std::size_t n = 0;
    const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n > max)
        throw InvalidArgument(fmt::format("{}: an integer in 0..{} is expected, got '{}'", name, max, *v));
    return n;
}

catalog::GeoBox bbox_param(const std::string& text) {
    double v[4];
    std::size_t start = 0;
    for (int i = 0; i < 4; ++i) {
        const std::size_t end = i < 3 ? text.find(',', start) : text.size();
        if (end == std::string::npos) throw InvalidArgument("bbox: four comma-separated numbers west,south,east,north");
        const auto [p, ec] = std::from_chars(text.data() + start, text.data() + end, v[i]);
        if (ec != std::errc() || p != text.data() + end || !std::isfinite(v[i]))
            throw InvalidArgument("bbox: four comma-separated numbers west,south,east,north");
        start = end + 1;
    }
    if (v[0] > v[2] || v[1] > v[3]) throw InvalidArgument("bbox: west > east or south > north");
    return {v[0], v[1], v[2], v[3]};
}

json collection(const std::string& base) {
    return json{{"id", "catalog"},
                {"title", "geoplex catalogue"},
                {"description", "Published metadata of the catalogue's datasets (the records CSW serves at /csw)"},
                {"itemType", "record"},
                {"type", "Collection"},
                {"extent", json{{"spatial", {{"bbox", json::array({json::array({-180, -90, 180, 90})})}, {"crs", "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}}}}},
                {"links", json::array({link(base + "/records/collections/catalog", "self", "application/json"),
                                       link(base + "/records/collections/catalog/items", "items", "application/geo+json")})}};
}

std::string op(const char* summary, const char* content, const json& params = json::array()) {
    json o{{"summary", summary}, {"tags", json::array({"catalog"})}};
    if (!params.empty()) o["parameters"] = params;
    o["responses"] = json{{"200", {{"description", "OK"}, {"content", {{content, json::object()}}}}},
                          {"400", {{"description", "Invalid parameter"}}},
                          {"404", {{"description", "Unknown record"}}}};
    return o.dump();
}

json qparam(const char* name, const char* type, const char* description) {
    return json{{"name", name}, {"in", "query"}, {"required", false}, {"description", description}, {"schema", {{"type", type}}}};
}

}  // namespace

void add_records_routes(Router& router, std::shared_ptr<catalog::Catalog> catalog) {
    const auto add = [&](const std::string& pattern, std::function<Response(const Request&)> fn, std::string openapi) {
        router.add(Router::Route{{"GET"}, pattern, [fn = std::move(fn)](const Request& r, const bundle::Engine&) { return fn(r); },
                                 ErrorStyle::plain, std::move(openapi)});
    };
    add("/records", [](const Request& r) {
        const std::string b = ows::base_url(r, "");
        return json_reply(json{{"title", "geoplex catalogue — OGC API Records"},
                               {"links", json::array({link(b + "/records", "self", "application/json"),
                                                      link(b + "/records/conformance", "conformance", "application/json"),
                                                      link(b + "/records/collections", "data", "application/json"),
                                                      link(b + "/openapi.json", "service-desc", "application/vnd.oai.openapi+json;version=3.0")})}});
    }, op("OGC API Records landing page", "application/json"));
    add("/records/conformance", [](const Request&) {
        return json_reply(json{{"conformsTo", json::array({"http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/core",
                                                           "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-core",
                                                           "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/json",
                                                           "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-api",
                                                           "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections"})}});
    }, op("OGC API Records conformance classes", "application/json"));
    add("/records/collections", [](const Request& r) {
        const std::string b = ows::base_url(r, "");
        return json_reply(json{{"collections", json::array({collection(b)})},
                               {"links", json::array({link(b + "/records/collections", "self", "application/json")})}});
    }, op("Record collections (one: catalog)", "application/json"));
    add("/records/collections/catalog", [](const Request& r) { return json_reply(collection(ows::base_url(r, ""))); },
        op("The catalog collection", "application/json"));
    add("/records/collections/catalog/items", [catalog](const Request& r) {
        const std::string b = ows::base_url(r, "");
        catalog::RecordFilter filter;
        if (const std::string* q = r.param("q")) {
            filter.text = *q;
            for (auto& c : filter.text) if (c == ',') c = ' ';
        }
        if (const std::string* bbox = r.param("bbox")) filter.bbox = bbox_param(*bbox);
        const std::size_t limit = number(r, "limit", default_limit, max_limit);
        const std::size_t offset = number(r, "offset", 0, 1'000'000'000);
        const auto page = records::search_public(catalog->store(), filter, offset, limit);
        json features = json::array();
        for (const auto& d : page.items) features.push_back(record_of(d, b));
        std::string query;
        if (const std::string* q = r.param("q")) query += "&q=" + percent(*q);
        if (const std::string* bbox = r.param("bbox")) query += "&bbox=" + percent(*bbox);
        const auto page_link = [&](std::size_t off, const char* rel) {
            return link(fmt::format("{}/records/collections/catalog/items?limit={}&offset={}{}", b, limit, off, query), rel, "application/geo+json");
        };
        json links = json::array({page_link(offset, "self"), link(b + "/records/collections/catalog", "collection", "application/json")});
        if (offset + page.items.size() < page.total && limit > 0) links.push_back(page_link(offset + limit, "next"));
        if (offset > 0) links.push_back(page_link(offset > limit ? offset - limit : 0, "prev"));
        return json_reply(json{{"type", "FeatureCollection"},
                               {"numberMatched", page.total},
                               {"numberReturned", features.size()},
                               {"timeStamp", catalog::now_iso8601()},
                               {"features", features},
                               {"links", links}},
                          "application/geo+json");
    }, op("Records of the catalog: full text (q), bbox, limit, offset; GeoJSON with next/prev links", "application/geo+json",
          json::array({qparam("q", "string", "free text (catalog search: French folding and stemming, every term)"),
                       qparam("bbox", "string", "west,south,east,north (CRS84)"), qparam("limit", "integer", "0..1000, default 10"),
                       qparam("offset", "integer", "records to skip")})));
    add("/records/collections/catalog/items/{record}", [catalog](const Request& r) {
        const std::string& id = *r.path_param("record");
        const auto d = records::find_public(catalog->store(), id);
        if (!d) throw HttpError(404, fmt::format("record '{}' not found", id), {}, "NOT_FOUND");
        const std::string* f = r.param("f");
        if (f == nullptr || *f == "json" || *f == "geojson") return json_reply(record_of(*d, ows::base_url(r, "")), "application/geo+json");
        if (*f == "jsonld") return json_reply(catalog::to_dcat_jsonld(*d, ows::base_url(r, "")), "application/ld+json");
        if (*f == "xml") return Response::text(catalog::to_iso19139(*d), "application/xml");
        throw InvalidArgument(fmt::format("f: json, jsonld (DCAT-AP) or xml (ISO 19139), got '{}'", *f));
    }, op("One record (?f=json GeoJSON, ?f=jsonld DCAT-AP JSON-LD, ?f=xml ISO 19139)", "application/geo+json",
          json::array({json{{"name", "record"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}},
                       qparam("f", "string", "json (default), jsonld or xml")})));
}

}  // namespace geoplex::server
