#include "geoplex/core/file_format.hpp"

#include <chrono>
#include <cstring>

#include <fmt/format.h>
#include <libdeflate.h>

#include "geoplex/core/error.hpp"

namespace geoplex::core {

std::array<char, 8> make_magic(std::string_view text) {
    if (text.size() > 8) throw InvalidArgument(fmt::format("file magic '{}' is longer than 8 characters", text));
    std::array<char, 8> m{};
    std::memcpy(m.data(), text.data(), text.size());
    return m;
}

std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t seed) {
    return libdeflate_crc32(seed, bytes.data(), bytes.size());
}

IndexFileWriter::IndexFileWriter(const std::filesystem::path& path, std::string_view magic,
                                 std::uint32_t format_version)
    : m_path(path), m_tmp(path.string() + ".tmp") {
    m_header.magic = make_magic(magic);
    m_header.format_version = format_version;
    m_header.created_unix = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    m_out.open(m_tmp, std::ios::binary | std::ios::trunc);
    if (!m_out) throw IoError(fmt::format("cannot create '{}'", m_tmp.string()));
    m_out.write(reinterpret_cast<const char*>(&m_header), sizeof(m_header));
}

IndexFileWriter::~IndexFileWriter() {
    if (!m_finished) {
        m_out.close();
        std::error_code ec;
        std::filesystem::remove(m_tmp, ec);
    }
}

void IndexFileWriter::write(std::span<const std::byte> bytes) {
    if (bytes.empty()) return;
    m_out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!m_out) throw IoError(fmt::format("cannot write '{}' (disk full?)", m_tmp.string()));
    m_crc = crc32(bytes, m_crc);
    m_size += bytes.size();
}

void IndexFileWriter::pad_to(std::size_t alignment) {
    static constexpr std::array<std::byte, 64> zeros{};
    if (alignment == 0) return;
    std::size_t pad = (alignment - m_size % alignment) % alignment;
    while (pad > 0) {
        const std::size_t n = std::min(pad, zeros.size());
        write(std::span<const std::byte>(zeros.data(), n));
        pad -= n;
    }
}

void IndexFileWriter::finish() {
    m_header.payload_size = m_size;
    m_header.payload_checksum = m_crc;
    m_out.seekp(0);
    m_out.write(reinterpret_cast<const char*>(&m_header), sizeof(m_header));
    m_out.close();
    if (!m_out) throw IoError(fmt::format("cannot finish '{}'", m_tmp.string()));
    std::error_code ec;
    std::filesystem::rename(m_tmp, m_path, ec);
    if (ec) throw IoError(fmt::format("cannot rename '{}' to '{}': {}", m_tmp.string(), m_path.string(), ec.message()));
    m_finished = true;
}

IndexFile::IndexFile(const std::filesystem::path& path, std::string_view magic, std::uint32_t format_version,
                     bool verify_checksum)
    : m_file(path) {
    const auto name = path.string();
    if (m_file.size() < sizeof(FileHeader))
        throw FormatError(fmt::format("'{}' is truncated: {} bytes, smaller than the 64-byte header", name, m_file.size()));
    std::memcpy(&m_header, m_file.data(), sizeof(FileHeader));
    const auto expected = make_magic(magic);
    if (m_header.magic != expected)
        throw FormatError(fmt::format("'{}' is not a geoplex '{}' file (wrong magic); rebuild the bundle", name, magic));
    if (m_header.endian != endian_marker)
        throw FormatError(fmt::format("'{}' was written on a machine of other endianness; rebuild the bundle here", name));
    if (m_header.format_version != format_version)
        throw FormatError(fmt::format("'{}' has format version {}, this geoplex reads version {}; rebuild the bundle",
                                      name, m_header.format_version, format_version),
                          errc::version_mismatch);
    if (m_file.size() - sizeof(FileHeader) < m_header.payload_size)
        throw FormatError(fmt::format("'{}' is truncated: the header announces {} payload bytes, the file has {}", name,
                                      m_header.payload_size, m_file.size() - sizeof(FileHeader)));
    if (verify_checksum && crc32(payload()) != m_header.payload_checksum)
        throw FormatError(fmt::format("'{}' is corrupt: payload checksum mismatch; rebuild the bundle", name),
                          errc::checksum_mismatch);
}

std::span<const std::byte> IndexFile::payload() const noexcept {
    if (m_file.size() < sizeof(FileHeader)) return {};
    return m_file.bytes().subspan(sizeof(FileHeader), m_header.payload_size);
}

}  // namespace geoplex::core
