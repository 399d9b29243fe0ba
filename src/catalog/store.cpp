// The typed Store API over the document API, entity kinds, and open_store().
#include "geoplex/catalog/store.hpp"

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

#include "schema.hpp"
#include "sql_store.hpp"

namespace geoplex::catalog {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 18> k_kind_names{
    "organization", "community",     "datastore",     "user",     "api_key", "dataset",
    "upload",       "check_execution", "processing_execution", "stored_data", "configuration", "endpoint",
    "offering",     "permission",    "access",        "map_document", "report", "audit_event"};

template <class T>
json normalize_as(const json& doc) {
    if (!doc.is_object()) throw InvalidArgument("a JSON object is expected");
    return json(doc.get<T>());
}

}  // namespace

std::string_view to_string(EntityKind k) noexcept {
    const auto i = static_cast<std::size_t>(k);
    return i < k_kind_names.size() ? k_kind_names[i] : std::string_view{};
}

bool from_string(std::string_view text, EntityKind& out) noexcept {
    for (std::size_t i = 0; i < k_kind_names.size(); ++i)
        if (k_kind_names[i] == text) {
            out = static_cast<EntityKind>(i);
            return true;
        }
    return false;
}

const std::vector<std::string>& filterable_fields(EntityKind k) {
    static const std::vector<std::vector<std::string>> fields = [] {
        std::vector<std::vector<std::string>> all;
        for (auto kind : detail::all_kinds()) {
            const auto& spec = detail::table_spec(kind);
            std::vector<std::string> f{"_id"};
            for (const auto& c : spec.columns) f.emplace_back(c.name);
            for (const auto& a : spec.arrays) f.emplace_back(a);
            all.push_back(std::move(f));
        }
        return all;
    }();
    return fields.at(static_cast<std::size_t>(k));
}

json normalize_document(EntityKind kind, const json& doc) {
    switch (kind) {
        case EntityKind::organization: return normalize_as<Organization>(doc);
        case EntityKind::community: return normalize_as<Community>(doc);
        case EntityKind::datastore: return normalize_as<Datastore>(doc);
        case EntityKind::user: return normalize_as<User>(doc);
        case EntityKind::api_key: return normalize_as<ApiKey>(doc);
        case EntityKind::dataset: return normalize_as<Dataset>(doc);
        case EntityKind::upload: return normalize_as<Upload>(doc);
        case EntityKind::check_execution: return normalize_as<CheckExecution>(doc);
        case EntityKind::processing_execution: return normalize_as<ProcessingExecution>(doc);
        case EntityKind::stored_data: return normalize_as<StoredData>(doc);
        case EntityKind::configuration: return normalize_as<Configuration>(doc);
        case EntityKind::endpoint: return normalize_as<Endpoint>(doc);
        case EntityKind::offering: return normalize_as<Offering>(doc);
        case EntityKind::permission: return normalize_as<Permission>(doc);
        case EntityKind::access: return normalize_as<Access>(doc);
        case EntityKind::map_document: return normalize_as<MapDocument>(doc);
        case EntityKind::report: return normalize_as<Report>(doc);
        case EntityKind::audit_event: return normalize_as<AuditEvent>(doc);
    }
    throw InvalidArgument("unknown entity kind");
}

// ---- typed API ----------------------------------------------------------------------------------

nlohmann::json Store::create_normalized_document(EntityKind kind, const nlohmann::json& doc) {
    return create_document(kind, doc);
}

ImportResult Store::import_documents(EntityKind kind, const std::vector<nlohmann::json>& docs) {
    // Invalid documents are refused here; the valid ones go through the store's bulk path in
    // input order, their positions mapped back.
    ImportResult out;
    out.ids.resize(docs.size());
    std::vector<json> valid;
    std::vector<std::size_t> where;
    valid.reserve(docs.size());
    where.reserve(docs.size());
    for (std::size_t i = 0; i < docs.size(); ++i) {
        try {
            valid.push_back(normalize_document(kind, docs[i]));
            where.push_back(i);
        } catch (const Error& e) {
            const auto id = docs[i].is_object() ? docs[i].find("_id") : docs[i].end();
            out.problems.push_back({i, id != docs[i].end() && id->is_string() ? id->get<std::string>() : std::string{},
                                    e.code(), e.what()});
        } catch (const std::exception& e) {  // nlohmann type errors
            const auto id = docs[i].is_object() ? docs[i].find("_id") : docs[i].end();
            out.problems.push_back({i, id != docs[i].end() && id->is_string() ? id->get<std::string>() : std::string{},
                                    errc::invalid_argument, e.what()});
        }
    }
    auto r = import_normalized_documents(kind, std::move(valid));
    for (std::size_t k = 0; k < r.ids.size(); ++k) out.ids[where[k]] = std::move(r.ids[k]);
    for (auto& p : r.problems) {
        p.index = where[p.index];
        out.problems.push_back(std::move(p));
    }
    std::sort(out.problems.begin(), out.problems.end(),
              [](const ImportProblem& a, const ImportProblem& b) { return a.index < b.index; });
    return out;
}

ImportResult Store::import_normalized_documents(EntityKind kind, std::vector<nlohmann::json> docs) {
    ImportResult out;
    out.ids.resize(docs.size());
    transaction([&](Store& s) {
        for (std::size_t i = 0; i < docs.size(); ++i) {
            try {
                s.transaction([&](Store& t) { out.ids[i] = t.create_normalized_document(kind, docs[i]).at("_id").get<std::string>(); });
            } catch (const DependencyError&) {
                throw;
            } catch (const Error& e) {
                out.problems.push_back({i, docs[i].value("_id", std::string{}), e.code(), e.what()});
            }
        }
    });
    return out;
}

template <CatalogEntity T>
ImportResult Store::import_many(const std::vector<T>& entities) {
    std::vector<json> docs;
    docs.reserve(entities.size());
    for (const auto& e : entities) docs.emplace_back(e);  // normalised by construction
    return import_normalized_documents(entity_kind_of<T>::value, std::move(docs));
}

template <CatalogEntity T>
T Store::create(T entity) {
    // json(entity) is already normalised: normalize_document() would convert it back and forth.
    return create_normalized_document(entity_kind_of<T>::value, json(entity)).template get<T>();
}

template <CatalogEntity T>
std::optional<T> Store::get(std::string_view id) {
    auto doc = get_document(entity_kind_of<T>::value, id);
    if (!doc) return std::nullopt;
    return doc->template get<T>();
}

template <CatalogEntity T>
T Store::require(std::string_view id) {
    auto v = get<T>(id);
    if (!v) throw NotFound(std::string(to_string(entity_kind_of<T>::value)) + " '" + std::string(id) + "' not found");
    return std::move(*v);
}

template <CatalogEntity T>
T Store::update(T entity) {
    return update_document(entity_kind_of<T>::value, json(entity)).template get<T>();
}

template <CatalogEntity T>
bool Store::remove(std::string_view id) {
    return remove_document(entity_kind_of<T>::value, id);
}

template <CatalogEntity T>
Page<T> Store::list(const ListFilter& filter, const Paging& paging) {
    auto docs = list_documents(entity_kind_of<T>::value, filter, paging);
    Page<T> page;
    page.total = docs.total;
    page.items.reserve(docs.items.size());
    for (const auto& d : docs.items) page.items.push_back(d.template get<T>());
    return page;
}

std::optional<ApiKey> Store::find_key_by_lookup(std::string_view lookup) {
    if (lookup.empty()) return std::nullopt;
    auto page = list<ApiKey>({{"lookup", std::string(lookup)}}, {0, 1});
    if (page.items.empty()) return std::nullopt;
    return std::move(page.items.front());
}

#define GEOPLEX_CATALOG_INSTANTIATE(T)                                                   \
    template T Store::create<T>(T);                                                      \
    template std::optional<T> Store::get<T>(std::string_view);                           \
    template T Store::require<T>(std::string_view);                                      \
    template T Store::update<T>(T);                                                      \
    template bool Store::remove<T>(std::string_view);                                    \
    template Page<T> Store::list<T>(const ListFilter&, const Paging&);                   \
    template ImportResult Store::import_many<T>(const std::vector<T>&);
GEOPLEX_CATALOG_INSTANTIATE(Organization)
GEOPLEX_CATALOG_INSTANTIATE(Community)
GEOPLEX_CATALOG_INSTANTIATE(Datastore)
GEOPLEX_CATALOG_INSTANTIATE(User)
GEOPLEX_CATALOG_INSTANTIATE(ApiKey)
GEOPLEX_CATALOG_INSTANTIATE(Dataset)
GEOPLEX_CATALOG_INSTANTIATE(Upload)
GEOPLEX_CATALOG_INSTANTIATE(CheckExecution)
GEOPLEX_CATALOG_INSTANTIATE(ProcessingExecution)
GEOPLEX_CATALOG_INSTANTIATE(StoredData)
GEOPLEX_CATALOG_INSTANTIATE(Configuration)
GEOPLEX_CATALOG_INSTANTIATE(Endpoint)
GEOPLEX_CATALOG_INSTANTIATE(Offering)
GEOPLEX_CATALOG_INSTANTIATE(Permission)
GEOPLEX_CATALOG_INSTANTIATE(Access)
GEOPLEX_CATALOG_INSTANTIATE(MapDocument)
GEOPLEX_CATALOG_INSTANTIATE(Report)
GEOPLEX_CATALOG_INSTANTIATE(AuditEvent)
#undef GEOPLEX_CATALOG_INSTANTIATE

// ---- open_store ---------------------------------------------------------------------------------

std::unique_ptr<Store> open_store(std::string_view uri) {
    auto starts = [&](std::string_view p) { return uri.substr(0, p.size()) == p; };
    if (uri.empty()) throw InvalidArgument("empty catalog store uri");
    if (starts("postgresql://") || starts("postgres://") || uri.find('=') != std::string_view::npos)
        return detail::open_postgres_store(std::string(uri));
    if (starts("sqlite:")) return detail::open_sqlite_store(std::string(uri.substr(7)));
    return detail::open_sqlite_store(std::string(uri));
}

}  // namespace geoplex::catalog
