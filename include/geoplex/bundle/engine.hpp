#pragma once
// A bundle is a directory: manifest.toml plus one immutable, memory-mapped file (or folder)
// per component. Engine::open maps it in milliseconds; an Engine is a cheap shared handle.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "geoplex/core/progress.hpp"

namespace geoplex::altitude { class Altimetry; }
namespace geoplex::geocoder { class Geocoder; }
namespace geoplex::routing { class Router; }
namespace geoplex::tiles { class Tileset; }

namespace geoplex::bundle {

inline constexpr std::uint32_t manifest_format_version = 1;

/// What manifest.toml says about a bundle.
struct Manifest {
    std::string name;                    ///< bundle name from the spec
    std::string created;                 ///< ISO 8601 UTC build time
    std::string geoplex_version;         ///< version of the geoplex that built it
    std::uint32_t format_version = manifest_format_version;
    std::vector<std::string> components; ///< component folders present ("altitude", …)
};

struct EngineConfig {
    /// Verify every index file's payload checksum when opening (reads every byte: slower).
    bool verify_checksums = false;
    /// Routing: build hierarchies for the constraint sets clients use (routing::AdaptiveSetOptions;
    /// docs/routing.md, "Adaptive constraint sets") and how many to keep per profile.
    bool routing_adaptive_sets = true;
    std::uint32_t routing_adaptive_max_sets = 4;
};

class Engine {
public:
    /// Opens a bundle directory. Throws IoError/FormatError naming the missing or corrupt file.
    static Engine open(const std::filesystem::path& dir, const EngineConfig& config = {});

    [[nodiscard]] const Manifest& manifest() const;
    [[nodiscard]] const std::filesystem::path& directory() const;

    [[nodiscard]] bool has_altitude() const noexcept;
    /// Throws Error(errc::not_found) when the bundle has no altitude component.
    [[nodiscard]] const altitude::Altimetry& altitude() const;

    [[nodiscard]] bool has_geocoder() const noexcept;
    /// Throws Error(errc::not_found) when the bundle has no geocoder component.
    [[nodiscard]] const geocoder::Geocoder& geocoder() const;

    [[nodiscard]] bool has_routing() const noexcept;
    /// Throws Error(errc::not_found) when the bundle has no routing component.
    [[nodiscard]] const routing::Router& routing() const;

    [[nodiscard]] bool has_tiles() const noexcept;
    /// Throws Error(errc::not_found) when the bundle has no tiles component.
    [[nodiscard]] const tiles::Tileset& tiles() const;

private:
    struct Impl;
    explicit Engine(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}
    std::shared_ptr<const Impl> m_impl;
};

/// Reads `spec` (TOML), runs each component's builder and writes the bundle to `out_dir`
/// atomically: everything goes to a sibling temporary directory renamed at the end, so a failed
/// or cancelled build never leaves a half bundle. Relative paths in the spec are relative to
/// the spec file's folder. Throws InvalidArgument listing every problem of the spec.
void build(const std::filesystem::path& spec, const std::filesystem::path& out_dir,
           const core::Callbacks& callbacks = {});

}  // namespace geoplex::bundle
