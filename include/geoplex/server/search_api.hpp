#pragma once
// The layer search service (reference §7 "recherche"), modelled on the Géoplateforme's standard
// index "geoplateforme":
//
//   POST /recherche/api/indexes/geoplateforme                    search (every body field optional)
//   GET  /recherche/api/indexes/geoplateforme/suggest?text=…&fields=title,keywords   (≥ 3 characters)
//   GET  /recherche/api/indexes/geoplateforme/suggest_autocomplete?text=…&field=title
//   GET  /recherche/api/indexes/geoplateforme/documents/{id}
//   GET  /recherche/api/indexes/geoplateforme/offerings/{id}     → [{id}]
//   and the same under /private/recherche/… with a key (restricted documents need key + access).
//
// One document per published catalog offering (its configuration's type_infos, the stored
// data's tags and the linked dataset sheet, if any) and one per layer or resource the bundle
// serves (tile layers, WMS/WFS layers, routing, altitude, geocoder), so a server without a
// catalog still answers. Text goes through catalog::analyze() (French folding and stemming).
// The index is rebuilt when the catalog's generation() or the bundle changes. docs/catalog.md
// ("Layer search") gives every rule; docs/http-api.md the routes.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "geoplex/server/router.hpp"

namespace geoplex::bundle {
class Engine;
}
namespace geoplex::catalog {
class Catalog;
}

namespace geoplex::server {

/// One search document (the reference's fields; `url` is a path, made absolute per request).
struct LayerDocument {
    std::string id, offering_id, layer_name, title, description, type;
    std::string url;  ///< path and query of the GetCapabilities / Describe URL ("/wmts?…")
    bool open = true;
    bool restricted = false;  ///< on a non-open endpoint: only under /private with key + access
    std::string theme;
    std::vector<int> production_years;
    std::string publication_date;  ///< YYYY-MM-DD or ""
    std::vector<std::string> keywords, srs, producers, metadata_urls;
    std::optional<std::array<double, 4>> extent;  ///< west, south, east, north (EPSG:4326)
    std::string extra = "{}";                     ///< JSON object text
    std::string attribution_title, attribution_email;
};

/// A parsed search body. parse() throws InvalidArgument listing every problem.
struct LayerQuery {
    std::string text;  ///< geoplex extension: free text over title, description, keywords, layer_name, theme, producers
    std::string title, layer_name, description;
    std::optional<bool> open;
    std::vector<std::string> types, themes, keywords, srs, producers;
    std::string shape;  ///< GeoJSON geometry as JSON text (validated), "" = none
    std::string min_publication_date, max_publication_date;
    std::optional<int> min_year, max_year;
    std::vector<std::string> aggregation_fields;
    bool highlight = false;
    std::string attribution_title, attribution_email;
    bool metadata_urls = false;  ///< only documents with a metadata URL
    std::size_t page = 1, size = 10;

    static LayerQuery parse(const nlohmann::json& body);
};

struct LayerHit {
    const LayerDocument* document = nullptr;
    double score = 0;
    std::map<std::string, std::string> highlights;  ///< field → HTML with <em>…</em>
};

struct LayerResult {
    std::size_t total = 0;
    std::vector<LayerHit> hits;  ///< the requested page
    /// field → (value, count) sorted by count descending then value
    std::map<std::string, std::vector<std::pair<std::string, std::size_t>>> aggregations;
};

/// An immutable in-memory index over documents (linear scans over pre-analysed terms).
class LayerIndex {
public:
    explicit LayerIndex(std::vector<LayerDocument> documents);
    ~LayerIndex();
    LayerIndex(const LayerIndex&) = delete;
    LayerIndex& operator=(const LayerIndex&) = delete;

    [[nodiscard]] std::size_t size() const noexcept;
    [[nodiscard]] const LayerDocument& document(std::size_t i) const;
    /// `visible(doc)` decides which documents the caller may see (nullptr = all).
    [[nodiscard]] LayerResult search(const LayerQuery& q, const std::function<bool(const LayerDocument&)>& visible = {}) const;
    /// Documents whose `fields` (reference names) contain every term of `text`, the last one as a prefix.
    [[nodiscard]] std::vector<LayerHit> suggest(const std::string& text, const std::vector<std::string>& fields, std::size_t size,
                                                const std::function<bool(const LayerDocument&)>& visible = {}) const;
    /// Spelling options per word of `text` from the words of `field` (the reference's term suggester).
    [[nodiscard]] nlohmann::json autocomplete(const std::string& text, const std::string& field,
                                              const std::function<bool(const LayerDocument&)>& visible = {}) const;
    [[nodiscard]] const LayerDocument* find(std::string_view id) const;

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

/// The documents of what a bundle serves (tile layers, OGC layers, routing, altitude, geocoder).
[[nodiscard]] std::vector<LayerDocument> bundle_documents(const bundle::Engine& engine);
/// The documents of the catalog's published offerings.
[[nodiscard]] std::vector<LayerDocument> catalog_documents(catalog::Catalog& catalog);
/// A document as the API answers it (url made absolute with `base`).
[[nodiscard]] nlohmann::json document_json(const LayerDocument& d, const std::string& base);

struct SearchApiOptions {
    std::shared_ptr<catalog::Catalog> catalog;  ///< nullptr = the bundle's documents only
    std::string base_url;                       ///< "" = from the request's Host header
    std::size_t max_size = 100;                 ///< largest page
};

/// Adds the /recherche/… and /private/recherche/… routes (with OpenAPI fragments).
void add_search_routes(Router& router, SearchApiOptions options);

/// The pattern of the main search route (default_router adds the routes without a catalog when
/// no one else did).
inline constexpr const char* search_route_pattern = "/recherche/api/indexes/geoplateforme";

}  // namespace geoplex::server
