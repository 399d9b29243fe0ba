#pragma once
// Line-by-line reading of plain (memory-mapped) or gzip-compressed text files (private).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace geoplex::geocoder::detail {

class LineReader {
public:
    /// Opens `path`; names ending in ".gz" are decompressed with zlib. Throws IoError.
    explicit LineReader(const std::filesystem::path& path);
    ~LineReader();
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    /// Next line without its "\n" / "\r\n"; false at the end. The view stays valid until the
    /// next call. Throws FormatError on a corrupt gzip stream.
    bool next(std::string_view& line);
    /// Bytes consumed so far and the total (compressed bytes for gzip), for progress.
    [[nodiscard]] std::uint64_t position() const noexcept;
    [[nodiscard]] std::uint64_t size() const noexcept;
    [[nodiscard]] std::uint64_t line_number() const noexcept { return m_line; }

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    std::uint64_t m_line = 0;
};

}  // namespace geoplex::geocoder::detail
