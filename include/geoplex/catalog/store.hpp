#pragma once
// The catalog store: one interface, two implementations (SQLite, embedded default; PostgreSQL,
// shared by several server replicas), same semantics, one test suite.
//
//   auto store = geoplex::catalog::open_store("sqlite:/var/lib/geoplex/catalog.sqlite");
//   auto ds = store->create(Datastore{.name = "Mon espace", .technical_name = "mon_espace"});
//   auto up = store->create(Upload{.datastore = ds.id, .name = "routes"});
//   up.status = UploadStatus::open;
//   store->update(up);
//   auto open = store->list<Upload>({{"datastore", ds.id}, {"status", "OPEN"}});
//   store->transaction([&](Store& s) { s.update(a); s.remove<Offering>(b); });  // all or nothing
//   auto r = store->import_many(sheets);  // std::vector<Dataset>: one transaction, bad records reported in r.problems
//
// Typed calls (create/get/update/remove/list) are templates over the entity structs of model.hpp;
// the *_document calls are the same operations on the JSON documents (what the REST API serves).
// Every entity is stored as its JSON document plus indexed columns named after its JSON fields,
// which are what ListFilter may filter on (see filterable_fields()).
//
// Errors: NotFound (update/require of a missing id), Conflict (unique field taken, a referenced
// entity missing, or a removal blocked by entities that reference it), InvalidArgument (bad
// filter field, bad id), DependencyError (the database failed). A failed call changes nothing.
//
// Thread safety: every member may be called from any number of threads. Inside transaction(fn),
// calls made by the same thread on the same store join the transaction; nested transactions are
// savepoints.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "geoplex/catalog/model.hpp"
#include "geoplex/catalog/search.hpp"
#include "geoplex/core/error.hpp"

namespace geoplex::catalog {

/// No entity with that id (errc::not_found).
class NotFound : public Error {
public:
    explicit NotFound(const std::string& message) : Error(errc::not_found, message) {}
};

/// A constraint refused the write: unique field already taken, referenced entity missing, or
/// entities still reference the one being removed (errc::invalid_argument; HTTP 409).
class Conflict : public InvalidArgument {
public:
    explicit Conflict(const std::string& message) : InvalidArgument(message) {}
};

enum class EntityKind {
    organization, community, datastore, user, api_key, dataset, upload, check_execution,
    processing_execution, stored_data, configuration, endpoint, offering, permission, access,
    map_document, report, audit_event
};
/// "organization", "community", …, "stored_data", "audit_event" (also the table names).
[[nodiscard]] std::string_view to_string(EntityKind k) noexcept;
bool from_string(std::string_view text, EntityKind& out) noexcept;

template <class T> struct entity_kind_of;
#define GEOPLEX_CATALOG_KIND(T, k) \
    template <> struct entity_kind_of<T> { static constexpr EntityKind value = EntityKind::k; };
GEOPLEX_CATALOG_KIND(Organization, organization)
GEOPLEX_CATALOG_KIND(Community, community)
GEOPLEX_CATALOG_KIND(Datastore, datastore)
GEOPLEX_CATALOG_KIND(User, user)
GEOPLEX_CATALOG_KIND(ApiKey, api_key)
GEOPLEX_CATALOG_KIND(Dataset, dataset)
GEOPLEX_CATALOG_KIND(Upload, upload)
GEOPLEX_CATALOG_KIND(CheckExecution, check_execution)
GEOPLEX_CATALOG_KIND(ProcessingExecution, processing_execution)
GEOPLEX_CATALOG_KIND(StoredData, stored_data)
GEOPLEX_CATALOG_KIND(Configuration, configuration)
GEOPLEX_CATALOG_KIND(Endpoint, endpoint)
GEOPLEX_CATALOG_KIND(Offering, offering)
GEOPLEX_CATALOG_KIND(Permission, permission)
GEOPLEX_CATALOG_KIND(Access, access)
GEOPLEX_CATALOG_KIND(MapDocument, map_document)
GEOPLEX_CATALOG_KIND(Report, report)
GEOPLEX_CATALOG_KIND(AuditEvent, audit_event)
#undef GEOPLEX_CATALOG_KIND

template <class T>
concept CatalogEntity = requires { entity_kind_of<T>::value; };

/// The fields list() can filter on for a kind: JSON field names ("datastore", "status", "type",
/// "name", "layer_name", "users"…). Array fields match when any element equals the value.
[[nodiscard]] const std::vector<std::string>& filterable_fields(EntityKind k);

/// Equality filters, AND-ed: field → value in its JSON spelling ("OPEN", "true", an id).
using ListFilter = std::map<std::string, std::string>;

struct Paging {
    std::size_t offset = 0;
    std::size_t limit = 100;  ///< 0 = only count
};

template <class T>
struct Page {
    std::vector<T> items{};   ///< in creation order
    std::uint64_t total = 0;  ///< matches regardless of paging
};

/// Bytes used by a datastore, from its non-deleted stored data and uploads.
struct StorageUsage {
    std::map<std::string, std::int64_t> data{};  ///< storage type ("FILESYSTEM", "POSTGRESQL"…) → bytes
    std::int64_t upload = 0;
    [[nodiscard]] std::int64_t data_total() const noexcept {
        std::int64_t s = 0;
        for (const auto& [k, v] : data) s += v;
        return s;
    }
};

/// A record a bulk import refused (the rest of the batch is imported).
struct ImportProblem {
    std::size_t index = 0;  ///< position in the input
    std::string id;         ///< its "_id" as given ("" = none)
    errc code = errc::invalid_argument;
    std::string message;    ///< what create() would have thrown for it
};

struct ImportResult {
    std::vector<Id> ids;                  ///< per input record: the stored id, "" when refused
    std::vector<ImportProblem> problems;  ///< the refused records, by input position
    [[nodiscard]] std::size_t imported() const noexcept { return ids.size() - problems.size(); }
};

class Store {
public:
    Store() = default;
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;
    virtual ~Store() = default;

    // ---- typed API (defined for every CatalogEntity) ----
    /// Stores a new entity: assigns `id` when empty (new_id()), sets created/modified (or
    /// creation/time) when empty, and returns what was stored.
    template <CatalogEntity T> T create(T entity);
    template <CatalogEntity T> [[nodiscard]] std::optional<T> get(std::string_view id);
    /// get() or throw NotFound.
    template <CatalogEntity T> [[nodiscard]] T require(std::string_view id);
    /// Replaces the stored entity with the same id (sets modified); throws NotFound.
    template <CatalogEntity T> T update(T entity);
    /// Removes; false when absent; throws Conflict when other entities reference it.
    template <CatalogEntity T> bool remove(std::string_view id);
    template <CatalogEntity T> [[nodiscard]] Page<T> list(const ListFilter& filter = {}, const Paging& paging = {});

    // ---- the same on JSON documents ("_id" is the id) ----
    // Documents are validated and normalised through the entity struct (unknown fields dropped,
    // wrong types or enum strings → InvalidArgument); create/update return what was stored.
    virtual nlohmann::json create_document(EntityKind kind, const nlohmann::json& doc) = 0;
    [[nodiscard]] virtual std::optional<nlohmann::json> get_document(EntityKind kind, std::string_view id) = 0;
    virtual nlohmann::json update_document(EntityKind kind, const nlohmann::json& doc) = 0;
    virtual bool remove_document(EntityKind kind, std::string_view id) = 0;
    [[nodiscard]] virtual Page<nlohmann::json> list_documents(EntityKind kind, const ListFilter& filter,
                                                              const Paging& paging) = 0;

    // ---- bulk import ----
    /// Stores many new entities in one transaction, as create() would one by one (same rows, ids,
    /// dates, search entries and change-log entries, in input order), with the per-record
    /// overheads paid once. A record create() would refuse (bad '_id', unique field taken,
    /// referenced entity missing, invalid document) is skipped and reported in `problems` with
    /// its position and the error; every other record is imported. A database failure rolls the
    /// whole call back and throws. Inside transaction() the import joins it. Callers choose the
    /// batch size (a few thousand to tens of thousands of records per call).
    template <CatalogEntity T> ImportResult import_many(const std::vector<T>& entities);
    /// The same on JSON documents (validated and normalised like create_document()).
    virtual ImportResult import_documents(EntityKind kind, const std::vector<nlohmann::json>& docs);

    /// Runs `fn` in one transaction: commits when it returns, rolls back and rethrows when it
    /// throws. Calls on this store from the same thread inside `fn` are part of it.
    virtual void transaction(const std::function<void(Store&)>& fn) = 0;

    /// Dataset search (see search.hpp for the exact semantics). Throws InvalidArgument when
    /// query.validate() reports problems.
    [[nodiscard]] virtual SearchResult search(const SearchQuery& query) = 0;

    /// Appends an audit event (assigns id and time when empty); audit events are never updated
    /// or removed.
    virtual AuditEvent append_audit(AuditEvent event) = 0;

    [[nodiscard]] virtual StorageUsage storage_used(std::string_view datastore) = 0;

    /// The API key whose `lookup` equals `lookup`, if any.
    [[nodiscard]] std::optional<ApiKey> find_key_by_lookup(std::string_view lookup);

    /// "sqlite" or "postgresql".
    [[nodiscard]] virtual std::string_view backend() const noexcept = 0;
    /// The schema version after migrations.
    [[nodiscard]] virtual int schema_version() = 0;

protected:
    /// create_document() for a document already in normalised form (a typed entity's JSON, as
    /// create<T>() passes): stores may skip the re-validation. Same result as create_document().
    virtual nlohmann::json create_normalized_document(EntityKind kind, const nlohmann::json& doc);
    /// import_documents() for documents already in normalised form (import_many() passes its
    /// entities' JSON). The default creates each record in its own savepoint.
    virtual ImportResult import_normalized_documents(EntityKind kind, std::vector<nlohmann::json> docs);
};

/// Validates `doc` as an entity of `kind` and returns its normalised form (see *_document above).
[[nodiscard]] nlohmann::json normalize_document(EntityKind kind, const nlohmann::json& doc);

/// Opens (creating and migrating when needed) a store:
///   "sqlite:/path/catalog.sqlite", "sqlite::memory:" (private, for tests) or a plain path → SQLite;
///   "postgresql://…", "postgres://…" or a libpq conninfo ("host=/tmp/x dbname=catalog") → PostgreSQL.
/// Throws InvalidArgument for an unusable uri and DependencyError when the database refuses.
[[nodiscard]] std::unique_ptr<Store> open_store(std::string_view uri);

}  // namespace geoplex::catalog
