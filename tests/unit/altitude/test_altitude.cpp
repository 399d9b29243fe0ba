// Library tests of the altitude component on real DEMs (../shared/data/dem). References are
// independent: gdallocationinfo (GDAL's own pixel selection) for nearest, a numpy
// implementation of the documented bilinear rule (numpy_reference.py), GDAL-written rasters.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <thread>

#include <toml++/toml.h>

#include "altitude/spec.hpp"
#include "geoplex/altitude/altitude.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/core/geometry.hpp"
#include "unit/altitude/helpers.hpp"

using namespace geoplex;
using namespace geoplex::test;
using altitude::Interpolation;
using altitude::Storage;

namespace {

constexpr double nd = altitude::default_nodata;

altitude::Altimetry build_and_open(const std::filesystem::path& dir, std::vector<altitude::ResourceConfig> resources) {
    altitude::BuildConfig cfg;
    cfg.resources = std::move(resources);
    altitude::Builder(cfg).build(dir);
    return altitude::Altimetry::open(dir);
}

struct DemCase {
    const char* label;
    const char* file;          // the source given to the builder
    const char* crs;           // override ("" = the file's)
    Storage storage;
    const char* gdal_file;     // what gdallocationinfo reads (a file with a CRS)
    double raw_nodata;         // the raster's own nodata value
};

}  // namespace

TEST_CASE("nearest equals gdallocationinfo and bilinear equals numpy on every DEM", "[altitude][data]") {
    const DemCase cases[] = {
        {"srtm N43E007 embed", "dem/N43E007.hgt", "", Storage::embed, "dem/N43E007.hgt", -32768},
        {"srtm N42E001 reference", "dem/N42E001.hgt", "", Storage::reference, "dem/N42E001.hgt", -32768},
        {"rgealti l93 embed", "dem/rgealti-1m-toulouse-200px.l93.tif", "", Storage::embed,
         "dem/rgealti-1m-toulouse-200px.l93.tif", -99999},
        {"rgealti l93 reference (deflate)", "dem/rgealti-1m-toulouse-200px.l93.tif", "", Storage::reference,
         "dem/rgealti-1m-toulouse-200px.l93.tif", -99999},
        {"mnt l93 embed", "dem/mnt-50m-hautesavoie-100px.l93.tif", "", Storage::embed,
         "dem/mnt-50m-hautesavoie-100px.l93.tif", -99999},
        {"mnt nocrs + EPSG:2154 embed", "dem/mnt-50m-hautesavoie-100px.nocrs.tif", "EPSG:2154", Storage::embed,
         "dem/mnt-50m-hautesavoie-100px.l93.tif", -99999},
        {"rgealti nocrs + EPSG:2154 reference", "dem/rgealti-1m-toulouse-200px.nocrs.tif", "EPSG:2154",
         Storage::reference, "dem/rgealti-1m-toulouse-200px.l93.tif", -99999},
    };
    unsigned seed = 1;
    for (const auto& c : cases) {
        SECTION(c.label) {
            TempDir tmp("geoplex-alt");
            auto alti = build_and_open(tmp / "altitude",
                                       {alt::resource("r", {alt::source("s", data_file(c.file), 0, c.storage, c.crs)})});
            const auto& info = alti.resource("r");
            REQUIRE(info.sources.size() == 1);
            REQUIRE(info.sources[0].storage == c.storage);
            const auto pts = alt::random_points(info.extent, 4000, 0.15, seed++);
            altitude::Query q(alti);
            std::vector<double> zn(pts.size()), zb(pts.size());
            std::vector<std::int32_t> sn(pts.size()), sb(pts.size());
            q.elevations("r", pts, zn, Interpolation::nearest, sn);
            q.elevations("r", pts, zb, Interpolation::bilinear, sb);

            const auto gli = alt::gdallocationinfo(data_file(c.gdal_file), pts, tmp.path());
            REQUIRE(gli.size() == pts.size());
            const auto ref = alt::numpy_reference(data_file(c.file), pts, tmp.path(), c.crs);
            REQUIRE(ref.bilinear.size() == pts.size());

            std::size_t covered = 0, uncovered = 0, nearest_mismatch = 0, bilinear_mismatch = 0, numpy_nearest_mismatch = 0;
            double worst = 0.0;
            for (std::size_t i = 0; i < pts.size(); ++i) {
                const bool gdal_covered = !std::isnan(gli[i]) && gli[i] != c.raw_nodata;
                if (gdal_covered) {
                    ++covered;
                    if (static_cast<float>(zn[i]) != static_cast<float>(gli[i]) || sn[i] != 0) {
                        if (nearest_mismatch++ == 0)
                            UNSCOPED_INFO(fmt::format("first nearest mismatch at ({:.17g}, {:.17g}): geoplex {} gdal {}",
                                                      pts[i].lon, pts[i].lat, zn[i], gli[i]));
                    }
                } else {
                    ++uncovered;
                    if (zn[i] != nd || sn[i] != -1) ++nearest_mismatch;
                }
                // numpy nearest agrees with GDAL too (validates the reference itself).
                if (std::isnan(ref.nearest[i]) == gdal_covered ||
                    (gdal_covered && static_cast<float>(ref.nearest[i]) != static_cast<float>(gli[i])))
                    ++numpy_nearest_mismatch;
                if (std::isnan(ref.bilinear[i])) {
                    if (zb[i] != nd || sb[i] != -1) ++bilinear_mismatch;
                } else {
                    const double d = std::fabs(zb[i] - ref.bilinear[i]);
                    worst = std::max(worst, d);
                    if (d > 1e-4 || sb[i] != 0) {
                        if (bilinear_mismatch++ == 0)
                            UNSCOPED_INFO(fmt::format("first bilinear mismatch at ({:.17g}, {:.17g}): geoplex {} numpy {}",
                                                      pts[i].lon, pts[i].lat, zb[i], ref.bilinear[i]));
                    }
                }
            }
            INFO(c.label << ": covered " << covered << ", uncovered " << uncovered << ", worst bilinear diff " << worst);
            CHECK(nearest_mismatch == 0);
            CHECK(numpy_nearest_mismatch == 0);
            CHECK(bilinear_mismatch == 0);
            // The sample must exercise both sides of the border.
            CHECK(covered > pts.size() / 2);
            CHECK(uncovered > 50);
        }
    }
}

TEST_CASE("points exactly on pixel edges and centres follow GDAL", "[altitude][data]") {
    TempDir tmp("geoplex-alt");
    auto alti = build_and_open(tmp / "altitude", {alt::resource("r", {alt::source("s", data_file("dem/N43E007.hgt"))})});
    const auto& s = alti.resource("r").sources[0];
    std::vector<LonLat> pts;
    for (int i = 0; i < 50; ++i) {
        // Pixel corners (edges) and centres computed from the geotransform, plus the raster corners.
        const double col = 37.0 * i, row = 23.0 * i + 5;
        pts.push_back({s.geotransform[0] + col * s.geotransform[1], s.geotransform[3] + row * s.geotransform[5]});
        pts.push_back({s.geotransform[0] + (col + 0.5) * s.geotransform[1], s.geotransform[3] + (row + 0.5) * s.geotransform[5]});
    }
    pts.push_back({s.geotransform[0], s.geotransform[3]});
    pts.push_back({s.geotransform[0] + 1201 * s.geotransform[1], s.geotransform[3] + 1201 * s.geotransform[5]});
    altitude::Query q(alti);
    std::vector<double> z(pts.size());
    q.elevations("r", pts, z, Interpolation::nearest);
    const auto gli = alt::gdallocationinfo(data_file("dem/N43E007.hgt"), pts, tmp.path());
    REQUIRE(gli.size() == pts.size());
    for (std::size_t i = 0; i < pts.size(); ++i) {
        INFO("point " << i << " (" << pts[i].lon << ", " << pts[i].lat << ")");
        if (std::isnan(gli[i])) CHECK(z[i] == nd);
        else CHECK(static_cast<float>(z[i]) == static_cast<float>(gli[i]));
    }
}

namespace {
/// A GDAL-written overlay raster over part of N43E007: values + 1000, Float32, nodata -9999
/// with a 50×50 hole. Written by GDAL's Python bindings (independent of geoplex).
std::filesystem::path make_overlay(const std::filesystem::path& dir) {
    const auto out = dir / "overlay.tif";
    const auto script = dir / "overlay.py";
    std::ofstream(script) << "from osgeo import gdal\nimport numpy as np\n"
                             "gdal.UseExceptions()\n"
                             "src = gdal.Open('" << data_file("dem/N43E007.hgt").string() << "')\n"
                             "a = src.GetRasterBand(1).ReadAsArray(300, 300, 200, 200).astype(np.float32) + 1000\n"
                             "a[50:100, 50:100] = -9999\n"
                             "gt = list(src.GetGeoTransform())\n"
                             "gt[0] += 300 * gt[1]; gt[3] += 300 * gt[5]\n"
                             "ds = gdal.GetDriverByName('GTiff').Create('" << out.string() << "', 200, 200, 1, gdal.GDT_Float32)\n"
                             "ds.SetGeoTransform(gt); ds.SetProjection(src.GetProjection())\n"
                             "b = ds.GetRasterBand(1); b.SetNoDataValue(-9999); b.WriteArray(a)\n"
                             "ds = None\n";
    alt::run("/usr/bin/python3 " + alt::quote(script));
    return out;
}
}  // namespace

TEST_CASE("sources are used in priority order with fallback outside and on nodata", "[altitude][data]") {
    TempDir tmp("geoplex-alt");
    const auto overlay = make_overlay(tmp.path());
    // Config order is the reverse of priority order on purpose.
    auto low = alt::source("srtm", data_file("dem/N43E007.hgt"), 1);
    low.accuracy = "low accuracy";
    auto high = alt::source("overlay", overlay, 5, Storage::reference);
    high.accuracy = "high accuracy";
    auto r = alt::resource("mix", {low, high});
    auto r2 = alt::resource("mix_nd", {alt::source("srtm", data_file("dem/N43E007.hgt"))});
    r2.nodata = -1234.5;
    auto alti = build_and_open(tmp / "altitude", {r, r2});
    const auto& info = alti.resource("mix");
    REQUIRE(info.sources.size() == 2);
    CHECK(info.sources[0].name == "overlay");
    CHECK(info.sources[1].name == "srtm");

    const auto& ov = info.sources[0];
    BBox ob = BBox::of(ov.geotransform[0], ov.geotransform[3] + 200 * ov.geotransform[5],
                       ov.geotransform[0] + 200 * ov.geotransform[1], ov.geotransform[3]);
    auto pts = alt::random_points(ob, 3000, 0.5, 42);
    pts.push_back({7.5, 45.0});  // outside both
    altitude::Query q(alti);
    std::vector<double> z(pts.size());
    std::vector<std::int32_t> src(pts.size());
    q.elevations("mix", pts, z, Interpolation::nearest, src);
    const auto g_over = alt::gdallocationinfo(overlay, pts, tmp.path());
    const auto g_srtm = alt::gdallocationinfo(data_file("dem/N43E007.hgt"), pts, tmp.path());
    std::size_t from_overlay = 0, from_hole = 0, from_outside = 0, bad = 0;
    for (std::size_t i = 0; i < pts.size(); ++i) {
        const bool over_ok = !std::isnan(g_over[i]) && g_over[i] != -9999;
        const bool srtm_ok = !std::isnan(g_srtm[i]) && g_srtm[i] != -32768;
        double expect = nd;
        std::int32_t expect_src = -1;
        if (over_ok) { expect = g_over[i]; expect_src = 0; ++from_overlay; }
        else if (srtm_ok) { expect = g_srtm[i]; expect_src = 1; (std::isnan(g_over[i]) ? from_outside : from_hole)++; }
        if (z[i] != expect || src[i] != expect_src) ++bad;
    }
    CHECK(bad == 0);
    CHECK(from_overlay > 100);
    CHECK(from_hole > 10);
    CHECK(from_outside > 100);
    CHECK(z.back() == nd);
    CHECK(src.back() == -1);

    SECTION("measures give every source's value") {
        std::vector<double> m(pts.size() * 2);
        q.measures("mix", pts, m, Interpolation::nearest);
        std::size_t mbad = 0;
        for (std::size_t i = 0; i < pts.size(); ++i) {
            const bool over_ok = !std::isnan(g_over[i]) && g_over[i] != -9999;
            const bool srtm_ok = !std::isnan(g_srtm[i]) && g_srtm[i] != -32768;
            if (m[i * 2] != (over_ok ? g_over[i] : nd)) ++mbad;
            if (m[i * 2 + 1] != (srtm_ok ? g_srtm[i] : nd)) ++mbad;
        }
        CHECK(mbad == 0);
    }
    SECTION("bilinear renormalises around the nodata hole exactly like the numpy reference") {
        auto alone = build_and_open(tmp / "alone", {alt::resource("o", {alt::source("o", overlay)})});
        altitude::Query qa(alone);
        std::vector<double> zb(pts.size());
        qa.elevations("o", pts, zb, Interpolation::bilinear);
        const auto ref = alt::numpy_reference(overlay, pts, tmp.path());
        std::size_t bbad = 0, near_hole = 0;
        for (std::size_t i = 0; i < pts.size(); ++i) {
            if (std::isnan(ref.bilinear[i])) { if (zb[i] != nd) ++bbad; continue; }
            if (std::fabs(zb[i] - ref.bilinear[i]) > 1e-4) ++bbad;
            if (zb[i] > 500 && std::fabs(zb[i] - ref.nearest[i]) > 0) ++near_hole;
        }
        CHECK(bbad == 0);
        CHECK(near_hole > 0);
    }
    SECTION("the resource's nodata value is configurable") {
        std::vector<double> z2(1);
        q.elevations("mix_nd", std::vector<LonLat>{{7.5, 45.0}}, z2);
        CHECK(z2[0] == -1234.5);
        std::vector<double> z3(1);
        q.elevations("mix_nd", std::vector<LonLat>{{std::nan(""), 43.5}}, z3);
        CHECK(z3[0] == -1234.5);
    }
}

TEST_CASE("unknown resource and size mismatches are errors, not misses", "[altitude][data]") {
    TempDir tmp("geoplex-alt");
    auto alti = build_and_open(tmp / "altitude", {alt::resource("r", {alt::source("s", data_file("dem/N43E007.hgt"))})});
    altitude::Query q(alti);
    std::vector<double> z(1);
    const std::vector<LonLat> p{{7.4, 43.7}};
    try {
        q.elevations("nope", p, z);
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.code() == errc::not_found);
    }
    CHECK(alti.find("nope") == nullptr);
    std::vector<double> z2(2);
    CHECK_THROWS_AS(q.elevations("r", p, z2), InvalidArgument);
    CHECK_THROWS_AS(q.elevation_line("r", p, 10), InvalidArgument);
}

TEST_CASE("elevation lines are equally spaced along the geodesic and sum climbs and descents", "[altitude][data]") {
    TempDir tmp("geoplex-alt");
    auto alti = build_and_open(tmp / "altitude", {alt::resource("r", {alt::source("s", data_file("dem/N43E007.hgt"))})});
    altitude::Query q(alti);
    // Monaco → Mont Agel → Menton, then out of the tile to the north (nodata samples).
    const std::vector<LonLat> line{{7.42, 43.73}, {7.43, 43.77}, {7.50, 43.78}, {7.52, 44.10}};
    const std::size_t n = 401;
    const auto el = q.elevation_line("r", line, n);
    REQUIRE(el.points.size() == n);
    REQUIRE(el.z.size() == n);
    REQUIRE(el.distances.size() == n);
    const double length = core::geodesic_length(line);
    CHECK(el.distances.front() == 0.0);
    CHECK(el.distances.back() == Approx(length).epsilon(1e-9));
    CHECK(el.points.front() == line.front());
    CHECK(el.points.back().lon == Approx(line.back().lon).margin(1e-9));
    CHECK(el.points.back().lat == Approx(line.back().lat).margin(1e-9));
    const double step = length / static_cast<double>(n - 1);
    double along = 0.0;
    for (std::size_t i = 1; i < n; ++i) {
        CHECK(el.distances[i] - el.distances[i - 1] == Approx(step).margin(1e-6));
        const double chord = core::geodesic_distance(el.points[i - 1], el.points[i]);
        CHECK(chord <= step + 1e-6);  // shorter only where the step turns at a vertex
        along += chord;
    }
    CHECK(along == Approx(length).epsilon(1e-3));
    // Elevations against the numpy reference, and sums recomputed directly from them.
    const auto ref = alt::numpy_reference(data_file("dem/N43E007.hgt"), el.points, tmp.path());
    double pos = 0, neg = 0, prev = std::nan("");
    std::size_t nodata_samples = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (std::isnan(ref.bilinear[i])) {
            CHECK(el.z[i] == nd);
            ++nodata_samples;
            continue;
        }
        CHECK(el.z[i] == Approx(ref.bilinear[i]).margin(1e-4));
        if (!std::isnan(prev)) {
            const double d = ref.bilinear[i] - prev;
            (d > 0 ? pos : neg) += std::fabs(d);
        }
        prev = ref.bilinear[i];
    }
    CHECK(nodata_samples > 10);
    CHECK(el.positive == Approx(pos).margin(1e-3));
    CHECK(el.negative == Approx(neg).margin(1e-3));
    CHECK(el.positive > 500);  // Mont Agel is ~1100 m above Monaco
    CHECK(el.negative > 100);

    SECTION("include_vertices merges the inner vertices") {
        const auto ev = q.elevation_line("r", line, 5, Interpolation::bilinear, true);
        CHECK(ev.points.size() == 7);
        CHECK(std::is_sorted(ev.distances.begin(), ev.distances.end()));
        CHECK(std::find(ev.points.begin(), ev.points.end(), line[1]) != ev.points.end());
    }
    SECTION("height_differences skips nodata") {
        const std::vector<double> z{100, nd, 150, 120, std::nan(""), 130};
        const auto hd = altitude::height_differences(z);
        CHECK(hd.positive == 60.0);
        CHECK(hd.negative == 30.0);
    }
}

TEST_CASE("corrupt or truncated bundle files are FormatErrors", "[altitude][data]") {
    TempDir tmp("geoplex-alt");
    const auto dir = tmp / "altitude";
    altitude::BuildConfig cfg;
    cfg.resources = {alt::resource("r", {alt::source("s", data_file("dem/N43E007.hgt"))})};
    altitude::Builder(cfg).build(dir);
    const auto dem = dir / "r.s.dem";
    REQUIRE(std::filesystem::exists(dem));
    const auto size = std::filesystem::file_size(dem);
    CHECK(size > 1201u * 1201u * 4u);
    REQUIRE_NOTHROW(altitude::Altimetry::open(dir, {.verify_checksums = true}));

    auto copy_to = [&](const std::string& name) {
        const auto d = tmp / name;
        std::filesystem::copy(dir, d);
        return d;
    };
    SECTION("truncated grid") {
        const auto d = copy_to("trunc");
        std::filesystem::resize_file(d / "r.s.dem", size - 4096);
        CHECK_THROWS_AS(altitude::Altimetry::open(d), FormatError);
    }
    SECTION("truncated header") {
        const auto d = copy_to("trunc-header");
        std::filesystem::resize_file(d / "r.s.dem", 40);
        CHECK_THROWS_AS(altitude::Altimetry::open(d), FormatError);
    }
    SECTION("flipped byte, detected by the checksum") {
        const auto d = copy_to("flip");
        {
            std::fstream f(d / "r.s.dem", std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(static_cast<std::streamoff>(size / 2));
            f.put('\x5a');
        }
        CHECK_THROWS_AS(altitude::Altimetry::open(d, {.verify_checksums = true}), FormatError);
    }
    SECTION("wrong magic") {
        const auto d = copy_to("magic");
        {
            std::fstream f(d / "r.s.dem", std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(0);
            f.write("NOTADEM!", 8);
        }
        CHECK_THROWS_AS(altitude::Altimetry::open(d), FormatError);
    }
    SECTION("garbage manifest") {
        const auto d = copy_to("manifest");
        std::ofstream(d / "resources.json") << "{\"format_version\": 1, \"resources\": [{\"id\": 3}]";
        CHECK_THROWS_AS(altitude::Altimetry::open(d), FormatError);
    }
    SECTION("missing grid file") {
        const auto d = copy_to("missing");
        std::filesystem::remove(d / "r.s.dem");
        CHECK_THROWS_AS(altitude::Altimetry::open(d), Error);
    }
}

TEST_CASE("configs report every problem", "[altitude]") {
    altitude::BuildConfig cfg;
    auto bad = alt::resource("bad id!", {});
    bad.nodata = std::nan("");
    auto dup = alt::resource("ok", {alt::source("a", "x.tif"), alt::source("a", ""), alt::source("", "y.tif")});
    dup.sources[0].band = 0;
    dup.sources[0].crs = "EPSG:999999999";
    cfg.resources = {bad, dup, alt::resource("ok", {alt::source("a", "z.tif")})};
    const auto problems = cfg.validate();
    auto has = [&](const std::string& needle) {
        return std::any_of(problems.begin(), problems.end(), [&](const std::string& p) { return p.find(needle) != p.npos; });
    };
    CHECK(has("resources[0].id"));
    CHECK(has("resources[0].nodata"));
    CHECK(has("resources[0].sources"));
    CHECK(has("resources[1].sources[1].name: 'a' is used twice"));
    CHECK(has("resources[1].sources[1].path"));
    CHECK(has("resources[1].sources[2].name"));
    CHECK(has("resources[1].sources[0].band"));
    CHECK(has("resources[1].sources[0].crs"));
    CHECK(has("resources[2].id: 'ok' is used twice"));
    try {
        altitude::Builder b(cfg);
        FAIL("no exception");
    } catch (const InvalidArgument& e) {
        CHECK(e.problems().size() == problems.size());
    }
}

TEST_CASE("a raster without CRS needs an override", "[altitude][data]") {
    TempDir tmp("geoplex-alt");
    altitude::BuildConfig cfg;
    cfg.resources = {alt::resource("r", {alt::source("s", data_file("dem/rgealti-1m-toulouse-200px.nocrs.tif"))})};
    try {
        altitude::Builder(cfg).build(tmp / "altitude");
        FAIL("no exception");
    } catch (const InvalidArgument& e) {
        CHECK(std::string(e.what()).find("no CRS") != std::string::npos);
    }
    cfg.resources[0].sources[0].path = tmp / "does-not-exist.tif";
    CHECK_THROWS_AS(altitude::Builder(cfg).build(tmp / "altitude2"), IoError);
}

TEST_CASE("build progress and cancellation go through the callbacks", "[altitude][data]") {
    TempDir tmp("geoplex-alt");
    altitude::BuildConfig cfg;
    cfg.resources = {alt::resource("r", {alt::source("s", data_file("dem/N43E007.hgt"))})};
    std::vector<std::tuple<std::string, std::uint64_t, std::uint64_t>> reports;
    core::Callbacks cb;
    cb.progress = [&](std::string_view task, std::uint64_t done, std::uint64_t total) { reports.emplace_back(task, done, total); };
    altitude::Builder(cfg).build(tmp / "a", cb);
    REQUIRE_FALSE(reports.empty());
    CHECK(std::get<0>(reports.back()) == "altitude: r/s");
    CHECK(std::get<1>(reports.back()) == 1201);
    CHECK(std::get<2>(reports.back()) == 1201);
    cb.cancel_requested = [] { return true; };
    try {
        altitude::Builder(cfg).build(tmp / "b", cb);
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.code() == errc::cancelled);
    }
}

TEST_CASE("queries from several threads agree", "[altitude][data]") {
    TempDir tmp("geoplex-alt");
    auto alti = build_and_open(tmp / "altitude",
                               {alt::resource("ref", {alt::source("s", data_file("dem/N42E001.hgt"), 0, Storage::reference)}),
                                alt::resource("emb", {alt::source("s", data_file("dem/N42E001.hgt"))})});
    const auto pts = alt::random_points(BBox::of(1.0, 42.0, 2.0, 43.0), 20000, 0.0, 7);
    std::vector<double> expect(pts.size());
    altitude::Query(alti).elevations("emb", pts, expect);
    std::vector<std::vector<double>> got(4, std::vector<double>(pts.size()));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            altitude::Query q(alti);
            q.elevations("ref", pts, got[static_cast<std::size_t>(t)]);
        });
    for (auto& t : threads) t.join();
    for (const auto& g : got) CHECK(g == expect);
}

TEST_CASE("the [altitude] section of a bundle spec", "[altitude][spec]") {
    SECTION("valid spec, relative paths resolved against the spec folder") {
        const auto t = toml::parse(R"(
[[resources]]
id = "srtm_monaco"
title = "SRTM 3 arc-second"
description = "desc"
keywords = ["Altitude"]
nodata = -9999
[[resources.sources]]
name = "srtm"
path = "dem/N43E007.hgt"
crs = "EPSG:4326"
priority = 1
storage = "reference"
title = "SRTM"
accuracy = "30 m"
)");
        const auto cfg = altitude::detail::config_from_toml(t, "/data/spec");
        REQUIRE(cfg.resources.size() == 1);
        const auto& r = cfg.resources[0];
        CHECK(r.id == "srtm_monaco");
        CHECK(r.nodata == -9999.0);
        CHECK(r.keywords == std::vector<std::string>{"Altitude"});
        REQUIRE(r.sources.size() == 1);
        CHECK(r.sources[0].path == std::filesystem::path("/data/spec/dem/N43E007.hgt"));
        CHECK(r.sources[0].storage == Storage::reference);
        CHECK(r.sources[0].priority == 1);
        CHECK(r.sources[0].crs == "EPSG:4326");
        CHECK(r.sources[0].accuracy == "30 m");
    }
    SECTION("every problem is listed") {
        const auto t = toml::parse(R"(
colour = "red"
[[resources]]
title = 3
keywords = "Altitude"
[[resources.sources]]
name = "a"
storage = "cloud"
priority = "high"
size = 4
)");
        try {
            (void)altitude::detail::config_from_toml(t, "/x");
            FAIL("no exception");
        } catch (const InvalidArgument& e) {
            const auto& p = e.problems();
            auto has = [&](const std::string& needle) {
                return std::any_of(p.begin(), p.end(), [&](const std::string& s) { return s.find(needle) != s.npos; });
            };
            CHECK(has("unknown key 'colour'"));
            CHECK(has("resources[0].id: missing"));
            CHECK(has("resources[0].title: must be a string"));
            CHECK(has("resources[0].keywords: must be an array of strings"));
            CHECK(has("sources[0].path: missing"));
            CHECK(has("sources[0].storage: 'cloud'"));
            CHECK(has("sources[0].priority: must be an integer"));
            CHECK(has("unknown key 'size'"));
        }
    }
}
