// /api/datasets: catalogue search with facets and the dataset sheets (see datasets_api.hpp and
// docs/http-api.md, "Datasets").
//
// Visibility: without a token (or with a token of a non-administrator and no `datastore`
// parameter) the search sees PUBLIC datasets only; `datastore=<id>` searches one datastore the
// user is a member of (every sharing); administrators see everything. One sheet: PUBLIC sheets
// are readable by all; other sheets need a token of an administrator or a member of the
// datastore (403 otherwise, 404 without a token). Writes: administrators, and PRODUCERs with the
// community right on the dataset's datastore (old and new one); audited (entity "dataset").

#include "server/datasets_api.hpp"
#include "server/catalog_http.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/catalog/publishing.hpp"
#include "geoplex/catalog/store.hpp"
#include "geoplex/core/error.hpp"

namespace geoplex::server {

namespace {

using json = nlohmann::json;
using catalog::Catalog;
using catalog::Dataset;
using catalog::Principal;

/// The writer of a request: an administrator, or a PRODUCER (datastore rights checked per dataset).
Principal producer(Catalog& c, const Request& r) {
    Principal p = require_bearer(c, r);
    if (!p.admin() && !p.user.has_role(catalog::UserRole::producer))
        throw HttpError(403, "dataset sheets are written by producers and administrators", {}, "FORBIDDEN");
    return p;
}

const std::string& dataset_param(const Request& r) { return route_capture(r, "dataset"); }

// ---- search parameters ------------------------------------------------------------------------

bool parse_size(std::string_view s, std::size_t& out) {
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

/// The SearchQuery of GET /api/datasets; every problem is collected (400 lists them all).
catalog::SearchQuery parse_search(const Request& r, std::size_t& page, std::vector<std::string>& problems) {
    catalog::SearchQuery q;
    if (const auto* v = r.param("q")) q.text = *v;
    if (const auto* v = r.param("bbox")) {
        double c[4]{};
        std::size_t n = 0, pos = 0;
        bool ok = true;
        while (ok && pos <= v->size()) {
            std::size_t end = v->find(',', pos);
            if (end == std::string::npos) end = v->size();
            const std::string part = v->substr(pos, end - pos);
            char* stop = nullptr;
            const double d = std::strtod(part.c_str(), &stop);
            if (part.empty() || n >= 4 || stop != part.c_str() + part.size() || !std::isfinite(d)) ok = false;
            else c[n++] = d;
            pos = end + 1;
        }
        if (!ok || n != 4) problems.emplace_back("bbox: four numbers west,south,east,north (EPSG:4326) expected");
        else q.bbox = catalog::GeoBox{c[0], c[1], c[2], c[3]};
    }
    const std::pair<const char*, std::vector<std::string>*> lists[] = {
        {"theme", &q.themes},     {"producer", &q.producers}, {"format", &q.formats},
        {"licence", &q.licences}, {"keyword", &q.keywords},   {"year", &q.years}};
    for (const auto& [name, values] : lists)
        for (const auto v : r.params(name)) values->emplace_back(v);
    if (const auto* v = r.param("open_data")) {
        if (*v == "true" || *v == "1") q.open_data = true;
        else if (*v == "false" || *v == "0") q.open_data = false;
        else problems.emplace_back("open_data: true or false expected");
    }
    if (const auto* v = r.param("sort")) {
        if (*v == "relevance") q.sort = catalog::SearchSort::relevance;
        else if (*v == "modified") q.sort = catalog::SearchSort::modified;
        else if (*v == "title") q.sort = catalog::SearchSort::title;
        else problems.emplace_back("sort: relevance, modified or title expected");
    }
    page = 1;
    if (const auto* v = r.param("page"); v && (!parse_size(*v, page) || page == 0 || page > 1'000'000)) {
        problems.emplace_back("page: an integer in 1..1000000 expected");
        page = 1;
    }
    if (const auto* v = r.param("limit"); v && (!parse_size(*v, q.limit) || q.limit == 0 || q.limit > 1000)) {
        problems.emplace_back("limit: an integer in 1..1000 expected");
        q.limit = 10;
    }
    if (const auto* v = r.param("facet_limit"); v && (!parse_size(*v, q.facet_limit) || q.facet_limit > 1000)) {
        problems.emplace_back("facet_limit: an integer in 0..1000 expected");
        q.facet_limit = 20;
    }
    if (const auto* v = r.param("facets")) q.facets = *v != "false" && *v != "0";
    q.offset = (page - 1) * q.limit;
    for (auto& p : q.validate())
        if (std::find(problems.begin(), problems.end(), p) == problems.end()) problems.push_back(std::move(p));
    return q;
}

Response search_datasets(Catalog& c, const Request& r) {
    std::vector<std::string> problems;
    std::size_t page = 1;
    catalog::SearchQuery q = parse_search(r, page, problems);
    if (!problems.empty()) throw InvalidArgument(problems);
    const auto principal = bearer_principal(c, r);
    if (const auto* ds = r.param("datastore")) {
        if (!principal) throw HttpError(401, "datastore: searching a datastore needs a bearer token", {}, "UNAUTHORIZED");
        q.datastore = c.datastore_for(*principal, *ds, false).id;  // 403 / 404 for others
    } else if (!principal || !principal->admin()) {
        q.sharing = catalog::Sharing::public_;
    }
    const auto result = c.store().search(q);
    json out{{"total", result.total}, {"page", page}, {"limit", q.limit}};
    json items = json::array();
    const bool scored = q.sort == catalog::SearchSort::relevance && !catalog::analyze(q.text).empty();
    for (const auto& hit : result.hits) {
        json d = hit.dataset;
        if (scored) d["score"] = hit.score;
        items.push_back(std::move(d));
    }
    out["datasets"] = std::move(items);
    json facets = json::object();
    if (q.facets)
        for (const auto& name : catalog::facet_names()) {
            json values = json::array();
            if (const auto it = result.facets.find(name); it != result.facets.end())
                for (const auto& f : it->second) values.push_back(json{{"value", f.value}, {"count", f.count}});
            facets[name] = std::move(values);
        }
    out["facets"] = std::move(facets);
    return json_no_store(out);
}

// ---- one sheet --------------------------------------------------------------------------------

json sheet(const Dataset& d) {
    json j = d;
    const std::string self = "/api/datasets/" + d.id;
    j["links"] = json::array({json{{"rel", "self"}, {"type", "application/json"}, {"href", self}},
                              json{{"rel", "alternate"}, {"type", "application/ld+json"}, {"href", self + "/dcat"}},
                              json{{"rel", "describedby"}, {"type", "application/xml"}, {"href", self + "/iso19139"}}});
    return j;
}

Dataset readable(Catalog& c, const Request& r) {
    const std::string& id = dataset_param(r);
    auto d = catalog::is_uuid(id) ? c.store().get<Dataset>(id) : std::nullopt;
    if (d && d->sharing == catalog::Sharing::public_) return *d;
    const auto p = bearer_principal(c, r);
    if (d && p) {
        if (p->admin()) return *d;
        if (!d->datastore.empty()) {
            (void)c.datastore_for(*p, d->datastore, false);  // 403 for a non-member
            return *d;
        }
    }
    throw HttpError(404, fmt::format("dataset '{}' not found", id), {}, "NOT_FOUND");
}

/// The dataset `id` for writing: exists and the principal may write its datastore.
Dataset writable(Catalog& c, const Principal& p, const std::string& id) {
    auto d = catalog::is_uuid(id) ? c.store().get<Dataset>(id) : std::nullopt;
    if (!d) throw HttpError(404, fmt::format("dataset '{}' not found", id), {}, "NOT_FOUND");
    if (!p.admin() && d->datastore.empty()) throw HttpError(403, "only administrators change datasets without a datastore", {}, "FORBIDDEN");
    if (!d->datastore.empty()) (void)c.datastore_for(p, d->datastore, true);
    return *d;
}

json body_object(const Request& r) {
    if (r.body.empty()) throw InvalidArgument("a JSON object body is expected");
    json j;
    try {
        j = json::parse(r.body);
    } catch (const json::parse_error& e) {
        throw HttpError(400, fmt::format("invalid JSON body: {}", e.what()), {}, "BAD_REQUEST");
    }
    if (!j.is_object()) throw InvalidArgument("a JSON object body is expected");
    return j;
}

/// Validates a new state of a sheet (normalised through the model) and the principal's right to
/// put it in its datastore.
Dataset checked(Catalog& c, const Principal& p, const json& doc) {
    Dataset d = catalog::normalize_document(catalog::EntityKind::dataset, doc).get<Dataset>();
    std::vector<std::string> problems;
    if (d.title.empty()) problems.emplace_back("title: required");
    if (d.datastore.empty() && !p.admin()) problems.emplace_back("datastore: required");
    if (d.quality < 0 || d.quality > 100) problems.emplace_back("quality: 0..100");
    if (d.bbox && (!(d.bbox->west <= d.bbox->east) || !(d.bbox->south <= d.bbox->north) || d.bbox->west < -180 ||
                   d.bbox->east > 180 || d.bbox->south < -90 || d.bbox->north > 90))
        problems.emplace_back("bbox: west <= east and south <= north within [-180,180] x [-90,90]");
    if (!problems.empty()) throw InvalidArgument(problems);
    if (!d.datastore.empty()) (void)c.datastore_for(p, d.datastore, true);
    return d;
}

void audit(Catalog& c, const Principal& p, const char* action, const Dataset& d) {
    c.store().append_audit(catalog::AuditEvent{.actor = p.user.id, .action = action, .entity = "dataset", .entity_id = d.id,
                                               .datastore = d.datastore, .detail = json{{"title", d.title}}.dump()});
}

Response create_dataset(Catalog& c, const Request& r) {
    const Principal p = producer(c, r);
    json doc = body_object(r);
    for (const char* k : {"_id", "created", "modified"}) doc.erase(k);  // the store assigns them
    const Dataset d = checked(c, p, doc);
    Dataset stored;
    c.store().transaction([&](catalog::Store& s) {
        stored = s.create(d);
        audit(c, p, "create", stored);
    });
    Response res = json_no_store(sheet(stored), 201);
    res.headers.emplace_back("Location", "/api/datasets/" + stored.id);
    return res;
}

/// PUT (replace) and PATCH (merge patch over the stored sheet).
Response change_dataset(Catalog& c, const Request& r, bool merge) {
    const Principal p = producer(c, r);
    const std::string& id = dataset_param(r);
    const json body = body_object(r);
    Dataset stored;
    c.store().transaction([&](catalog::Store& s) {
        const Dataset old = writable(c, p, id);
        json doc = merge ? json(old) : body;
        if (merge) doc.merge_patch(body);
        if (const auto it = body.find("_id"); it != body.end() && *it != id)
            throw InvalidArgument("_id: must be the dataset of the path");
        doc["_id"] = id;
        doc["created"] = old.created;
        doc.erase("modified");
        stored = s.update(checked(c, p, doc));
        audit(c, p, merge ? "patch" : "update", stored);
    });
    return json_no_store(sheet(stored));
}

Response remove_dataset(Catalog& c, const Request& r) {
    const Principal p = producer(c, r);
    c.store().transaction([&](catalog::Store& s) {
        const Dataset d = writable(c, p, dataset_param(r));
        s.remove<Dataset>(d.id);
        audit(c, p, "delete", d);
    });
    Response res;
    res.status = 204;
    res.content_type.clear();
    return res;
}

// ---- OpenAPI ----------------------------------------------------------------------------------

std::string op(const std::string& summary, bool with_id, bool secured, bool body, bool search_params, int success) {
    json o{{"summary", summary}, {"tags", json::array({"catalog"})}};
    json params = json::array();
    if (with_id) params.push_back(json{{"name", "dataset"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}, {"format", "uuid"}}}});
    if (search_params) {
        const auto q = [&](const char* name, const char* type, const char* description, bool repeated = false) {
            json schema = repeated ? json{{"type", "array"}, {"items", {{"type", type}}}} : json{{"type", type}};
            params.push_back(json{{"name", name}, {"in", "query"}, {"description", description}, {"schema", schema}});
            if (repeated) params.back()["explode"] = true;
        };
        q("q", "string", "free text: every analysed term in title, abstract or keywords (French folding and stemming)");
        q("bbox", "string", "west,south,east,north (EPSG:4326): datasets whose extent intersects it");
        q("theme", "string", "theme filter (repeat for OR)", true);
        q("producer", "string", "producer filter (repeat for OR)", true);
        q("format", "string", "format or service type filter (repeat for OR)", true);
        q("licence", "string", "licence filter (repeat for OR)", true);
        q("keyword", "string", "keyword filter (repeat for OR)", true);
        q("year", "string", "publication year filter, four digits (repeat for OR)", true);
        q("open_data", "boolean", "only open data (true) or only restricted data (false)");
        q("datastore", "string", "one datastore the caller belongs to (bearer token), every sharing");
        q("sort", "string", "relevance (default; newest first without text), modified or title");
        q("page", "integer", "page number from 1");
        q("limit", "integer", "datasets per page, 1..1000 (default 10)");
        q("facets", "boolean", "compute facet counts (default true)");
        q("facet_limit", "integer", "values per facet, 0..1000 (default 20)");
    }
    if (!params.empty()) o["parameters"] = params;
    if (secured) o["security"] = json::array({json{{"bearerAuth", json::array()}}});
    if (body) o["requestBody"] = json{{"required", true}, {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    json responses;
    responses[std::to_string(success)] = json{{"description", success == 204 ? "Deleted" : "OK"}};
    if (success != 204) responses[std::to_string(success)]["content"] = json{{"application/json", json::object()}};
    responses["400"] = json{{"description", "Invalid parameters or body (every problem listed in details)"}};
    responses["401"] = json{{"description", "Missing or invalid bearer token"}};
    responses["403"] = json{{"description", "Not a member (or no write right) of the dataset's datastore"}};
    if (with_id) responses["404"] = json{{"description", "Unknown dataset"}};
    o["responses"] = responses;
    return o.dump();
}

}  // namespace

void add_dataset_routes(Router& router, std::shared_ptr<Catalog> catalog) {
    const auto add = [&](const char* method, const std::string& pattern, std::string openapi,
                         std::function<Response(Catalog&, const Request&)> fn) {
        auto c = catalog;
        router.add(Router::Route{{method}, pattern,
                                 [c, fn = std::move(fn)](const Request& r, const bundle::Engine&) { return catalog_guarded([&] { return fn(*c, r); }); },
                                 ErrorStyle::plain, std::move(openapi)});
    };
    add("GET", "/api/datasets",
        op("Search the dataset catalogue: full text, bbox, filters, facet counts, sorting, pages "
           "({total, page, limit, datasets, facets})", false, false, false, true, 200),
        [](Catalog& c, const Request& r) { return search_datasets(c, r); });
    add("GET", "/api/datasets/{dataset}", op("One dataset sheet with links to its exports", true, false, false, false, 200),
        [](Catalog& c, const Request& r) { return json_no_store(sheet(readable(c, r))); });
    add("POST", "/api/datasets", op("Create a dataset sheet in a datastore the user may write (audited)", false, true, true, false, 201),
        [](Catalog& c, const Request& r) { return create_dataset(c, r); });
    add("PUT", "/api/datasets/{dataset}", op("Replace a dataset sheet (audited)", true, true, true, false, 200),
        [](Catalog& c, const Request& r) { return change_dataset(c, r, false); });
    add("PATCH", "/api/datasets/{dataset}", op("Change fields of a dataset sheet (JSON merge patch, audited)", true, true, true, false, 200),
        [](Catalog& c, const Request& r) { return change_dataset(c, r, true); });
    add("DELETE", "/api/datasets/{dataset}", op("Delete a dataset sheet (audited)", true, true, false, false, 204),
        [](Catalog& c, const Request& r) { return remove_dataset(c, r); });
}

}  // namespace geoplex::server
