#pragma once
// The catalog's object model (reference §6.1 "API Entrepôt" and §7): plain structs with
// in-class defaults, the reference's enum strings, and JSON (nlohmann) conversion with the
// reference's field names ("_id", "tags", "extra", "type_infos"…).
//
// Conventions
//   - Ids are UUID v4 strings (new_id()); "" means "not stored yet" and Store::create assigns one.
//   - Dates are UTC ISO 8601 strings "YYYY-MM-DDTHH:MM:SSZ" (now_iso8601()): they sort as text.
//   - `tags` is a string map; `extra` and the `*_json` fields are JSON text kept verbatim ("{}"
//     when empty), so the store never needs to understand them.
//   - Sizes and quotas are bytes (std::int64_t).
//   - Enumerators are snake_case; to_string() gives the reference's exact spelling
//     (StoredDataType::rok4_pyramid_raster ↔ "ROK4-PYRAMID-RASTER") and parse<E>() reads it back.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "geoplex/core/error.hpp"

namespace geoplex::catalog {

using Id = std::string;
using Tags = std::map<std::string, std::string>;

/// A fresh random UUID v4 ("8-4-4-4-12" lower-case hex).
[[nodiscard]] Id new_id();
/// True for a syntactically valid UUID (any version, lower or upper case).
[[nodiscard]] bool is_uuid(std::string_view text) noexcept;
/// The current UTC time as "YYYY-MM-DDTHH:MM:SSZ".
[[nodiscard]] std::string now_iso8601();

// ---- enums (reference spellings) ----------------------------------------------------------------

enum class UploadType { vector, raster, archive, rok4_pyramid, index, historic_imagery, point_cloud, pyramid_3d };
enum class UploadStatus { created, open, closed, checking, generating, modifying, unstable, deleted };
enum class CheckStatus { waiting, progress, success, failure };
enum class ProcessingStatus { created, waiting, progress, success, failure, aborted };
enum class StoredDataType {
    vector_db, rok4_pyramid_raster, rok4_pyramid_vector, archive, graph_db, graph_osrm, graph_valhalla, index,
    pyramid_3d_copc, pyramid_3d_ept
};
enum class StoredDataStatus { created, generating, modifying, generated, deleted, unstable };
enum class StorageType { postgresql, s3, filesystem, opensearch, postgresql_routing };
enum class ConfigurationType {
    wms_vector, wfs, wmts_tms, wms_raster, download, itinerary_isocurve, altimetry, search, vector_tms
};
enum class ConfigurationStatus { unpublished, published, synchronizing };
/// Endpoint types: the configuration types plus METADATA (the CSW endpoint).
enum class EndpointType {
    wms_vector, wfs, wmts_tms, wms_raster, download, itinerary_isocurve, altimetry, search, vector_tms, metadata
};
enum class OfferingStatus { publishing, modifying, published, unpublishing, unstable };
enum class KeyType { hash, header, basic, oauth2 };
enum class PermissionType { account, community };
enum class CommunityRight { community, processing, annex, broadcast, upload };
enum class UserRole { admin, producer };
enum class Sharing { private_, community, public_ };
enum class ReportStatus { submitted, pending, validated, rejected };

[[nodiscard]] std::string_view to_string(UploadType v) noexcept;
[[nodiscard]] std::string_view to_string(UploadStatus v) noexcept;
[[nodiscard]] std::string_view to_string(CheckStatus v) noexcept;
[[nodiscard]] std::string_view to_string(ProcessingStatus v) noexcept;
[[nodiscard]] std::string_view to_string(StoredDataType v) noexcept;
[[nodiscard]] std::string_view to_string(StoredDataStatus v) noexcept;
[[nodiscard]] std::string_view to_string(StorageType v) noexcept;
[[nodiscard]] std::string_view to_string(ConfigurationType v) noexcept;
[[nodiscard]] std::string_view to_string(ConfigurationStatus v) noexcept;
[[nodiscard]] std::string_view to_string(EndpointType v) noexcept;
[[nodiscard]] std::string_view to_string(OfferingStatus v) noexcept;
[[nodiscard]] std::string_view to_string(KeyType v) noexcept;
[[nodiscard]] std::string_view to_string(PermissionType v) noexcept;
[[nodiscard]] std::string_view to_string(CommunityRight v) noexcept;
[[nodiscard]] std::string_view to_string(UserRole v) noexcept;
[[nodiscard]] std::string_view to_string(Sharing v) noexcept;
[[nodiscard]] std::string_view to_string(ReportStatus v) noexcept;

/// Reads the reference spelling (exact, case-sensitive); false when `text` is not one.
bool from_string(std::string_view text, UploadType& out) noexcept;
bool from_string(std::string_view text, UploadStatus& out) noexcept;
bool from_string(std::string_view text, CheckStatus& out) noexcept;
bool from_string(std::string_view text, ProcessingStatus& out) noexcept;
bool from_string(std::string_view text, StoredDataType& out) noexcept;
bool from_string(std::string_view text, StoredDataStatus& out) noexcept;
bool from_string(std::string_view text, StorageType& out) noexcept;
bool from_string(std::string_view text, ConfigurationType& out) noexcept;
bool from_string(std::string_view text, ConfigurationStatus& out) noexcept;
bool from_string(std::string_view text, EndpointType& out) noexcept;
bool from_string(std::string_view text, OfferingStatus& out) noexcept;
bool from_string(std::string_view text, KeyType& out) noexcept;
bool from_string(std::string_view text, PermissionType& out) noexcept;
bool from_string(std::string_view text, CommunityRight& out) noexcept;
bool from_string(std::string_view text, UserRole& out) noexcept;
bool from_string(std::string_view text, Sharing& out) noexcept;
bool from_string(std::string_view text, ReportStatus& out) noexcept;

/// parse<UploadStatus>("OPEN"). Throws InvalidArgument naming the bad value otherwise.
template <class E>
[[nodiscard]] E parse(std::string_view text) {
    E value{};
    if (!from_string(text, value)) throw InvalidArgument("unknown value '" + std::string(text) + "'");
    return value;
}

// ---- small shared values ------------------------------------------------------------------------

/// A lon/lat box in EPSG:4326 degrees; the reference's bbox{west,south,east,north}.
struct GeoBox {
    double west = 0, south = 0, east = 0, north = 0;
    [[nodiscard]] bool intersects(const GeoBox& o) const noexcept {
        return west <= o.east && o.west <= east && south <= o.north && o.south <= north;
    }
    friend bool operator==(const GeoBox&, const GeoBox&) = default;
};

/// `last_event{title,date,initiator}` carried by most entities.
struct LastEvent {
    std::string title{}, date{}, initiator{};
    friend bool operator==(const LastEvent&, const LastEvent&) = default;
};

// ---- entities -----------------------------------------------------------------------------------

/// A grouping of communities and users.
struct Organization {
    Id id{};
    std::string name{};
    std::string technical_name{};  ///< unique
    Tags tags{};
    std::string extra = "{}";
    std::string created{}, modified{};
    friend bool operator==(const Organization&, const Organization&) = default;
};

/// A group of users; with its datastore, a workspace.
struct Community {
    Id id{};
    std::string name{};
    std::string technical_name{};  ///< unique
    Id organization{};             ///< "" = none
    Id datastore{};                ///< "" = none yet
    Id supervisor{};               ///< user id, "" = none
    bool is_public = false;      ///< JSON "public"
    std::string contact{};         ///< e-mail
    Tags tags{};
    std::string extra = "{}";
    std::string created{}, modified{};
    friend bool operator==(const Community&, const Community&) = default;
};

/// One storage allowance: JSON {use, quota, storage{type}}; bytes.
struct StorageAllowance {
    StorageType type = StorageType::filesystem;
    std::string storage{};        ///< storage name or id ("" = default)
    std::int64_t use = 0;       ///< bytes used (computed by Store::storage_used, not authoritative)
    std::int64_t quota = 0;     ///< bytes allowed
    friend bool operator==(const StorageAllowance&, const StorageAllowance&) = default;
};

/// Offerings allowed on one endpoint: JSON {use, quota, endpoint}.
struct EndpointAllowance {
    Id endpoint{};
    std::int64_t use = 0;    ///< offerings currently on it (informative)
    std::int64_t quota = 10; ///< offerings allowed
    friend bool operator==(const EndpointAllowance&, const EndpointAllowance&) = default;
};

/// A community's storage and processing allowance. JSON `storages{data[], upload{}, annexes{}}`.
struct Datastore {
    Id id{};
    std::string name{};
    std::string technical_name{};  ///< unique
    Id community{};                ///< "" = none
    bool active = true;
    std::vector<StorageAllowance> storages_data{};
    StorageAllowance storage_upload{StorageType::filesystem, "", 0, 500'000'000'000};
    StorageAllowance storage_annexes{StorageType::filesystem, "", 0, 1'000'000'000};
    std::vector<EndpointAllowance> endpoints{};
    std::vector<std::string> processings{};  ///< processing names allowed
    Tags tags{};
    std::string extra = "{}";
    std::string created{}, modified{};
    friend bool operator==(const Datastore&, const Datastore&) = default;
};

/// A user's membership: JSON {rights[], community{_id,…}}.
struct Membership {
    Id community{};
    std::vector<CommunityRight> rights{};
    friend bool operator==(const Membership&, const Membership&) = default;
};

struct User {
    Id id{};
    std::string email{};  ///< unique
    std::string first_name{}, last_name{};
    std::vector<UserRole> roles{};            ///< JSON "roles"; also "administrator": roles ∋ admin
    bool technical = false;
    std::vector<Membership> communities_member{};
    std::string token_hash{};  ///< hash_secret() of the user's bearer token ("" = none); never the token
    Tags tags{};
    std::string extra = "{}";
    std::string created{}, modified{};
    [[nodiscard]] bool has_role(UserRole r) const noexcept {
        for (auto x : roles) if (x == r) return true;
        return false;
    }
    friend bool operator==(const User&, const User&) = default;
};

/// A consumer key. The secret itself is never stored: `secret_hash` is a hash_secret() string
/// (scheme, salt and digest); `lookup` is a non-secret fingerprint used to find the key from a
/// request (e.g. sha256_hex of the presented key), indexed by the store.
struct ApiKey {
    Id id{};
    Id user{};
    std::string name{};
    KeyType type = KeyType::hash;
    std::string type_infos = "{}";   ///< JSON text without secrets (e.g. HEADER names, BASIC login)
    std::string secret_hash{};
    std::string lookup{};              ///< "" = none; unique when set
    std::vector<std::string> whitelist{}, blacklist{};  ///< IPs or CIDR blocks
    std::string referer{};             ///< Lua pattern, "" = any
    std::string user_agent{};          ///< Lua pattern, "" = any
    Tags tags{};
    std::string extra = "{}";
    std::string created{}, modified{};
    friend bool operator==(const ApiKey&, const ApiKey&) = default;
};

/// A point of contact (ISO 19115 CI_ResponsibleParty, DCAT contactPoint).
struct Contact {
    std::string organisation, name, email, role = "pointOfContact";
    friend bool operator==(const Contact&, const Contact&) = default;
};

/// The dataset sheet ("fiche de données"): ISO 19115 / INSPIRE core and its DCAT mapping.
struct Dataset {
    Id id{};
    Id datastore{};                       ///< owning datastore, "" = none
    std::string file_identifier{};        ///< gmd:fileIdentifier; unique when set
    std::string title{};                  ///< dct:title
    std::string abstract{};               ///< dct:description
    std::string producer{};               ///< dct:publisher / responsible party
    std::vector<std::string> keywords{};  ///< dcat:keyword
    std::vector<std::string> themes{};    ///< dcat:theme (INSPIRE / catalogue themes)
    std::vector<std::string> formats{};   ///< distribution formats and service types (WMTS, WFS, GeoPackage…)
    std::string licence{};                ///< dct:license
    std::optional<GeoBox> bbox{};         ///< EPSG:4326
    std::string temporal_start{}, temporal_end{};  ///< ISO dates, "" = open
    std::string publication_date{};       ///< ISO date; its year is the "year" facet
    std::string crs = "EPSG:4326";
    std::string update_frequency{};       ///< MD_MaintenanceFrequencyCode ("annually", "asNeeded"…)
    int quality = 0;                    ///< metadata quality indicator, 0–100
    std::string language = "fre";       ///< ISO 639-2
    std::string topic_category{};         ///< MD_TopicCategoryCode
    Contact contact{};
    std::string lineage{};
    std::string level = "DATASET";      ///< DATASET or SERIES
    bool open_data = false;
    Sharing sharing = Sharing::public_;
    Tags tags{};
    std::string extra = "{}";
    std::string created{}, modified{};
    friend bool operator==(const Dataset&, const Dataset&) = default;
};

/// An upload ("livraison"): a temporary bundle of input files.
struct Upload {
    Id id{};
    Id datastore{};
    std::string name{}, description{};
    UploadType type = UploadType::vector;
    std::string srs = "EPSG:4326";
    UploadStatus status = UploadStatus::created;
    std::int64_t size = 0;  ///< bytes received
    std::optional<GeoBox> extent{};
    Tags tags{};
    std::string extra = "{}";
    LastEvent last_event{};
    std::string created{}, modified{};
    friend bool operator==(const Upload&, const Upload&) = default;
};

/// One run of a check on an upload, with its logs.
struct CheckExecution {
    Id id{};
    Id upload{};
    std::string check{};  ///< check name ("standard", "vecteur", "raster"…)
    CheckStatus status = CheckStatus::waiting;
    std::vector<std::string> logs{};
    std::string creation{}, start{}, finish{};
    friend bool operator==(const CheckExecution&, const CheckExecution&) = default;
};

/// One run of a processing (vector→DB, raster→pyramid…).
struct ProcessingExecution {
    Id id{};
    Id datastore{};
    std::string processing{};                  ///< processing name
    ProcessingStatus status = ProcessingStatus::created;
    std::vector<Id> input_uploads{}, input_stored_data{};
    Id output_stored_data{};                   ///< "" until known
    std::string parameters = "{}";           ///< JSON text
    double progress = 0;                     ///< 0..1
    std::vector<std::string> logs{};
    std::string creation{}, launch{}, start{}, finish{};
    friend bool operator==(const ProcessingExecution&, const ProcessingExecution&) = default;
};

/// One attribute of a stored relation (table).
struct Attribute {
    std::string name{}, type{};
    friend bool operator==(const Attribute&, const Attribute&) = default;
};
/// A relation of VECTOR-DB stored data: type_infos.relations[{name,type:"TABLE",attributes[],primary_key[]}].
struct Relation {
    std::string name{};
    std::string type = "TABLE";
    std::vector<Attribute> attributes{};
    std::vector<std::string> primary_key{};
    std::string geometry_type{};  ///< "POINT", "MULTIPOLYGON"… ("" = none)
    std::int64_t feature_count = 0;
    friend bool operator==(const Relation&, const Relation&) = default;
};

/// Durable data produced by a processing.
struct StoredData {
    Id id{};
    Id datastore{};
    std::string name{};
    StoredDataType type = StoredDataType::vector_db;
    StoredDataStatus status = StoredDataStatus::created;
    std::string srs = "EPSG:4326";
    std::optional<GeoBox> extent{};
    std::int64_t size = 0;  ///< bytes on storage
    StorageType storage_type = StorageType::filesystem;
    std::vector<std::string> storage_labels{};
    std::vector<Relation> relations{};  ///< type_infos.relations
    std::string path{};                 ///< where the bytes live (server side)
    Tags tags{};
    std::string extra = "{}";
    LastEvent last_event{};
    std::string created{}, modified{};
    friend bool operator==(const StoredData&, const StoredData&) = default;
};

/// How to expose stored data on one kind of service.
struct Configuration {
    Id id{};
    Id datastore{};
    ConfigurationType type = ConfigurationType::wfs;
    ConfigurationStatus status = ConfigurationStatus::unpublished;
    std::string name{};
    std::string layer_name{};            ///< unique across the platform
    std::string type_infos = "{}";     ///< JSON text (title, abstract, keywords, bbox, used_data…)
    std::vector<Id> used_stored_data{};  ///< stored data ids referenced by type_infos.used_data
    Tags tags{};
    std::string extra = "{}";
    LastEvent last_event{};
    std::string created{}, modified{};
    friend bool operator==(const Configuration&, const Configuration&) = default;
};

/// A cluster of broadcast servers.
struct EndpointUrl {
    std::string type{};  ///< WMTS, TMS, WMS, WFS, DOWNLOAD, ITINERARY, ISOCURVE, ALTIMETRY, METADATA, SEARCH
    std::string url{};
    friend bool operator==(const EndpointUrl&, const EndpointUrl&) = default;
};
struct Endpoint {
    Id id{};
    std::string name{};
    std::string technical_name{};  ///< unique ("gpf-geoserver-wfs"…)
    EndpointType type = EndpointType::wfs;
    bool open = true;
    std::vector<EndpointUrl> urls{};
    Tags tags{};
    std::string extra = "{}";
    std::string created{}, modified{};
    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

/// A configuration present on an endpoint.
struct Offering {
    Id id{};
    Id datastore{};
    Id configuration{};
    Id endpoint{};
    ConfigurationType type = ConfigurationType::wfs;
    OfferingStatus status = OfferingStatus::publishing;
    bool open = true;
    bool available = true;  ///< kill switch
    std::string layer_name{};
    std::vector<EndpointUrl> urls{};
    Tags tags{};
    std::string extra = "{}";
    std::string created{}, modified{};
    friend bool operator==(const Offering&, const Offering&) = default;
};

/// Grants offerings to users (ACCOUNT) or communities (COMMUNITY).
struct Permission {
    Id id{};
    Id datastore{};
    std::string licence{};
    std::string end_date{};          ///< ISO date-time, "" = never ends
    std::vector<Id> offerings{};
    PermissionType type = PermissionType::account;
    std::vector<Id> beneficiaries{}; ///< JSON "users": user or community ids
    bool only_oauth = false;
    Tags tags{};
    std::string extra = "{}";
    std::string created{}, modified{};
    friend bool operator==(const Permission&, const Permission&) = default;
};

/// A key's link to an offering, through a permission ("" for open offerings on restricted endpoints).
struct Access {
    Id id{};
    Id key{};
    Id permission{};
    Id offering{};
    std::string created{}, modified{};
    friend bool operator==(const Access&, const Access&) = default;
};

/// A saved map: layers, styles and view as JSON text.
struct MapDocument {
    Id id{};
    Id owner{};  ///< user id
    std::string name{}, description{};
    std::string layers = "[]", styles = "{}", view = "{}";
    Sharing sharing = Sharing::private_;
    std::vector<Id> shared_with{};  ///< user or community ids
    Tags tags{};
    std::string extra = "{}";
    std::string created{}, modified{};
    friend bool operator==(const MapDocument&, const MapDocument&) = default;
};

/// A comment in a report's thread.
struct ReportComment {
    Id author{};
    std::string date{}, text{};
    friend bool operator==(const ReportComment&, const ReportComment&) = default;
};
/// A collaborative report ("signalement") on a place, optionally about a dataset.
/// Workflow: SUBMITTED → PENDING → VALIDATED | REJECTED (see can_transition).
struct Report {
    Id id{};
    Id author{};
    Id dataset{};  ///< "" = none
    double lon = 0, lat = 0;
    std::string theme{};
    std::string description{};
    ReportStatus status = ReportStatus::submitted;
    std::vector<ReportComment> comments{};
    Tags tags{};
    std::string extra = "{}";
    std::string created{}, modified{};
    friend bool operator==(const Report&, const Report&) = default;
};
/// True when a report may go from `from` to `to` (SUBMITTED→PENDING, PENDING→VALIDATED|REJECTED,
/// SUBMITTED→REJECTED).
[[nodiscard]] bool can_transition(ReportStatus from, ReportStatus to) noexcept;

/// One audited write: who did what to which entity.
struct AuditEvent {
    Id id{};
    std::string time{};      ///< set by Store::append_audit when empty
    std::string actor{};     ///< user id, key id or "system"
    std::string action{};    ///< "create", "update", "delete", "publish"…
    std::string entity{};    ///< entity kind ("upload", "offering"…)
    Id entity_id{};
    Id datastore{};          ///< "" = none
    std::string detail = "{}";  ///< JSON text
    friend bool operator==(const AuditEvent&, const AuditEvent&) = default;
};

// ---- JSON (nlohmann ADL hooks: `nlohmann::json j = dataset; auto d = j.get<Dataset>();`) -------
// from_json accepts what to_json writes; missing fields keep their defaults; wrong types or
// unknown enum strings throw InvalidArgument.

#define GEOPLEX_CATALOG_JSON(T)                 \
    void to_json(nlohmann::json& j, const T& v); \
    void from_json(const nlohmann::json& j, T& v);
GEOPLEX_CATALOG_JSON(GeoBox)
GEOPLEX_CATALOG_JSON(LastEvent)
GEOPLEX_CATALOG_JSON(Organization)
GEOPLEX_CATALOG_JSON(Community)
GEOPLEX_CATALOG_JSON(StorageAllowance)
GEOPLEX_CATALOG_JSON(EndpointAllowance)
GEOPLEX_CATALOG_JSON(Datastore)
GEOPLEX_CATALOG_JSON(Membership)
GEOPLEX_CATALOG_JSON(User)
GEOPLEX_CATALOG_JSON(ApiKey)
GEOPLEX_CATALOG_JSON(Contact)
GEOPLEX_CATALOG_JSON(Dataset)
GEOPLEX_CATALOG_JSON(Upload)
GEOPLEX_CATALOG_JSON(CheckExecution)
GEOPLEX_CATALOG_JSON(ProcessingExecution)
GEOPLEX_CATALOG_JSON(Attribute)
GEOPLEX_CATALOG_JSON(Relation)
GEOPLEX_CATALOG_JSON(StoredData)
GEOPLEX_CATALOG_JSON(Configuration)
GEOPLEX_CATALOG_JSON(EndpointUrl)
GEOPLEX_CATALOG_JSON(Endpoint)
GEOPLEX_CATALOG_JSON(Offering)
GEOPLEX_CATALOG_JSON(Permission)
GEOPLEX_CATALOG_JSON(Access)
GEOPLEX_CATALOG_JSON(MapDocument)
GEOPLEX_CATALOG_JSON(ReportComment)
GEOPLEX_CATALOG_JSON(Report)
GEOPLEX_CATALOG_JSON(AuditEvent)
#undef GEOPLEX_CATALOG_JSON

}  // namespace geoplex::catalog
