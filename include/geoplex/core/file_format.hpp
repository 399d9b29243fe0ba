#pragma once
// The versioned binary header every geoplex index file starts with, and a writer/reader pair
// that handles it. Layout (64 bytes, little-endian):
//   magic[8] | format_version u32 | endian_marker u32 | payload_size u64 | payload_crc32 u64 |
//   created_unix u64 | reserved[24]
// The payload follows at offset 64 (8-byte aligned), so it can be cast to arrays of
// fixed-width types after the endianness check.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>

#include "geoplex/core/mapped_file.hpp"

namespace geoplex::core {

inline constexpr std::uint32_t endian_marker = 0x01020304U;

struct FileHeader {
    std::array<char, 8> magic{};
    std::uint32_t format_version = 0;
    std::uint32_t endian = endian_marker;
    std::uint64_t payload_size = 0;
    std::uint64_t payload_checksum = 0;
    std::uint64_t created_unix = 0;
    std::array<char, 24> reserved{};
};
static_assert(sizeof(FileHeader) == 64, "the on-disk header is exactly 64 bytes");

/// Builds a magic from a string of at most 8 characters ("GPXDEM").
[[nodiscard]] std::array<char, 8> make_magic(std::string_view text);

/// CRC-32 of a byte range (libdeflate; several GB/s).
[[nodiscard]] std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t seed = 0);

/// Writes an index file: header, then payload appended with write()/pad_to(). finish()
/// computes the checksum, rewrites the header and renames `<path>.tmp` to `path`, so a crash
/// never leaves a half-written file under the final name.
class IndexFileWriter {
public:
    IndexFileWriter(const std::filesystem::path& path, std::string_view magic, std::uint32_t format_version);
    ~IndexFileWriter();
    IndexFileWriter(const IndexFileWriter&) = delete;
    IndexFileWriter& operator=(const IndexFileWriter&) = delete;

    void write(std::span<const std::byte> bytes);
    template <class T>
    void write_array(std::span<const T> values) { write(std::as_bytes(values)); }
    template <class T>
    void write_value(const T& value) { write(std::as_bytes(std::span<const T>(&value, 1))); }
    /// Pads with zeros so the next write starts at a multiple of `alignment` in the payload.
    void pad_to(std::size_t alignment);
    [[nodiscard]] std::uint64_t payload_size() const noexcept { return m_size; }
    void finish();

private:
    std::filesystem::path m_path;
    std::filesystem::path m_tmp;
    std::ofstream m_out;
    FileHeader m_header;
    std::uint64_t m_size = 0;
    std::uint32_t m_crc = 0;
    bool m_finished = false;
};

/// A memory-mapped index file whose header was checked: magic, version, endianness, size,
/// and (when asked) the payload checksum. Errors name the file and say what is wrong.
class IndexFile {
public:
    IndexFile() = default;
    IndexFile(const std::filesystem::path& path, std::string_view magic, std::uint32_t format_version,
              bool verify_checksum);
    [[nodiscard]] const FileHeader& header() const noexcept { return m_header; }
    [[nodiscard]] std::span<const std::byte> payload() const noexcept;
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_file.path(); }

private:
    MappedFile m_file;
    FileHeader m_header;
};

}  // namespace geoplex::core
