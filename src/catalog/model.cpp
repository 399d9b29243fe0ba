// Enum spellings and JSON conversion of the catalog model (field names from reference §6.1).
#include "geoplex/catalog/model.hpp"
#include "geoplex/core/clock.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace geoplex::catalog {

using nlohmann::json;

// ---- ids and time -------------------------------------------------------------------------------

Id new_id() {
    thread_local std::mt19937_64 rng{std::random_device{}() ^
                                     static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())};
    std::uint64_t hi = rng(), lo = rng();
    hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                  static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
    return buf;
}

bool is_uuid(std::string_view t) noexcept {
    if (t.size() != 36) return false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

std::string now_iso8601() { return core::utc_now_iso8601(); }

// ---- enums --------------------------------------------------------------------------------------

namespace {

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, E v) noexcept {
    const auto i = static_cast<std::size_t>(v);
    return i < N ? names[i] : std::string_view{};
}
template <class E, std::size_t N>
bool value_of(const std::array<std::string_view, N>& names, std::string_view text, E& out) noexcept {
    for (std::size_t i = 0; i < N; ++i) {
        if (names[i] == text) {
            out = static_cast<E>(i);
            return true;
        }
    }
    return false;
}

// Each array lists the reference spellings in the order of the enumerators.
constexpr std::array<std::string_view, 8> k_upload_type{"VECTOR", "RASTER", "ARCHIVE", "ROK4-PYRAMID", "INDEX",
                                                        "HISTORIC-IMAGERY", "POINT-CLOUD", "PYRAMID-3D"};
constexpr std::array<std::string_view, 8> k_upload_status{"CREATED",    "OPEN",      "CLOSED",   "CHECKING",
                                                          "GENERATING", "MODIFYING", "UNSTABLE", "DELETED"};
constexpr std::array<std::string_view, 4> k_check_status{"WAITING", "PROGRESS", "SUCCESS", "FAILURE"};
constexpr std::array<std::string_view, 6> k_processing_status{"CREATED", "WAITING", "PROGRESS",
                                                              "SUCCESS", "FAILURE", "ABORTED"};
constexpr std::array<std::string_view, 10> k_stored_data_type{
    "VECTOR-DB", "ROK4-PYRAMID-RASTER", "ROK4-PYRAMID-VECTOR", "ARCHIVE",         "GRAPH-DB",
    "GRAPH-OSRM", "GRAPH-VALHALLA",     "INDEX",               "PYRAMID-3D-COPC", "PYRAMID-3D-EPT"};
constexpr std::array<std::string_view, 6> k_stored_data_status{"CREATED", "GENERATING", "MODIFYING",
                                                               "GENERATED", "DELETED", "UNSTABLE"};
constexpr std::array<std::string_view, 5> k_storage_type{"POSTGRESQL", "S3", "FILESYSTEM", "OPENSEARCH",
                                                         "POSTGRESQL-ROUTING"};
constexpr std::array<std::string_view, 10> k_endpoint_type{
    "WMS-VECTOR", "WFS", "WMTS-TMS", "WMS-RASTER", "DOWNLOAD", "ITINERARY-ISOCURVE", "ALTIMETRY", "SEARCH",
    "VECTOR-TMS", "METADATA"};
constexpr std::array<std::string_view, 9> k_configuration_type{
    "WMS-VECTOR", "WFS", "WMTS-TMS", "WMS-RASTER", "DOWNLOAD", "ITINERARY-ISOCURVE", "ALTIMETRY", "SEARCH",
    "VECTOR-TMS"};
constexpr std::array<std::string_view, 3> k_configuration_status{"UNPUBLISHED", "PUBLISHED", "SYNCHRONIZING"};
constexpr std::array<std::string_view, 5> k_offering_status{"PUBLISHING", "MODIFYING", "PUBLISHED", "UNPUBLISHING",
                                                            "UNSTABLE"};
constexpr std::array<std::string_view, 4> k_key_type{"HASH", "HEADER", "BASIC", "OAUTH2"};
constexpr std::array<std::string_view, 2> k_permission_type{"ACCOUNT", "COMMUNITY"};
constexpr std::array<std::string_view, 5> k_community_right{"COMMUNITY", "PROCESSING", "ANNEX", "BROADCAST", "UPLOAD"};
constexpr std::array<std::string_view, 2> k_user_role{"ADMIN", "PRODUCER"};
constexpr std::array<std::string_view, 3> k_sharing{"PRIVATE", "COMMUNITY", "PUBLIC"};
constexpr std::array<std::string_view, 4> k_report_status{"SUBMITTED", "PENDING", "VALIDATED", "REJECTED"};

}  // namespace

#define GEOPLEX_CATALOG_ENUM(E, table)                                                                  \
    std::string_view to_string(E v) noexcept { return name_of(table, v); }                              \
    bool from_string(std::string_view text, E& out) noexcept { return value_of(table, text, out); }
GEOPLEX_CATALOG_ENUM(UploadType, k_upload_type)
GEOPLEX_CATALOG_ENUM(UploadStatus, k_upload_status)
GEOPLEX_CATALOG_ENUM(CheckStatus, k_check_status)
GEOPLEX_CATALOG_ENUM(ProcessingStatus, k_processing_status)
GEOPLEX_CATALOG_ENUM(StoredDataType, k_stored_data_type)
GEOPLEX_CATALOG_ENUM(StoredDataStatus, k_stored_data_status)
GEOPLEX_CATALOG_ENUM(StorageType, k_storage_type)
GEOPLEX_CATALOG_ENUM(ConfigurationType, k_configuration_type)
GEOPLEX_CATALOG_ENUM(ConfigurationStatus, k_configuration_status)
GEOPLEX_CATALOG_ENUM(EndpointType, k_endpoint_type)
GEOPLEX_CATALOG_ENUM(OfferingStatus, k_offering_status)
GEOPLEX_CATALOG_ENUM(KeyType, k_key_type)
GEOPLEX_CATALOG_ENUM(PermissionType, k_permission_type)
GEOPLEX_CATALOG_ENUM(CommunityRight, k_community_right)
GEOPLEX_CATALOG_ENUM(UserRole, k_user_role)
GEOPLEX_CATALOG_ENUM(Sharing, k_sharing)
GEOPLEX_CATALOG_ENUM(ReportStatus, k_report_status)
#undef GEOPLEX_CATALOG_ENUM

bool can_transition(ReportStatus from, ReportStatus to) noexcept {
    switch (from) {
        case ReportStatus::submitted: return to == ReportStatus::pending || to == ReportStatus::rejected;
        case ReportStatus::pending: return to == ReportStatus::validated || to == ReportStatus::rejected;
        case ReportStatus::validated:
        case ReportStatus::rejected: return false;
    }
    return false;
}

// ---- JSON helpers -------------------------------------------------------------------------------

namespace {

template <class T> struct is_vector : std::false_type {};
template <class T> struct is_vector<std::vector<T>> : std::true_type {};

template <class T>
json enum_or_value(const T& v) {
    if constexpr (std::is_enum_v<T>) {
        return std::string(to_string(v));
    } else if constexpr (is_vector<T>::value) {
        json a = json::array();
        for (const auto& x : v) a.push_back(enum_or_value(x));
        return a;
    } else {
        return json(v);
    }
}

template <class T>
void read_value(const json& j, const char* key, T& out) {
    if constexpr (std::is_enum_v<T>) {
        if (!j.is_string()) throw InvalidArgument(std::string("field '") + key + "' must be a string");
        if (!from_string(j.get_ref<const std::string&>(), out))
            throw InvalidArgument(std::string("field '") + key + "': unknown value '" + j.get<std::string>() + "'");
    } else if constexpr (is_vector<T>::value) {
        if (!j.is_array()) throw InvalidArgument(std::string("field '") + key + "' must be an array");
        out.clear();
        for (const auto& x : j) {
            typename T::value_type v{};
            read_value(x, key, v);
            out.push_back(std::move(v));
        }
    } else {
        try {
            j.get_to(out);
        } catch (const json::exception& e) {
            throw InvalidArgument(std::string("field '") + key + "': " + e.what());
        }
    }
}

/// Reads j[key] into out when present and not null.
template <class T>
void take(const json& j, const char* key, T& out) {
    if (!j.is_object()) throw InvalidArgument("a JSON object is expected");
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    read_value(*it, key, out);
}

template <class T>
void put(json& j, const char* key, const T& v) {
    j[key] = enum_or_value(v);
}

/// JSON text fields are embedded as JSON values, and read back as compact text.
void put_raw(json& j, const char* key, const std::string& text) {
    if (text.empty()) {
        j[key] = nullptr;
        return;
    }
    try {
        j[key] = json::parse(text);
    } catch (const json::exception&) {
        throw InvalidArgument(std::string("field '") + key + "' is not valid JSON text");
    }
}
void take_raw(const json& j, const char* key, std::string& out) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    out = it->dump();
}

/// A reference to another entity: "id" or {"_id": "id", …}.
void take_ref(const json& j, const char* key, Id& out) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (it->is_string()) {
        out = it->get<std::string>();
    } else if (it->is_object() && it->contains("_id") && (*it)["_id"].is_string()) {
        out = (*it)["_id"].get<std::string>();
    } else {
        throw InvalidArgument(std::string("field '") + key + "' must be an id or an object with '_id'");
    }
}
void take_refs(const json& j, const char* key, std::vector<Id>& out) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (!it->is_array()) throw InvalidArgument(std::string("field '") + key + "' must be an array");
    out.clear();
    for (const auto& x : *it) {
        json wrap{{"v", x}};
        Id id;
        take_ref(wrap, "v", id);
        out.push_back(std::move(id));
    }
}

void put_common(json& j, const Id& id, const Tags& tags, const std::string& extra) {
    j["_id"] = id;
    j["tags"] = tags;
    put_raw(j, "extra", extra);
}
void take_common(const json& j, Id& id, Tags& tags, std::string& extra) {
    take(j, "_id", id);
    take(j, "tags", tags);
    take_raw(j, "extra", extra);
}

/// Extents are GeoJSON polygons in the reference; a bbox object is accepted too.
json extent_json(const std::optional<GeoBox>& b) {
    if (!b) return nullptr;
    return json{{"type", "Polygon"},
                {"coordinates",
                 json::array({json::array({json::array({b->west, b->south}), json::array({b->east, b->south}),
                                           json::array({b->east, b->north}), json::array({b->west, b->north}),
                                           json::array({b->west, b->south})})})}};
}
void take_extent(const json& j, const char* key, std::optional<GeoBox>& out) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (it->is_object() && it->contains("west")) {
        out = it->get<GeoBox>();
        return;
    }
    try {
        const auto& rings = it->at("coordinates");
        GeoBox b{1e300, 1e300, -1e300, -1e300};
        for (const auto& ring : rings)
            for (const auto& p : ring) {
                const double x = p.at(0).get<double>(), y = p.at(1).get<double>();
                b.west = std::min(b.west, x);
                b.east = std::max(b.east, x);
                b.south = std::min(b.south, y);
                b.north = std::max(b.north, y);
            }
        if (b.west > b.east) throw InvalidArgument(std::string("field '") + key + "' has no coordinates");
        out = b;
    } catch (const json::exception& e) {
        throw InvalidArgument(std::string("field '") + key + "' must be a GeoJSON polygon or a bbox: " + e.what());
    }
}

}  // namespace

// ---- per entity ---------------------------------------------------------------------------------

void to_json(json& j, const GeoBox& v) { j = json{{"west", v.west}, {"south", v.south}, {"east", v.east}, {"north", v.north}}; }
void from_json(const json& j, GeoBox& v) {
    take(j, "west", v.west);
    take(j, "south", v.south);
    take(j, "east", v.east);
    take(j, "north", v.north);
}

void to_json(json& j, const LastEvent& v) { j = json{{"title", v.title}, {"date", v.date}, {"initiator", v.initiator}}; }
void from_json(const json& j, LastEvent& v) {
    take(j, "title", v.title);
    take(j, "date", v.date);
    take(j, "initiator", v.initiator);
}

void to_json(json& j, const Organization& v) {
    j = json::object();
    put_common(j, v.id, v.tags, v.extra);
    put(j, "name", v.name);
    put(j, "technical_name", v.technical_name);
    put(j, "created", v.created);
    put(j, "modified", v.modified);
}
void from_json(const json& j, Organization& v) {
    take_common(j, v.id, v.tags, v.extra);
    take(j, "name", v.name);
    take(j, "technical_name", v.technical_name);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const Community& v) {
    j = json::object();
    put_common(j, v.id, v.tags, v.extra);
    put(j, "name", v.name);
    put(j, "technical_name", v.technical_name);
    put(j, "organization", v.organization);
    put(j, "datastore", v.datastore);
    put(j, "supervisor", v.supervisor);
    put(j, "public", v.is_public);
    put(j, "contact", v.contact);
    put(j, "created", v.created);
    put(j, "modified", v.modified);
}
void from_json(const json& j, Community& v) {
    take_common(j, v.id, v.tags, v.extra);
    take(j, "name", v.name);
    take(j, "technical_name", v.technical_name);
    take_ref(j, "organization", v.organization);
    take_ref(j, "datastore", v.datastore);
    take_ref(j, "supervisor", v.supervisor);
    take(j, "public", v.is_public);
    take(j, "contact", v.contact);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const StorageAllowance& v) {
    j = json{{"use", v.use}, {"quota", v.quota}, {"storage", {{"type", to_string(v.type)}, {"name", v.storage}}}};
}
void from_json(const json& j, StorageAllowance& v) {
    take(j, "use", v.use);
    take(j, "quota", v.quota);
    if (j.contains("storage") && j["storage"].is_object()) {
        take(j["storage"], "type", v.type);
        take(j["storage"], "name", v.storage);
    }
}

void to_json(json& j, const EndpointAllowance& v) {
    j = json{{"use", v.use}, {"quota", v.quota}, {"endpoint", {{"_id", v.endpoint}}}};
}
void from_json(const json& j, EndpointAllowance& v) {
    take(j, "use", v.use);
    take(j, "quota", v.quota);
    take_ref(j, "endpoint", v.endpoint);
}

void to_json(json& j, const Datastore& v) {
    j = json::object();
    put_common(j, v.id, v.tags, v.extra);
    put(j, "name", v.name);
    put(j, "technical_name", v.technical_name);
    put(j, "community", v.community);
    put(j, "active", v.active);
    j["storages"] = json{{"data", v.storages_data}, {"upload", v.storage_upload}, {"annexes", v.storage_annexes}};
    put(j, "endpoints", v.endpoints);
    put(j, "processings", v.processings);
    put(j, "created", v.created);
    put(j, "modified", v.modified);
}
void from_json(const json& j, Datastore& v) {
    take_common(j, v.id, v.tags, v.extra);
    take(j, "name", v.name);
    take(j, "technical_name", v.technical_name);
    take_ref(j, "community", v.community);
    take(j, "active", v.active);
    if (j.contains("storages") && j["storages"].is_object()) {
        const auto& s = j["storages"];
        take(s, "data", v.storages_data);
        take(s, "upload", v.storage_upload);
        take(s, "annexes", v.storage_annexes);
    }
    take(j, "endpoints", v.endpoints);
    take(j, "processings", v.processings);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const Membership& v) {
    j = json{{"rights", enum_or_value(v.rights)}, {"community", {{"_id", v.community}}}};
}
void from_json(const json& j, Membership& v) {
    take(j, "rights", v.rights);
    take_ref(j, "community", v.community);
}

void to_json(json& j, const User& v) {
    j = json::object();
    put_common(j, v.id, v.tags, v.extra);
    put(j, "email", v.email);
    put(j, "first_name", v.first_name);
    put(j, "last_name", v.last_name);
    put(j, "roles", v.roles);
    put(j, "administrator", v.has_role(UserRole::admin));
    put(j, "technical", v.technical);
    put(j, "communities_member", v.communities_member);
    json ids = json::array();
    for (const auto& m : v.communities_member) ids.push_back(m.community);
    j["communities"] = std::move(ids);  // flat list, indexed for "users of a community"
    put(j, "token_hash", v.token_hash);
    put(j, "created", v.created);
    put(j, "modified", v.modified);
}
void from_json(const json& j, User& v) {
    take_common(j, v.id, v.tags, v.extra);
    take(j, "email", v.email);
    take(j, "first_name", v.first_name);
    take(j, "last_name", v.last_name);
    take(j, "roles", v.roles);
    bool admin = false;
    take(j, "administrator", admin);
    if (admin && !v.has_role(UserRole::admin)) v.roles.push_back(UserRole::admin);
    take(j, "technical", v.technical);
    take(j, "communities_member", v.communities_member);
    take(j, "token_hash", v.token_hash);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const ApiKey& v) {
    j = json::object();
    put_common(j, v.id, v.tags, v.extra);
    put(j, "user", v.user);
    put(j, "name", v.name);
    put(j, "type", v.type);
    put_raw(j, "type_infos", v.type_infos);
    put(j, "secret_hash", v.secret_hash);
    put(j, "lookup", v.lookup);
    put(j, "whitelist", v.whitelist);
    put(j, "blacklist", v.blacklist);
    put(j, "referer", v.referer);
    put(j, "user_agent", v.user_agent);
    put(j, "created", v.created);
    put(j, "modified", v.modified);
}
void from_json(const json& j, ApiKey& v) {
    take_common(j, v.id, v.tags, v.extra);
    take_ref(j, "user", v.user);
    take(j, "name", v.name);
    take(j, "type", v.type);
    take_raw(j, "type_infos", v.type_infos);
    take(j, "secret_hash", v.secret_hash);
    take(j, "lookup", v.lookup);
    take(j, "whitelist", v.whitelist);
    take(j, "blacklist", v.blacklist);
    take(j, "referer", v.referer);
    take(j, "user_agent", v.user_agent);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const Contact& v) {
    j = json{{"organisation", v.organisation}, {"name", v.name}, {"email", v.email}, {"role", v.role}};
}
void from_json(const json& j, Contact& v) {
    take(j, "organisation", v.organisation);
    take(j, "name", v.name);
    take(j, "email", v.email);
    take(j, "role", v.role);
}

void to_json(json& j, const Dataset& v) {
    j = json::object();
    put_common(j, v.id, v.tags, v.extra);
    put(j, "datastore", v.datastore);
    put(j, "file_identifier", v.file_identifier);
    put(j, "title", v.title);
    put(j, "abstract", v.abstract);
    put(j, "producer", v.producer);
    put(j, "keywords", v.keywords);
    put(j, "themes", v.themes);
    put(j, "formats", v.formats);
    put(j, "licence", v.licence);
    j["bbox"] = v.bbox ? json(*v.bbox) : json(nullptr);
    j["temporal_extent"] = json{{"start", v.temporal_start}, {"end", v.temporal_end}};
    put(j, "publication_date", v.publication_date);
    put(j, "crs", v.crs);
    put(j, "update_frequency", v.update_frequency);
    put(j, "quality", v.quality);
    put(j, "language", v.language);
    put(j, "topic_category", v.topic_category);
    put(j, "contact", v.contact);
    put(j, "lineage", v.lineage);
    put(j, "level", v.level);
    put(j, "open_data", v.open_data);
    put(j, "sharing", v.sharing);
    put(j, "created", v.created);
    put(j, "modified", v.modified);
}
void from_json(const json& j, Dataset& v) {
    take_common(j, v.id, v.tags, v.extra);
    take_ref(j, "datastore", v.datastore);
    take(j, "file_identifier", v.file_identifier);
    take(j, "title", v.title);
    take(j, "abstract", v.abstract);
    take(j, "producer", v.producer);
    take(j, "keywords", v.keywords);
    take(j, "themes", v.themes);
    take(j, "formats", v.formats);
    take(j, "licence", v.licence);
    take_extent(j, "bbox", v.bbox);
    if (j.contains("temporal_extent") && j["temporal_extent"].is_object()) {
        take(j["temporal_extent"], "start", v.temporal_start);
        take(j["temporal_extent"], "end", v.temporal_end);
    }
    take(j, "publication_date", v.publication_date);
    take(j, "crs", v.crs);
    take(j, "update_frequency", v.update_frequency);
    take(j, "quality", v.quality);
    take(j, "language", v.language);
    take(j, "topic_category", v.topic_category);
    take(j, "contact", v.contact);
    take(j, "lineage", v.lineage);
    take(j, "level", v.level);
    take(j, "open_data", v.open_data);
    take(j, "sharing", v.sharing);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const Upload& v) {
    j = json::object();
    put_common(j, v.id, v.tags, v.extra);
    put(j, "datastore", v.datastore);
    put(j, "name", v.name);
    put(j, "description", v.description);
    put(j, "type", v.type);
    put(j, "srs", v.srs);
    put(j, "status", v.status);
    put(j, "size", v.size);
    j["extent"] = extent_json(v.extent);
    put(j, "last_event", v.last_event);
    put(j, "created", v.created);
    put(j, "modified", v.modified);
}
void from_json(const json& j, Upload& v) {
    take_common(j, v.id, v.tags, v.extra);
    take_ref(j, "datastore", v.datastore);
    take(j, "name", v.name);
    take(j, "description", v.description);
    take(j, "type", v.type);
    take(j, "srs", v.srs);
    take(j, "status", v.status);
    take(j, "size", v.size);
    take_extent(j, "extent", v.extent);
    take(j, "last_event", v.last_event);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const CheckExecution& v) {
    j = json{{"_id", v.id}, {"upload", v.upload}, {"check", {{"name", v.check}}}, {"status", to_string(v.status)},
             {"logs", v.logs}, {"creation", v.creation}, {"start", v.start}, {"finish", v.finish}};
}
void from_json(const json& j, CheckExecution& v) {
    take(j, "_id", v.id);
    take_ref(j, "upload", v.upload);
    if (j.contains("check") && j["check"].is_object()) take(j["check"], "name", v.check);
    else take(j, "check", v.check);
    take(j, "status", v.status);
    take(j, "logs", v.logs);
    take(j, "creation", v.creation);
    take(j, "start", v.start);
    take(j, "finish", v.finish);
}

void to_json(json& j, const ProcessingExecution& v) {
    j = json::object();
    put(j, "_id", v.id);
    put(j, "datastore", v.datastore);
    put(j, "processing", v.processing);
    put(j, "status", v.status);
    j["inputs"] = json{{"upload", v.input_uploads}, {"stored_data", v.input_stored_data}};
    j["output"] = json{{"stored_data", {{"_id", v.output_stored_data}}}};
    // Flat copies for the store's indexes.
    j["input_uploads"] = v.input_uploads;
    j["input_stored_data"] = v.input_stored_data;
    j["output_stored_data"] = v.output_stored_data;
    put_raw(j, "parameters", v.parameters);
    put(j, "progress", v.progress);
    put(j, "logs", v.logs);
    put(j, "creation", v.creation);
    put(j, "launch", v.launch);
    put(j, "start", v.start);
    put(j, "finish", v.finish);
}
void from_json(const json& j, ProcessingExecution& v) {
    take(j, "_id", v.id);
    take_ref(j, "datastore", v.datastore);
    take(j, "processing", v.processing);
    take(j, "status", v.status);
    if (j.contains("inputs") && j["inputs"].is_object()) {
        take_refs(j["inputs"], "upload", v.input_uploads);
        take_refs(j["inputs"], "stored_data", v.input_stored_data);
    }
    if (j.contains("output") && j["output"].is_object()) take_ref(j["output"], "stored_data", v.output_stored_data);
    take_raw(j, "parameters", v.parameters);
    take(j, "progress", v.progress);
    take(j, "logs", v.logs);
    take(j, "creation", v.creation);
    take(j, "launch", v.launch);
    take(j, "start", v.start);
    take(j, "finish", v.finish);
}

void to_json(json& j, const Attribute& v) { j = json{{"name", v.name}, {"type", v.type}}; }
void from_json(const json& j, Attribute& v) {
    take(j, "name", v.name);
    take(j, "type", v.type);
}

void to_json(json& j, const Relation& v) {
    j = json{{"name", v.name},           {"type", v.type},
             {"attributes", v.attributes}, {"primary_key", v.primary_key},
             {"geometry_type", v.geometry_type}, {"feature_count", v.feature_count}};
}
void from_json(const json& j, Relation& v) {
    take(j, "name", v.name);
    take(j, "type", v.type);
    take(j, "attributes", v.attributes);
    take(j, "primary_key", v.primary_key);
    take(j, "geometry_type", v.geometry_type);
    take(j, "feature_count", v.feature_count);
}

void to_json(json& j, const StoredData& v) {
    j = json::object();
    put_common(j, v.id, v.tags, v.extra);
    put(j, "datastore", v.datastore);
    put(j, "name", v.name);
    put(j, "type", v.type);
    put(j, "status", v.status);
    put(j, "srs", v.srs);
    j["extent"] = extent_json(v.extent);
    put(j, "size", v.size);
    j["storage"] = json{{"type", to_string(v.storage_type)}, {"labels", v.storage_labels}};
    j["type_infos"] = json{{"relations", v.relations}};
    put(j, "path", v.path);
    put(j, "last_event", v.last_event);
    put(j, "created", v.created);
    put(j, "modified", v.modified);
}
void from_json(const json& j, StoredData& v) {
    take_common(j, v.id, v.tags, v.extra);
    take_ref(j, "datastore", v.datastore);
    take(j, "name", v.name);
    take(j, "type", v.type);
    take(j, "status", v.status);
    take(j, "srs", v.srs);
    take_extent(j, "extent", v.extent);
    take(j, "size", v.size);
    if (j.contains("storage") && j["storage"].is_object()) {
        take(j["storage"], "type", v.storage_type);
        take(j["storage"], "labels", v.storage_labels);
    }
    if (j.contains("type_infos") && j["type_infos"].is_object()) take(j["type_infos"], "relations", v.relations);
    take(j, "path", v.path);
    take(j, "last_event", v.last_event);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const Configuration& v) {
    j = json::object();
    put_common(j, v.id, v.tags, v.extra);
    put(j, "datastore", v.datastore);
    put(j, "type", v.type);
    put(j, "status", v.status);
    put(j, "name", v.name);
    put(j, "layer_name", v.layer_name);
    put_raw(j, "type_infos", v.type_infos);
    put(j, "used_stored_data", v.used_stored_data);
    put(j, "last_event", v.last_event);
    put(j, "created", v.created);
    put(j, "modified", v.modified);
}
void from_json(const json& j, Configuration& v) {
    take_common(j, v.id, v.tags, v.extra);
    take_ref(j, "datastore", v.datastore);
    take(j, "type", v.type);
    take(j, "status", v.status);
    take(j, "name", v.name);
    take(j, "layer_name", v.layer_name);
    take_raw(j, "type_infos", v.type_infos);
    if (j.contains("used_stored_data")) {
        take_refs(j, "used_stored_data", v.used_stored_data);
    } else if (j.contains("type_infos") && j["type_infos"].is_object() && j["type_infos"].contains("used_data") &&
               j["type_infos"]["used_data"].is_array()) {
        // The reference's body: type_infos.used_data[{stored_data, …}].
        v.used_stored_data.clear();
        for (const auto& u : j["type_infos"]["used_data"]) {
            Id id;
            if (u.is_object()) take_ref(u, "stored_data", id);
            if (!id.empty()) v.used_stored_data.push_back(std::move(id));
        }
    }
    take(j, "last_event", v.last_event);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const EndpointUrl& v) { j = json{{"type", v.type}, {"url", v.url}}; }
void from_json(const json& j, EndpointUrl& v) {
    take(j, "type", v.type);
    take(j, "url", v.url);
}

void to_json(json& j, const Endpoint& v) {
    j = json::object();
    put_common(j, v.id, v.tags, v.extra);
    put(j, "name", v.name);
    put(j, "technical_name", v.technical_name);
    put(j, "type", v.type);
    put(j, "open", v.open);
    put(j, "urls", v.urls);
    put(j, "created", v.created);
    put(j, "modified", v.modified);
}
void from_json(const json& j, Endpoint& v) {
    take_common(j, v.id, v.tags, v.extra);
    take(j, "name", v.name);
    take(j, "technical_name", v.technical_name);
    take(j, "type", v.type);
    take(j, "open", v.open);
    take(j, "urls", v.urls);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const Offering& v) {
    j = json::object();
    put_common(j, v.id, v.tags, v.extra);
    put(j, "datastore", v.datastore);
    put(j, "configuration", v.configuration);
    put(j, "endpoint", v.endpoint);
    put(j, "type", v.type);
    put(j, "status", v.status);
    put(j, "open", v.open);
    put(j, "available", v.available);
    put(j, "layer_name", v.layer_name);
    put(j, "urls", v.urls);
    put(j, "created", v.created);
    put(j, "modified", v.modified);
}
void from_json(const json& j, Offering& v) {
    take_common(j, v.id, v.tags, v.extra);
    take_ref(j, "datastore", v.datastore);
    take_ref(j, "configuration", v.configuration);
    take_ref(j, "endpoint", v.endpoint);
    take(j, "type", v.type);
    take(j, "status", v.status);
    take(j, "open", v.open);
    take(j, "available", v.available);
    take(j, "layer_name", v.layer_name);
    take(j, "urls", v.urls);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const Permission& v) {
    j = json::object();
    put_common(j, v.id, v.tags, v.extra);
    put(j, "datastore", v.datastore);
    put(j, "licence", v.licence);
    put(j, "end_date", v.end_date);
    put(j, "offerings", v.offerings);
    put(j, "type", v.type);
    put(j, "users", v.beneficiaries);
    put(j, "only_oauth", v.only_oauth);
    put(j, "created", v.created);
    put(j, "modified", v.modified);
}
void from_json(const json& j, Permission& v) {
    take_common(j, v.id, v.tags, v.extra);
    take_ref(j, "datastore", v.datastore);
    take(j, "licence", v.licence);
    take(j, "end_date", v.end_date);
    take_refs(j, "offerings", v.offerings);
    take(j, "type", v.type);
    take_refs(j, "users", v.beneficiaries);
    take(j, "only_oauth", v.only_oauth);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const Access& v) {
    j = json{{"_id", v.id},       {"key", v.key},         {"permission", v.permission},
             {"offering", v.offering}, {"created", v.created}, {"modified", v.modified}};
}
void from_json(const json& j, Access& v) {
    take(j, "_id", v.id);
    take_ref(j, "key", v.key);
    take_ref(j, "permission", v.permission);
    take_ref(j, "offering", v.offering);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const MapDocument& v) {
    j = json::object();
    put_common(j, v.id, v.tags, v.extra);
    put(j, "owner", v.owner);
    put(j, "name", v.name);
    put(j, "description", v.description);
    put_raw(j, "layers", v.layers);
    put_raw(j, "styles", v.styles);
    put_raw(j, "view", v.view);
    put(j, "sharing", v.sharing);
    put(j, "shared_with", v.shared_with);
    put(j, "created", v.created);
    put(j, "modified", v.modified);
}
void from_json(const json& j, MapDocument& v) {
    take_common(j, v.id, v.tags, v.extra);
    take_ref(j, "owner", v.owner);
    take(j, "name", v.name);
    take(j, "description", v.description);
    take_raw(j, "layers", v.layers);
    take_raw(j, "styles", v.styles);
    take_raw(j, "view", v.view);
    take(j, "sharing", v.sharing);
    take_refs(j, "shared_with", v.shared_with);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const ReportComment& v) { j = json{{"author", v.author}, {"date", v.date}, {"text", v.text}}; }
void from_json(const json& j, ReportComment& v) {
    take_ref(j, "author", v.author);
    take(j, "date", v.date);
    take(j, "text", v.text);
}

void to_json(json& j, const Report& v) {
    j = json::object();
    put_common(j, v.id, v.tags, v.extra);
    put(j, "author", v.author);
    put(j, "dataset", v.dataset);
    j["location"] = json{{"type", "Point"}, {"coordinates", {v.lon, v.lat}}};
    put(j, "theme", v.theme);
    put(j, "description", v.description);
    put(j, "status", v.status);
    put(j, "comments", v.comments);
    put(j, "created", v.created);
    put(j, "modified", v.modified);
}
void from_json(const json& j, Report& v) {
    take_common(j, v.id, v.tags, v.extra);
    take_ref(j, "author", v.author);
    take_ref(j, "dataset", v.dataset);
    if (j.contains("location") && !j["location"].is_null()) {
        const auto& loc = j["location"];
        if (!loc.is_object() || !loc.contains("coordinates") || !loc["coordinates"].is_array() ||
            loc["coordinates"].size() < 2 || !loc["coordinates"][0].is_number() || !loc["coordinates"][1].is_number())
            throw InvalidArgument("field 'location' must be a GeoJSON point");
        v.lon = loc["coordinates"][0].get<double>();
        v.lat = loc["coordinates"][1].get<double>();
    }
    take(j, "theme", v.theme);
    take(j, "description", v.description);
    take(j, "status", v.status);
    take(j, "comments", v.comments);
    take(j, "created", v.created);
    take(j, "modified", v.modified);
}

void to_json(json& j, const AuditEvent& v) {
    j = json::object();
    put(j, "_id", v.id);
    put(j, "time", v.time);
    put(j, "actor", v.actor);
    put(j, "action", v.action);
    put(j, "entity", v.entity);
    put(j, "entity_id", v.entity_id);
    put(j, "datastore", v.datastore);
    put_raw(j, "detail", v.detail);
}
void from_json(const json& j, AuditEvent& v) {
    take(j, "_id", v.id);
    take(j, "time", v.time);
    take(j, "actor", v.actor);
    take(j, "action", v.action);
    take(j, "entity", v.entity);
    take(j, "entity_id", v.entity_id);
    take(j, "datastore", v.datastore);
    take_raw(j, "detail", v.detail);
}

}  // namespace geoplex::catalog
