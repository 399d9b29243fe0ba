#pragma once
// Dataset search: full text with French folding and stemming, bbox intersection, filters, facet
// counts, sorting and pagination. Both stores implement exactly these semantics:
//
//   text     every term of analyze(text) must occur among the terms of the dataset's title,
//            abstract and keywords (AND); an empty analysis (only stop words) matches everything.
//   bbox     the dataset's bbox intersects it (closed intervals); datasets without bbox never match.
//   filters  within one filter the values are OR-ed, across filters AND-ed; exact string equality
//            against the dataset's themes, producer, formats, licence, keywords and year (the first
//            four characters of publication_date). Empty filter values are invalid.
//   facets   counts over the whole match set (not just the page), per value, sorted by count
//            descending then value ascending, at most `facet_limit` values per facet.
//   sharing  when set, the dataset's sharing equals it (PUBLIC for anonymous catalogue searches).
//   sort     relevance (terms in the title weigh most, then keywords, then abstract; needs text,
//            otherwise behaves as `modified`), modified (newest first), title (folded title,
//            ascending); ties broken by id ascending.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geoplex/catalog/model.hpp"

namespace geoplex::catalog {

enum class SearchSort { relevance, modified, title };

struct SearchQuery {
    std::string text{};                     ///< free text, "" = no text condition
    std::optional<GeoBox> bbox{};           ///< EPSG:4326
    std::vector<std::string> themes{};      ///< OR within, AND across filters
    std::vector<std::string> producers{};
    std::vector<std::string> formats{};
    std::vector<std::string> licences{};
    std::vector<std::string> keywords{};
    std::vector<std::string> years{};       ///< "2024"
    std::optional<bool> open_data{};
    Id datastore{};                         ///< "" = any
    SearchSort sort = SearchSort::relevance;
    std::size_t offset = 0;
    std::size_t limit = 10;               ///< ≤ 1000
    bool facets = true;                   ///< compute facet counts
    std::size_t facet_limit = 20;
    std::optional<Sharing> sharing{};     ///< only datasets shared this way

    /// Every problem (limit too large, inverted bbox, …); empty when valid.
    [[nodiscard]] std::vector<std::string> validate() const;
};

struct FacetCount {
    std::string value{};
    std::uint64_t count = 0;
    friend bool operator==(const FacetCount&, const FacetCount&) = default;
};

struct SearchHit {
    Dataset dataset{};
    double score = 0;  ///< backend relevance (higher is better); 0 without text
};

struct SearchResult {
    std::uint64_t total = 0;     ///< size of the match set
    std::vector<SearchHit> hits{}; ///< the requested page
    /// facet name ("theme", "producer", "format", "licence", "keyword", "year") → counts
    std::map<std::string, std::vector<FacetCount>> facets{};
};

/// The facet names, in display order.
[[nodiscard]] const std::vector<std::string>& facet_names();

/// The analysis applied to indexed text and to queries: Unicode folding (NFKC, accents removed,
/// case folded, œ→oe), split on non-alphanumerics, French stop words dropped, Snowball French
/// stemming. "Réseaux routiers" → {"reseau", "routi"}.
[[nodiscard]] std::vector<std::string> analyze(std::string_view text);
/// Folded text without stemming (used for title sorting): "Île-de-France" → "ile de france".
[[nodiscard]] std::string fold(std::string_view text);

}  // namespace geoplex::catalog
