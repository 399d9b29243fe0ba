// The layer search service (/recherche/api/indexes/geoplateforme…). See
// include/geoplex/server/search_api.hpp and docs/catalog.md ("Layer search").

#include "geoplex/server/search_api.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <mutex>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/altitude/altitude.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/catalog/publishing.hpp"
#include "geoplex/catalog/search.hpp"
#include "geoplex/catalog/store.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/geocoder/geocoder.hpp"
#include "geoplex/routing/routing.hpp"
#include "geoplex/server/catalog_api.hpp"
#include "geoplex/tiles/tile_matrix_set.hpp"
#include "geoplex/tiles/tiles.hpp"
#include "ows_common.hpp"
#include "server/road2_params.hpp"

namespace geoplex::server {

namespace {

using json = nlohmann::json;
using Terms = std::vector<std::string>;  // sorted, unique

constexpr const char* index_name = "geoplateforme";

/// catalog::analyze(), then one more rule: a stem ending in "ier" ends in "i". Snowball leaves
/// "routier" for "routières" but "routi" for "routier"; with it, feminine and masculine forms of
/// -ier/-ière words meet ("routières" finds "Réseau routier", "première" finds "premier").
std::vector<std::string> stems(std::string_view text) {
    std::vector<std::string> v = catalog::analyze(text);
    for (auto& t : v)
        if (t.size() > 4 && t.ends_with("ier")) t.resize(t.size() - 2);
    return v;
}

Terms terms_of(std::string_view text) {
    Terms t = stems(text);
    std::sort(t.begin(), t.end());
    t.erase(std::unique(t.begin(), t.end()), t.end());
    return t;
}

bool has(const Terms& t, const std::string& term) { return std::binary_search(t.begin(), t.end(), term); }

bool has_prefix(const Terms& t, const std::string& prefix) {
    const auto it = std::lower_bound(t.begin(), t.end(), prefix);
    return it != t.end() && it->compare(0, prefix.size(), prefix) == 0;
}

bool has_all(const Terms& t, const Terms& wanted) {
    return std::all_of(wanted.begin(), wanted.end(), [&](const std::string& w) { return has(t, w); });
}

/// Folded words (sorted, unique), not stemmed.
Terms words_of(std::string_view text) {
    std::vector<std::string> out;
    const std::string f = catalog::fold(text);
    std::size_t i = 0;
    while (i < f.size()) {
        const auto j = f.find(' ', i);
        if (j != i) out.push_back(f.substr(i, j == std::string::npos ? std::string::npos : j - i));
        if (j == std::string::npos) break;
        i = j + 1;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::string join(const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, " ")); }

std::size_t code_points(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U; }));
}

/// The fields suggest() searches, with their weights (reference names).
enum Field { f_title, f_description, f_layer_name, f_theme, f_keywords, f_producers, f_type, f_years, f_metadata, field_count };
constexpr std::array<const char*, field_count> field_names{"title", "description", "layer_name", "theme", "keywords",
                                                            "producers", "type", "production_years", "metadata_urls"};
constexpr std::array<double, field_count> field_weights{3, 1, 2, 1.5, 2, 1, 1, 1, 0.5};

std::optional<Field> field_of(std::string_view name) {
    for (std::size_t i = 0; i < field_count; ++i)
        if (name == field_names[i]) return static_cast<Field>(i);
    return std::nullopt;
}

std::string normalize_type(std::string t) {
    for (char& c : t) c = c == ' ' ? '-' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return t;
}

// ---- GeoJSON shapes against a box ----------------------------------------------------------------

using Pt = std::array<double, 2>;
using Box = std::array<double, 4>;  // west, south, east, north

struct Shape {
    std::vector<Pt> points;
    std::vector<std::vector<Pt>> lines;
    std::vector<std::vector<std::vector<Pt>>> polygons;
};

Pt point_of(const json& c, const std::string& where) {
    if (!c.is_array() || c.size() < 2 || !c[0].is_number() || !c[1].is_number() || !std::isfinite(c[0].get<double>()) ||
        !std::isfinite(c[1].get<double>()))
        throw InvalidArgument(fmt::format("shape: {} must be a [lon, lat] position", where));
    return {c[0].get<double>(), c[1].get<double>()};
}

std::vector<Pt> points_of(const json& c, const std::string& where, std::size_t min) {
    if (!c.is_array() || c.size() < min) throw InvalidArgument(fmt::format("shape: {} needs at least {} positions", where, min));
    std::vector<Pt> out;
    for (const auto& p : c) out.push_back(point_of(p, where));
    return out;
}

void add_geometry(const json& g, Shape& s, int depth = 0) {
    if (!g.is_object()) throw InvalidArgument("shape: must be a GeoJSON geometry object");
    const std::string type = g.value("type", "");
    if (type == "Feature") return add_geometry(g.value("geometry", json()), s, depth);
    if (type == "GeometryCollection") {
        if (depth > 4 || !g.contains("geometries") || !g["geometries"].is_array())
            throw InvalidArgument("shape: a GeometryCollection needs a geometries array");
        for (const auto& x : g["geometries"]) add_geometry(x, s, depth + 1);
        return;
    }
    if (!g.contains("coordinates")) throw InvalidArgument(fmt::format("shape: {} without coordinates", type.empty() ? "geometry" : type));
    const json& c = g["coordinates"];
    const auto polygon = [&](const json& rings) {
        if (!rings.is_array() || rings.empty()) throw InvalidArgument("shape: a Polygon needs at least one ring");
        std::vector<std::vector<Pt>> p;
        for (const auto& r : rings) p.push_back(points_of(r, "a polygon ring", 4));
        s.polygons.push_back(std::move(p));
    };
    const auto each = [&](const std::function<void(const json&)>& fn) {
        if (!c.is_array()) throw InvalidArgument(fmt::format("shape: {} coordinates must be an array", type));
        for (const auto& x : c) fn(x);
    };
    if (type == "Point") s.points.push_back(point_of(c, "Point"));
    else if (type == "MultiPoint") each([&](const json& x) { s.points.push_back(point_of(x, "MultiPoint")); });
    else if (type == "LineString") s.lines.push_back(points_of(c, "a LineString", 2));
    else if (type == "MultiLineString") each([&](const json& x) { s.lines.push_back(points_of(x, "a LineString", 2)); });
    else if (type == "Polygon") polygon(c);
    else if (type == "MultiPolygon") each(polygon);
    else throw InvalidArgument(fmt::format("shape: unknown geometry type '{}'", type));
}

bool in_box(const Pt& p, const Box& b) { return p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3]; }

double cross(const Pt& o, const Pt& a, const Pt& b) { return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]); }

bool on_segment(const Pt& a, const Pt& b, const Pt& p) {
    return std::min(a[0], b[0]) <= p[0] && p[0] <= std::max(a[0], b[0]) && std::min(a[1], b[1]) <= p[1] && p[1] <= std::max(a[1], b[1]);
}

bool segments_meet(const Pt& a, const Pt& b, const Pt& c, const Pt& d) {
    const double d1 = cross(c, d, a), d2 = cross(c, d, b), d3 = cross(a, b, c), d4 = cross(a, b, d);
    if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
    return (d1 == 0 && on_segment(c, d, a)) || (d2 == 0 && on_segment(c, d, b)) || (d3 == 0 && on_segment(a, b, c)) ||
           (d4 == 0 && on_segment(a, b, d));
}

bool segment_meets_box(const Pt& a, const Pt& b, const Box& x) {
    if (in_box(a, x) || in_box(b, x)) return true;
    const Pt c0{x[0], x[1]}, c1{x[2], x[1]}, c2{x[2], x[3]}, c3{x[0], x[3]};
    return segments_meet(a, b, c0, c1) || segments_meet(a, b, c1, c2) || segments_meet(a, b, c2, c3) || segments_meet(a, b, c3, c0);
}

bool polygon_contains(const std::vector<std::vector<Pt>>& rings, const Pt& p) {
    bool inside = false;  // even-odd over every ring: holes excluded
    for (const auto& r : rings)
        for (std::size_t i = 0, j = r.size() - 1; i < r.size(); j = i++)
            if ((r[i][1] > p[1]) != (r[j][1] > p[1]) && p[0] < (r[j][0] - r[i][0]) * (p[1] - r[i][1]) / (r[j][1] - r[i][1]) + r[i][0])
                inside = !inside;
    return inside;
}

bool shape_meets_box(const Shape& s, const Box& b) {
    for (const auto& p : s.points)
        if (in_box(p, b)) return true;
    const auto path = [&](const std::vector<Pt>& l) {
        for (std::size_t i = 1; i < l.size(); ++i)
            if (segment_meets_box(l[i - 1], l[i], b)) return true;
        return false;
    };
    for (const auto& l : s.lines)
        if (path(l)) return true;
    for (const auto& poly : s.polygons) {
        for (const auto& r : poly)
            if (path(r)) return true;
        if (polygon_contains(poly, {b[0], b[1]})) return true;  // the box lies inside the polygon
    }
    return false;
}

// ---- body parsing --------------------------------------------------------------------------------

std::vector<std::string> strings_of(const json& v, const char* name, std::vector<std::string>& problems) {
    std::vector<std::string> out;
    if (v.is_string()) {
        if (!v.get<std::string>().empty()) out.push_back(v.get<std::string>());
    } else if (v.is_array()) {
        for (const auto& x : v) {
            if (!x.is_string()) {
                problems.push_back(fmt::format("{}: must be a string or an array of strings", name));
                return {};
            }
            if (!x.get<std::string>().empty()) out.push_back(x.get<std::string>());
        }
    } else {
        problems.push_back(fmt::format("{}: must be a string or an array of strings", name));
    }
    return out;
}

bool valid_date(std::string_view d) {
    if (d.size() != 4 && d.size() != 7 && d.size() != 10) return false;
    for (std::size_t i = 0; i < d.size(); ++i) {
        const bool dash = i == 4 || i == 7;
        if (dash ? d[i] != '-' : !std::isdigit(static_cast<unsigned char>(d[i]))) return false;
    }
    return true;
}

}  // namespace

LayerQuery LayerQuery::parse(const json& body) {
    LayerQuery q;
    if (body.is_null()) return q;
    if (!body.is_object()) throw InvalidArgument("the body must be a JSON object");
    std::vector<std::string> problems;
    const auto text = [&](const json& v, const char* name, std::string& out) {
        if (v.is_string()) out = v.get<std::string>();
        else problems.push_back(fmt::format("{}: must be a string", name));
    };
    const auto boolean = [&](const json& v, const char* name) -> std::optional<bool> {
        if (v.is_boolean()) return v.get<bool>();
        if (v.is_string() && (v == "true" || v == "false")) return v == "true";
        problems.push_back(fmt::format("{}: must be a boolean", name));
        return std::nullopt;
    };
    const auto positive = [&](const json& v, const char* name, std::size_t max) -> std::size_t {
        if (v.is_number_integer() && v.get<std::int64_t>() >= 1 && v.get<std::int64_t>() <= static_cast<std::int64_t>(max))
            return static_cast<std::size_t>(v.get<std::int64_t>());
        problems.push_back(fmt::format("{}: must be an integer in 1..{}", name, max));
        return 1;
    };
    for (const auto& [key, v] : body.items()) {
        if (key == "text") text(v, "text", q.text);
        else if (key == "title") text(v, "title", q.title);
        else if (key == "layer_name") text(v, "layer_name", q.layer_name);
        else if (key == "description") text(v, "description", q.description);
        else if (key == "attribution_title") text(v, "attribution_title", q.attribution_title);
        else if (key == "attribution_email") text(v, "attribution_email", q.attribution_email);
        else if (key == "open") q.open = boolean(v, "open");
        else if (key == "highlight") q.highlight = boolean(v, "highlight").value_or(false);
        else if (key == "metadata_urls") q.metadata_urls = boolean(v, "metadata_urls").value_or(false);
        else if (key == "type") {
            for (auto& t : strings_of(v, "type", problems)) q.types.push_back(normalize_type(t));
        } else if (key == "theme") q.themes = strings_of(v, "theme", problems);
        else if (key == "keywords") q.keywords = strings_of(v, "keywords", problems);
        else if (key == "srs") q.srs = strings_of(v, "srs", problems);
        else if (key == "producers") q.producers = strings_of(v, "producers", problems);
        else if (key == "shape") {
            try {
                Shape s;
                add_geometry(v, s);
                q.shape = v.dump();
            } catch (const InvalidArgument& e) {
                problems.emplace_back(e.what());
            }
        } else if (key == "publication_date") {
            if (!v.is_object()) {
                problems.emplace_back("publication_date: must be an object {min_publication_date, max_publication_date}");
                continue;
            }
            for (const auto& [k, d] : v.items()) {
                std::string* out = k == "min_publication_date" ? &q.min_publication_date
                                   : k == "max_publication_date" ? &q.max_publication_date : nullptr;
                if (out == nullptr) problems.push_back(fmt::format("publication_date: unknown field '{}'", k));
                else if (!d.is_string() || !valid_date(d.get<std::string>()))
                    problems.push_back(fmt::format("publication_date.{}: must be a date YYYY-MM-DD", k));
                else *out = d.get<std::string>();
            }
        } else if (key == "production_years") {
            if (!v.is_object()) {
                problems.emplace_back("production_years: must be an object {min, max}");
                continue;
            }
            for (const auto& [k, y] : v.items()) {
                std::optional<int>* out = k == "min" ? &q.min_year : k == "max" ? &q.max_year : nullptr;
                if (out == nullptr) problems.push_back(fmt::format("production_years: unknown field '{}'", k));
                else if (!y.is_number_integer() || std::abs(y.get<std::int64_t>()) > 100'000)
                    problems.push_back(fmt::format("production_years.{}: must be an integer year", k));
                else *out = static_cast<int>(y.get<std::int64_t>());
            }
        } else if (key == "aggregation") {
            if (!v.is_object() || !v.contains("fields")) {
                problems.emplace_back("aggregation: must be an object {fields: [...]}");
                continue;
            }
            for (auto& f : strings_of(v["fields"], "aggregation.fields", problems)) {
                static const std::set<std::string> allowed{"type", "theme", "keywords", "producers", "srs", "production_years", "open", "layer_name"};
                if (allowed.count(f) == 0)
                    problems.push_back(fmt::format("aggregation.fields: '{}' cannot be aggregated (type, theme, keywords, producers, srs, "
                                                   "production_years, open, layer_name)", f));
                else q.aggregation_fields.push_back(f);
            }
        } else if (key == "page") q.page = positive(v, "page", 1'000'000);
        else if (key == "size") q.size = positive(v, "size", 10'000);
        else problems.push_back(fmt::format("unknown field '{}'", key));
    }
    if (q.min_year && q.max_year && *q.min_year > *q.max_year) problems.emplace_back("production_years: min is after max");
    if (!q.min_publication_date.empty() && !q.max_publication_date.empty() && q.min_publication_date > q.max_publication_date)
        problems.emplace_back("publication_date: min_publication_date is after max_publication_date");
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    return q;
}

// ---- the index ------------------------------------------------------------------------------------

struct LayerIndex::Impl {
    struct Entry {
        std::array<Terms, field_count> terms;
        std::array<Terms, field_count> words;  ///< folded words, unstemmed (prefixes of a word being typed)
        std::string folded_title;
        std::string folded_theme;
    };
    std::vector<LayerDocument> docs;
    std::vector<Entry> entries;
    std::unordered_map<std::string, std::size_t> by_id;
    /// term → (document, bit set of the fields holding it), documents ascending
    std::unordered_map<std::string, std::vector<std::pair<std::uint32_t, std::uint16_t>>> postings;
};

LayerIndex::LayerIndex(std::vector<LayerDocument> documents) : m_impl(std::make_unique<Impl>()) {
    m_impl->docs = std::move(documents);
    m_impl->entries.reserve(m_impl->docs.size());
    for (std::size_t i = 0; i < m_impl->docs.size(); ++i) {
        const LayerDocument& d = m_impl->docs[i];
        Impl::Entry e;
        std::vector<std::string> years;
        for (const int y : d.production_years) years.push_back(std::to_string(y));
        const std::array<std::string, field_count> texts{d.title, d.description, d.layer_name, d.theme, join(d.keywords),
                                                         join(d.producers), d.type, join(years), join(d.metadata_urls)};
        for (std::size_t f = 0; f < field_count; ++f) {
            e.terms[f] = terms_of(texts[f]);
            e.words[f] = words_of(texts[f]);
        }
        e.folded_title = catalog::fold(d.title);
        e.folded_theme = catalog::fold(d.theme);
        m_impl->entries.push_back(std::move(e));
        m_impl->by_id.emplace(d.id, i);
        std::map<std::string, std::uint16_t> masks;
        for (std::size_t f = 0; f < field_count; ++f)
            for (const auto& t : m_impl->entries.back().terms[f]) masks[t] = static_cast<std::uint16_t>(masks[t] | (1U << f));
        for (const auto& [t, mask] : masks) m_impl->postings[t].emplace_back(static_cast<std::uint32_t>(i), mask);
    }
}

LayerIndex::~LayerIndex() = default;

std::size_t LayerIndex::size() const noexcept { return m_impl->docs.size(); }
const LayerDocument& LayerIndex::document(std::size_t i) const { return m_impl->docs.at(i); }

const LayerDocument* LayerIndex::find(std::string_view id) const {
    const auto it = m_impl->by_id.find(std::string(id));
    return it == m_impl->by_id.end() ? nullptr : &m_impl->docs[it->second];
}

namespace {

bool word_byte(char c) { return std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80U) != 0; }

/// `text` with the words whose stem is in `wanted` wrapped in <em>…</em>; "" when none is.
std::string highlight(std::string_view text, const std::set<std::string>& wanted) {
    std::string out;
    bool any = false;
    for (std::size_t i = 0; i < text.size();) {
        if (!word_byte(text[i])) {
            out += ows::xml_escape(text.substr(i, 1));
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && word_byte(text[j])) ++j;
        const std::string_view word = text.substr(i, j - i);
        const Terms t = stems(word);
        const bool hit = !t.empty() && wanted.count(t.front()) > 0;
        any = any || hit;
        out += hit ? "<em>" + ows::xml_escape(word) + "</em>" : ows::xml_escape(word);
        i = j;
    }
    return any ? out : std::string();
}

}  // namespace

LayerResult LayerIndex::search(const LayerQuery& q, const std::function<bool(const LayerDocument&)>& visible) const {
    const Terms text = terms_of(q.text), title = terms_of(q.title), description = terms_of(q.description),
                layer = terms_of(q.layer_name);
    std::vector<Terms> keywords, producers;
    for (const auto& k : q.keywords) keywords.push_back(terms_of(k));
    for (const auto& p : q.producers) producers.push_back(terms_of(p));
    std::vector<std::string> themes;
    for (const auto& t : q.themes) themes.push_back(catalog::fold(t));
    std::optional<Shape> shape;
    if (!q.shape.empty()) {
        shape.emplace();
        add_geometry(json::parse(q.shape), *shape);
    }
    const bool scored = !text.empty() || !title.empty() || !description.empty() || !layer.empty();

    // Text conditions narrow the scan to the documents holding every term (posting lists).
    std::optional<std::vector<std::uint32_t>> candidates;
    const auto narrow = [&](const Terms& terms, unsigned fields) {
        for (const auto& t : terms) {
            std::vector<std::uint32_t> docs;
            if (const auto it = m_impl->postings.find(t); it != m_impl->postings.end())
                for (const auto& [doc, mask] : it->second)
                    if ((mask & fields) != 0) docs.push_back(doc);
            if (candidates) {
                std::vector<std::uint32_t> both;
                std::set_intersection(candidates->begin(), candidates->end(), docs.begin(), docs.end(), std::back_inserter(both));
                docs = std::move(both);
            }
            candidates = std::move(docs);
        }
    };
    narrow(text, (1U << f_title) | (1U << f_description) | (1U << f_layer_name) | (1U << f_theme) | (1U << f_keywords) | (1U << f_producers));
    narrow(title, 1U << f_title);
    narrow(description, 1U << f_description);
    const std::size_t scan = candidates ? candidates->size() : m_impl->docs.size();

    std::vector<LayerHit> matches;
    for (std::size_t pos = 0; pos < scan; ++pos) {
        const std::size_t i = candidates ? (*candidates)[pos] : pos;
        const LayerDocument& d = m_impl->docs[i];
        const Impl::Entry& e = m_impl->entries[i];
        if (visible && !visible(d)) continue;
        if (q.open && d.open != *q.open) continue;
        if (!q.types.empty() && std::none_of(q.types.begin(), q.types.end(), [&](const std::string& t) {
                return d.type == t || (d.type.size() > t.size() && d.type.compare(0, t.size(), t) == 0 && d.type[t.size()] == '-');
            }))
            continue;
        if (!themes.empty() && std::find(themes.begin(), themes.end(), e.folded_theme) == themes.end()) continue;
        if (!keywords.empty() && std::none_of(keywords.begin(), keywords.end(), [&](const Terms& k) { return !k.empty() && has_all(e.terms[f_keywords], k); }))
            continue;
        if (!producers.empty() && std::none_of(producers.begin(), producers.end(), [&](const Terms& p) { return !p.empty() && has_all(e.terms[f_producers], p); }))
            continue;
        if (!q.srs.empty() && std::none_of(q.srs.begin(), q.srs.end(), [&](const std::string& s) {
                return std::any_of(d.srs.begin(), d.srs.end(), [&](const std::string& x) { return catalog::fold(x) == catalog::fold(s); });
            }))
            continue;
        if (shape && (!d.extent || !shape_meets_box(*shape, *d.extent))) continue;
        if (!q.min_publication_date.empty() && (d.publication_date.empty() || d.publication_date < q.min_publication_date)) continue;
        if (!q.max_publication_date.empty() &&
            (d.publication_date.empty() || d.publication_date.substr(0, q.max_publication_date.size()) > q.max_publication_date))
            continue;
        if ((q.min_year || q.max_year) && std::none_of(d.production_years.begin(), d.production_years.end(), [&](int y) {
                return (!q.min_year || y >= *q.min_year) && (!q.max_year || y <= *q.max_year);
            }))
            continue;
        if (!q.attribution_title.empty() && catalog::fold(d.attribution_title) != catalog::fold(q.attribution_title)) continue;
        if (!q.attribution_email.empty() && catalog::fold(d.attribution_email) != catalog::fold(q.attribution_email)) continue;
        if (q.metadata_urls && d.metadata_urls.empty()) continue;
        if (!has_all(e.terms[f_title], title) || !has_all(e.terms[f_description], description)) continue;
        if (!layer.empty() && catalog::fold(d.layer_name) != catalog::fold(q.layer_name) && !has_all(e.terms[f_layer_name], layer)) continue;
        double score = static_cast<double>(title.size()) * field_weights[f_title] +
                       static_cast<double>(description.size()) * field_weights[f_description] +
                       static_cast<double>(layer.size()) * field_weights[f_layer_name];
        bool all = true;
        for (const auto& t : text) {
            double best = 0;
            for (const Field f : {f_title, f_description, f_layer_name, f_theme, f_keywords, f_producers})
                if (has(e.terms[f], t)) best = std::max(best, field_weights[f]);
            if (best == 0) {
                all = false;
                break;
            }
            score += best;
        }
        if (!all) continue;
        matches.push_back(LayerHit{&d, score, {}});
    }

    LayerResult result;
    result.total = matches.size();
    for (const auto& field : q.aggregation_fields) {
        std::map<std::string, std::size_t> counts;
        for (const auto& h : matches) {
            const LayerDocument& d = *h.document;
            std::set<std::string> values;
            if (field == "type") values.insert(d.type);
            else if (field == "theme") { if (!d.theme.empty()) values.insert(d.theme); }
            else if (field == "keywords") values.insert(d.keywords.begin(), d.keywords.end());
            else if (field == "producers") values.insert(d.producers.begin(), d.producers.end());
            else if (field == "srs") values.insert(d.srs.begin(), d.srs.end());
            else if (field == "layer_name") values.insert(d.layer_name);
            else if (field == "open") values.insert(d.open ? "true" : "false");
            else if (field == "production_years")
                for (const int y : d.production_years) values.insert(std::to_string(y));
            for (const auto& v : values) ++counts[v];
        }
        auto& out = result.aggregations[field];
        out.assign(counts.begin(), counts.end());
        std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    }

    const auto& entries = m_impl->entries;
    const auto folded = [&](const LayerHit& h) -> const std::string& {
        return entries[static_cast<std::size_t>(h.document - m_impl->docs.data())].folded_title;
    };
    const auto order = [&](const LayerHit& a, const LayerHit& b) {
        if (scored && a.score != b.score) return a.score > b.score;
        const int c = folded(a).compare(folded(b));
        return c != 0 ? c < 0 : a.document->id < b.document->id;
    };
    const std::size_t from = std::min(matches.size(), (q.page - 1) * q.size), to = std::min(matches.size(), from + q.size);
    std::partial_sort(matches.begin(), matches.begin() + static_cast<std::ptrdiff_t>(to), matches.end(), order);
    result.hits.assign(matches.begin() + static_cast<std::ptrdiff_t>(from), matches.begin() + static_cast<std::ptrdiff_t>(to));
    if (q.highlight) {
        std::set<std::string> wanted(text.begin(), text.end());
        wanted.insert(title.begin(), title.end());
        wanted.insert(description.begin(), description.end());
        for (auto& h : result.hits) {
            if (auto s = highlight(h.document->title, wanted); !s.empty()) h.highlights["title"] = std::move(s);
            if (auto s = highlight(h.document->description, wanted); !s.empty()) h.highlights["description"] = std::move(s);
        }
    }
    return result;
}

std::vector<LayerHit> LayerIndex::suggest(const std::string& text, const std::vector<std::string>& fields, std::size_t size,
                                          const std::function<bool(const LayerDocument&)>& visible) const {
    const std::vector<std::string> wanted = stems(text);
    if (wanted.empty()) return {};
    // The word being typed: its stem may be longer than the stem of the whole word ("batim" vs
    // "bat"), so its folded spelling is also matched as a prefix of the unstemmed words.
    std::string typing = catalog::fold(text);
    if (const auto sp = typing.rfind(' '); sp != std::string::npos) typing.erase(0, sp + 1);
    std::vector<Field> fs;
    for (const auto& f : fields)
        if (const auto x = field_of(f)) fs.push_back(*x);
    std::vector<LayerHit> hits;
    for (std::size_t i = 0; i < m_impl->docs.size(); ++i) {
        const auto& d = m_impl->docs[i];
        if (visible && !visible(d)) continue;
        const auto& e = m_impl->entries[i];
        double score = 0;
        bool all = true;
        for (std::size_t k = 0; k < wanted.size() && all; ++k) {
            const bool last = k + 1 == wanted.size();
            double best = 0;
            for (const Field f : fs)
                if (last ? has_prefix(e.terms[f], wanted[k]) || (!typing.empty() && has_prefix(e.words[f], typing)) : has(e.terms[f], wanted[k]))
                    best = std::max(best, field_weights[f]);
            all = best > 0;
            score += best;
        }
        if (all) hits.push_back(LayerHit{&d, score, {}});
    }
    std::sort(hits.begin(), hits.end(), [&](const LayerHit& a, const LayerHit& b) {
        if (a.score != b.score) return a.score > b.score;
        return a.document->id < b.document->id;
    });
    if (hits.size() > size) hits.resize(size);
    return hits;
}

namespace {

std::u32string decode_utf8(std::string_view s) {
    std::u32string out;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const int n = c < 0x80 ? 1 : (c >> 5U) == 6 ? 2 : (c >> 4U) == 14 ? 3 : 4;
        char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1FU) : n == 3 ? (c & 0x0FU) : (c & 0x07U);
        for (int k = 1; k < n && i + static_cast<std::size_t>(k) < s.size(); ++k)
            cp = (cp << 6U) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3FU);
        out.push_back(cp);
        i += static_cast<std::size_t>(n);
    }
    return out;
}

std::size_t edit_distance(const std::u32string& a, const std::u32string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}


}  // namespace

json LayerIndex::autocomplete(const std::string& text, const std::string& field,
                              const std::function<bool(const LayerDocument&)>& visible) const {
    std::map<std::string, std::size_t> vocabulary;  // folded word → documents holding it
    for (const auto& d : m_impl->docs) {
        if (visible && !visible(d)) continue;
        std::set<std::string> seen;
        std::string source = field == "description" ? d.description : field == "theme" ? d.theme : field == "keywords" ? join(d.keywords) : d.title;
        for (auto& w : words_of(source)) seen.insert(std::move(w));
        for (const auto& w : seen) ++vocabulary[w];
    }
    json out = json::array();
    std::size_t i = 0, cp_offset = 0;
    while (i < text.size()) {
        if (!word_byte(text[i])) {
            cp_offset += (static_cast<unsigned char>(text[i]) & 0xC0U) != 0x80U ? 1 : 0;
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && word_byte(text[j])) ++j;
        const std::string original = text.substr(i, j - i);
        const std::size_t length = code_points(original);
        const std::string word = catalog::fold(original);
        const std::u32string w32 = decode_utf8(word);
        json options = json::array();
        if (w32.size() >= 4 && vocabulary.count(word) == 0) {
            struct Option { std::string text; double score; std::size_t freq; };
            std::vector<Option> found;
            for (const auto& [candidate, freq] : vocabulary) {
                if (candidate.empty() || candidate[0] != word[0]) continue;
                const std::size_t dist = edit_distance(w32, decode_utf8(candidate));
                if (dist == 0 || dist > 2) continue;
                found.push_back({candidate, 1.0 - static_cast<double>(dist) / static_cast<double>(w32.size()), freq});
            }
            std::sort(found.begin(), found.end(), [](const Option& a, const Option& b) {
                if (a.score != b.score) return a.score > b.score;
                if (a.freq != b.freq) return a.freq > b.freq;
                return a.text < b.text;
            });
            if (found.size() > 5) found.resize(5);
            for (const auto& o : found) options.push_back(json{{"text", o.text}, {"score", o.score}, {"freq", o.freq}});
        }
        out.push_back(json{{"text", original}, {"offset", cp_offset}, {"length", length}, {"options", options}});
        cp_offset += length;
        i = j;
    }
    return out;
}

// ---- documents --------------------------------------------------------------------------------------

namespace {

json extent_json(const std::optional<std::array<double, 4>>& e) {
    if (!e) return nullptr;
    const auto [w, s, east, n] = *e;
    return json{{"type", "Polygon"}, {"coordinates", json::array({json::array({json::array({w, s}), json::array({east, s}), json::array({east, n}),
                                                                            json::array({w, n}), json::array({w, s})})})}};
}

std::optional<std::array<double, 4>> box_of(const BBox& b) {
    if (b.empty()) return std::nullopt;
    return std::array<double, 4>{b.min_x, b.min_y, b.max_x, b.max_y};
}

std::string date_of(std::string_view iso) { return iso.size() >= 10 ? std::string(iso.substr(0, 10)) : std::string(iso); }

/// The GetCapabilities / Describe path of a layer of `type` ("" prefix or "/private").
std::string capabilities_path(const std::string& type, const std::string& prefix, const std::string& layer) {
    if (type == "WMTS-TMS") return prefix + "/wmts?SERVICE=WMTS&VERSION=1.0.0&REQUEST=GetCapabilities";
    if (type == "VECTOR-TMS") return prefix + "/tms/1.0.0/" + layer + "/metadata.json";
    if (type == "WMS-RASTER") return prefix + "/wms-r?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities";
    if (type == "WMS-VECTOR") return prefix + "/wms-v/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities";
    if (type == "WFS") return prefix + "/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=DescribeFeatureType&TYPENAMES=" + layer;
    if (type == "DOWNLOAD") return prefix + "/telechargement/resource/" + layer;
    if (type == "ITINERARY-ISOCURVE") return prefix + "/navigation/getcapabilities";
    if (type == "ALTIMETRY") return prefix + "/altimetrie/resources";
    if (type == "SEARCH") return prefix + "/geocodage/getCapabilities";
    return {};
}

LayerDocument bundle_doc(const std::string& type, const std::string& id, const std::string& title, const std::string& description,
                         const BBox& extent, const bundle::Engine& e) {
    LayerDocument d;
    d.id = "bundle:" + type + ":" + id;
    d.offering_id = d.id;
    d.layer_name = id;
    d.title = title.empty() ? id : title;
    d.description = description;
    d.type = type;
    d.url = capabilities_path(type, "", id);
    d.extent = box_of(extent);
    d.publication_date = date_of(e.manifest().created);
    d.producers = {};
    d.extra = json{{"bundle", e.manifest().name}}.dump();
    return d;
}

}  // namespace

std::vector<LayerDocument> bundle_documents(const bundle::Engine& e) {
    std::vector<LayerDocument> out;
    if (e.has_tiles()) {
        const auto& ts = e.tiles();
        for (const auto& l : ts.layers()) {
            const auto* tms = ts.find_tile_matrix_set(l.tile_matrix_set);
            const std::string crs = tms != nullptr ? tms->crs : std::string("EPSG:3857");
            LayerDocument tiles = bundle_doc(l.is_vector ? "VECTOR-TMS" : "WMTS-TMS", l.id, l.title, l.description, l.bounds, e);
            tiles.srs = {crs};
            tiles.keywords = {l.is_vector ? "vecteur" : "raster"};
            out.push_back(tiles);
            // The OGC services serve the same layers.
            for (const char* type : l.is_vector ? std::vector<const char*>{"WMS-VECTOR", "WFS"} : std::vector<const char*>{"WMS-RASTER"}) {
                LayerDocument d = bundle_doc(type, l.id, l.title, l.description, l.bounds, e);
                d.srs = {"EPSG:4326", "EPSG:3857"};
                if (crs != "EPSG:3857" && crs != "EPSG:4326") d.srs.push_back(crs);
                d.keywords = tiles.keywords;
                out.push_back(std::move(d));
            }
        }
    }
    if (e.has_routing())
        for (const auto& r : e.routing().resources()) {
            LayerDocument d = bundle_doc("ITINERARY-ISOCURVE", r.id, r.title, r.description, r.bbox, e);
            d.srs = r.crs;
            for (const auto& p : r.profiles) d.keywords.push_back(p.name);
            out.push_back(std::move(d));
        }
    if (e.has_altitude())
        for (const auto& r : e.altitude().resources()) {
            LayerDocument d = bundle_doc("ALTIMETRY", r.id, r.title, r.description, r.extent, e);
            d.url = "/altimetrie/resources/" + r.id;
            d.srs = {"EPSG:4326"};
            d.keywords = r.keywords;
            out.push_back(std::move(d));
        }
    if (e.has_geocoder()) {
        const auto& info = e.geocoder().info();
        LayerDocument d = bundle_doc("SEARCH", "geocodage", "Géocodage",
                                     fmt::format("Adresses, points d'intérêt et parcelles ({} adresses, {} voies, {} points d'intérêt, {} parcelles)",
                                                 info.housenumbers, info.streets, info.pois, info.parcels),
                                     info.extent, e);
        d.srs = {"EPSG:4326"};
        d.keywords = {"adresse", "géocodage"};
        out.push_back(std::move(d));
    }
    return out;
}

std::vector<LayerDocument> catalog_documents(catalog::Catalog& c) {
    using namespace catalog;
    Store& store = c.store();
    std::vector<LayerDocument> out;
    std::map<Id, std::optional<Endpoint>> endpoints;
    const auto strings = [](const json& v) {
        std::vector<std::string> s;
        if (v.is_string()) s.push_back(v.get<std::string>());
        else if (v.is_array())
            for (const auto& x : v)
                if (x.is_string()) s.push_back(x.get<std::string>());
        return s;
    };
    const auto add_unique = [](std::vector<std::string>& to, const std::string& v) {
        if (!v.empty() && std::find(to.begin(), to.end(), v) == to.end()) to.push_back(v);
    };
    for (const auto& o : store.list<Offering>({}, {0, 10'000'000}).items) {
        if (o.status != OfferingStatus::published) continue;
        auto& ep = endpoints[o.endpoint];
        if (!ep) ep = store.get<Endpoint>(o.endpoint);
        const auto cfg = store.get<Configuration>(o.configuration);
        if (!ep || !cfg) continue;
        const json ti = json::parse(cfg->type_infos, nullptr, false);
        const json type_infos = ti.is_object() ? ti : json::object();
        LayerDocument d;
        d.id = o.id;
        d.offering_id = o.id;
        d.layer_name = o.layer_name;
        d.type = std::string(to_string(o.type));
        d.title = type_infos.value("title", cfg->name);
        d.description = type_infos.value("abstract", std::string());
        d.open = o.open;
        d.restricted = !ep->open;
        d.url = capabilities_path(d.type, d.restricted ? "/private" : "", o.layer_name);
        d.publication_date = date_of(o.created);
        d.keywords = strings(type_infos.value("keywords", json()));
        d.theme = cfg->tags.count("theme") != 0 ? cfg->tags.at("theme") : type_infos.value("theme", std::string());
        for (const auto& p : strings(type_infos.value("producers", json()))) add_unique(d.producers, p);
        d.metadata_urls = strings(type_infos.value("metadata_urls", json()));
        if (const json attribution = type_infos.value("attribution", json()); attribution.is_object()) {
            d.attribution_title = attribution.value("title", std::string());
            d.attribution_email = attribution.value("email", std::string());
        }
        const json extra = json::parse(cfg->extra, nullptr, false);
        d.extra = extra.is_object() && extra.contains("_search") && extra["_search"].is_object() ? extra["_search"].dump() : "{}";
        std::optional<GeoBox> box;
        const auto grow = [&](const GeoBox& b) {
            box = box ? GeoBox{std::min(box->west, b.west), std::min(box->south, b.south), std::max(box->east, b.east), std::max(box->north, b.north)} : b;
        };
        if (const json b = type_infos.value("bbox", json()); b.is_object())
            grow(GeoBox{b.value("west", 0.0), b.value("south", 0.0), b.value("east", 0.0), b.value("north", 0.0)});
        for (const auto& sid : cfg->used_stored_data) {
            const auto sd = store.get<StoredData>(sid);
            if (!sd) continue;
            add_unique(d.srs, sd->srs);
            if (sd->extent && !type_infos.contains("bbox")) grow(*sd->extent);
            if (const auto it = sd->tags.find("producer"); it != sd->tags.end()) add_unique(d.producers, it->second);
            if (const auto it = sd->tags.find("production_year"); it != sd->tags.end()) {
                int y = 0;
                const auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), y);
                if (ec == std::errc() && std::find(d.production_years.begin(), d.production_years.end(), y) == d.production_years.end())
                    d.production_years.push_back(y);
            }
        }
        // The dataset sheet the configuration names (type_infos.dataset: its id or file_identifier).
        if (const std::string ref = type_infos.value("dataset", std::string()); !ref.empty()) {
            std::optional<Dataset> ds = is_uuid(ref) ? store.get<Dataset>(ref) : std::nullopt;
            if (!ds) {
                auto found = store.list<Dataset>({{"file_identifier", ref}}, {0, 1}).items;
                if (!found.empty()) ds = found.front();
            }
            if (ds) {
                if (d.description.empty()) d.description = ds->abstract;
                for (const auto& k : ds->keywords) add_unique(d.keywords, k);
                if (d.theme.empty() && !ds->themes.empty()) d.theme = ds->themes.front();
                add_unique(d.producers, ds->producer);
                if (!ds->publication_date.empty()) d.publication_date = date_of(ds->publication_date);
                if (!box && ds->bbox) grow(*ds->bbox);
            }
        }
        if (box) d.extent = std::array<double, 4>{box->west, box->south, box->east, box->north};
        out.push_back(std::move(d));
    }
    return out;
}

json document_json(const LayerDocument& d, const std::string& base) {
    json j;
    j["id"] = d.id;
    j["offering_id"] = d.offering_id;
    j["index_name"] = index_name;
    j["layer_name"] = d.layer_name;
    j["title"] = d.title;
    j["description"] = d.description;
    j["type"] = d.type;
    j["url"] = d.url.empty() ? std::string() : base + d.url;
    j["open"] = d.open;
    j["theme"] = d.theme;
    j["production_years"] = d.production_years;
    j["publication_date"] = d.publication_date;
    j["keywords"] = d.keywords;
    j["extent"] = extent_json(d.extent);
    json urls = json::array();
    for (const auto& u : d.metadata_urls) urls.push_back(u.starts_with("/") ? base + u : u);
    j["metadata_urls"] = urls;
    j["srs"] = d.srs;
    j["extra"] = json::parse(d.extra, nullptr, false).is_object() ? json::parse(d.extra) : json::object();
    j["producers"] = d.producers;
    return j;
}

// ---- routes -----------------------------------------------------------------------------------------

namespace {

/// The index of one server: bundle documents (rebuilt when the engine changes) plus catalog
/// documents (rebuilt when the catalog's generation changes). Thread-safe.
class SharedIndex {
public:
    explicit SharedIndex(std::shared_ptr<catalog::Catalog> c) : m_catalog(std::move(c)) {}

    std::shared_ptr<const LayerIndex> get(const bundle::Engine& e) {
        const std::uint64_t gen = m_catalog ? m_catalog->generation() : 0;
        std::lock_guard lock(m_mutex);
        const std::string key = e.directory().string() + "\n" + e.manifest().created;
        if (!m_index || gen != m_generation || &e != m_engine || key != m_engine_key) {
            std::vector<LayerDocument> docs = bundle_documents(e);
            if (m_catalog) {
                auto more = catalog_documents(*m_catalog);
                docs.insert(docs.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
            }
            m_index = std::make_shared<const LayerIndex>(std::move(docs));
            m_generation = gen;
            m_engine = &e;
            m_engine_key = key;
        }
        return m_index;
    }
    [[nodiscard]] catalog::Catalog* catalog() const { return m_catalog.get(); }

private:
    std::shared_ptr<catalog::Catalog> m_catalog;
    std::mutex m_mutex;
    std::shared_ptr<const LayerIndex> m_index;
    std::uint64_t m_generation = 0;
    const bundle::Engine* m_engine = nullptr;
    std::string m_engine_key;
};

struct State {
    State(SearchApiOptions o) : options(std::move(o)), index(options.catalog) {}
    SearchApiOptions options;
    SharedIndex index;
};

using Visible = std::function<bool(const LayerDocument&)>;

/// A tileset without layers: PublishedLayer needs one, authorize() only reads the offering.
const std::optional<tiles::Tileset>& empty_tileset() {
    static const std::optional<tiles::Tileset> empty = []() -> std::optional<tiles::Tileset> {
        try {
            return tiles::Tileset::from_config(tiles::BuildConfig{});
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }();
    return empty;
}

/// Who sees what: the open family sees the documents of open endpoints; /private needs a valid
/// key (401 otherwise) and adds the restricted documents that key may consume.
Visible visibility(const State& st, const Request& r, bool restricted) {
    if (!restricted) return [](const LayerDocument& d) { return !d.restricted; };
    catalog::Catalog* c = st.index.catalog();
    const catalog::PresentedKey key = presented_key(r);
    if (key.empty()) throw HttpError(401, "a key is required: add apikey=<key> or an X-Key header", {}, "UNAUTHORIZED");
    if (c == nullptr || !c->identify_key(key)) throw HttpError(401, "the key is not valid", {}, "UNAUTHORIZED");
    auto cache = std::make_shared<std::map<std::string, bool>>();
    return [c, key, cache](const LayerDocument& d) {
        if (!d.restricted) return true;
        if (const auto it = cache->find(d.id); it != cache->end()) return it->second;
        bool ok = false;
        if (auto offering = c->store().get<catalog::Offering>(d.offering_id)) {
            auto layer = c->published_layer(d.layer_name, true);
            if (layer && layer->offering.id == offering->id)
                ok = c->authorize(key, *layer) == catalog::AccessVerdict::granted;
            else if (layer)  // another layer of the same name: authorize against this offering
                ok = c->authorize(key, catalog::PublishedLayer{d.layer_name, *offering, true, layer->tileset}) == catalog::AccessVerdict::granted;
            else if (const auto empty = empty_tileset())
                ok = c->authorize(key, catalog::PublishedLayer{d.layer_name, *offering, true, *empty}) == catalog::AccessVerdict::granted;
        }
        cache->emplace(d.id, ok);
        return ok;
    };
}

Response reply(const json& j) {
    Response r = Response::json(j.dump(-1, ' ', false, json::error_handler_t::replace));
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
}

std::size_t size_param(const Request& r, const char* name, std::size_t fallback, std::size_t max) {
    const std::string* v = r.param(name);
    if (v == nullptr) return fallback;
    std::size_t n = 0;
    const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n == 0 || n > max)
        throw InvalidArgument(fmt::format("{}: must be an integer in 1..{}", name, max));
    return n;
}

/// The comma-separated names of `s`, trimmed, empty ones dropped.
std::vector<std::string> split_fields(std::string_view s) {
    std::vector<std::string> out;
    for (const auto part : road2::split(s, ','))
        if (const auto f = road2::trim(part); !f.empty()) out.emplace_back(f);
    return out;
}

std::string openapi(const std::string& summary, bool body, const std::vector<std::tuple<std::string, std::string, bool>>& params,
                    bool restricted) {
    json op;
    op["summary"] = summary + (restricted ? " (restricted documents with a key and an access)" : "");
    op["tags"] = json::array({"search"});
    json ps = json::array();
    for (const auto& [name, where, required] : params)
        ps.push_back(json{{"name", name}, {"in", where}, {"required", required}, {"schema", {{"type", "string"}}}});
    if (restricted) ps.push_back(json{{"name", "apikey"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}},
                                      {"description", "the key (or an X-Key header, or Basic credentials)"}});
    if (!ps.empty()) op["parameters"] = ps;
    if (body)
        op["requestBody"] = json{{"required", false}, {"content", {{"application/json", {{"schema", {{"type", "object"}, {"properties", {
            {"title", {{"type", "string"}}}, {"layer_name", {{"type", "string"}}}, {"description", {{"type", "string"}}},
            {"text", {{"type", "string"}, {"description", "geoplex: free text over title, description, keywords, layer_name, theme, producers"}}},
            {"open", {{"type", "boolean"}}}, {"type", {{"type", "string"}}}, {"theme", {{"type", "string"}}}, {"keywords", {{"type", "string"}}},
            {"srs", {{"type", "string"}}}, {"shape", {{"type", "object"}, {"description", "GeoJSON geometry intersecting the extent"}}},
            {"publication_date", {{"type", "object"}}}, {"production_years", {{"type", "object"}}}, {"aggregation", {{"type", "object"}}},
            {"highlight", {{"type", "boolean"}}}, {"attribution_title", {{"type", "string"}}}, {"attribution_email", {{"type", "string"}}},
            {"metadata_urls", {{"type", "boolean"}}}, {"producers", {{"type", "string"}}},
            {"page", {{"type", "integer"}, {"minimum", 1}}}, {"size", {{"type", "integer"}, {"minimum", 1}}}}}}}}}}}};
    json responses;
    responses["200"] = json{{"description", "OK"}, {"content", {{"application/json", json::object()}}}};
    responses["400"] = json{{"description", "Invalid request ({error:{code, message, details}})"}};
    if (restricted) {
        responses["401"] = json{{"description", "No key or an unknown key"}};
        responses["403"] = json{{"description", "The key has no access to that document"}};
    }
    responses["404"] = json{{"description", "Unknown document"}};
    op["responses"] = responses;
    return op.dump();
}

}  // namespace

void add_search_routes(Router& router, SearchApiOptions options) {
    auto st = std::make_shared<State>(std::move(options));
    for (const bool restricted : {false, true}) {
        const std::string root = std::string(restricted ? "/private" : "") + search_route_pattern;
        router.add(Router::Route{
            {"POST"}, root,
            [st, restricted](const Request& r, const bundle::Engine& e) {
                json body;
                if (!r.body.empty()) {
                    try {
                        body = json::parse(r.body);
                    } catch (const json::parse_error& x) {
                        throw HttpError(400, fmt::format("invalid JSON body: {}", x.what()), {}, "BAD_REQUEST");
                    }
                }
                LayerQuery q = LayerQuery::parse(body);
                if (const std::string* p = r.param("page")) q.page = size_param(r, "page", 1, 1'000'000), (void)p;
                q.size = size_param(r, "size", q.size, st->options.max_size);
                if (q.size > st->options.max_size) throw InvalidArgument(fmt::format("size: must be an integer in 1..{}", st->options.max_size));
                const Visible visible = visibility(*st, r, restricted);
                const auto index = st->index.get(e);
                const LayerResult res = index->search(q, visible);
                const std::string base = ows::base_url(r, st->options.base_url);
                json docs = json::array();
                for (const auto& h : res.hits) {
                    json d = document_json(*h.document, base);
                    d["highlights"] = json::object();
                    for (const auto& [f, html] : h.highlights) d["highlights"][f] = json::array({html});
                    if (h.score > 0) d["score"] = h.score;
                    docs.push_back(std::move(d));
                }
                json aggs = json::object();
                for (const auto& [f, counts] : res.aggregations) {
                    json buckets = json::array();
                    for (const auto& [value, n] : counts) buckets.push_back(json{{"key", value}, {"doc_count", n}});
                    aggs[f] = json{{"buckets", buckets}};
                }
                return reply(json{{"documents", docs}, {"aggregations", aggs}, {"total", res.total}, {"page", q.page}, {"size", q.size}});
            },
            ErrorStyle::plain, openapi("Layer search in the standard index (every field optional)", true, {}, restricted)});
        router.add(Router::Route{
            {"GET"}, root + "/suggest",
            [st, restricted](const Request& r, const bundle::Engine& e) {
                const std::string* text = r.param("text");
                if (text == nullptr || code_points(*text) < 3)
                    throw InvalidArgument("text: at least 3 characters are needed for a suggestion");
                std::vector<std::string> fields;
                if (const std::string* f = r.param("fields")) {
                    std::vector<std::string> bad;
                    for (auto& x : split_fields(*f)) (field_of(x) ? fields : bad).push_back(x);
                    if (!bad.empty())
                        throw InvalidArgument(fmt::format("fields: unknown field(s) {} (title, description, layer_name, theme, keywords, producers, "
                                                          "type, production_years, metadata_urls)", fmt::join(bad, ", ")));
                }
                if (fields.empty()) fields.assign(field_names.begin(), field_names.end());
                const std::size_t size = size_param(r, "size", 10, st->options.max_size);
                const Visible visible = visibility(*st, r, restricted);
                const std::string base = ows::base_url(r, st->options.base_url);
                json out = json::array();
                for (const auto& h : st->index.get(e)->suggest(*text, fields, size, visible))
                    out.push_back(json{{"index", index_name}, {"score", h.score}, {"source", document_json(*h.document, base)}});
                return reply(out);
            },
            ErrorStyle::plain,
            openapi("Suggestions: documents whose fields hold every word of text (the last one as a prefix); text of 3 characters or more", false,
                    {{"text", "query", true}, {"fields", "query", false}, {"size", "query", false}}, restricted)});
        router.add(Router::Route{
            {"GET"}, root + "/suggest_autocomplete",
            [st, restricted](const Request& r, const bundle::Engine& e) {
                const std::string* text = r.param("text");
                if (text == nullptr || text->empty()) throw InvalidArgument("text: required");
                const std::string* f = r.param("field");
                const std::string field = f == nullptr || f->empty() ? "title" : *f;
                if (field != "title" && field != "description" && field != "theme" && field != "keywords")
                    throw InvalidArgument(fmt::format("field: '{}' is not one of title, description, theme, keywords", field));
                const Visible visible = visibility(*st, r, restricted);
                return reply(st->index.get(e)->autocomplete(*text, field, visible));
            },
            ErrorStyle::plain,
            openapi("Spelling options for each word of text from the words of a field", false,
                    {{"text", "query", true}, {"field", "query", false}}, restricted)});
        router.add(Router::Route{
            {"GET"}, root + "/documents/{id}",
            [st, restricted](const Request& r, const bundle::Engine& e) {
                const std::string id = *r.path_param("id");
                const auto index = st->index.get(e);
                const LayerDocument* d = index->find(id);
                const Visible visible = visibility(*st, r, restricted);
                if (d == nullptr || (!restricted && d->restricted))
                    throw HttpError(404, fmt::format("no document '{}'", id), {}, "NOT_FOUND");
                if (!visible(*d)) throw HttpError(403, "the key has no access to this document", {}, "FORBIDDEN");
                return reply(document_json(*d, ows::base_url(r, st->options.base_url)));
            },
            ErrorStyle::plain, openapi("One document by id", false, {{"id", "path", true}}, restricted)});
        router.add(Router::Route{
            {"GET"}, root + "/offerings/{id}",
            [st, restricted](const Request& r, const bundle::Engine& e) {
                const std::string id = *r.path_param("id");
                const auto index = st->index.get(e);
                const Visible visible = visibility(*st, r, restricted);
                json out = json::array();
                for (std::size_t i = 0; i < index->size(); ++i)
                    if (index->document(i).offering_id == id && visible(index->document(i))) out.push_back(json{{"id", index->document(i).id}});
                if (out.empty()) throw HttpError(404, fmt::format("no document of offering '{}'", id), {}, "NOT_FOUND");
                return reply(out);
            },
            ErrorStyle::plain, openapi("The ids of the documents of an offering", false, {{"id", "path", true}}, restricted)});
    }
}

}  // namespace geoplex::server
