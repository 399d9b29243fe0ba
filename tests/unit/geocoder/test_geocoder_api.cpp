// Handler tests of the Géoplateforme-compatible geocoding API, through Router::handle on a bundle
// built by bundle::build from a spec with a [geocoder] section (hand-written CSV below).

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/geocoder/geocoder.hpp"
#include "geoplex/server/geocoder_api.hpp"
#include "support/test_data.hpp"

using namespace geoplex;
using nlohmann::json;

namespace {

const char* const csv =
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;"
    "nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;source_position;"
    "source_nom_voie;certification_commune;cad_parcelles\n"
    "99001_paix_00001;;1;;Rue de la Paix;99100;99001;Testville;;;0;0;2.400000;48.900000;;;;;;;;;\n"
    "99001_paix_00003;;3;;Rue de la Paix;99100;99001;Testville;;;0;0;2.400000;48.900100;;;;;;;;;\n"
    "99001_hugo_00002;;2;;Avenue Victor Hugo;99100;99001;Testville;;;0;0;2.400000;48.900200;;;;;;;;;\n"
    "97411_erab_00010;;10;;Allée des Érables;97400;97411;Saint-Denis;;;0;0;55.450000;-20.880000;;;;;;;;;\n";

struct Fixture {
    test::TempDir dir{"geoplex-geo-api"};
    std::optional<bundle::Engine> engine;
    server::Router router;
    Fixture() {
        std::ofstream(dir / "a.csv") << csv;
        std::ofstream(dir / "bundle.toml") << "name = \"geo\"\n[geocoder]\n[[geocoder.sources]]\nformat = \"ban-csv\"\npath = \"a.csv\"\n";
        bundle::build(dir / "bundle.toml", dir / "bundle");
        engine = bundle::Engine::open(dir / "bundle", bundle::EngineConfig{true});
        server::add_geocoder_routes(router);
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

server::Response get(const std::string& path, server::Fields query) {
    server::Request req;
    req.method = "GET";
    req.path = path;
    req.query = std::move(query);
    return fixture().router.handle(req, *fixture().engine);
}

server::Response post(const std::string& path, std::string body, std::string content_type, server::Fields query = {}) {
    server::Request req;
    req.method = "POST";
    req.path = path;
    req.body = std::move(body);
    req.query = std::move(query);
    req.headers.emplace_back("content-type", std::move(content_type));
    return fixture().router.handle(req, *fixture().engine);
}

std::set<std::string> keys(const json& o) {
    std::set<std::string> k;
    for (const auto& [key, v] : o.items()) k.insert(key);
    return k;
}

}  // namespace

TEST_CASE("bundle: the [geocoder] section builds and opens", "[geocoder][api]") {
    auto& f = fixture();
    CHECK(f.engine->has_geocoder());
    CHECK_FALSE(f.engine->has_altitude());
    CHECK(f.engine->manifest().components == std::vector<std::string>{"geocoder"});
    CHECK(f.engine->geocoder().info().housenumbers == 4);
    CHECK_THROWS_AS(f.engine->altitude(), Error);
}

TEST_CASE("GET /geocodage/search: GeoJSON with the address properties", "[geocoder][api]") {
    const auto r = get("/geocodage/search", {{"q", "3 rue de la paix testville"}, {"limit", "2"}});
    REQUIRE(r.status == 200);
    CHECK(r.content_type == "application/json");
    const auto j = json::parse(r.body);
    CHECK(j["type"] == "FeatureCollection");
    REQUIRE(j["features"].size() >= 1);
    CHECK(j["features"].size() <= 2);
    const auto& f = j["features"][0];
    CHECK(f["type"] == "Feature");
    CHECK(f["geometry"]["type"] == "Point");
    CHECK(f["geometry"]["coordinates"][0].get<double>() == Approx(2.4));
    CHECK(f["geometry"]["coordinates"][1].get<double>() == Approx(48.9001));
    const auto& p = f["properties"];
    CHECK(keys(p) == std::set<std::string>{"label", "score", "housenumber", "id", "name", "postcode", "citycode", "x", "y",
                                           "city", "context", "type", "importance", "street", "_score", "_type"});
    CHECK(p["label"] == "3 Rue de la Paix 99100 Testville");
    CHECK(p["id"] == "99001_paix_00003");
    CHECK(p["type"] == "housenumber");
    CHECK(p["_type"] == "address");
    CHECK(p["context"] == "99");
    CHECK(p["score"].get<double>() > 0.0);
    CHECK(p["score"].get<double>() <= 1.0);

    // Trailing slash and a municipality; the overseas department code is 3 digits.
    const auto m = json::parse(get("/geocodage/search/", {{"q", "Saint-Denis"}, {"type", "municipality"}}).body);
    REQUIRE(m["features"].size() == 1);
    CHECK(m["features"][0]["properties"]["context"] == "974");
    CHECK_FALSE(m["features"][0]["properties"].contains("housenumber"));

    // Filters and bias are accepted; a miss is an empty collection.
    const auto none = json::parse(get("/geocodage/search", {{"q", "rue de la paix"}, {"postcode", "97400"}}).body);
    CHECK(none["features"].empty());
    const auto biased = get("/geocodage/search", {{"q", "rue de la paix"}, {"lat", "48.9"}, {"lon", "2.4"}});
    CHECK(biased.status == 200);
}

TEST_CASE("GET /geocodage/search: errors list every problem", "[geocoder][api]") {
    auto r = get("/geocodage/search", {{"q", "ab"}, {"limit", "50"}, {"lat", "48"}, {"type", "castle"}, {"index", "poi"}});
    CHECK(r.status == 400);
    auto j = json::parse(r.body);
    CHECK(j["code"] == 400);
    CHECK(j["message"] == "Failed parsing query");
    CHECK(j["detail"].size() == 5);
    r = get("/geocodage/search", {});
    CHECK(r.status == 400);
    CHECK(json::parse(r.body)["detail"][0] == "q: required");
    r = get("/geocodage/search", {{"q", "-- rue"}});
    CHECK(r.status == 400);
    r = get("/geocodage/search", {{"q", "rue de la paix"}, {"postcode", "9910"}});
    CHECK(r.status == 400);
}

TEST_CASE("GET /geocodage/reverse: lon/lat, Circle, Polygon, distance", "[geocoder][api]") {
    auto r = get("/geocodage/reverse", {{"lon", "2.4"}, {"lat", "48.90021"}, {"limit", "1"}});
    REQUIRE(r.status == 200);
    auto j = json::parse(r.body);
    REQUIRE(j["features"].size() == 1);
    CHECK(j["features"][0]["properties"]["id"] == "99001_hugo_00002");
    CHECK(j["features"][0]["properties"]["distance"].get<double>() == Approx(1.11).margin(0.02));

    r = get("/geocodage/reverse", {{"searchgeom", R"({"type":"Circle","coordinates":[2.4,48.9],"radius":15})"}});
    j = json::parse(r.body);
    REQUIRE(r.status == 200);
    CHECK(j["features"].size() == 2);  // 1 (0 m) and 3 (11 m); 2 Av. Victor Hugo is 22 m away
    for (const auto& f : j["features"]) CHECK(f["properties"]["score"].get<double>() == 1.0);

    r = get("/geocodage/reverse",
            {{"searchgeom", R"({"type":"Polygon","coordinates":[[[2.3999,48.90005],[2.4001,48.90005],[2.4001,48.9003],[2.3999,48.9003],[2.3999,48.90005]]]})"},
             {"lon", "2.4"}, {"lat", "48.9003"}});
    j = json::parse(r.body);
    REQUIRE(r.status == 200);
    REQUIRE(j["features"].size() == 2);  // 3 Rue de la Paix and 2 Av. Victor Hugo are inside
    CHECK(j["features"][0]["properties"]["id"] == "99001_hugo_00002");  // ordered from lon/lat

    r = get("/geocodage/reverse", {{"searchgeom", R"({"type":"Point","coordinates":[2.4,48.9]})"}});
    CHECK(r.status == 400);
    CHECK(json::parse(r.body)["detail"][0].get<std::string>().starts_with("Error: Parameter [searchgeom]"));
    r = get("/geocodage/reverse", {{"lon", "2.4"}});
    CHECK(r.status == 400);
    CHECK(json::parse(r.body)["detail"][0] == "lon/lat must be present together if defined");
}

TEST_CASE("GET /geocodage/completion: {status, results}; errors with HTTP 200", "[geocoder][api]") {
    auto r = get("/geocodage/completion/", {{"text", "2 avenue vic"}, {"maximumResponses", "3"}});
    REQUIRE(r.status == 200);
    auto j = json::parse(r.body);
    CHECK(j["status"] == "OK");
    REQUIRE_FALSE(j["results"].empty());
    const auto& first = j["results"][0];
    CHECK(keys(first) == std::set<std::string>{"country", "city", "x", "y", "zipcode", "street", "classification", "kind",
                                               "fulltext", "metropole"});
    CHECK(first["fulltext"] == "2 Avenue Victor Hugo 99100 Testville");
    CHECK(first["country"] == "StreetAddress");
    CHECK(first["metropole"] == true);

    j = json::parse(get("/geocodage/completion", {{"text", "allee des erables"}, {"terr", "METROPOLE"}}).body);
    CHECK(j["results"].empty());
    j = json::parse(get("/geocodage/completion", {{"text", "allee des erables"}, {"terr", "DOMTOM"}}).body);
    REQUIRE_FALSE(j["results"].empty());
    CHECK(j["results"][0]["metropole"] == false);
    j = json::parse(get("/geocodage/completion", {{"text", "rue de la paix"}, {"type", "PositionOfInterest"}}).body);
    CHECK(j["results"].empty());

    r = get("/geocodage/completion", {{"maximumResponses", "99"}});
    CHECK(r.status == 200);
    j = json::parse(r.body);
    CHECK(j["status"] == "Error");
    CHECK(j["error"].is_string());
}

TEST_CASE("GET /geocodage/getCapabilities (any case)", "[geocoder][api]") {
    for (const char* path : {"/geocodage/getCapabilities", "/geocodage/getcapabilities"}) {
        const auto r = get(path, {});
        REQUIRE(r.status == 200);
        const auto j = json::parse(r.body);
        CHECK(j["info"]["name"] == "Géocodage");
        CHECK(j["api"]["version"] == "1.0.0");
        CHECK(j["operations"].size() == 2);
        CHECK(j["indexes"][0]["id"] == "address");
    }
}

TEST_CASE("POST /geocodage/search/csv and /reverse/csv", "[geocoder][api][batch]") {
    auto r = post("/geocodage/search/csv", "id,adresse\n1,3 rue de la paix testville\n2,zzzz qqqq\n", "text/csv",
                  {{"columns", "adresse"}});
    REQUIRE(r.status == 200);
    CHECK(r.content_type.starts_with("text/csv"));
    std::istringstream lines(r.body);
    std::string header, row1, row2;
    std::getline(lines, header);
    std::getline(lines, row1);
    std::getline(lines, row2);
    CHECK(header == "id,adresse,latitude,longitude,result_label,result_score,result_type,result_id,result_housenumber,"
                    "result_name,result_postcode,result_city,result_citycode");
    CHECK(row1.find(",99001_paix_00003,3,Rue de la Paix,99100,Testville,99001") != std::string::npos);
    CHECK(row2 == "2,zzzz qqqq,,,,,,,,,,,");

    const std::string boundary = "XyZ";
    const std::string body = "--XyZ\r\nContent-Disposition: form-data; name=\"columns\"\r\n\r\nadresse\r\n"
                             "--XyZ\r\nContent-Disposition: form-data; name=\"data\"; filename=\"a.csv\"\r\n"
                             "Content-Type: text/csv\r\n\r\nadresse;cp\n2 av victor hugo;99100\n\r\n--XyZ--\r\n";
    r = post("/geocodage/search/csv", body, "multipart/form-data; boundary=" + boundary);
    REQUIRE(r.status == 200);
    CHECK(r.body.find("99001_hugo_00002") != std::string::npos);
    CHECK(r.body.starts_with("adresse;cp;latitude;"));

    r = post("/geocodage/reverse/csv", "lat,lon\n48.9002,2.4\n", "text/csv");
    REQUIRE(r.status == 200);
    CHECK(r.body.find("99001_hugo_00002") != std::string::npos);

    r = post("/geocodage/search/csv", "a,b\n1,2\n", "text/csv", {{"columns", "nope"}});
    CHECK(r.status == 400);
    CHECK(json::parse(r.body)["message"] == "Failed parsing query");
}

namespace {

// A second bundle with POIs and parcels (GeoJSON layers written here).
struct PoiParcelFixture {
    test::TempDir dir{"geoplex-geo-api-poi"};
    std::optional<bundle::Engine> engine;
    server::Router router;
    PoiParcelFixture() {
        std::ofstream(dir / "a.csv") << csv;
        std::ofstream(dir / "poi.geojson")
            << R"({"type":"FeatureCollection","features":[)"
               R"({"type":"Feature","properties":{"name":"Pharmacie de la Paix","category":"pharmacie;sante","insee":"99001"},"geometry":{"type":"Point","coordinates":[2.4005,48.9]}},)"
               R"({"type":"Feature","properties":{"name":"Café de la Paix","category":"restaurant;bar","insee":"99001"},"geometry":{"type":"Point","coordinates":[2.401,48.9]}},)"
               R"({"type":"Feature","properties":{"name":"Mairie","category":"administratif","insee":"99001"},"geometry":{"type":"Point","coordinates":[2.402,48.9]}}]})";
        std::ofstream(dir / "parcels.geojson")
            << R"({"type":"FeatureCollection","features":[)"
               R"({"type":"Feature","properties":{"id":"99001000AB0012","feuille":"1"},"geometry":{"type":"Polygon","coordinates":[[[2.3990,48.8990],[2.3994,48.8990],[2.3994,48.8994],[2.3990,48.8994],[2.3990,48.8990]]]}},)"
               R"({"type":"Feature","properties":{"id":"99001000AB0013","feuille":"2"},"geometry":{"type":"Polygon","coordinates":[[[2.3994,48.8990],[2.3998,48.8990],[2.3998,48.8994],[2.3994,48.8994],[2.3994,48.8990]]]}}]})";
        std::ofstream(dir / "bundle.toml")
            << "name = \"geo\"\n[geocoder]\n"
               "[[geocoder.sources]]\nformat = \"ban-csv\"\npath = \"a.csv\"\n"
               "[[geocoder.sources]]\nformat = \"gdal-poi\"\npath = \"poi.geojson\"\ncitycode_field = \"insee\"\n"
               "[[geocoder.sources]]\nformat = \"gdal-parcel\"\npath = \"parcels.geojson\"\n";
        bundle::build(dir / "bundle.toml", dir / "bundle");
        engine = bundle::Engine::open(dir / "bundle", bundle::EngineConfig{true});
        server::add_geocoder_routes(router);
    }
    server::Response get(const std::string& path, server::Fields query) {
        server::Request req;
        req.method = "GET";
        req.path = path;
        req.query = std::move(query);
        return router.handle(req, *engine);
    }
};

PoiParcelFixture& poi_fixture() {
    static PoiParcelFixture f;
    return f;
}

}  // namespace

TEST_CASE("GET /geocodage/search: index=poi and index=parcel, the reference's properties", "[geocoder][api][poi][parcel]") {
    auto& f = poi_fixture();
    auto r = f.get("/geocodage/search", {{"q", "pharmacie de la paix"}, {"index", "poi"}});
    REQUIRE(r.status == 200);
    auto j = json::parse(r.body);
    REQUIRE(!j["features"].empty());
    auto p = j["features"][0]["properties"];
    CHECK(keys(p) == std::set<std::string>{"toponym", "id", "postcode", "citycode", "city", "category", "extrafields", "x",
                                           "y", "score", "_score", "_type"});
    CHECK(p["toponym"] == "Pharmacie de la Paix");
    CHECK(p["category"] == json::array({"pharmacie", "sante"}));
    CHECK(p["citycode"] == json::array({"99001"}));
    CHECK(p["city"] == json::array({"Testville"}));  // the commune of the address source
    CHECK(p["_type"] == "poi");

    // category filter: only the bar among the POIs "de la Paix".
    r = f.get("/geocodage/search", {{"q", "de la paix"}, {"index", "poi"}, {"category", "bar"}});
    j = json::parse(r.body);
    REQUIRE(j["features"].size() == 1);
    CHECK(j["features"][0]["properties"]["toponym"] == "Café de la Paix");

    // Several indexes: the address and the POI answer together.
    r = f.get("/geocodage/search", {{"q", "paix testville"}, {"index", "address,poi"}, {"limit", "20"}});
    j = json::parse(r.body);
    std::set<std::string> types;
    for (const auto& x : j["features"]) types.insert(x["properties"]["_type"].get<std::string>());
    CHECK(types == std::set<std::string>{"address", "poi"});

    // Parcel by id, and the structured search without q.
    r = f.get("/geocodage/search", {{"q", "99001000AB0013"}, {"index", "parcel"}});
    j = json::parse(r.body);
    REQUIRE(j["features"].size() == 1);
    p = j["features"][0]["properties"];
    CHECK(keys(p) == std::set<std::string>{"id", "departmentcode", "municipalitycode", "city", "oldmunicipalitycode",
                                           "districtcode", "section", "number", "sheet", "x", "y", "score", "_score", "_type"});
    CHECK(p["departmentcode"] == "99");
    CHECK(p["municipalitycode"] == "001");
    CHECK(p["oldmunicipalitycode"] == "000");
    CHECK(p["section"] == "AB");
    CHECK(p["number"] == "0013");
    CHECK(p["sheet"] == "2");
    CHECK(p["city"] == "Testville");
    CHECK(p["_type"] == "parcel");
    // returntruegeometry: the polygon written in parcels.geojson (counter-clockwise shell).
    r = f.get("/geocodage/search", {{"q", "99001000AB0013"}, {"index", "parcel"}, {"returntruegeometry", "true"}});
    REQUIRE(r.status == 200);
    const auto tg = json::parse(r.body)["features"][0]["properties"]["truegeometry"];
    REQUIRE(tg["type"] == "Polygon");
    REQUIRE(tg["coordinates"].size() == 1);
    const std::vector<std::pair<double, double>> corners{{2.3994, 48.8990}, {2.3998, 48.8990}, {2.3998, 48.8994},
                                                         {2.3994, 48.8994}, {2.3994, 48.8990}};
    REQUIRE(tg["coordinates"][0].size() == corners.size());
    for (std::size_t k = 0; k < corners.size(); ++k) {
        CHECK(tg["coordinates"][0][k][0].get<double>() == Approx(corners[k].first).margin(1e-7));
        CHECK(tg["coordinates"][0][k][1].get<double>() == Approx(corners[k].second).margin(1e-7));
    }
    r = f.get("/geocodage/search", {{"q", "pharmacie de la paix"}, {"index", "poi"}, {"returntruegeometry", "1"}});
    CHECK(json::parse(r.body)["features"][0]["properties"]["truegeometry"] ==
          json::parse(R"({"type":"Point","coordinates":[2.4005,48.9]})"));
    r = f.get("/geocodage/search", {{"q", "99001000AB0013"}, {"index", "parcel"}, {"returntruegeometry", "maybe"}});
    CHECK(r.status == 400);
    r = f.get("/geocodage/search", {{"index", "parcel"}, {"departmentcode", "99"}, {"municipalitycode", "001"},
                                    {"section", "AB"}, {"number", "12"}});
    j = json::parse(r.body);
    REQUIRE(j["features"].size() == 1);
    CHECK(j["features"][0]["properties"]["id"] == "99001000AB0012");

    // Errors: structured fields without index=parcel, bad section, unknown index.
    r = f.get("/geocodage/search", {{"q", "rue de la paix"}, {"section", "ABC"}, {"index", "castle"}});
    CHECK(r.status == 400);
    CHECK(json::parse(r.body)["detail"].size() == 3);
    r = f.get("/geocodage/search", {{"index", "parcel"}});
    CHECK(r.status == 400);
}

TEST_CASE("GET /geocodage/reverse: index=parcel and index=poi", "[geocoder][api][poi][parcel]") {
    auto& f = poi_fixture();
    auto r = f.get("/geocodage/reverse", {{"lon", "2.3991"}, {"lat", "48.8991"}, {"index", "parcel"}, {"limit", "1"}});
    REQUIRE(r.status == 200);
    auto j = json::parse(r.body);
    REQUIRE(j["features"].size() == 1);
    CHECK(j["features"][0]["properties"]["id"] == "99001000AB0012");
    CHECK(j["features"][0]["properties"].contains("distance"));
    r = f.get("/geocodage/reverse", {{"searchgeom", R"({"type":"Point","coordinates":[2.401,48.9]})"}, {"index", "poi"}});
    REQUIRE(r.status == 200);
    j = json::parse(r.body);
    REQUIRE(j["features"].size() == 1);
    CHECK(j["features"][0]["properties"]["toponym"] == "Café de la Paix");

    // getCapabilities lists the indexes the bundle serves.
    r = f.get("/geocodage/getCapabilities", {});
    REQUIRE(r.status == 200);
    j = json::parse(r.body);
    std::set<std::string> indexes;
    for (const auto& x : j["indexes"]) indexes.insert(x["id"]);
    CHECK(indexes == std::set<std::string>{"address", "poi", "parcel"});

    // Completion returns POIs as PositionOfInterest (both types by default).
    r = f.get("/geocodage/completion", {{"text", "cafe de la"}, {"type", "PositionOfInterest"}});
    REQUIRE(r.status == 200);
    j = json::parse(r.body);
    REQUIRE(j["status"] == "OK");
    REQUIRE_FALSE(j["results"].empty());
    for (const auto& x : j["results"]) CHECK(x["country"] == "PositionOfInterest");
    CHECK(j["results"][0]["fulltext"].get<std::string>().starts_with("Café de la Paix"));
    CHECK(j["results"][0]["poiType"][0] == "restaurant");
    CHECK(j["results"][0]["kind"] == "restaurant");
    r = f.get("/geocodage/completion", {{"text", "pharmacie de la"}});
    j = json::parse(r.body);
    bool found_poi = false;
    for (const auto& x : j["results"]) found_poi = found_poi || x["fulltext"].get<std::string>().starts_with("Pharmacie de la Paix");
    CHECK(found_poi);
    r = f.get("/geocodage/completion", {{"text", "pharmacie de la"}, {"type", "StreetAddress"}});
    j = json::parse(r.body);
    for (const auto& x : j["results"]) CHECK(x["country"] == "StreetAddress");

    // Parcels by their polygons (AB0012: lon 2.3990–2.3994, AB0013: 2.3994–2.3998; lat 48.8990–48.8994).
    const auto ids = [&](const std::string& geom) {
        const auto res = f.get("/geocodage/reverse", {{"searchgeom", geom}, {"index", "parcel"}});
        REQUIRE(res.status == 200);
        std::vector<std::string> out;
        const auto body = json::parse(res.body);
        for (const auto& feature : body["features"]) {
            CHECK(feature["properties"]["score"].get<double>() == 1.0);  // no lon/lat
            out.push_back(feature["properties"]["id"]);
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    using V = std::vector<std::string>;
    // Inside AB0012 near its corner: nearer to AB0013's centre, but only AB0012 contains it.
    CHECK(ids(R"({"type":"Point","coordinates":[2.39939,48.89939]})") == V{"99001000AB0012"});
    CHECK(ids(R"({"type":"LineString","coordinates":[[2.3992,48.8992],[2.3996,48.8992]]})") == V{"99001000AB0012", "99001000AB0013"});
    CHECK(ids(R"({"type":"Polygon","coordinates":[[[2.3995,48.8991],[2.3997,48.8991],[2.3996,48.8993],[2.3995,48.8991]]]})") ==
          V{"99001000AB0013"});
    // 7.3 m west of AB0012's edge.
    CHECK(ids(R"({"type":"Circle","coordinates":[2.3989,48.8992],"radius":7})").empty());
    CHECK(ids(R"({"type":"Circle","coordinates":[2.3989,48.8992],"radius":8})") == V{"99001000AB0012"});
    CHECK(ids(R"({"type":"Point","coordinates":[2.3980,48.8992]})").empty());
}
