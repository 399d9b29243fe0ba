// ISO 19139 metadata upload and publication (reference §6 row `metadata`), the per-dataset
// exports (ISO 19139, DCAT-AP JSON-LD), and the public-record helpers shared with the CSW and
// Records services. See metadata_api.hpp and docs/http-api.md "Metadata".

#include "server/metadata_api.hpp"
#include "server/catalog_http.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/catalog/publishing.hpp"
#include "geoplex/catalog/store.hpp"
#include "server/ows_common.hpp"

namespace geoplex::server {

namespace records {

bool is_public_record(const catalog::Dataset& d) {
    const auto it = d.tags.find("csw_published");
    return it != d.tags.end() && it->second == "true" && d.sharing == catalog::Sharing::public_;
}

RecordPage search_public(catalog::Store& store, const catalog::RecordFilter& filter, std::size_t offset, std::size_t limit) {
    RecordPage page;
    if (!filter.identifier.empty()) {
        if (auto d = find_public(store, filter.identifier)) {
            bool matches = !filter.bbox || (d->bbox && d->bbox->intersects(*filter.bbox));
            if (matches && !filter.text.empty()) {  // same text semantics as the search: every analysed term present
                const auto terms = catalog::analyze(d->title + " " + d->abstract + " " + fmt::format("{}", fmt::join(d->keywords, " ")));
                for (const auto& t : catalog::analyze(filter.text))
                    matches = matches && std::find(terms.begin(), terms.end(), t) != terms.end();
            }
            if (matches) {
                page.total = 1;
                if (offset == 0 && limit > 0) page.items.push_back(std::move(*d));
            }
        }
        return page;
    }
    catalog::SearchQuery q;
    q.text = filter.text;
    q.bbox = filter.bbox;
    q.sort = catalog::SearchSort::title;
    q.facets = false;
    q.limit = 1000;
    for (q.offset = 0;; q.offset += q.limit) {
        auto result = store.search(q);
        for (auto& hit : result.hits) {
            if (!is_public_record(hit.dataset)) continue;
            if (page.total >= offset && page.items.size() < limit) page.items.push_back(std::move(hit.dataset));
            ++page.total;
        }
        if (q.offset + q.limit >= result.total || result.hits.empty()) break;
    }
    return page;
}

std::optional<catalog::Dataset> find_public(catalog::Store& store, const std::string& id) {
    if (id.empty()) return std::nullopt;
    auto found = store.list<catalog::Dataset>({{"file_identifier", id}}, {0, 1}).items;
    if (found.empty() && catalog::is_uuid(id))
        if (auto d = store.get<catalog::Dataset>(id)) found.push_back(std::move(*d));
    if (found.empty() || !is_public_record(found.front())) return std::nullopt;
    return std::move(found.front());
}

}  // namespace records

namespace {

using json = nlohmann::json;
using catalog::Catalog;
using catalog::Dataset;
using catalog::Principal;

constexpr std::string_view metadata_type_tag = "metadata_type";

Principal bearer(Catalog& c, const Request& r) { return require_bearer(c, r); }

/// The named parts of a multipart/form-data body; a non-multipart body is the part "file" and
/// the query parameters the other fields.
std::map<std::string, std::string_view> form_fields(const Request& r) {
    std::map<std::string, std::string_view> out;
    for (const auto& [k, v] : r.query) out.emplace(k, v);
    const auto parts = multipart_parts(r);
    if (!parts) {
        out["file"] = r.body;
        return out;
    }
    for (const FormPart& part : *parts) out[std::string(part.name)] = part.data;
    return out;
}

std::filesystem::path metadata_file(Catalog& c, const Dataset& d) { return c.config().data_dir / "metadata" / (d.id + ".xml"); }

bool is_metadata(const Dataset& d) { return d.tags.count(std::string(metadata_type_tag)) != 0; }

/// The reference's metadata object, with the dataset sheet it fills.
json metadata_document(const Dataset& d) {
    json endpoints = json::array();
    if (const auto it = d.tags.find("csw_endpoint"); it != d.tags.end() && d.tags.count("csw_published") != 0 &&
                                                     d.tags.at("csw_published") == "true")
        endpoints.push_back(json{{"_id", it->second}});
    return json{{"_id", d.id},
                {"file_identifier", d.file_identifier},
                {"type", d.tags.at(std::string(metadata_type_tag))},
                {"open_data", d.open_data},
                {"level", d.level},
                {"datastore", d.datastore},
                {"endpoints", endpoints},
                {"dataset", json(d)}};
}

Dataset metadata_in(Catalog& c, const catalog::Datastore& ds, const std::string& id) {
    auto d = catalog::is_uuid(id) ? c.store().get<Dataset>(id) : std::nullopt;
    if (!d || d->datastore != ds.id || !is_metadata(*d))
        throw HttpError(404, fmt::format("metadata '{}' not found in this datastore", id), {}, "NOT_FOUND");
    return *d;
}

void audit(Catalog& c, const Principal& p, const char* action, const Dataset& d) {
    c.store().append_audit(catalog::AuditEvent{.actor = p.user.id, .action = action, .entity = "metadata", .entity_id = d.id,
                                               .datastore = d.datastore, .detail = json{{"file_identifier", d.file_identifier}}.dump()});
}

/// POST /api/datastores/{ds}/metadata: parse, then create or update the sheet with that file identifier.
Response upload_metadata(Catalog& c, const Request& r) {
    const Principal p = bearer(c, r);
    const catalog::Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), true);
    const auto fields = form_fields(r);
    const std::string_view xml = fields.count("file") != 0 ? fields.at("file") : std::string_view();
    if (xml.empty()) throw InvalidArgument("file: the ISO 19139 document is required (multipart field 'file' or the raw body)");
    std::string type = fields.count("type") != 0 ? std::string(fields.at("type")) : "ISOAP";
    if (type != "ISOAP" && type != "INSPIRE") throw InvalidArgument(fmt::format("type: ISOAP or INSPIRE, got '{}'", type));
    bool open_data = false;
    if (fields.count("open_data") != 0) {
        const std::string_view v = fields.at("open_data");
        if (v != "true" && v != "false" && v != "1" && v != "0") throw InvalidArgument("open_data: true or false");
        open_data = v == "true" || v == "1";
    }
    Dataset parsed = catalog::from_iso19139(xml);
    parsed.open_data = open_data;
    parsed.datastore = ds.id;
    parsed.tags[std::string(metadata_type_tag)] = type;
    Dataset stored;
    bool created = false;
    c.store().transaction([&](catalog::Store& s) {
        auto existing = s.list<Dataset>({{"file_identifier", parsed.file_identifier}}, {0, 1}).items;
        if (existing.empty()) {
            parsed.tags["csw_published"] = "false";
            stored = s.create(parsed);
            created = true;
            return;
        }
        Dataset& old = existing.front();
        if (old.datastore != ds.id)
            throw catalog::Conflict(fmt::format("file identifier '{}' belongs to another datastore", parsed.file_identifier));
        for (const char* keep : {"csw_published", "csw_endpoint"})
            if (old.tags.count(keep) != 0) parsed.tags[keep] = old.tags.at(keep);
        parsed.id = old.id;
        parsed.created = old.created;
        parsed.sharing = old.sharing;
        stored = s.update(parsed);
    });
    const auto file = metadata_file(c, stored);
    std::filesystem::create_directories(file.parent_path());
    {
        std::ofstream out(file.string() + ".tmp", std::ios::binary | std::ios::trunc);
        out.write(xml.data(), static_cast<std::streamsize>(xml.size()));
        if (!out) throw IoError("cannot write " + file.string());
    }
    std::filesystem::rename(file.string() + ".tmp", file);
    audit(c, p, created ? "create" : "update", stored);
    return json_no_store(metadata_document(stored), created ? 201 : 200);
}

/// POST …/metadata/publication and /unpublication {file_identifiers[], endpoint}.
Response set_publication(Catalog& c, const Request& r, bool publish) {
    const Principal p = bearer(c, r);
    const catalog::Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), true);
    json body;
    try {
        body = json::parse(r.body);
    } catch (const json::parse_error& e) {
        throw HttpError(400, fmt::format("invalid JSON body: {}", e.what()), {}, "BAD_REQUEST");
    }
    std::vector<std::string> problems;
    if (!body.is_object() || !body.contains("file_identifiers") || !body["file_identifiers"].is_array() || body["file_identifiers"].empty())
        problems.emplace_back("file_identifiers: a non-empty array of strings is required");
    if (!body.is_object() || !body.contains("endpoint") || !body["endpoint"].is_string())
        problems.emplace_back("endpoint: the id (or technical name) of a METADATA endpoint is required");
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    const std::string wanted = body["endpoint"];
    std::optional<catalog::Endpoint> endpoint = catalog::is_uuid(wanted) ? c.store().get<catalog::Endpoint>(wanted) : std::nullopt;
    if (!endpoint)
        for (auto& e : c.store().list<catalog::Endpoint>({}, {0, 10'000}).items)
            if (e.technical_name == wanted) endpoint = e;
    if (!endpoint || endpoint->type != catalog::EndpointType::metadata)
        throw HttpError(404, fmt::format("endpoint '{}': no METADATA endpoint with that id", wanted), {}, "NOT_FOUND");
    json out = json::array();
    std::vector<Dataset> changed;
    c.store().transaction([&](catalog::Store& s) {
        for (const auto& fid : body["file_identifiers"]) {
            if (!fid.is_string()) throw InvalidArgument("file_identifiers: strings only");
            auto found = s.list<Dataset>({{"file_identifier", fid.get<std::string>()}}, {0, 1}).items;
            if (found.empty() || found.front().datastore != ds.id || !is_metadata(found.front()))
                throw HttpError(404, fmt::format("metadata with file identifier '{}' not found in this datastore", fid.get<std::string>()), {},
                                "NOT_FOUND");
            Dataset d = found.front();
            d.tags["csw_published"] = publish ? "true" : "false";
            if (publish) d.tags["csw_endpoint"] = endpoint->id;
            else d.tags.erase("csw_endpoint");
            changed.push_back(s.update(d));
        }
    });
    for (const auto& d : changed) {
        audit(c, p, publish ? "publish" : "unpublish", d);
        out.push_back(metadata_document(d));
    }
    return json_no_store(out);
}

/// The dataset for an export: public records for everyone, any dataset for a member of its datastore.
Dataset exportable(Catalog& c, const Request& r) {
    const std::string& id = route_capture(r, "dataset");
    auto d = catalog::is_uuid(id) ? c.store().get<Dataset>(id) : std::nullopt;
    if (d && records::is_public_record(*d)) return *d;
    if (r.header("authorization") != nullptr && d) {
        const Principal p = bearer(c, r);
        if (p.admin()) return *d;
        if (!d->datastore.empty()) {
            (void)c.datastore_for(p, d->datastore, false);  // 403 for a non-member
            return *d;
        }
    }
    throw HttpError(404, fmt::format("dataset '{}' not found (or its metadata are not published)", id), {}, "NOT_FOUND");
}

std::string op(const std::string& summary, const std::string& pattern, const char* content, bool secured, bool body = false) {
    json o{{"summary", summary}, {"tags", json::array({"catalog"})}};
    json params = json::array();
    for (std::size_t p = pattern.find('{'); p != std::string::npos; p = pattern.find('{', p + 1)) {
        const auto e = pattern.find('}', p);
        params.push_back(json{{"name", pattern.substr(p + 1, e - p - 1)}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    if (!params.empty()) o["parameters"] = params;
    if (secured) o["security"] = json::array({json{{"bearerAuth", json::array()}}});
    if (body)
        o["requestBody"] = json{{"content", {{"multipart/form-data", {{"schema", {{"type", "object"}, {"properties", {
                                    {"file", {{"type", "string"}, {"format", "binary"}}},
                                    {"type", {{"type", "string"}, {"enum", {"ISOAP", "INSPIRE"}}}},
                                    {"open_data", {{"type", "boolean"}}}}}}}}},
                                {"application/xml", json::object()}}}};
    o["responses"] = json{{"200", {{"description", "OK"}, {"content", {{content, json::object()}}}}},
                          {"400", {{"description", "Invalid request or document (problems listed)"}}},
                          {"401", {{"description", "Missing or invalid bearer token"}}},
                          {"404", {{"description", "Unknown metadata, dataset or endpoint"}}}};
    return o.dump();
}

}  // namespace

void add_metadata_routes(Router& router, std::shared_ptr<Catalog> catalog) {
    const auto add = [&](const char* method, const std::string& pattern, const std::string& summary, const char* content, bool secured,
                         std::function<Response(Catalog&, const Request&)> fn) {
        auto c = catalog;
        router.add(Router::Route{{method}, pattern,
                                 [c, fn = std::move(fn)](const Request& r, const bundle::Engine&) { return catalog_guarded([&] { return fn(*c, r); }); },
                                 ErrorStyle::plain, op(summary, pattern, content, secured, std::string_view(method) == "POST" && pattern.ends_with("/metadata"))});
    };
    const std::string base = "/api/datastores/{datastore}/metadata";
    add("POST", base, "Upload an ISO 19139 metadata document (multipart: file, type ISOAP|INSPIRE, open_data); fills the dataset sheet",
        "application/json", true, [](Catalog& c, const Request& r) { return upload_metadata(c, r); });
    add("GET", base, "Metadata of the datastore", "application/json", true, [](Catalog& c, const Request& r) {
        const Principal p = bearer(c, r);
        const auto ds = c.datastore_for(p, route_capture(r, "datastore"), false);
        json out = json::array();
        for (const auto& d : c.store().list<Dataset>({{"datastore", ds.id}}, {0, 1'000'000}).items)
            if (is_metadata(d)) out.push_back(metadata_document(d));
        Response res = json_no_store(out);
        res.headers.emplace_back("Content-Range", fmt::format("items 0-{}/{}", out.empty() ? 0 : out.size() - 1, out.size()));
        return res;
    });
    add("GET", base + "/{metadata}", "One metadata with the dataset sheet it fills", "application/json", true, [](Catalog& c, const Request& r) {
        const Principal p = bearer(c, r);
        const auto ds = c.datastore_for(p, route_capture(r, "datastore"), false);
        return json_no_store(metadata_document(metadata_in(c, ds, route_capture(r, "metadata"))));
    });
    add("DELETE", base + "/{metadata}", "Delete a metadata and its dataset sheet (leaves the CSW at once)", "application/json", true,
        [](Catalog& c, const Request& r) {
            const Principal p = bearer(c, r);
            const auto ds = c.datastore_for(p, route_capture(r, "datastore"), true);
            const Dataset d = metadata_in(c, ds, route_capture(r, "metadata"));
            c.store().remove<Dataset>(d.id);
            std::error_code ec;
            std::filesystem::remove(metadata_file(c, d), ec);
            audit(c, p, "delete", d);
            Response res;
            res.status = 204;
            res.content_type.clear();
            return res;
        });
    add("GET", base + "/{metadata}/file", "The uploaded ISO 19139 document", "application/xml", true, [](Catalog& c, const Request& r) {
        const Principal p = bearer(c, r);
        const auto ds = c.datastore_for(p, route_capture(r, "datastore"), false);
        const Dataset d = metadata_in(c, ds, route_capture(r, "metadata"));
        std::ifstream in(metadata_file(c, d), std::ios::binary);
        std::ostringstream bytes;
        if (in) bytes << in.rdbuf();
        else bytes << catalog::to_iso19139(d);  // file lost (other replica's disk): regenerate from the sheet
        return Response::text(bytes.str(), "application/xml");
    });
    add("POST", base + "/publication", "Publish metadata on a METADATA (CSW) endpoint {file_identifiers[], endpoint}", "application/json", true,
        [](Catalog& c, const Request& r) { return set_publication(c, r, true); });
    add("POST", base + "/unpublication", "Withdraw metadata from the CSW endpoint {file_identifiers[], endpoint}", "application/json", true,
        [](Catalog& c, const Request& r) { return set_publication(c, r, false); });

    add("GET", "/api/datasets/{dataset}/iso19139", "The dataset sheet as ISO 19139 (public records; members of the datastore with a token)",
        "application/xml", false, [](Catalog& c, const Request& r) {
            Response res = Response::text(catalog::to_iso19139(exportable(c, r)), "application/xml");
            return res;
        });
    add("GET", "/api/datasets/{dataset}/dcat", "The dataset sheet as DCAT-AP 2 JSON-LD (public records; members with a token)",
        "application/ld+json", false, [](Catalog& c, const Request& r) {
            const json j = catalog::to_dcat_jsonld(exportable(c, r), ows::base_url(r, ""));
            return Response::text(j.dump(-1, ' ', false, json::error_handler_t::replace), "application/ld+json");
        });

    add_csw_routes(router, catalog);
    add_records_routes(router, catalog);
}

}  // namespace geoplex::server
