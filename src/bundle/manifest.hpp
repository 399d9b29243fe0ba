#pragma once
// Private: reading and writing manifest.toml.

#include <filesystem>

#include "geoplex/bundle/engine.hpp"

namespace geoplex::bundle::detail {

inline constexpr const char* manifest_file_name = "manifest.toml";

/// Reads `<dir>/manifest.toml`; errors name the file and say how to fix it.
Manifest read_manifest(const std::filesystem::path& dir);
void write_manifest(const std::filesystem::path& dir, const Manifest& manifest);

}  // namespace geoplex::bundle::detail
