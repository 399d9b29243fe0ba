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
//
// Documents are ordered: municipalities, streets/localities, POIs, then parcels sorted by id
// (so that an id prefix is a range: MetaRec::parcel_begin .. docs.size()).

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
inline constexpr double coord_scale = 1e7;  // 1e-7 degree ≈ 1 cm: BAN has 6 decimals

enum Section : std::uint32_t {
    s_strings, s_communes, s_docs, s_hns, s_term_offsets, s_term_chars, s_post_offsets, s_postings,
    s_doc_terms, s_tri_keys, s_tri_offsets, s_tri_terms, s_grid_keys, s_grid_offsets, s_grid_items, s_meta,
    s_doc_extra, section_count
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
