#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "geoplex/core/geojson.hpp"

using namespace geoplex;
using namespace geoplex::core;

TEST_CASE("encoded polyline matches the format specification's worked example") {
    // Google's published example: (38.5,-120.2), (40.7,-120.95), (43.252,-126.453).
    const std::vector<LonLat> line = {{-120.2, 38.5}, {-120.95, 40.7}, {-126.453, 43.252}};
    CHECK(encode_polyline(line) == "_p~iF~ps|U_ulLnnqC_mqNvxq`@");
    const auto back = decode_polyline("_p~iF~ps|U_ulLnnqC_mqNvxq`@");
    REQUIRE(back.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(back[i].lon == Approx(line[i].lon).margin(1e-9));
        CHECK(back[i].lat == Approx(line[i].lat).margin(1e-9));
    }
    CHECK_THROWS_AS(decode_polyline("_p~iF~ps|U_"), InvalidArgument);
}

TEST_CASE("GeoJSON round trip of every geometry type") {
    const std::vector<std::string> inputs = {
        R"({"type":"Point","coordinates":[2.35,48.85]})",
        R"({"type":"LineString","coordinates":[[2.35,48.85],[2.36,48.86]]})",
        R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[0.2,0.2],[0.2,0.4],[0.4,0.4],[0.2,0.2]]]})",
        R"({"type":"MultiPoint","coordinates":[[1,2],[3,4]]})",
        R"({"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6],[7,8]]]})",
        R"({"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]})",
    };
    for (const auto& in : inputs) {
        const auto g = parse_geojson_geometry(in);
        CHECK(nlohmann::json::parse(to_geojson(g)) == nlohmann::json::parse(in));
    }
}

TEST_CASE("GeoJSON parse errors say what is wrong") {
    CHECK_THROWS_WITH(parse_geojson_geometry("{"), Catch::Contains("not valid JSON"));
    CHECK_THROWS_WITH(parse_geojson_geometry(R"({"coordinates":[1,2]})"), Catch::Contains("type"));
    CHECK_THROWS_WITH(parse_geojson_geometry(R"({"type":"Circle","coordinates":[1,2]})"), Catch::Contains("Circle"));
    CHECK_THROWS_WITH(parse_geojson_geometry(R"({"type":"LineString","coordinates":[[1,2]]})"),
                      Catch::Contains("at least 2"));
    CHECK_THROWS_WITH(parse_geojson_geometry(R"({"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]})"),
                      Catch::Contains("closed"));
    CHECK_THROWS_AS(parse_geojson_geometry(R"({"type":"Point","coordinates":["a",2]})"), InvalidArgument);
}

TEST_CASE("WKT output") {
    CHECK(to_wkt(Point{2.5, 48.25}) == "POINT(2.5 48.25)");
    LineString l{{0, 0}, {1, 1}};
    CHECK(to_wkt(l) == "LINESTRING(0 0,1 1)");
    CHECK(to_wkt(l, 2) == "LINESTRING(0.00 0.00,1.00 1.00)");
    Polygon p;
    p.outer() = {{0, 0}, {1, 0}, {1, 1}, {0, 0}};
    CHECK(to_wkt(p) == "POLYGON((0 0,1 0,1 1,0 0))");
}
