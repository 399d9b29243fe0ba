#include "geocoder/line_reader.hpp"

#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <zlib.h>

#include "geoplex/core/error.hpp"
#include "geoplex/core/mapped_file.hpp"

namespace geoplex::geocoder::detail {

struct LineReader::Impl {
    std::filesystem::path path;
    // plain files: mapped
    core::MappedFile mapped;
    std::size_t pos = 0;
    // gzip files: streamed in chunks
    gzFile gz = nullptr;
    std::uint64_t gz_size = 0;
    std::vector<char> buf;
    std::size_t begin = 0;
    std::size_t end = 0;
    bool eof = false;
    std::string line;

    ~Impl() {
        if (gz != nullptr) gzclose(gz);
    }

    // Fills `buf` so that a whole line is available from `begin`, or EOF.
    void refill() {
        if (begin > 0) {
            std::memmove(buf.data(), buf.data() + begin, end - begin);
            end -= begin;
            begin = 0;
        }
        if (end == buf.size()) buf.resize(buf.size() * 2);
        const int n = gzread(gz, buf.data() + end, static_cast<unsigned>(buf.size() - end));
        if (n < 0) {
            int err = 0;
            const char* msg = gzerror(gz, &err);
            throw FormatError(fmt::format("'{}' is not a valid gzip file: {}", path.string(), msg != nullptr ? msg : "?"));
        }
        if (n == 0) eof = true;
        end += static_cast<std::size_t>(n);
    }
};

LineReader::LineReader(const std::filesystem::path& path) : m_impl(std::make_unique<Impl>()) {
    m_impl->path = path;
    if (!std::filesystem::exists(path)) throw IoError(fmt::format("'{}' does not exist", path.string()));
    if (path.extension() == ".gz") {
        m_impl->gz = gzopen(path.c_str(), "rb");
        if (m_impl->gz == nullptr) throw IoError(fmt::format("cannot open '{}'", path.string()));
        gzbuffer(m_impl->gz, 1U << 17U);
        m_impl->gz_size = std::filesystem::file_size(path);
        m_impl->buf.resize(1U << 20U);
    } else {
        m_impl->mapped = core::MappedFile(path);
    }
}

LineReader::~LineReader() = default;

bool LineReader::next(std::string_view& line) {
    Impl& s = *m_impl;
    if (s.gz == nullptr) {
        const auto* data = reinterpret_cast<const char*>(s.mapped.data());
        const std::size_t size = s.mapped.size();
        if (s.pos >= size) return false;
        const void* nl = std::memchr(data + s.pos, '\n', size - s.pos);
        const std::size_t stop = nl != nullptr ? static_cast<std::size_t>(static_cast<const char*>(nl) - data) : size;
        line = std::string_view(data + s.pos, stop - s.pos);
        s.pos = stop + 1;
    } else {
        for (;;) {
            const void* nl = std::memchr(s.buf.data() + s.begin, '\n', s.end - s.begin);
            if (nl != nullptr) {
                const auto stop = static_cast<std::size_t>(static_cast<const char*>(nl) - s.buf.data());
                line = std::string_view(s.buf.data() + s.begin, stop - s.begin);
                s.begin = stop + 1;
                break;
            }
            if (s.eof) {
                if (s.begin == s.end) return false;
                line = std::string_view(s.buf.data() + s.begin, s.end - s.begin);
                s.begin = s.end;
                break;
            }
            s.refill();
        }
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++m_line;
    return true;
}

std::uint64_t LineReader::position() const noexcept {
    if (m_impl->gz != nullptr) return static_cast<std::uint64_t>(gzoffset(m_impl->gz));
    return m_impl->pos;
}

std::uint64_t LineReader::size() const noexcept {
    return m_impl->gz != nullptr ? m_impl->gz_size : m_impl->mapped.size();
}

}  // namespace geoplex::geocoder::detail
