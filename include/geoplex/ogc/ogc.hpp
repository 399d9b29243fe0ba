#pragma once
// OGC diffusion over the layers of a bundle: WMS 1.3.0 maps (raster layers warped with GDAL,
// vector layers drawn with simple styles), features for WFS 2.0.0 and OGC API Features (OGR
// queries with attribute and spatial filters, streamed one batch at a time).
//
// Phases: Services::from_tileset(tileset) (the SAME layers the tiles component serves; sources
// opened lazily, once) → get_map / feature_info / open_features (thread-safe, each call borrows
// pooled GDAL handles). The protocols (KVP, XML documents, JSON links) live in the server
// (src/server/ogc_api.cpp); this component knows layers, CRSs, filters and encodings.

#include <array>
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

#include "geoplex/core/types.hpp"
#include "geoplex/tiles/tiles.hpp"

namespace geoplex::ogc {

// ---- styles ------------------------------------------------------------------------------------

struct Rgba {
    std::uint8_t r = 0, g = 0, b = 0, a = 255;
    friend bool operator==(const Rgba&, const Rgba&) = default;
};
/// "#rgb", "#rrggbb", "#rrggbbaa", "rgb(r,g,b)", "rgba(r,g,b,a)" (a in 0..1) or a CSS basic colour
/// name ("red", "navy"…); nullopt otherwise.
[[nodiscard]] std::optional<Rgba> parse_color(std::string_view s);

/// How a vector layer is drawn on a WMS map (documented in docs/ogc-services.md). Polygons are
/// filled then stroked, lines stroked, points drawn as discs with an outline.
struct VectorStyle {
    std::string name = "default";
    std::string title = "Default";
    Rgba fill{136, 160, 200, 255};
    double fill_opacity = 0.5;   ///< 0..1
    Rgba stroke{58, 79, 122, 255};
    double stroke_width = 1.0;   ///< pixels
    double stroke_opacity = 1.0;
    Rgba point{44, 62, 80, 255};
    double point_radius = 3.0;   ///< pixels
    double opacity = 1.0;        ///< whole layer

    /// A style from JSON: either this struct's fields ({"fill":"#…","fill_opacity":…,
    /// "stroke":…,"stroke_width":…,"point":…,"point_radius":…,"opacity":…}) or a MapLibre
    /// "paint" object (fill-color, fill-opacity, fill-outline-color, line-color, line-width,
    /// line-opacity, circle-color, circle-radius, circle-opacity); unknown keys are ignored,
    /// expressions (arrays) are refused. Throws InvalidArgument.
    [[nodiscard]] static VectorStyle from_json(std::string_view json_text);
};

// ---- layers ------------------------------------------------------------------------------------

struct FieldInfo {
    std::string name;
    /// "string", "integer", "number", "boolean", "date", "datetime".
    std::string type;
};

struct LayerInfo {
    std::string id;
    std::string title;
    std::string abstract;
    bool is_vector = false;
    BBox wgs84;                        ///< lon/lat extent
    std::string native_crs;            ///< "EPSG:2154"… ("" when it has no authority code)
    std::vector<FieldInfo> fields;     ///< vector: attributes
    std::string geometry_type;         ///< vector: "Point", "MultiPolygon"…
    std::vector<std::string> styles;   ///< style names ("default" first)
};

struct ServicesOptions {
    /// Named styles of vector layers: (layer id, styles; the first is the default). A list rather
    /// than a std::map: GCC 12 reports a false -Wmaybe-uninitialized on a std::map member when
    /// the server's nested option aggregates are default-constructed and moved.
    std::vector<std::pair<std::string, std::vector<VectorStyle>>> styles;
    /// Largest WIDTH/HEIGHT of a map.
    std::uint32_t max_map_size = 4096;
    /// Pixels around I/J searched by feature_info on vector layers.
    int info_tolerance_px = 3;
};

// ---- maps ----------------------------------------------------------------------------------------

struct MapRequest {
    std::vector<std::string> layers;  ///< drawn in order (the first at the bottom)
    std::vector<std::string> styles;  ///< per layer, "" = default; empty = all default
    std::string crs = "EPSG:4326";    ///< anything PROJ knows
    BBox bbox;                        ///< in `crs`, GIS axis order (x east, y north)
    std::uint32_t width = 256;
    std::uint32_t height = 256;
    tiles::TileFormat format = tiles::TileFormat::png;
    bool transparent = false;
    Rgba background{255, 255, 255, 255};
    int quality = 85;
};

struct MapImage {
    std::string bytes;   ///< encoded image
    std::string mime;
};

/// An error of a map/feature request in OGC terms (the server maps `code` to its exception
/// document: LayerNotDefined, StyleNotDefined, InvalidCRS, InvalidPoint, InvalidParameterValue…).
class OgcError : public std::exception {
public:
    OgcError(std::string code, std::string message, std::string locator = {})
        : m_code(std::move(code)), m_message(std::move(message)), m_locator(std::move(locator)) {}
    [[nodiscard]] const char* what() const noexcept override { return m_message.c_str(); }
    [[nodiscard]] const std::string& code() const noexcept { return m_code; }
    [[nodiscard]] const std::string& locator() const noexcept { return m_locator; }

private:
    std::string m_code, m_message, m_locator;
};

// ---- filters (FES 2.0 subset) --------------------------------------------------------------------

enum class FilterOp : std::uint8_t {
    equal, not_equal, less, less_equal, greater, greater_equal, like, between, is_null,
    and_, or_, not_,
    bbox, intersects,
    resource_id,  ///< literals: feature ids ("{type}.{fid}" or "{fid}")
};

struct Filter {
    FilterOp op = FilterOp::equal;
    std::string property;                ///< comparison operand (a layer field)
    std::vector<std::string> literals;   ///< 1 (comparison, like), 2 (between)
    bool match_case = true;
    char wild_card = '*', single_char = '.', escape_char = '\\';  ///< PropertyIsLike
    std::vector<Filter> children;        ///< and/or/not
    BBox box;                            ///< bbox: in `crs`, GIS order
    std::string geometry_wkt;            ///< intersects: WKT in `crs`, GIS order
    std::string crs;                     ///< "" = EPSG:4326
};

/// Parses an fes:Filter document (FES 2.0; the 1.1 ogc: namespace is accepted too): comparison
/// operators, PropertyIsLike/Between/Nil/Null, And/Or/Not, BBOX, Intersects with a gml:Envelope
/// or GML 3.2 Point/LineString/Polygon, ResourceId. Throws InvalidArgument with what is wrong.
[[nodiscard]] Filter parse_fes(std::string_view xml);

// ---- features ------------------------------------------------------------------------------------

enum class FeatureFormat : std::uint8_t {
    geojson,  ///< RFC 7946 Feature objects (comma separated)
    gml32,    ///< <wfs:member><geoplex:{layer} gml:id=…>…</…></wfs:member>
};

struct FeatureQuery {
    std::string layer;
    std::optional<BBox> bbox;              ///< in bbox_crs, GIS order
    std::string bbox_crs;                  ///< "" = EPSG:4326 / CRS84
    std::optional<Filter> filter;
    std::vector<std::pair<std::string, std::string>> equals;  ///< property = value (OGC API)
    std::vector<std::string> properties;   ///< empty = all
    bool with_geometry = true;
    std::string crs;                       ///< output CRS; "" = CRS84 (lon/lat)
    /// Write coordinates in the CRS's authority axis order (WFS GML, OGC API Part 2: EPSG:4326
    /// is lat,lon); false = GIS order always (GeoJSON of WFS).
    bool authority_axis_order = false;
    std::optional<std::int64_t> fid;       ///< one feature by id
    std::uint64_t start = 0;
    std::uint64_t count = 1000;
};

/// A feature query running: features are written batch by batch, never all held in memory.
class FeatureStream {
public:
    virtual ~FeatureStream() = default;
    /// Appends up to `max_bytes` (roughly) of encoded features to `out`; false once exhausted.
    virtual bool next(std::string& out, std::size_t max_bytes = 65536) = 0;
    /// Features written so far.
    [[nodiscard]] virtual std::uint64_t returned() const noexcept = 0;
};

class Services {
public:
    /// The layers of a tileset (raster and vector layers with their sources). Sources are
    /// opened on first use. Cheap to copy; thread-safe.
    static Services from_tileset(const tiles::Tileset& tileset, ServicesOptions options = {});
    /// Straight from layer configs (no bundle); sources opened now (throws IoError).
    static Services from_config(const tiles::BuildConfig& config, ServicesOptions options = {});
    /// The layers of several Services as one (sources and GDAL handle pools shared, nothing
    /// reopened; cheap) with `options` for maps; a layer id already taken is skipped.
    static Services merge(const std::vector<Services>& parts, ServicesOptions options);

    [[nodiscard]] const std::vector<LayerInfo>& layers() const;
    [[nodiscard]] const LayerInfo* find(std::string_view id) const;
    [[nodiscard]] const ServicesOptions& options() const noexcept;

    /// Renders a map. Throws OgcError (LayerNotDefined, StyleNotDefined, InvalidCRS,
    /// InvalidParameterValue) for a bad request.
    [[nodiscard]] MapImage get_map(const MapRequest& request) const;

    /// What is at pixel (i, j) of the map `request` on `layers`: GeoJSON Feature objects (vector
    /// features within the tolerance; for rasters a feature with the band values at the point).
    [[nodiscard]] std::vector<std::string> feature_info(const MapRequest& request, const std::vector<std::string>& layers,
                                                        int i, int j, std::size_t max_features = 10) const;

    /// Number of features matching (filters applied, paging ignored).
    [[nodiscard]] std::uint64_t count(const FeatureQuery& query) const;
    /// Features matching, from query.start, at most query.count. Throws OgcError for an unknown
    /// layer or property, InvalidArgument for a bad CRS.
    [[nodiscard]] std::unique_ptr<FeatureStream> open_features(const FeatureQuery& query, FeatureFormat format) const;
    /// The EPSG code's URN when `crs` is one ("urn:ogc:def:crs:EPSG::2154"), else `crs`.
    [[nodiscard]] static std::string crs_urn(std::string_view crs);
    /// Whether PROJ knows `crs` (EPSG:n, CRS:84, OGC URN/URL forms, WKT…).
    [[nodiscard]] static bool known_crs(std::string_view crs);
    /// Whether `crs`'s authority axis order is northing first (EPSG:4326, EPSG:4258…).
    [[nodiscard]] static bool northing_first(std::string_view crs);
    /// Transforms a WGS84 lon/lat box into `crs` (GIS order), densified edges.
    [[nodiscard]] static BBox transform_box(const BBox& box, std::string_view from_crs, std::string_view to_crs);

    struct Impl;

private:
    explicit Services(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}
    std::shared_ptr<const Impl> m_impl;
};

}  // namespace geoplex::ogc
