// Builder: reads BAN CSV, addok NDJSON and OSM addresses, OSM/GDAL POIs and GDAL parcels,
// groups house numbers by street, computes importance, tokenises names and writes address.idx
// (layout in format.hpp).

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <numbers>
#include <numeric>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geocoder/format.hpp"
#include "geocoder/gdal_source.hpp"
#include "geocoder/line_reader.hpp"
#include "geocoder/osm.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/geocoder/geocoder.hpp"
#include "geoplex/geocoder/text.hpp"

namespace geoplex::geocoder {

using namespace detail;

std::string_view to_string(DocType t) noexcept {
    switch (t) {
        case DocType::municipality: return "municipality";
        case DocType::locality: return "locality";
        case DocType::street: return "street";
        case DocType::housenumber: return "housenumber";
        case DocType::poi: return "poi";
        case DocType::parcel: return "parcel";
    }
    return "?";
}

std::string_view to_string(IndexKind k) noexcept {
    switch (k) {
        case IndexKind::address: return "address";
        case IndexKind::poi: return "poi";
        case IndexKind::parcel: return "parcel";
    }
    return "?";
}

std::optional<IndexKind> index_kind_from_string(std::string_view s) noexcept {
    if (s == "address") return IndexKind::address;
    if (s == "poi") return IndexKind::poi;
    if (s == "parcel") return IndexKind::parcel;
    return std::nullopt;
}

IndexKind index_of(DocType t) noexcept {
    return t == DocType::poi ? IndexKind::poi : t == DocType::parcel ? IndexKind::parcel : IndexKind::address;
}

std::optional<DocType> doc_type_from_string(std::string_view s) noexcept {
    if (s == "municipality") return DocType::municipality;
    if (s == "locality") return DocType::locality;
    if (s == "street") return DocType::street;
    if (s == "housenumber") return DocType::housenumber;
    if (s == "poi") return DocType::poi;
    if (s == "parcel") return DocType::parcel;
    return std::nullopt;
}

std::string_view to_string(SourceFormat f) noexcept {
    switch (f) {
        case SourceFormat::ban_csv: return "ban-csv";
        case SourceFormat::addok_ndjson: return "addok-ndjson";
        case SourceFormat::osm: return "osm";
        case SourceFormat::osm_poi: return "osm-poi";
        case SourceFormat::gdal_poi: return "gdal-poi";
        case SourceFormat::gdal_parcel: return "gdal-parcel";
    }
    return "?";
}

std::vector<std::string> SourceConfig::validate() const {
    std::vector<std::string> p;
    if (path.empty()) p.emplace_back("path: missing");
    else if (!std::filesystem::exists(path)) p.push_back(fmt::format("path: '{}' does not exist", path.string()));
    const bool gdal = format == SourceFormat::gdal_poi || format == SourceFormat::gdal_parcel;
    if (!gdal) {
        for (const auto& [name, v] : {std::pair{"layer", &layer}, {"name_field", &name_field}, {"category_field", &category_field},
                                      {"id_field", &id_field}, {"citycode_field", &citycode_field},
                                      {"postcode_field", &postcode_field}, {"sheet_field", &sheet_field}})
            if (!v->empty()) p.push_back(fmt::format("{}: only for the gdal-poi and gdal-parcel formats", name));
    } else if (format == SourceFormat::gdal_parcel) {
        for (const auto& [name, v] : {std::pair{"name_field", &name_field}, {"category_field", &category_field},
                                      {"citycode_field", &citycode_field}, {"postcode_field", &postcode_field}})
            if (!v->empty()) p.push_back(fmt::format("{}: not used by gdal-parcel (the id holds the commune)", name));
    } else if (!sheet_field.empty()) {
        p.emplace_back("sheet_field: only for gdal-parcel");
    }
    return p;
}

std::vector<std::string> BuildConfig::validate() const {
    std::vector<std::string> p;
    if (sources.empty()) p.emplace_back("sources: at least one source is needed");
    for (std::size_t i = 0; i < sources.size(); ++i)
        for (auto& s : sources[i].validate()) p.push_back(fmt::format("sources[{}].{}", i, s));
    if (!(grid_cell_deg > 1e-5 && grid_cell_deg < 1.0))
        p.push_back(fmt::format("grid_cell_deg: must be in (0.00001, 1) degrees (got {})", grid_cell_deg));
    return p;
}

Builder::Builder(BuildConfig config) : m_config(std::move(config)) {
    auto problems = m_config.validate();
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
}

namespace {

struct BCommune {
    std::string citycode;
    std::string city;
    std::string context;
    std::string postcode;          // of the municipality document
    double importance = -1.0;      // given by the source, else computed
    double lon = NAN, lat = NAN;   // given by the source, else the mean of its addresses
    double sum_lon = 0.0, sum_lat = 0.0;
    std::uint64_t addresses = 0;
    std::unordered_map<std::string, std::uint32_t> postcode_counts;
};

struct BStreet {
    std::string name;
    std::string id;
    std::string postcode;
    std::uint32_t commune = 0;
    double importance = -1.0;
    double lon = NAN, lat = NAN;
    DocType type = DocType::street;
};

struct BHn {
    std::int32_t lon = 0, lat = 0;
    std::uint32_t street = 0;
    std::uint32_t number_suffix = 0;
    std::uint32_t id = 0;  // string offset, or derived_id
};

constexpr std::uint32_t derived_id = 0xFFFFFFFFU;

struct BPoi {
    std::string name, id, categories, postcode;  // categories joined by '|'
    std::uint32_t commune = 0;
    double lon = 0, lat = 0;
    std::vector<std::int32_t> geometry{};  // geom_data parts (format.hpp); empty = the point
};

struct BParcel {
    std::string id, sheet;
    std::uint32_t commune = 0;
    double lon = 0, lat = 0;
    std::vector<std::int32_t> geometry{};
};

class Collector {
public:
    std::vector<BCommune> communes;
    std::unordered_map<std::string, std::uint32_t> commune_index;
    std::vector<BStreet> streets;
    std::unordered_map<std::string, std::uint32_t> street_index;
    std::vector<BHn> hns;
    std::vector<BPoi> pois;
    std::vector<BParcel> parcels;
    std::string strings = std::string(1, '\0');
    std::uint64_t skipped = 0;

    std::uint32_t intern(std::string_view s) {
        if (s.empty()) return 0;
        const auto off = static_cast<std::uint32_t>(strings.size());
        strings.append(s);
        strings.push_back('\0');
        return off;
    }

    std::uint32_t commune(std::string_view citycode, std::string_view city) {
        // Rows come grouped by commune and street: the previous answer is usually the right one.
        if (m_last_commune != 0xFFFFFFFFU && communes[m_last_commune].citycode == citycode) return m_last_commune;
        m_last_commune = commune_lookup(citycode, city);
        return m_last_commune;
    }

    std::uint32_t commune_lookup(std::string_view citycode, std::string_view city) {
        auto [it, inserted] = commune_index.try_emplace(std::string(citycode), static_cast<std::uint32_t>(communes.size()));
        if (inserted) {
            BCommune c;
            c.citycode = std::string(citycode);
            c.city = std::string(city);
            communes.push_back(std::move(c));
        } else if (communes[it->second].city.empty()) {
            communes[it->second].city = std::string(city);
        }
        return it->second;
    }

    std::uint32_t street(std::string_view key, std::string_view name, std::string_view id, std::string_view postcode,
                         std::uint32_t commune_id) {
        if (m_last_street != 0xFFFFFFFFU && key == m_last_street_key) return m_last_street;
        auto [it, inserted] = street_index.try_emplace(std::string(key), static_cast<std::uint32_t>(streets.size()));
        if (inserted) {
            BStreet s;
            s.name = std::string(name);
            s.id = std::string(id);
            s.postcode = std::string(postcode);
            s.commune = commune_id;
            streets.push_back(std::move(s));
            // The municipality's postcode is the one most of its streets have.
            if (!postcode.empty())
                if (auto& pc = communes[commune_id].postcode_counts; pc.size() < 16) ++pc[std::string(postcode)];
        }
        m_last_street = it->second;
        m_last_street_key.assign(key);
        return it->second;
    }

private:
    std::uint32_t m_last_commune = 0xFFFFFFFFU;
    std::uint32_t m_last_street = 0xFFFFFFFFU;
    std::string m_last_street_key;

public:

    // id is derived when it equals "<street id>_<number, 5 digits>[_<suffix>]" (BAN's scheme):
    // then it is not stored (saves ~20 bytes per address). Checked by hand: this runs per row.
    std::uint32_t hn_id(std::string_view id, std::string_view street_id, std::uint32_t number, std::string_view suffix) {
        const std::size_t n = street_id.size();
        const std::size_t want = n + 6 + (suffix.empty() ? 0 : 1 + suffix.size());
        if (number <= 99999 && id.size() == want && id.starts_with(street_id) && id[n] == '_') {
            std::uint32_t v = 0;
            bool digits = true;
            for (std::size_t i = n + 1; i < n + 6; ++i) {
                digits = digits && id[i] >= '0' && id[i] <= '9';
                v = v * 10 + static_cast<std::uint32_t>(id[i] - '0');
            }
            if (digits && v == number && (suffix.empty() || (id[n + 6] == '_' && id.substr(n + 7) == suffix)))
                return derived_id;
        }
        return intern(id);
    }

    void add_hn(std::uint32_t street_id, double lon, double lat, const HouseNumber& hn, std::string_view id) {
        const std::uint8_t sc = suffix_code(hn.suffix);
        BHn h;
        h.lon = to_fixed(lon);
        h.lat = to_fixed(lat);
        h.street = street_id;
        h.number_suffix = (std::min<std::uint32_t>(hn.number, 0xFFFFFFU) << 8U) | (sc == 0xFF ? 0U : sc);
        h.id = hn_id(id, streets[street_id].id, hn.number, hn.suffix);
        hns.push_back(h);
        BCommune& c = communes[streets[street_id].commune];
        c.sum_lon += lon;
        c.sum_lat += lat;
        ++c.addresses;
    }
};

// Splits a CSV line in place (quotes supported, no embedded newlines).
void split_csv(std::string_view line, char sep, std::vector<std::string_view>& out, std::string& scratch) {
    out.clear();
    scratch.clear();
    std::size_t i = 0;
    if (line.find('"') == std::string_view::npos) {
        for (;;) {
            const std::size_t j = line.find(sep, i);
            if (j == std::string_view::npos) { out.push_back(line.substr(i)); return; }
            out.push_back(line.substr(i, j - i));
            i = j + 1;
        }
    }
    // Quoted fields: unescape into scratch (reserved so views stay valid).
    scratch.reserve(line.size());
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    while (i <= line.size()) {
        const std::size_t start = scratch.size();
        if (i < line.size() && line[i] == '"') {
            ++i;
            while (i < line.size()) {
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') { scratch.push_back('"'); i += 2; continue; }
                    ++i;
                    break;
                }
                scratch.push_back(line[i++]);
            }
            while (i < line.size() && line[i] != sep) scratch.push_back(line[i++]);
        } else {
            while (i < line.size() && line[i] != sep) scratch.push_back(line[i++]);
        }
        spans.emplace_back(start, scratch.size() - start);
        ++i;
    }
    for (auto [s, n] : spans) out.emplace_back(scratch.data() + s, n);
}

bool parse_double(std::string_view s, double& v) {
    if (s.empty()) return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && std::isfinite(v);
}

void read_ban_csv(const SourceConfig& src, Collector& col, const core::Callbacks& cb) {
    LineReader reader(src.path);
    std::string_view line;
    if (!reader.next(line)) throw FormatError(fmt::format("'{}' is empty (a BAN CSV needs a header row)", src.path.string()));
    if (line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    std::vector<std::string_view> f;
    std::string scratch;
    split_csv(line, ';', f, scratch);
    std::unordered_map<std::string, std::size_t> col_of;
    for (std::size_t i = 0; i < f.size(); ++i) col_of.emplace(std::string(f[i]), i);
    const auto need = [&](const char* name) -> std::size_t {
        auto it = col_of.find(name);
        if (it == col_of.end())
            throw FormatError(fmt::format("'{}' is not a BAN CSV: the header has no '{}' column (expected "
                                          "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;…)",
                                          src.path.string(), name));
        return it->second;
    };
    const auto opt = [&](const char* name) -> std::size_t {
        auto it = col_of.find(name);
        return it == col_of.end() ? std::size_t(-1) : it->second;
    };
    const std::size_t c_id = need("id"), c_num = need("numero"), c_voie = need("nom_voie"), c_cp = need("code_postal"),
                      c_insee = need("code_insee"), c_commune = need("nom_commune"), c_lon = need("lon"),
                      c_lat = need("lat"), c_rep = opt("rep"), c_old = opt("code_insee_ancienne_commune"),
                      c_ld = opt("nom_ld");
    const std::size_t n_cols = f.size();
    const std::string task = fmt::format("geocoder: read {}", src.path.filename().string());
    std::string key;
    std::uint64_t rows = 0;
    while (reader.next(line)) {
        if (line.empty()) continue;
        if ((++rows & 0xFFFFU) == 0) {
            cb.report(task, reader.position(), reader.size());
            cb.check_cancelled();
        }
        split_csv(line, ';', f, scratch);
        if (f.size() < n_cols) {
            throw FormatError(fmt::format("'{}' line {}: {} fields, the header has {}", src.path.string(),
                                          reader.line_number(), f.size(), n_cols));
        }
        double lon = 0, lat = 0;
        std::string_view voie = f[c_voie];
        if (voie.empty() && c_ld != std::size_t(-1)) voie = f[c_ld];
        if (!parse_double(f[c_lon], lon) || !parse_double(f[c_lat], lat) || voie.empty() ||
            !is_valid_lonlat(LonLat{lon, lat})) {
            ++col.skipped;
            continue;
        }
        const std::string_view insee = f[c_insee];
        const std::string_view cp = f[c_cp];
        const std::string_view old = c_old != std::size_t(-1) ? f[c_old] : std::string_view();
        const std::uint32_t commune = col.commune(insee, f[c_commune]);
        key.assign(insee).append("\x1f").append(voie).append("\x1f").append(cp).append("\x1f").append(old);
        // BAN ids are "<street id>_<number>[_<suffix>]": the street id is the first two parts.
        const std::string_view id = f[c_id];
        std::string_view street_id = id;
        if (const auto p1 = id.find('_'); p1 != std::string_view::npos)
            if (const auto p2 = id.find('_', p1 + 1); p2 != std::string_view::npos) street_id = id.substr(0, p2);
        const std::uint32_t street = col.street(key, voie, street_id, cp, commune);
        std::uint32_t number = 0;
        const std::string_view num = f[c_num];
        const auto r = std::from_chars(num.data(), num.data() + num.size(), number);
        if (r.ec != std::errc() || number >= 99999) continue;  // 99999 = a named place without number
        HouseNumber hn{number, {}};
        if (c_rep != std::size_t(-1) && !f[c_rep].empty()) {
            if (const auto parsed = parse_housenumber(fmt::format("1{}", f[c_rep]))) hn.suffix = parsed->suffix;
        }
        col.add_hn(street, lon, lat, hn, id);
    }
    cb.report(task, reader.size(), reader.size());
}

std::string first_string(const nlohmann::json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_array() && !v.empty() && v[0].is_string()) return v[0].get<std::string>();
    return {};
}

void read_addok_ndjson(const SourceConfig& src, Collector& col, const core::Callbacks& cb) {
    LineReader reader(src.path);
    std::string_view line;
    const std::string task = fmt::format("geocoder: read {}", src.path.filename().string());
    std::uint64_t rows = 0;
    while (reader.next(line)) {
        if (line.empty()) continue;
        if ((++rows & 0x3FFU) == 0) {
            cb.report(task, reader.position(), reader.size());
            cb.check_cancelled();
        }
        const auto doc = nlohmann::json::parse(line, nullptr, false);
        if (doc.is_discarded() || !doc.is_object())
            throw FormatError(fmt::format("'{}' line {}: not a JSON object", src.path.string(), reader.line_number()));
        const auto get = [&](const char* k) -> const nlohmann::json& {
            static const nlohmann::json null_json;
            auto it = doc.find(k);
            return it == doc.end() ? null_json : *it;
        };
        const std::string type = first_string(get("type"));
        const std::string name = first_string(get("name"));
        const auto& jlon = get("lon");
        const auto& jlat = get("lat");
        if (name.empty() || !jlon.is_number() || !jlat.is_number()) { ++col.skipped; continue; }
        const double lon = jlon.get<double>();
        const double lat = jlat.get<double>();
        const auto& jimp = get("importance");
        const double importance = jimp.is_number() ? std::clamp(jimp.get<double>(), 0.0, 1.0) : -1.0;
        if (type == "municipality") {
            const std::string citycode = first_string(get("citycode"));
            const std::uint32_t c = col.commune(citycode, name);
            BCommune& m = col.communes[c];
            m.city = name;
            m.lon = lon;
            m.lat = lat;
            m.importance = importance;
            m.context = first_string(get("context"));
            m.postcode = first_string(get("postcode"));
            continue;
        }
        if (type != "street" && type != "locality") { ++col.skipped; continue; }
        const std::string citycode = first_string(get("citycode"));
        const std::uint32_t c = col.commune(citycode, first_string(get("city")));
        if (col.communes[c].context.empty()) col.communes[c].context = first_string(get("context"));
        const std::string id = first_string(get("id"));
        const std::string postcode = first_string(get("postcode"));
        const std::string key = citycode + "\x1f" + name + "\x1f" + postcode + "\x1f" + id;
        const std::uint32_t s = col.street(key, name, id, postcode, c);
        BStreet& st = col.streets[s];
        st.lon = lon;
        st.lat = lat;
        st.importance = importance;
        st.type = type == "locality" ? DocType::locality : DocType::street;
        const auto& hns = get("housenumbers");
        if (!hns.is_object()) continue;
        for (const auto& [k, v] : hns.items()) {
            const auto hn = parse_housenumber(k);
            if (!hn || !v.is_object() || !v.contains("lon") || !v.contains("lat") || !v["lon"].is_number() ||
                !v["lat"].is_number()) {
                ++col.skipped;
                continue;
            }
            col.add_hn(s, v["lon"].get<double>(), v["lat"].get<double>(), *hn,
                       v.contains("id") ? first_string(v["id"]) : std::string());
        }
    }
    cb.report(task, reader.size(), reader.size());
}

// OSM addresses: communes keyed by addr:citycode / ref:INSEE when tagged, else by addr:city;
// streets by (commune, addr:street, addr:postcode).
void read_osm(const SourceConfig& src, Collector& col, const core::Callbacks& cb) {
    std::string key;
    std::uint64_t n = 0;
    const std::string task = fmt::format("geocoder: read {}", src.path.filename().string());
    col.skipped += read_osm_addresses(src.path, [&](const OsmAddress& a) {
        if ((++n & 0xFFFFU) == 0) {
            cb.report(task, n, 0);
            cb.check_cancelled();
        }
        // Without a code, the commune is keyed by name and gets an empty citycode.
        const std::string commune_key = !a.citycode.empty() ? a.citycode : "osm-city:" + a.city;
        const std::uint32_t c = col.commune(commune_key, a.city);
        if (a.citycode.empty()) col.communes[c].citycode.clear();
        key.assign("osm\x1f").append(commune_key).append("\x1f").append(a.street).append("\x1f").append(a.postcode);
        const std::uint32_t s = col.street(key, a.street, std::string(), a.postcode, c);
        col.add_hn(s, a.lon, a.lat, a.number, a.id);
    });
}

// POIs: the commune by INSEE code when known, else by city name (empty citycode), else none.
std::uint32_t poi_commune(Collector& col, const std::string& citycode, const std::string& city) {
    if (!citycode.empty()) return col.commune(citycode, city);
    const std::uint32_t c = col.commune(city.empty() ? std::string() : "osm-city:" + city, city);
    col.communes[c].citycode.clear();
    return c;
}

void read_osm_poi_source(const SourceConfig& src, Collector& col, const core::Callbacks& cb) {
    std::uint64_t n = 0;
    const std::string task = fmt::format("geocoder: read {}", src.path.filename().string());
    col.skipped += read_osm_pois(src.path, [&](const OsmPoi& p) {
        if ((++n & 0xFFFU) == 0) {
            cb.report(task, n, 0);
            cb.check_cancelled();
        }
        col.pois.push_back({p.name, p.id, p.categories, p.postcode, poi_commune(col, p.citycode, p.city), p.lon, p.lat});
    });
}

void read_gdal(const SourceConfig& src, Collector& col, const core::Callbacks& cb) {
    const bool parcels = src.format == SourceFormat::gdal_parcel;
    std::uint64_t n = 0;
    const std::string task = fmt::format("geocoder: read {}", src.path.filename().string());
    col.skipped += read_vector_features(src, [&](const VectorFeature& f) {
        if ((++n & 0xFFFU) == 0) {
            cb.report(task, n, 0);
            cb.check_cancelled();
        }
        if (parcels) {
            // 14 characters: INSEE code (5) + old commune or district (3) + section (2) + number (4).
            col.parcels.push_back({f.id, f.sheet, col.commune(f.id.substr(0, 5), ""), f.lon, f.lat, f.geometry});
        } else {
            col.pois.push_back({f.name, f.id, f.categories, f.postcode, poi_commune(col, f.citycode, ""), f.lon, f.lat, f.geometry});
        }
    });
}

std::uint16_t quantize(double importance) {
    return static_cast<std::uint16_t>(std::lround(std::clamp(importance, 0.0, 1.0) * 65535.0));
}

// Appends a section to the writer and records it in the table of contents.
template <class T>
void put(core::IndexFileWriter& w, Toc& toc, Section s, std::span<const T> data) {
    w.pad_to(8);
    toc.sections[s].offset = w.payload_size();
    toc.sections[s].size = data.size_bytes();
    w.write(std::as_bytes(data));
}

}  // namespace

BuildStats Builder::build(const std::filesystem::path& out_dir, const core::Callbacks& cb) const {
    Collector col;
    for (const auto& src : m_config.sources) {
        cb.info(fmt::format("geocoder: reading {} ({})", src.path.string(), to_string(src.format)));
        if (src.format == SourceFormat::ban_csv) read_ban_csv(src, col, cb);
        else if (src.format == SourceFormat::addok_ndjson) read_addok_ndjson(src, col, cb);
        else if (src.format == SourceFormat::osm) read_osm(src, col, cb);
        else if (src.format == SourceFormat::osm_poi) read_osm_poi_source(src, col, cb);
        else read_gdal(src, col, cb);
    }
    constexpr std::uint64_t steps = 5;
    const char* task = "geocoder: index";
    cb.report(task, 0, steps);
    cb.check_cancelled();

    // 1. House numbers grouped by street, sorted by (number, suffix); duplicates kept (BAN has
    //    a few) in input order.
    std::stable_sort(col.hns.begin(), col.hns.end(), [](const BHn& a, const BHn& b) {
        return a.street != b.street ? a.street < b.street : a.number_suffix < b.number_suffix;
    });
    std::vector<std::uint32_t> hn_begin(col.streets.size() + 1, 0);
    for (const auto& h : col.hns) ++hn_begin[h.street + 1];
    std::partial_sum(hn_begin.begin(), hn_begin.end(), hn_begin.begin());
    cb.report(task, 1, steps);

    // 2. Documents: municipalities (one per commune) then streets; importance (docs/geocoder.md):
    //    municipality = source value, else min(1, log10(1 + addresses) / 5);
    //    street       = source value, else 0.3 × municipality + 0.7 × min(1, log10(1 + numbers) / 3).
    std::vector<DocRec> docs;
    docs.reserve(col.communes.size() + col.streets.size());
    std::vector<CommuneRec> communes(col.communes.size());
    std::vector<double> commune_importance(col.communes.size());
    for (std::size_t i = 0; i < col.communes.size(); ++i) {
        BCommune& c = col.communes[i];
        communes[i].city = col.intern(c.city);
        communes[i].citycode = col.intern(c.citycode);
        std::string context = c.context;
        if (context.empty() && c.citycode.size() >= 2)
            context = c.citycode.substr(0, c.citycode.starts_with("97") || c.citycode.starts_with("98") ? 3 : 2);
        communes[i].context = col.intern(context);
        commune_importance[i] = c.importance >= 0 ? c.importance
                                                  : std::min(1.0, std::log10(1.0 + static_cast<double>(c.addresses)) / 5.0);
        if (std::isnan(c.lon)) {
            if (c.addresses == 0) continue;  // nothing locates it: no municipality document
            c.lon = c.sum_lon / static_cast<double>(c.addresses);
            c.lat = c.sum_lat / static_cast<double>(c.addresses);
        }
        if (c.postcode.empty() && !c.postcode_counts.empty()) {
            // Most frequent postcode; ties by the smaller code (deterministic).
            auto best = std::min_element(c.postcode_counts.begin(), c.postcode_counts.end(), [](const auto& a, const auto& b) {
                return a.second != b.second ? a.second > b.second : a.first < b.first;
            });
            c.postcode = best->first;
        }
        DocRec d;
        d.name = communes[i].city;
        d.id = communes[i].citycode;
        d.commune = static_cast<std::uint32_t>(i);
        d.lon = to_fixed(c.lon);
        d.lat = to_fixed(c.lat);
        d.type = static_cast<std::uint8_t>(DocType::municipality);
        d.importance = quantize(commune_importance[i]);
        std::copy_n(c.postcode.begin(), std::min<std::size_t>(c.postcode.size(), 7), d.postcode.begin());
        docs.push_back(d);
    }
    const auto municipalities = docs.size();
    const auto street_doc_base = static_cast<std::uint32_t>(docs.size());
    for (std::size_t i = 0; i < col.streets.size(); ++i) {
        const BStreet& s = col.streets[i];
        DocRec d;
        d.name = col.intern(s.name);
        d.id = col.intern(s.id);
        d.commune = s.commune;
        d.hn_begin = hn_begin[i];
        d.hn_count = hn_begin[i + 1] - hn_begin[i];
        if (std::isnan(s.lon)) {
            if (d.hn_count == 0) continue;
            const BHn& mid = col.hns[d.hn_begin + d.hn_count / 2];  // a real point on the street
            d.lon = mid.lon;
            d.lat = mid.lat;
        } else {
            d.lon = to_fixed(s.lon);
            d.lat = to_fixed(s.lat);
        }
        d.type = static_cast<std::uint8_t>(s.type);
        const double imp = s.importance >= 0
                               ? s.importance
                               : 0.3 * commune_importance[s.commune] +
                                     0.7 * std::min(1.0, std::log10(1.0 + static_cast<double>(d.hn_count)) / 3.0);
        d.importance = quantize(imp);
        std::copy_n(s.postcode.begin(), std::min<std::size_t>(s.postcode.size(), 7), d.postcode.begin());
        docs.push_back(d);
    }
    // POIs (importance 0.3 × municipality + 0.35: a named place ranks with a mid-sized street),
    // then parcels sorted by id (importance 0; no terms: they are found by id).
    const auto poi_begin = docs.size();
    std::vector<std::uint32_t> doc_extra(docs.size(), 0);
    std::vector<std::uint32_t> geom_docs, geom_offsets{0};
    std::vector<std::int32_t> geom_data;
    const auto add_geometry = [&](const std::vector<std::int32_t>& g) {
        if (g.empty()) return;
        const DocRec& d = docs.back();
        geom_docs.push_back(static_cast<std::uint32_t>(docs.size() - 1));
        // Reach: the farthest vertex from the document's point, for pruning reverse searches.
        const double lat0 = from_fixed(d.lat) * std::numbers::pi / 180.0;
        double reach = 0;
        for (std::size_t i = 0; i + 1 < g.size();) {
            const auto n = static_cast<std::size_t>(g[i + 1]);
            for (std::size_t k = 0; k < n; ++k) {
                const double dx = (static_cast<double>(g[i + 2 + 2 * k]) - d.lon) / coord_scale * std::cos(lat0) * 111320.0;
                const double dy = (static_cast<double>(g[i + 3 + 2 * k]) - d.lat) / coord_scale * 110600.0;
                reach = std::max(reach, std::hypot(dx, dy));
            }
            i += 2 + 2 * n;
        }
        geom_data.push_back(static_cast<std::int32_t>(std::min(std::ceil(reach * 10.0 * 1.01) + 1.0, 2e9)));
        geom_data.insert(geom_data.end(), g.begin(), g.end());
        if (geom_data.size() > 0xFFFFFFFFU) throw Error(errc::limit_exceeded, "geocoder: more than 4 G coordinates of POI and parcel geometries");
        geom_offsets.push_back(static_cast<std::uint32_t>(geom_data.size()));
    };
    for (const BPoi& p : col.pois) {
        DocRec d;
        d.name = col.intern(p.name);
        d.id = col.intern(p.id);
        d.commune = p.commune;
        d.lon = to_fixed(p.lon);
        d.lat = to_fixed(p.lat);
        d.type = static_cast<std::uint8_t>(DocType::poi);
        d.importance = quantize(0.3 * commune_importance[p.commune] + 0.35);
        std::copy_n(p.postcode.begin(), std::min<std::size_t>(p.postcode.size(), 7), d.postcode.begin());
        docs.push_back(d);
        doc_extra.push_back(col.intern(p.categories));
        add_geometry(p.geometry);
    }
    std::stable_sort(col.parcels.begin(), col.parcels.end(), [](const BParcel& a, const BParcel& b) { return a.id < b.id; });
    const auto parcel_begin = docs.size();
    for (std::size_t i = 0; i < col.parcels.size(); ++i) {
        const BParcel& p = col.parcels[i];
        if (i > 0 && p.id == col.parcels[i - 1].id) { ++col.skipped; continue; }  // first one wins
        DocRec d;
        d.name = d.id = col.intern(p.id);
        d.commune = p.commune;
        d.lon = to_fixed(p.lon);
        d.lat = to_fixed(p.lat);
        d.type = static_cast<std::uint8_t>(DocType::parcel);
        docs.push_back(d);
        doc_extra.push_back(col.intern(p.sheet));
        add_geometry(p.geometry);
    }
    // Street doc ids moved when streets without position were dropped: remap house numbers.
    std::vector<std::uint32_t> street_doc(col.streets.size(), 0xFFFFFFFFU);
    {  // docs keep street order: the k-th street with a position is doc street_doc_base + k
        std::uint32_t di = street_doc_base;
        for (std::size_t i = 0; i < col.streets.size(); ++i) {
            const bool has_pos = !std::isnan(col.streets[i].lon) || hn_begin[i + 1] > hn_begin[i];
            if (has_pos) street_doc[i] = di++;
        }
    }
    std::vector<HnRec> hns(col.hns.size());
    for (std::size_t i = 0; i < col.hns.size(); ++i) {
        const BHn& b = col.hns[i];
        hns[i] = HnRec{b.lon, b.lat, street_doc[b.street], b.id, b.number_suffix};
    }
    cb.report(task, 2, steps);
    cb.check_cancelled();

    // 3. Terms: name tokens, then city tokens and the postcode (deduplicated per document).
    std::unordered_map<std::string, std::uint32_t> term_ids;  // provisional ids (insertion order)
    std::vector<std::string> terms;
    std::unordered_map<std::string, std::vector<std::uint32_t>> token_cache;
    const auto token_ids = [&](const std::string& text) -> const std::vector<std::uint32_t>& {
        auto [it, inserted] = token_cache.try_emplace(text);
        if (inserted) {
            for (auto& t : tokenize(text)) {
                auto [tit, tnew] = term_ids.try_emplace(t, static_cast<std::uint32_t>(terms.size()));
                if (tnew) terms.push_back(t);
                if (std::find(it->second.begin(), it->second.end(), tit->second) == it->second.end())
                    it->second.push_back(tit->second);
            }
        }
        return it->second;
    };
    std::vector<std::uint32_t> doc_terms;
    doc_terms.reserve(docs.size() * 6);
    std::vector<std::uint32_t> doc_keys(docs.size(), 0);
    for (std::size_t di = 0; di < docs.size(); ++di) {
        DocRec& d = docs[di];
        d.terms_begin = static_cast<std::uint32_t>(doc_terms.size());
        if (static_cast<DocType>(d.type) == DocType::parcel) {
            doc_keys[di] = DocKey::pack(d, 0);
            continue;
        }
        const auto add = [&](std::uint32_t t) {
            for (std::uint32_t k = d.terms_begin; k < doc_terms.size(); ++k)
                if (doc_terms[k] == t) return;
            doc_terms.push_back(t);
        };
        for (auto t : token_ids(std::string(col.strings.data() + d.name))) add(t);
        d.name_terms = static_cast<std::uint8_t>(std::min<std::size_t>(doc_terms.size() - d.terms_begin, 255));
        unsigned numeric_name_terms = 0;
        for (std::uint32_t k = d.terms_begin; k < doc_terms.size(); ++k) {
            const std::string& term = terms[doc_terms[k]];
            numeric_name_terms += std::all_of(term.begin(), term.end(), [](char c) { return c >= '0' && c <= '9'; }) ? 1 : 0;
        }
        doc_keys[di] = DocKey::pack(d, numeric_name_terms);
        if (static_cast<DocType>(d.type) != DocType::municipality)
            for (auto t : token_ids(col.communes[d.commune].city)) add(t);
        const std::string pc(d.postcode.data(), ::strnlen(d.postcode.data(), d.postcode.size()));
        if (!pc.empty()) for (auto t : token_ids(pc)) add(t);
        if (static_cast<DocType>(d.type) == DocType::poi) {
            // The main category is searchable too ("restaurant monaco"): "fast_food" → "fast food".
            std::string category(col.strings.data() + doc_extra[di]);
            category = category.substr(0, category.find('|'));
            std::replace(category.begin(), category.end(), '_', ' ');
            if (!category.empty()) for (auto t : token_ids(category)) add(t);
        }
        d.terms_count = static_cast<std::uint16_t>(std::min<std::size_t>(doc_terms.size() - d.terms_begin, 0xFFFF));
    }
    // Sort terms bytewise so that a prefix is a contiguous id range, and remap.
    std::vector<std::uint32_t> order(terms.size());
    std::iota(order.begin(), order.end(), 0U);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return terms[a] < terms[b]; });
    std::vector<std::uint32_t> remap(terms.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) remap[order[i]] = i;
    for (auto& t : doc_terms) t = remap[t];
    std::vector<std::uint32_t> term_offsets(terms.size() + 1, 0);
    std::string term_chars;
    for (std::uint32_t i = 0; i < order.size(); ++i) {
        term_chars += terms[order[i]];
        term_offsets[i + 1] = static_cast<std::uint32_t>(term_chars.size());
    }
    // Postings: documents are visited in id order, so each list comes out ascending.
    std::vector<std::uint32_t> post_offsets(terms.size() + 1, 0);
    for (auto t : doc_terms) ++post_offsets[t + 1];
    std::partial_sum(post_offsets.begin(), post_offsets.end(), post_offsets.begin());
    std::vector<std::uint32_t> postings(doc_terms.size());
    {
        std::vector<std::uint32_t> fill(post_offsets.begin(), post_offsets.end() - 1);
        for (std::uint32_t di = 0; di < docs.size(); ++di)
            for (std::uint32_t k = 0; k < docs[di].terms_count; ++k) postings[fill[doc_terms[docs[di].terms_begin + k]]++] = di;
    }
    // Dense terms (in at least 1 document of 32, e.g. "rue"): also a bitmap over documents, no
    // larger than their postings, so that intersecting with them is one bit test per candidate.
    // A second bitmap marks the documents having it among their name terms.
    std::vector<std::uint32_t> dense_terms;
    std::vector<std::uint64_t> dense_bits;
    const std::size_t bitmap_words = (docs.size() + 63) / 64;
    std::vector<std::int32_t> dense_index(terms.size(), -1);
    for (std::uint32_t t = 0; t < terms.size(); ++t) {
        if (post_offsets[t + 1] - post_offsets[t] < std::max<std::size_t>(dense_min_postings, docs.size() / 32)) continue;
        dense_index[t] = static_cast<std::int32_t>(dense_terms.size());
        dense_terms.push_back(t);
        const std::size_t base = dense_bits.size();
        dense_bits.resize(base + 2 * bitmap_words, 0);
        for (std::uint32_t j = post_offsets[t]; j < post_offsets[t + 1]; ++j)
            dense_bits[base + postings[j] / 64] |= std::uint64_t{1} << (postings[j] % 64);
    }
    for (std::uint32_t di = 0; di < docs.size(); ++di)
        for (std::uint32_t k = 0; k < docs[di].name_terms && k < docs[di].terms_count; ++k)
            if (const std::int32_t x = dense_index[doc_terms[docs[di].terms_begin + k]]; x >= 0)
                dense_bits[(2 * static_cast<std::size_t>(x) + 1) * bitmap_words + di / 64] |= std::uint64_t{1} << (di % 64);
    cb.report(task, 3, steps);
    cb.check_cancelled();

    // 4. Trigrams of "^term$" → term ids, for typo candidates.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> tri;  // (key, term)
    for (std::uint32_t t = 0; t < terms.size(); ++t) {
        const std::string padded = "^" + terms[order[t]] + "$";
        for (std::size_t i = 0; i + 3 <= padded.size(); ++i)
            tri.emplace_back(trigram_key(static_cast<unsigned char>(padded[i]), static_cast<unsigned char>(padded[i + 1]),
                                         static_cast<unsigned char>(padded[i + 2])), t);
    }
    std::sort(tri.begin(), tri.end());
    tri.erase(std::unique(tri.begin(), tri.end()), tri.end());
    std::vector<std::uint32_t> tri_keys, tri_offsets{0}, tri_terms;
    tri_terms.reserve(tri.size());
    for (std::size_t i = 0; i < tri.size(); ++i) {
        if (i == 0 || tri[i].first != tri[i - 1].first) {
            if (i != 0) tri_offsets.push_back(static_cast<std::uint32_t>(tri_terms.size()));
            tri_keys.push_back(tri[i].first);
        }
        tri_terms.push_back(tri[i].second);
    }
    if (!tri.empty()) tri_offsets.push_back(static_cast<std::uint32_t>(tri_terms.size()));
    cb.report(task, 4, steps);
    cb.check_cancelled();

    // 5. Reverse grid over house numbers (cells ≈ cell_deg of latitude, square at the mean latitude).
    MetaRec meta;
    meta.cell_deg = m_config.grid_cell_deg;
    BBox extent;
    double sum_lat = 0;
    for (const auto& d : docs) extent.extend(from_fixed(d.lon), from_fixed(d.lat));
    for (const auto& h : hns) {
        extent.extend(from_fixed(h.lon), from_fixed(h.lat));
        sum_lat += from_fixed(h.lat);
    }
    const double mean_lat = hns.empty() ? 0.0 : sum_lat / static_cast<double>(hns.size());
    meta.lon_scale = std::max(0.05, std::cos(mean_lat * std::numbers::pi / 180.0));
    std::vector<std::pair<std::uint64_t, std::uint32_t>> cells(hns.size());
    for (std::uint32_t i = 0; i < hns.size(); ++i)
        cells[i] = {grid_key(grid_x(from_fixed(hns[i].lon), meta), grid_y(from_fixed(hns[i].lat), meta)), i};
    std::sort(cells.begin(), cells.end());
    std::vector<std::uint64_t> grid_keys;
    std::vector<std::uint32_t> grid_offsets{0}, grid_items(cells.size());
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i == 0 || cells[i].first != cells[i - 1].first) {
            if (i != 0) grid_offsets.push_back(static_cast<std::uint32_t>(i));
            grid_keys.push_back(cells[i].first);
        }
        grid_items[i] = cells[i].second;
    }
    if (!cells.empty()) grid_offsets.push_back(static_cast<std::uint32_t>(cells.size()));
    if (!extent.empty()) {
        meta.min_lon = extent.min_x; meta.min_lat = extent.min_y;
        meta.max_lon = extent.max_x; meta.max_lat = extent.max_y;
    }
    meta.municipalities = municipalities;
    meta.streets = poi_begin - municipalities;
    meta.pois = parcel_begin - poi_begin;
    meta.parcels = docs.size() - parcel_begin;
    meta.poi_begin = poi_begin;
    meta.parcel_begin = parcel_begin;
    if (col.strings.size() >= 0xFFFFFFF0ULL)
        throw Error(errc::limit_exceeded, "geocoder: more than 4 GiB of strings; split the sources into several bundles");

    std::filesystem::create_directories(out_dir);
    const auto path = out_dir / index_file_name;
    core::IndexFileWriter w(path, index_magic, index_format_version);
    Toc toc;
    w.write_value(toc);  // placeholder, rewritten below
    put(w, toc, s_strings, std::span<const char>(col.strings));
    put(w, toc, s_communes, std::span<const CommuneRec>(communes));
    put(w, toc, s_docs, std::span<const DocRec>(docs));
    put(w, toc, s_hns, std::span<const HnRec>(hns));
    put(w, toc, s_term_offsets, std::span<const std::uint32_t>(term_offsets));
    put(w, toc, s_term_chars, std::span<const char>(term_chars));
    put(w, toc, s_post_offsets, std::span<const std::uint32_t>(post_offsets));
    put(w, toc, s_postings, std::span<const std::uint32_t>(postings));
    put(w, toc, s_doc_terms, std::span<const std::uint32_t>(doc_terms));
    put(w, toc, s_tri_keys, std::span<const std::uint32_t>(tri_keys));
    put(w, toc, s_tri_offsets, std::span<const std::uint32_t>(tri_offsets));
    put(w, toc, s_tri_terms, std::span<const std::uint32_t>(tri_terms));
    put(w, toc, s_grid_keys, std::span<const std::uint64_t>(grid_keys));
    put(w, toc, s_grid_offsets, std::span<const std::uint32_t>(grid_offsets));
    put(w, toc, s_grid_items, std::span<const std::uint32_t>(grid_items));
    put(w, toc, s_meta, std::span<const MetaRec>(&meta, 1));
    put(w, toc, s_doc_extra, std::span<const std::uint32_t>(doc_extra));
    put(w, toc, s_doc_keys, std::span<const std::uint32_t>(doc_keys));
    put(w, toc, s_dense_terms, std::span<const std::uint32_t>(dense_terms));
    put(w, toc, s_dense_bits, std::span<const std::uint64_t>(dense_bits));
    put(w, toc, s_geom_docs, std::span<const std::uint32_t>(geom_docs));
    put(w, toc, s_geom_offsets, std::span<const std::uint32_t>(geom_offsets));
    put(w, toc, s_geom_data, std::span<const std::int32_t>(geom_data));
    // The TOC goes last too (the writer only appends); the reader takes the trailing copy.
    w.pad_to(8);
    w.write_value(toc);
    w.finish();
    cb.report(task, steps, steps);

    BuildStats stats;
    stats.municipalities = municipalities;
    stats.streets = meta.streets;
    stats.pois = meta.pois;
    stats.parcels = meta.parcels;
    stats.housenumbers = hns.size();
    stats.terms = terms.size();
    stats.index_bytes = std::filesystem::file_size(path);
    stats.skipped_rows = col.skipped;
    cb.info(fmt::format("geocoder: {} municipalities, {} streets, {} house numbers, {} POIs, {} parcels, {} terms, {} bytes",
                        stats.municipalities, stats.streets, stats.housenumbers, stats.pois, stats.parcels, stats.terms,
                        stats.index_bytes));
    return stats;
}

}  // namespace geoplex::geocoder
