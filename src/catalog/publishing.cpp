// The publishing flow: identities and rights, uploads and their checks, processings, configurations,
// offerings and the tile layers they publish. Keys, permissions and accesses are in access.cpp.

#include <algorithm>
#include <cctype>
#include <chrono>

#include <fmt/format.h>

#include "catalog/checks.hpp"
#include "catalog/publishing_impl.hpp"

namespace geoplex::catalog {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view admin_id = "admin";

json body_object(const json& body) {
    if (!body.is_object()) throw InvalidArgument("the request body must be a JSON object");
    return body;
}

std::string string_field(const json& body, const char* key, bool required, std::string fallback = {}) {
    const auto it = body.find(key);
    if (it == body.end() || it->is_null()) {
        if (required) throw InvalidArgument(fmt::format("{}: required", key));
        return fallback;
    }
    if (!it->is_string()) throw InvalidArgument(fmt::format("{}: must be a string", key));
    return it->get<std::string>();
}

bool valid_layer_name(std::string_view s) {
    return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
    });
}

bool valid_technical_name(std::string_view s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    });
}

std::vector<Id> id_list(const json& j, const char* what) {
    std::vector<Id> out;
    if (j.is_null()) return out;
    if (!j.is_array()) throw InvalidArgument(fmt::format("{}: must be an array of ids", what));
    for (const auto& v : j) {
        if (!v.is_string()) throw InvalidArgument(fmt::format("{}: must be an array of ids", what));
        out.push_back(v.get<std::string>());
    }
    return out;
}

/// Endpoints every catalog has: (technical name, type, open, urls).
struct EndpointSeed {
    const char* technical_name;
    EndpointType type;
    bool open;
    std::vector<EndpointUrl> urls;
};

std::vector<EndpointSeed> endpoint_seeds() {
    return {
        {"geoplex-wmts-tms", EndpointType::wmts_tms, true, {{"WMTS", "/wmts"}, {"TMS", "/tms/1.0.0"}}},
        {"geoplex-private-wmts-tms", EndpointType::wmts_tms, false, {{"WMTS", "/private/wmts"}, {"TMS", "/private/tms/1.0.0"}}},
        {"geoplex-vector-tms", EndpointType::vector_tms, true, {{"TMS", "/tms/1.0.0"}}},
        {"geoplex-private-vector-tms", EndpointType::vector_tms, false, {{"TMS", "/private/tms/1.0.0"}}},
        {"geoplex-wfs", EndpointType::wfs, true, {{"WFS", "/wfs"}}},
        {"geoplex-private-wfs", EndpointType::wfs, false, {{"WFS", "/private/wfs"}}},
        {"geoplex-wms-vector", EndpointType::wms_vector, true, {{"WMS", "/wms-v"}}},
        {"geoplex-wms-raster", EndpointType::wms_raster, true, {{"WMS", "/wms-r"}}},
        {"geoplex-download", EndpointType::download, true, {{"DOWNLOAD", "/telechargement"}}},
        {"geoplex-private-wms-vector", EndpointType::wms_vector, false, {{"WMS", "/private/wms-v"}}},
        {"geoplex-private-wms-raster", EndpointType::wms_raster, false, {{"WMS", "/private/wms-r"}}},
        {"geoplex-private-download", EndpointType::download, false, {{"DOWNLOAD", "/private/telechargement"}}},
        {"geoplex-itinerary-isocurve", EndpointType::itinerary_isocurve, true,
         {{"ITINERARY", "/navigation/itineraire"}, {"ISOCURVE", "/navigation/isochrone"}}},
        {"geoplex-altimetry", EndpointType::altimetry, true, {{"ALTIMETRY", "/altimetrie"}}},
        {"geoplex-search", EndpointType::search, true, {{"SEARCH", "/recherche"}}},
        {"geoplex-csw", EndpointType::metadata, true, {{"METADATA", "/csw"}}},
    };
}

bool tile_type(ConfigurationType t) { return t == ConfigurationType::wmts_tms || t == ConfigurationType::vector_tms; }
/// Offerings the servers serve from the stored data: the tile types, WMS, WFS and downloads.
bool served_type(ConfigurationType t) {
    return tile_type(t) || t == ConfigurationType::wfs || t == ConfigurationType::wms_vector || t == ConfigurationType::wms_raster ||
           t == ConfigurationType::download;
}

}  // namespace

// ---- Impl ------------------------------------------------------------------------------------------

Catalog::Impl::Impl(CatalogConfig c, std::shared_ptr<Store> s)
    : config(std::move(c)), store(std::move(s)),
      uploads((config.data_dir / "uploads"), detail::UploadLimits{config.max_file_bytes}),
      storage_dir(config.data_dir / "storage") {
    fs::create_directories(storage_dir);
    if (!config.admin_token.empty()) admin_token_hash = hash_secret(config.admin_token, SecretScheme::salted_sha256);
    ensure_endpoints();
    restore_published();
    stamp = publication_stamp();
    if (config.refresh_interval_ms > 0)
        poller = std::thread([this] {
            const auto period = std::chrono::milliseconds(config.refresh_interval_ms);
            std::unique_lock lock(poll_mutex);
            while (!poll_cv.wait_for(lock, period, [this] { return poll_stopping; })) {
                lock.unlock();
                try {
                    resync();
                } catch (const std::exception&) {  // the store is unreachable: try again at the next tick
                }
                lock.lock();
            }
        });
    if (config.asynchronous)
        worker = std::thread([this] {
            std::unique_lock lock(queue_mutex);
            for (;;) {
                queue_cv.wait(lock, [this] { return stopping || !queue.empty(); });
                if (queue.empty()) return;  // stopping and drained
                auto job = std::move(queue.front());
                queue.pop_front();
                busy = true;
                lock.unlock();
                job();
                lock.lock();
                busy = false;
                if (queue.empty()) idle_cv.notify_all();
            }
        });
}

Catalog::Impl::~Impl() {
    {
        std::lock_guard lock(poll_mutex);
        poll_stopping = true;
    }
    poll_cv.notify_all();
    if (poller.joinable()) poller.join();
    {
        std::lock_guard lock(queue_mutex);
        stopping = true;
    }
    queue_cv.notify_all();
    if (worker.joinable()) worker.join();
}

void Catalog::Impl::enqueue(std::function<void()> job) {
    if (!config.asynchronous) {
        job();
        return;
    }
    {
        std::lock_guard lock(queue_mutex);
        queue.push_back(std::move(job));
    }
    queue_cv.notify_one();
}

void Catalog::Impl::audit(const Principal& by, std::string action, std::string entity, const Id& id, const Id& datastore,
                          const json& detail) {
    AuditEvent e;
    e.actor = by.user.id;
    e.action = std::move(action);
    e.entity = std::move(entity);
    e.entity_id = id;
    e.datastore = datastore;
    e.detail = detail.dump();
    store->append_audit(std::move(e));
}

void Catalog::Impl::ensure_endpoints() {
    const auto existing = store->list<Endpoint>({}, {0, 10'000}).items;
    for (const auto& seed : endpoint_seeds()) {
        const bool found = std::any_of(existing.begin(), existing.end(),
                                       [&](const Endpoint& e) { return e.technical_name == seed.technical_name; });
        if (found) continue;
        Endpoint e;
        e.name = seed.technical_name;
        e.technical_name = seed.technical_name;
        e.type = seed.type;
        e.open = seed.open;
        e.urls = seed.urls;
        store->create(std::move(e));
    }
}

Datastore Catalog::Impl::datastore_for(const Principal& by, const Id& datastore, std::optional<CommunityRight> right) {
    auto ds = store->get<Datastore>(datastore);
    if (!ds) throw CatalogError(404, fmt::format("datastore '{}' not found", datastore));
    if (by.admin()) return *ds;
    for (const auto& m : by.user.communities_member) {
        if (m.community != ds->community) continue;
        if (!right) return *ds;
        if (!by.user.has_role(UserRole::producer))
            throw CatalogError(403, "writing in a datastore needs the producer role");
        if (std::find(m.rights.begin(), m.rights.end(), *right) != m.rights.end()) return *ds;
        throw CatalogError(403, fmt::format("the {} right on community '{}' is needed", to_string(*right), ds->community));
    }
    throw CatalogError(403, fmt::format("not a member of the community of datastore '{}'", datastore));
}

// ---- Catalog: construction, identities ------------------------------------------------------------

Catalog::Catalog(CatalogConfig config) : Catalog(config, std::shared_ptr<Store>(open_store(config.store_uri))) {}

Catalog::Catalog(CatalogConfig config, std::shared_ptr<Store> store) {
    if (auto problems = config.validate(); !problems.empty()) throw InvalidArgument(std::move(problems));
    m_impl = std::make_unique<Impl>(std::move(config), std::move(store));
}

Catalog::~Catalog() = default;

Store& Catalog::store() noexcept { return *m_impl->store; }
const CatalogConfig& Catalog::config() const noexcept { return m_impl->config; }

void Catalog::wait_idle() {
    std::unique_lock lock(m_impl->queue_mutex);
    m_impl->idle_cv.wait(lock, [this] { return m_impl->queue.empty() && !m_impl->busy; });
}

std::optional<Principal> Catalog::authenticate_bearer(std::string_view token) {
    if (token.empty()) return std::nullopt;
    if (!m_impl->admin_token_hash.empty() && verify_secret(token, m_impl->admin_token_hash)) {
        Principal p;
        p.user.id = std::string(admin_id);
        p.user.email = "admin";
        p.user.roles = {UserRole::admin};
        return p;
    }
    // Tokens are "<user id>.<secret>": the id finds the user, the secret is verified.
    const auto dot = token.find('.');
    if (dot == std::string_view::npos || !is_uuid(token.substr(0, dot))) return std::nullopt;
    auto user = m_impl->store->get<User>(token.substr(0, dot));
    if (!user || user->token_hash.empty() || !verify_secret(token.substr(dot + 1), user->token_hash)) return std::nullopt;
    return Principal{*user};
}

std::pair<User, std::string> Catalog::create_user(const Principal& by, const json& body_in) {
    if (!by.admin()) throw CatalogError(403, "only an administrator may create users");
    const json body = body_object(body_in);
    User u;
    u.email = string_field(body, "email", true);
    if (u.email.find('@') == std::string::npos) throw InvalidArgument("email: not an e-mail address");
    u.first_name = string_field(body, "first_name", false);
    u.last_name = string_field(body, "last_name", false);
    if (const auto it = body.find("roles"); it != body.end()) {
        if (!it->is_array()) throw InvalidArgument("roles: must be an array of ADMINISTRATOR/PRODUCER names");
        for (const auto& r : *it) {
            if (!r.is_string()) throw InvalidArgument("roles: must be an array of strings");
            u.roles.push_back(parse<UserRole>(r.get<std::string>()));
        }
    }
    u.id = new_id();
    const std::string secret = random_hex(24);
    u.token_hash = hash_secret(secret, SecretScheme::salted_sha256);
    u = m_impl->store->create(std::move(u));
    m_impl->audit(by, "create", "user", u.id, "");
    return {u, u.id + "." + secret};
}

Community Catalog::create_community(const Principal& by, const json& body_in) {
    if (!by.admin()) throw CatalogError(403, "only an administrator may create communities");
    const json body = body_object(body_in);
    Community c;
    c.name = string_field(body, "name", true);
    c.technical_name = string_field(body, "technical_name", true);
    if (!valid_technical_name(c.technical_name))
        throw InvalidArgument("technical_name: letters, digits, '_' and '-' only (1 to 64)");
    c.contact = string_field(body, "contact", false);
    if (const auto it = body.find("public"); it != body.end() && it->is_boolean()) c.is_public = it->get<bool>();
    const std::string tier = string_field(body, "tier", false, "default");
    const auto tier_it = m_impl->config.storage_tiers.find(tier);
    if (tier_it == m_impl->config.storage_tiers.end()) throw InvalidArgument(fmt::format("tier: unknown tier '{}'", tier));

    Datastore ds;
    ds.name = c.name;
    ds.technical_name = c.technical_name;
    ds.storages_data = {StorageAllowance{StorageType::filesystem, "geoplex-storage", 0, tier_it->second}};
    ds.storage_upload = StorageAllowance{StorageType::filesystem, "geoplex-uploads", 0, m_impl->config.upload_quota};
    for (const auto& e : m_impl->store->list<Endpoint>({}, {0, 10'000}).items)
        ds.endpoints.push_back(EndpointAllowance{e.id, 0, m_impl->config.endpoint_quota});
    ds.processings = {"vector-to-db", "raster-to-pyramid"};
    ds.tags["tier"] = tier;
    m_impl->store->transaction([&](Store& s) {
        c = s.create(std::move(c));
        ds.community = c.id;
        ds = s.create(std::move(ds));
        c.datastore = ds.id;
        c = s.update(std::move(c));
    });
    m_impl->audit(by, "create", "community", c.id, ds.id, json{{"tier", tier}});
    return c;
}

void Catalog::set_member(const Principal& by, const Id& community, const Id& user, const std::vector<CommunityRight>& rights) {
    auto c = m_impl->store->get<Community>(community);
    if (!c) throw CatalogError(404, fmt::format("community '{}' not found", community));
    if (!by.admin() && by.user.id != c->supervisor) throw CatalogError(403, "only an administrator or the supervisor may change members");
    auto u = m_impl->store->get<User>(user);
    if (!u) throw CatalogError(404, fmt::format("user '{}' not found", user));
    auto& members = u->communities_member;
    members.erase(std::remove_if(members.begin(), members.end(), [&](const Membership& m) { return m.community == community; }),
                  members.end());
    members.push_back(Membership{community, rights});
    m_impl->store->update(*u);
    m_impl->audit(by, "update", "community_member", user, c->datastore, json{{"community", community}});
}

Datastore Catalog::datastore_for(const Principal& by, const Id& datastore, bool write) {
    return m_impl->datastore_for(by, datastore, write ? std::optional(CommunityRight::community) : std::nullopt);
}

json Catalog::datastore_document(const Datastore& ds_in) {
    Datastore ds = ds_in;
    const auto data_used = m_impl->data_bytes_used(ds);
    for (auto& s : ds.storages_data) s.use = data_used;
    ds.storage_upload.use = m_impl->upload_bytes_used(ds);
    for (auto& e : ds.endpoints) e.use = m_impl->offerings_on(ds, e.endpoint);
    json j = ds;
    return j;
}

// ---- uploads -----------------------------------------------------------------------------------------

Upload Catalog::create_upload(const Principal& by, const Id& datastore, const json& body_in) {
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::upload);
    const json body = body_object(body_in);
    Upload u;
    u.datastore = ds.id;
    u.name = string_field(body, "name", true);
    u.description = string_field(body, "description", false);
    u.type = parse<UploadType>(string_field(body, "type", true));
    if (u.type != UploadType::vector && u.type != UploadType::raster)
        throw InvalidArgument(fmt::format("type: {} uploads are not supported by this server (VECTOR, RASTER)", to_string(u.type)));
    u.srs = string_field(body, "srs", false, "EPSG:4326");
    u.status = UploadStatus::open;
    u.last_event = LastEvent{"creation", now_iso8601(), by.user.id};
    u = m_impl->store->create(std::move(u));
    m_impl->audit(by, "create", "upload", u.id, ds.id);
    return u;
}

Upload Catalog::add_upload_file(const Principal& by, const Id& datastore, const Id& upload, std::string_view path,
                                std::string_view bytes, std::optional<std::uint64_t> declared) {
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::upload);
    auto u = m_impl->entity_in<Upload>(ds.id, upload, "upload");
    if (u.status != UploadStatus::open)
        throw CatalogError(409, fmt::format("upload '{}' is {}: files can only be added while it is OPEN", u.id, to_string(u.status)));
    const std::uint64_t size = declared.value_or(bytes.size());
    if (std::max<std::uint64_t>(size, bytes.size()) > m_impl->config.max_file_bytes)
        throw CatalogError(413, fmt::format("file too large: {} bytes, the largest file allowed has {} bytes",
                                            std::max<std::uint64_t>(size, bytes.size()), m_impl->config.max_file_bytes));
    const std::int64_t used = m_impl->upload_bytes_used(ds);
    const std::int64_t room = std::max<std::int64_t>(0, ds.storage_upload.quota - used);
    try {
        m_impl->uploads.write(u.id, path, declared, static_cast<std::uint64_t>(room), [&, done = false](std::string& chunk) mutable {
            if (done) return false;
            chunk.assign(bytes);
            done = true;
            return true;
        });
    } catch (const Error& e) {
        if (e.code() != errc::limit_exceeded) throw;
        throw CatalogError(507, e.what());
    }
    u.size = static_cast<std::int64_t>(m_impl->uploads.size(u.id));
    u.last_event = LastEvent{"file added", now_iso8601(), by.user.id};
    u = m_impl->store->update(std::move(u));
    m_impl->audit(by, "upload_file", "upload", u.id, ds.id, json{{"path", std::string(path)}, {"size", bytes.size()}});
    return u;
}

bool Catalog::remove_upload_file(const Principal& by, const Id& datastore, const Id& upload, std::string_view path) {
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::upload);
    auto u = m_impl->entity_in<Upload>(ds.id, upload, "upload");
    if (u.status != UploadStatus::open) throw CatalogError(409, "files can only be removed while the upload is OPEN");
    const bool removed = m_impl->uploads.remove_file(u.id, path);
    u.size = static_cast<std::int64_t>(m_impl->uploads.size(u.id));
    m_impl->store->update(std::move(u));
    m_impl->audit(by, "delete_file", "upload", upload, ds.id, json{{"path", std::string(path)}});
    return removed;
}

json Catalog::upload_tree(const Principal& by, const Id& datastore, const Id& upload) {
    const Datastore ds = m_impl->datastore_for(by, datastore, std::nullopt);
    const auto u = m_impl->entity_in<Upload>(ds.id, upload, "upload");
    // Nested like the reference: [{name, type:"directory", size, children:[…]}, {name, type:"file", size}]
    json root = json::array();
    for (const auto& e : m_impl->uploads.tree(u.id)) {
        json* level = &root;
        std::string_view rest = e.path;
        for (;;) {
            const auto slash = rest.find('/');
            const std::string name(rest.substr(0, slash));
            if (slash == std::string_view::npos) {
                level->push_back(json{{"name", name}, {"type", e.directory ? "directory" : "file"}, {"size", e.size}});
                if (e.directory) level->back()["children"] = json::array();
                break;
            }
            auto it = std::find_if(level->begin(), level->end(), [&](const json& n) { return n["name"] == name; });
            if (it == level->end()) break;  // parents are listed before children
            level = &(*it)["children"];
            rest.remove_prefix(slash + 1);
        }
    }
    return root;
}

Upload Catalog::close_upload(const Principal& by, const Id& datastore, const Id& upload) {
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::upload);
    auto u = m_impl->entity_in<Upload>(ds.id, upload, "upload");
    if (u.status != UploadStatus::open)
        throw CatalogError(409, fmt::format("upload '{}' is {}: only an OPEN upload can be closed", u.id, to_string(u.status)));
    std::vector<std::string> names = {"standard", u.type == UploadType::raster ? "raster" : "vecteur"};
    m_impl->store->transaction([&](Store& s) {
        for (const auto& n : names) {
            CheckExecution c;
            c.upload = u.id;
            c.check = n;
            c.status = CheckStatus::waiting;
            c.creation = now_iso8601();
            s.create(std::move(c));
        }
        u.status = UploadStatus::checking;
        u.last_event = LastEvent{"closed", now_iso8601(), by.user.id};
        u = s.update(std::move(u));
    });
    m_impl->audit(by, "close", "upload", u.id, ds.id);
    m_impl->enqueue([impl = m_impl.get(), id = u.id] { impl->run_checks(id); });
    return m_impl->store->require<Upload>(upload);
}

void Catalog::Impl::run_checks(const Id& upload_id) {
    auto u = store->get<Upload>(upload_id);
    if (!u) return;
    bool all_ok = true;
    const auto tree = uploads.tree(u->id);
    for (auto c : store->list<CheckExecution>({{"upload", u->id}}, {0, 1000}).items) {
        if (c.status != CheckStatus::waiting) continue;
        c.status = CheckStatus::progress;
        c.start = now_iso8601();
        c = store->update(std::move(c));
        detail::CheckOutcome outcome;
        try {
            if (c.check == "standard") outcome = detail::check_standard(uploads, u->id);
            else if (c.check == "raster") outcome = detail::check_raster(uploads.dir(u->id), tree, u->srs);
            else outcome = detail::check_vector(uploads.dir(u->id), tree, u->srs);
        } catch (const std::exception& e) {
            outcome.success = false;
            outcome.logs.push_back(fmt::format("check failed: {}", e.what()));
        }
        c.logs = outcome.logs;
        c.status = outcome.success ? CheckStatus::success : CheckStatus::failure;
        c.finish = now_iso8601();
        store->update(std::move(c));
        all_ok = all_ok && outcome.success;
    }
    u = store->get<Upload>(upload_id);
    if (!u) return;
    u->status = all_ok ? UploadStatus::closed : UploadStatus::unstable;
    u->last_event = LastEvent{all_ok ? "checks passed" : "checks failed", now_iso8601(), "system"};
    store->update(*u);
}

json Catalog::upload_checks(const Principal& by, const Id& datastore, const Id& upload) {
    const Datastore ds = m_impl->datastore_for(by, datastore, std::nullopt);
    const auto u = m_impl->entity_in<Upload>(ds.id, upload, "upload");
    json out{{"asked", json::array()}, {"in_progress", json::array()}, {"passed", json::array()}, {"failed", json::array()}};
    for (const auto& c : m_impl->store->list<CheckExecution>({{"upload", u.id}}, {0, 1000}).items) {
        json item{{"_id", c.id}, {"check", {{"_id", c.check}, {"name", c.check}}}, {"status", to_string(c.status)},
                  {"creation", c.creation}, {"start", c.start}, {"finish", c.finish}};
        const char* bucket = c.status == CheckStatus::waiting    ? "asked"
                             : c.status == CheckStatus::progress ? "in_progress"
                             : c.status == CheckStatus::success  ? "passed"
                                                                 : "failed";
        out[bucket].push_back(std::move(item));
    }
    return out;
}

void Catalog::delete_upload(const Principal& by, const Id& datastore, const Id& upload) {
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::upload);
    auto u = m_impl->entity_in<Upload>(ds.id, upload, "upload");
    if (u.status == UploadStatus::checking) throw CatalogError(409, "the upload is being checked; delete it afterwards");
    m_impl->uploads.remove(u.id);
    u.status = UploadStatus::deleted;
    u.size = 0;
    m_impl->store->update(std::move(u));
    m_impl->audit(by, "delete", "upload", upload, ds.id);
}

// ---- processings -------------------------------------------------------------------------------------

json Catalog::processings() {
    return json::array({
        json{{"_id", "vector-to-db"}, {"name", "Intégration de données vecteur livrées en base"},
             {"input_types", {{"upload", {"VECTOR"}}, {"stored_data", json::array()}}}, {"output_type", {{"stored_data", "VECTOR-DB"}}},
             {"parameters", json::array({json{{"name", "srs"}, {"mandatory", false}}})}},
        json{{"_id", "raster-to-pyramid"}, {"name", "Calcul de pyramide raster (rendue à la volée)"},
             {"input_types", {{"upload", {"RASTER"}}, {"stored_data", json::array()}}},
             {"output_type", {{"stored_data", "ROK4-PYRAMID-RASTER"}}}, {"parameters", json::array()}},
    });
}

ProcessingExecution Catalog::create_execution(const Principal& by, const Id& datastore, const json& body_in) {
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::processing);
    const json body = body_object(body_in);
    const std::string processing = string_field(body, "processing", true);
    if (processing != "vector-to-db" && processing != "raster-to-pyramid")
        throw InvalidArgument(fmt::format("processing: unknown processing '{}' (vector-to-db, raster-to-pyramid)", processing));
    const auto inputs = body.value("inputs", json::object());
    const auto uploads = id_list(inputs.value("upload", json::array()), "inputs.upload");
    if (uploads.size() != 1) throw InvalidArgument("inputs.upload: exactly one upload id");
    const auto u = m_impl->entity_in<Upload>(ds.id, uploads.front(), "upload");
    const UploadType wanted = processing == "vector-to-db" ? UploadType::vector : UploadType::raster;
    if (u.type != wanted)
        throw InvalidArgument(fmt::format("inputs.upload: {} takes a {} upload, not {}", processing, to_string(wanted), to_string(u.type)));
    if (u.status != UploadStatus::closed)
        throw CatalogError(409, fmt::format("upload '{}' is {}: it must be CLOSED with its checks passed", u.id, to_string(u.status)));
    const auto output = body.value("output", json::object()).value("stored_data", json::object());
    if (!output.is_object()) throw InvalidArgument("output.stored_data: must be an object {name, storage_tags}");
    StoredData sd;
    sd.datastore = ds.id;
    sd.name = string_field(output, "name", true);
    sd.type = processing == "vector-to-db" ? StoredDataType::vector_db : StoredDataType::rok4_pyramid_raster;
    sd.status = StoredDataStatus::created;
    sd.srs = u.srs;
    if (const auto t = output.find("storage_tags"); t != output.end() && t->is_array())
        for (const auto& v : *t)
            if (v.is_string()) sd.storage_labels.push_back(v.get<std::string>());
    const json parameters = body.value("parameters", json::object());
    if (!parameters.is_object()) throw InvalidArgument("parameters: must be an object");
    if (parameters.contains("srs") && !parameters["srs"].is_string()) throw InvalidArgument("parameters.srs: must be a string");
    ProcessingExecution ex;
    m_impl->store->transaction([&](Store& s) {
        sd = s.create(std::move(sd));
        ex.datastore = ds.id;
        ex.processing = processing;
        ex.status = ProcessingStatus::created;
        ex.input_uploads = {u.id};
        ex.output_stored_data = sd.id;
        ex.parameters = parameters.dump();
        ex.creation = now_iso8601();
        ex = s.create(std::move(ex));
    });
    m_impl->audit(by, "create", "processing_execution", ex.id, ds.id, json{{"processing", processing}});
    return ex;
}

ProcessingExecution Catalog::launch_execution(const Principal& by, const Id& datastore, const Id& execution) {
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::processing);
    auto ex = m_impl->entity_in<ProcessingExecution>(ds.id, execution, "processing execution");
    if (ex.status != ProcessingStatus::created)
        throw CatalogError(409, fmt::format("execution '{}' is {}: only a CREATED execution can be launched", ex.id, to_string(ex.status)));
    // Storage quota, before any byte is written: the output is about the size of the input.
    std::int64_t input_bytes = 0;
    for (const auto& id : ex.input_uploads)
        if (auto u = m_impl->store->get<Upload>(id)) input_bytes += u->size;
    const std::int64_t used = m_impl->data_bytes_used(ds), quota = m_impl->data_quota(ds);
    if (used + input_bytes > quota)
        throw CatalogError(507, fmt::format("storage quota exceeded: {} bytes used + about {} bytes for this output > quota of {} bytes",
                                            used, input_bytes, quota));
    ex.status = ProcessingStatus::waiting;
    ex.launch = now_iso8601();
    ex = m_impl->store->update(std::move(ex));
    m_impl->audit(by, "launch", "processing_execution", ex.id, ds.id);
    m_impl->enqueue([impl = m_impl.get(), id = ex.id] { impl->run_execution(id); });
    return m_impl->store->require<ProcessingExecution>(execution);
}

void Catalog::Impl::run_execution(const Id& execution_id) {
    auto ex = store->get<ProcessingExecution>(execution_id);
    if (!ex || ex->status != ProcessingStatus::waiting) return;
    auto sd = store->get<StoredData>(ex->output_stored_data);
    auto up = ex->input_uploads.empty() ? std::nullopt : store->get<Upload>(ex->input_uploads.front());
    auto ds = store->get<Datastore>(ex->datastore);
    if (!sd || !up || !ds) {
        ex->status = ProcessingStatus::failure;
        ex->logs.emplace_back("input or output vanished before the execution started");
        store->update(*ex);
        return;
    }
    ex->status = ProcessingStatus::progress;
    ex->start = now_iso8601();
    ex = store->update(*ex);
    sd->status = StoredDataStatus::generating;
    sd = store->update(*sd);
    const fs::path out_dir = storage_dir / sd->datastore / sd->id;
    std::vector<std::string> logs;
    bool ok = false;
    try {
        const json params = json::parse(ex->parameters.empty() ? "{}" : ex->parameters);
        const auto tree = uploads.tree(up->id);
        if (ex->processing == "vector-to-db")
            detail::vector_to_db(uploads.dir(up->id), tree, up->srs, params.value("srs", std::string()), out_dir, *sd, logs);
        else
            detail::raster_to_store(uploads.dir(up->id), tree, up->srs, out_dir, *sd, logs);
        // The real size is known now: still within the quota? Otherwise nothing is kept.
        const std::int64_t others = data_bytes_used(*ds);  // sd itself is not GENERATED yet: its size counts 0 or old
        if (others + sd->size > data_quota(*ds)) {
            logs.push_back(fmt::format("storage quota exceeded: {} bytes + {} bytes > {} bytes; output removed", others, sd->size,
                                       data_quota(*ds)));
        } else {
            ok = true;
        }
    } catch (const std::exception& e) {
        logs.push_back(fmt::format("processing failed: {}", e.what()));
    }
    if (!ok) {
        std::error_code ec;
        fs::remove_all(out_dir, ec);
        sd->size = 0;
        sd->path.clear();
    }
    sd->status = ok ? StoredDataStatus::generated : StoredDataStatus::unstable;
    sd->last_event = LastEvent{ok ? "generated" : "generation failed", now_iso8601(), "system"};
    store->update(*sd);
    ex->logs = logs;
    ex->progress = 1.0;
    ex->status = ok ? ProcessingStatus::success : ProcessingStatus::failure;
    ex->finish = now_iso8601();
    store->update(*ex);
}

void Catalog::delete_stored_data(const Principal& by, const Id& datastore, const Id& stored_data) {
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::processing);
    auto sd = m_impl->entity_in<StoredData>(ds.id, stored_data, "stored data");
    for (const auto& c : m_impl->store->list<Configuration>({{"datastore", ds.id}}, {0, 100'000}).items)
        if (std::find(c.used_stored_data.begin(), c.used_stored_data.end(), sd.id) != c.used_stored_data.end())
            throw CatalogError(409, fmt::format("stored data '{}' is used by configuration '{}'", sd.id, c.id));
    std::error_code ec;
    fs::remove_all(m_impl->storage_dir / sd.datastore / sd.id, ec);
    sd.status = StoredDataStatus::deleted;
    sd.size = 0;
    sd.path.clear();
    m_impl->store->update(std::move(sd));
    m_impl->audit(by, "delete", "stored_data", stored_data, ds.id);
}

// ---- configurations and offerings ---------------------------------------------------------------------

Configuration Catalog::create_configuration(const Principal& by, const Id& datastore, const json& body_in) {
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::broadcast);
    const json body = body_object(body_in);
    Configuration c;
    c.datastore = ds.id;
    c.type = parse<ConfigurationType>(string_field(body, "type", true));
    c.name = string_field(body, "name", true);
    c.layer_name = string_field(body, "layer_name", true);
    if (!valid_layer_name(c.layer_name)) throw InvalidArgument("layer_name: letters, digits, '_', '-' and '.' only (1 to 128)");
    for (const auto& other : m_impl->store->list<Configuration>({}, {0, 1'000'000}).items)
        if (other.layer_name == c.layer_name) throw CatalogError(409, fmt::format("layer_name '{}' is already used", c.layer_name));
    const json type_infos = body.value("type_infos", json::object());
    if (!type_infos.is_object()) throw InvalidArgument("type_infos: must be an object");
    const json used = type_infos.value("used_data", json::array());
    if (!used.is_array() || used.empty()) throw InvalidArgument("type_infos.used_data: at least one {stored_data, …}");
    for (const auto& u : used) {
        if (!u.is_object() || !u.contains("stored_data") || !u["stored_data"].is_string())
            throw InvalidArgument("type_infos.used_data[]: each needs a stored_data id");
        const auto sd = m_impl->entity_in<StoredData>(ds.id, u["stored_data"].get<std::string>(), "stored data");
        if (sd.status != StoredDataStatus::generated)
            throw CatalogError(409, fmt::format("stored data '{}' is {}, not GENERATED", sd.id, to_string(sd.status)));
        const bool raster = sd.type == StoredDataType::rok4_pyramid_raster;
        if ((c.type == ConfigurationType::wmts_tms || c.type == ConfigurationType::wms_raster) && !raster)
            throw InvalidArgument(fmt::format("type_infos.used_data: a {} configuration needs ROK4-PYRAMID-RASTER stored data", to_string(c.type)));
        if ((c.type == ConfigurationType::vector_tms || c.type == ConfigurationType::wfs || c.type == ConfigurationType::wms_vector) &&
            sd.type != StoredDataType::vector_db)
            throw InvalidArgument(fmt::format("type_infos.used_data: a {} configuration needs VECTOR-DB stored data", to_string(c.type)));
        if (u.contains("relations")) {
            if (!u["relations"].is_array()) throw InvalidArgument("type_infos.used_data[].relations: must be an array");
            for (const auto& r : u["relations"]) {
                const std::string native = r.is_object() ? r.value("native_name", std::string()) : std::string();
                if (std::none_of(sd.relations.begin(), sd.relations.end(), [&](const Relation& x) { return x.name == native; }))
                    throw InvalidArgument(fmt::format("type_infos.used_data[].relations: '{}' is not a relation of stored data '{}'", native, sd.id));
            }
        }
        c.used_stored_data.push_back(sd.id);
    }
    c.type_infos = type_infos.dump();
    c.status = ConfigurationStatus::unpublished;
    c.last_event = LastEvent{"creation", now_iso8601(), by.user.id};
    c = m_impl->store->create(std::move(c));
    m_impl->audit(by, "create", "configuration", c.id, ds.id, json{{"layer_name", c.layer_name}});
    return c;
}

void Catalog::delete_configuration(const Principal& by, const Id& datastore, const Id& configuration) {
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::broadcast);
    const auto c = m_impl->entity_in<Configuration>(ds.id, configuration, "configuration");
    for (const auto& o : m_impl->store->list<Offering>({{"datastore", ds.id}}, {0, 100'000}).items)
        if (o.configuration == c.id) throw CatalogError(409, fmt::format("configuration '{}' is published by offering '{}'", c.id, o.id));
    m_impl->store->remove<Configuration>(c.id);
    m_impl->audit(by, "delete", "configuration", c.id, ds.id);
}

void Catalog::Impl::serve_offering(const Offering& o, const Endpoint& endpoint) {
    if (!served_type(o.type)) return;
    const auto c = store->require<Configuration>(o.configuration);
    const json ti = json::parse(c.type_infos);
    const json used = ti.value("used_data", json::array());
    if (used.empty()) throw InvalidArgument("the configuration uses no stored data");
    const auto sd = store->require<StoredData>(used.front().value("stored_data", std::string()));
    if (sd.path.empty() || sd.status != StoredDataStatus::generated)
        throw CatalogError(409, fmt::format("stored data '{}' has no generated data to serve", sd.id));
    // The reference's pyramid levels bound the zooms served.
    const auto level = [&](const char* key, int& zoom) {
        if (used.front().contains(key) && used.front()[key].is_number_integer()) zoom = used.front()[key].get<int>();
    };
    tiles::BuildConfig bc;
    if (o.type == ConfigurationType::wmts_tms || o.type == ConfigurationType::wms_raster ||
        (o.type == ConfigurationType::download && sd.type == StoredDataType::rok4_pyramid_raster)) {
        tiles::RasterLayerConfig r;
        r.id = o.layer_name;
        r.title = ti.value("title", c.name);
        r.description = ti.value("abstract", std::string());
        r.path = sd.path;
        level("top_level", r.min_zoom);
        level("bottom_level", r.max_zoom);
        bc.raster_layers.push_back(std::move(r));
    } else {
        tiles::VectorLayerConfig v;
        v.id = o.layer_name;
        v.title = ti.value("title", c.name);
        v.description = ti.value("abstract", std::string());
        v.path = sd.path;
        const json rel = used.front().value("relations", json::array());
        v.source_layer = !rel.empty() ? rel.front().value("native_name", std::string())
                                      : (sd.relations.empty() ? std::string() : sd.relations.front().name);
        level("top_level", v.min_zoom);
        level("bottom_level", v.max_zoom);
        bc.vector_layers.push_back(std::move(v));
    }
    auto layer = std::make_shared<PublishedLayer>(PublishedLayer{o.layer_name, o, !endpoint.open, tiles::Tileset::from_config(bc)});
    std::unique_lock lock(layers_mutex);
    layers[{!endpoint.open, o.layer_name}] = std::move(layer);
}

void Catalog::Impl::unserve_offering(const Offering& o, const Endpoint& endpoint) {
    std::unique_lock lock(layers_mutex);
    layers.erase({!endpoint.open, o.layer_name});
}

std::string Catalog::Impl::publication_stamp() {
    // Audit events are append-only and every publish, patch and unpublish appends one: their count
    // grows with each offering write of any replica. The offering count covers the moment between
    // a writer's commit and its audit event.
    const auto events = store->list<AuditEvent>({{"entity", "offering"}}, {0, 0}).total;
    const auto offerings = store->list<Offering>({}, {0, 0}).total;
    return fmt::format("{}/{}", events, offerings);
}

bool Catalog::Impl::resync() {
    std::lock_guard sync(sync_mutex);
    const std::string now = publication_stamp();  // read first: a later write changes it again
    if (now == stamp) return false;
    std::map<Id, Endpoint> endpoints;
    for (auto& e : store->list<Endpoint>({}, {0, 10'000}).items) endpoints.emplace(e.id, std::move(e));
    std::map<std::pair<bool, std::string>, std::pair<Offering, const Endpoint*>> wanted;
    for (auto& o : store->list<Offering>({}, {0, 1'000'000}).items) {
        if (o.status != OfferingStatus::published || !served_type(o.type)) continue;
        const auto e = endpoints.find(o.endpoint);
        if (e == endpoints.end()) continue;
        const std::pair<bool, std::string> key{!e->second.open, o.layer_name};
        wanted.emplace(key, std::make_pair(std::move(o), &e->second));
    }
    decltype(layers) current;
    {
        std::shared_lock lock(layers_mutex);
        current = layers;
    }
    bool changed = false;
    for (const auto& [key, layer] : current)
        if (!wanted.contains(key)) {
            std::unique_lock lock(layers_mutex);
            layers.erase(key);
            changed = true;
        }
    for (const auto& [key, want] : wanted) {
        const auto& [o, endpoint] = want;
        const auto it = current.find(key);
        const bool same_source = it != current.end() && it->second->offering.id == o.id &&
                                 it->second->offering.configuration == o.configuration && it->second->offering.type == o.type;
        if (!same_source) {
            try {
                serve_offering(o, *endpoint);
                changed = true;
            } catch (const std::exception&) {  // not servable here (yet): the stamp's next change retries
            }
        } else if (!(it->second->offering == o)) {  // patched elsewhere: available, open
            auto copy = std::make_shared<PublishedLayer>(*it->second);
            copy->offering = o;
            std::unique_lock lock(layers_mutex);
            layers[key] = std::move(copy);
            changed = true;
        }
    }
    stamp = now;
    if (changed) ++generation;
    return changed;
}

bool Catalog::refresh() { return m_impl->resync(); }

void Catalog::Impl::restore_published() {
    for (const auto& o : store->list<Offering>({}, {0, 1'000'000}).items) {
        if (o.status != OfferingStatus::published || !served_type(o.type)) continue;
        const auto e = store->get<Endpoint>(o.endpoint);
        if (!e) continue;
        try {
            serve_offering(o, *e);
        } catch (const std::exception&) {
            auto broken = o;
            broken.status = OfferingStatus::unstable;
            store->update(std::move(broken));
        }
    }
}

Offering Catalog::publish(const Principal& by, const Id& datastore, const Id& configuration, const json& body_in) {
    std::lock_guard sync(m_impl->sync_mutex);
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::broadcast);
    const json body = body_object(body_in);
    auto c = m_impl->entity_in<Configuration>(ds.id, configuration, "configuration");
    const std::string endpoint_id = string_field(body, "endpoint", true);
    const auto endpoint = m_impl->store->get<Endpoint>(endpoint_id);
    if (!endpoint) throw CatalogError(404, fmt::format("endpoint '{}' not found", endpoint_id));
    if (to_string(endpoint->type) != to_string(c.type))
        throw InvalidArgument(fmt::format("endpoint: a {} configuration needs a {} endpoint, '{}' is {}", to_string(c.type),
                                          to_string(c.type), endpoint->technical_name, to_string(endpoint->type)));
    bool open = endpoint->open;
    if (const auto it = body.find("open"); it != body.end()) {
        if (!it->is_boolean()) throw InvalidArgument("open: must be a boolean");
        open = it->get<bool>();
    }
    if (endpoint->open && !open) throw InvalidArgument("open: offerings on an open endpoint are always open");
    for (const auto& other : m_impl->store->list<Offering>({{"datastore", ds.id}}, {0, 100'000}).items)
        if (other.configuration == c.id && other.endpoint == endpoint->id)
            throw CatalogError(409, fmt::format("configuration '{}' is already published on '{}' (offering '{}')", c.id,
                                                endpoint->technical_name, other.id));
    m_impl->check_offering_quota(ds, *endpoint);

    Offering o;
    o.id = new_id();
    o.datastore = ds.id;
    o.configuration = c.id;
    o.endpoint = endpoint->id;
    o.type = c.type;
    o.open = open;
    o.available = true;
    o.layer_name = c.layer_name;
    o.status = OfferingStatus::published;
    for (const auto& u : endpoint->urls) {
        if (u.type == "TMS")
            o.urls.push_back({"TMS", fmt::format("{}/{}/{{z}}/{{x}}/{{y}}.{}", u.url, c.layer_name,
                                                 c.type == ConfigurationType::vector_tms ? "pbf" : "png")});
        else if (u.type == "WMTS")
            o.urls.push_back({"WMTS", u.url + "?SERVICE=WMTS&VERSION=1.0.0&REQUEST=GetCapabilities"});
        else
            o.urls.push_back(u);
    }
    // The layer is built before anything is stored: a failure leaves no offering behind.
    m_impl->serve_offering(o, *endpoint);
    try {
        m_impl->store->transaction([&](Store& s) {
            o = s.create(std::move(o));
            c.status = ConfigurationStatus::published;
            c.last_event = LastEvent{"published", now_iso8601(), by.user.id};
            s.update(c);
        });
    } catch (...) {
        m_impl->unserve_offering(o, *endpoint);
        throw;
    }
    ++m_impl->generation;
    m_impl->audit(by, "publish", "offering", o.id, ds.id, json{{"configuration", c.id}, {"endpoint", endpoint->technical_name}});
    return o;
}

Offering Catalog::patch_offering(const Principal& by, const Id& datastore, const Id& offering, const json& body_in) {
    std::lock_guard sync(m_impl->sync_mutex);
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::broadcast);
    const json body = body_object(body_in);
    auto o = m_impl->entity_in<Offering>(ds.id, offering, "offering");
    const auto endpoint = m_impl->store->require<Endpoint>(o.endpoint);
    bool closed_now = false;
    if (const auto it = body.find("available"); it != body.end()) {
        if (!it->is_boolean()) throw InvalidArgument("available: must be a boolean");
        o.available = it->get<bool>();
    }
    if (const auto it = body.find("open"); it != body.end()) {
        if (!it->is_boolean()) throw InvalidArgument("open: must be a boolean");
        if (endpoint.open && !it->get<bool>()) throw InvalidArgument("open: offerings on an open endpoint are always open");
        closed_now = o.open && !it->get<bool>();
        o.open = it->get<bool>();
    }
    m_impl->store->transaction([&](Store& s) {
        o = s.update(std::move(o));
        if (closed_now)  // accesses created without a permission go with the openness (§6.3)
            for (const auto& a : s.list<Access>({{"offering", o.id}}, {0, 1'000'000}).items)
                if (a.permission.empty()) s.remove<Access>(a.id);
    });
    if (served_type(o.type)) {
        std::unique_lock lock(m_impl->layers_mutex);
        const auto it = m_impl->layers.find({!endpoint.open, o.layer_name});
        if (it != m_impl->layers.end()) {
            auto copy = std::make_shared<PublishedLayer>(*it->second);
            copy->offering = o;
            it->second = std::move(copy);
        }
    }
    ++m_impl->generation;
    m_impl->audit(by, "update", "offering", o.id, ds.id, body);
    return o;
}

void Catalog::unpublish(const Principal& by, const Id& datastore, const Id& offering) {
    std::lock_guard sync(m_impl->sync_mutex);
    const Datastore ds = m_impl->datastore_for(by, datastore, CommunityRight::broadcast);
    const auto o = m_impl->entity_in<Offering>(ds.id, offering, "offering");
    const auto endpoint = m_impl->store->require<Endpoint>(o.endpoint);
    m_impl->unserve_offering(o, endpoint);
    m_impl->store->transaction([&](Store& s) {
        for (const auto& a : s.list<Access>({{"offering", o.id}}, {0, 1'000'000}).items) s.remove<Access>(a.id);
        for (auto p : s.list<Permission>({{"datastore", ds.id}}, {0, 1'000'000}).items) {
            const auto it = std::find(p.offerings.begin(), p.offerings.end(), o.id);
            if (it == p.offerings.end()) continue;
            p.offerings.erase(it);
            s.update(std::move(p));
        }
        s.remove<Offering>(o.id);
        bool still = false;
        for (const auto& other : s.list<Offering>({{"datastore", ds.id}}, {0, 100'000}).items)
            still = still || other.configuration == o.configuration;
        if (!still) {
            if (auto c = s.get<Configuration>(o.configuration)) {
                c->status = ConfigurationStatus::unpublished;
                s.update(*c);
            }
        }
    });
    ++m_impl->generation;
    m_impl->audit(by, "unpublish", "offering", o.id, ds.id, json{{"layer_name", o.layer_name}});
}

// ---- consumption -----------------------------------------------------------------------------------

std::vector<std::shared_ptr<const PublishedLayer>> Catalog::published(bool restricted) const {
    std::vector<std::shared_ptr<const PublishedLayer>> out;
    std::shared_lock lock(m_impl->layers_mutex);
    for (const auto& [k, v] : m_impl->layers)
        if (k.first == restricted) out.push_back(v);
    return out;
}

std::uint64_t Catalog::generation() const noexcept { return m_impl->generation.load(); }

std::shared_ptr<const PublishedLayer> Catalog::published_layer(std::string_view layer, bool restricted) const {
    std::shared_lock lock(m_impl->layers_mutex);
    const auto it = m_impl->layers.find({restricted, std::string(layer)});
    return it == m_impl->layers.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const PublishedLayer>> Catalog::published(ConfigurationType type, bool restricted) const {
    std::vector<std::shared_ptr<const PublishedLayer>> out;
    for (auto& l : published(restricted))
        if (l->offering.type == type) out.push_back(std::move(l));
    return out;
}

std::shared_ptr<const PublishedLayer> Catalog::published_layer(ConfigurationType type, std::string_view layer, bool restricted) const {
    auto l = published_layer(layer, restricted);
    return l != nullptr && l->offering.type == type ? l : nullptr;
}

}  // namespace geoplex::catalog
