// Pyramid containers: PMTiles v3, MBTiles 1.3 and plain {z}/{x}/{y} directories.
//
// PMTiles v3 follows github.com/protomaps/PMTiles spec/v3/spec.md: a 127-byte little-endian
// header; directories of (TileId, Offset, Length, RunLength) entries sorted by TileId, stored as
// a varint count then the columns TileId deltas, RunLengths, Lengths, Offsets (0 = contiguous with
// the previous entry, else offset+1), gzip-compressed; TileId = number of tiles of the lower
// zooms + position on the Hilbert curve of zoom z. Header + root directory fit in the first
// 16 384 bytes (leaf directories otherwise). Tile data is clustered (in TileId order) and
// identical contents are stored once.

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "geoplex/core/error.hpp"
#include "geoplex/core/mapped_file.hpp"
#include "tiles/detail.hpp"

namespace geoplex::tiles {

std::uint64_t pmtiles_tile_id(std::uint32_t z, std::uint64_t x, std::uint64_t y) {
    if (z > 31) throw InvalidArgument("pmtiles: zoom above 31");
    std::uint64_t acc = 0;
    for (std::uint32_t t = 0; t < z; ++t) acc += (std::uint64_t{1} << t) * (std::uint64_t{1} << t);
    const std::uint64_t n = std::uint64_t{1} << z;
    std::uint64_t d = 0;
    for (std::uint64_t s = n / 2; s > 0; s /= 2) {
        const std::uint64_t rx = (x & s) > 0 ? 1 : 0;
        const std::uint64_t ry = (y & s) > 0 ? 1 : 0;
        d += s * s * ((3 * rx) ^ ry);
        // Rotate the quadrant (Hilbert curve), over the full side n as in the reference.
        if (ry == 0) {
            if (rx == 1) {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::swap(x, y);
        }
    }
    return acc + d;
}

}  // namespace geoplex::tiles

namespace geoplex::tiles::detail {

namespace {

constexpr std::size_t header_size = 127;
constexpr std::size_t root_limit = 16384;

struct Entry {
    std::uint64_t tile_id = 0;
    std::uint64_t offset = 0;
    std::uint32_t length = 0;
    std::uint32_t run_length = 0;
};

void put_varint(std::string& s, std::uint64_t v) {
    while (v >= 0x80) {
        s.push_back(static_cast<char>((v & 0x7F) | 0x80));
        v >>= 7;
    }
    s.push_back(static_cast<char>(v));
}

std::uint64_t get_varint(const char*& p, const char* end) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p >= end) throw FormatError("pmtiles: truncated directory");
        const auto b = static_cast<unsigned char>(*p++);
        v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
        if ((b & 0x80) == 0) return v;
    }
    throw FormatError("pmtiles: bad varint");
}

std::string serialize_directory(const std::vector<Entry>& entries) {
    std::string s;
    put_varint(s, entries.size());
    std::uint64_t last = 0;
    for (const auto& e : entries) {
        put_varint(s, e.tile_id - last);
        last = e.tile_id;
    }
    for (const auto& e : entries) put_varint(s, e.run_length);
    for (const auto& e : entries) put_varint(s, e.length);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i > 0 && entries[i].offset == entries[i - 1].offset + entries[i - 1].length) put_varint(s, 0);
        else put_varint(s, entries[i].offset + 1);
    }
    return gzip_compress(s, 9);
}

std::vector<Entry> parse_directory(std::string_view compressed) {
    const std::string raw = gzip_decompress(compressed);
    const char* p = raw.data();
    const char* end = p + raw.size();
    const std::uint64_t n = get_varint(p, end);
    if (n > raw.size()) throw FormatError("pmtiles: bad directory size");
    std::vector<Entry> es(n);
    std::uint64_t last = 0;
    for (auto& e : es) { last += get_varint(p, end); e.tile_id = last; }
    for (auto& e : es) e.run_length = static_cast<std::uint32_t>(get_varint(p, end));
    for (auto& e : es) e.length = static_cast<std::uint32_t>(get_varint(p, end));
    for (std::size_t i = 0; i < es.size(); ++i) {
        const std::uint64_t v = get_varint(p, end);
        if (v == 0 && i > 0) es[i].offset = es[i - 1].offset + es[i - 1].length;
        else if (v == 0) throw FormatError("pmtiles: first offset cannot be relative");
        else es[i].offset = v - 1;
    }
    return es;
}

void put_u64(std::string& h, std::size_t at, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) h[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put_i32(std::string& h, std::size_t at, std::int32_t sv) {
    const auto v = static_cast<std::uint32_t>(sv);
    for (int i = 0; i < 4; ++i) h[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
std::uint64_t get_u64(const char* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}
std::int32_t get_i32(const char* p) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return static_cast<std::int32_t>(v);
}

std::uint8_t pmtiles_type(TileFormat f) {
    switch (f) {
        case TileFormat::mvt: return 1;
        case TileFormat::png: return 2;
        case TileFormat::jpeg: return 3;
        case TileFormat::webp: return 4;
    }
    return 0;
}

std::int32_t e7(double v) { return static_cast<std::int32_t>(std::lround(v * 1e7)); }

class PmtilesWriter final : public PyramidWriter {
public:
    explicit PmtilesWriter(std::filesystem::path path) : m_path(std::move(path)) {
        m_spool_path = m_path;
        m_spool_path += ".spool";
        m_spool = std::fopen(m_spool_path.c_str(), "w+b");
        if (m_spool == nullptr) throw IoError(fmt::format("cannot write '{}'", m_spool_path.string()));
    }
    ~PmtilesWriter() override {
        if (m_spool != nullptr) std::fclose(m_spool);
        std::error_code ec;
        std::filesystem::remove(m_spool_path, ec);
    }
    PmtilesWriter(const PmtilesWriter&) = delete;
    PmtilesWriter& operator=(const PmtilesWriter&) = delete;

    void add(TileRecord t) override {
        if (t.bytes.empty()) return;  // the spec forbids zero-length entries
        const std::uint64_t id = pmtiles_tile_id(t.z, t.x, t.y);
        std::lock_guard lock(m_mutex);
        const auto off = static_cast<std::uint64_t>(m_spool_size);
        if (std::fwrite(t.bytes.data(), 1, t.bytes.size(), m_spool) != t.bytes.size())
            throw IoError(fmt::format("cannot write '{}'", m_spool_path.string()));
        m_spool_size += t.bytes.size();
        m_tiles.push_back(Spooled{id, off, static_cast<std::uint32_t>(t.bytes.size()), std::hash<std::string>{}(t.bytes)});
    }

    void finish(const PyramidMetadata& meta) override {
        std::fflush(m_spool);
        std::sort(m_tiles.begin(), m_tiles.end(), [](const Spooled& a, const Spooled& b) { return a.id < b.id; });
        // Clustered data, identical contents once: (hash, length) → candidates, compared byte for byte.
        std::string data;
        std::vector<Entry> entries;
        std::unordered_multimap<std::size_t, std::pair<std::uint64_t, std::uint32_t>> seen;  // hash → (offset, length)
        std::string blob;
        std::uint64_t contents = 0;
        for (const auto& t : m_tiles) {
            blob.resize(t.length);
            std::fseek(m_spool, static_cast<long>(t.spool_offset), SEEK_SET);
            if (std::fread(blob.data(), 1, t.length, m_spool) != t.length) throw IoError("pmtiles: spool read failed");
            std::uint64_t offset = data.size();
            bool dup = false;
            auto [a, b] = seen.equal_range(t.hash);
            for (auto it = a; it != b; ++it) {
                if (it->second.second == t.length && data.compare(it->second.first, t.length, blob) == 0) {
                    offset = it->second.first;
                    dup = true;
                    break;
                }
            }
            if (!dup) {
                data += blob;
                seen.emplace(t.hash, std::make_pair(offset, t.length));
                ++contents;
            }
            if (!entries.empty() && entries.back().offset == offset && entries.back().length == t.length &&
                entries.back().tile_id + entries.back().run_length == t.id) {
                ++entries.back().run_length;  // consecutive ids, same content: one run
            } else {
                entries.push_back(Entry{t.id, offset, t.length, 1});
            }
        }
        if (entries.empty()) throw InvalidArgument(fmt::format("pyramid '{}' would be empty (no tile has data)", m_path.string()));

        // Root directory, or a root of leaves when it does not fit in the first 16 KiB.
        std::string root = serialize_directory(entries);
        std::string leaves;
        std::size_t leaf_size = 4096;
        while (header_size + root.size() > root_limit) {
            leaves.clear();
            std::vector<Entry> root_entries;
            for (std::size_t i = 0; i < entries.size(); i += leaf_size) {
                const std::vector<Entry> chunk(entries.begin() + static_cast<std::ptrdiff_t>(i),
                                               entries.begin() + static_cast<std::ptrdiff_t>(std::min(entries.size(), i + leaf_size)));
                const std::string leaf = serialize_directory(chunk);
                root_entries.push_back(Entry{chunk.front().tile_id, leaves.size(), static_cast<std::uint32_t>(leaf.size()), 0});
                leaves += leaf;
            }
            root = serialize_directory(root_entries);
            leaf_size *= 2;
        }

        nlohmann::ordered_json mj;
        mj["name"] = meta.name;
        mj["description"] = meta.description;
        mj["format"] = std::string(to_string(meta.format));
        mj["type"] = "overlay";
        mj["minzoom"] = meta.min_zoom;
        mj["maxzoom"] = meta.max_zoom;
        mj["generator"] = "geoplex";
        if (!meta.vector_layers.empty()) mj["vector_layers"] = nlohmann::json::parse(meta.vector_layers);
        const std::string metadata = gzip_compress(mj.dump(), 9);

        std::string h(header_size, '\0');
        std::memcpy(h.data(), "PMTiles", 7);
        h[7] = 3;
        const std::uint64_t root_off = header_size;
        const std::uint64_t meta_off = root_off + root.size();
        const std::uint64_t leaf_off = meta_off + metadata.size();
        const std::uint64_t data_off = leaf_off + leaves.size();
        put_u64(h, 8, root_off);
        put_u64(h, 16, root.size());
        put_u64(h, 24, meta_off);
        put_u64(h, 32, metadata.size());
        put_u64(h, 40, leaf_off);
        put_u64(h, 48, leaves.size());
        put_u64(h, 56, data_off);
        put_u64(h, 64, data.size());
        put_u64(h, 72, m_tiles.size());
        put_u64(h, 80, entries.size());
        put_u64(h, 88, contents);
        h[96] = 1;  // clustered
        h[97] = 2;  // internal compression: gzip
        h[98] = static_cast<char>(meta.gzipped ? 2 : 1);
        h[99] = static_cast<char>(pmtiles_type(meta.format));
        h[100] = static_cast<char>(meta.min_zoom);
        h[101] = static_cast<char>(meta.max_zoom);
        const BBox b = meta.bounds.empty() ? BBox::of(-180, -85.05112878, 180, 85.05112878) : meta.bounds;
        put_i32(h, 102, e7(b.min_x));
        put_i32(h, 106, e7(b.min_y));
        put_i32(h, 110, e7(b.max_x));
        put_i32(h, 114, e7(b.max_y));
        h[118] = static_cast<char>(meta.min_zoom + (meta.max_zoom - meta.min_zoom) / 2);
        put_i32(h, 119, e7((b.min_x + b.max_x) / 2));
        put_i32(h, 123, e7((b.min_y + b.max_y) / 2));

        auto tmp = m_path;
        tmp += ".tmp";
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            out.write(h.data(), static_cast<std::streamsize>(h.size()));
            out.write(root.data(), static_cast<std::streamsize>(root.size()));
            out.write(metadata.data(), static_cast<std::streamsize>(metadata.size()));
            out.write(leaves.data(), static_cast<std::streamsize>(leaves.size()));
            out.write(data.data(), static_cast<std::streamsize>(data.size()));
            if (!out) throw IoError(fmt::format("cannot write '{}'", tmp.string()));
        }
        std::filesystem::rename(tmp, m_path);
    }

private:
    struct Spooled {
        std::uint64_t id;
        std::uint64_t spool_offset;
        std::uint32_t length;
        std::size_t hash;
    };
    std::filesystem::path m_path, m_spool_path;
    std::FILE* m_spool = nullptr;
    std::size_t m_spool_size = 0;
    std::vector<Spooled> m_tiles;
    std::mutex m_mutex;
};

class PmtilesReader final : public PyramidReader {
public:
    explicit PmtilesReader(const std::filesystem::path& path) : m_file(path) {
        const char* p = reinterpret_cast<const char*>(m_file.data());
        if (m_file.size() < header_size || std::memcmp(p, "PMTiles", 7) != 0 || p[7] != 3)
            throw FormatError(fmt::format("'{}' is not a PMTiles v3 archive", path.string()));
        m_root = parse_directory(slice(get_u64(p + 8), get_u64(p + 16)));
        const std::string meta_raw = slice(get_u64(p + 24), get_u64(p + 32));
        m_leaf_off = get_u64(p + 40);
        m_data_off = get_u64(p + 56);
        m_meta.gzipped = p[98] == 2;
        switch (p[99]) {
            case 1: m_meta.format = TileFormat::mvt; break;
            case 3: m_meta.format = TileFormat::jpeg; break;
            case 4: m_meta.format = TileFormat::webp; break;
            default: m_meta.format = TileFormat::png; break;
        }
        m_meta.min_zoom = static_cast<unsigned char>(p[100]);
        m_meta.max_zoom = static_cast<unsigned char>(p[101]);
        m_meta.bounds = BBox::of(get_i32(p + 102) / 1e7, get_i32(p + 106) / 1e7, get_i32(p + 110) / 1e7, get_i32(p + 114) / 1e7);
        const auto mj = nlohmann::json::parse(p[97] == 2 ? gzip_decompress(meta_raw) : meta_raw, nullptr, false);
        if (mj.is_object()) {
            m_meta.name = mj.value("name", "");
            m_meta.description = mj.value("description", "");
            if (mj.contains("vector_layers")) m_meta.vector_layers = mj["vector_layers"].dump();
        }
    }
    std::optional<std::string> get(std::uint32_t z, std::uint64_t x, std::uint64_t y) const override {
        if (z > 31 || x >= (std::uint64_t{1} << z) || y >= (std::uint64_t{1} << z)) return std::nullopt;
        const std::uint64_t id = pmtiles_tile_id(z, x, y);
        const std::vector<Entry>* dir = &m_root;
        std::shared_ptr<const std::vector<Entry>> leaf;
        for (int depth = 0; depth < 4; ++depth) {
            auto it = std::upper_bound(dir->begin(), dir->end(), id, [](std::uint64_t v, const Entry& e) { return v < e.tile_id; });
            if (it == dir->begin()) return std::nullopt;
            const Entry& e = *(it - 1);
            if (e.run_length == 0) {
                leaf = load_leaf(e.offset, e.length);
                dir = leaf.get();
                continue;
            }
            if (id >= e.tile_id + e.run_length) return std::nullopt;
            return slice(m_data_off + e.offset, e.length);
        }
        return std::nullopt;
    }
    const PyramidMetadata& metadata() const noexcept override { return m_meta; }

private:
    std::string slice(std::uint64_t off, std::uint64_t len) const {
        if (off + len > m_file.size()) throw FormatError(fmt::format("'{}' is truncated", m_file.path().string()));
        return {reinterpret_cast<const char*>(m_file.data()) + off, static_cast<std::size_t>(len)};
    }
    std::shared_ptr<const std::vector<Entry>> load_leaf(std::uint64_t off, std::uint32_t len) const {
        std::lock_guard lock(m_mutex);
        auto& slot = m_leaves[off];
        if (!slot) slot = std::make_shared<const std::vector<Entry>>(parse_directory(slice(m_leaf_off + off, len)));
        return slot;
    }
    core::MappedFile m_file;
    std::vector<Entry> m_root;
    std::uint64_t m_leaf_off = 0, m_data_off = 0;
    PyramidMetadata m_meta;
    mutable std::mutex m_mutex;
    mutable std::map<std::uint64_t, std::shared_ptr<const std::vector<Entry>>> m_leaves;
};

// ---- MBTiles -------------------------------------------------------------------------------

struct Db {
    sqlite3* h = nullptr;
    ~Db() { if (h != nullptr) sqlite3_close(h); }
    void exec(const char* sql) const {
        char* err = nullptr;
        if (sqlite3_exec(h, sql, nullptr, nullptr, &err) != SQLITE_OK) {
            std::string msg = err != nullptr ? err : "?";
            sqlite3_free(err);
            throw DependencyError(fmt::format("sqlite: {} ({})", msg, sql));
        }
    }
};

std::string_view mbtiles_format(TileFormat f) {
    switch (f) {
        case TileFormat::mvt: return "pbf";
        case TileFormat::png: return "png";
        case TileFormat::jpeg: return "jpg";
        case TileFormat::webp: return "webp";
    }
    return "png";
}

class MbtilesWriter final : public PyramidWriter {
public:
    MbtilesWriter(std::filesystem::path path, const TileMatrixSet* tms) : m_path(std::move(path)) {
        if (tms != nullptr && !tms->is_web_mercator_quad()) {
            m_tms_json = tms->to_json();
            for (const auto& m : tms->matrices) m_heights.push_back(m.matrix_height);
        }
        m_tmp = m_path;
        m_tmp += ".tmp";
        std::filesystem::remove(m_tmp);
        if (sqlite3_open(m_tmp.c_str(), &m_db.h) != SQLITE_OK) throw IoError(fmt::format("cannot create '{}'", m_tmp.string()));
        m_db.exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                  "CREATE TABLE metadata (name text, value text);"
                  "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);"
                  "BEGIN;");
        if (sqlite3_prepare_v2(m_db.h, "INSERT INTO tiles VALUES (?,?,?,?)", -1, &m_insert, nullptr) != SQLITE_OK)
            throw DependencyError("sqlite: prepare failed");
    }
    ~MbtilesWriter() override {
        if (m_insert != nullptr) sqlite3_finalize(m_insert);
        if (!m_done) {
            sqlite3_close(m_db.h);
            m_db.h = nullptr;
            std::error_code ec;
            std::filesystem::remove(m_tmp, ec);
        }
    }
    MbtilesWriter(const MbtilesWriter&) = delete;
    MbtilesWriter& operator=(const MbtilesWriter&) = delete;

    void add(TileRecord t) override {
        if (t.bytes.empty()) return;
        std::lock_guard lock(m_mutex);
        // MBTiles rows count from the bottom (TMS); other sets than WebMercatorQuad flip by
        // their own matrix height.
        const std::uint64_t height = t.z < m_heights.size() ? m_heights[t.z] : (std::uint64_t{1} << t.z);
        const std::uint64_t row = (height - 1) - t.y;
        sqlite3_reset(m_insert);
        sqlite3_bind_int(m_insert, 1, static_cast<int>(t.z));
        sqlite3_bind_int64(m_insert, 2, static_cast<sqlite3_int64>(t.x));
        sqlite3_bind_int64(m_insert, 3, static_cast<sqlite3_int64>(row));
        sqlite3_bind_blob(m_insert, 4, t.bytes.data(), static_cast<int>(t.bytes.size()), SQLITE_TRANSIENT);
        if (sqlite3_step(m_insert) != SQLITE_DONE) throw DependencyError(fmt::format("sqlite: {}", sqlite3_errmsg(m_db.h)));
    }

    void finish(const PyramidMetadata& meta) override {
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(m_db.h, "INSERT INTO metadata VALUES (?,?)", -1, &st, nullptr);
        auto put = [&](const std::string& k, const std::string& v) {
            sqlite3_reset(st);
            sqlite3_bind_text(st, 1, k.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 2, v.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_step(st);
        };
        const BBox b = meta.bounds.empty() ? BBox::of(-180, -85.05112878, 180, 85.05112878) : meta.bounds;
        put("name", meta.name);
        put("description", meta.description);
        put("format", std::string(mbtiles_format(meta.format)));
        put("type", "overlay");
        put("version", "1.3");
        put("minzoom", std::to_string(meta.min_zoom));
        put("maxzoom", std::to_string(meta.max_zoom));
        put("bounds", fmt::format("{},{},{},{}", b.min_x, b.min_y, b.max_x, b.max_y));
        put("center", fmt::format("{},{},{}", (b.min_x + b.max_x) / 2, (b.min_y + b.max_y) / 2, meta.min_zoom));
        if (!meta.vector_layers.empty()) put("json", fmt::format("{{\"vector_layers\":{}}}", meta.vector_layers));
        // Not WebMercatorQuad: the grid, as OGC TileMatrixSet 2.0 JSON (rows flipped by its heights).
        if (!m_tms_json.empty()) put("tile_matrix_set", m_tms_json);
        sqlite3_finalize(st);
        m_db.exec("COMMIT; CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);");
        sqlite3_finalize(m_insert);
        m_insert = nullptr;
        sqlite3_close(m_db.h);
        m_db.h = nullptr;
        m_done = true;
        std::filesystem::rename(m_tmp, m_path);
    }

private:
    std::filesystem::path m_path, m_tmp;
    std::string m_tms_json;
    std::vector<std::uint64_t> m_heights;
    Db m_db;
    sqlite3_stmt* m_insert = nullptr;
    std::mutex m_mutex;
    bool m_done = false;
};

class MbtilesReader final : public PyramidReader {
public:
    explicit MbtilesReader(const std::filesystem::path& path) : m_path(path) {
        Db db;
        if (sqlite3_open_v2(path.c_str(), &db.h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
            throw IoError(fmt::format("cannot open '{}'", path.string()));
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db.h, "SELECT name, value FROM metadata", -1, &st, nullptr) != SQLITE_OK)
            throw FormatError(fmt::format("'{}' is not an MBTiles file", path.string()));
        while (sqlite3_step(st) == SQLITE_ROW) {
            const std::string k = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
            const char* vt = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
            const std::string v = vt != nullptr ? vt : "";
            if (k == "name") m_meta.name = v;
            else if (k == "description") m_meta.description = v;
            else if (k == "format") m_meta.format = parse_format(v).value_or(TileFormat::png);
            else if (k == "minzoom") m_meta.min_zoom = std::atoi(v.c_str());
            else if (k == "maxzoom") m_meta.max_zoom = std::atoi(v.c_str());
            else if (k == "tile_matrix_set") {
                for (const auto& m : TileMatrixSet::from_json(v).matrices) m_heights.push_back(m.matrix_height);
            } else if (k == "json") {
                const auto j = nlohmann::json::parse(v, nullptr, false);
                if (j.is_object() && j.contains("vector_layers")) m_meta.vector_layers = j["vector_layers"].dump();
            }
        }
        sqlite3_finalize(st);
        m_meta.gzipped = m_meta.format == TileFormat::mvt;
    }
    std::optional<std::string> get(std::uint32_t z, std::uint64_t x, std::uint64_t y) const override {
        const std::uint64_t height = z < m_heights.size() ? m_heights[z] : (z > 30 ? 0 : std::uint64_t{1} << z);
        if (y >= height) return std::nullopt;
        // One connection per call keeps this thread-safe without a pool; SQLite opens fast.
        Db db;
        if (sqlite3_open_v2(m_path.c_str(), &db.h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
            throw IoError(fmt::format("cannot open '{}'", m_path.string()));
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(db.h, "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?", -1, &st, nullptr);
        sqlite3_bind_int(st, 1, static_cast<int>(z));
        sqlite3_bind_int64(st, 2, static_cast<sqlite3_int64>(x));
        sqlite3_bind_int64(st, 3, static_cast<sqlite3_int64>((height - 1) - y));
        std::optional<std::string> out;
        if (sqlite3_step(st) == SQLITE_ROW)
            out = std::string(static_cast<const char*>(sqlite3_column_blob(st, 0)), static_cast<std::size_t>(sqlite3_column_bytes(st, 0)));
        sqlite3_finalize(st);
        return out;
    }
    const PyramidMetadata& metadata() const noexcept override { return m_meta; }

private:
    std::filesystem::path m_path;
    PyramidMetadata m_meta;
    std::vector<std::uint64_t> m_heights;  // empty = WebMercatorQuad (2^z)
};

// ---- directory -------------------------------------------------------------------------------
// {z}/{x}/{y}.{ext} files (y from the top, as the set numbers rows) and metadata.json (TileJSON
// fields plus the OGC TileMatrixSet JSON of the grid): what a plain web server serves.

std::string_view file_extension(TileFormat f) { return f == TileFormat::mvt ? "pbf" : to_string(f); }

class DirectoryWriter final : public PyramidWriter {
public:
    DirectoryWriter(std::filesystem::path dir, TileFormat format, const TileMatrixSet* tms)
        : m_dir(std::move(dir)), m_ext(file_extension(format)), m_tms_json(tms != nullptr ? tms->to_json() : std::string()) {
        std::filesystem::create_directories(m_dir);
    }
    void add(TileRecord t) override {
        const auto folder = m_dir / std::to_string(t.z) / std::to_string(t.x);
        {
            std::lock_guard lock(m_mutex);
            std::filesystem::create_directories(folder);
        }
        const auto file = folder / fmt::format("{}.{}", t.y, m_ext);
        std::FILE* f = std::fopen(file.c_str(), "wb");
        if (f == nullptr) throw IoError(fmt::format("cannot write '{}'", file.string()));
        const bool ok = std::fwrite(t.bytes.data(), 1, t.bytes.size(), f) == t.bytes.size();
        if (std::fclose(f) != 0 || !ok) throw IoError(fmt::format("cannot write '{}'", file.string()));
    }
    void finish(const PyramidMetadata& meta) override {
        nlohmann::ordered_json j;
        j["name"] = meta.name;
        j["description"] = meta.description;
        j["format"] = std::string(m_ext);
        j["compression"] = meta.gzipped ? "gzip" : "none";
        j["minzoom"] = meta.min_zoom;
        j["maxzoom"] = meta.max_zoom;
        if (!meta.bounds.empty()) j["bounds"] = {meta.bounds.min_x, meta.bounds.min_y, meta.bounds.max_x, meta.bounds.max_y};
        if (!meta.vector_layers.empty()) j["vector_layers"] = nlohmann::json::parse(meta.vector_layers);
        if (!m_tms_json.empty()) j["tile_matrix_set"] = nlohmann::json::parse(m_tms_json);
        std::ofstream out(m_dir / "metadata.json", std::ios::binary | std::ios::trunc);
        out << j.dump(2);
        if (!out) throw IoError(fmt::format("cannot write '{}'", (m_dir / "metadata.json").string()));
    }

private:
    std::filesystem::path m_dir;
    std::string_view m_ext;
    std::string m_tms_json;
    std::mutex m_mutex;
};

class DirectoryReader final : public PyramidReader {
public:
    explicit DirectoryReader(std::filesystem::path dir) : m_dir(std::move(dir)) {
        std::ifstream in(m_dir / "metadata.json", std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        const auto j = nlohmann::json::parse(ss.str(), nullptr, false);
        if (!in || !j.is_object()) throw FormatError(fmt::format("'{}' has no readable metadata.json", m_dir.string()));
        m_meta.name = j.value("name", "");
        m_meta.description = j.value("description", "");
        m_meta.format = parse_format(j.value("format", "png")).value_or(TileFormat::png);
        m_meta.gzipped = j.value("compression", "none") == "gzip";
        m_meta.min_zoom = j.value("minzoom", 0);
        m_meta.max_zoom = j.value("maxzoom", 0);
        if (j.contains("vector_layers")) m_meta.vector_layers = j["vector_layers"].dump();
        m_ext = file_extension(m_meta.format);
    }
    std::optional<std::string> get(std::uint32_t z, std::uint64_t x, std::uint64_t y) const override {
        const auto file = m_dir / std::to_string(z) / std::to_string(x) / fmt::format("{}.{}", y, m_ext);
        std::FILE* f = std::fopen(file.c_str(), "rb");
        if (f == nullptr) return std::nullopt;
        std::string out;
        char buf[1 << 14];
        for (std::size_t n = 0; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
        std::fclose(f);
        return out;
    }
    const PyramidMetadata& metadata() const noexcept override { return m_meta; }

private:
    std::filesystem::path m_dir;
    std::string_view m_ext;
    PyramidMetadata m_meta;
};

}  // namespace

std::unique_ptr<PyramidWriter> make_pmtiles_writer(const std::filesystem::path& path) {
    return std::make_unique<PmtilesWriter>(path);
}
std::unique_ptr<PyramidWriter> make_mbtiles_writer(const std::filesystem::path& path, const TileMatrixSet* tms) {
    return std::make_unique<MbtilesWriter>(path, tms);
}
std::unique_ptr<PyramidWriter> make_directory_writer(const std::filesystem::path& dir, TileFormat format, const TileMatrixSet* tms) {
    return std::make_unique<DirectoryWriter>(dir, format, tms);
}
std::unique_ptr<PyramidReader> open_pyramid(const std::filesystem::path& path) {
    if (std::filesystem::is_directory(path)) return std::make_unique<DirectoryReader>(path);
    if (path.extension() == ".mbtiles") return std::make_unique<MbtilesReader>(path);
    return std::make_unique<PmtilesReader>(path);
}

}  // namespace geoplex::tiles::detail
