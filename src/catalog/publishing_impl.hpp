#pragma once
// Catalog::Impl, shared by publishing.cpp (flow), access.cpp (keys, permissions, accesses),
// quotas.cpp and publishing_gdal.cpp (processings on files).

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "catalog/upload_area.hpp"
#include "geoplex/catalog/publishing.hpp"

namespace geoplex::catalog {

using json = nlohmann::json;

struct Catalog::Impl {
    CatalogConfig config;
    std::shared_ptr<Store> store;
    detail::UploadArea uploads;
    std::filesystem::path storage_dir;
    std::string admin_token_hash;  ///< hash_secret(config.admin_token), "" = no bootstrap token

    // Published tile layers: (restricted, layer name) → layer. Replaced, never mutated.
    mutable std::shared_mutex layers_mutex;
    std::map<std::pair<bool, std::string>, std::shared_ptr<const PublishedLayer>> layers;
    /// Catalog::generation(): bumped after every publish, patch and unpublish.
    std::atomic<std::uint64_t> generation{0};

    // Cross-replica refresh (publishing.cpp): publish / patch / unpublish and resync() hold
    // sync_mutex so that a resync never sees a layer whose offering is not stored yet.
    std::recursive_mutex sync_mutex;
    std::mutex poll_mutex;
    std::condition_variable poll_cv;
    bool poll_stopping = false;
    std::string stamp;  ///< last publication_stamp() seen (guarded by sync_mutex)
    std::thread poller;
    /// Changes whenever an offering is written by any replica: "<offering audit events>/<offerings>".
    std::string publication_stamp();
    /// Serves / drops / updates layers to match the stored offerings; true when something changed.
    bool resync();

    // BASIC key passwords are PBKDF2-hashed: remember verified (key, password digest) pairs so
    // that a tile request does not pay the derivation every time.
    std::mutex basic_cache_mutex;
    std::map<std::string, std::string> basic_cache;  ///< sha256(key id + password) → secret_hash verified

    // The worker running checks and processings.
    std::mutex queue_mutex;
    std::condition_variable queue_cv, idle_cv;
    std::deque<std::function<void()>> queue;
    bool busy = false;
    bool stopping = false;
    std::thread worker;

    Impl(CatalogConfig c, std::shared_ptr<Store> s);
    ~Impl();

    void enqueue(std::function<void()> job);
    void audit(const Principal& by, std::string action, std::string entity, const Id& id, const Id& datastore,
               const json& detail = json::object());

    // ---- rights ----
    Datastore datastore_for(const Principal& by, const Id& datastore, std::optional<CommunityRight> right);
    template <class T>
    T entity_in(const Id& datastore, const Id& id, std::string_view what) {
        if (!is_uuid(id)) throw CatalogError(404, fmt::format("{} '{}' not found in this datastore", what, id));
        auto e = store->get<T>(id);
        if (!e || e->datastore != datastore) throw CatalogError(404, fmt::format("{} '{}' not found in this datastore", what, id));
        return *e;
    }

    // ---- quotas (quotas.cpp) ----
    std::int64_t data_quota(const Datastore& ds) const;
    std::int64_t upload_bytes_used(const Datastore& ds);
    std::int64_t data_bytes_used(const Datastore& ds);
    /// Throws CatalogError(409) when `endpoint` has no room for one more offering of `ds`.
    void check_offering_quota(const Datastore& ds, const Endpoint& endpoint);
    std::int64_t offerings_on(const Datastore& ds, const Id& endpoint);

    // ---- jobs (publishing.cpp / publishing_gdal.cpp) ----
    void run_checks(const Id& upload_id);
    void run_execution(const Id& execution_id);
    /// Builds the tileset of a WMTS-TMS / VECTOR-TMS offering and puts it in `layers`.
    void serve_offering(const Offering& offering, const Endpoint& endpoint);
    void unserve_offering(const Offering& offering, const Endpoint& endpoint);
    void restore_published();
    void ensure_endpoints();
};

// ---- publishing_gdal.cpp ----
namespace detail {
/// Lower-case ASCII name: accents folded (é → e), anything else than [a-z0-9_] → '_'.
std::string clean_name(std::string_view name);
/// Copies every vector layer of the upload into <out_dir>/data.gpkg (tables and columns
/// clean_name()d, source CRS kept unless `target_srs`); fills type_infos relations, extent, size, srs.
void vector_to_db(const std::filesystem::path& upload_dir, const std::vector<TreeEntry>& tree, const std::string& declared_srs,
                  const std::string& target_srs, const std::filesystem::path& out_dir, StoredData& out,
                  std::vector<std::string>& logs);
/// Copies the upload's raster into <out_dir>/<name>.tif (tiled GeoTIFF, CRS assigned from
/// `declared_srs` when the file has none); fills extent, size, srs.
void raster_to_store(const std::filesystem::path& upload_dir, const std::vector<TreeEntry>& tree,
                     const std::string& declared_srs, const std::filesystem::path& out_dir, StoredData& out,
                     std::vector<std::string>& logs);
}  // namespace detail

}  // namespace geoplex::catalog
