#pragma once
// On-disk layout of geocoder/address.idx (private). The payload is a table of contents followed
// by 8-byte aligned sections of fixed-width records, used in place after the header checks.
//
//   strings        NUL-terminated UTF-8 (names, ids, cities, contexts); offset 0 = ""
//   communes       CommuneRec[]                 city, citycode, context
//   docs           DocRec[]                     municipalities, then streets (build order)
//   hns            HnRec[]                      grouped by street, sorted by (number, suffix)
//   term_offsets   u32[T+1] into term_chars     terms sorted bytewise (prefix = id range)
//   term_chars     char[]
//   post_offsets   u32[T+1] into postings
//   postings       u32[]                        doc ids, ascending, per term
//   doc_terms      u32[]                        per doc: name terms first, then city/postcode
//   tri_keys       u32[K]                       trigram keys (3 bytes of "^term$"), ascending
//   tri_offsets    u32[K+1] into tri_terms
//   tri_terms      u32[]                        term ids, ascending, per trigram
//   grid_keys      u64[C]                       reverse grid cells with house numbers, ascending
//   grid_offsets   u32[C+1] into grid_items
//   grid_items     u32[]                        house-number ids per cell, ascending
//   meta           MetaRec
//   doc_extra      u32[D]                       per doc: string offset (POI: categories joined by
//                                               '|'; parcel: sheet; others: 0)
//   doc_keys       u32[D]                       per doc, compact (DocKey): importance, name terms,
//                                               numeric name terms, type — what candidate ordering
//                                               and score bounds need without touching DocRec
//   geom_docs      u32[G]                       documents with a true geometry (GDAL POIs and parcels
//                                               that are not single points), ascending
//   geom_offsets   u32[G+1] into geom_data
//   geom_data      i32[]                        per geometry: its reach (decimetres from the
//                                               document's point to its farthest vertex, rounded up),
//                                               then parts: [kind (GeomPart), n, lon0, lat0, …,
//                                               lon(n-1), lat(n-1)] in 1e-7 degrees; polygon rings
//                                               (outer and inner) are kind ring, read even-odd
//   dense_terms    u32[N]                       terms in ≥ 1/32 of the documents, ascending
//   dense_bits     u64[2N × ceil(D/64)]         per dense term: a bitmap over documents having it,
//                                               then one over those having it in their name
//
// Documents are ordered: municipalities, streets/localities, POIs, then parcels sorted by id
// (so that an id prefix is a range: MetaRec::parcel_begin .. docs.size()).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>

#include "geoplex/core/file_format.hpp"
#include "geoplex/geocoder/geocoder.hpp"

namespace geoplex::geocoder::detail {

inline constexpr std::string_view index_magic = "GPXGEOC";
inline constexpr const char* index_file_name = "address.idx";
inline constexpr double coord_scale = 1e7;
inline constexpr std::size_t dense_min_postings = 1024;  // a dense term also has a bitmap (see dense_bits)  // 1e-7 degree ≈ 1 cm: BAN has 6 decimals

enum Section : std::uint32_t {
    s_strings, s_communes, s_docs, s_hns, s_term_offsets, s_term_chars, s_post_offsets, s_postings,
    s_doc_terms, s_tri_keys, s_tri_offsets, s_tri_terms, s_grid_keys, s_grid_offsets, s_grid_items, s_meta,
    s_doc_extra, s_doc_keys, s_dense_terms, s_dense_bits, s_geom_docs, s_geom_offsets,
    s_geom_data, section_count
};

struct SectionRef {
    std::uint64_t offset = 0;  // from the payload start
    std::uint64_t size = 0;    // bytes
};

struct Toc {
    std::array<SectionRef, section_count> sections{};
};

struct CommuneRec {
    std::uint32_t city = 0;
    std::uint32_t citycode = 0;
    std::uint32_t context = 0;
    std::uint32_t oldcity = 0;
};

struct DocRec {
    std::uint32_t name = 0;
    std::uint32_t id = 0;
    std::uint32_t commune = 0;
    std::int32_t lon = 0;
    std::int32_t lat = 0;
    std::uint32_t hn_begin = 0;
    std::uint32_t hn_count = 0;
    std::uint32_t terms_begin = 0;
    std::uint16_t terms_count = 0;
    std::uint8_t type = 0;        // DocType
    std::uint8_t name_terms = 0;  // the first name_terms of the doc's terms come from its name
    std::uint16_t importance = 0; // × 1/65535
    std::uint16_t reserved = 0;
    std::array<char, 8> postcode{};  // NUL-padded
};
static_assert(sizeof(DocRec) == 48);

/// A document's ordering key, 4 bytes: importance (bits 0–15, × 1/65535), name terms (16–21,
/// capped at 63), name terms made of digits (22–25, capped at 15), DocType (26–28).
struct DocKey {
    static std::uint32_t pack(const DocRec& d, unsigned numeric_name_terms) {
        return std::uint32_t{d.importance} | (std::min<std::uint32_t>(d.name_terms, 63) << 16U) |
               (std::min<std::uint32_t>(numeric_name_terms, 15) << 22U) | (std::uint32_t{d.type} << 26U);
    }
    static std::uint16_t importance(std::uint32_t k) { return static_cast<std::uint16_t>(k & 0xFFFFU); }
    static unsigned name_terms(std::uint32_t k) { return (k >> 16U) & 63U; }
    static unsigned numeric_name_terms(std::uint32_t k) { return (k >> 22U) & 15U; }
    static std::uint8_t type(std::uint32_t k) { return static_cast<std::uint8_t>((k >> 26U) & 7U); }
};

struct HnRec {
    std::int32_t lon = 0;
    std::int32_t lat = 0;
    std::uint32_t street = 0;  // doc id
    std::uint32_t id = 0;      // string offset
    std::uint32_t number_suffix = 0;  // number << 8 | suffix code (suffix_names)
};
static_assert(sizeof(HnRec) == 20);

struct MetaRec {
    double cell_deg = 0.001;
    double lon_scale = 1.0;  // grid x = lon * lon_scale / cell_deg (lon_scale = cos(mean lat))
    double min_lon = 0, min_lat = 0, max_lon = 0, max_lat = 0;
    std::uint64_t municipalities = 0;
    std::uint64_t streets = 0;
    std::uint64_t pois = 0;
    std::uint64_t parcels = 0;
    std::uint64_t poi_begin = 0;     // first POI document
    std::uint64_t parcel_begin = 0;  // first parcel document (parcels run to the end)
};

/// Kinds of the parts of a stored geometry (geom_data).
enum GeomPart : std::int32_t { geom_point = 0, geom_line = 1, geom_ring = 2 };

/// Suffix codes, in sort order; code 0 = no suffix. Part of the format (bump the version to change).
inline constexpr std::array<std::string_view, 33> suffix_names = {
    "", "bis", "ter", "quater", "quinquies", "quinter", "sexter", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k",
    "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z"};

inline std::uint8_t suffix_code(std::string_view s) {
    for (std::size_t i = 0; i < suffix_names.size(); ++i)
        if (suffix_names[i] == s) return static_cast<std::uint8_t>(i);
    return 0xFF;
}

inline std::int32_t to_fixed(double deg) { return static_cast<std::int32_t>(std::llround(deg * coord_scale)); }
inline double from_fixed(std::int32_t v) { return static_cast<double>(v) / coord_scale; }

inline std::int64_t grid_x(double lon, const MetaRec& m) {
    return static_cast<std::int64_t>(std::floor(lon * m.lon_scale / m.cell_deg));
}
inline std::int64_t grid_y(double lat, const MetaRec& m) {
    return static_cast<std::int64_t>(std::floor(lat / m.cell_deg));
}
inline std::uint64_t grid_key(std::int64_t gx, std::int64_t gy) {
    return (static_cast<std::uint64_t>(gy + (std::int64_t{1} << 31)) << 32U) |
           static_cast<std::uint32_t>(gx + (std::int64_t{1} << 31));
}

/// Tests: score every candidate instead of stopping early (docs/geocoder.md, "Search and
/// ranking" 7); results must not change.
void set_exhaustive_scoring(Query& query, bool on);

inline std::uint32_t trigram_key(unsigned char a, unsigned char b, unsigned char c) {
    return (std::uint32_t{a} << 16U) | (std::uint32_t{b} << 8U) | c;
}

}  // namespace geoplex::geocoder::detail

namespace geoplex::geocoder {

/// The opened index: spans into the mapped file.
struct Geocoder::Impl {
    core::IndexFile file;
    IndexInfo info;
    detail::MetaRec meta;
    std::span<const char> strings;
    std::span<const detail::CommuneRec> communes;
    std::span<const detail::DocRec> docs;
    std::span<const detail::HnRec> hns;
    std::span<const std::uint32_t> term_offsets;
    std::span<const char> term_chars;
    std::span<const std::uint32_t> post_offsets;
    std::span<const std::uint32_t> postings;
    std::span<const std::uint32_t> doc_terms;
    std::span<const std::uint32_t> tri_keys;
    std::span<const std::uint32_t> tri_offsets;
    std::span<const std::uint32_t> tri_terms;
    std::span<const std::uint64_t> grid_keys;
    std::span<const std::uint32_t> grid_offsets;
    std::span<const std::uint32_t> grid_items;
    std::span<const std::uint32_t> doc_extra;
    std::span<const std::uint32_t> doc_keys;  // DocKey per document
    std::span<const std::uint32_t> dense_terms;
    std::span<const std::uint64_t> dense_bits;
    std::span<const std::uint32_t> geom_docs;
    std::span<const std::uint32_t> geom_offsets;
    std::span<const std::int32_t> geom_data;

    /// A document's true geometry (geom_data parts), empty when it is its point.
    [[nodiscard]] std::span<const std::int32_t> geometry_of(std::uint32_t doc) const {
        const auto it = std::lower_bound(geom_docs.begin(), geom_docs.end(), doc);
        if (it == geom_docs.end() || *it != doc) return {};
        const auto g = static_cast<std::size_t>(it - geom_docs.begin());
        return geom_data.subspan(geom_offsets[g], geom_offsets[g + 1] - geom_offsets[g]);
    }

    /// The bitmap over documents of a dense term (followed by its name bitmap), else nullptr.
    [[nodiscard]] const std::uint64_t* dense(std::uint32_t t) const {
        const auto it = std::lower_bound(dense_terms.begin(), dense_terms.end(), t);
        if (it == dense_terms.end() || *it != t) return nullptr;
        return dense_bits.data() + static_cast<std::size_t>(it - dense_terms.begin()) * 2 * bitmap_words();
    }
    [[nodiscard]] std::size_t bitmap_words() const { return (docs.size() + 63) / 64; }

    [[nodiscard]] std::string_view str(std::uint32_t off) const { return {strings.data() + off}; }
    [[nodiscard]] std::size_t term_count() const { return term_offsets.empty() ? 0 : term_offsets.size() - 1; }
    [[nodiscard]] std::string_view term(std::uint32_t t) const {
        return {term_chars.data() + term_offsets[t], term_offsets[t + 1] - term_offsets[t]};
    }
    [[nodiscard]] std::span<const std::uint32_t> posting(std::uint32_t t) const {
        return postings.subspan(post_offsets[t], post_offsets[t + 1] - post_offsets[t]);
    }
    [[nodiscard]] std::span<const std::uint32_t> terms_of(const detail::DocRec& d) const {
        return doc_terms.subspan(d.terms_begin, d.terms_count);
    }
};

}  // namespace geoplex::geocoder
