#include <catch2/catch.hpp>
#include <random>
#include <sstream>

#include "geoplex/core/error.hpp"
#include "geoplex/core/geometry.hpp"
#include "support/subprocess.hpp"

using namespace geoplex;
using namespace geoplex::core;

namespace {
// Distance from PROJ's `geod` command-line tool: an independent implementation path.
double geod_distance(LonLat a, LonLat b) {
    std::ostringstream cmd;
    cmd.precision(12);
    cmd << "echo '" << a.lat << ' ' << a.lon << ' ' << b.lat << ' ' << b.lon
        << "' | geod +ellps=WGS84 -I +units=m -F %.4f";
    std::istringstream out(test::run_command(cmd.str()));
    std::string az1, az2;
    double d = 0;
    out >> az1 >> az2 >> d;
    return d;
}
}  // namespace

TEST_CASE("geodesic distances equal PROJ's geod tool") {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> lon(-5.0, 9.0), lat(41.0, 51.0);
    for (int i = 0; i < 5; ++i) {
        const LonLat a{lon(rng), lat(rng)}, b{lon(rng), lat(rng)};
        CHECK(geodesic_distance(a, b) == Approx(geod_distance(a, b)).margin(1e-3));
    }
}

TEST_CASE("sample_along spaces points equally along the geodesic length") {
    const std::vector<LonLat> line = {{7.40, 43.72}, {7.42, 43.73}, {7.43, 43.75}, {7.45, 43.74}};
    const double total = geodesic_length(line);
    std::vector<double> d;
    const auto pts = sample_along(line, 11, &d);
    REQUIRE(pts.size() == 11);
    REQUIRE(d.size() == 11);
    CHECK(pts.front() == line.front());
    CHECK(pts.back() == line.back());
    CHECK(d.back() == Approx(total));
    // The distance along the line to each sample, recomputed from the vertices, is i * total / 10.
    for (std::size_t i = 1; i + 1 < pts.size(); ++i) {
        CHECK(d[i] == Approx(total * static_cast<double>(i) / 10.0));
        // Walk vertices until the segment that contains the sample and add the partial length.
        double acc = 0;
        bool found = false;
        for (std::size_t s = 1; s < line.size() && !found; ++s) {
            const double seg = geodesic_distance(line[s - 1], line[s]);
            const double part = geodesic_distance(line[s - 1], pts[i]);
            const double rest = geodesic_distance(pts[i], line[s]);
            if (std::abs(part + rest - seg) < 1e-6) {  // the sample lies on this segment
                CHECK(acc + part == Approx(d[i]).margin(1e-6));
                found = true;
            }
            acc += seg;
        }
        CHECK(found);
    }
}

TEST_CASE("sample_along rejects bad input") {
    const std::vector<LonLat> empty;
    CHECK_THROWS_AS(sample_along(empty, 5), InvalidArgument);
    const std::vector<LonLat> one = {{1, 2}};
    CHECK_THROWS_AS(sample_along(one, 1), InvalidArgument);
    const auto same = sample_along(one, 3);
    CHECK(same.size() == 3);
    CHECK(same[1] == one[0]);
}

TEST_CASE("BBox") {
    BBox b;
    CHECK(b.empty());
    b.extend(LonLat{1, 2});
    b.extend(LonLat{3, -1});
    CHECK_FALSE(b.empty());
    CHECK(b == BBox::of(1, -1, 3, 2));
    CHECK(b.contains(LonLat{2, 0}));
    CHECK_FALSE(b.contains(LonLat{4, 0}));
    CHECK(b.intersects(BBox::of(2.5, 1.5, 10, 10)));
    CHECK_FALSE(b.intersects(BBox::of(3.5, 1.5, 10, 10)));
    CHECK_FALSE(is_valid_lonlat(LonLat{181, 0}));
    CHECK_FALSE(is_valid_lonlat(LonLat{std::nan(""), 0}));
}
