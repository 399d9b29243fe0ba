#include "catalog/upload_area.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "geoplex/catalog/access.hpp"
#include "geoplex/core/error.hpp"

namespace geoplex::catalog::detail {

namespace fs = std::filesystem;

namespace {

bool reserved(unsigned char c) {
    return c < 0x20 || c == 0x7f || c == '\\' || c == ':' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' ||
           c == '|';
}

/// Every directory from `base` down to `target`'s parent must be a real directory (not a symlink).
void check_no_symlink(const fs::path& base, const fs::path& relative) {
    fs::path cur = base;
    for (const auto& part : relative) {
        cur /= part;
        std::error_code ec;
        const auto st = fs::symlink_status(cur, ec);
        if (ec || st.type() == fs::file_type::not_found) return;
        if (st.type() == fs::file_type::symlink)
            throw InvalidArgument(fmt::format("path: '{}' is a symbolic link", relative.generic_string()));
    }
}

}  // namespace

UploadArea::UploadArea(fs::path root, UploadLimits limits) : m_root(std::move(root)), m_limits(limits) {
    fs::create_directories(m_root);
    m_root = fs::canonical(m_root);
}

std::string UploadArea::validate_path(std::string_view path) const {
    if (path.empty()) throw InvalidArgument("path: must not be empty");
    if (path.size() > m_limits.max_path_bytes)
        throw InvalidArgument(fmt::format("path: longer than {} bytes", m_limits.max_path_bytes));
    if (path.front() == '/') throw InvalidArgument("path: must be relative to the upload (no leading '/')");
    for (const char c : path)
        if (reserved(static_cast<unsigned char>(c)))
            throw InvalidArgument(fmt::format("path: character 0x{:02x} is not allowed", static_cast<unsigned char>(c)));
    std::string out;
    std::size_t depth = 0;
    std::string_view rest = path;
    while (!rest.empty()) {
        const auto slash = rest.find('/');
        const std::string_view seg = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        if (seg.empty()) {
            if (slash != std::string_view::npos && rest.empty()) break;  // one trailing '/' is a bad file name anyway
            throw InvalidArgument("path: empty segment ('//')");
        }
        if (seg == "." || seg == "..") throw InvalidArgument(fmt::format("path: '{}' segments are not allowed", seg));
        if (seg.size() > m_limits.max_segment_bytes)
            throw InvalidArgument(fmt::format("path: a segment is longer than {} bytes", m_limits.max_segment_bytes));
        if (seg.back() == ' ' || seg.front() == ' ') throw InvalidArgument("path: segments must not start or end with a space");
        if (++depth > m_limits.max_depth) throw InvalidArgument(fmt::format("path: more than {} segments", m_limits.max_depth));
        if (!out.empty()) out += '/';
        out += seg;
    }
    if (out.empty() || path.back() == '/') throw InvalidArgument("path: must name a file");
    return out;
}

fs::path UploadArea::dir(std::string_view id) const {
    if (id.empty() || id.size() > 64 ||
        !std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-'; }))
        throw InvalidArgument(fmt::format("not an upload id: '{}'", id));
    return m_root / std::string(id);
}

std::uint64_t UploadArea::write(std::string_view id, std::string_view path, std::optional<std::uint64_t> declared,
                                std::uint64_t budget, const std::function<bool(std::string&)>& next) const {
    const fs::path rel(validate_path(path));
    const fs::path base = dir(id);
    fs::create_directories(base);
    check_no_symlink(base, rel);
    const fs::path target = base / rel;
    std::error_code ec;
    const auto st = fs::symlink_status(target, ec);
    if (!ec && st.type() == fs::file_type::directory)
        throw InvalidArgument(fmt::format("path: '{}' is a directory", rel.generic_string()));
    const std::uint64_t old_size = (!ec && st.type() == fs::file_type::regular) ? fs::file_size(target) : 0;
    const std::uint64_t allowed = std::min<std::uint64_t>(budget + old_size, m_limits.max_file_bytes);
    const auto over = [&](std::uint64_t n) {
        return Error(errc::limit_exceeded,
                     fmt::format("upload quota exceeded: {} bytes for '{}' but only {} bytes are allowed ({})", n,
                                 rel.generic_string(), allowed,
                                 allowed == m_limits.max_file_bytes ? "largest file" : "remaining upload storage"));
    };
    if (declared && *declared > allowed) throw over(*declared);

    // Directories made for this file are removed again if the file is refused.
    fs::path made;
    for (fs::path cur = base; const auto& part : rel.parent_path()) {
        cur /= part;
        if (!fs::exists(cur, ec)) {
            made = cur;
            break;
        }
    }
    fs::create_directories(target.parent_path());
    check_no_symlink(base, rel);  // nothing raced a link in while the directories were made
    const fs::path tmp = target.parent_path() / fmt::format(".part-{}", random_hex(8));
    std::uint64_t written = 0;
    try {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw IoError(fmt::format("cannot write {}", tmp.string()));
        std::string chunk;
        while (next(chunk)) {
            written += chunk.size();
            if (written > allowed) throw over(written);
            out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
            chunk.clear();
        }
        out.close();
        if (!out) throw IoError(fmt::format("cannot write {}", tmp.string()));
        if (declared && written != *declared)
            throw InvalidArgument(fmt::format("body has {} bytes but Content-Length said {}", written, *declared));
        fs::rename(tmp, target);
    } catch (...) {
        fs::remove(tmp, ec);
        if (!made.empty()) fs::remove_all(made, ec);
        throw;
    }
    return written;
}

std::uint64_t UploadArea::write(std::string_view id, std::string_view path, std::string_view bytes,
                                std::uint64_t budget) const {
    constexpr std::size_t chunk_size = 1U << 20U;
    std::size_t pos = 0;
    return write(id, path, bytes.size(), budget, [&](std::string& chunk) {
        if (pos >= bytes.size()) return false;
        const std::size_t n = std::min(chunk_size, bytes.size() - pos);
        chunk.assign(bytes.substr(pos, n));
        pos += n;
        return true;
    });
}

bool UploadArea::remove_file(std::string_view id, std::string_view path) const {
    const fs::path rel(validate_path(path));
    const fs::path base = dir(id);
    check_no_symlink(base, rel);
    std::error_code ec;
    if (fs::symlink_status(base / rel, ec).type() != fs::file_type::regular) return false;
    return fs::remove(base / rel, ec);
}

std::vector<TreeEntry> UploadArea::tree(std::string_view id) const {
    std::vector<TreeEntry> out;
    const fs::path base = dir(id);
    std::error_code ec;
    if (!fs::is_directory(base, ec)) return out;
    for (auto it = fs::recursive_directory_iterator(base); it != fs::recursive_directory_iterator(); ++it) {
        const auto name = it->path().filename().string();
        if (name.starts_with(".part-")) continue;
        TreeEntry e;
        e.path = fs::relative(it->path(), base).generic_string();
        e.directory = it->is_directory(ec) && !it->is_symlink(ec);
        e.size = e.directory ? directory_size(it->path()) : (it->is_regular_file(ec) ? it->file_size(ec) : 0);
        out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
    return out;
}

std::uint64_t UploadArea::size(std::string_view id) const { return directory_size(dir(id)); }

std::vector<Md5Result> UploadArea::verify_md5(std::string_view id) const {
    std::vector<Md5Result> out;
    const fs::path base = dir(id);
    for (const auto& e : tree(id)) {
        if (e.directory || !e.path.ends_with(".md5")) continue;
        Md5Result r;
        r.file = e.path.substr(0, e.path.size() - 4);
        std::ifstream md5(base / e.path);
        std::string expected;
        md5 >> expected;
        std::transform(expected.begin(), expected.end(), expected.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::ifstream data(base / r.file, std::ios::binary);
        if (!data) {
            r.message = fmt::format("{}: the file named by {} is missing", r.file, e.path);
        } else if (expected.size() != 32) {
            r.message = fmt::format("{}: does not hold an MD5 sum", e.path);
        } else {
            std::ostringstream ss;
            ss << data.rdbuf();
            const std::string actual = md5_hex(ss.str());
            r.ok = actual == expected;
            if (!r.ok) r.message = fmt::format("{}: MD5 is {} but {} says {}", r.file, actual, e.path, expected);
        }
        out.push_back(std::move(r));
    }
    return out;
}

void UploadArea::remove(std::string_view id) const {
    std::error_code ec;
    fs::remove_all(dir(id), ec);
}

std::uint64_t directory_size(const fs::path& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return 0;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
    return total;
}

}  // namespace geoplex::catalog::detail
