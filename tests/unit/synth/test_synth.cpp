// Tests of geoplex::synth. Every output is read back by an independent reader: libosmium and
// `osmium fileinfo` for the PBF, GDAL/OGR for the rasters and the GeoPackage, `cs2cs` (PROJ's
// command-line tool) for the Lambert-93 coordinates, toml++ for bundle.toml.

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <osmium/handler.hpp>
#include <osmium/io/pbf_input.hpp>
#include <osmium/io/reader.hpp>
#include <osmium/visitor.hpp>

#include <toml++/toml.h>

#include "geoplex/core/error.hpp"
#include "geoplex/synth/synth.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using geoplex::synth::Config;
using geoplex::synth::Summary;

namespace {

constexpr const char* ban_header =
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;"
    "nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;"
    "source_position;source_nom_voie;certification_commune;cad_parcelles";
const std::array<const char*, 6> output_files = {"roads.osm.pbf", "addresses.csv", "dem.tif",
                                                  "layers.gpkg",   "basemap.tif",   "bundle.toml"};

struct Generated {
    geoplex::test::TempDir dir{"geoplex-synth"};
    Summary summary;
    fs::path operator/(const char* name) const { return dir.path() / name; }
};

const Generated& village() {
    static const std::unique_ptr<Generated> g = [] {
        auto p = std::make_unique<Generated>();
        p->summary = geoplex::synth::generate(Config::from_size("village"), p->dir.path());
        return p;
    }();
    return *g;
}

std::string slurp(const fs::path& p) {
    std::string bytes(fs::file_size(p), '\0');
    std::ifstream in(p, std::ios::binary);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(in.good());
    return bytes;
}

std::vector<std::string> split(const std::string& line, char sep) {
    std::vector<std::string> out;
    std::string cur;
    for (char ch : line) {
        if (ch == sep) { out.push_back(cur); cur.clear(); }
        else cur += ch;
    }
    out.push_back(cur);
    return out;
}

std::string run(const std::string& command, int* status = nullptr) {
    std::string out;
    FILE* f = popen(command.c_str(), "r");
    REQUIRE(f != nullptr);
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    const int rc = pclose(f);
    if (status != nullptr) *status = rc;
    return out;
}

/// Everything the tests need from a PBF, read with libosmium.
struct OsmContent : osmium::handler::Handler {
    struct W { std::int64_t id; std::vector<std::int64_t> refs; std::map<std::string, std::string> tags; };
    struct R { std::int64_t id; std::vector<std::tuple<char, std::int64_t, std::string>> members; std::map<std::string, std::string> tags; };
    std::map<std::int64_t, osmium::Location> nodes;
    std::vector<W> ways;
    std::vector<R> relations;
    std::vector<int> order;  // 0 node, 1 way, 2 relation, in file order
    bool ids_ascending = true;
    std::int64_t last_id[3] = {0, 0, 0};

    void check(int type, std::int64_t id) {
        if (!order.empty() && order.back() != type) order.push_back(type);
        if (order.empty()) order.push_back(type);
        if (id <= last_id[type]) ids_ascending = false;
        last_id[type] = id;
    }
    std::map<std::int64_t, std::map<std::string, std::string>> node_tags;
    void node(const osmium::Node& n) {
        check(0, n.id());
        nodes[n.id()] = n.location();
        for (const auto& t : n.tags()) node_tags[n.id()][t.key()] = t.value();
    }
    void way(const osmium::Way& w) {
        check(1, w.id());
        W x{w.id(), {}, {}};
        for (const auto& r : w.nodes()) x.refs.push_back(r.ref());
        for (const auto& t : w.tags()) x.tags[t.key()] = t.value();
        ways.push_back(std::move(x));
    }
    void relation(const osmium::Relation& r) {
        check(2, r.id());
        R x{r.id(), {}, {}};
        for (const auto& m : r.members())
            x.members.emplace_back(osmium::item_type_to_char(m.type()), m.ref(), m.role());
        for (const auto& t : r.tags()) x.tags[t.key()] = t.value();
        relations.push_back(std::move(x));
    }
};

OsmContent read_osm(const fs::path& p) {
    OsmContent c;
    osmium::io::Reader reader{p.string()};
    osmium::apply(reader, c);
    reader.close();
    return c;
}

/// Pairs of segments of ways on the same layer that cross without a shared node (a routing graph
/// would silently miss such a junction). Bridges and tunnels carry another layer.
std::vector<std::string> unnoded_crossings(const OsmContent& osm) {
    struct Seg { std::int64_t a, b; int layer; std::int64_t way; };
    std::vector<Seg> segs;
    for (const auto& w : osm.ways) {
        const int layer = w.tags.count("layer") != 0 ? std::stoi(w.tags.at("layer")) : 0;
        for (std::size_t k = 0; k + 1 < w.refs.size(); ++k) segs.push_back({w.refs[k], w.refs[k + 1], layer, w.id});
    }
    constexpr double cell = 0.002;  // degrees
    std::map<std::pair<long, long>, std::vector<std::size_t>> grid;
    for (std::size_t i = 0; i < segs.size(); ++i) {
        const auto p = osm.nodes.at(segs[i].a), q = osm.nodes.at(segs[i].b);
        for (long x = std::lround(std::floor(std::min(p.lon(), q.lon()) / cell)); x <= std::lround(std::floor(std::max(p.lon(), q.lon()) / cell)); ++x)
            for (long y = std::lround(std::floor(std::min(p.lat(), q.lat()) / cell)); y <= std::lround(std::floor(std::max(p.lat(), q.lat()) / cell)); ++y)
                grid[{x, y}].push_back(i);
    }
    auto orient = [](const osmium::Location& a, const osmium::Location& b, const osmium::Location& c) {
        const double v = (b.lon() - a.lon()) * (c.lat() - a.lat()) - (b.lat() - a.lat()) * (c.lon() - a.lon());
        return v > 1e-14 ? 1 : (v < -1e-14 ? -1 : 0);
    };
    std::set<std::pair<std::size_t, std::size_t>> seen;
    std::vector<std::string> out;
    for (const auto& [key, ids] : grid) {
        for (std::size_t i = 0; i < ids.size(); ++i) {
            for (std::size_t j = i + 1; j < ids.size(); ++j) {
                const Seg& s = segs[ids[i]];
                const Seg& t = segs[ids[j]];
                if (s.layer != t.layer || s.a == t.a || s.a == t.b || s.b == t.a || s.b == t.b) continue;
                if (!seen.insert({std::min(ids[i], ids[j]), std::max(ids[i], ids[j])}).second) continue;
                const auto p1 = osm.nodes.at(s.a), p2 = osm.nodes.at(s.b), q1 = osm.nodes.at(t.a), q2 = osm.nodes.at(t.b);
                if (orient(p1, p2, q1) * orient(p1, p2, q2) < 0 && orient(q1, q2, p1) * orient(q1, q2, p2) < 0)
                    out.push_back("w" + std::to_string(s.way) + " x w" + std::to_string(t.way));
            }
        }
    }
    return out;
}

struct GdalCloser {
    void operator()(GDALDataset* d) const { GDALClose(GDALDataset::ToHandle(d)); }
};
using Dataset = std::unique_ptr<GDALDataset, GdalCloser>;
Dataset open(const fs::path& p, unsigned flags) {
    GDALAllRegister();
    Dataset d(GDALDataset::Open(p.string().c_str(), flags | GDAL_OF_READONLY));
    REQUIRE(d);
    return d;
}
bool is_wgs84(const OGRSpatialReference* srs) {
    return srs != nullptr && srs->GetAuthorityCode(nullptr) != nullptr && std::string(srs->GetAuthorityCode(nullptr)) == "4326";
}

}  // namespace

TEST_CASE("Config presets and validation", "[synth]") {
    CHECK(Config::from_size("village").road_nodes == 1'000);
    CHECK(Config::from_size("town").road_nodes == 20'000);
    CHECK(Config::from_size("city").road_nodes == 200'000);
    CHECK(Config::from_size("region").road_nodes == 1'000'000);
    CHECK(Config::from_size("5000000-nodes").road_nodes == 5'000'000);
    CHECK(Config::from_size("town").effective_label() == "town");
    CHECK(Config{}.effective_label() == "town");
    Config c;
    c.road_nodes = 1234;
    CHECK(c.effective_label() == "1234-nodes");
    CHECK_THROWS_AS(Config::from_size("metropolis"), geoplex::InvalidArgument);
    CHECK_THROWS_AS(Config::from_size("12x-nodes"), geoplex::InvalidArgument);
    CHECK_THROWS_AS(Config::from_size("-nodes"), geoplex::InvalidArgument);
    CHECK_THROWS_AS(Config::from_size("10-nodes"), geoplex::InvalidArgument);  // below the minimum
    try {
        (void)Config::from_size("metropolis");
    } catch (const geoplex::InvalidArgument& e) {
        CHECK_THAT(e.what(), Catch::Contains("village") && Catch::Contains("-nodes"));
    }

    Config bad;
    bad.road_nodes = 3;
    bad.origin = {-75.0, 40.0};
    bad.dem_resolution_m = 0;
    bad.write_dem = false;  // and write_bundle stays true
    try {
        bad.validate();
        FAIL("validate() accepted a bad config");
    } catch (const geoplex::InvalidArgument& e) {
        CHECK(e.problems().size() == 4);
        CHECK(e.code() == geoplex::errc::invalid_argument);
    }
    CHECK_NOTHROW(Config{}.validate());
}

TEST_CASE("village: every output exists and generation is deterministic", "[synth]") {
    const Generated& a = village();
    for (const char* f : output_files) {
        INFO(f);
        REQUIRE(fs::exists(a / f));
        CHECK(fs::file_size(a / f) > 0);
    }
    Generated b;
    b.summary = geoplex::synth::generate(Config::from_size("village"), b.dir.path());
    for (const char* f : output_files) {
        INFO(f);
        CHECK(slurp(a / f) == slurp(b / f));
    }
    CHECK(a.summary.nodes == b.summary.nodes);

    Config other = Config::from_size("village");
    other.seed = 2;
    Generated c;
    c.summary = geoplex::synth::generate(other, c.dir.path());
    CHECK(slurp(a / "roads.osm.pbf") != slurp(c / "roads.osm.pbf"));
    CHECK(slurp(a / "addresses.csv") != slurp(c / "addresses.csv"));
    CHECK(slurp(a / "dem.tif") != slurp(c / "dem.tif"));
    CHECK_THAT(slurp(c / "bundle.toml"), Catch::Contains("name = \"synthetic-village-seed-2\""));
}

TEST_CASE("village: roads.osm.pbf read back with libosmium", "[synth]") {
    const Generated& g = village();
    const OsmContent osm = read_osm(g / "roads.osm.pbf");
    CHECK(osm.nodes.size() == g.summary.nodes);
    CHECK(osm.ways.size() == g.summary.ways);
    CHECK(osm.relations.size() == g.summary.relations);
    CHECK(osm.nodes.size() >= 900);
    CHECK(osm.nodes.size() <= 1100);
    CHECK(osm.ids_ascending);
    CHECK(osm.order == std::vector<int>{0, 1, 2});

    // Ref-complete, inside the bbox, and no way reuses a node twice in a row.
    const geoplex::BBox& box = g.summary.bbox;
    for (const auto& [id, loc] : osm.nodes) {
        INFO("node " << id);
        REQUIRE(loc.valid());
        CHECK(box.contains(loc.lon(), loc.lat()));
    }
    std::map<std::string, int> highway;
    std::map<std::string, int> tag_count;
    std::set<std::int64_t> river_nodes;
    for (const auto& w : osm.ways) {
        INFO("way " << w.id);
        CHECK(w.refs.size() >= 2);
        for (std::size_t k = 0; k < w.refs.size(); ++k) {
            CHECK(osm.nodes.count(w.refs[k]) == 1);
            if (k > 0) CHECK(w.refs[k] != w.refs[k - 1]);
        }
        if (auto it = w.tags.find("highway"); it != w.tags.end()) ++highway[it->second];
        for (const auto& [k, v] : w.tags) ++tag_count[k + "=" + v], ++tag_count[k];
        if (w.tags.count("junction") != 0) {
            CHECK(w.tags.at("junction") == "roundabout");
            CHECK(w.refs.front() == w.refs.back());
            CHECK(w.refs.size() >= 5);
        }
        if (w.tags.count("bridge") != 0) CHECK(w.tags.at("layer") == "1");
        if (w.tags.count("tunnel") != 0) CHECK(w.tags.at("layer") == "-1");
        if (w.tags.count("highway") != 0 && w.tags.at("highway") == "motorway") {
            CHECK(w.tags.at("oneway") == "yes");
            CHECK(w.tags.at("toll") == "yes");
            CHECK(w.tags.count("ref") == 1);
        }
        if (w.tags.count("waterway") != 0) river_nodes.insert(w.refs.begin(), w.refs.end());
    }
    for (const char* cls : {"motorway", "motorway_link", "primary", "secondary", "tertiary", "residential", "service",
                            "track", "footway", "path"}) {
        INFO(cls);
        CHECK(highway[cls] > 0);
    }
    CHECK(highway["residential"] > highway["primary"]);
    for (const char* t : {"oneway=yes", "junction=roundabout", "bridge=yes", "tunnel=yes", "toll=yes", "name", "maxspeed",
                          "ref", "waterway=river"}) {
        INFO(t);
        CHECK(tag_count[t] > 0);
    }
    // French street names of the expected kinds.
    std::set<std::string> kinds;
    for (const auto& w : osm.ways)
        if (auto it = w.tags.find("name"); it != w.tags.end()) kinds.insert(it->second.substr(0, it->second.find(' ')));
    for (const char* k : {"Rue", "Impasse", "Place"}) {
        INFO(k);
        CHECK(kinds.count(k) == 1);
    }
    // A bridge crosses the river: some bridge lies close to a river node.
    bool bridge_over_river = false;
    for (const auto& w : osm.ways) {
        if (w.tags.count("bridge") == 0) continue;
        const auto a = osm.nodes.at(w.refs.front()), b = osm.nodes.at(w.refs.back());
        for (std::int64_t r : river_nodes) {
            const auto q = osm.nodes.at(r);
            if (std::abs(q.lon() - (a.lon() + b.lon()) / 2) < 0.004 && std::abs(q.lat() - (a.lat() + b.lat()) / 2) < 0.004)
                bridge_over_river = true;
        }
    }
    CHECK(bridge_over_river);

    // Ways on one layer only cross at shared nodes; the river is crossed by bridges only.
    const auto crossings = unnoded_crossings(osm);
    INFO((crossings.empty() ? std::string() : crossings.front()));
    CHECK(crossings.empty());

    // Tagged nodes: one place per commune, motorway exits, traffic signals.
    std::map<std::string, int> node_kinds;
    std::set<std::string> insee_codes;
    for (const auto& [id, tags] : osm.node_tags) {
        if (tags.count("place") != 0) {
            ++node_kinds["place"];
            CHECK(tags.count("name") == 1);
            insee_codes.insert(tags.at("ref:INSEE"));
        }
        if (tags.count("highway") != 0) ++node_kinds[tags.at("highway")];
    }
    CHECK(static_cast<std::uint64_t>(node_kinds["place"]) == g.summary.communes);
    CHECK(insee_codes.size() == g.summary.communes);
    CHECK(node_kinds["motorway_junction"] > 0);

    // Turn restrictions: from/to ways start or end at the via node.
    REQUIRE(osm.relations.size() >= 2);
    std::map<std::int64_t, const OsmContent::W*> by_id;
    for (const auto& w : osm.ways) by_id[w.id] = &w;
    std::set<std::string> kinds_seen;
    for (const auto& r : osm.relations) {
        INFO("relation " << r.id);
        CHECK(r.tags.at("type") == "restriction");
        kinds_seen.insert(r.tags.at("restriction"));
        REQUIRE(r.members.size() == 3);
        const auto& [ft, from, frole] = r.members[0];
        const auto& [vt, via, vrole] = r.members[1];
        const auto& [tt, to, trole] = r.members[2];
        CHECK(ft == 'w');
        CHECK(frole == "from");
        CHECK(vt == 'n');
        CHECK(vrole == "via");
        CHECK(tt == 'w');
        CHECK(trole == "to");
        REQUIRE(by_id.count(from) == 1);
        REQUIRE(by_id.count(to) == 1);
        for (const auto* w : {by_id[from], by_id[to]}) {
            CHECK((w->refs.front() == via || w->refs.back() == via));
            CHECK(w->tags.count("highway") == 1);
        }
    }
    CHECK(kinds_seen.count("no_left_turn") == 1);
    CHECK(kinds_seen.count("only_straight_on") == 1);
}

TEST_CASE("village: osmium fileinfo accepts the PBF", "[synth]") {
    const Generated& g = village();
    int status = -1;
    const std::string out = run("osmium fileinfo -e '" + (g / "roads.osm.pbf").string() + "' 2>&1", &status);
    INFO(out);
    REQUIRE(status == 0);
    CHECK_THAT(out, Catch::Contains("Objects ordered (by type and id): yes"));
    CHECK_THAT(out, Catch::Contains("Number of nodes: " + std::to_string(g.summary.nodes)));
    CHECK_THAT(out, Catch::Contains("First: 2024-01-01T00:00:00Z"));
    CHECK_THAT(out, Catch::Contains("Last: 2024-01-01T00:00:00Z"));
    status = -1;
    const std::string refs = run("osmium check-refs -r '" + (g / "roads.osm.pbf").string() + "' 2>&1", &status);
    INFO(refs);
    CHECK(status == 0);
}

TEST_CASE("village: addresses.csv in the BAN format", "[synth]") {
    const Generated& g = village();
    std::ifstream in(g / "addresses.csv", std::ios::binary);
    std::string line;
    REQUIRE(std::getline(in, line));
    CHECK(line == ban_header);
    if (auto data = geoplex::test::test_data_dir()) {  // the real BAN file, when available
        std::ifstream bondy(*data / "addresses/adresses-93010-bondy.csv", std::ios::binary);
        std::string real;
        if (std::getline(bondy, real)) CHECK(line == real);
    }
    const auto columns = split(line, ';');
    REQUIRE(columns.size() == 23);
    std::map<std::string, std::size_t> col;
    for (std::size_t i = 0; i < columns.size(); ++i) col[columns[i]] = i;

    std::unordered_set<std::string> ids;
    std::map<std::string, int> reps;
    std::map<std::string, std::pair<int, int>> last_number;  // street → last odd, last even
    std::vector<std::array<double, 4>> sample;               // lon, lat, x, y
    std::uint64_t rows = 0;
    bool increasing = true;
    const geoplex::BBox& box = g.summary.bbox;
    while (std::getline(in, line)) {
        ++rows;
        const auto f = split(line, ';');
        REQUIRE(f.size() == 23);
        CHECK(ids.insert(f[col["id"]]).second);
        const std::string& insee = f[col["code_insee"]];
        const int number = std::stoi(f[col["numero"]]);
        const std::string& rep = f[col["rep"]];
        ++reps[rep];
        std::string expected_id = f[col["id_fantoir"]] + "_" + std::string(5 - std::min<std::size_t>(5, f[col["numero"]].size()), '0') +
                                  f[col["numero"]] + (rep.empty() ? "" : "_" + rep);
        CHECK(f[col["id"]] == expected_id);
        CHECK(f[col["id_fantoir"]].rfind(insee + "_", 0) == 0);
        CHECK(insee.size() == 5);
        CHECK(f[col["code_postal"]].size() == 5);
        CHECK(f[col["code_postal"]].substr(0, 2) == insee.substr(0, 2));
        CHECK(!f[col["nom_voie"]].empty());
        const std::string& afnor = f[col["nom_afnor"]];
        CHECK(std::all_of(afnor.begin(), afnor.end(), [](char ch) {
            return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == ' ';
        }));
        const double lon = std::stod(f[col["lon"]]), lat = std::stod(f[col["lat"]]);
        CHECK(box.contains(lon, lat));
        if (rep.empty()) {
            auto& [odd, even] = last_number[f[col["id_fantoir"]]];
            int& last = number % 2 == 1 ? odd : even;
            if (number <= last) increasing = false;
            last = number;
        }
        if (rows % 37 == 1) sample.push_back({lon, lat, std::stod(f[col["x"]]), std::stod(f[col["y"]])});
    }
    CHECK(rows == g.summary.addresses);
    CHECK(rows > 1000);
    CHECK(increasing);
    CHECK(reps["bis"] > 0);
    CHECK(reps["ter"] > 0);
    CHECK(reps[""] > 10 * reps["bis"]);  // a few percent, as in the BAN

    // x/y are Lambert-93 of lon/lat, checked with PROJ's cs2cs (EPSG:4326 takes lat first).
    const geoplex::test::TempDir tmp("geoplex-synth-cs2cs");
    {
        std::ofstream pts(tmp / "pts.txt");
        pts.precision(10);
        for (const auto& s : sample) pts << s[1] << ' ' << s[0] << '\n';
    }
    int status = -1;
    const std::string out = run("cs2cs -f %.4f EPSG:4326 EPSG:2154 < '" + (tmp / "pts.txt").string() + "'", &status);
    REQUIRE(status == 0);
    std::istringstream res(out);
    for (const auto& s : sample) {
        double x = 0, y = 0, z = 0;
        REQUIRE(res >> x >> y >> z);
        CHECK(std::abs(x - s[2]) < 0.011);
        CHECK(std::abs(y - s[3]) < 0.011);
    }
}

TEST_CASE("village: dem.tif and basemap.tif read with GDAL", "[synth]") {
    const Generated& g = village();
    const Dataset dem = open(g / "dem.tif", GDAL_OF_RASTER);
    CHECK(dem->GetRasterCount() == 1);
    CHECK(static_cast<std::uint32_t>(dem->GetRasterXSize()) == g.summary.dem_width);
    CHECK(static_cast<std::uint32_t>(dem->GetRasterYSize()) == g.summary.dem_height);
    CHECK(is_wgs84(dem->GetSpatialRef()));
    GDALRasterBand* band = dem->GetRasterBand(1);
    CHECK(band->GetRasterDataType() == GDT_Float32);
    int has_nodata = 0;
    CHECK(band->GetNoDataValue(&has_nodata) == -9999.0);
    CHECK(has_nodata == 1);
    int bx = 0, by = 0;
    band->GetBlockSize(&bx, &by);
    CHECK(bx == 256);
    CHECK(by == 256);
    CHECK(std::string(dem->GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE")) == "DEFLATE");
    double gt[6];
    REQUIRE(dem->GetGeoTransform(gt) == CE_None);
    const geoplex::BBox& box = g.summary.bbox;
    CHECK(gt[0] < box.min_x);
    CHECK(gt[3] > box.max_y);
    CHECK(gt[0] + gt[1] * dem->GetRasterXSize() > box.max_x);
    CHECK(gt[3] + gt[5] * dem->GetRasterYSize() < box.min_y);
    const int w = dem->GetRasterXSize(), h = dem->GetRasterYSize();
    std::vector<float> z(static_cast<std::size_t>(w) * h);
    REQUIRE(band->RasterIO(GF_Read, 0, 0, w, h, z.data(), w, h, GDT_Float32, 0, 0, nullptr) == CE_None);
    const auto [lo, hi] = std::minmax_element(z.begin(), z.end());
    CHECK(*lo > 0.0F);      // no nodata, plausible Massif central heights
    CHECK(*hi < 1500.0F);
    CHECK(*hi - *lo > 50.0F);
    // Smooth: neighbouring pixels 25 m apart never differ by more than a steep slope would.
    float max_step = 0;
    for (int r = 0; r < h; ++r)
        for (int c = 1; c < w; ++c) max_step = std::max(max_step, std::abs(z[r * w + c] - z[r * w + c - 1]));
    CHECK(max_step < 25.0F);

    // Consistency with the network: the river runs in a valley.
    const OsmContent osm = read_osm(g / "roads.osm.pbf");
    auto sample = [&](const osmium::Location& l) {
        const int c = static_cast<int>((l.lon() - gt[0]) / gt[1]), r = static_cast<int>((l.lat() - gt[3]) / gt[5]);
        return z[static_cast<std::size_t>(r) * w + c];
    };
    double river = 0, all = 0;
    int nr = 0, na = 0;
    for (const auto& wy : osm.ways) {
        for (auto id : wy.refs) {
            const float v = sample(osm.nodes.at(id));
            if (wy.tags.count("waterway") != 0) river += v, ++nr;
            else all += v, ++na;
        }
    }
    REQUIRE(nr > 0);
    CHECK(river / nr < all / na - 20.0);

    const Dataset map = open(g / "basemap.tif", GDAL_OF_RASTER);
    CHECK(map->GetRasterCount() == 3);
    CHECK(static_cast<std::uint32_t>(map->GetRasterXSize()) == g.summary.basemap_width);
    CHECK(map->GetRasterBand(1)->GetRasterDataType() == GDT_Byte);
    CHECK(map->GetRasterBand(1)->GetColorInterpretation() == GCI_RedBand);
    CHECK(is_wgs84(map->GetSpatialRef()));
}

TEST_CASE("village: layers.gpkg read with OGR", "[synth]") {
    const Generated& g = village();
    const Dataset ds = open(g / "layers.gpkg", GDAL_OF_VECTOR);
    OGRLayer* communes = ds->GetLayerByName("communes");
    OGRLayer* pois = ds->GetLayerByName("pois");
    REQUIRE(communes != nullptr);
    REQUIRE(pois != nullptr);
    CHECK(static_cast<std::uint64_t>(communes->GetFeatureCount()) == g.summary.communes);
    CHECK(static_cast<std::uint64_t>(pois->GetFeatureCount()) == g.summary.pois);
    CHECK(is_wgs84(communes->GetSpatialRef()));
    CHECK(communes->GetGeomType() == wkbPolygon);
    CHECK(pois->GetGeomType() == wkbPoint);

    std::map<std::string, std::unique_ptr<OGRGeometry>> shapes;
    double area = 0;
    communes->ResetReading();
    while (OGRFeature* f = communes->GetNextFeature()) {
        const std::string code = f->GetFieldAsString("code_insee");
        CHECK(std::string(f->GetFieldAsString("nom")).size() > 2);
        CHECK(f->GetFieldAsInteger("population") > 0);
        OGRGeometry* geom = f->GetGeometryRef();
        REQUIRE(geom != nullptr);
        CHECK(geom->IsValid());
        area += geom->toPolygon()->get_Area();
        shapes[code].reset(geom->clone());
        OGRFeature::DestroyFeature(f);
    }
    // The communes tile the territory.
    const geoplex::BBox& b = g.summary.bbox;
    CHECK(area == Approx((b.max_x - b.min_x) * (b.max_y - b.min_y)).epsilon(1e-4));  // bbox padded by 1e-6°
    std::set<std::string> categories;
    pois->ResetReading();
    while (OGRFeature* f = pois->GetNextFeature()) {
        categories.insert(f->GetFieldAsString("categorie"));
        const std::string code = f->GetFieldAsString("code_insee");
        REQUIRE(shapes.count(code) == 1);
        CHECK(shapes[code]->Contains(f->GetGeometryRef()));  // each POI lies in its commune
        OGRFeature::DestroyFeature(f);
    }
    for (const char* c : {"mairie", "école", "boulangerie", "église"}) {
        INFO(c);
        CHECK(categories.count(c) == 1);
    }
}

TEST_CASE("village: bundle.toml references the DEM", "[synth]") {
    const Generated& g = village();
    const toml::table t = toml::parse_file((g / "bundle.toml").string());
    CHECK(t["name"].value_or(std::string()) == "synthetic-village-seed-1");
    const auto* src = t["altitude"]["resources"][0]["sources"][0].as_table();
    REQUIRE(src != nullptr);
    CHECK((*src)["path"].value_or(std::string()) == "dem.tif");
    CHECK((*src)["storage"].value_or(std::string()) == "embed");
    CHECK((*src)["priority"].value_or(0) == 1);
    CHECK(t["altitude"]["resources"][0]["id"].value_or(std::string()) == "synth_dem");
    CHECK(fs::exists(g / "dem.tif"));
}

TEST_CASE("town: node count near the target; progress and cancellation", "[synth]") {
    Config c = Config::from_size("town");
    c.seed = 7;
    c.write_addresses = c.write_dem = c.write_layers = c.write_basemap = c.write_bundle = false;
    const geoplex::test::TempDir dir("geoplex-synth-town");
    std::uint64_t last_done = 0, last_total = 0;
    bool monotonic = true;
    geoplex::core::Callbacks cb;
    cb.progress = [&](std::string_view task, std::uint64_t done, std::uint64_t total) {
        if (task != "synth: roads") return;
        if (done < last_done) monotonic = false;
        last_done = done;
        last_total = total;
    };
    const Summary s = geoplex::synth::generate(c, dir.path(), cb);
    CHECK(monotonic);
    CHECK(last_total > 0);
    CHECK(last_done == last_total);
    const OsmContent osm = read_osm(dir / "roads.osm.pbf");
    CHECK(osm.nodes.size() == s.nodes);
    CHECK(osm.nodes.size() >= 18'000);
    CHECK(osm.nodes.size() <= 22'000);
    CHECK(osm.relations.size() >= 4);
    const auto crossings = unnoded_crossings(osm);
    INFO(crossings.size() << " crossings, first " << (crossings.empty() ? std::string() : crossings.front()));
    CHECK(crossings.empty());
    std::size_t signals = 0;
    for (const auto& [id, tags] : osm.node_tags)
        if (tags.count("highway") != 0 && tags.at("highway") == "traffic_signals") ++signals;
    CHECK(signals > 0);
    CHECK_FALSE(fs::exists(dir / "addresses.csv"));
    CHECK_FALSE(fs::exists(dir / "dem.tif"));
    CHECK_THAT(s.to_string(), Catch::Contains("nodes") && Catch::Contains("roads.osm.pbf"));

    geoplex::core::Callbacks cancel;
    int polls = 0;
    cancel.cancel_requested = [&] { return ++polls > 3; };
    const geoplex::test::TempDir dir2("geoplex-synth-cancel");
    try {
        (void)geoplex::synth::generate(c, dir2.path(), cancel);
        FAIL("generate() ignored cancellation");
    } catch (const geoplex::Error& e) {
        CHECK(e.code() == geoplex::errc::cancelled);
    }
}

TEST_CASE("village: bundle.toml declares a component for every source it wrote", "[synth]") {
    const Generated& g = village();
    const toml::table t = toml::parse_file((g / "bundle.toml").string());
    CHECK(t["routing"]["resources"][0]["path"].value_or(std::string()) == "roads.osm.pbf");
    CHECK(t["geocoder"]["sources"][0]["format"].value_or(std::string()) == "ban-csv");
    CHECK(t["geocoder"]["sources"][0]["path"].value_or(std::string()) == "addresses.csv");
    CHECK(t["tiles"]["raster"][0]["path"].value_or(std::string()) == "basemap.tif");
    CHECK(t["tiles"]["vector"][0]["path"].value_or(std::string()) == "layers.gpkg");
    for (const char* f : {"roads.osm.pbf", "addresses.csv", "basemap.tif", "layers.gpkg"}) CHECK(fs::exists(g / f));
}
