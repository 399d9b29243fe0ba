#include "routing/store.hpp"

#include <cstring>

#include <fmt/format.h>
#include <sys/resource.h>

#include "geoplex/core/error.hpp"
#include "routing/detail.hpp"

namespace geoplex::routing::detail {

void SectionWriter::add_bytes(std::uint32_t id, std::span<const std::byte> bytes) {
    m_writer.pad_to(8);
    m_toc.push_back({id, m_writer.payload_size(), bytes.size()});
    m_writer.write(bytes);
}

void SectionWriter::finish() {
    m_writer.pad_to(8);
    const std::uint64_t toc_offset = m_writer.payload_size();
    for (const auto& e : m_toc) {
        m_writer.write_value(e.id);
        m_writer.write_value(e.offset);
        m_writer.write_value(e.size);
    }
    m_writer.write_value(static_cast<std::uint64_t>(m_toc.size()));
    m_writer.write_value(toc_offset);
    m_writer.finish();
}

SectionReader::SectionReader(const std::filesystem::path& path, std::string_view magic, std::uint32_t version,
                             bool verify)
    : m_file(path, magic, version, verify) {}

void SectionReader::check(std::uint32_t id, bool ok, std::string_view what) const {
    if (!ok)
        throw FormatError(fmt::format("'{}': section {} is corrupt ({}); rebuild the bundle", m_file.path().string(),
                                      id, what));
}

std::span<const std::byte> SectionReader::bytes(std::uint32_t id) const {
    const auto p = m_file.payload();
    check(0, p.size() >= 16, "no section table");
    std::uint64_t count = 0, toc = 0;
    std::memcpy(&count, p.data() + p.size() - 16, 8);
    std::memcpy(&toc, p.data() + p.size() - 8, 8);
    check(0, toc <= p.size() - 16 && count <= (p.size() - 16 - toc) / 24, "bad section table");
    for (std::uint64_t i = 0; i < count; ++i) {
        std::uint64_t e[3];
        std::memcpy(e, p.data() + toc + 24 * i, 24);
        if (e[0] != id) continue;
        check(id, e[1] <= toc && e[2] <= toc - e[1] && e[1] % 8 == 0, "out of bounds");
        return p.subspan(e[1], e[2]);
    }
    throw FormatError(fmt::format("'{}': section {} is missing; rebuild the bundle", m_file.path().string(), id));
}

std::uint64_t peak_rss_bytes() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<std::uint64_t>(ru.ru_maxrss) * 1024U;
}

}  // namespace geoplex::routing::detail
