// Downloads of published stored data over HTTP (curl): the capabilities, the files with sizes and
// checksums (sha256sum as the reference), byte ranges compared with the file on disk, the GDAL
// conversions read back with the OGR API (feature counts and attribute values against the source
// GeoJSON read as JSON), path traversal and the /private family.

#include "unit/server/ogc_private_harness.hpp"

#include <set>

#include <gdal.h>
#include <ogr_api.h>

using namespace geoplex;
using namespace geoplex::test;

namespace {

struct Downloads {
    Live live;
    json source;
    fs::path vector_file, raster_file;  // the stored files on disk
    std::string private_offering;

    Downloads() {
        const fs::path vector = data_file("vector/departements-version-simplifiee.geojson");
        source = json::parse(slurp(vector));
        const json vstored = live.stored_from("VECTOR", vector, "data/departements.geojson", "EPSG:4326");
        const json rstored = live.stored_from("RASTER", data_file("raster/scan1000-gueret-200px.l93.tif"), "scan1000.tif", "EPSG:2154");
        vector_file = live.stored_file(vstored);
        raster_file = live.stored_file(rstored);
        live.publish("DOWNLOAD", "dep_dl", vstored, "geoplex-download", true);
        live.publish("DOWNLOAD", "scan_dl", rstored, "geoplex-download", true);
        private_offering = live.publish("DOWNLOAD", "dep_dl_priv", vstored, "geoplex-private-download", false)["_id"];
    }
};

Downloads& downloads() {
    static Downloads d;
    return d;
}

std::string sha256sum(const fs::path& p) {
    const std::string out = run_command("sha256sum " + quote(p.string()));
    return out.substr(0, out.find(' '));
}

/// (code, nom) of every feature of an OGR dataset's first layer, and the count OGR reports.
std::multiset<std::pair<std::string, std::string>> read_with_ogr(const std::string& path, GIntBig& count) {
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    REQUIRE(ds != nullptr);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    REQUIRE(l != nullptr);
    count = OGR_L_GetFeatureCount(l, TRUE);
    std::multiset<std::pair<std::string, std::string>> out;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l);
    const int code = OGR_FD_GetFieldIndex(defn, "code"), nom = OGR_FD_GetFieldIndex(defn, "nom");
    REQUIRE(code >= 0);
    REQUIRE(nom >= 0);
    OGR_L_ResetReading(l);
    while (OGRFeatureH f = OGR_L_GetNextFeature(l)) {
        CHECK(OGR_F_GetGeometryRef(f) != nullptr);
        out.emplace(OGR_F_GetFieldAsString(f, code), OGR_F_GetFieldAsString(f, nom));
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return out;
}

std::multiset<std::pair<std::string, std::string>> code_nom(const json& fc) {
    std::multiset<std::pair<std::string, std::string>> out;
    for (const auto& f : fc["features"]) out.emplace(f["properties"]["code"].get<std::string>(), f["properties"]["nom"].get<std::string>());
    return out;
}

bool empty_dir(const fs::path& p) { return !fs::exists(p) || fs::is_empty(p); }

}  // namespace

TEST_CASE("download capabilities and resources: files with sizes and SHA-256 checksums", "[download]") {
    auto& d = downloads();
    Http r = d.live.get("/telechargement/capabilities");
    REQUIRE(r.status == 200);
    const json caps = r.js();
    std::set<std::string> names;
    for (const auto& e : caps["resources"]) names.insert(e["name"].get<std::string>());
    CHECK(names == std::set<std::string>{"dep_dl", "scan_dl"});  // not the restricted one

    r = d.live.get("/telechargement/resource/dep_dl");
    REQUIRE(r.status == 200);
    const json res = r.js();
    CHECK(res["type"] == "vector");
    CHECK(res["title"] == "Titre dep_dl");
    REQUIRE(res["files"].size() == 1);
    const json f = res["files"][0];
    CHECK(f["name"] == d.vector_file.filename().string());
    CHECK(f["size"].get<std::uint64_t>() == fs::file_size(d.vector_file));
    CHECK(f["checksum"]["algorithm"] == "SHA-256");
    CHECK(f["checksum"]["value"] == sha256sum(d.vector_file));
    CHECK(f["href"] == d.live.base + "/telechargement/resource/dep_dl/" + d.vector_file.filename().string());
    CHECK(res["formats"].size() == 5);

    r = d.live.get("/telechargement/resource/scan_dl");
    REQUIRE(r.status == 200);
    CHECK(r.js()["type"] == "raster");
    CHECK(r.js()["files"][0]["checksum"]["value"] == sha256sum(d.raster_file));
    CHECK(r.js()["formats"].empty());
    CHECK(d.live.get("/telechargement/resource/nothing").status == 404);
}

TEST_CASE("download files whole and in byte ranges", "[download]") {
    auto& d = downloads();
    const std::string bytes = slurp(d.vector_file);
    const std::uint64_t size = bytes.size();
    REQUIRE(size > 4096);  // larger than the harness's buffered limit: the streamed path too
    const std::string url = "/telechargement/resource/dep_dl/" + d.vector_file.filename().string();

    Http r = d.live.get(url);
    REQUIRE(r.status == 200);
    CHECK(r.body == bytes);
    CHECK(r.header("accept-ranges") == "bytes");
    const std::string etag = r.header("etag");
    CHECK(etag == "\"" + sha256sum(d.vector_file) + "\"");

    // A closed range, an open one, a suffix, one past the end (clamped).
    r = d.live.get(url, "-H 'Range: bytes=100-1123'");
    CHECK(r.status == 206);
    CHECK(r.header("content-range") == fmt::format("bytes 100-1123/{}", size));
    CHECK(r.header("content-length") == "1024");
    CHECK(r.body == bytes.substr(100, 1024));
    r = d.live.get(url, fmt::format("-H 'Range: bytes={}-'", size - 777));
    CHECK(r.status == 206);
    CHECK(r.body == bytes.substr(size - 777));
    r = d.live.get(url, "-H 'Range: bytes=-500'");
    CHECK(r.status == 206);
    CHECK(r.header("content-range") == fmt::format("bytes {}-{}/{}", size - 500, size - 1, size));
    CHECK(r.body == bytes.substr(size - 500));
    r = d.live.get(url, fmt::format("-H 'Range: bytes=10-{}'", size + 1000));
    CHECK(r.status == 206);
    CHECK(r.body == bytes.substr(10));
    // A large range takes the streamed path (chunked), same bytes.
    r = d.live.get(url, "-H 'Range: bytes=0-'");
    CHECK(r.status == 206);
    CHECK(r.body == bytes);

    // Unsatisfiable: 416 with the size; several ranges: the whole file.
    r = d.live.get(url, fmt::format("-H 'Range: bytes={}-'", size));
    CHECK(r.status == 416);
    CHECK(r.header("content-range") == fmt::format("bytes */{}", size));
    CHECK(d.live.get(url, "-H 'Range: bytes=-0'").status == 416);
    r = d.live.get(url, "-H 'Range: bytes=0-9,20-29'");
    CHECK(r.status == 200);
    CHECK(r.body == bytes);
    // An invalid range header is ignored.
    CHECK(d.live.get(url, "-H 'Range: bytes=50-10'").status == 200);

    // HEAD gives the length (of bodies up to the buffered size); If-None-Match with the ETag is 304;
    // If-Range with another tag: whole file.
    r = d.live.get(url, "-I -H 'Range: bytes=0-1999'");
    CHECK(r.status == 206);
    CHECK(r.header("content-length") == "2000");
    CHECK(r.header("content-range") == fmt::format("bytes 0-1999/{}", size));
    CHECK(d.live.get(url, "-H " + quote("If-None-Match: " + etag)).status == 304);
    r = d.live.get(url, "-H 'Range: bytes=0-9' -H 'If-Range: \"other\"'");
    CHECK(r.status == 200);
    r = d.live.get(url, "-H 'Range: bytes=0-9' -H " + quote("If-Range: " + etag));
    CHECK(r.status == 206);
    CHECK(r.body == bytes.substr(0, 10));

    // The raster file too.
    const std::string raster = slurp(d.raster_file);
    r = d.live.get("/telechargement/resource/scan_dl/" + d.raster_file.filename().string(), "-H 'Range: bytes=0-15'");
    CHECK(r.status == 206);
    CHECK(r.body == raster.substr(0, 16));
}

TEST_CASE("download conversions through GDAL give the source's features", "[download]") {
    auto& d = downloads();
    const auto expected = code_nom(d.source);
    const std::size_t count = d.source["features"].size();
    const std::map<std::string, std::string> formats = {
        {"gpkg", "x.gpkg"}, {"geojson", "x.geojson"}, {"shapefile", "x.shp.zip"}, {"csv", "x.csv"}, {"flatgeobuf", "x.fgb"}};
    for (const auto& [format, file] : formats) {
        INFO(format);
        // From the resource and from its data file: the same conversion.
        for (const std::string& base : {std::string("/telechargement/resource/dep_dl"),
                                        "/telechargement/resource/dep_dl/" + d.vector_file.filename().string()}) {
            const Http r = d.live.get(base + "?format=" + format);
            REQUIRE(r.status == 200);
            CHECK(r.header("content-disposition").find("dep_dl") != std::string::npos);
            const fs::path out = d.live.dir / file;
            std::ofstream(out, std::ios::binary) << r.body;
            GIntBig n = 0;
            const std::string path = format == "shapefile" ? "/vsizip/" + out.string() : out.string();
            CHECK(read_with_ogr(path, n) == expected);
            CHECK(n == static_cast<GIntBig>(count));
            fs::remove(out);
            // The temporary directory of the conversion is gone once the response is sent.
            CHECK(empty_dir(d.live.conversions_dir()));
        }
    }
    Http r = d.live.get("/telechargement/resource/dep_dl?format=kml");
    CHECK(r.status == 400);
    CHECK(r.body.find("gpkg") != std::string::npos);
    r = d.live.get("/telechargement/resource/scan_dl?format=geojson");
    CHECK(r.status == 400);
    CHECK(r.body.find("raster") != std::string::npos);
    CHECK(empty_dir(d.live.conversions_dir()));
}

TEST_CASE("download paths never leave the stored data's directory", "[download]") {
    auto& d = downloads();
    const std::string base = "/telechargement/resource/dep_dl/";
    // A symlink inside the stored data's directory pointing elsewhere is neither listed nor served.
    const fs::path link = d.vector_file.parent_path() / "evil.gpkg";
    fs::create_symlink(d.raster_file, link);
    const Http listing = d.live.get("/telechargement/resource/dep_dl");
    REQUIRE(listing.status == 200);
    CHECK(listing.js()["files"].size() == 1);
    CHECK(d.live.get(base + "evil.gpkg").status == 404);
    fs::remove(link);
    for (const std::string& attack : {std::string(".."), std::string("%2e%2e"), std::string("%2E%2E"), std::string(".")}) {
        INFO(attack);
        const int s = d.live.get(base + attack, "--path-as-is").status;
        INFO(s);
        CHECK((s == 400 || s == 404));
    }
    for (const std::string& attack : {std::string("..%2f..%2fcatalog.sqlite"), std::string("%2e%2e%2f%2e%2e%2f%2e%2e%2fcatalog.sqlite"),
                                      std::string("%2fetc%2fpasswd"), std::string("..%5c..%5ccatalog.sqlite"),
                                      std::string("../../../catalog.sqlite"), std::string("catalog.sqlite")}) {
        INFO(attack);
        const Http r = d.live.get(base + attack, "--path-as-is");
        CHECK((r.status == 400 || r.status == 404));
        CHECK(r.body.find("SQLite format") == std::string::npos);
    }
    CHECK(d.live.get("/telechargement/resource/..%2f..%2fcatalog").status == 404);
}

TEST_CASE("private downloads need a key and an access", "[download][private]") {
    auto& d = downloads();
    const std::string url = "/private/telechargement/resource/dep_dl_priv/" + d.vector_file.filename().string();
    CHECK(d.live.get("/private/telechargement/capabilities").status == 401);
    CHECK(d.live.get(url).status == 401);
    CHECK(d.live.get("/telechargement/resource/dep_dl_priv").status == 404);  // not an open resource
    const auto [key_id, key] = d.live.key("downloads");
    CHECK(d.live.get(url + "?apikey=" + key).status == 403);
    Http r = d.live.get("/private/telechargement/capabilities?apikey=" + key);
    REQUIRE(r.status == 200);
    CHECK(r.js()["resources"].empty());
    d.live.grant(key_id, {d.private_offering});
    r = d.live.get("/private/telechargement/capabilities?apikey=" + key);
    REQUIRE(r.status == 200);
    REQUIRE(r.js()["resources"].size() == 1);
    CHECK(r.js()["resources"][0]["name"] == "dep_dl_priv");
    r = d.live.get("/private/telechargement/resource/dep_dl_priv", "-H " + quote("X-Key: " + key));
    REQUIRE(r.status == 200);
    CHECK(r.js()["files"][0]["checksum"]["value"] == sha256sum(d.vector_file));
    r = d.live.get(url + "?apikey=" + key, "-H 'Range: bytes=0-99'");
    CHECK(r.status == 206);
    CHECK(r.body == slurp(d.vector_file).substr(0, 100));
}
