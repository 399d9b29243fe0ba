#include "geoplex/bundle/engine.hpp"

#include <memory>
#include <optional>

#include <fmt/format.h>

#include "bundle/manifest.hpp"
#include "geoplex/altitude/altitude.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/version.hpp"

namespace geoplex::bundle {

struct Engine::Impl {
    std::filesystem::path dir;
    Manifest manifest;
    std::optional<altitude::Altimetry> altitude;
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

const altitude::Altimetry& Engine::altitude() const {
    if (!has_altitude())
        throw Error(errc::not_found, fmt::format("bundle '{}' has no altitude component (add an [altitude] section to "
                                                 "its spec and rebuild)", m_impl->manifest.name));
    return *m_impl->altitude;
}

}  // namespace geoplex::bundle
