#pragma once
// SearchIndex: the whole dataset search of a catalogue in memory (the SQLite store's search
// planner). SqlStore loads it from the database and keeps it in step through the dataset_change
// log; a search then evaluates every condition to a sorted seq list (term posting lists, facet
// posting lists), intersects them from the smallest, checks bbox / open data / datastore per
// candidate, counts facets over the final set and sorts only the requested page (partial sort).
//
// Results are those of the SQL search exactly (search.hpp): relevance is FTS5's bm25() with the
// store's column weights (title 10, keywords 5, abstract 1), recomputed here with the same
// formula, statistics (rows, tokens, rows per term) and floating-point operations.

#include <array>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "geoplex/catalog/search.hpp"

namespace geoplex::catalog::detail {

class SearchIndex {
public:
    /// One dataset row (the `dataset` table's search columns).
    struct Row {
        std::int64_t seq = 0;
        std::string id;
        std::optional<std::string> datastore;  ///< NULL = none
        std::optional<std::string> modified;
        std::string title_sort;
        std::optional<GeoBox> bbox;
        int open_data = -1;  ///< -1 = NULL
        std::optional<std::string> sharing;
    };

    // ---- updates (callers hold `mutex` exclusively) ----
    void clear();
    /// Makes `seq` a live dataset with these columns (its facets and text come separately).
    void set_row(const Row& row);
    void add_facet(std::int64_t seq, const std::string& facet, const std::string& value);
    /// The dataset's full-text columns as stored (analyze()d terms separated by spaces).
    void set_text(std::int64_t seq, const std::string& title, const std::string& keywords, const std::string& abstract);
    /// Forgets `seq` (removed dataset, or before re-reading a changed one).
    void remove(std::int64_t seq);

    /// One page of matches: seq and relevance score (0 unless sorted by relevance with terms).
    using PageEntry = std::pair<std::int64_t, double>;
    /// Evaluates `q` (already validated; `terms` = analyze(q.text)): returns the match count,
    /// fills `facets` (unsorted, untruncated counts) when q.facets, and the requested page.
    /// Callers hold `mutex` (shared is enough).
    std::uint64_t search(const SearchQuery& q, const std::vector<std::string>& terms,
                         std::map<std::string, std::vector<FacetCount>>& facets, std::vector<PageEntry>& page) const;

    std::shared_mutex mutex;
    std::int64_t last_change = -1;  ///< last dataset_change seq applied; -1 = not loaded

private:
    // Per seq, one column per concern (a search reads only the columns its conditions, its facets
    // and its sort need: a broad query touches a few bytes per match, not a whole record).
    enum : std::uint8_t { k_live = 1, k_bbox = 2, k_modified = 4, k_text = 8 };
    struct Attr {  // what the per-candidate conditions read
        std::uint32_t datastore = 0;  ///< interned, 0 = NULL
        std::uint8_t flags = 0;       ///< k_live | k_bbox | k_modified | k_text
        std::int8_t open_data = -1;
        std::int8_t sharing = -1;  ///< index in Sharing's strings, -1 = NULL or other
    };
    struct Box {
        double west = 0, south = 0, east = 0, north = 0;
    };
    struct QBox {  ///< the box rounded outwards to a 65 536-step grid: a conservative pre-check, 4× denser
        std::uint16_t west = 0, south = 0, east = 0, north = 0;
    };
    struct Span {  ///< a run of a pool
        std::uint32_t begin = 0, count = 0;
    };
    using Key = std::array<std::uint64_t, 2>;  ///< first 16 bytes of a string, big-endian
    struct Postings {
        std::vector<std::uint32_t> seqs;   ///< ascending
        std::vector<std::uint32_t> freqs;  ///< bm25 weighted frequency: 10·title + 5·keywords + abstract
    };

    void ensure(std::int64_t seq);
    static void insert_sorted(std::vector<std::uint32_t>& seqs, std::vector<std::uint32_t>* freqs, std::uint32_t seq,
                              std::uint32_t freq);
    static void erase_sorted(std::vector<std::uint32_t>& seqs, std::vector<std::uint32_t>* freqs, std::uint32_t seq);
    bool before(std::uint32_t a, std::uint32_t b, SearchSort sort) const;
    void count_facets(const std::vector<std::uint32_t>& matches, std::vector<std::uint32_t>& counts) const;

    std::vector<Attr> m_attr;
    std::vector<std::uint64_t> m_live_bits;  ///< k_live as a bitset (fits the cache: the common check of a candidate)
    std::vector<Box> m_box;
    std::vector<QBox> m_qbox;
    std::vector<std::uint32_t> m_tokens;  ///< FTS tokens of the row (all columns)
    std::vector<Span> m_facet_span, m_term_span;
    std::vector<Key> m_modified_key, m_title_key, m_id_key;
    std::vector<std::string> m_ids, m_modified, m_titles;
    std::unordered_map<std::string, std::uint32_t> m_datastores;  ///< value → id (≥ 1)
    std::size_t m_live = 0;                                       ///< seqs with k_live

    std::unordered_map<std::string, std::uint32_t> m_facet_ids;  ///< facet + '\0' + value → id
    std::vector<std::pair<std::string, std::string>> m_facet_names;
    std::vector<std::vector<std::uint32_t>> m_facet_postings;
    std::vector<std::uint32_t> m_facet_pool;  ///< per-seq distinct facet ids (m_facet_span; old runs are garbage)

    std::unordered_map<std::string, std::uint32_t> m_term_ids;
    std::vector<Postings> m_term_postings;
    std::vector<std::uint32_t> m_term_pool;  ///< per-seq distinct term ids (m_term_span)

    std::uint64_t m_rows = 0;    ///< live rows (FTS5 nRow)
    std::uint64_t m_tokens_total = 0;  ///< their tokens (FTS5 nToken)
};

}  // namespace geoplex::catalog::detail
