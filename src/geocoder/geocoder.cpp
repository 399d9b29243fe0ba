// Opening address.idx, search (inverted index + typo/prefix expansions + ranking) and reverse
// (grid ring search). The ranking is documented in docs/geocoder.md; keep them in sync.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <numbers>
#include <span>
#include <unordered_map>

#include <fmt/format.h>

#include "geocoder/format.hpp"
#include "geocoder/gdal_source.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/core/geometry.hpp"
#include "geoplex/geocoder/geocoder.hpp"
#include "geoplex/geocoder/text.hpp"

namespace geoplex::geocoder {

using namespace detail;

namespace {

// ---- true geometries as GeoJSON ----------------------------------------------------------------

using Ring = std::vector<LonLat>;

double ring_area(const Ring& r) {
    double a = 0;
    for (std::size_t i = 0, j = r.size() - 1; i < r.size(); j = i++) a += (r[j].lon - r[i].lon) * (r[j].lat + r[i].lat);
    return a / 2;
}

bool ring_contains(const Ring& r, LonLat p) {  // even-odd crossing test
    bool in = false;
    for (std::size_t i = 0, j = r.size() - 1; i < r.size(); j = i++)
        if ((r[i].lat > p.lat) != (r[j].lat > p.lat) &&
            p.lon < (r[j].lon - r[i].lon) * (p.lat - r[i].lat) / (r[j].lat - r[i].lat) + r[i].lon)
            in = !in;
    return in;
}

void write_position(std::string& out, LonLat p) { fmt::format_to(std::back_inserter(out), "[{:.7f},{:.7f}]", p.lon, p.lat); }

void write_positions(std::string& out, const Ring& pts, bool close) {
    out += '[';
    for (std::size_t i = 0; i < pts.size(); ++i) {
        if (i > 0) out += ',';
        write_position(out, pts[i]);
    }
    if (close && !pts.empty() && (pts.front().lon != pts.back().lon || pts.front().lat != pts.back().lat)) {
        out += ',';
        write_position(out, pts.front());
    }
    out += ']';
}

/// Rings → polygons, even-odd: a ring inside an even number of others is a shell, else a hole
/// of the smallest shell containing it. Shells counter-clockwise, holes clockwise (RFC 7946).
std::vector<std::vector<Ring>> group_rings(std::vector<Ring> rings) {
    std::sort(rings.begin(), rings.end(), [](const Ring& a, const Ring& b) { return std::abs(ring_area(a)) > std::abs(ring_area(b)); });
    std::vector<std::vector<Ring>> polygons;
    std::vector<int> shell_of(rings.size(), -1);  // polygon index of each shell ring
    for (std::size_t i = 0; i < rings.size(); ++i) {
        int depth = 0;
        int inner_shell = -1;  // the smallest shell containing ring i
        for (std::size_t j = 0; j < i; ++j)
            if (ring_contains(rings[j], rings[i].front())) {
                ++depth;
                if (shell_of[j] >= 0) inner_shell = shell_of[j];
            }
        Ring r = rings[i];  // a copy: later rings test containment against rings[i]
        const bool hole = depth % 2 == 1 && inner_shell >= 0;
        if ((ring_area(r) > 0) == hole) std::reverse(r.begin(), r.end());
        if (hole) {
            polygons[static_cast<std::size_t>(inner_shell)].push_back(std::move(r));
        } else {
            shell_of[i] = static_cast<int>(polygons.size());
            polygons.push_back({std::move(r)});
        }
    }
    return polygons;
}

/// A stored true geometry (geom_data: reach, then [kind, n, lon, lat…] parts) as GeoJSON.
std::string geojson_of(std::span<const std::int32_t> g) {
    std::vector<Ring> points, lines, rings;
    for (std::size_t i = 1; i + 1 < g.size();) {
        const std::int32_t kind = g[i];
        const auto n = static_cast<std::size_t>(g[i + 1]);
        Ring pts;
        pts.reserve(n);
        for (std::size_t k = 0; k < n; ++k) pts.push_back({from_fixed(g[i + 2 + 2 * k]), from_fixed(g[i + 3 + 2 * k])});
        (kind == geom_ring ? rings : kind == geom_line ? lines : points).push_back(std::move(pts));
        i += 2 + 2 * n;
    }
    std::vector<std::string> parts;  // one GeoJSON geometry per kind present
    if (!points.empty()) {
        std::string o;
        if (points.size() == 1 && points[0].size() == 1) {
            o = R"({"type":"Point","coordinates":)";
            write_position(o, points[0][0]);
        } else {
            Ring all;
            for (const auto& p : points) all.insert(all.end(), p.begin(), p.end());
            o = R"({"type":"MultiPoint","coordinates":)";
            write_positions(o, all, false);
        }
        parts.push_back(o + '}');
    }
    if (!lines.empty()) {
        std::string o = lines.size() == 1 ? R"({"type":"LineString","coordinates":)" : R"({"type":"MultiLineString","coordinates":[)";
        for (std::size_t k = 0; k < lines.size(); ++k) {
            if (k > 0) o += ',';
            write_positions(o, lines[k], false);
        }
        parts.push_back(o + (lines.size() == 1 ? "}" : "]}"));
    }
    if (!rings.empty()) {
        const auto polygons = group_rings(std::move(rings));
        std::string o = polygons.size() == 1 ? R"({"type":"Polygon","coordinates":)" : R"({"type":"MultiPolygon","coordinates":[)";
        for (std::size_t k = 0; k < polygons.size(); ++k) {
            if (k > 0) o += ',';
            o += '[';
            for (std::size_t r = 0; r < polygons[k].size(); ++r) {
                if (r > 0) o += ',';
                write_positions(o, polygons[k][r], true);
            }
            o += ']';
        }
        parts.push_back(o + (polygons.size() == 1 ? "}" : "]}"));
    }
    if (parts.size() == 1) return parts[0];
    std::string o = R"({"type":"GeometryCollection","geometries":[)";
    for (std::size_t k = 0; k < parts.size(); ++k) o += (k > 0 ? "," : "") + parts[k];
    return o + "]}";
}

}  // namespace

// ---- validation --------------------------------------------------------------------------------

namespace {

bool is_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_citycode(std::string_view s) {
    if (s.size() != 5) return false;
    const bool corsica = (s[0] == '2') && (s[1] == 'A' || s[1] == 'B' || s[1] == 'a' || s[1] == 'b');
    return corsica ? is_digits(s.substr(2)) : is_digits(s);
}

}  // namespace

std::vector<std::string> Filters::validate() const {
    std::vector<std::string> p;
    for (const auto& c : postcodes)
        if (c.size() != 5 || !is_digits(c)) p.push_back(fmt::format("postcode: '{}' is not 5 digits", c));
    for (const auto& c : citycodes)
        if (!is_citycode(c)) p.push_back(fmt::format("citycode: '{}' is not an INSEE code (5 characters, 2A/2B allowed)", c));
    for (const auto& c : depcodes) {
        const bool ok = (c.size() == 2 && (is_digits(c) || c == "2A" || c == "2B" || c == "2a" || c == "2b")) ||
                        (c.size() == 3 && is_digits(c) && (c.starts_with("97") || c.starts_with("98")));
        if (!ok) p.push_back(fmt::format("depcode: '{}' is not a department code (2 characters, or 3 digits for 97x/98x)", c));
    }
    if (city.size() > 200) p.emplace_back("city: longer than 200 characters");
    return p;
}

bool ParcelQuery::empty() const noexcept {
    return departmentcode.empty() && municipalitycode.empty() && oldmunicipalitycode.empty() && districtcode.empty() &&
           section.empty() && number.empty() && sheet.empty();
}

std::vector<std::string> ParcelQuery::validate() const {
    std::vector<std::string> p;
    const auto digits = [&](const std::string& v, const char* name, std::size_t lo, std::size_t hi) {
        if (!v.empty() && (v.size() < lo || v.size() > hi || !is_digits(v)))
            p.push_back(lo == hi ? fmt::format("{}: must be {} digits", name, lo) : fmt::format("{}: must be {} to {} digits", name, lo, hi));
    };
    if (!departmentcode.empty()) {
        const std::string& c = departmentcode;
        const bool ok = (c.size() == 2 && (is_digits(c) || c == "2A" || c == "2B" || c == "2a" || c == "2b")) ||
                        (c.size() == 3 && is_digits(c) && c.starts_with("97"));
        if (!ok) p.emplace_back("departmentcode: must be 2 characters (2A/2B allowed), or 3 digits for 97x");
    }
    digits(municipalitycode, "municipalitycode", 2, 3);
    digits(oldmunicipalitycode, "oldmunicipalitycode", 3, 3);
    digits(districtcode, "districtcode", 3, 3);
    digits(number, "number", 1, 4);
    digits(sheet, "sheet", 1, 2);
    if (!section.empty()) {
        // \d{1,2} | [A-Z]{1,2} | 0?[A-Z] (the Géoplateforme's rule)
        const auto up = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
        const std::string& v = section;
        const bool ok = (v.size() <= 2 && is_digits(v)) || (v.size() == 1 && up(v[0])) ||
                        (v.size() == 2 && ((up(v[0]) && up(v[1])) || (v[0] == '0' && up(v[1]))));
        if (!ok) p.emplace_back("section: must be 1-2 digits, 1-2 letters or 0 and a letter");
    }
    return p;
}

std::vector<std::string> SearchRequest::validate() const {
    std::vector<std::string> p;
    const bool parcel_only = indexes.size() == 1 && indexes[0] == IndexKind::parcel;
    if (q.find_first_not_of(" \t\r\n") == std::string::npos && !(parcel_only && !parcel.empty()))
        p.emplace_back(parcel_only ? "q: must not be empty without a structured parcel search (departmentcode, "
                                     "municipalitycode, section, number, …)"
                                   : "q: must not be empty");
    for (auto& f : parcel.validate()) p.push_back("parcel." + f);
    if (q.size() > 1000) p.emplace_back("q: longer than 1000 bytes");
    if (limit == 0 || limit > 100) p.push_back(fmt::format("limit: must be in 1..100 (got {})", limit));
    if (bias && !is_valid_lonlat(*bias)) p.emplace_back("bias: lon must be in [-180, 180] and lat in [-90, 90]");
    for (auto& f : filters.validate()) p.push_back(std::move(f));
    return p;
}

std::vector<std::string> SearchGeometry::validate() const {
    std::vector<std::string> p;
    if (!(buffer_m >= 0.0 && std::isfinite(buffer_m))) p.emplace_back("buffer_m: must be a finite number >= 0");
    if (!(point_tolerance_m >= 0.0 && std::isfinite(point_tolerance_m))) p.emplace_back("point_tolerance_m: must be a finite number >= 0");
    const auto valid = [](const std::vector<LonLat>& v) { return std::all_of(v.begin(), v.end(), [](LonLat x) { return is_valid_lonlat(x); }); };
    switch (kind) {
    case Kind::point:
        if (parts.size() != 1 || parts[0].size() != 1) p.emplace_back("parts: a point has one part of one position");
        break;
    case Kind::linestring:
        if (parts.size() != 1 || parts[0].size() < 2) p.emplace_back("parts: a linestring has one part of at least 2 positions");
        break;
    case Kind::polygon:
        if (parts.empty()) p.emplace_back("parts: a polygon has at least one ring");
        for (const auto& ring : parts) {
            auto distinct = ring;
            std::sort(distinct.begin(), distinct.end(), [](LonLat a, LonLat b) { return a.lon != b.lon ? a.lon < b.lon : a.lat < b.lat; });
            distinct.erase(std::unique(distinct.begin(), distinct.end(), [](LonLat a, LonLat b) { return a.lon == b.lon && a.lat == b.lat; }), distinct.end());
            if (distinct.size() < 3) { p.emplace_back("parts: every polygon ring needs at least 3 distinct positions"); break; }
        }
        break;
    }
    if (!std::all_of(parts.begin(), parts.end(), valid)) p.emplace_back("parts: lon must be in [-180, 180] and lat in [-90, 90]");
    return p;
}

std::vector<std::string> ReverseRequest::validate() const {
    std::vector<std::string> p;
    if (!is_valid_lonlat(point)) p.emplace_back("point: lon must be in [-180, 180] and lat in [-90, 90]");
    if (radius_m && !(*radius_m >= 0.0 && std::isfinite(*radius_m))) p.emplace_back("radius_m: must be a finite number >= 0");
    if (geometry) {
        if (radius_m) p.emplace_back("radius_m: must not be set with a geometry (use its buffer_m)");
        for (auto& f : geometry->validate()) p.push_back("geometry." + f);
    }
    if (limit == 0 || limit > 100) p.push_back(fmt::format("limit: must be in 1..100 (got {})", limit));
    for (auto& f : filters.validate()) p.push_back(std::move(f));
    return p;
}

// ---- opening -----------------------------------------------------------------------------------

namespace {

template <class T>
std::span<const T> section(std::span<const std::byte> payload, const Toc& toc, Section s, const std::string& file) {
    const SectionRef& r = toc.sections[s];
    if (r.offset + r.size > payload.size() || r.size % sizeof(T) != 0 || r.offset % alignof(T) != 0)
        throw FormatError(fmt::format("'{}' is corrupt (section {} out of bounds); rebuild the bundle", file, static_cast<int>(s)));
    return {reinterpret_cast<const T*>(payload.data() + r.offset), r.size / sizeof(T)};
}

}  // namespace

Geocoder Geocoder::open(const std::filesystem::path& dir, const OpenOptions& options) {
    auto impl = std::make_shared<Impl>();
    const auto path = dir / index_file_name;
    if (!std::filesystem::exists(path))
        throw IoError(fmt::format("geocoder index '{}' does not exist; rebuild the bundle", path.string()));
    impl->file = core::IndexFile(path, index_magic, index_format_version, options.verify_checksums);
    const auto payload = impl->file.payload();
    const std::string name = path.string();
    if (payload.size() < 2 * sizeof(Toc)) throw FormatError(fmt::format("'{}' is truncated; rebuild the bundle", name));
    Toc toc;
    std::memcpy(&toc, payload.data() + payload.size() - sizeof(Toc), sizeof(Toc));
    Impl& m = *impl;
    m.strings = section<char>(payload, toc, s_strings, name);
    m.communes = section<CommuneRec>(payload, toc, s_communes, name);
    m.docs = section<DocRec>(payload, toc, s_docs, name);
    m.hns = section<HnRec>(payload, toc, s_hns, name);
    m.term_offsets = section<std::uint32_t>(payload, toc, s_term_offsets, name);
    m.term_chars = section<char>(payload, toc, s_term_chars, name);
    m.post_offsets = section<std::uint32_t>(payload, toc, s_post_offsets, name);
    m.postings = section<std::uint32_t>(payload, toc, s_postings, name);
    m.doc_terms = section<std::uint32_t>(payload, toc, s_doc_terms, name);
    m.tri_keys = section<std::uint32_t>(payload, toc, s_tri_keys, name);
    m.tri_offsets = section<std::uint32_t>(payload, toc, s_tri_offsets, name);
    m.tri_terms = section<std::uint32_t>(payload, toc, s_tri_terms, name);
    m.grid_keys = section<std::uint64_t>(payload, toc, s_grid_keys, name);
    m.grid_offsets = section<std::uint32_t>(payload, toc, s_grid_offsets, name);
    m.grid_items = section<std::uint32_t>(payload, toc, s_grid_items, name);
    m.doc_extra = section<std::uint32_t>(payload, toc, s_doc_extra, name);
    m.doc_keys = section<std::uint32_t>(payload, toc, s_doc_keys, name);
    m.dense_terms = section<std::uint32_t>(payload, toc, s_dense_terms, name);
    m.dense_bits = section<std::uint64_t>(payload, toc, s_dense_bits, name);
    m.geom_docs = section<std::uint32_t>(payload, toc, s_geom_docs, name);
    m.geom_offsets = section<std::uint32_t>(payload, toc, s_geom_offsets, name);
    m.geom_data = section<std::int32_t>(payload, toc, s_geom_data, name);
    const auto meta = section<MetaRec>(payload, toc, s_meta, name);
    if (meta.size() != 1 || m.strings.empty() || m.strings.back() != '\0' ||
        m.post_offsets.size() != m.term_offsets.size() || m.doc_extra.size() != m.docs.size() || m.doc_keys.size() != m.docs.size() ||
        m.dense_bits.size() != 2 * m.dense_terms.size() * m.bitmap_words() ||
        (!m.dense_terms.empty() && m.dense_terms.back() >= m.term_count()) ||
        m.geom_offsets.size() != m.geom_docs.size() + 1 || m.geom_offsets.back() != m.geom_data.size() ||
        (!m.geom_docs.empty() && m.geom_docs.back() >= m.docs.size()) || (m.grid_keys.empty() ? m.grid_offsets.size() > 1 : m.grid_offsets.size() != m.grid_keys.size() + 1))
        throw FormatError(fmt::format("'{}' is corrupt (inconsistent sections); rebuild the bundle", name));
    m.meta = meta[0];
    if (m.meta.poi_begin > m.meta.parcel_begin || m.meta.parcel_begin > m.docs.size())
        throw FormatError(fmt::format("'{}' is corrupt (document ranges); rebuild the bundle", name));
    m.info.municipalities = m.meta.municipalities;
    m.info.streets = m.meta.streets;
    m.info.pois = m.meta.pois;
    m.info.parcels = m.meta.parcels;
    m.info.housenumbers = m.hns.size();
    m.info.terms = m.term_count();
    m.info.bytes = std::filesystem::file_size(path);
    if (!m.docs.empty()) m.info.extent = BBox::of(m.meta.min_lon, m.meta.min_lat, m.meta.max_lon, m.meta.max_lat);
    return Geocoder(std::move(impl));
}

const IndexInfo& Geocoder::info() const noexcept { return m_impl->info; }

// ---- query -------------------------------------------------------------------------------------

namespace {

constexpr double earth_radius_m = 6371008.8;
constexpr double deg = std::numbers::pi / 180.0;
constexpr std::size_t max_candidates = 10000;     // documents having some word (fallback pass)
constexpr std::size_t max_intersected = 1U << 20;  // documents of the rarest word, before intersecting
constexpr std::size_t max_prefix_terms = 4000;
constexpr std::size_t max_gallop_lists = 16;  // a word with more terms is intersected otherwise

// Match quality of an expansion (docs/geocoder.md, "ranking").
constexpr float exact_match = 1.0F;
constexpr float prefix_match = 0.9F;
constexpr float typo1_match = 0.8F;
constexpr float typo2_match = 0.6F;
constexpr double literal_bonus = 0.05;

/// A match in integer points (1/20): sums of points do not depend on the order of addition.
constexpr int points(float match) { return static_cast<int>(match * 20.0F + 0.5F); }

struct Expansion {
    std::uint32_t lo = 0, hi = 0;                        // prefix range [lo, hi)
    std::uint32_t lo2 = 0, hi2 = 0;                      // prefix range of the unexpanded word
    std::uint32_t exact = 0xFFFFFFFFU;                   // exact term, if any
    std::vector<std::pair<std::uint32_t, float>> typos;  // (term, score), sorted by term
    std::size_t cost = 0;                                // total postings

    [[nodiscard]] float match(std::uint32_t t) const {
        if (t == exact) return exact_match;
        if ((t >= lo && t < hi) || (t >= lo2 && t < hi2)) return prefix_match;
        const auto it = std::lower_bound(typos.begin(), typos.end(), t, [](const auto& p, std::uint32_t v) { return p.first < v; });
        return it != typos.end() && it->first == t ? it->second : 0.0F;
    }
    [[nodiscard]] bool empty() const { return exact == 0xFFFFFFFFU && lo == hi && lo2 == hi2 && typos.empty(); }
    /// The best match() a term other than the exact one can get.
    [[nodiscard]] float best_inexact() const {
        float b = lo < hi || lo2 < hi2 ? prefix_match : 0.0F;
        for (const auto& [t, v] : typos) b = std::max(b, v);
        return b;
    }
    /// The best match() any term can get.
    [[nodiscard]] float best() const {
        if (exact != 0xFFFFFFFFU) return exact_match;
        float b = lo < hi || lo2 < hi2 ? prefix_match : 0.0F;
        for (const auto& [t, v] : typos) b = std::max(b, v);
        return b;
    }
};

struct QToken {
    std::string text;
    bool numeric = false;
    std::string suffix;        // house-number suffix following a numeric token
    std::string raw;           // autocomplete, last token: the folded word before expansion
    Expansion exp;
};

struct Scored {
    double score = 0.0;
    std::uint32_t doc = 0;
    std::uint32_t hn = 0xFFFFFFFFU;  // house number id when the result is a house number
    float query_cov = 0.0F;
    bool complete = false;  // every query token explained (exactly, by prefix or by a typo)
    DocType type = DocType::street;
};

bool better(const Scored& a, const Scored& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.doc != b.doc) return a.doc < b.doc;
    return a.hn < b.hn;
}

double approx_distance_m(double lon1, double lat1, double lon2, double lat2, double cos_lat) {
    const double dx = (lon2 - lon1) * deg * cos_lat * earth_radius_m;
    const double dy = (lat2 - lat1) * deg * earth_radius_m;
    return std::sqrt(dx * dx + dy * dy);
}

// ---- geometry (reverse by searchgeom) ------------------------------------------------------
// Shapes in a local plane (metres, equirectangular around the search geometry): points, lines
// and rings (areas, even-odd). Distances are exact in that plane; the plane's error is below
// 0.1 % within the few kilometres a search geometry spans.

struct Plane {
    double lon0 = 0, lat0 = 0, kx = 1, ky = 1;
    [[nodiscard]] XY to(double lon, double lat) const { return {(lon - lon0) * kx, (lat - lat0) * ky}; }
};

struct Shape {
    struct Part { std::uint32_t begin = 0, end = 0; std::int32_t kind = geom_point; };
    std::vector<XY> pts;
    std::vector<Part> parts;
    void clear() { pts.clear(); parts.clear(); }
    [[nodiscard]] bool has_area() const {
        return std::any_of(parts.begin(), parts.end(), [](const Part& p) { return p.kind == geom_ring; });
    }
    // Even-odd over every ring.
    [[nodiscard]] bool contains(XY q) const {
        bool in = false;
        for (const Part& part : parts) {
            if (part.kind != geom_ring || part.end - part.begin < 3) continue;
            for (std::uint32_t i = part.begin, j = part.end - 1; i < part.end; j = i++) {
                const XY a = pts[i], b = pts[j];
                if ((a.y > q.y) != (b.y > q.y) && q.x < (b.x - a.x) * (q.y - a.y) / (b.y - a.y) + a.x) in = !in;
            }
        }
        return in;
    }
    // Calls f(a, b) for every segment (a point is a segment of length 0; rings are closed).
    template <class F>
    void segments(F&& f) const {
        for (const Part& part : parts) {
            if (part.kind == geom_point || part.end - part.begin == 1) {
                for (std::uint32_t i = part.begin; i < part.end; ++i) f(pts[i], pts[i]);
                continue;
            }
            for (std::uint32_t i = part.begin; i + 1 < part.end; ++i) f(pts[i], pts[i + 1]);
            if (part.kind == geom_ring) f(pts[part.end - 1], pts[part.begin]);
        }
    }
};

double point_segment(XY p, XY a, XY b) {
    const double dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
    const double t = len2 > 0 ? std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0) : 0.0;
    return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

double segment_segment(XY a, XY b, XY c, XY d) {
    const auto cross = [](XY o, XY u, XY v) { return (u.x - o.x) * (v.y - o.y) - (u.y - o.y) * (v.x - o.x); };
    const double d1 = cross(c, d, a), d2 = cross(c, d, b), d3 = cross(a, b, c), d4 = cross(a, b, d);
    if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return 0.0;
    return std::min({point_segment(a, c, d), point_segment(b, c, d), point_segment(c, a, b), point_segment(d, a, b)});
}

// Distance between two shapes: 0 when they intersect (a vertex of one inside the other's area,
// or crossing segments), else the smallest segment-to-segment distance.
double shape_distance(const Shape& a, const Shape& b) {
    if (a.has_area() && std::any_of(b.pts.begin(), b.pts.end(), [&](XY q) { return a.contains(q); })) return 0.0;
    if (b.has_area() && std::any_of(a.pts.begin(), a.pts.end(), [&](XY q) { return b.contains(q); })) return 0.0;
    double best = std::numeric_limits<double>::infinity();
    a.segments([&](XY p, XY q) { b.segments([&](XY r, XY t) { best = std::min(best, segment_segment(p, q, r, t)); }); });
    return best;
}

}  // namespace

struct Query::State {
    Geocoder geocoder;
    const Geocoder::Impl* ix = nullptr;
    std::vector<std::uint32_t> stamp;  // per doc: generation when last collected
    std::uint32_t generation = 0;
    std::vector<std::uint16_t> tri_count;  // per term, for typo candidates
    std::vector<std::uint32_t> touched;
    std::vector<std::uint32_t> candidates;
    std::vector<std::pair<double, std::uint32_t>> order;  // (score upper bound, doc), a heap: best bound first
    std::vector<Scored> top;           // the best scored so far, a heap whose front is the worst
    std::array<bool, 6> type_ok{};     // per DocType: searched in this request (its indexes)
    std::vector<std::uint64_t> bits;   // one bit per document, all 0 between uses
    std::vector<std::span<const std::uint32_t>> lists;
    std::vector<std::size_t> cursors;
    std::vector<const std::uint64_t*> dense_lists;  // bitmaps of dense terms (Impl::dense)
    struct BoundToken {  // per query token, for the candidates' score upper bounds
        int other = 0;                          // points without the exact term
        const std::uint64_t* dense = nullptr;   // the exact term's bitmap, or
        std::span<const std::uint32_t> list{};  // its postings (candidates ascending)
        std::size_t cursor = 0;
        bool name_rule = false;                 // exact term outside the name ⇒ no name term
    };
    std::vector<BoundToken> bound_tokens;
    std::vector<std::uint32_t> taken;     // see for_each_term
    bool exhaustive = false;              // score every candidate (tests: detail::set_exhaustive_scoring)
    const QToken* prefix_token = nullptr;
    std::vector<QToken> tokens;
    std::vector<Scored> scored;
    std::unordered_map<std::uint32_t, bool> city_ok;  // per commune, for the city filter
    std::vector<std::pair<double, std::uint32_t>> near;
    std::string folded_query;  // " <fold(q)> ", for the literal tie-break

    explicit State(const Geocoder& g) : geocoder(g), ix(&g.impl()) {
        stamp.assign(ix->docs.size(), 0);
        tri_count.assign(ix->term_count(), 0);
    }

    [[nodiscard]] std::uint32_t find_term(std::string_view t) const {
        const std::size_t n = ix->term_count();
        std::size_t lo = 0, hi = n;
        while (lo < hi) {
            const std::size_t mid = (lo + hi) / 2;
            if (ix->term(static_cast<std::uint32_t>(mid)) < t) lo = mid + 1;
            else hi = mid;
        }
        return lo < n && ix->term(static_cast<std::uint32_t>(lo)) == t ? static_cast<std::uint32_t>(lo) : 0xFFFFFFFFU;
    }

    [[nodiscard]] std::pair<std::uint32_t, std::uint32_t> prefix_range(std::string_view p) const {
        const std::size_t n = ix->term_count();
        std::size_t lo = 0, hi = n;
        while (lo < hi) {
            const std::size_t mid = (lo + hi) / 2;
            if (ix->term(static_cast<std::uint32_t>(mid)) < p) lo = mid + 1;
            else hi = mid;
        }
        std::size_t end = lo, h2 = n;
        while (end < h2) {
            const std::size_t mid = (end + h2) / 2;
            if (ix->term(static_cast<std::uint32_t>(mid)).starts_with(p)) end = mid + 1;
            else h2 = mid;
        }
        return {static_cast<std::uint32_t>(lo), static_cast<std::uint32_t>(end)};
    }

    // Terms within edit distance 1 (length >= 4) or 2 (length >= 8), found through shared trigrams.
    void add_typos(QToken& tok) {
        const std::string& q = tok.text;
        if (q.size() < 4 || q.size() > 40) return;
        const unsigned max_d = q.size() >= 8 ? 2U : 1U;
        const std::string padded = "^" + q + "$";
        const std::size_t n_tri = padded.size() - 2;
        touched.clear();
        for (std::size_t i = 0; i + 3 <= padded.size(); ++i) {
            const auto key = trigram_key(static_cast<unsigned char>(padded[i]), static_cast<unsigned char>(padded[i + 1]),
                                         static_cast<unsigned char>(padded[i + 2]));
            const auto it = std::lower_bound(ix->tri_keys.begin(), ix->tri_keys.end(), key);
            if (it == ix->tri_keys.end() || *it != key) continue;
            const auto k = static_cast<std::size_t>(it - ix->tri_keys.begin());
            for (std::uint32_t j = ix->tri_offsets[k]; j < ix->tri_offsets[k + 1]; ++j) {
                const std::uint32_t t = ix->tri_terms[j];
                if (tri_count[t]++ == 0) touched.push_back(t);
            }
        }
        // Each edit destroys at most 3 trigrams of the padded word.
        const std::size_t need = n_tri > 3 * max_d ? n_tri - 3 * max_d : 1;
        for (const std::uint32_t t : touched) {
            if (tri_count[t] >= need && t != tok.exp.exact) {
                const auto term = ix->term(t);
                const auto d = edit_distance(q, term, max_d);
                if (d >= 1 && d <= max_d) tok.exp.typos.emplace_back(t, d == 1 ? typo1_match : typo2_match);
            }
            tri_count[t] = 0;
        }
        std::sort(tok.exp.typos.begin(), tok.exp.typos.end());
        for (const auto& [t, s] : tok.exp.typos) tok.exp.cost += ix->posting(t).size();
    }

    void expand(bool autocomplete, bool typos_everywhere) {
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            QToken& tok = tokens[i];
            tok.exp = Expansion{};
            tok.exp.exact = find_term(tok.text);
            if (tok.exp.exact != 0xFFFFFFFFU) tok.exp.cost = ix->posting(tok.exp.exact).size();
            if (tok.numeric) continue;
            const bool last = i + 1 == tokens.size();
            if (autocomplete && last) {
                auto [lo, hi] = prefix_range(tok.text);
                if (hi - lo > max_prefix_terms) hi = lo + static_cast<std::uint32_t>(max_prefix_terms);
                tok.exp.lo = lo;
                tok.exp.hi = hi;
                tok.exp.cost = ix->post_offsets[hi] - ix->post_offsets[lo];
                // A word being typed may look like an abbreviation ("pas" of "pasteur" would
                // only be "passage"): its raw form is a prefix too.
                if (!tok.raw.empty() && tok.raw != tok.text) {
                    auto [lo2, hi2] = prefix_range(tok.raw);
                    if (hi2 - lo2 > max_prefix_terms) hi2 = lo2 + static_cast<std::uint32_t>(max_prefix_terms);
                    tok.exp.lo2 = lo2;
                    tok.exp.hi2 = hi2;
                    tok.exp.cost += ix->post_offsets[hi2] - ix->post_offsets[lo2];
                }
            }
            if (tok.exp.exact == 0xFFFFFFFFU || typos_everywhere) add_typos(tok);
        }
    }

    [[nodiscard]] bool passes(const DocRec& d, const Filters& f) {
        const CommuneRec& c = ix->communes[d.commune];
        if (!f.categories.empty() && static_cast<DocType>(d.type) == DocType::poi) {
            // "restaurant|amenity": any category, case-insensitively.
            const std::string_view cats = ix->str(ix->doc_extra[static_cast<std::size_t>(&d - ix->docs.data())]);
            bool any = false;
            for (std::size_t start = 0; start <= cats.size() && !any;) {
                const std::size_t end = std::min(cats.find('|', start), cats.size());
                const std::string_view one = cats.substr(start, end - start);
                any = std::any_of(f.categories.begin(), f.categories.end(), [&](const std::string& x) {
                    return x.size() == one.size() && ::strncasecmp(x.data(), one.data(), one.size()) == 0;
                });
                start = end + 1;
            }
            if (!any) return false;
        }
        if (!f.postcodes.empty()) {
            const std::string_view pc(d.postcode.data(), ::strnlen(d.postcode.data(), d.postcode.size()));
            if (std::find(f.postcodes.begin(), f.postcodes.end(), pc) == f.postcodes.end()) return false;
        }
        if (!f.citycodes.empty()) {
            const auto cc = ix->str(c.citycode);
            if (std::none_of(f.citycodes.begin(), f.citycodes.end(), [&](const std::string& x) { return ::strcasecmp(x.c_str(), cc.data()) == 0; }))
                return false;
        }
        if (!f.depcodes.empty()) {
            const auto cc = ix->str(c.citycode);
            if (std::none_of(f.depcodes.begin(), f.depcodes.end(), [&](const std::string& x) {
                    return cc.size() >= x.size() && ::strncasecmp(x.c_str(), cc.data(), x.size()) == 0;
                }))
                return false;
        }
        if (!f.city.empty()) {
            auto [it, inserted] = city_ok.try_emplace(d.commune, false);
            if (inserted) it->second = fold(ix->str(c.city)) == fold(f.city);
            if (!it->second) return false;
        }
        return true;
    }

    // Calls f(term) for every term of t's expansion. When intersecting, the prefix terms of the
    // word being typed skip the exact terms of earlier words that have no other expansion: those
    // words take them (a document term explains one token), so "boulevard bo" does not keep every
    // boulevard for "bo".
    template <class F>
    void for_each_term(const QToken& t, F&& f) const {
        const auto skip = [&](std::uint32_t term) {
            return &t == prefix_token && std::find(taken.begin(), taken.end(), term) != taken.end();
        };
        if (t.exp.exact != 0xFFFFFFFFU) f(t.exp.exact);
        for (std::uint32_t term = t.exp.lo; term < t.exp.hi; ++term) if (!skip(term)) f(term);
        for (std::uint32_t term = t.exp.lo2; term < t.exp.hi2; ++term) if (!skip(term)) f(term);
        for (const auto& [term, v] : t.exp.typos) f(term);
    }

    // Sets in `bits` (a bitmap over documents, all 0 between uses) the documents of t's terms; a
    // dense term's own bitmap is OR-ed word by word.
    void mark_union(const QToken& t) {
        const std::size_t words = ix->bitmap_words();
        if (bits.size() < words) bits.assign(words, 0);
        const auto mark = [&](std::uint32_t term) {
            if (const std::uint64_t* b = ix->dense(term)) {
                for (std::size_t w = 0; w < words; ++w) bits[w] |= b[w];
            } else {
                for (const std::uint32_t d : ix->posting(term)) bits[d >> 6U] |= std::uint64_t{1} << (d & 63U);
            }
        };
        for_each_term(t, mark);
    }

    // `candidates` = the documents of t's postings, ascending, at most `cap`: a single
    // list is copied; several are merged through a bitset over documents (cleared afterwards).
    // Several lists are AND-ed with `and_dense` (bitmaps of words that are one dense term) first.
    void sorted_union(const QToken& t, std::size_t cap, std::span<const std::uint64_t* const> and_dense) {
        candidates.clear();
        std::size_t n_lists = 0;
        std::span<const std::uint32_t> only;
        for_each_term(t, [&](std::uint32_t term) { ++n_lists; only = ix->posting(term); });
        if (n_lists == 0) return;
        if (n_lists == 1) {
            candidates.assign(only.begin(), only.begin() + static_cast<std::ptrdiff_t>(std::min(only.size(), cap)));
            return;
        }
        mark_union(t);
        for (const std::uint64_t* b : and_dense)
            for (std::size_t w = 0; w < ix->bitmap_words(); ++w) bits[w] &= b[w];
        for (std::size_t w = 0; w < bits.size(); ++w) {
            for (std::uint64_t word = bits[w]; word != 0; word &= word - 1) {
                if (candidates.size() < cap)
                    candidates.push_back(static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(word))));
            }
            bits[w] = 0;
        }
    }

    // Is `d` in the ascending `list`? `pos` only moves forward (the queried ids ascend).
    static bool gallop(std::span<const std::uint32_t> list, std::size_t& pos, std::uint32_t d) {
        std::size_t step = 1;
        while (pos + step < list.size() && list[pos + step] < d) {
            pos += step;
            step *= 2;
        }
        const auto end = list.begin() + static_cast<std::ptrdiff_t>(std::min(pos + step + 1, list.size()));
        pos = static_cast<std::size_t>(std::lower_bound(list.begin() + static_cast<std::ptrdiff_t>(pos), end, d) - list.begin());
        return pos < list.size() && list[pos] == d;
    }

    // Ranks documents for the current tokens into `scored` (unsorted).
    void run(const SearchRequest& req, bool intersect) {
        scored.clear();
        candidates.clear();
        if (generation >= 0xFFFFFF00U) {
            std::fill(stamp.begin(), stamp.end(), 0U);
            generation = 0;
        }
        ++generation;
        // Candidates come from word tokens; numbers and postcodes only when there is no word.
        std::vector<const QToken*> gen;
        for (const auto& t : tokens)
            if (!t.numeric && !t.exp.empty()) gen.push_back(&t);
        if (gen.empty())
            for (const auto& t : tokens)
                if (!t.exp.empty()) gen.push_back(&t);
        std::sort(gen.begin(), gen.end(), [](const QToken* a, const QToken* b) { return a->exp.cost < b->exp.cost; });
        const auto each_term = [&](const QToken& t, auto&& f) { for_each_term(t, f); };
        taken.clear();
        prefix_token = nullptr;
        if (intersect && req.autocomplete && !tokens.back().numeric) {
            prefix_token = &tokens.back();
            for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
                const Expansion& e = tokens[i].exp;
                if (!tokens[i].numeric && e.exact != 0xFFFFFFFFU && e.lo == e.hi && e.lo2 == e.hi2 && e.typos.empty())
                    taken.push_back(e.exact);
            }
        }
        const auto collect = [&](std::uint32_t term) {
            for (const std::uint32_t d : ix->posting(term)) {
                if (candidates.size() >= max_candidates) return;
                if (stamp[d] != generation) {
                    stamp[d] = generation;
                    candidates.push_back(d);
                }
            }
        };
        if (intersect && !gen.empty()) {
            // Documents having every word (each one exactly, by prefix or by a typo), rarest word
            // first: its postings in document order, then filtered by each next word, by galloping
            // through that word's (few) sorted posting lists, else through stamps when its
            // postings are few, else through the candidate's own terms.
            // Words that are one dense term ("rue") are AND-ed as bitmaps when the first word is a
            // union of several terms (a prefix being typed), else tested per candidate below.
            dense_lists.clear();
            for (std::size_t g = 1; g < gen.size(); ++g) {
                const Expansion& e = gen[g]->exp;
                if (e.lo == e.hi && e.lo2 == e.hi2 && e.typos.empty() && e.exact != 0xFFFFFFFFU)
                    if (const std::uint64_t* b = ix->dense(e.exact)) dense_lists.push_back(b);
            }
            sorted_union(*gen[0], max_intersected, dense_lists);
            for (std::size_t g = 1; g < gen.size() && !candidates.empty(); ++g) {
                const QToken& t = *gen[g];
                std::size_t kept = 0;
                lists.clear();
                dense_lists.clear();
                each_term(t, [&](std::uint32_t term) {
                    if (lists.size() + dense_lists.size() > max_gallop_lists) return;
                    if (const std::uint64_t* bits_of = ix->dense(term)) dense_lists.push_back(bits_of);
                    else lists.push_back(ix->posting(term));
                });
                const bool few_lists = lists.size() + dense_lists.size() <= max_gallop_lists;
                if (t.exp.cost <= (few_lists ? 16 : 64) * candidates.size()) {
                    // Postings not much longer than the candidates: their union as a bitmap over
                    // documents (a dense term's own bitmap is OR-ed word by word), then one bit
                    // test per candidate.
                    mark_union(t);
                    for (const std::uint32_t d : candidates)
                        if ((bits[d >> 6U] >> (d & 63U) & 1U) != 0) candidates[kept++] = d;
                    std::fill(bits.begin(), bits.begin() + static_cast<std::ptrdiff_t>(ix->bitmap_words()), 0);
                } else if (few_lists) {
                    // Long postings: a dense term is one bit test per candidate; others are
                    // galloped through.
                    cursors.assign(lists.size(), 0);
                    for (const std::uint32_t d : candidates) {
                        bool found = false;
                        for (std::size_t l = 0; l < dense_lists.size() && !found; ++l) found = (dense_lists[l][d >> 6U] >> (d & 63U) & 1U) != 0;
                        for (std::size_t l = 0; l < lists.size() && !found; ++l) found = gallop(lists[l], cursors[l], d);
                        if (found) candidates[kept++] = d;
                    }
                } else {
                    for (const std::uint32_t d : candidates) {
                        const auto dterms = ix->terms_of(ix->docs[d]);
                        if (std::any_of(dterms.begin(), dterms.end(), [&](std::uint32_t term) { return t.exp.match(term) > 0.0F; }))
                            candidates[kept++] = d;
                    }
                }
                candidates.resize(kept);
            }
        } else {
            // Fallback: documents having either of the two cheapest words, so that one wrong or
            // unknown word does not lose the answer.
            for (std::size_t g = 0; g < std::min<std::size_t>(2, gen.size()); ++g) each_term(*gen[g], collect);
        }

        const auto& types = req.filters.types;
        // `types` filters the address index only.
        const auto allowed = [&](DocType ty) {
            return types.empty() || index_of(ty) != IndexKind::address || std::find(types.begin(), types.end(), ty) != types.end();
        };
        const double cos_bias = req.bias ? std::cos(req.bias->lat * deg) : 1.0;
        const auto total_weight = static_cast<double>(tokens.size());  // every token weighs 1
        bool has_number = false;
        for (const auto& t : tokens) has_number = has_number || t.numeric;

        // Early termination: candidates are scored by decreasing score upper bound (then document
        // order), and scoring stops once the (limit + 8)-th best score is above the next
        // candidate's bound: nothing left can enter the answer. A candidate's bound needs neither
        // its record nor its terms: per word token, 1 when the document has the token's exact
        // term (a bit of a dense term's bitmap, else galloping through the term's postings as the
        // candidates ascend), else the best prefix/typo match of the token; 1 per number; and a
        // name coverage of at most (word tokens + numbers matching its numeric name terms) / name
        // terms, from its compact key (DocKey, with its importance). Matches are summed in
        // integer points (1/20) so that the bound equals the score of a document reaching it.
        std::uint32_t number_tokens = 0;
        bound_tokens.clear();
        const bool ascending = std::is_sorted(candidates.begin(), candidates.end());
        const std::size_t words = ix->bitmap_words();
        for (const QToken& tok : tokens) {
            number_tokens += tok.numeric ? 1 : 0;
            if (tok.numeric) continue;
            BoundToken b;
            if (tok.exp.exact == 0xFFFFFFFFU) {
                b.other = points(tok.exp.best());
            } else {
                b.other = points(tok.exp.best_inexact());
                b.dense = ix->dense(tok.exp.exact);
                // The exact term outside the name (a city word) is the token's match, so the token
                // explains no name term: unless another token has the same exact term (a term
                // explains one token only, the other one may then take a name term).
                b.name_rule = b.dense != nullptr && std::count_if(tokens.begin(), tokens.end(), [&](const QToken& o) {
                    return o.exp.exact == tok.exp.exact;
                }) == 1;
                if (b.dense == nullptr && ascending) b.list = ix->posting(tok.exp.exact);
                else if (b.dense == nullptr) b.other = points(exact_match);  // unknown: assume the exact term
            }
            bound_tokens.push_back(b);
        }
        const auto upper_bound = [&](std::uint32_t di) {
            int pts = number_tokens * points(exact_match);
            std::uint32_t can_match = 0;  // word tokens that may explain a name term
            for (BoundToken& b : bound_tokens) {
                bool exact = false, in_name = true;
                if (b.dense != nullptr) {
                    exact = (b.dense[di >> 6U] >> (di & 63U) & 1U) != 0;
                    in_name = !exact || !b.name_rule || (b.dense[words + (di >> 6U)] >> (di & 63U) & 1U) != 0;
                } else if (!b.list.empty()) {
                    exact = gallop(b.list, b.cursor, di);
                }
                pts += exact ? points(exact_match) : b.other;
                can_match += in_name ? 1 : 0;
            }
            const std::uint32_t key = ix->doc_keys[di];
            // Numeric tokens only ever match numeric terms (expand() gives them no prefix or typo).
            const unsigned nt = std::min(DocKey::name_terms(key), 32U);
            can_match += std::min(number_tokens, DocKey::numeric_name_terms(key));
            const double name_cov = nt == 0 || can_match >= nt ? 1.0 : static_cast<double>(can_match) / nt;
            const double query_cov = total_weight > 0 ? pts / (points(exact_match) * total_weight) : 0.0;
            const double text = 0.8 * query_cov + 0.2 * name_cov;
            const double importance = DocKey::importance(key) / 65535.0;
            return std::clamp(req.bias ? 0.8 * text + 0.05 * importance + 0.15 : 0.9 * text + 0.1 * importance, 0.0, 1.0);
        };
        const auto first_out = [](const std::pair<double, std::uint32_t>& a, const std::pair<double, std::uint32_t>& b) {
            return a.first != b.first ? a.first < b.first : a.second > b.second;  // heap top = best bound, lowest doc
        };
        order.clear();
        constexpr std::size_t ahead = 16;  // keys are scattered: prefetch them (a cache miss each)
        for (std::size_t i = 0; i < std::min(ahead, candidates.size()); ++i) __builtin_prefetch(&ix->doc_keys[candidates[i]]);
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            if (i + ahead < candidates.size()) __builtin_prefetch(&ix->doc_keys[candidates[i + ahead]]);
            const std::uint32_t di = candidates[i];
            if (type_ok[DocKey::type(ix->doc_keys[di])]) order.emplace_back(upper_bound(di), di);
        }
        std::make_heap(order.begin(), order.end(), first_out);
        const std::size_t keep = req.limit + 8;
        top.clear();
        while (!order.empty()) {
            std::pop_heap(order.begin(), order.end(), first_out);
            const auto [ub, di] = order.back();
            order.pop_back();
            if (top.size() >= keep && !exhaustive) {
                const Scored& worst = top.front();
                if (worst.score > ub || (worst.score == ub && worst.doc < di)) break;
            }
            const DocRec& d = ix->docs[di];
            if (!passes(d, req.filters)) continue;
            const auto dterms = ix->terms_of(d);
            std::uint32_t name_matched_mask = 0;  // bit k = name term k matched
            std::uint64_t used = 0;               // bit k = doc term k explains a query token already
            int matched = 0;  // points (1/20)
            std::size_t explained = 0;
            const QToken* free_number = nullptr;
            // Numbers with a suffix ("4 bis") are matched last: they are house numbers rather
            // than name words when the name has the same number ("4 bis rue du 4 septembre").
            for (std::size_t ti = 0; ti < 2 * tokens.size(); ++ti) {
                const QToken& tok = tokens[ti % tokens.size()];
                if ((ti < tokens.size()) == (tok.numeric && !tok.suffix.empty())) continue;
                float best = 0.0F;
                std::size_t best_k = dterms.size();
                // A document term explains one query token only: in "4 rue du 4 septembre" the
                // second "4" is the house number.
                for (std::size_t k = 0; k < dterms.size(); ++k) {
                    if (k < 64 && (used >> k & 1U) != 0) continue;
                    const float m = tok.exp.match(dterms[k]);
                    if (m > best) { best = m; best_k = k; }
                }
                if (best > 0.0F) {
                    matched += points(best);
                    ++explained;
                    if (best_k < 64) used |= std::uint64_t{1} << best_k;
                    if (best_k < d.name_terms && best_k < 32) name_matched_mask |= 1U << best_k;
                } else if (tok.numeric && tok.text.size() <= 5 && free_number == nullptr) {
                    free_number = &tok;
                }
            }
            const auto type = static_cast<DocType>(d.type);
            Scored s;
            s.doc = di;
            s.type = type;
            // A number the name does not explain is a house number of this street.
            if (free_number != nullptr && d.hn_count > 0 && allowed(DocType::housenumber)) {
                const auto number = static_cast<std::uint32_t>(std::strtoul(free_number->text.c_str(), nullptr, 10));
                const std::uint8_t sc = free_number->suffix.empty() ? 0 : suffix_code(free_number->suffix);
                const auto hns = ix->hns.subspan(d.hn_begin, d.hn_count);
                const auto find = [&](std::uint32_t ns) -> std::uint32_t {
                    const auto it = std::lower_bound(hns.begin(), hns.end(), ns,
                                                     [](const HnRec& h, std::uint32_t v) { return h.number_suffix < v; });
                    return it != hns.end() && it->number_suffix == ns ? d.hn_begin + static_cast<std::uint32_t>(it - hns.begin())
                                                                      : 0xFFFFFFFFU;
                };
                std::uint32_t hit = find((number << 8U) | sc);
                double credit = 1.0;
                if (hit == 0xFFFFFFFFU && sc != 0) {
                    // "12 b" typed for "12 bis" (and t → ter, q → quater), else the plain number.
                    const std::string_view sfx = free_number->suffix;
                    const std::uint8_t alt = sfx == "b" ? suffix_code("bis") : sfx == "t" ? suffix_code("ter")
                                             : sfx == "q" ? suffix_code("quater") : 0xFF;
                    if (alt != 0xFF) { hit = find((number << 8U) | alt); credit = 0.95; }
                    if (hit == 0xFFFFFFFFU) { hit = find(number << 8U); credit = 0.9; }
                }
                if (hit != 0xFFFFFFFFU) {
                    matched += points(static_cast<float>(credit));
                    ++explained;
                    s.hn = hit;
                    s.type = DocType::housenumber;
                }
            }
            if (!allowed(s.type)) continue;
            const double query_cov = total_weight > 0 ? matched / (points(exact_match) * total_weight) : 0.0;
            const unsigned name_terms = std::min<unsigned>(d.name_terms, 32);
            const double name_cov = name_terms == 0 ? 1.0 : static_cast<double>(std::popcount(name_matched_mask)) / name_terms;
            double text = 0.8 * query_cov + 0.2 * name_cov;
            // A query with a number that is not a house number here ranks streets a bit lower
            // than exact house numbers, but keeps them as a fallback.
            if (has_number && s.type != DocType::housenumber && type != DocType::municipality) text *= 0.95;
            const double importance = d.importance / 65535.0;
            if (req.bias) {
                const HnRec* h = s.hn != 0xFFFFFFFFU ? &ix->hns[s.hn] : nullptr;
                const double lon = from_fixed(h != nullptr ? h->lon : d.lon);
                const double lat = from_fixed(h != nullptr ? h->lat : d.lat);
                const double dist = approx_distance_m(req.bias->lon, req.bias->lat, lon, lat, cos_bias);
                const double proximity = std::exp(-dist / 10000.0);
                s.score = 0.8 * text + 0.05 * importance + 0.15 * proximity;
            } else {
                s.score = 0.9 * text + 0.1 * importance;
            }
            s.score = std::clamp(s.score, 0.0, 1.0);
            s.query_cov = static_cast<float>(query_cov);
            s.complete = explained == tokens.size();
            scored.push_back(s);
            if (top.size() < keep) {
                top.push_back(s);
                std::push_heap(top.begin(), top.end(), better);
            } else if (better(s, top.front())) {
                std::pop_heap(top.begin(), top.end(), better);
                top.back() = s;
                std::push_heap(top.begin(), top.end(), better);
            }
        }
        // Tie-break between documents equal after normalisation ("Av du Mal …" / "Avenue du Mal …",
        // "Rue Fontaine" / "Rue La Fontaine"): a small bonus when the name, folded but not
        // expanded, appears word for word in the query.
        const std::size_t k2 = std::min(req.limit + 8, scored.size());
        std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k2), scored.end(), better);
        for (std::size_t i = 0; i < k2; ++i) {
            const std::string name = " " + fold(ix->str(ix->docs[scored[i].doc].name)) + " ";
            if (folded_query.find(name) != std::string::npos) scored[i].score = std::min(1.0, scored[i].score + literal_bonus);
        }
        std::sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k2), better);
        scored.resize(std::min(req.limit, k2));
    }

    // Parcels (documents parcel_begin.. sorted by id): `q` as an id or the start of one (score 1
    // for a whole id, less for a prefix), and the structured fields; appended to `scored`.
    void search_parcels(const SearchRequest& req) {
        const auto begin = static_cast<std::uint32_t>(ix->meta.parcel_begin);
        const auto end = static_cast<std::uint32_t>(ix->docs.size());
        const ParcelQuery& pq = req.parcel;
        const auto upper = [](std::string v) {
            for (auto& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            return v;
        };
        const auto pad = [](const std::string& v, std::size_t n) { return v.size() >= n ? v : std::string(n - v.size(), '0') + v; };
        std::string key;
        double score = 1.0;
        if (req.q.find_first_not_of(" \t\r\n") != std::string::npos) {
            for (const char c : req.q)
                if (std::isspace(static_cast<unsigned char>(c)) == 0) key += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (key.size() < 5 || key.size() > 14 || !std::all_of(key.begin(), key.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }))
                return;  // not a parcel id
            score = key.size() == 14 ? 1.0 : 0.5 + 0.5 * static_cast<double>(key.size()) / 14.0;
        } else if (!pq.departmentcode.empty() && !pq.municipalitycode.empty()) {
            const std::string dep = upper(pq.departmentcode);
            key = dep + pad(pq.municipalitycode, 5 - dep.size());
        }
        const auto id_of = [&](std::uint32_t i) { return ix->str(ix->docs[i].id); };
        std::uint32_t lo = begin, hi = end;
        while (lo < hi) {
            const std::uint32_t mid = lo + (hi - lo) / 2;
            if (id_of(mid) < key) lo = mid + 1;
            else hi = mid;
        }
        const std::string dep = upper(pq.departmentcode);
        const std::string section = pq.section.empty() ? "" : pad(upper(pq.section), 2);
        const std::string number = pq.number.empty() ? "" : pad(pq.number, 4);
        const std::string muni = pq.municipalitycode.empty() ? "" : pad(pq.municipalitycode, dep.size() == 3 ? 2 : 3);
        std::size_t found = 0;
        for (std::uint32_t i = lo; i < end && found < req.limit; ++i) {
            const std::string_view id = id_of(i);
            if (!id.starts_with(key)) break;
            const std::size_t dl = id.starts_with("97") ? 3 : 2;
            const std::string_view insee = id.substr(0, 5);
            const bool plm = insee == "75056" || insee == "69123" || insee == "13055";
            if (!dep.empty() && id.substr(0, dl) != dep) continue;
            if (!muni.empty() && id.substr(dl, 5 - dl) != muni) continue;
            if (!pq.oldmunicipalitycode.empty() && (plm ? std::string_view("000") : id.substr(5, 3)) != pq.oldmunicipalitycode) continue;
            if (!pq.districtcode.empty() && (!plm || id.substr(5, 3) != pq.districtcode)) continue;
            if (!section.empty() && id.substr(8, 2) != section) continue;
            if (!number.empty() && id.substr(10, 4) != number) continue;
            if (!pq.sheet.empty()) {
                const std::string_view sheet = ix->str(ix->doc_extra[i]);
                const auto strip = [](std::string_view v) { return v.substr(std::min(v.find_first_not_of('0'), v.size())); };
                if (strip(sheet) != strip(pq.sheet)) continue;
            }
            if (!passes(ix->docs[i], req.filters)) continue;
            Scored sc;
            sc.score = score;
            sc.doc = i;
            sc.complete = true;
            sc.type = DocType::parcel;
            scored.push_back(sc);
            ++found;
        }
    }

    // Reverse by geometry: (geodesic distance from req.point, item) of every document intersecting
    // req.geometry (item < hns.size(): a house number, else hns.size() + document), unsorted.
    std::vector<std::pair<double, std::uint32_t>> geometry_hits(const ReverseRequest& req) {
        const SearchGeometry& sg = *req.geometry;
        const auto& types = req.filters.types;
        const auto wants = [&](IndexKind k) { return std::find(req.indexes.begin(), req.indexes.end(), k) != req.indexes.end(); };
        const bool want_address = req.indexes.empty() || wants(IndexKind::address);
        const bool want_hn = want_address && (types.empty() || std::find(types.begin(), types.end(), DocType::housenumber) != types.end());
        // The plane, the search shape and its bounding circle (centre, radius in metres).
        Plane pl;
        pl.lon0 = sg.parts[0][0].lon;
        pl.lat0 = sg.parts[0][0].lat;
        {  // WGS84 radii of curvature at lat0: the plane's distances are geodesic to ~1e-6 nearby
            constexpr double a = 6378137.0, e2 = 6.69437999014e-3;
            const double sl = std::sin(pl.lat0 * deg), w = 1.0 - e2 * sl * sl;
            pl.kx = deg * a / std::sqrt(w) * std::max(1e-6, std::cos(pl.lat0 * deg));
            pl.ky = deg * a * (1.0 - e2) / (w * std::sqrt(w));
        }
        Shape search;
        const std::int32_t kind = sg.kind == SearchGeometry::Kind::polygon ? geom_ring : sg.kind == SearchGeometry::Kind::linestring ? geom_line : geom_point;
        double min_x = std::numeric_limits<double>::infinity(), min_y = min_x, max_x = -min_x, max_y = -min_x;
        for (const auto& part : sg.parts) {
            const auto begin = static_cast<std::uint32_t>(search.pts.size());
            for (const LonLat& v : part) {
                const XY q = pl.to(v.lon, v.lat);
                search.pts.push_back(q);
                min_x = std::min(min_x, q.x); max_x = std::max(max_x, q.x);
                min_y = std::min(min_y, q.y); max_y = std::max(max_y, q.y);
            }
            search.parts.push_back({begin, static_cast<std::uint32_t>(search.pts.size()), kind});
        }
        const XY centre{(min_x + max_x) / 2, (min_y + max_y) / 2};
        const double bound = std::hypot(max_x - min_x, max_y - min_y) / 2 + std::max(sg.buffer_m, sg.point_tolerance_m) + 0.01;
        const LonLat centre_ll{pl.lon0 + centre.x / pl.kx, pl.lat0 + centre.y / pl.ky};
        Shape doc_shape;
        const auto matches = [&](std::uint32_t doc, std::int32_t lon, std::int32_t lat) {
            const auto g = doc == 0xFFFFFFFFU ? std::span<const std::int32_t>{} : ix->geometry_of(doc);
            doc_shape.clear();
            if (g.empty()) {
                doc_shape.pts.push_back(pl.to(from_fixed(lon), from_fixed(lat)));
                doc_shape.parts.push_back({0, 1, geom_point});
                return shape_distance(search, doc_shape) <= std::max(sg.buffer_m, sg.point_tolerance_m);
            }
            for (std::size_t i = 1; i + 1 < g.size();) {
                const std::int32_t part_kind = g[i];
                const auto n = static_cast<std::size_t>(g[i + 1]);
                const auto begin = static_cast<std::uint32_t>(doc_shape.pts.size());
                for (std::size_t k = 0; k < n; ++k) doc_shape.pts.push_back(pl.to(from_fixed(g[i + 2 + 2 * k]), from_fixed(g[i + 3 + 2 * k])));
                doc_shape.parts.push_back({begin, static_cast<std::uint32_t>(doc_shape.pts.size()), part_kind});
                i += 2 + 2 * n;
            }
            return shape_distance(search, doc_shape) <= sg.buffer_m;
        };
        std::vector<std::pair<double, std::uint32_t>> hits;
        const auto n_hn = static_cast<std::uint32_t>(ix->hns.size());
        const auto add = [&](std::uint32_t item, std::int32_t lon, std::int32_t lat) {
            hits.emplace_back(core::geodesic_distance(req.point, LonLat{from_fixed(lon), from_fixed(lat)}), item);
        };
        if (want_hn && !ix->hns.empty()) {
            // Grid cells over the bounding circle's square.
            const MetaRec& m = ix->meta;
            const double dlon = bound / pl.kx, dlat = bound / pl.ky;
            const std::int64_t x0 = grid_x(centre_ll.lon - dlon, m), x1 = grid_x(centre_ll.lon + dlon, m);
            const std::int64_t y0 = grid_y(centre_ll.lat - dlat, m), y1 = grid_y(centre_ll.lat + dlat, m);
            for (std::int64_t gy = y0; gy <= y1; ++gy) {
                const auto lo = std::lower_bound(ix->grid_keys.begin(), ix->grid_keys.end(), grid_key(x0, gy));
                for (auto it = lo; it != ix->grid_keys.end() && *it <= grid_key(x1, gy); ++it) {
                    const auto k = static_cast<std::size_t>(it - ix->grid_keys.begin());
                    for (std::uint32_t j = ix->grid_offsets[k]; j < ix->grid_offsets[k + 1]; ++j) {
                        const std::uint32_t h = ix->grid_items[j];
                        const HnRec& rec = ix->hns[h];
                        if (!matches(0xFFFFFFFFU, rec.lon, rec.lat) || !passes(ix->docs[rec.street], req.filters)) continue;
                        add(h, rec.lon, rec.lat);
                    }
                }
            }
        }
        // Documents by their point or true geometry (linear scans over their ranges, pruned by the
        // bounding circle and each geometry's reach).
        const auto scan = [&](std::size_t begin, std::size_t end, bool by_type) {
            for (auto di = static_cast<std::uint32_t>(begin); di < end; ++di) {
                const DocRec& d = ix->docs[di];
                if (by_type && std::find(types.begin(), types.end(), static_cast<DocType>(d.type)) == types.end()) continue;
                const XY q = pl.to(from_fixed(d.lon), from_fixed(d.lat));
                const double reach = d.type >= static_cast<std::uint8_t>(DocType::poi) ? [&] {
                    const auto g = ix->geometry_of(di);
                    return g.empty() ? 0.0 : g[0] / 10.0;
                }() : 0.0;
                if (std::hypot(q.x - centre.x, q.y - centre.y) > bound + reach) continue;
                if (!matches(di, d.lon, d.lat) || !passes(d, req.filters)) continue;
                add(n_hn + di, d.lon, d.lat);
            }
        };
        if (want_address && !types.empty()) scan(0, ix->meta.poi_begin, true);
        if (wants(IndexKind::poi)) scan(ix->meta.poi_begin, ix->meta.parcel_begin, false);
        if (wants(IndexKind::parcel)) scan(ix->meta.parcel_begin, ix->docs.size(), false);
        return hits;
    }

    /// Result::true_geometry for POIs and parcels: the stored geometry, else the point.
    void add_true_geometry(Result& r, std::uint32_t doc) const {
        if (r.type != DocType::poi && r.type != DocType::parcel) return;
        const auto g = ix->geometry_of(doc);
        if (!g.empty()) {
            r.true_geometry = geojson_of(g);
        } else {
            r.true_geometry = R"({"type":"Point","coordinates":)";
            write_position(r.true_geometry, r.position);
            r.true_geometry += '}';
        }
    }

    [[nodiscard]] Result materialise(std::uint32_t doc, std::uint32_t hn) const {
        const DocRec& d = ix->docs[doc];
        const CommuneRec& c = ix->communes[d.commune];
        Result r;
        r.type = static_cast<DocType>(d.type);
        r.postcode = std::string(d.postcode.data(), ::strnlen(d.postcode.data(), d.postcode.size()));
        r.citycode = std::string(ix->str(c.citycode));
        r.city = std::string(ix->str(c.city));
        r.context = std::string(ix->str(c.context));
        r.importance = d.importance / 65535.0;
        const std::string_view name = ix->str(d.name);
        const std::string tail = r.postcode.empty() ? r.city : r.postcode + " " + r.city;
        if (hn != 0xFFFFFFFFU) {
            const HnRec& h = ix->hns[hn];
            const std::uint32_t number = h.number_suffix >> 8U;
            const std::string_view sfx = suffix_names[h.number_suffix & 0xFFU];
            r.type = DocType::housenumber;
            r.housenumber = sfx.empty() ? fmt::format("{}", number) : fmt::format("{} {}", number, sfx);
            r.street = std::string(name);
            r.name = r.housenumber + " " + r.street;
            r.label = r.name + " " + tail;
            r.position = LonLat{from_fixed(h.lon), from_fixed(h.lat)};
            if (h.id == 0xFFFFFFFFU) {
                r.id = sfx.empty() ? fmt::format("{}_{:05d}", ix->str(d.id), number)
                                   : fmt::format("{}_{:05d}_{}", ix->str(d.id), number, sfx);
            } else {
                r.id = std::string(ix->str(h.id));
            }
        } else {
            r.name = std::string(name);
            r.id = std::string(ix->str(d.id));
            r.position = LonLat{from_fixed(d.lon), from_fixed(d.lat)};
            const std::string_view extra = ix->str(ix->doc_extra[doc]);
            if (r.type == DocType::poi) {
                r.label = r.city.empty() ? r.name : r.name + ", " + r.city;
                for (std::size_t start = 0; start < extra.size();) {
                    const std::size_t end = std::min(extra.find('|', start), extra.size());
                    if (end > start) r.categories.emplace_back(extra.substr(start, end - start));
                    start = end + 1;
                }
            } else if (r.type == DocType::parcel) {
                // INSEE code (5) = department (2, or 3 for 97x) + municipality; then the old
                // commune, or the district for Paris, Lyon and Marseille (3); section (2); number (4).
                const std::string_view id = r.id;
                const std::size_t dep = id.starts_with("97") ? 3 : 2;
                r.label = r.id;
                r.departmentcode = std::string(id.substr(0, dep));
                r.municipalitycode = std::string(id.substr(dep, 5 - dep));
                const std::string_view insee = id.substr(0, 5);
                const bool plm = insee == "75056" || insee == "69123" || insee == "13055";
                r.oldmunicipalitycode = plm ? "000" : std::string(id.substr(5, 3));
                r.districtcode = plm ? std::string(id.substr(5, 3)) : "";
                r.section = std::string(id.substr(8, 2));
                r.number = std::string(id.substr(10, 4));
                r.sheet = std::string(extra);
            } else if (r.type == DocType::municipality) {
                r.label = r.name;
            } else {
                r.street = r.name;
                r.label = r.name + " " + tail;
            }
        }
        return r;
    }
};

Query::Query(const Geocoder& geocoder) : m_state(std::make_unique<State>(geocoder)) {}
Query::~Query() = default;
Query::Query(Query&&) noexcept = default;
Query& Query::operator=(Query&&) noexcept = default;
const Geocoder& Query::geocoder() const noexcept { return m_state->geocoder; }

std::vector<Result> Query::search(const SearchRequest& req) {
    if (auto p = req.validate(); !p.empty()) throw InvalidArgument(std::move(p));
    State& s = *m_state;
    s.type_ok.fill(false);
    bool want_text = req.indexes.empty();
    bool want_parcels = false;
    for (const IndexKind k : req.indexes) {
        if (k == IndexKind::parcel) want_parcels = true;
        else want_text = true;
        if (k == IndexKind::poi) s.type_ok[static_cast<std::size_t>(DocType::poi)] = true;
        if (k == IndexKind::address)
            for (const DocType t : {DocType::municipality, DocType::locality, DocType::street, DocType::housenumber})
                s.type_ok[static_cast<std::size_t>(t)] = true;
    }
    if (req.indexes.empty())
        for (const DocType t : {DocType::municipality, DocType::locality, DocType::street, DocType::housenumber})
            s.type_ok[static_cast<std::size_t>(t)] = true;
    s.scored.clear();
    s.tokens.clear();
    s.city_ok.clear();
    if (want_text) {
        s.folded_query = " " + fold(req.q) + " ";
        const auto words = tokenize(req.q);
        for (std::size_t i = 0; i < words.size(); ++i) {
            const bool numeric = is_digits(words[i]);
            if (!numeric && !s.tokens.empty() && s.tokens.back().numeric && s.tokens.back().suffix.empty() &&
                s.tokens.back().text.size() <= 5) {
                // tokenize() keeps bis/ter/a..g after a number only as suffixes.
                // Any single letter after a number is a suffix ("19 p"): abbreviations such as
                // "r" were already expanded by tokenize().
                if (const auto sfx = housenumber_suffix(words[i]); sfx && words[i] != "qu") {
                    s.tokens.back().suffix = std::string(*sfx);
                    continue;
                }
            }
            QToken t;
            t.text = words[i];
            t.numeric = numeric;
            s.tokens.push_back(std::move(t));
        }
        if (req.autocomplete && !s.tokens.empty() && !s.tokens.back().numeric) {
            const auto sp = s.folded_query.find_last_not_of(' ');
            const auto start = s.folded_query.rfind(' ', sp) + 1;
            const std::string raw = s.folded_query.substr(start, sp + 1 - start);
            if (expand_abbreviation(raw) == s.tokens.back().text) s.tokens.back().raw = raw;
        }
        if (!s.tokens.empty()) {
            s.expand(req.autocomplete, false);
            s.run(req, true);
            if (s.scored.empty() || !s.scored.front().complete) {
                const auto first = s.scored;
                s.run(req, false);
                if (!first.empty() && (s.scored.empty() || first.front().score > s.scored.front().score)) s.scored = first;
            }
            // Typo pass: when the best answer leaves a query word unexplained, words that exist in
            // the index may still be typos of others ("rue jule guesde": "jule" is a term somewhere).
            const bool complete = !s.scored.empty() && s.scored.front().complete;
            if (!complete) {
                const auto first = s.scored;
                s.expand(req.autocomplete, true);
                s.run(req, false);
                if (!first.empty() && (s.scored.empty() || first.front().score > s.scored.front().score)) s.scored = first;
            }
        }
    }
    if (want_parcels) {
        // Parcels (found by id or by the structured fields) are merged with the text results.
        s.search_parcels(req);
        std::sort(s.scored.begin(), s.scored.end(), better);
        if (s.scored.size() > req.limit) s.scored.resize(req.limit);
    }
    std::vector<Result> out;
    out.reserve(s.scored.size());
    for (const auto& sc : s.scored) {
        Result r = s.materialise(sc.doc, sc.hn);
        if (req.true_geometry) s.add_true_geometry(r, sc.doc);
        r.score = sc.score;
        if (req.bias) r.distance = core::geodesic_distance(*req.bias, r.position);
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<Result> Query::reverse(const ReverseRequest& req) {
    if (auto p = req.validate(); !p.empty()) throw InvalidArgument(std::move(p));
    State& s = *m_state;
    const Geocoder::Impl& ix = *s.ix;
    s.city_ok.clear();
    const auto& types = req.filters.types;
    const auto wants = [&](IndexKind k) { return std::find(req.indexes.begin(), req.indexes.end(), k) != req.indexes.end(); };
    const bool want_address = req.indexes.empty() || wants(IndexKind::address);
    const bool want_hn = want_address && (types.empty() || std::find(types.begin(), types.end(), DocType::housenumber) != types.end());
    const double radius = req.radius_m.value_or(std::numeric_limits<double>::infinity());
    const std::size_t want = req.limit;
    std::vector<std::pair<double, std::uint32_t>> exact;  // (geodesic distance, item)
    const auto n_hn = static_cast<std::uint32_t>(ix.hns.size());
    if (req.geometry) {
        exact = s.geometry_hits(req);
    } else {
        const double cos_lat = std::max(1e-6, std::cos(req.point.lat * deg));
        const double slack = 0.5;  // metres: near-ties are re-ranked with exact geodesics
        auto& near = s.near;      // (approximate distance, item) where item < hns.size() is a house number
        near.clear();
        const auto kth = [&]() {
            if (near.size() < want) return std::numeric_limits<double>::infinity();
            std::nth_element(near.begin(), near.begin() + static_cast<std::ptrdiff_t>(want - 1), near.end());
            return near[want - 1].first;
        };
        if (want_hn && !ix.hns.empty()) {
            const MetaRec& m = ix.meta;
            const std::int64_t cx = grid_x(req.point.lon, m);
            const std::int64_t cy = grid_y(req.point.lat, m);
            // Smallest cell side at this latitude, in metres: anything outside ring r is farther than r × side.
            const double side = std::min(m.cell_deg * deg * earth_radius_m,
                                         m.cell_deg / m.lon_scale * deg * earth_radius_m * cos_lat);
            const auto visit_cell = [&](std::int64_t gx, std::int64_t gy) {
                const std::uint64_t key = grid_key(gx, gy);
                const auto it = std::lower_bound(ix.grid_keys.begin(), ix.grid_keys.end(), key);
                if (it == ix.grid_keys.end() || *it != key) return;
                const auto k = static_cast<std::size_t>(it - ix.grid_keys.begin());
                for (std::uint32_t j = ix.grid_offsets[k]; j < ix.grid_offsets[k + 1]; ++j) {
                    const std::uint32_t h = ix.grid_items[j];
                    const HnRec& rec = ix.hns[h];
                    const double dist = approx_distance_m(req.point.lon, req.point.lat, from_fixed(rec.lon), from_fixed(rec.lat), cos_lat);
                    if (dist > radius + slack) continue;
                    if (!s.passes(ix.docs[rec.street], req.filters)) continue;
                    near.emplace_back(dist, h);
                }
            };
            constexpr std::int64_t max_rings = 64;
            bool done = false;
            for (std::int64_t r = 0; r <= max_rings && !done; ++r) {
                if (r == 0) {
                    visit_cell(cx, cy);
                } else {
                    for (std::int64_t x = cx - r; x <= cx + r; ++x) { visit_cell(x, cy - r); visit_cell(x, cy + r); }
                    for (std::int64_t y = cy - r + 1; y <= cy + r - 1; ++y) { visit_cell(cx - r, y); visit_cell(cx + r, y); }
                }
                const double covered = static_cast<double>(r) * side;  // every unvisited point is farther
                if (covered > radius + slack) done = true;
                else if (kth() + slack < covered) done = true;
                if (r == max_rings && !done && near.size() < want) {
                    // Far from every house number: scan them all (rare; points at sea or abroad).
                    near.clear();
                    for (std::uint32_t h = 0; h < ix.hns.size(); ++h) {
                        const HnRec& rec = ix.hns[h];
                        const double dist = approx_distance_m(req.point.lon, req.point.lat, from_fixed(rec.lon), from_fixed(rec.lat), cos_lat);
                        if (dist > radius + slack || !s.passes(ix.docs[rec.street], req.filters)) continue;
                        near.emplace_back(dist, h);
                    }
                }
            }
        }
        // Streets, localities and municipalities by their point when asked for, POIs and parcels by
        // their point (linear scans over their document ranges).
        const auto scan = [&](std::size_t begin, std::size_t end, bool by_type) {
            for (auto di = static_cast<std::uint32_t>(begin); di < end; ++di) {
                const DocRec& d = ix.docs[di];
                if (by_type && std::find(types.begin(), types.end(), static_cast<DocType>(d.type)) == types.end()) continue;
                const double dist = approx_distance_m(req.point.lon, req.point.lat, from_fixed(d.lon), from_fixed(d.lat), cos_lat);
                if (dist > radius + slack || !s.passes(d, req.filters)) continue;
                near.emplace_back(dist, n_hn + di);
            }
        };
        if (want_address && !types.empty()) scan(0, ix.meta.poi_begin, true);
        if (wants(IndexKind::poi)) scan(ix.meta.poi_begin, ix.meta.parcel_begin, false);
        if (wants(IndexKind::parcel)) scan(ix.meta.parcel_begin, ix.docs.size(), false);
        // Exact geodesic distances for everything within the k-th approximate distance + slack, then
        // order by (distance, item) so that ties are deterministic.
        const double kd = kth();
        const double limit_d = std::isfinite(kd) ? kd * 1.001 + 0.05 : kd;
        for (const auto& [dist, item] : near) {
            if (dist > limit_d) continue;
            const LonLat p = item < n_hn ? LonLat{from_fixed(ix.hns[item].lon), from_fixed(ix.hns[item].lat)}
                                         : LonLat{from_fixed(ix.docs[item - n_hn].lon), from_fixed(ix.docs[item - n_hn].lat)};
            const double g = core::geodesic_distance(req.point, p);
            if (g <= radius) exact.emplace_back(g, item);
        }
    }
    std::sort(exact.begin(), exact.end());
    if (exact.size() > want) exact.resize(want);
    std::vector<Result> out;
    out.reserve(exact.size());
    for (const auto& [g, item] : exact) {
        Result r = item < n_hn ? s.materialise(ix.hns[item].street, item) : s.materialise(item - n_hn, 0xFFFFFFFFU);
        if (req.true_geometry && item >= n_hn) s.add_true_geometry(r, item - n_hn);
        r.distance = g;
        r.score = std::isfinite(radius) && radius > 0 ? std::clamp(1.0 - g / radius, 0.0, 1.0) : 1.0 / (1.0 + g / 100.0);
        out.push_back(std::move(r));
    }
    return out;
}

void detail::set_exhaustive_scoring(Query& query, bool on) { query.m_state->exhaustive = on; }

}  // namespace geoplex::geocoder
