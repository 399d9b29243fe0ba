#include "geoplex/bundle/engine.hpp"

#include <memory>
#include <optional>

#include <fmt/format.h>

#include "bundle/manifest.hpp"
#include "geoplex/altitude/altitude.hpp"
#include "geoplex/geocoder/geocoder.hpp"
#include "geoplex/routing/routing.hpp"
#include "geoplex/tiles/tiles.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/version.hpp"

namespace geoplex::bundle {

struct Engine::Impl {
    std::filesystem::path dir;
    Manifest manifest;
    std::optional<altitude::Altimetry> altitude;
    std::optional<geocoder::Geocoder> geocoder;
    std::optional<routing::Router> routing;
    std::optional<tiles::Tileset> tiles;
};

Engine Engine::open(const std::filesystem::path& dir, const EngineConfig& config) {
    auto impl = std::make_shared<Impl>();
    impl->dir = std::filesystem::absolute(dir);
    impl->manifest = detail::read_manifest(impl->dir);
    for (const auto& component : impl->manifest.components) {
        if (component == "altitude") {
            altitude::OpenOptions options;
            options.verify_checksums = config.verify_checksums;
            impl->altitude = altitude::Altimetry::open(impl->dir / "altitude", options);
        } else if (component == "geocoder") {
            geocoder::OpenOptions options;
            options.verify_checksums = config.verify_checksums;
            impl->geocoder = geocoder::Geocoder::open(impl->dir / "geocoder", options);
        } else if (component == "routing") {
            routing::OpenOptions options;
            options.verify_checksums = config.verify_checksums;
            options.adaptive_sets.enabled = config.routing_adaptive_sets;
            options.adaptive_sets.max_sets = config.routing_adaptive_max_sets;
            impl->routing = routing::Router::open(impl->dir / "routing", options);
        } else if (component == "tiles") {
            impl->tiles = tiles::Tileset::open(impl->dir / "tiles");
        } else {
            throw FormatError(fmt::format("bundle '{}' has a component '{}' that this geoplex {} does not know; "
                                          "upgrade geoplex or rebuild the bundle",
                                          impl->dir.string(), component, geoplex::version));
        }
    }
    return Engine(std::move(impl));
}

const Manifest& Engine::manifest() const { return m_impl->manifest; }
const std::filesystem::path& Engine::directory() const { return m_impl->dir; }
bool Engine::has_altitude() const noexcept { return m_impl && m_impl->altitude.has_value(); }
bool Engine::has_geocoder() const noexcept { return m_impl && m_impl->geocoder.has_value(); }
bool Engine::has_routing() const noexcept { return m_impl && m_impl->routing.has_value(); }
bool Engine::has_tiles() const noexcept { return m_impl && m_impl->tiles.has_value(); }

const tiles::Tileset& Engine::tiles() const {
    if (!has_tiles())
        throw Error(errc::not_found, fmt::format("bundle '{}' has no tiles component (add a [tiles] section to "
                                                 "its spec and rebuild)", m_impl->manifest.name));
    return *m_impl->tiles;
}

const routing::Router& Engine::routing() const {
    if (!has_routing())
        throw Error(errc::not_found, fmt::format("bundle '{}' has no routing component (add a [routing] section to "
                                                 "its spec and rebuild)", m_impl->manifest.name));
    return *m_impl->routing;
}

const geocoder::Geocoder& Engine::geocoder() const {
    if (!has_geocoder())
        throw Error(errc::not_found, fmt::format("bundle '{}' has no geocoder component (add a [geocoder] section to "
                                                 "its spec and rebuild)", m_impl->manifest.name));
    return *m_impl->geocoder;
}

const altitude::Altimetry& Engine::altitude() const {
    if (!has_altitude())
        throw Error(errc::not_found, fmt::format("bundle '{}' has no altitude component (add an [altitude] section to "
                                                 "its spec and rebuild)", m_impl->manifest.name));
    return *m_impl->altitude;
}

}  // namespace geoplex::bundle
