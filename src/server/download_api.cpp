// Downloads of published stored data: resources, files with checksums, HTTP ranges and GDAL
// conversions. See include/geoplex/server/download_api.hpp and docs/ogc-services.md.

#include "geoplex/server/download_api.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <vector>

#include <cpl_error.h>
#include <gdal.h>
#include <gdal_utils.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "geoplex/core/error.hpp"
#include "geoplex/tiles/tiles.hpp"
#include "server/ows_common.hpp"

namespace geoplex::server {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

// ---- the stored data of a resource -------------------------------------------------------------

struct Resource {
    std::string name, title, description;
    bool vector = false;
    fs::path data;  ///< the stored data's main file (the layer's source)
    fs::path dir;   ///< its directory: the files offered
    BBox bounds;
};

Resource resource_of(const tiles::Tileset& ts, const std::string& name) {
    Resource r;
    r.name = name;
    const auto* info = ts.find(name);
    if (info != nullptr) {
        r.title = info->title;
        r.description = info->description;
        r.bounds = info->bounds;
    }
    if (const auto* v = ts.vector_config(name)) {
        r.vector = true;
        r.data = v->path;
    } else if (const auto* ra = ts.raster_config(name)) {
        r.data = ra->path;
    } else {
        throw HttpError(404, fmt::format("no resource '{}'", name), {}, "NOT_FOUND");
    }
    r.dir = r.data.parent_path();
    return r;
}

struct FileEntry {
    std::string name;
    std::uint64_t size = 0;
};

/// The regular files directly in the stored data's directory (symlinks and directories are not
/// offered), by name. GDAL's transient side files are left out.
std::vector<FileEntry> files_of(const Resource& r) {
    std::vector<FileEntry> out;
    std::error_code ec;
    for (fs::directory_iterator it(r.dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto st = it->symlink_status(ec);
        if (ec || !fs::is_regular_file(st)) continue;
        const std::string name = it->path().filename().string();
        if (name.ends_with("-wal") || name.ends_with("-shm") || name.ends_with("-journal") || name.ends_with(".aux.xml")) continue;
        const auto size = it->file_size(ec);
        if (ec) continue;
        out.push_back(FileEntry{name, static_cast<std::uint64_t>(size)});
    }
    std::sort(out.begin(), out.end(), [](const FileEntry& a, const FileEntry& b) { return a.name < b.name; });
    return out;
}

/// SHA-256 of a file, computed once per (path, size, modification time).
class Checksums {
public:
    std::string of(const fs::path& path) {
        std::error_code ec;
        const auto size = fs::file_size(path, ec);
        const auto mtime = fs::last_write_time(path, ec);
        if (ec) throw HttpError(404, "file not found", {}, "NOT_FOUND");
        const std::string key = fmt::format("{}\n{}\n{}", path.string(), size, mtime.time_since_epoch().count());
        {
            std::lock_guard lock(m_mutex);
            if (auto it = m_cache.find(key); it != m_cache.end()) return it->second;
        }
        const std::string hex = compute(path);
        std::lock_guard lock(m_mutex);
        if (m_cache.size() > 4096) m_cache.clear();
        m_cache.emplace(key, hex);
        return hex;
    }

private:
    static std::string compute(const fs::path& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw IoError(fmt::format("cannot read '{}'", path.string()));
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
            EVP_MD_CTX_free(ctx);
            throw Error(errc::internal, "SHA-256 unavailable");
        }
        std::vector<char> buf(1U << 20U);
        while (in) {
            in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
            const auto n = in.gcount();
            if (n > 0) EVP_DigestUpdate(ctx, buf.data(), static_cast<std::size_t>(n));
        }
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(ctx, md, &len);
        EVP_MD_CTX_free(ctx);
        std::string hex;
        for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
        return hex;
    }

    std::mutex m_mutex;
    std::map<std::string, std::string> m_cache;
};

// ---- conversions ---------------------------------------------------------------------------------

struct Conversion {
    const char* format;     ///< ?format= value
    const char* driver;     ///< GDAL driver
    const char* extension;  ///< of the output file
    const char* mime;
};

constexpr Conversion conversions[] = {
    {"gpkg", "GPKG", ".gpkg", "application/geopackage+sqlite3"},
    {"geojson", "GeoJSON", ".geojson", "application/geo+json"},
    {"shapefile", "ESRI Shapefile", ".shp.zip", "application/zip"},
    {"csv", "CSV", ".csv", "text/csv; charset=utf-8"},
    {"flatgeobuf", "FlatGeobuf", ".fgb", "application/flatgeobuf"},
};

const Conversion& conversion_of(const std::string& format) {
    for (const auto& c : conversions)
        if (format == c.format) return c;
    std::vector<std::string> names;
    for (const auto& c : conversions) names.emplace_back(c.format);
    throw InvalidArgument(fmt::format("format: '{}' is not one of {}", format, fmt::join(names, ", ")));
}

/// A directory removed with everything in it when the last owner lets go.
struct TempDir {
    fs::path path;
    explicit TempDir(const fs::path& parent) {
        static std::atomic<std::uint64_t> counter{0};
        std::random_device rd;
        const fs::path base = parent.empty() ? fs::temp_directory_path() : parent;
        fs::create_directories(base);
        for (int attempt = 0;; ++attempt) {
            path = base / fmt::format("geoplex-download-{:x}-{}", rd(), counter++);
            if (fs::create_directory(path)) break;
            if (attempt > 16) throw IoError(fmt::format("cannot create a temporary directory in '{}'", base.string()));
        }
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

/// A body read from a file by pieces (the file's bytes [from, from + length)); `keep` lives as
/// long as the stream (a conversion's temporary directory).
std::function<bool(std::string&)> file_stream(const fs::path& path, std::uint64_t from, std::uint64_t length,
                                              std::shared_ptr<void> keep = {}) {
    auto in = std::make_shared<std::ifstream>(path, std::ios::binary);
    if (!*in) throw IoError(fmt::format("cannot read '{}'", path.filename().string()));
    in->seekg(static_cast<std::streamoff>(from));
    return [in, left = length, keep = std::move(keep)](std::string& out) mutable {
        if (left == 0) return false;
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, 1U << 16U));
        const std::size_t at = out.size();
        out.resize(at + n);
        in->read(out.data() + at, static_cast<std::streamsize>(n));
        const auto got = static_cast<std::size_t>(in->gcount());
        out.resize(at + got);
        if (got == 0) throw IoError("the file ended early");
        left -= got;
        return left > 0;
    };
}

std::string read_range(const fs::path& path, std::uint64_t from, std::uint64_t length) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(fmt::format("cannot read '{}'", path.filename().string()));
    in.seekg(static_cast<std::streamoff>(from));
    std::string out(static_cast<std::size_t>(length), '\0');
    in.read(out.data(), static_cast<std::streamsize>(length));
    out.resize(static_cast<std::size_t>(in.gcount()));
    return out;
}

/// Runs GDALVectorTranslate from the resource's data into a new temporary directory.
Response converted(const Resource& r, const std::string& format, const DownloadApiOptions& o) {
    const Conversion& c = conversion_of(format);
    if (!r.vector) throw InvalidArgument(fmt::format("format: resource '{}' is raster data; conversions are for vector data", r.name));
    auto dir = std::make_shared<TempDir>(o.temp_dir);
    const fs::path out = dir->path / (r.name + c.extension);
    GDALAllRegister();
    CPLErrorReset();
    GDALDatasetH src = GDALOpenEx(r.data.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (src == nullptr) throw IoError(fmt::format("cannot open the data of '{}'", r.name));
    std::vector<std::string> args{"-f", c.driver};
    if (format == "csv") args.insert(args.end(), {"-lco", "GEOMETRY=AS_WKT"});
    if (format == "geojson") args.insert(args.end(), {"-lco", "WRITE_BBOX=YES"});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    GDALVectorTranslateOptions* opts = GDALVectorTranslateOptionsNew(argv.data(), nullptr);
    int usage_error = 0;
    GDALDatasetH dst = GDALVectorTranslate(out.c_str(), nullptr, 1, &src, opts, &usage_error);
    GDALVectorTranslateOptionsFree(opts);
    const std::string gdal_error = CPLGetLastErrorMsg();
    const bool ok = dst != nullptr;
    if (dst != nullptr) GDALClose(dst);
    GDALClose(src);
    if (!ok || !fs::exists(out)) throw IoError(fmt::format("conversion of '{}' to {} failed: {}", r.name, format, gdal_error));
    const auto size = fs::file_size(out);
    Response res;
    res.content_type = c.mime;
    res.headers.emplace_back("Content-Disposition", fmt::format("attachment; filename=\"{}{}\"", r.name, c.extension));
    res.headers.emplace_back("Content-Encoding", "identity");  // already the file's bytes: no transport gzip
    res.headers.emplace_back("Cache-Control", "no-store");
    if (size <= o.max_buffered_bytes) {
        res.body = read_range(out, 0, size);  // dir (and the file) removed when this returns
    } else {
        res.stream = file_stream(out, 0, size, dir);
    }
    return res;
}

// ---- ranges --------------------------------------------------------------------------------------

struct ByteRange {
    std::uint64_t first = 0, last = 0;  ///< inclusive
};

std::optional<std::uint64_t> to_u64(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    std::uint64_t v = 0;
    if (s.empty()) return std::nullopt;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

enum class RangeKind { none, one, unsatisfiable };

/// RFC 9110 §14: "bytes=a-b", "bytes=a-", "bytes=-n". A header that is not a bytes range, or
/// asks for several ranges, is ignored (the whole file, 200), as the RFC allows.
RangeKind parse_range(const std::string* header, std::uint64_t size, ByteRange& out) {
    if (header == nullptr) return RangeKind::none;
    std::string_view h(*header);
    while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
    if (!h.starts_with("bytes=")) return RangeKind::none;
    h.remove_prefix(6);
    if (h.find(',') != std::string_view::npos) return RangeKind::none;
    const auto dash = h.find('-');
    if (dash == std::string_view::npos) return RangeKind::none;
    const std::string_view a = h.substr(0, dash), b = h.substr(dash + 1);
    if (a.find_first_not_of(' ') == std::string_view::npos) {  // suffix: the last n bytes
        const auto n = to_u64(b);
        if (!n) return RangeKind::none;
        if (*n == 0 || size == 0) return RangeKind::unsatisfiable;
        out.first = size - std::min(*n, size);
        out.last = size - 1;
        return RangeKind::one;
    }
    const auto first = to_u64(a);
    if (!first) return RangeKind::none;
    std::uint64_t last = size == 0 ? 0 : size - 1;
    if (b.find_first_not_of(' ') != std::string_view::npos) {
        const auto l = to_u64(b);
        if (!l || *l < *first) return RangeKind::none;  // invalid: ignored
        last = std::min(*l, last);
    }
    if (*first >= size) return RangeKind::unsatisfiable;
    out.first = *first;
    out.last = last;
    return RangeKind::one;
}

std::string mime_of(const std::string& name) {
    const auto ends = [&](std::string_view s) { return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0; };
    if (ends(".gpkg")) return "application/geopackage+sqlite3";
    if (ends(".tif") || ends(".tiff")) return "image/tiff";
    if (ends(".geojson") || ends(".json")) return "application/geo+json";
    if (ends(".zip")) return "application/zip";
    if (ends(".csv")) return "text/csv";
    return "application/octet-stream";
}

/// A file name of the request: a single path segment, nothing that could climb or be absolute.
void check_file_name(const std::string& name) {
    if (name.empty() || name == "." || name == ".." || name.find_first_of("/\\") != std::string::npos ||
        name.find('\0') != std::string::npos)
        throw HttpError(400, fmt::format("'{}' is not a file name of this resource", name), {}, "BAD_REQUEST");
}

// ---- handlers ------------------------------------------------------------------------------------

struct Family {
    bool restricted = false;
    std::string prefix;
};

struct Api {
    DownloadApiOptions options;
    Checksums checksums;

    Resource resource(const Request& req, const Family& fam) const {
        const std::string& name = *req.path_param("name");
        auto ts = options.layers->resolve(req, name, fam.restricted);
        if (!ts) throw HttpError(404, fmt::format("no resource '{}'", name), {}, "NOT_FOUND");
        return resource_of(*ts, name);
    }

    std::string href(const Request& req, const Family& fam, const std::string& path, const std::string& query = {}) const {
        const std::string key = fam.restricted ? ows::apikey_param(req) : std::string();
        std::string q = query;
        if (!key.empty()) q = q.empty() ? key : q + "&" + key;
        return ows::base_url(req, options.base_url) + fam.prefix + "/telechargement" + path + (q.empty() ? "" : "?" + q);
    }

    Response capabilities(const Request& req, const Family& fam) {
        json list = json::array();
        for (const auto& ts : options.layers->visible(req, fam.restricted))
            for (const auto& l : ts.layers()) {
                const Resource r = resource_of(ts, l.id);
                json e{{"name", r.name}, {"title", r.title}, {"description", r.description}, {"type", r.vector ? "vector" : "raster"}};
                if (!r.bounds.empty()) e["bbox"] = {r.bounds.min_x, r.bounds.min_y, r.bounds.max_x, r.bounds.max_y};
                e["links"] = json::array({json{{"href", href(req, fam, "/resource/" + r.name)}, {"rel", "describedby"}, {"type", "application/json"}}});
                list.push_back(std::move(e));
            }
        json j{{"title", "geoplex downloads"},
               {"links", json::array({json{{"href", href(req, fam, "/capabilities")}, {"rel", "self"}, {"type", "application/json"}}})},
               {"resources", std::move(list)}};
        Response res = Response::json(j.dump(-1, ' ', false, json::error_handler_t::replace));
        res.headers.emplace_back("Cache-Control", fam.restricted ? "private, no-store" : "public, max-age=60");
        return res;
    }

    Response describe(const Request& req, const Family& fam) {
        const Resource r = resource(req, fam);
        if (const std::string* f = req.param("format"); f != nullptr && !f->empty()) return converted(r, *f, options);
        json files = json::array();
        for (const auto& f : files_of(r)) {
            const std::string sum = checksums.of(r.dir / f.name);
            files.push_back(json{{"name", f.name}, {"size", f.size}, {"checksum", json{{"algorithm", "SHA-256"}, {"value", sum}}},
                                 {"href", href(req, fam, "/resource/" + r.name + "/" + f.name)}, {"type", mime_of(f.name)}});
        }
        json formats = json::array();
        if (r.vector)
            for (const auto& c : conversions)
                formats.push_back(json{{"format", c.format}, {"type", c.mime},
                                       {"href", href(req, fam, "/resource/" + r.name, std::string("format=") + c.format)}});
        json j{{"name", r.name}, {"title", r.title}, {"description", r.description}, {"type", r.vector ? "vector" : "raster"}};
        if (!r.bounds.empty()) j["bbox"] = {r.bounds.min_x, r.bounds.min_y, r.bounds.max_x, r.bounds.max_y};
        j["files"] = std::move(files);
        j["formats"] = std::move(formats);
        j["links"] = json::array({json{{"href", href(req, fam, "/resource/" + r.name)}, {"rel", "self"}, {"type", "application/json"}},
                                  json{{"href", href(req, fam, "/capabilities")}, {"rel", "up"}, {"type", "application/json"}}});
        Response res = Response::json(j.dump(-1, ' ', false, json::error_handler_t::replace));
        res.headers.emplace_back("Cache-Control", fam.restricted ? "private, no-store" : "public, max-age=60");
        return res;
    }

    Response file(const Request& req, const Family& fam) {
        const std::string& name = *req.path_param("file");
        check_file_name(name);
        const Resource r = resource(req, fam);
        const auto listed = files_of(r);
        const auto it = std::find_if(listed.begin(), listed.end(), [&](const FileEntry& f) { return f.name == name; });
        if (it == listed.end()) throw HttpError(404, fmt::format("resource '{}' has no file '{}'", r.name, name), {}, "NOT_FOUND");
        const fs::path path = r.dir / it->name;
        if (const std::string* f = req.param("format"); f != nullptr && !f->empty()) {
            if (path != r.data) throw InvalidArgument(fmt::format("format: only the resource's data file ({}) is converted", r.data.filename().string()));
            return converted(r, *f, options);
        }
        const std::uint64_t size = it->size;
        const std::string etag = "\"" + checksums.of(path) + "\"";
        Response res;
        res.content_type = mime_of(name);
        res.headers.emplace_back("Accept-Ranges", "bytes");
        res.headers.emplace_back("ETag", etag);
        res.headers.emplace_back("Content-Encoding", "identity");  // ranges count the file's own bytes
        res.headers.emplace_back("Cache-Control", fam.restricted ? "private, max-age=0" : "public, max-age=300");
        if (const std::string* inm = req.header("if-none-match"); inm != nullptr && (inm->find(etag) != std::string::npos || *inm == "*")) {
            res.status = 304;
            res.content_type.clear();
            return res;
        }
        ByteRange range{0, size == 0 ? 0 : size - 1};
        const std::string* if_range = req.header("if-range");
        const std::string* range_header = if_range != nullptr && *if_range != etag ? nullptr : req.header("range");
        switch (parse_range(range_header, size, range)) {
            case RangeKind::unsatisfiable:
                res.status = 416;
                res.content_type = "application/json";
                res.headers.emplace_back("Content-Range", fmt::format("bytes */{}", size));
                res.body = json{{"error", json{{"code", "range_not_satisfiable"},
                                               {"message", fmt::format("the range '{}' is outside the file ({} bytes)", *range_header, size)}}}}
                               .dump();
                return res;
            case RangeKind::one:
                res.status = 206;
                res.headers.emplace_back("Content-Range", fmt::format("bytes {}-{}/{}", range.first, range.last, size));
                break;
            case RangeKind::none: break;
        }
        const std::uint64_t length = size == 0 ? 0 : range.last - range.first + 1;
        if (length <= options.max_buffered_bytes) res.body = read_range(path, range.first, length);
        else res.stream = file_stream(path, range.first, length);
        return res;
    }
};

constexpr std::string_view capabilities_openapi = R"json({
  "summary": "Published downloads: the resources (name, title, type, bbox, link)",
  "tags": ["download"],
  "parameters": [{"name": "apikey", "in": "query", "schema": {"type": "string"}, "description": "/private only: the key"}],
  "responses": {"200": {"description": "Resources", "content": {"application/json": {}}},
                "401": {"description": "/private: no or unknown key"}}
})json";
constexpr std::string_view resource_openapi = R"json({
  "summary": "A resource: its files (name, size, SHA-256 checksum, href) and conversions; ?format= converts its vector data",
  "tags": ["download"],
  "parameters": [
    {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}},
    {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["gpkg", "geojson", "shapefile", "csv", "flatgeobuf"]}},
    {"name": "apikey", "in": "query", "schema": {"type": "string"}, "description": "/private only: the key"}],
  "responses": {"200": {"description": "Resource description or the converted data", "content": {"application/json": {}, "application/geopackage+sqlite3": {}, "application/geo+json": {}, "application/zip": {}, "text/csv": {}, "application/flatgeobuf": {}}},
                "400": {"description": "Unknown format, or a conversion asked of raster data"},
                "401": {"description": "/private: no or unknown key"}, "403": {"description": "No access, or the offering is unavailable"},
                "404": {"description": "No such resource"}}
})json";
constexpr std::string_view file_openapi = R"json({
  "summary": "One file of a resource, with HTTP range requests (bytes=a-b, a-, -n); ETag = its SHA-256",
  "tags": ["download"],
  "parameters": [
    {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}},
    {"name": "file", "in": "path", "required": true, "schema": {"type": "string"}},
    {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["gpkg", "geojson", "shapefile", "csv", "flatgeobuf"]}},
    {"name": "Range", "in": "header", "schema": {"type": "string"}, "description": "One range; several ranges are answered with the whole file (200)"},
    {"name": "apikey", "in": "query", "schema": {"type": "string"}, "description": "/private only: the key"}],
  "responses": {"200": {"description": "The whole file"}, "206": {"description": "The range (Content-Range)"},
                "304": {"description": "Not modified (If-None-Match)"},
                "400": {"description": "Not a file name, unknown format, conversion of raster data"},
                "401": {"description": "/private: no or unknown key"}, "403": {"description": "No access"},
                "404": {"description": "No such resource or file"},
                "416": {"description": "Range not satisfiable (Content-Range: bytes */size)"}}
})json";

}  // namespace

void add_download_routes(Router& router, const DownloadApiOptions& options) {
    if (!options.layers) throw InvalidArgument("add_download_routes: options.layers is required");
    auto api = std::make_shared<Api>();
    api->options = options;
    using Method = Response (Api::*)(const Request&, const Family&);
    const std::tuple<const char*, Method, std::string_view> routes[] = {
        {"/capabilities", &Api::capabilities, capabilities_openapi},
        {"/resource/{name}", &Api::describe, resource_openapi},
        {"/resource/{name}/{file}", &Api::file, file_openapi},
    };
    for (const Family& fam : {Family{false, ""}, Family{true, "/private"}})
        for (const auto& [path, handler, openapi] : routes)
            router.add(Router::Route{{"GET"}, fam.prefix + "/telechargement" + path,
                                     [api, fam, handler = handler](const Request& r, const bundle::Engine&) { return ((*api).*handler)(r, fam); },
                                     ErrorStyle::plain, std::string(openapi)});
}

}  // namespace geoplex::server
