#pragma once
// A section table inside an index file: sections are written one after the other (8-byte
// aligned), then a table of contents and an 16-byte trailer (entry count, table offset).
// Readers look sections up by id and get typed spans over the mapped bytes.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "geoplex/core/file_format.hpp"

namespace geoplex::routing::detail {

class SectionWriter {
public:
    SectionWriter(const std::filesystem::path& path, std::string_view magic, std::uint32_t version)
        : m_writer(path, magic, version) {}
    template <class T>
    void add(std::uint32_t id, std::span<const T> values) {
        add_bytes(id, std::as_bytes(values));
    }
    template <class T>
    void add(std::uint32_t id, const std::vector<T>& values) {
        add<T>(id, std::span<const T>(values));
    }
    void add_text(std::uint32_t id, std::string_view text) {
        add_bytes(id, std::as_bytes(std::span<const char>(text.data(), text.size())));
    }
    void add_bytes(std::uint32_t id, std::span<const std::byte> bytes);
    void finish();

private:
    struct Entry {
        std::uint64_t id, offset, size;
    };
    core::IndexFileWriter m_writer;
    std::vector<Entry> m_toc;
};

class SectionReader {
public:
    SectionReader() = default;
    SectionReader(const std::filesystem::path& path, std::string_view magic, std::uint32_t version, bool verify);
    [[nodiscard]] std::span<const std::byte> bytes(std::uint32_t id) const;
    template <class T>
    [[nodiscard]] std::span<const T> get(std::uint32_t id) const {
        const auto b = bytes(id);
        check(id, b.size() % sizeof(T) == 0, "its size is not a multiple of the element size");
        return {reinterpret_cast<const T*>(b.data()), b.size() / sizeof(T)};  // NOLINT: 8-aligned mapped payload
    }
    [[nodiscard]] std::string_view text(std::uint32_t id) const {
        const auto b = bytes(id);
        return {reinterpret_cast<const char*>(b.data()), b.size()};  // NOLINT
    }
    [[nodiscard]] const std::filesystem::path& path() const { return m_file.path(); }

private:
    void check(std::uint32_t id, bool ok, std::string_view what) const;
    core::IndexFile m_file;
};

}  // namespace geoplex::routing::detail
