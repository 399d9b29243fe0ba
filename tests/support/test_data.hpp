#pragma once
// Locating real test data (GEOPLEX_TEST_DATA) and scratch directories for tests.

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>

namespace geoplex::test {

/// The real-data folder (../shared/data), or nullopt when GEOPLEX_TEST_DATA is unset or missing.
inline std::optional<std::filesystem::path> test_data_dir() {
    const char* env = std::getenv("GEOPLEX_TEST_DATA");
    if (env == nullptr || *env == '\0') return std::nullopt;
    std::filesystem::path p(env);
    if (!std::filesystem::is_directory(p)) return std::nullopt;
    return std::filesystem::absolute(p);
}

/// A file of the real data set. Only call from DATA test binaries (their main checks the folder).
inline std::filesystem::path data_file(const std::string& relative) {
    return *test_data_dir() / relative;
}

/// A fresh, empty scratch directory removed when the object dies.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "geoplex-test") {
        std::random_device rd;
        const auto base = std::filesystem::temp_directory_path();
        for (;;) {
            m_path = base / (prefix + "-" + std::to_string(rd()));
            if (std::filesystem::create_directory(m_path)) break;
        }
    }
    ~TempDir() { std::error_code ec; std::filesystem::remove_all(m_path, ec); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
    [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
    std::filesystem::path m_path;
};

}  // namespace geoplex::test
