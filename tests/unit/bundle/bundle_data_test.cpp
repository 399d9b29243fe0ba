// End to end on real data: spec → bundle → Engine → altitude, checked against GDAL's own
// gdallocationinfo (an independent reader of the same file).
#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <sstream>

#include "geoplex/altitude/altitude.hpp"
#include "geoplex/bundle/engine.hpp"
#include "support/subprocess.hpp"
#include "support/test_data.hpp"

using namespace geoplex;
namespace fs = std::filesystem;

TEST_CASE("a bundle built from SRTM N43E007 answers like gdallocationinfo") {
    test::TempDir dir;
    const auto hgt = test::data_file("dem/N43E007.hgt");
    std::ofstream(dir / "bundle.toml") << "name = \"monaco\"\n[altitude]\n[[altitude.resources]]\nid = \"srtm\"\n"
                                          "title = \"SRTM\"\n[[altitude.resources.sources]]\nname = \"srtm\"\n"
                                          "path = \"" << hgt.string() << "\"\npriority = 1\n";
    bundle::build(dir / "bundle.toml", dir / "bundle");
    bundle::EngineConfig config;
    config.verify_checksums = true;
    const auto engine = bundle::Engine::open(dir / "bundle", config);

    std::mt19937 rng(11);
    std::uniform_real_distribution<double> lon(7.0005, 7.9995), lat(43.0005, 43.9995);
    std::vector<LonLat> pts(200);
    std::ostringstream input;
    input.precision(10);
    for (auto& p : pts) {
        p = {lon(rng), lat(rng)};
        input << p.lon << ' ' << p.lat << "\\n";
    }
    const auto out = test::run_command("printf '" + input.str() + "' | gdallocationinfo -valonly -wgs84 " + hgt.string());
    std::istringstream values(out);
    altitude::Query q(engine.altitude());
    std::vector<double> z(pts.size());
    q.elevations("srtm", pts, z, altitude::Interpolation::nearest);
    for (std::size_t i = 0; i < pts.size(); ++i) {
        double expected = 0;
        REQUIRE(values >> expected);
        // SRTM voids (the file's nodata, -32768) are reported with the service's -99999.
        CHECK(z[i] == (expected == -32768.0 ? -99999.0 : expected));
    }
}
