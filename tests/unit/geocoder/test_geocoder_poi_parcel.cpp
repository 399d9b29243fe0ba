// POIs and cadastral parcels. Parcels and GDAL POIs come from GeoJSON layers this test writes
// (squares whose centre is known, points), so every expected answer is computed from the written
// features themselves (brute force); OSM POIs of Monaco are checked against GDAL's OSM driver.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "geoplex/core/error.hpp"
#include "geoplex/geocoder/geocoder.hpp"
#include "support/test_data.hpp"

using namespace geoplex;
using namespace geoplex::geocoder;

namespace {

struct Parcel {
    std::string id, sheet;
    double lon = 0, lat = 0;  // square centre
};

// Haversine in metres: an independent distance for the brute-force nearest.
double haversine(double lon1, double lat1, double lon2, double lat2) {
    constexpr double r = 6371008.8, d = M_PI / 180.0;
    const double a = std::pow(std::sin((lat2 - lat1) * d / 2), 2) +
                     std::cos(lat1 * d) * std::cos(lat2 * d) * std::pow(std::sin((lon2 - lon1) * d / 2), 2);
    return 2 * r * std::asin(std::sqrt(a));
}

// Parcels of four communes (one in Paris with district codes, one overseas, one in Corsica), as
// 40 m squares on a grid; written as GeoJSON polygons with "id" and "feuille".
std::vector<Parcel> write_parcels(const std::filesystem::path& path) {
    std::vector<Parcel> parcels;
    const struct { const char* insee; const char* prefix; double lon, lat; } communes[] = {
        {"93010", "000", 2.48, 48.90}, {"75056", "104", 2.35, 48.86}, {"75056", "105", 2.36, 48.85},
        {"97411", "000", 55.45, -20.88}, {"2A004", "000", 8.74, 41.92}};
    const char* const sections[] = {"0A", "AB", "0C", "ZE"};
    std::ofstream out(path);
    out << R"({"type":"FeatureCollection","features":[)";
    bool first = true;
    for (const auto& c : communes)
        for (int s = 0; s < 4; ++s)
            for (int n = 1; n <= 12; ++n) {
                Parcel p;
                p.id = fmt::format("{}{}{}{:04d}", c.insee, c.prefix, sections[s], n * 7);
                p.sheet = std::to_string(1 + (n % 3));
                p.lon = c.lon + n * 0.0006;
                p.lat = c.lat + s * 0.0006;
                const double h = 0.0002;
                out << (first ? "" : ",")
                    << fmt::format(R"({{"type":"Feature","properties":{{"id":"{}","feuille":"{}"}},"geometry":{{"type":"Polygon",)"
                                   R"("coordinates":[[[{:.7f},{:.7f}],[{:.7f},{:.7f}],[{:.7f},{:.7f}],[{:.7f},{:.7f}],[{:.7f},{:.7f}]]]}}}})",
                                   p.id, p.sheet, p.lon - h, p.lat - h, p.lon + h, p.lat - h, p.lon + h, p.lat + h, p.lon - h,
                                   p.lat + h, p.lon - h, p.lat - h);
                first = false;
                parcels.push_back(p);
            }
    out << "]}";
    return parcels;
}

struct Poi {
    std::string id, name, categories, citycode;
    double lon = 0, lat = 0;
};

std::vector<Poi> write_pois(const std::filesystem::path& path) {
    const char* const kinds[][2] = {{"Boulangerie", "boulangerie"}, {"Pharmacie", "pharmacie;sante"},
                                    {"Café", "restaurant;bar"}, {"Musée", "musee;culture"}};
    const char* const places[] = {"du Centre", "de la Gare", "des Lilas", "Saint-Éloi", "du Marché", "de l'Église"};
    std::vector<Poi> pois;
    std::ofstream out(path);
    out << R"({"type":"FeatureCollection","features":[)";
    for (int k = 0; k < 4; ++k)
        for (int p = 0; p < 6; ++p) {
            Poi poi;
            poi.id = fmt::format("poi-{}-{}", k, p);
            poi.name = fmt::format("{} {}", kinds[k][0], places[p]);
            poi.categories = kinds[k][1];
            poi.citycode = p % 2 == 0 ? "93010" : "93048";
            poi.lon = 2.47 + k * 0.001 + p * 0.0003;
            poi.lat = 48.90 + p * 0.0004;
            out << (pois.empty() ? "" : ",")
                << fmt::format(R"({{"type":"Feature","properties":{{"ident":"{}","nom":"{}","nature":"{}","insee":"{}"}},)"
                               R"("geometry":{{"type":"Point","coordinates":[{:.7f},{:.7f}]}}}})",
                               poi.id, poi.name, poi.categories, poi.citycode, poi.lon, poi.lat);
            pois.push_back(poi);
        }
    out << "]}";
    return pois;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const auto end = s.find(sep, start);
        out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) return out;
        start = end + 1;
    }
}

struct Built {
    test::TempDir dir{"geoplex-geocoder-poi"};
    std::vector<Parcel> parcels;
    std::vector<Poi> pois;
    BuildStats stats;
    std::optional<Geocoder> geocoder;
    Built() {
        parcels = write_parcels(dir / "parcelles.geojson");
        pois = write_pois(dir / "poi.geojson");
        BuildConfig cfg;
        SourceConfig parcel_src{SourceFormat::gdal_parcel, dir / "parcelles.geojson"};
        SourceConfig poi_src{SourceFormat::gdal_poi, dir / "poi.geojson"};
        poi_src.name_field = "nom";
        poi_src.category_field = "nature";
        poi_src.id_field = "ident";
        poi_src.citycode_field = "insee";
        cfg.sources = {parcel_src, poi_src};
        stats = Builder(cfg).build(dir / "geocoder");
        geocoder = Geocoder::open(dir / "geocoder");
    }
};

Built& built() {
    static Built b;
    return b;
}

}  // namespace

TEST_CASE("parcels: search by id, as written in the layer", "[geocoder][parcel]") {
    auto& b = built();
    REQUIRE(b.stats.parcels == b.parcels.size());
    CHECK(b.geocoder->info().parcels == b.parcels.size());
    Query q(*b.geocoder);
    for (const auto& p : b.parcels) {
        SearchRequest r;
        r.q = p.id;
        r.indexes = {IndexKind::parcel};
        const auto res = q.search(r);
        REQUIRE(!res.empty());
        CHECK(res[0].id == p.id);
        CHECK(res[0].type == DocType::parcel);
        CHECK(res[0].score == 1.0);
        // A point on the square's surface (GEOS): its centre for a square.
        CHECK(std::abs(res[0].position.lon - p.lon) < 1e-6);
        CHECK(std::abs(res[0].position.lat - p.lat) < 1e-6);
        CHECK(res[0].sheet == p.sheet);
        CHECK(res[0].section == p.id.substr(8, 2));
        CHECK(res[0].number == p.id.substr(10, 4));
        CHECK(res[0].departmentcode + res[0].municipalitycode == p.id.substr(0, 5));
        if (p.id.starts_with("75056")) {
            CHECK(res[0].districtcode == p.id.substr(5, 3));
            CHECK(res[0].oldmunicipalitycode == "000");
        } else {
            CHECK(res[0].oldmunicipalitycode == p.id.substr(5, 3));
            CHECK(res[0].districtcode.empty());
        }
    }
    // Lower case and spaces are accepted; the address index alone never returns parcels.
    SearchRequest r;
    r.q = "93010 000 ab 0014";
    r.indexes = {IndexKind::parcel};
    const auto res = q.search(r);
    REQUIRE(res.size() == 1);
    CHECK(res[0].id == "93010000AB0014");
    r.indexes.clear();
    for (const auto& x : q.search(r)) CHECK(x.type != DocType::parcel);
}

TEST_CASE("parcels: structured search equals a brute-force filter of the features", "[geocoder][parcel]") {
    auto& b = built();
    Query q(*b.geocoder);
    struct Case { ParcelQuery pq; std::function<bool(const Parcel&)> want; };
    const std::vector<Case> cases = {
        {{.departmentcode = "93", .municipalitycode = "10", .section = "AB"},
         [](const Parcel& p) { return p.id.starts_with("93010") && p.id.substr(8, 2) == "AB"; }},
        {{.departmentcode = "93", .municipalitycode = "010", .section = "A", .number = "14"},
         [](const Parcel& p) { return p.id == "93010000" "0A0014"; }},
        {{.departmentcode = "75", .municipalitycode = "056", .districtcode = "105", .section = "ZE"},
         [](const Parcel& p) { return p.id.starts_with("75056105ZE"); }},
        {{.departmentcode = "974", .municipalitycode = "11", .number = "0007"},
         [](const Parcel& p) { return p.id.starts_with("97411") && p.id.ends_with("0007"); }},
        {{.departmentcode = "2A", .municipalitycode = "04", .section = "0C", .sheet = "2"},
         [](const Parcel& p) { return p.id.starts_with("2A004") && p.id.substr(8, 2) == "0C" && p.sheet == "2"; }},
        {{.section = "ZE", .number = "84"}, [](const Parcel& p) { return p.id.ends_with("ZE0084"); }},
    };
    for (const auto& c : cases) {
        SearchRequest r;
        r.indexes = {IndexKind::parcel};
        r.parcel = c.pq;
        r.limit = 100;
        std::set<std::string> got, want;
        for (const auto& x : q.search(r)) got.insert(x.id);
        for (const auto& p : b.parcels)
            if (c.want(p)) want.insert(p.id);
        INFO(c.pq.departmentcode << c.pq.municipalitycode << " " << c.pq.section << " " << c.pq.number);
        CHECK(!want.empty());
        CHECK(got == want);
    }
    SearchRequest bad;
    bad.indexes = {IndexKind::parcel};
    bad.parcel.section = "ABC";
    bad.parcel.number = "12345";
    try {
        (void)q.search(bad);
        FAIL("expected InvalidArgument");
    } catch (const InvalidArgument& e) {
        CHECK(e.problems().size() >= 2);  // section, number (and no q nor other field)
    }
}

TEST_CASE("parcels: reverse = brute-force nearest parcel point", "[geocoder][parcel]") {
    auto& b = built();
    Query q(*b.geocoder);
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u(-0.001, 0.009);
    int checked = 0;
    for (const auto& centre : {std::pair{2.48, 48.90}, {2.35, 48.86}, {55.45, -20.88}}) {
        for (int i = 0; i < 60; ++i) {
            const double lon = centre.first + u(rng), lat = centre.second + u(rng) * 0.4;
            ReverseRequest r;
            r.point = {lon, lat};
            r.indexes = {IndexKind::parcel};
            const auto res = q.reverse(r);
            REQUIRE(res.size() == 1);
            const Parcel* best = nullptr;
            double best_d = 1e18;
            for (const auto& p : b.parcels)
                if (const double d = haversine(lon, lat, p.lon, p.lat); d < best_d) { best_d = d; best = &p; }
            // Ellipsoidal geodesic (ours) vs haversine (here): compare the answer's own haversine
            // distance with the brute-force minimum.
            const auto it = std::find_if(b.parcels.begin(), b.parcels.end(), [&](const Parcel& p) { return p.id == res[0].id; });
            REQUIRE(it != b.parcels.end());
            CHECK(haversine(lon, lat, it->lon, it->lat) <= best_d * 1.0001 + 0.01);
            CHECK(std::abs(res[0].distance - best_d) <= 0.01 * best_d + 0.05);
            if (res[0].id != best->id) CHECK(haversine(lon, lat, it->lon, it->lat) - best_d < 0.05);
            ++checked;
        }
    }
    CHECK(checked == 180);
}

TEST_CASE("POIs from a GDAL layer: name search, categories, filter, reverse", "[geocoder][poi]") {
    auto& b = built();
    REQUIRE(b.stats.pois == b.pois.size());
    Query q(*b.geocoder);
    for (const auto& p : b.pois) {
        SearchRequest r;
        r.q = p.name;
        r.indexes = {IndexKind::poi};
        const auto res = q.search(r);
        REQUIRE(!res.empty());
        CHECK(res[0].id == p.id);
        CHECK(res[0].name == p.name);
        CHECK(res[0].type == DocType::poi);
        CHECK(res[0].citycode == p.citycode);
        CHECK(res[0].categories == split(p.categories, ';'));
        CHECK(std::abs(res[0].position.lon - p.lon) < 1e-6);
        // Reverse at its point: itself, at 0 m.
        ReverseRequest rv;
        rv.point = {p.lon, p.lat};
        rv.indexes = {IndexKind::poi};
        const auto near = q.reverse(rv);
        REQUIRE(near.size() == 1);
        CHECK(near[0].id == p.id);
        CHECK(near[0].distance < 0.01);
    }
    // Category filter (any of the POI's categories, case-insensitive) against the written rows.
    for (const std::string cat : {"sante", "BAR", "musee"}) {
        SearchRequest r;
        r.q = "du centre";
        r.indexes = {IndexKind::poi};
        r.filters.categories = {cat};
        r.limit = 20;
        std::set<std::string> got, want;
        for (const auto& x : q.search(r)) got.insert(x.id);
        for (const auto& p : b.pois) {
            std::string lower = cat;
            for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            const auto cats = split(p.categories, ';');
            if (std::find(cats.begin(), cats.end(), lower) != cats.end() && p.name.ends_with("du Centre")) want.insert(p.id);
        }
        INFO(cat);
        CHECK(!want.empty());
        // The POIs of that category named "… du Centre" answer, and only POIs of that category.
        for (const auto& id : want) CHECK(got.count(id) == 1);
        for (const auto& id : got) {
            const auto it = std::find_if(b.pois.begin(), b.pois.end(), [&](const Poi& p) { return p.id == id; });
            REQUIRE(it != b.pois.end());
            std::string lower = cat;
            for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            const auto cats = split(it->categories, ';');
            CHECK(std::find(cats.begin(), cats.end(), lower) != cats.end());
        }
    }
    // The address index alone (the default) does not return POIs.
    SearchRequest r;
    r.q = "Pharmacie du Centre";
    for (const auto& x : q.search(r)) CHECK(x.type != DocType::poi);
}

TEST_CASE("spec-level validation of POI and parcel sources", "[geocoder][spec]") {
    test::TempDir dir{"geoplex-geocoder-poi-bad"};
    write_parcels(dir / "p.geojson");
    BuildConfig cfg;
    SourceConfig s{SourceFormat::gdal_parcel, dir / "p.geojson"};
    s.id_field = "numero";  // not in the layer
    cfg.sources = {s};
    try {
        (void)Builder(cfg).build(dir / "out");
        FAIL("expected FormatError");
    } catch (const FormatError& e) {
        CHECK_THAT(e.what(), Catch::Contains("no field 'numero'") && Catch::Contains("id, feuille"));
    }
    SourceConfig csv{SourceFormat::ban_csv, dir / "p.geojson"};
    csv.name_field = "nom";
    CHECK_THAT(csv.validate().at(0), Catch::Contains("name_field: only for the gdal-poi and gdal-parcel formats"));
}

TEST_CASE("POIs from OSM: named nodes of Monaco, checked with GDAL's OSM driver", "[geocoder][poi][osm]") {
    test::TempDir dir{"geoplex-geocoder-osm-poi"};
    const auto pbf = test::data_file("osm/monaco.osm.pbf");
    BuildConfig cfg;
    cfg.sources.push_back({SourceFormat::osm_poi, pbf});
    const auto stats = Builder(cfg).build(dir / "geocoder");
    const auto g = Geocoder::open(dir / "geocoder");
    // Reference: GDAL's "points" layer (named nodes with amenity/shop/tourism in other_tags).
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(pbf.string().c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
    REQUIRE(ds != nullptr);
    OGRLayerH layer = GDALDatasetGetLayerByName(ds, "points");
    REQUIRE(layer != nullptr);
    struct Ref { std::string id, name, category; double lon, lat; };
    std::vector<Ref> refs;
    OGRFeatureH f = nullptr;
    while ((f = OGR_L_GetNextFeature(layer)) != nullptr) {
        const int i_name = OGR_F_GetFieldIndex(f, "name"), i_tags = OGR_F_GetFieldIndex(f, "other_tags"),
                  i_id = OGR_F_GetFieldIndex(f, "osm_id");
        const std::string name = i_name >= 0 && OGR_F_IsFieldSetAndNotNull(f, i_name) ? OGR_F_GetFieldAsString(f, i_name) : "";
        const std::string tags = i_tags >= 0 && OGR_F_IsFieldSetAndNotNull(f, i_tags) ? OGR_F_GetFieldAsString(f, i_tags) : "";
        std::string category;
        for (const char* key : {"amenity", "shop", "tourism"}) {
            const std::string k = fmt::format("\"{}\"=>\"", key);
            if (const auto pos = tags.find(k); pos != std::string::npos && category.empty()) {
                const auto end = tags.find('"', pos + k.size());
                category = tags.substr(pos + k.size(), end - pos - k.size());
            }
        }
        // Only nodes whose first POI key is one of these three (our priority order starts so).
        if (!name.empty() && !category.empty() && category != "yes" && category != "no") {
            OGRGeometryH geom = OGR_F_GetGeometryRef(f);
            refs.push_back({fmt::format("node/{}", OGR_F_GetFieldAsString(f, i_id)), name, category, OGR_G_GetX(geom, 0),
                            OGR_G_GetY(geom, 0)});
        }
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    REQUIRE(refs.size() >= 50);
    CHECK(stats.pois >= refs.size());
    Query q(g);
    std::size_t found = 0, named = 0;
    for (const auto& ref : refs) {
        ReverseRequest r;
        r.point = {ref.lon, ref.lat};
        r.radius_m = 0.5;
        r.limit = 20;
        r.indexes = {IndexKind::poi};
        bool ok = false;
        for (const auto& x : q.reverse(r))
            if (x.id == ref.id && x.name == ref.name && !x.categories.empty() && x.categories[0] == ref.category) ok = true;
        found += ok ? 1 : 0;
        SearchRequest s;
        s.q = ref.name;
        s.indexes = {IndexKind::poi};
        s.limit = 10;
        if (ref.name.size() >= 3)
            for (const auto& x : q.search(s))
                if (x.id == ref.id) { ++named; break; }
    }
    std::printf("osm monaco POIs: %zu indexed, %zu reference nodes, %zu found by reverse, %zu by name (top 10)\n",
                static_cast<std::size_t>(stats.pois), refs.size(), found, named);
    CHECK(found == refs.size());
    CHECK(static_cast<double>(named) >= 0.9 * static_cast<double>(refs.size()));
}

namespace {

// The reference for reverse by geometry: GDAL/GEOS on the written layers. Intersection is
// OGR_G_Intersects in lon/lat (our local plane is an affine image of it, which preserves
// intersection); circles use OGR_G_Distance in Lambert-93 (EPSG:2154), metres.
struct OgrLayer {
    GDALDatasetH ds = nullptr;
    OGRCoordinateTransformationH to_l93 = nullptr;
    OGRSpatialReferenceH wgs84 = nullptr, l93 = nullptr;
    explicit OgrLayer(const std::filesystem::path& path) {
        GDALAllRegister();
        ds = GDALOpenEx(path.string().c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
        wgs84 = OSRNewSpatialReference(nullptr);
        l93 = OSRNewSpatialReference(nullptr);
        OSRImportFromEPSG(wgs84, 4326);
        OSRImportFromEPSG(l93, 2154);
        OSRSetAxisMappingStrategy(wgs84, OAMS_TRADITIONAL_GIS_ORDER);
        OSRSetAxisMappingStrategy(l93, OAMS_TRADITIONAL_GIS_ORDER);
        to_l93 = OCTNewCoordinateTransformation(wgs84, l93);
    }
    ~OgrLayer() {
        OCTDestroyCoordinateTransformation(to_l93);
        OSRDestroySpatialReference(wgs84);
        OSRDestroySpatialReference(l93);
        GDALClose(ds);
    }
    OgrLayer(const OgrLayer&) = delete;
    OgrLayer& operator=(const OgrLayer&) = delete;

    // Ids (field `id_field`) of the features whose geometry is within `buffer` metres of `search`
    // (WKT, lon/lat); features within 5 cm of the threshold go to `unsure`.
    std::set<std::string> matching(const std::string& wkt, double buffer, const char* id_field, std::set<std::string>& unsure) const {
        OGRGeometryH search = nullptr;
        char* text = const_cast<char*>(wkt.c_str());
        REQUIRE(OGR_G_CreateFromWkt(&text, nullptr, &search) == OGRERR_NONE);
        OGRGeometryH search_l93 = OGR_G_Clone(search);
        REQUIRE(OGR_G_Transform(search_l93, to_l93) == OGRERR_NONE);
        std::set<std::string> out;
        OGRLayerH layer = GDALDatasetGetLayer(ds, 0);
        OGR_L_ResetReading(layer);
        while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            const std::string id = OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, id_field));
            if (buffer == 0.0) {
                if (OGR_G_Intersects(g, search) != 0) out.insert(id);
            } else {
                OGRGeometryH g93 = OGR_G_Clone(g);
                REQUIRE(OGR_G_Transform(g93, to_l93) == OGRERR_NONE);
                const double d = OGR_G_Distance(g93, search_l93);
                if (std::abs(d - buffer) < 0.05) unsure.insert(id);
                else if (d <= buffer) out.insert(id);
                OGR_G_DestroyGeometry(g93);
            }
            OGR_F_Destroy(f);
        }
        OGR_G_DestroyGeometry(search);
        OGR_G_DestroyGeometry(search_l93);
        return out;
    }
};

std::string wkt_of(const SearchGeometry& g) {
    const auto coords = [](const std::vector<LonLat>& v, bool close) {
        std::string s;
        for (const auto& p : v) s += fmt::format("{}{:.9f} {:.9f}", s.empty() ? "" : ",", p.lon, p.lat);
        if (close) s += fmt::format(",{:.9f} {:.9f}", v[0].lon, v[0].lat);
        return s;
    };
    switch (g.kind) {
    case SearchGeometry::Kind::point: return fmt::format("POINT ({:.9f} {:.9f})", g.parts[0][0].lon, g.parts[0][0].lat);
    case SearchGeometry::Kind::linestring: return "LINESTRING (" + coords(g.parts[0], false) + ")";
    case SearchGeometry::Kind::polygon: break;
    }
    std::string rings;
    for (const auto& r : g.parts) rings += (rings.empty() ? "(" : ",(") + coords(r, true) + ")";
    return "POLYGON (" + rings + ")";
}

}  // namespace

TEST_CASE("reverse by geometry (Point, LineString, Polygon, Circle) = GDAL/GEOS on the layers", "[geocoder][parcel][poi]") {
    auto& b = built();
    Query q(*b.geocoder);
    const OgrLayer parcels(b.dir / "parcelles.geojson"), pois(b.dir / "poi.geojson");
    std::mt19937 rng(17);
    std::uniform_real_distribution<double> ulon(2.4790, 2.4890), ulat(48.8993, 48.9025), step(-0.0012, 0.0012);
    std::uniform_real_distribution<double> plon(2.4695, 2.4770), plat(48.8995, 48.9025), radius(3.0, 150.0);
    std::size_t compared = 0, nonempty = 0;
    for (int i = 0; i < 240; ++i) {
        const bool poi = i % 4 == 3;
        const double lon = poi ? plon(rng) : ulon(rng), lat = poi ? plat(rng) : ulat(rng);
        SearchGeometry g;
        switch (i % 4) {
        case 0: g.kind = SearchGeometry::Kind::point; g.parts = {{{lon, lat}}}; break;
        case 1: g.kind = SearchGeometry::Kind::linestring;
            g.parts = {{{lon, lat}, {lon + step(rng), lat + step(rng) * 0.5}, {lon + step(rng), lat + step(rng) * 0.5}}};
            break;
        default:  // a triangle, and for POIs (i % 4 == 3) also a circle below
            g.kind = SearchGeometry::Kind::polygon;
            g.parts = {{{lon, lat}, {lon + step(rng), lat + step(rng) * 0.5}, {lon + step(rng), lat + step(rng) * 0.5}}};
            break;
        }
        for (const bool circle : {false, true}) {
            SearchGeometry sg = g;
            if (circle) {
                sg.kind = SearchGeometry::Kind::point;
                sg.parts = {{{lon, lat}}};
                sg.buffer_m = radius(rng);
            }
            ReverseRequest r;
            r.point = {lon, lat};
            r.limit = 100;
            r.geometry = sg;
            r.indexes = {poi ? IndexKind::poi : IndexKind::parcel};
            std::set<std::string> unsure;
            const auto expected = (poi ? pois : parcels).matching(wkt_of(sg), sg.buffer_m, poi ? "ident" : "id", unsure);
            std::set<std::string> got;
            double last = -1;
            for (const auto& x : q.reverse(r)) {
                if (!unsure.count(x.id)) got.insert(x.id);
                CHECK(x.distance >= last);  // nearest to the ordering point first
                last = x.distance;
            }
            for (const auto& u : unsure) CHECK(expected.count(u) == 0);
            INFO(wkt_of(sg) << " buffer " << sg.buffer_m);
            CHECK(got == expected);
            nonempty += expected.empty() ? 0 : 1;
            ++compared;
        }
    }
    CHECK(compared == 480);
    CHECK(nonempty > 150);  // the geometries do hit parcels and POIs
    // A point inside a parcel's square but far from its point on surface finds that parcel only.
    const auto& p = b.parcels[0];
    ReverseRequest r;
    r.point = {p.lon + 0.00019, p.lat - 0.00019};
    r.geometry = SearchGeometry{SearchGeometry::Kind::point, {{r.point}}};
    r.indexes = {IndexKind::parcel};
    r.limit = 10;
    const auto res = q.reverse(r);
    REQUIRE(res.size() == 1);
    CHECK(res[0].id == p.id);
    // Validation.
    r.radius_m = 10;
    CHECK_THROWS_AS(q.reverse(r), InvalidArgument);
    r.radius_m.reset();
    r.geometry = SearchGeometry{SearchGeometry::Kind::polygon, {{r.point, r.point, r.point}}};
    CHECK_THROWS_AS(q.reverse(r), InvalidArgument);
}
