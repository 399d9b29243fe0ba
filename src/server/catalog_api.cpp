// The publishing REST API (/api/…) and the catalog's tile layer provider. See
// include/geoplex/server/catalog_api.hpp and docs/http-api.md.

#include "geoplex/server/catalog_api.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/catalog/publishing.hpp"
#include "geoplex/catalog/store.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/server/search_api.hpp"
#include "server/metadata_api.hpp"
#include "server/documents_api.hpp"
#include "server/datasets_api.hpp"
#include "server/catalog_http.hpp"

namespace geoplex::server {

namespace {

using json = nlohmann::json;
using catalog::Catalog;
using catalog::CatalogError;
using catalog::Principal;

// ---- request helpers -------------------------------------------------------------------------------

json parse_body(const Request& r) {
    if (r.body.empty()) return json::object();
    try {
        return json::parse(r.body);
    } catch (const json::parse_error& e) {
        throw HttpError(400, fmt::format("invalid JSON body: {}", e.what()), {}, "BAD_REQUEST");
    }
}

std::string decode_base64(std::string_view in) {
    std::string out;
    unsigned buf = 0;
    int bits = 0;
    for (const char c : in) {
        int v = -1;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '+') v = 62;
        else if (c == '/') v = 63;
        else if (c == '=') break;
        else return {};
        buf = (buf << 6U) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buf >> static_cast<unsigned>(bits)) & 0xffU);
        }
    }
    return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
}

bool flag(const Request& r, const char* name, bool fallback) {
    const std::string* v = r.param(name);
    if (v == nullptr) return fallback;
    return *v == "true" || *v == "1";
}

/// Reference paging: ?page=1&limit=10, answered with Content-Range "items a-b/total".
template <class T>
Response page_reply(catalog::Store& store, const Request& r, const catalog::ListFilter& filter,
                    const std::function<bool(const T&)>& keep = {}) {
    std::vector<T> items = store.list<T>(filter, {0, 1'000'000}).items;
    if (keep) std::erase_if(items, [&keep](const T& x) { return !keep(x); });
    return paged_reply(r, items, [](const T& x) { return json(x); });
}

template <class T>
T in_datastore(catalog::Store& store, const catalog::Datastore& ds, const std::string& id, const char* what) {
    auto e = catalog::is_uuid(id) ? store.get<T>(id) : std::nullopt;
    if (!e || e->datastore != ds.id) throw HttpError(404, fmt::format("{} '{}' not found in this datastore", what, id), {}, "NOT_FOUND");
    return *e;
}

/// The file part of a multipart/form-data body (field "file"), or the raw body.
std::string_view upload_bytes(const Request& r) {
    const auto parts = multipart_parts(r);
    if (!parts) return r.body;
    for (const FormPart& part : *parts)
        if (part.name == "file") return part.data;
    throw HttpError(400, "multipart/form-data body without a \"file\" part", {}, "BAD_REQUEST");
}

// ---- errors ---------------------------------------------------------------------------------------

/// Runs an API handler: authenticates, translates catalog errors into HTTP statuses.
using ApiFn = std::function<Response(Catalog&, const Principal&, const Request&)>;

Response run_api(Catalog& c, const Request& r, const ApiFn& fn) {
    try {
        const Principal p = require_bearer(c, r);
        return fn(c, p, r);
    } catch (const CatalogError& e) {
        // Formatted here: 507 is a client's quota, whose message must reach it (the generic
        // translation hides the message of every 5xx).
        const std::string code = e.status() == 507 ? "quota_exceeded" : std::string(status_code_name(e.status()));
        return format_error(ErrorInfo{e.status(), code, {}, e.what(), {}}, ErrorStyle::plain);
    } catch (...) {
        rethrow_as_http();
    }
}

// ---- OpenAPI fragments ---------------------------------------------------------------------------

std::string openapi_fragment(const std::string& summary, const std::string& pattern, bool body, int success = 200) {
    json op;
    op["summary"] = summary;
    op["tags"] = json::array({"catalog"});
    op["security"] = json::array({json{{"bearerAuth", json::array()}}});
    json params = json::array();
    for (std::size_t p = pattern.find('{'); p != std::string::npos; p = pattern.find('{', p + 1)) {
        const auto e = pattern.find('}', p);
        params.push_back(json{{"name", pattern.substr(p + 1, e - p - 1)}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    if (pattern.ends_with("/data"))
        params.push_back(json{{"name", "path"}, {"in", "query"}, {"required", true}, {"description", "destination path inside the upload"},
                              {"schema", {{"type", "string"}}}});
    if (!params.empty()) op["parameters"] = params;
    if (body)
        op["requestBody"] = json{{"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    json responses;
    responses[std::to_string(success)] = json{{"description", "OK"}, {"content", {{"application/json", json::object()}}}};
    responses["400"] = json{{"description", "Invalid request (message and details in the body)"}};
    responses["401"] = json{{"description", "Missing or invalid bearer token"}};
    responses["403"] = json{{"description", "Not allowed for this user"}};
    responses["404"] = json{{"description", "Unknown entity"}};
    if (body || success == 204) responses["409"] = json{{"description", "Conflict with the current state or a quota"}};
    op["responses"] = responses;
    return op.dump();
}

struct Api {
    Router& router;
    std::shared_ptr<Catalog> catalog;
    void add(const std::string& method, const std::string& pattern, const std::string& summary, ApiFn fn, int success = 200) {
        const bool body = method == "POST" || method == "PUT" || method == "PATCH";
        auto c = catalog;
        router.add(Router::Route{{method}, "/api" + pattern,
                                 [c, fn = std::move(fn)](const Request& r, const bundle::Engine&) { return run_api(*c, r, fn); },
                                 ErrorStyle::plain, openapi_fragment(summary, "/api" + pattern, body, success)});
    }
};

json user_document(Catalog& c, const catalog::User& u) {
    json j = u;
    j.erase("token_hash");
    j["administrator"] = u.has_role(catalog::UserRole::admin);
    json members = json::array();
    for (const auto& m : u.communities_member) {
        json item;
        item["rights"] = json::array();
        for (auto r : m.rights) item["rights"].push_back(std::string(catalog::to_string(r)));
        if (auto com = c.store().get<catalog::Community>(m.community))
            item["community"] = json{{"_id", com->id}, {"name", com->name}, {"technical_name", com->technical_name},
                                     {"datastore", com->datastore}, {"supervisor", com->supervisor}, {"public", com->is_public}};
        members.push_back(std::move(item));
    }
    j["communities_member"] = std::move(members);
    return j;
}

json key_document(const catalog::ApiKey& k) {
    json j = k;
    j.erase("secret_hash");
    j.erase("lookup");
    return j;
}

std::optional<std::uint64_t> content_length(const Request& r) {
    const std::string* v = r.header("content-length");
    if (v == nullptr) return std::nullopt;
    std::uint64_t n = 0;
    const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size()) throw HttpError(400, "bad Content-Length", {}, "BAD_REQUEST");
    return n;
}

// ---- the tile layer provider ----------------------------------------------------------------------

class CatalogLayers final : public LayerProvider {
public:
    /// `type`: the offerings of this type only; none = the tile types (WMTS-TMS, VECTOR-TMS).
    explicit CatalogLayers(std::shared_ptr<Catalog> c, std::optional<catalog::ConfigurationType> type = std::nullopt)
        : m_catalog(std::move(c)), m_type(type) {}

    std::vector<tiles::Tileset> visible(const Request& request, bool restricted) const override {
        std::vector<tiles::Tileset> out;
        auto layers = m_type ? m_catalog->published(*m_type, restricted) : m_catalog->published(restricted);
        if (!m_type)
            std::erase_if(layers, [](const auto& l) {
                return l->offering.type != catalog::ConfigurationType::wmts_tms && l->offering.type != catalog::ConfigurationType::vector_tms;
            });
        if (!restricted) {
            for (const auto& l : layers)
                if (l->offering.available) out.push_back(l->tileset);
            return out;
        }
        const auto key = presented_key(request);
        if (key.empty()) throw HttpError(401, "a key is required: add apikey=<key> or an X-Key header", {}, "UNAUTHORIZED");
        if (!m_catalog->identify_key(key)) throw HttpError(401, std::string(catalog::to_string(catalog::AccessVerdict::unknown_key)), {}, "UNAUTHORIZED");
        for (const auto& l : layers)
            if (m_catalog->authorize(key, *l) == catalog::AccessVerdict::granted) out.push_back(l->tileset);
        return out;
    }

    std::optional<tiles::Tileset> resolve(const Request& request, std::string_view layer, bool restricted) const override {
        auto l = m_type ? m_catalog->published_layer(*m_type, layer, restricted) : m_catalog->published_layer(layer, restricted);
        if (l && !m_type && l->offering.type != catalog::ConfigurationType::wmts_tms &&
            l->offering.type != catalog::ConfigurationType::vector_tms)
            l = nullptr;
        if (!restricted) {
            if (!l) return std::nullopt;
            if (!l->offering.available)
                throw HttpError(403, std::string(catalog::to_string(catalog::AccessVerdict::unavailable)), {}, "FORBIDDEN");
            return l->tileset;
        }
        const auto key = presented_key(request);
        if (key.empty()) throw HttpError(401, "a key is required: add apikey=<key> or an X-Key header", {}, "UNAUTHORIZED");
        if (!l) {  // do not tell who may not see it whether it exists; a valid key learns 404
            if (!m_catalog->identify_key(key)) throw HttpError(401, "the key is not valid", {}, "UNAUTHORIZED");
            return std::nullopt;
        }
        const auto verdict = m_catalog->authorize(key, *l);
        switch (verdict) {
            case catalog::AccessVerdict::granted: return l->tileset;
            case catalog::AccessVerdict::no_key:
            case catalog::AccessVerdict::unknown_key:
                throw HttpError(401, std::string(catalog::to_string(verdict)), {}, "UNAUTHORIZED");
            default: throw HttpError(403, std::string(catalog::to_string(verdict)), {}, "FORBIDDEN");
        }
    }

private:
    std::shared_ptr<Catalog> m_catalog;
    std::optional<catalog::ConfigurationType> m_type;
};

}  // namespace

catalog::PresentedKey presented_key(const Request& r) {
    catalog::PresentedKey k;
    for (const char* name : {"apikey", "api_key", "apiKey"})
        if (const std::string* v = r.param(name); v != nullptr && !v->empty()) {
            k.hash = *v;
            break;
        }
    if (const std::string* x = r.header("x-key"); k.hash.empty() && x != nullptr) k.hash = *x;
    if (const std::string* auth = r.header("authorization"); auth != nullptr && starts_with_ci(*auth, "basic ")) {
        const std::string decoded = decode_base64(std::string_view(*auth).substr(6));
        const auto colon = decoded.find(':');
        if (colon != std::string::npos) {
            k.basic_login = decoded.substr(0, colon);
            k.basic_password = decoded.substr(colon + 1);
        }
    }
    static const std::vector<std::string_view> ordinary = {
        "host", "user-agent", "accept", "accept-encoding", "accept-language", "connection", "referer", "origin", "cookie",
        "content-length", "content-type", "if-none-match", "if-modified-since", "cache-control", "x-forwarded-for",
        "x-forwarded-proto", "authorization", "x-key", "pragma", "te", "upgrade-insecure-requests"};
    for (const auto& [name, value] : r.headers)
        if (std::find(ordinary.begin(), ordinary.end(), name) == ordinary.end() && !starts_with_ci(name, "sec-")) {
            k.headers.emplace_back(name, value);
            k.has_header_candidates = k.has_header_candidates || value.size() >= 16;
        }
    k.address = r.remote_address;
    if (const std::string* v = r.header("referer")) k.referer = *v;
    if (const std::string* v = r.header("user-agent")) k.user_agent = *v;
    return k;
}

std::shared_ptr<const LayerProvider> catalog_layer_provider(std::shared_ptr<Catalog> catalog, catalog::ConfigurationType type) {
    return std::make_shared<CatalogLayers>(std::move(catalog), type);
}

std::shared_ptr<const LayerProvider> catalog_layer_provider(std::shared_ptr<Catalog> catalog) {
    return std::make_shared<CatalogLayers>(std::move(catalog));
}

std::shared_ptr<Catalog> open_catalog(const CatalogSettings& s) {
    catalog::CatalogConfig c;
    c.data_dir = s.data_dir;
    c.store_uri = s.store.empty() ? "sqlite:" + (std::filesystem::path(s.data_dir) / "catalog.sqlite").string() : s.store;
    c.admin_token = s.admin_token;
    if (c.admin_token.empty())
        if (const char* env = std::getenv("GEOPLEX_CATALOG_ADMIN_TOKEN"); env != nullptr) c.admin_token = env;
    c.storage_tiers = s.tiers;
    c.upload_quota = s.upload_quota;
    c.endpoint_quota = s.endpoint_quota;
    std::filesystem::create_directories(c.data_dir);
    return std::make_shared<Catalog>(c);
}

void add_catalog_routes(Router& router, std::shared_ptr<Catalog> catalog) {
    // The layer search over the published offerings (and the bundle), /recherche/… (search_api.cpp).
    SearchApiOptions search;
    search.catalog = catalog;
    add_search_routes(router, search);
    add_metadata_routes(router, catalog);  // ISO 19139 metadata, CSW, OGC API Records, DCAT (metadata_api.cpp)
    add_dataset_routes(router, catalog);  // /api/datasets search and sheets (datasets_api.cpp)
    Api api{router, std::move(catalog)};
    using catalog::Datastore;
    const auto ok = [](const json& j) { return json_no_store(j); };
    const auto created = [](const json& j) { return json_no_store(j, 201); };
    const auto no_content = [] {
        Response r;
        r.status = 204;
        r.content_type.clear();
        return r;
    };

    add_document_routes([&api](const std::string& m, const std::string& p, const std::string& s, ApiFn f, int code) { api.add(m, p, s, std::move(f), code); });

    // ---- users, communities ----
    api.add("GET", "/users/me", "The authenticated user with its communities",
            [ok](Catalog& c, const Principal& p, const Request&) { return ok(user_document(c, p.user)); });
    api.add("POST", "/users", "Create a user (administrator; geoplex extension). Returns its bearer token once",
            [created](Catalog& c, const Principal& p, const Request& r) {
                auto [u, token] = c.create_user(p, parse_body(r));
                json j = user_document(c, u);
                j["token"] = token;
                return created(j);
            }, 201);
    api.add("GET", "/communities", "Communities of the user (every community for an administrator)",
            [](Catalog& c, const Principal& p, const Request& r) {
                return page_reply<catalog::Community>(c.store(), r, {}, [&](const catalog::Community& com) {
                    return p.admin() || std::any_of(p.user.communities_member.begin(), p.user.communities_member.end(),
                                                    [&](const catalog::Membership& m) { return m.community == com.id; });
                });
            });
    api.add("POST", "/communities", "Create a community and its datastore (administrator); body {name, technical_name, tier?}",
            [created](Catalog& c, const Principal& p, const Request& r) { return created(json(c.create_community(p, parse_body(r)))); }, 201);
    api.add("GET", "/communities/{community}", "One community",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                const auto com = c.store().get<catalog::Community>(route_capture(r, "community"));
                if (!com) throw HttpError(404, "community not found", {}, "NOT_FOUND");
                (void)c.datastore_for(p, com->datastore, false);
                return ok(json(*com));
            });
    api.add("PUT", "/communities/{community}/users/{user}", "Add a member or change its rights; body {rights:[…]}",
            [no_content](Catalog& c, const Principal& p, const Request& r) {
                const json body = parse_body(r);
                std::vector<catalog::CommunityRight> rights;
                for (const auto& v : body.value("rights", json::array())) rights.push_back(catalog::parse<catalog::CommunityRight>(v.get<std::string>()));
                c.set_member(p, route_capture(r, "community"), route_capture(r, "user"), rights);
                return no_content();
            }, 204);

    // ---- datastores ----
    api.add("GET", "/datastores/{datastore}", "A datastore with its storages, endpoints and quotas (use and quota)",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                return ok(c.datastore_document(c.datastore_for(p, route_capture(r, "datastore"), false)));
            });
    api.add("GET", "/datastores/{datastore}/endpoints", "The endpoints the datastore may publish on",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                const json doc = c.datastore_document(ds);  // allowances with their use
                json out = json::array();
                for (std::size_t i = 0; i < ds.endpoints.size(); ++i) {
                    json item = doc["endpoints"][i];
                    if (auto ep = c.store().get<catalog::Endpoint>(ds.endpoints[i].endpoint)) item["endpoint"] = *ep;
                    out.push_back(std::move(item));
                }
                return ok(out);
            });

    // ---- uploads ----
    api.add("GET", "/datastores/{datastore}/uploads", "Uploads of the datastore",
            [](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                return page_reply<catalog::Upload>(c.store(), r, {{"datastore", ds.id}});
            });
    api.add("POST", "/datastores/{datastore}/uploads", "Create an upload {name, description, type: VECTOR|RASTER, srs}",
            [created](Catalog& c, const Principal& p, const Request& r) {
                return created(json(c.create_upload(p, route_capture(r, "datastore"), parse_body(r))));
            }, 201);
    api.add("GET", "/datastores/{datastore}/uploads/{upload}", "One upload",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                return ok(json(in_datastore<catalog::Upload>(c.store(), ds, route_capture(r, "upload"), "upload")));
            });
    api.add("DELETE", "/datastores/{datastore}/uploads/{upload}", "Delete an upload and its files",
            [no_content](Catalog& c, const Principal& p, const Request& r) {
                c.delete_upload(p, route_capture(r, "datastore"), route_capture(r, "upload"));
                return no_content();
            }, 204);
    api.add("POST", "/datastores/{datastore}/uploads/{upload}/data",
            "Add one file at ?path= (raw body or multipart/form-data field 'file'); quota checked before writing",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                const std::string* path = r.param("path");
                if (path == nullptr) throw InvalidArgument("path: required (destination inside the upload)");
                const std::string_view bytes = upload_bytes(r);
                const auto declared = bytes.size() == r.body.size() ? content_length(r) : std::optional<std::uint64_t>(bytes.size());
                return ok(json(c.add_upload_file(p, route_capture(r, "datastore"), route_capture(r, "upload"), *path, bytes, declared)));
            });
    api.add("DELETE", "/datastores/{datastore}/uploads/{upload}/data", "Remove one file (?path=)",
            [no_content](Catalog& c, const Principal& p, const Request& r) {
                const std::string* path = r.param("path");
                if (path == nullptr) throw InvalidArgument("path: required");
                if (!c.remove_upload_file(p, route_capture(r, "datastore"), route_capture(r, "upload"), *path))
                    throw HttpError(404, fmt::format("no file '{}' in this upload", *path), {}, "NOT_FOUND");
                return no_content();
            }, 204);
    api.add("GET", "/datastores/{datastore}/uploads/{upload}/tree", "The files of the upload as a tree",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                return ok(c.upload_tree(p, route_capture(r, "datastore"), route_capture(r, "upload")));
            });
    api.add("POST", "/datastores/{datastore}/uploads/{upload}/close", "Close the upload: the checks run (asynchronously)",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                return ok(json(c.close_upload(p, route_capture(r, "datastore"), route_capture(r, "upload"))));
            });
    api.add("GET", "/datastores/{datastore}/uploads/{upload}/checks", "Check executions: {asked, in_progress, passed, failed}",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                return ok(c.upload_checks(p, route_capture(r, "datastore"), route_capture(r, "upload")));
            });
    const auto check_of = [](Catalog& c, const Principal& p, const Request& r) {
        const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
        const auto ex = c.store().get<catalog::CheckExecution>(route_capture(r, "execution"));
        if (!ex) throw HttpError(404, "check execution not found", {}, "NOT_FOUND");
        (void)in_datastore<catalog::Upload>(c.store(), ds, ex->upload, "check execution");
        return *ex;
    };
    api.add("GET", "/datastores/{datastore}/checks/executions/{execution}", "One check execution",
            [ok, check_of](Catalog& c, const Principal& p, const Request& r) { return ok(json(check_of(c, p, r))); });
    api.add("GET", "/datastores/{datastore}/checks/executions/{execution}/logs", "The log lines of a check execution",
            [ok, check_of](Catalog& c, const Principal& p, const Request& r) { return ok(json(check_of(c, p, r).logs)); });

    // ---- processings ----
    api.add("GET", "/datastores/{datastore}/processings", "The processings this server runs",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                (void)c.datastore_for(p, route_capture(r, "datastore"), false);
                return ok(Catalog::processings());
            });
    api.add("GET", "/datastores/{datastore}/processings/executions", "Processing executions of the datastore",
            [](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                return page_reply<catalog::ProcessingExecution>(c.store(), r, {{"datastore", ds.id}});
            });
    api.add("POST", "/datastores/{datastore}/processings/executions",
            "Create an execution {processing, inputs:{upload:[id]}, output:{stored_data:{name}}, parameters}",
            [created](Catalog& c, const Principal& p, const Request& r) {
                return created(json(c.create_execution(p, route_capture(r, "datastore"), parse_body(r))));
            }, 201);
    api.add("GET", "/datastores/{datastore}/processings/executions/{execution}", "One execution (status, progress)",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                return ok(json(in_datastore<catalog::ProcessingExecution>(c.store(), ds, route_capture(r, "execution"), "execution")));
            });
    api.add("GET", "/datastores/{datastore}/processings/executions/{execution}/logs", "The log lines of an execution",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                return ok(json(in_datastore<catalog::ProcessingExecution>(c.store(), ds, route_capture(r, "execution"), "execution").logs));
            });
    api.add("POST", "/datastores/{datastore}/processings/executions/{execution}/launch",
            "Launch a CREATED execution (storage quota checked first)",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                return ok(json(c.launch_execution(p, route_capture(r, "datastore"), route_capture(r, "execution"))));
            });

    // ---- stored data ----
    api.add("GET", "/datastores/{datastore}/stored_data", "Stored data of the datastore",
            [](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                return page_reply<catalog::StoredData>(c.store(), r, {{"datastore", ds.id}},
                                                       [](const catalog::StoredData& d) { return d.status != catalog::StoredDataStatus::deleted; });
            });
    api.add("GET", "/datastores/{datastore}/stored_data/{stored_data}", "One stored data (extent, size, srs, relations)",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                json j = in_datastore<catalog::StoredData>(c.store(), ds, route_capture(r, "stored_data"), "stored data");
                j.erase("path");
                return ok(j);
            });
    api.add("DELETE", "/datastores/{datastore}/stored_data/{stored_data}", "Delete stored data (not while a configuration uses it)",
            [no_content](Catalog& c, const Principal& p, const Request& r) {
                c.delete_stored_data(p, route_capture(r, "datastore"), route_capture(r, "stored_data"));
                return no_content();
            }, 204);

    // ---- configurations and offerings ----
    api.add("GET", "/datastores/{datastore}/configurations", "Configurations of the datastore",
            [](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                return page_reply<catalog::Configuration>(c.store(), r, {{"datastore", ds.id}});
            });
    api.add("POST", "/datastores/{datastore}/configurations",
            "Create a configuration {type, name, layer_name, type_infos{title, abstract, keywords, used_data[…]}}",
            [created](Catalog& c, const Principal& p, const Request& r) {
                return created(json(c.create_configuration(p, route_capture(r, "datastore"), parse_body(r))));
            }, 201);
    api.add("GET", "/datastores/{datastore}/configurations/{configuration}", "One configuration",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                return ok(json(in_datastore<catalog::Configuration>(c.store(), ds, route_capture(r, "configuration"), "configuration")));
            });
    api.add("DELETE", "/datastores/{datastore}/configurations/{configuration}", "Delete an unpublished configuration",
            [no_content](Catalog& c, const Principal& p, const Request& r) {
                c.delete_configuration(p, route_capture(r, "datastore"), route_capture(r, "configuration"));
                return no_content();
            }, 204);
    api.add("GET", "/datastores/{datastore}/configurations/{configuration}/offerings", "Offerings of a configuration",
            [](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                const std::string cfg = route_capture(r, "configuration");
                return page_reply<catalog::Offering>(c.store(), r, {{"datastore", ds.id}},
                                                     [&](const catalog::Offering& o) { return o.configuration == cfg; });
            });
    api.add("POST", "/datastores/{datastore}/configurations/{configuration}/offerings",
            "Publish the configuration on an endpoint {endpoint, open?} (offering quota checked first)",
            [created](Catalog& c, const Principal& p, const Request& r) {
                return created(json(c.publish(p, route_capture(r, "datastore"), route_capture(r, "configuration"), parse_body(r))));
            }, 201);
    api.add("GET", "/datastores/{datastore}/offerings", "Offerings of the datastore",
            [](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                return page_reply<catalog::Offering>(c.store(), r, {{"datastore", ds.id}});
            });
    api.add("GET", "/datastores/{datastore}/offerings/{offering}", "One offering",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                return ok(json(in_datastore<catalog::Offering>(c.store(), ds, route_capture(r, "offering"), "offering")));
            });
    api.add("PATCH", "/datastores/{datastore}/offerings/{offering}", "Change {available, open}: available=false blocks consumption at once",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                return ok(json(c.patch_offering(p, route_capture(r, "datastore"), route_capture(r, "offering"), parse_body(r))));
            });
    api.add("DELETE", "/datastores/{datastore}/offerings/{offering}", "Unpublish: the layer leaves the services",
            [no_content](Catalog& c, const Principal& p, const Request& r) {
                c.unpublish(p, route_capture(r, "datastore"), route_capture(r, "offering"));
                return no_content();
            }, 204);

    // ---- permissions ----
    api.add("GET", "/datastores/{datastore}/permissions", "Permissions granted by the datastore",
            [](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                return page_reply<catalog::Permission>(c.store(), r, {{"datastore", ds.id}});
            });
    api.add("POST", "/datastores/{datastore}/permissions",
            "Grant offerings {licence, end_date, offerings[], type: ACCOUNT|COMMUNITY, users[]}; returns one permission per beneficiary",
            [created](Catalog& c, const Principal& p, const Request& r) {
                return created(json(c.create_permissions(p, route_capture(r, "datastore"), parse_body(r))));
            }, 201);
    api.add("GET", "/datastores/{datastore}/permissions/{permission}", "One permission",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                const Datastore ds = c.datastore_for(p, route_capture(r, "datastore"), false);
                return ok(json(in_datastore<catalog::Permission>(c.store(), ds, route_capture(r, "permission"), "permission")));
            });
    api.add("DELETE", "/datastores/{datastore}/permissions/{permission}", "Revoke a permission and the accesses through it",
            [no_content](Catalog& c, const Principal& p, const Request& r) {
                c.delete_permission(p, route_capture(r, "datastore"), route_capture(r, "permission"));
                return no_content();
            }, 204);

    // ---- the user's permissions, keys and accesses ----
    api.add("GET", "/users/me/permissions", "Permissions granted to me (?personal=true, ?community=true)",
            [ok](Catalog& c, const Principal& p, const Request& r) {
                const bool personal = flag(r, "personal", false), community = flag(r, "community", false);
                return ok(json(c.permissions_of(p, personal || !community, community || !personal)));
            });
    api.add("GET", "/users/me/keys", "My keys",
            [ok](Catalog& c, const Principal& p, const Request&) {
                json out = json::array();
                for (const auto& k : c.store().list<catalog::ApiKey>({{"user", p.user.id}}, {0, 10'000}).items) out.push_back(key_document(k));
                return ok(out);
            });
    api.add("POST", "/users/me/keys",
            "Create a key {name, type: HASH|HEADER|BASIC, type_infos, whitelist[], blacklist[], referer, user_agent}; the secret is shown once",
            [created](Catalog& c, const Principal& p, const Request& r) {
                json j = c.create_key(p, parse_body(r));
                j.erase("secret_hash");
                j.erase("lookup");
                return created(j);
            }, 201);
    api.add("GET", "/users/me/keys/{key}", "One of my keys",
            [ok](Catalog& c, const Principal& p, const Request& r) { return ok(key_document(c.key_of(p, route_capture(r, "key")))); });
    api.add("DELETE", "/users/me/keys/{key}", "Delete a key and its accesses",
            [no_content](Catalog& c, const Principal& p, const Request& r) {
                c.delete_key(p, route_capture(r, "key"));
                return no_content();
            }, 204);
    api.add("GET", "/users/me/keys/{key}/accesses", "Accesses of a key: [{_id, permission, offering}]",
            [ok](Catalog& c, const Principal& p, const Request& r) { return ok(c.accesses_of(p, route_capture(r, "key"))); });
    api.add("POST", "/users/me/keys/{key}/accesses", "Create accesses {permission, offerings[]}",
            [created](Catalog& c, const Principal& p, const Request& r) {
                return created(json(c.create_accesses(p, route_capture(r, "key"), parse_body(r))));
            }, 201);
    api.add("DELETE", "/users/me/keys/{key}/accesses/{access}", "Delete an access",
            [no_content](Catalog& c, const Principal& p, const Request& r) {
                c.delete_access(p, route_capture(r, "key"), route_capture(r, "access"));
                return no_content();
            }, 204);
}

}  // namespace geoplex::server
