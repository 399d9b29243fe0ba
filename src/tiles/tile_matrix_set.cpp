#include "geoplex/tiles/tile_matrix_set.hpp"

#include <array>
#include <cmath>
#include <numbers>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"

namespace geoplex::tiles {

namespace {

constexpr double earth_radius = 6378137.0;  // WGS84 semi-major axis, as in EPSG:3857
constexpr double web_mercator_half = std::numbers::pi * earth_radius;
// Metres per degree on the equator: OGC's conversion for geographic scale denominators.
constexpr double metres_per_degree = 2.0 * std::numbers::pi * earth_radius / 360.0;

// LAMB93 as the Géoplateforme's ROK4 server defines it: rok4/tilematrixsets, LAMB93.json at
// commit 8f63544cd2298a17cc3121d085f614d84ab36797. Origin (0, 12 000 000), 256 px tiles; the
// resolutions are not powers of two of each other and the matrices are not square.
struct Lamb93Level {
    double cell_size;
    double scale_denominator;
    std::uint64_t width;
    std::uint64_t height;
};
constexpr std::array<Lamb93Level, 22> lamb93_levels{{
    {104579.224549894, 373497230.535336, 2, 2},
    {52277.5323537905, 186705472.692109, 2, 2},
    {26135.4870785954, 93341025.2806979, 2, 2},
    {13066.8913818, 46667469.2207143, 2, 3},
    {6533.2286041135, 23332959.3004054, 2, 5},
    {3266.5595244627, 11666284.0159382, 3, 9},
    {1633.2660045974, 5833092.87356214, 5, 16},
    {816.629554986, 2916534.12495, 8, 30},
    {408.3139146768, 1458263.98098857, 14, 59},
    {204.1567415109, 729131.219681786, 26, 117},
    {102.0783167832, 364565.417082857, 51, 232},
    {51.0391448966, 182282.660345, 100, 462},
    {25.5195690743, 91141.3181225, 199, 922},
    {12.7597836936, 45570.6560485714, 396, 1842},
    {6.379891636, 22785.3272714286, 791, 3682},
    {3.1899457653, 11392.6634475, 1581, 7363},
    {1.5949728695, 5696.33167678571, 3161, 14724},
    {0.7974864315, 2848.16582678571, 6321, 29447},
    {0.3987432149, 1424.08291035714, 12641, 58892},
    {0.1993716073, 712.041454642857, 25281, 117782},
    {0.0996858037, 356.0207275, 50561, 235563},
    {0.0498429018, 178.010363571429, 101121, 471125},
}};

TileMatrixSet make_pm() {
    TileMatrixSet s;
    s.id = "PM";
    s.title = "Google Maps Compatible for the World (WebMercatorQuad)";
    s.crs = "EPSG:3857";
    s.well_known_scale_set = "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible";
    for (std::uint32_t z = 0; z <= 21; ++z) {
        TileMatrix m;
        m.id = std::to_string(z);
        m.cell_size = 2.0 * web_mercator_half / 256.0 / std::ldexp(1.0, static_cast<int>(z));
        m.scale_denominator = m.cell_size / standard_pixel_size_m;
        m.origin_x = -web_mercator_half;
        m.origin_y = web_mercator_half;
        m.matrix_width = m.matrix_height = std::uint64_t{1} << z;
        s.matrices.push_back(m);
    }
    return s;
}

TileMatrixSet make_lamb93() {
    TileMatrixSet s;
    s.id = "LAMB93";
    s.title = "Lambert-93 (IGN ROK4 LAMB93)";
    s.crs = "EPSG:2154";
    for (std::size_t z = 0; z < lamb93_levels.size(); ++z) {
        const auto& l = lamb93_levels[z];
        TileMatrix m;
        m.id = std::to_string(z);
        m.cell_size = l.cell_size;
        m.scale_denominator = l.scale_denominator;
        m.origin_x = 0.0;
        m.origin_y = 12000000.0;
        m.matrix_width = l.width;
        m.matrix_height = l.height;
        s.matrices.push_back(m);
    }
    return s;
}

TileMatrixSet make_wgs84g() {
    TileMatrixSet s;
    s.id = "WGS84G";
    s.title = "CRS84 for the World (WorldCRS84Quad)";
    s.crs = "EPSG:4326";
    s.well_known_scale_set = "http://www.opengis.net/def/wkss/OGC/1.0/GoogleCRS84Quad";
    for (std::uint32_t z = 0; z <= 19; ++z) {
        TileMatrix m;
        m.id = std::to_string(z);
        m.cell_size = 0.703125 / std::ldexp(1.0, static_cast<int>(z));
        m.scale_denominator = m.cell_size * metres_per_degree / standard_pixel_size_m;
        m.origin_x = -180.0;
        m.origin_y = 90.0;
        m.matrix_width = std::uint64_t{2} << z;
        m.matrix_height = std::uint64_t{1} << z;
        s.matrices.push_back(m);
    }
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

// "http://www.opengis.net/def/crs/EPSG/0/3857" → "EPSG:3857"; CRS84 → EPSG:4326 (our axes are
// always east/north, so the two are the same for us).
std::string crs_from_uri(std::string uri) {
    const auto pos = uri.find("/def/crs/");
    if (pos != std::string::npos) {
        std::string rest = uri.substr(pos + 9);  // EPSG/0/3857 or OGC/1.3/CRS84
        const auto a = rest.find('/');
        const auto b = rest.rfind('/');
        if (a != std::string::npos && b != std::string::npos) {
            const std::string auth = rest.substr(0, a);
            const std::string code = rest.substr(b + 1);
            if (auth == "OGC" && (code == "CRS84" || code == "CRS84h")) return "EPSG:4326";
            return auth + ":" + code;
        }
    }
    if (uri.starts_with("urn:ogc:def:crs:")) {
        // urn:ogc:def:crs:EPSG::3857
        std::string rest = uri.substr(16);
        const auto a = rest.find(':');
        const auto b = rest.rfind(':');
        if (a != std::string::npos) return rest.substr(0, a) + ":" + rest.substr(b + 1);
    }
    if (uri == "CRS84" || uri == "OGC:CRS84") return "EPSG:4326";
    return uri;
}

bool is_geographic_code(const std::string& crs) {
    return crs == "EPSG:4326" || crs == "IGNF:WGS84G" || crs == "EPSG:4171" || crs == "EPSG:4258";
}

}  // namespace

BBox TileMatrix::tile_bounds(std::uint64_t col, std::uint64_t row) const {
    const double w = tile_span_x();
    const double h = tile_span_y();
    const double x0 = origin_x + static_cast<double>(col) * w;
    const double y1 = origin_y - static_cast<double>(row) * h;
    return BBox::of(x0, y1 - h, x0 + w, y1);
}

TileMatrixSet TileMatrixSet::well_known(std::string_view name) {
    if (iequals(name, "PM") || iequals(name, "WebMercatorQuad") || iequals(name, "GoogleMapsCompatible") ||
        iequals(name, "EPSG:3857"))
        return make_pm();
    if (iequals(name, "LAMB93")) return make_lamb93();
    if (iequals(name, "WGS84G") || iequals(name, "WorldCRS84Quad")) return make_wgs84g();
    throw Error(errc::not_found, fmt::format("unknown tile matrix set '{}' (known: PM/WebMercatorQuad, LAMB93, "
                                             "WGS84G/WorldCRS84Quad, or a path to an OGC TileMatrixSet JSON file)",
                                             name));
}

std::vector<std::string> TileMatrixSet::well_known_names() { return {"PM", "LAMB93", "WGS84G"}; }

bool TileMatrixSet::is_web_mercator_quad() const noexcept {
    if (crs != "EPSG:3857" || matrices.empty()) return false;
    for (std::size_t z = 0; z < matrices.size(); ++z) {
        const auto& m = matrices[z];
        const double expected = 2.0 * web_mercator_half / 256.0 / std::ldexp(1.0, static_cast<int>(z));
        if (m.tile_width != 256 || m.tile_height != 256 || std::abs(m.cell_size - expected) > expected * 1e-9 ||
            m.matrix_width != (std::uint64_t{1} << z) || std::abs(m.origin_x + web_mercator_half) > 1e-3 ||
            std::abs(m.origin_y - web_mercator_half) > 1e-3)
            return false;
    }
    return true;
}

TileMatrixSet TileMatrixSet::from_json(std::string_view text) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw FormatError("tile matrix set: not a JSON object");
    TileMatrixSet s;
    try {
        s.id = j.value("id", j.value("identifier", std::string()));
        if (s.id.empty()) throw FormatError("tile matrix set: missing 'id'");
        s.title = j.value("title", s.id);
        const auto& crs = j.at("crs");
        if (crs.is_string()) s.crs = crs_from_uri(crs.get<std::string>());
        else if (crs.is_object() && crs.contains("uri")) s.crs = crs_from_uri(crs.at("uri").get<std::string>());
        else throw FormatError("tile matrix set: 'crs' must be a string or {\"uri\": …}");
        s.well_known_scale_set = j.value("wellKnownScaleSet", std::string());
        // Axis order of pointOfOrigin follows orderedAxes: first axis northing → swap.
        bool swap = false;
        if (j.contains("orderedAxes") && j["orderedAxes"].is_array() && !j["orderedAxes"].empty()) {
            std::string first = j["orderedAxes"][0].get<std::string>();
            for (auto& c : first) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            swap = first == "LAT" || first == "Y" || first == "N" || first == "NORTHING";
        }
        const bool geographic = is_geographic_code(s.crs);
        const auto& tms = j.at("tileMatrices");
        if (!tms.is_array() || tms.empty()) throw FormatError("tile matrix set: 'tileMatrices' must be a non-empty array");
        for (const auto& t : tms) {
            TileMatrix m;
            m.id = t.at("id").get<std::string>();
            m.scale_denominator = t.at("scaleDenominator").get<double>();
            m.cell_size = t.contains("cellSize")
                              ? t["cellSize"].get<double>()
                              : m.scale_denominator * standard_pixel_size_m / (geographic ? metres_per_degree : 1.0);
            const auto& origin = t.at("pointOfOrigin");
            m.origin_x = origin.at(swap ? 1 : 0).get<double>();
            m.origin_y = origin.at(swap ? 0 : 1).get<double>();
            if (t.value("cornerOfOrigin", std::string("topLeft")) != "topLeft")
                throw FormatError(fmt::format("tile matrix set '{}': only cornerOfOrigin topLeft is supported", s.id));
            m.tile_width = t.at("tileWidth").get<std::uint32_t>();
            m.tile_height = t.at("tileHeight").get<std::uint32_t>();
            m.matrix_width = t.at("matrixWidth").get<std::uint64_t>();
            m.matrix_height = t.at("matrixHeight").get<std::uint64_t>();
            if (!(m.cell_size > 0) || m.tile_width == 0 || m.tile_height == 0 || m.matrix_width == 0 ||
                m.matrix_height == 0)
                throw FormatError(fmt::format("tile matrix set '{}', matrix '{}': sizes must be positive", s.id, m.id));
            s.matrices.push_back(std::move(m));
        }
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(fmt::format("tile matrix set '{}': {}", s.id, e.what()));
    }
    return s;
}

std::string TileMatrixSet::to_json() const {
    nlohmann::ordered_json j;
    j["id"] = id;
    j["title"] = title;
    const auto colon = crs.find(':');
    if (crs == "EPSG:4326") j["crs"] = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
    else if (colon != std::string::npos)
        j["crs"] = fmt::format("http://www.opengis.net/def/crs/{}/0/{}", crs.substr(0, colon), crs.substr(colon + 1));
    else j["crs"] = crs;
    if (!well_known_scale_set.empty()) j["wellKnownScaleSet"] = well_known_scale_set;
    j["orderedAxes"] = crs == "EPSG:4326" ? nlohmann::json::array({"Lon", "Lat"}) : nlohmann::json::array({"E", "N"});
    auto arr = nlohmann::ordered_json::array();
    for (const auto& m : matrices) {
        nlohmann::ordered_json t;
        t["id"] = m.id;
        t["scaleDenominator"] = m.scale_denominator;
        t["cellSize"] = m.cell_size;
        t["cornerOfOrigin"] = "topLeft";
        t["pointOfOrigin"] = {m.origin_x, m.origin_y};
        t["tileWidth"] = m.tile_width;
        t["tileHeight"] = m.tile_height;
        t["matrixWidth"] = m.matrix_width;
        t["matrixHeight"] = m.matrix_height;
        arr.push_back(std::move(t));
    }
    j["tileMatrices"] = std::move(arr);
    return j.dump(2);
}

}  // namespace geoplex::tiles
