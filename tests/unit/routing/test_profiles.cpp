// Profiles as data: the embedded defaults are the checked-in files; parse errors list every problem.

#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "geoplex/core/error.hpp"
#include "geoplex/routing/routing.hpp"
#include "routing/spec.hpp"
#include "support/test_data.hpp"

using namespace geoplex;
using namespace geoplex::routing;

namespace {
std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
std::filesystem::path source_dir() {
    const char* s = std::getenv("GEOPLEX_SOURCE_DIR");
    return s != nullptr ? std::filesystem::path(s) : std::filesystem::path(GEOPLEX_ROUTING_SOURCE_DIR);
}
}  // namespace

TEST_CASE("builtin profiles are the files in profiles/", "[routing][profiles]") {
    for (const char* name : {"car", "pedestrian"}) {
        const auto file = source_dir() / "profiles" / (std::string(name) + ".toml");
        REQUIRE(std::filesystem::exists(file));
        CHECK(Profile::builtin_toml(name) == slurp(file));
        const Profile p = Profile::from_file(file);
        CHECK(p.name == name);
        CHECK(p.validate().empty());
    }
    const Profile car = Profile::builtin("car");
    CHECK(car.highway_speeds.at("motorway") == 90);
    CHECK(car.turn_restrictions);
    CHECK(car.highway_speeds.count("footway") == 0);
    const Profile ped = Profile::builtin("pedestrian");
    CHECK(ped.highway_speeds.count("motorway") == 0);
    CHECK(ped.highway_speeds.at("footway") == 4);
    CHECK_FALSE(ped.turn_restrictions);
    CHECK_THROWS_AS(Profile::builtin("bicycle"), InvalidArgument);
}

TEST_CASE("a bad profile reports every problem", "[routing][profiles]") {
    try {
        (void)Profile::from_toml(R"(
name = "bad name"
speed = 3
max_speed_kmh = -1
[highway_speeds]
primary = "fast"
)", "bad.toml");
        FAIL("no exception");
    } catch (const InvalidArgument& e) {
        const auto& p = e.problems();
        auto has = [&](std::string_view s) {
            return std::any_of(p.begin(), p.end(), [&](const std::string& x) { return x.find(s) != std::string::npos; });
        };
        CHECK(has("unknown key 'speed'"));
        CHECK(has("highway_speeds.primary: must be a number"));
        CHECK(has("max_speed_kmh"));
        CHECK(has("name: 'bad name'"));
    }
    CHECK_THROWS_AS(Profile::from_toml("name = [", "broken.toml"), InvalidArgument);
}

TEST_CASE("the [routing] spec section", "[routing][spec]") {
    geoplex::test::TempDir dir("geoplex-routing-spec");
    { std::ofstream(dir / "roads.osm") << "<osm/>"; }
    const auto t = toml::parse(R"(
[[resources]]
id = "bdtopo-osrm"
path = "roads.osm"
version = "2020-07-19"
optimizations = ["fastest"]
crs = ["EPSG:2154"]
)");
    const BuildConfig cfg = detail::config_from_toml(t, dir.path());
    REQUIRE(cfg.resources.size() == 1);
    const auto& r = cfg.resources[0];
    CHECK(r.id == "bdtopo-osrm");
    CHECK(r.path == dir / "roads.osm");
    CHECK(r.profiles.size() == 2);
    CHECK(r.optimizations == std::vector<Optimization>{Optimization::fastest});
    CHECK(r.crs == std::vector<std::string>{"EPSG:4326", "EPSG:2154"});

    const auto bad = toml::parse(R"(
colour = "red"
[[resources]]
id = "a b"
path = "missing.pbf"
format = "shapefile"
profiles = ["car", "nope.toml"]
optimizations = ["quickest"]
)");
    try {
        (void)detail::config_from_toml(bad, dir.path());
        FAIL("no exception");
    } catch (const InvalidArgument& e) {
        const auto& p = e.problems();
        auto has = [&](std::string_view s) {
            return std::any_of(p.begin(), p.end(), [&](const std::string& x) { return x.find(s) != std::string::npos; });
        };
        CHECK(has("unknown key 'colour'"));
        CHECK(has("format: 'shapefile'"));
        CHECK(has("nope.toml"));
        CHECK(has("'quickest'"));
    }
}
