#include <catch2/catch.hpp>
#include <fstream>

#include "geoplex/altitude/altitude.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
#include "support/test_data.hpp"

using namespace geoplex;
namespace fs = std::filesystem;

namespace {
void write_file(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}
// A 4×3 DEM in the ESRI ASCII grid format (which GDAL reads): no binary fixture needed.
// Cells are 0.01° wide, lower-left corner at (7.0, 43.0); row 0 is the northern row.
void write_tiny_dem(const fs::path& p) {
    write_file(p, "ncols 4\nnrows 3\nxllcorner 7.0\nyllcorner 43.0\ncellsize 0.01\nNODATA_value -9999\n"
                  "10 20 30 40\n"
                  "50 60 70 80\n"
                  "90 100 -9999 120\n");
    write_file(fs::path(p).replace_extension(".prj"), "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563]],PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433]]");
}
std::string tiny_spec(const std::string& name = "tiny") {
    return "name = \"" + name + "\"\n[altitude]\n[[altitude.resources]]\nid = \"tiny\"\ntitle = \"Tiny\"\n"
           "[[altitude.resources.sources]]\nname = \"grid\"\npath = \"dem.asc\"\npriority = 1\n";
}
}  // namespace

TEST_CASE("build → open → query on a tiny DEM") {
    test::TempDir dir;
    write_tiny_dem(dir / "dem.asc");
    write_file(dir / "bundle.toml", tiny_spec());
    bundle::build(dir / "bundle.toml", dir / "out");
    const auto engine = bundle::Engine::open(dir / "out");
    CHECK(engine.manifest().name == "tiny");
    CHECK(engine.manifest().components == std::vector<std::string>{"altitude"});
    REQUIRE(engine.has_altitude());
    altitude::Query q(engine.altitude());
    // Centre of the top-left cell (7.005, 43.025) is 10; the nodata cell falls back to -99999.
    const std::vector<LonLat> pts = {{7.005, 43.025}, {7.035, 43.005}, {7.025, 43.005}, {8.5, 43.0}};
    std::vector<double> z(pts.size());
    q.elevations("tiny", pts, z, altitude::Interpolation::nearest);
    CHECK(z[0] == 10.0);
    CHECK(z[1] == 120.0);
    CHECK(z[2] == -99999.0);
    CHECK(z[3] == -99999.0);
    // No temporary directory is left next to the bundle.
    for (const auto& e : fs::directory_iterator(dir.path()))
        CHECK(e.path().filename().string().find(".building-") == std::string::npos);
}

TEST_CASE("rebuilding replaces the bundle atomically; a failed build leaves the old one intact") {
    test::TempDir dir;
    write_tiny_dem(dir / "dem.asc");
    write_file(dir / "bundle.toml", tiny_spec("first"));
    bundle::build(dir / "bundle.toml", dir / "out");
    write_file(dir / "bundle.toml", tiny_spec("second"));
    bundle::build(dir / "bundle.toml", dir / "out");
    CHECK(bundle::Engine::open(dir / "out").manifest().name == "second");

    fs::remove(dir / "dem.asc");  // the source disappears: the build must fail…
    CHECK_THROWS(bundle::build(dir / "bundle.toml", dir / "out"));
    CHECK(bundle::Engine::open(dir / "out").manifest().name == "second");  // …and lose nothing
    for (const auto& e : fs::directory_iterator(dir.path()))
        CHECK(e.path().filename().string().find(".building-") == std::string::npos);
}

TEST_CASE("a spec with several problems reports all of them") {
    test::TempDir dir;
    write_file(dir / "bad.toml", "colour = \"blue\"\n[altitude]\n[[altitude.resources]]\nid = \"\"\n");
    try {
        bundle::build(dir / "bad.toml", dir / "out");
        FAIL("no exception");
    } catch (const InvalidArgument& e) {
        CHECK(e.problems().size() >= 3);  // unknown key, missing name, altitude problems
        CHECK_THAT(e.what(), Catch::Contains("colour"));
        CHECK_THAT(e.what(), Catch::Contains("name"));
    }
    CHECK_FALSE(fs::exists(dir / "out"));
}

TEST_CASE("invalid TOML says where") {
    test::TempDir dir;
    write_file(dir / "bad.toml", "name = \"x\"\n[altitude\n");
    CHECK_THROWS_WITH(bundle::build(dir / "bad.toml", dir / "out"), Catch::Contains("line 2"));
}

TEST_CASE("a directory that is not a bundle is never replaced") {
    test::TempDir dir;
    write_tiny_dem(dir / "dem.asc");
    write_file(dir / "bundle.toml", tiny_spec());
    write_file(dir / "precious" / "thesis.txt", "do not delete");
    CHECK_THROWS_WITH(bundle::build(dir / "bundle.toml", dir / "precious"), Catch::Contains("not a geoplex bundle"));
    CHECK(fs::exists(dir / "precious" / "thesis.txt"));
}

TEST_CASE("opening broken bundles gives errors that name the problem") {
    test::TempDir dir;
    CHECK_THROWS_WITH(bundle::Engine::open(dir / "nowhere"), Catch::Contains("not a directory"));
    fs::create_directories(dir / "empty");
    CHECK_THROWS_WITH(bundle::Engine::open(dir / "empty"), Catch::Contains("manifest.toml"));

    write_file(dir / "v99" / "manifest.toml", "name = \"x\"\nformat_version = 99\ncomponents = []\n");
    try {
        (void)bundle::Engine::open(dir / "v99");
        FAIL("no exception");
    } catch (const FormatError& e) {
        CHECK(e.code() == errc::version_mismatch);
    }
    write_file(dir / "future" / "manifest.toml", "name = \"x\"\nformat_version = 1\ncomponents = [\"teleport\"]\n");
    CHECK_THROWS_WITH(bundle::Engine::open(dir / "future"), Catch::Contains("teleport"));
    write_file(dir / "garbage" / "manifest.toml", "name = = \n");
    CHECK_THROWS_AS(bundle::Engine::open(dir / "garbage"), FormatError);

    write_file(dir / "nothing" / "manifest.toml", "name = \"n\"\nformat_version = 1\ncomponents = []\n");
    const auto e = bundle::Engine::open(dir / "nothing");
    CHECK_FALSE(e.has_altitude());
    try {
        (void)e.altitude();
        FAIL("no exception");
    } catch (const Error& err) {
        CHECK(err.code() == errc::not_found);
    }
}
