#pragma once
// The publishing flow of the catalog (reference §6.2–6.4) over a Store:
//
//   upload (files checked and counted against the upload quota) → close → checks (async) →
//   processing execution (async: vector → VECTOR-DB GeoPackage, raster → stored GeoTIFF rendered
//   on the fly) → configuration → offering on an endpoint (offering quota) → the layer is served
//   by the tile services (WMTS-TMS, VECTOR-TMS) — openly, or under /private/… with key + access.
//
// Catalog is the one object the REST API (server/catalog_api) drives. Every write takes the
// acting Principal, checks its rights, and appends an audit event. Long steps (checks,
// processings) run on a worker thread; wait_idle() lets tests and tools wait for them.
//
//   CatalogConfig cfg;  cfg.store_uri = "sqlite:/srv/catalog.sqlite";  cfg.data_dir = "/srv/catalog";
//   cfg.admin_token = "…";   // or GEOPLEX_CATALOG_ADMIN_TOKEN
//   Catalog catalog(cfg);
//   auto admin = catalog.authenticate_bearer("…");

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "geoplex/catalog/access.hpp"
#include "geoplex/catalog/model.hpp"
#include "geoplex/catalog/store.hpp"
#include "geoplex/tiles/tiles.hpp"

namespace geoplex::catalog {

/// The [catalog] section of the server configuration.
struct CatalogConfig {
    /// Store location (see open_store): "sqlite:/path/catalog.sqlite", "postgresql://…".
    std::string store_uri = "sqlite::memory:";
    /// Uploads live in <data_dir>/uploads, stored data in <data_dir>/storage.
    std::filesystem::path data_dir;
    /// Bootstrap administrator bearer token ("" = none; the env var GEOPLEX_CATALOG_ADMIN_TOKEN
    /// is read by the server when this is empty).
    std::string admin_token;
    /// Quotas of a new community's datastore, in bytes, by tier; "default" is used when the
    /// community names no tier. Default tier: free up to 500 GB of data.
    std::map<std::string, std::int64_t> storage_tiers{{"default", 500'000'000'000}};
    /// Upload area quota of a new datastore, in bytes.
    std::int64_t upload_quota = 500'000'000'000;
    /// Offerings allowed per endpoint in a new datastore.
    std::int64_t endpoint_quota = 10;
    /// Largest single uploaded file.
    std::uint64_t max_file_bytes = std::uint64_t{5} << 30U;
    /// Run checks and processings on a worker thread (false = inline, during the API call).
    bool asynchronous = true;
    /// Replicas sharing one store (PostgreSQL, or one SQLite file): every this many milliseconds
    /// the catalog checks the store's publication stamp (offering audit events and offerings) and,
    /// when another replica published, patched or unpublished, serves / drops / updates the
    /// layers to match (see refresh()). 0 = never poll (single server).
    unsigned refresh_interval_ms = 1000;

    [[nodiscard]] std::vector<std::string> validate() const;
};

/// Who is acting: an authenticated user, or the bootstrap administrator (user.id == "admin").
struct Principal {
    User user;
    [[nodiscard]] bool admin() const noexcept { return user.has_role(UserRole::admin); }
};

/// A failed request with an HTTP status the API keeps (401, 403, 404, 409, 413, 507).
class CatalogError : public Error {
public:
    CatalogError(int status, const std::string& message) : Error(status == 404 ? errc::not_found : errc::invalid_argument, message), m_status(status) {}
    [[nodiscard]] int status() const noexcept { return m_status; }

private:
    int m_status;
};

/// A layer the tile services serve because an offering publishes it.
struct PublishedLayer {
    std::string layer;        ///< layer id in URLs (the offering's layer_name)
    Offering offering;
    bool restricted = false;  ///< on a non-open endpoint: /private/… with key + access
    tiles::Tileset tileset;   ///< holds exactly this layer
};

/// The credentials a consumer request carries, as extracted by the server.
struct PresentedKey {
    std::string hash;                                            ///< apikey / api_key / apiKey / X-Key
    std::vector<std::pair<std::string, std::string>> headers;    ///< every header (lower-case names) for HEADER keys
    std::string basic_login, basic_password;                     ///< Authorization: Basic
    std::string address, referer, user_agent;
    [[nodiscard]] bool empty() const noexcept { return hash.empty() && basic_login.empty() && !has_header_candidates; }
    bool has_header_candidates = false;
};

/// What a consumer may do with a restricted layer.
enum class AccessVerdict { granted, no_key, unknown_key, no_access, expired, unavailable, rule_denied };

class Catalog {
public:
    explicit Catalog(CatalogConfig config);
    /// With a store opened by the caller (tests share one).
    Catalog(CatalogConfig config, std::shared_ptr<Store> store);
    ~Catalog();
    Catalog(const Catalog&) = delete;
    Catalog& operator=(const Catalog&) = delete;

    [[nodiscard]] Store& store() noexcept;
    [[nodiscard]] const CatalogConfig& config() const noexcept;

    // ---- identities ------------------------------------------------------------------------------
    /// The user behind "Authorization: Bearer <token>", or nullopt.
    [[nodiscard]] std::optional<Principal> authenticate_bearer(std::string_view token);
    /// Creates a user (admin only); returns it with its bearer token (shown once).
    std::pair<User, std::string> create_user(const Principal& by, const nlohmann::json& body);
    /// Creates a community with its datastore (admin only); body {name, technical_name, tier?, contact?, public?}.
    Community create_community(const Principal& by, const nlohmann::json& body);
    /// Adds/replaces a member's rights (admin or the community's supervisor).
    void set_member(const Principal& by, const Id& community, const Id& user, const std::vector<CommunityRight>& rights);

    /// The datastore if `by` may read it (member or admin); CatalogError 403/404 otherwise.
    Datastore datastore_for(const Principal& by, const Id& datastore, bool write);
    /// The datastore document with `use` filled in (storages and endpoints).
    [[nodiscard]] nlohmann::json datastore_document(const Datastore& ds);

    // ---- uploads -----------------------------------------------------------------------------------
    Upload create_upload(const Principal& by, const Id& datastore, const nlohmann::json& body);
    /// Writes one file into an OPEN upload. `declared` is the Content-Length. Quota and path
    /// errors change nothing.
    Upload add_upload_file(const Principal& by, const Id& datastore, const Id& upload, std::string_view path,
                           std::string_view bytes, std::optional<std::uint64_t> declared);
    bool remove_upload_file(const Principal& by, const Id& datastore, const Id& upload, std::string_view path);
    [[nodiscard]] nlohmann::json upload_tree(const Principal& by, const Id& datastore, const Id& upload);
    /// OPEN → CLOSED → CHECKING → (CLOSED | UNSTABLE) with the check executions.
    Upload close_upload(const Principal& by, const Id& datastore, const Id& upload);
    /// {asked[], in_progress[], passed[], failed[]}
    [[nodiscard]] nlohmann::json upload_checks(const Principal& by, const Id& datastore, const Id& upload);
    void delete_upload(const Principal& by, const Id& datastore, const Id& upload);

    // ---- processings -------------------------------------------------------------------------------
    /// The processings this server runs: [{_id, name, input_types, output_type}].
    [[nodiscard]] static nlohmann::json processings();
    ProcessingExecution create_execution(const Principal& by, const Id& datastore, const nlohmann::json& body);
    ProcessingExecution launch_execution(const Principal& by, const Id& datastore, const Id& execution);
    void delete_stored_data(const Principal& by, const Id& datastore, const Id& stored_data);

    // ---- configurations and offerings --------------------------------------------------------------
    Configuration create_configuration(const Principal& by, const Id& datastore, const nlohmann::json& body);
    void delete_configuration(const Principal& by, const Id& datastore, const Id& configuration);
    /// Publishes a configuration on an endpoint (offering quota checked first: 409 and nothing
    /// changed when full). WMTS-TMS and VECTOR-TMS layers are served at once.
    Offering publish(const Principal& by, const Id& datastore, const Id& configuration, const nlohmann::json& body);
    /// PATCH: {available?, open?}.
    Offering patch_offering(const Principal& by, const Id& datastore, const Id& offering, const nlohmann::json& body);
    /// Unpublishes (the layer disappears from the services) and removes the offering and its accesses.
    void unpublish(const Principal& by, const Id& datastore, const Id& offering);

    // ---- permissions, keys, accesses ---------------------------------------------------------------
    std::vector<Permission> create_permissions(const Principal& by, const Id& datastore, const nlohmann::json& body);
    void delete_permission(const Principal& by, const Id& datastore, const Id& permission);
    /// The permissions granted to `by` (personal, community or both).
    [[nodiscard]] std::vector<Permission> permissions_of(const Principal& by, bool personal, bool community);
    /// Creates a key; for HASH keys without type_infos.hash a random one is generated. The
    /// returned document shows the secret once.
    [[nodiscard]] nlohmann::json create_key(const Principal& by, const nlohmann::json& body);
    [[nodiscard]] ApiKey key_of(const Principal& by, const Id& key);
    void delete_key(const Principal& by, const Id& key);
    std::vector<Access> create_accesses(const Principal& by, const Id& key, const nlohmann::json& body);
    [[nodiscard]] nlohmann::json accesses_of(const Principal& by, const Id& key);
    void delete_access(const Principal& by, const Id& key, const Id& access);

    // ---- consumption (the tile services) -----------------------------------------------------------
    /// Published layers (snapshot, cheap). `restricted` selects the /private/… family.
    [[nodiscard]] std::vector<std::shared_ptr<const PublishedLayer>> published(bool restricted) const;
    [[nodiscard]] std::shared_ptr<const PublishedLayer> published_layer(std::string_view layer, bool restricted) const;
    /// Only the offerings of one type. Besides the tile types, WFS, WMS-VECTOR, WMS-RASTER and
    /// DOWNLOAD offerings are served: their tileset holds the stored data as one layer (raster or vector).
    [[nodiscard]] std::vector<std::shared_ptr<const PublishedLayer>> published(ConfigurationType type, bool restricted) const;
    [[nodiscard]] std::shared_ptr<const PublishedLayer> published_layer(ConfigurationType type, std::string_view layer,
                                                                        bool restricted) const;
    /// Changes (grows) whenever an offering is published, patched or unpublished: readers that
    /// derive something from the published offerings (the layer search index) rebuild on change.
    [[nodiscard]] std::uint64_t generation() const noexcept;
    /// Makes the served layers match the offerings in the store now (what the poller of
    /// CatalogConfig::refresh_interval_ms does when the publication stamp changes): layers of
    /// offerings published elsewhere are served, unpublished ones dropped, patched ones updated.
    /// Returns true when something changed (generation() then grows).
    bool refresh();
    /// The key a request presents, verified (secret and rules not yet: see authorize). nullopt = none matched.
    [[nodiscard]] std::optional<ApiKey> identify_key(const PresentedKey& presented);
    /// May this request consume `layer`? Checks key, rules (IP lists, referer, user agent),
    /// availability, access and the permission's end date.
    [[nodiscard]] AccessVerdict authorize(const PresentedKey& presented, const PublishedLayer& layer);

    /// Blocks until no check or processing is queued or running.
    void wait_idle();

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

[[nodiscard]] std::string_view to_string(AccessVerdict v) noexcept;

}  // namespace geoplex::catalog
