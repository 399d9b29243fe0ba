#include <catch2/catch.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "geoplex/core/crs.hpp"
#include "geoplex/core/error.hpp"
#include "support/subprocess.hpp"

using namespace geoplex;
using namespace geoplex::core;

TEST_CASE("WGS84 → Lambert-93 equals PROJ's cs2cs tool, in GIS axis order") {
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> lon(-4.0, 8.0), lat(42.5, 50.5);
    std::vector<double> xs, ys;
    std::ostringstream input;
    input.precision(12);
    for (int i = 0; i < 50; ++i) {
        xs.push_back(lon(rng));
        ys.push_back(lat(rng));
        input << ys.back() << ' ' << xs.back() << "\\n";  // cs2cs reads EPSG:4326 as lat lon
    }
    std::istringstream out(test::run_command("printf '" + input.str() + "' | cs2cs -f %.4f EPSG:4326 EPSG:2154"));
    CrsTransform t("EPSG:4326", "EPSG:2154");
    CHECK_FALSE(t.is_identity());
    t.transform(xs, ys);
    for (std::size_t i = 0; i < xs.size(); ++i) {
        double x = 0, y = 0, z = 0;
        out >> x >> y >> z;
        CHECK(xs[i] == Approx(x).margin(2e-3));
        CHECK(ys[i] == Approx(y).margin(2e-3));
    }
}

TEST_CASE("transforms are shared safely between threads") {
    CrsTransform t("EPSG:2154", "EPSG:4326");
    const XY ref = t.transform(XY{652301.5648, 6861302.7259});
    CHECK(ref.x == Approx(2.35).margin(1e-7));
    CHECK(ref.y == Approx(48.85).margin(1e-7));
    std::vector<std::thread> threads;
    std::atomic<int> bad{0};
    for (int k = 0; k < 4; ++k) {
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i) {
                const XY p = t.transform(XY{652301.5648, 6861302.7259});
                if (p.x != ref.x || p.y != ref.y) ++bad;
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(bad == 0);
}

TEST_CASE("unknown CRS and identity") {
    CHECK_THROWS_WITH(CrsTransform("EPSG:999999", "EPSG:4326"), Catch::Contains("EPSG:999999"));
    CHECK(is_known_crs("EPSG:2154"));
    CHECK_FALSE(is_known_crs("not a crs"));
    CHECK(is_geographic_crs("EPSG:4326"));
    CHECK_FALSE(is_geographic_crs("EPSG:2154"));
    CrsTransform id("EPSG:4326", "EPSG:4326");
    CHECK(id.is_identity());
    const XY p = id.transform(XY{1.5, 2.5});
    CHECK(p == XY{1.5, 2.5});
}
