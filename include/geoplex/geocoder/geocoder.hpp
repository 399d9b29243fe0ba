#pragma once
// Geocoding (addresses): search, reverse and completion over BAN data, addok-style.
//
// Phases: BuildConfig → Builder::build(dir) → Geocoder::open(dir) (immutable, memory-mapped,
// thread-safe) → Query (one per thread, reusable; holds scratch buffers).
//
// Documents: municipality, street (with its house numbers) and housenumber (the "address" index),
// named points of interest ("poi") and cadastral parcels ("parcel"). Streets and
// municipalities are found through an inverted index of normalised tokens (see text.hpp);
// house numbers are found under their street (as addok does), and by a spatial grid for
// reverse. Ranking and index layout are explained in docs/geocoder.md.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geoplex/core/progress.hpp"
#include "geoplex/core/types.hpp"

namespace geoplex::geocoder {

class Query;
namespace detail {
void set_exhaustive_scoring(Query& query, bool on);  // tests only (src/geocoder/format.hpp)
}  // namespace detail

/// Index file format version; bump on any layout change.
inline constexpr std::uint32_t index_format_version = 3;

enum class DocType : std::uint8_t { municipality = 0, locality = 1, street = 2, housenumber = 3, poi = 4, parcel = 5 };

/// The Géoplateforme's indexes: address (municipality, locality, street, housenumber), poi, parcel.
enum class IndexKind : std::uint8_t { address = 0, poi = 1, parcel = 2 };
/// "address", "poi", "parcel".
[[nodiscard]] std::string_view to_string(IndexKind k) noexcept;
[[nodiscard]] std::optional<IndexKind> index_kind_from_string(std::string_view s) noexcept;
/// The index a document type belongs to.
[[nodiscard]] IndexKind index_of(DocType t) noexcept;

/// "municipality", "locality", "street", "housenumber", "poi", "parcel".
[[nodiscard]] std::string_view to_string(DocType t) noexcept;
/// Parses the names above; nullopt when unknown.
[[nodiscard]] std::optional<DocType> doc_type_from_string(std::string_view s) noexcept;

enum class SourceFormat : std::uint8_t {
    ban_csv,       ///< BAN "adresses-XX.csv": 23 ';'-separated columns with a header row
    addok_ndjson,  ///< addok/BAN bundle: one JSON document per line (optionally .gz)
    osm,           ///< OpenStreetMap (.osm.pbf, .osm…): nodes and ways with addr:housenumber + addr:street
    osm_poi,       ///< OpenStreetMap named POIs (amenity, shop, tourism, leisure, … → category)
    gdal_poi,      ///< any GDAL vector layer of POIs (name and category fields configurable)
    gdal_parcel,   ///< any GDAL vector layer of cadastral parcels (14-character ids)
};

[[nodiscard]] std::string_view to_string(SourceFormat f) noexcept;

struct SourceConfig {
    SourceFormat format = SourceFormat::ban_csv;
    /// The file; a name ending in ".gz" is read through zlib.
    std::filesystem::path path;
    // GDAL sources (gdal_poi, gdal_parcel); empty = the default shown. (Default member
    // initialisers keep `{format, path}` aggregate initialisation warning-free.)
    std::string layer{};           ///< layer name; empty = the first layer
    std::string name_field{};      ///< POI name (default "name")
    std::string category_field{};  ///< POI category (default "category"; values split on ';' and '|')
    std::string id_field{};        ///< POI id (default: the feature id) / parcel id (default "id", 14 characters)
    std::string citycode_field{};  ///< POI INSEE code (optional)
    std::string postcode_field{};  ///< POI postcode (optional)
    std::string sheet_field{};     ///< parcel sheet, "feuille" (default "feuille", optional)

    [[nodiscard]] std::vector<std::string> validate() const;
};

struct BuildConfig {
    std::vector<SourceConfig> sources;
    /// Reverse grid cell size in degrees of latitude (longitude cells are scaled by cos(lat0)
    /// of the data's mean latitude so that cells are roughly square).
    double grid_cell_deg = 0.002;

    /// Every problem, prefixed with where it is ("sources[0].path: …").
    [[nodiscard]] std::vector<std::string> validate() const;
};

struct BuildStats {
    std::uint64_t municipalities = 0;
    std::uint64_t streets = 0;
    std::uint64_t housenumbers = 0;
    std::uint64_t pois = 0;
    std::uint64_t parcels = 0;
    std::uint64_t terms = 0;
    std::uint64_t index_bytes = 0;  ///< size of address.idx
    std::uint64_t skipped_rows = 0; ///< input rows without a usable position or name
};

/// Builds `<dir>/address.idx`. Progress is reported as ("geocoder: read <file>", bytes, total)
/// then ("geocoder: index", step, steps).
class Builder {
public:
    /// Throws InvalidArgument listing every problem of `config`.
    explicit Builder(BuildConfig config);
    /// Throws IoError/FormatError naming the source (and line) when it cannot be read,
    /// Error(errc::cancelled) when cancelled.
    BuildStats build(const std::filesystem::path& out_dir, const core::Callbacks& callbacks = {}) const;
    [[nodiscard]] const BuildConfig& config() const noexcept { return m_config; }

private:
    BuildConfig m_config;
};

struct OpenOptions {
    /// Verify the index checksum at open (reads every byte).
    bool verify_checksums = false;
};

struct IndexInfo {
    std::uint64_t municipalities = 0;
    std::uint64_t streets = 0;
    std::uint64_t housenumbers = 0;
    std::uint64_t pois = 0;
    std::uint64_t parcels = 0;
    std::uint64_t terms = 0;
    std::uint64_t bytes = 0;
    BBox extent;  ///< lon/lat extent of every document

    /// Whether queries on this index can return anything: the address index always, poi and
    /// parcel when the bundle holds such documents.
    [[nodiscard]] constexpr bool serves(IndexKind k) const noexcept {
        return k == IndexKind::address || (k == IndexKind::poi ? pois : parcels) > 0;
    }
};

/// An opened geocoder folder. Immutable, safe to share between threads, cheap to copy.
class Geocoder {
public:
    /// Opens `<bundle>/geocoder`. Throws IoError/FormatError naming the missing or corrupt file.
    static Geocoder open(const std::filesystem::path& dir, const OpenOptions& options = {});
    [[nodiscard]] const IndexInfo& info() const noexcept;

    struct Impl;
    [[nodiscard]] const Impl& impl() const noexcept { return *m_impl; }

private:
    explicit Geocoder(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}
    std::shared_ptr<const Impl> m_impl;
};

/// Filters shared by search and reverse; an empty list accepts everything.
struct Filters {
    std::vector<std::string> postcodes;  ///< 5 digits each
    std::vector<std::string> citycodes;  ///< INSEE codes (2A/2B allowed)
    std::vector<std::string> depcodes;   ///< department codes: 2 or 3 characters (97x, 98x)
    std::vector<DocType> types;
    std::string city;                    ///< compared after normalisation (accents, case)
    std::vector<std::string> categories{}; ///< POIs: any of these categories (case-insensitive)

    [[nodiscard]] std::vector<std::string> validate() const;
};

/// Structured parcel search (index=parcel): every given field must match; empty = any.
struct ParcelQuery {
    std::string departmentcode{};       ///< 2 or 3 characters (2A, 2B, 97x)
    std::string municipalitycode{};     ///< 2–3 digits (left-padded with 0)
    std::string oldmunicipalitycode{};  ///< 3 digits ("000" when none)
    std::string districtcode{};         ///< 3 digits (Paris, Lyon, Marseille)
    std::string section{};              ///< 1–2 characters (left-padded with 0)
    std::string number{};               ///< 1–4 digits (left-padded with 0)
    std::string sheet{};                ///< 1–2 digits

    [[nodiscard]] bool empty() const noexcept;
    [[nodiscard]] std::vector<std::string> validate() const;
};

struct SearchRequest {
    /// Free text (3–200 characters for the HTTP API; the library accepts any non-empty text).
    std::string q;
    std::size_t limit = 10;
    /// Optional bias point: nearer documents rank higher (see docs/geocoder.md).
    std::optional<LonLat> bias;
    Filters filters;
    /// Treat the last token as a prefix (typing in progress).
    bool autocomplete = false;
    /// Indexes searched; empty = {address}. Results of several indexes are merged by score.
    std::vector<IndexKind> indexes{};
    /// Structured parcel search (used with IndexKind::parcel; `q` may then be empty).
    ParcelQuery parcel{};
    /// Fill Result::true_geometry of POIs and parcels (the reference's `returntruegeometry`).
    bool true_geometry = false;

    /// Every problem (empty q, limit 0 or > 100, invalid bias, bad filters).
    [[nodiscard]] std::vector<std::string> validate() const;
};

/// A reverse search geometry (the Géoplateforme's `searchgeom`, matched by intersection): a
/// document matches when its geometry — a parcel's or a GDAL POI's true geometry (polygons,
/// lines), else its point — lies within `buffer_m` metres of this geometry (0 = intersects).
/// A Circle is a point with `buffer_m` = its radius.
struct SearchGeometry {
    enum class Kind : std::uint8_t { point, linestring, polygon };
    Kind kind = Kind::point;
    /// point: one part of one position; linestring: one part of ≥ 2; polygon: its rings (outer
    /// then holes, read even-odd), each of ≥ 3 distinct positions, closed or not.
    std::vector<std::vector<LonLat>> parts;
    double buffer_m = 0.0;
    /// Documents that are only a point (addresses, streets, OSM POIs) also match within this
    /// distance (a point has no area: a Point or LineString search would otherwise need the
    /// exact position).
    double point_tolerance_m = 0.0;

    [[nodiscard]] std::vector<std::string> validate() const;
};

struct ReverseRequest {
    LonLat point;
    /// Search radius in metres; nullopt = no limit (the nearest documents wherever they are).
    std::optional<double> radius_m;
    std::size_t limit = 1;
    /// Types default to {housenumber}; street and municipality are matched by their point.
    Filters filters;
    /// Indexes searched; empty = {address}. POIs and parcels are matched by their point, or by
    /// their true geometry with `geometry`.
    std::vector<IndexKind> indexes{};
    /// When set: every document intersecting it (see SearchGeometry), nearest to `point` first
    /// (`distance` from `point`); `radius_m` must then be unset.
    std::optional<SearchGeometry> geometry{};
    /// Fill Result::true_geometry of POIs and parcels (the reference's `returntruegeometry`).
    bool true_geometry = false;

    [[nodiscard]] std::vector<std::string> validate() const;
};

/// One result. Strings are copies (results outlive the query's scratch state).
struct Result {
    DocType type = DocType::housenumber;
    std::string id;
    std::string label;        ///< "12 bis Rue de la Paix 93140 Bondy"
    std::string name;         ///< "12 bis Rue de la Paix" (housenumber), street name, city name
    std::string housenumber;  ///< "12 bis"; empty unless type == housenumber
    std::string street;       ///< street name; empty for municipalities
    std::string postcode;
    std::string citycode;
    std::string city;
    std::string context;      ///< "93, Seine-Saint-Denis, Île-de-France" when known
    LonLat position;
    double score = 0.0;       ///< in [0, 1]
    double importance = 0.0;  ///< in [0, 1]
    /// Metres from the reverse point or the search bias; negative when neither was given.
    double distance = -1.0;
    /// POIs: categories (e.g. {"restaurant", "amenity"}).
    std::vector<std::string> categories{};
    /// Parcels: the parts of the 14-character id, and the sheet when the source has it.
    std::string departmentcode{}, municipalitycode{}, oldmunicipalitycode{}, districtcode{}, section{}, number{}, sheet{};
    /// POIs and parcels, when the request asks for it: the source geometry as a GeoJSON geometry
    /// object (WGS84, 7 decimals): Point, LineString, Polygon (rings grouped even-odd: a ring
    /// inside an odd number of others is a hole), their Multi* forms, or a GeometryCollection
    /// when kinds are mixed; the document's point when the source had only a point. Empty otherwise.
    std::string true_geometry{};
};

/// Per-thread query object. Not thread-safe itself; keep one per thread and reuse it.
class Query {
public:
    explicit Query(const Geocoder& geocoder);
    ~Query();
    Query(Query&&) noexcept;
    Query& operator=(Query&&) noexcept;
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    /// Best matches first (score descending, ties by document order in the index). No match →
    /// empty. Throws InvalidArgument listing every problem of the request.
    [[nodiscard]] std::vector<Result> search(const SearchRequest& request);
    /// Nearest documents first (distance ascending, ties by document order), with `distance`
    /// and score = 1 - distance/radius (or 1/(1+distance/100) without a radius).
    [[nodiscard]] std::vector<Result> reverse(const ReverseRequest& request);

    [[nodiscard]] const Geocoder& geocoder() const noexcept;

private:
    friend void detail::set_exhaustive_scoring(Query& query, bool on);
    struct State;
    std::unique_ptr<State> m_state;
};

// ---- batch CSV --------------------------------------------------------------------------------

/// The result columns appended to every row of a batch, in this order.
inline constexpr std::string_view batch_result_columns[] = {
    "latitude", "longitude", "result_label", "result_score", "result_type", "result_id",
    "result_housenumber", "result_name", "result_postcode", "result_city", "result_citycode"};

struct BatchOptions {
    /// Columns concatenated (space-separated) into the search text; empty = every column.
    std::vector<std::string> columns;
    /// Column holding a postcode / citycode filter per row (empty = none).
    std::string postcode_column;
    std::string citycode_column;
    /// Reverse: the columns holding the coordinates.
    std::string lat_column = "lat";
    std::string lon_column = "lon";
    /// Field separator; 0 = detect from the header (',', ';', '\t' or '|').
    char delimiter = 0;
    /// Rows beyond this are refused with Error(errc::limit_exceeded) (0 = no limit).
    std::size_t max_rows = 0;
    Filters filters;
};

struct BatchStats {
    std::size_t rows = 0;
    std::size_t matched = 0;
};

/// Geocodes a CSV stream row by row (constant memory): the header and every row are copied to
/// `out` with the result columns appended (empty when no match). Throws InvalidArgument when a
/// named column is missing, FormatError on an unterminated quote.
BatchStats batch_search_csv(Query& query, std::istream& in, std::ostream& out, const BatchOptions& options = {});
/// Same for reverse geocoding, reading `lat_column`/`lon_column`.
BatchStats batch_reverse_csv(Query& query, std::istream& in, std::ostream& out, const BatchOptions& options = {});

}  // namespace geoplex::geocoder
