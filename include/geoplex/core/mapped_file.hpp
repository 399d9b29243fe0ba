#pragma once
// Move-only, read-only memory mapping of a whole file (libosmium's MemoryMapping, simplified).

#include <cstddef>
#include <filesystem>
#include <span>

namespace geoplex::core {

class MappedFile {
public:
    MappedFile() = default;
    /// Maps `path` read-only. Throws IoError naming the file when it cannot be opened or mapped.
    /// An empty file maps to an empty span.
    explicit MappedFile(const std::filesystem::path& path);
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    [[nodiscard]] const std::byte* data() const noexcept { return m_data; }
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {m_data, m_size}; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }
    [[nodiscard]] bool is_open() const noexcept { return m_data != nullptr || m_size == 0; }

private:
    void release() noexcept;
    const std::byte* m_data = nullptr;
    std::size_t m_size = 0;
    std::filesystem::path m_path;
};

}  // namespace geoplex::core
