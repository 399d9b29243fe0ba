#include <chrono>
#include <ctime>
#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>
#include <unistd.h>

#include "altitude/spec.hpp"
#include "geocoder/spec.hpp"
#include "routing/spec.hpp"
#include "tiles/spec.hpp"
#include "bundle/manifest.hpp"
#include "geoplex/altitude/altitude.hpp"
#include "geoplex/geocoder/geocoder.hpp"
#include "geoplex/routing/routing.hpp"
#include "geoplex/tiles/tiles.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/clock.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/version.hpp"

namespace geoplex::bundle {

namespace {

// Removes a directory tree when it goes out of scope, unless released.
class ScratchDir {
public:
    explicit ScratchDir(std::filesystem::path p) : m_path(std::move(p)) {}
    ~ScratchDir() {
        if (!m_path.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(m_path, ec);
        }
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    void release() { m_path.clear(); }

private:
    std::filesystem::path m_path;
};

toml::table parse_spec(const std::filesystem::path& spec) {
    if (!std::filesystem::exists(spec))
        throw IoError(fmt::format("bundle spec '{}' does not exist", spec.string()));
    try {
        return toml::parse_file(spec.string());
    } catch (const toml::parse_error& e) {
        throw InvalidArgument(fmt::format("bundle spec '{}' is not valid TOML: {} (line {}, column {})", spec.string(),
                                          e.description(), e.source().begin.line, e.source().begin.column));
    }
}

// Moves the finished temporary directory into place. An existing bundle is renamed aside first
// and removed only once the new one is in place.
void install_bundle(const std::filesystem::path& tmp, const std::filesystem::path& out) {
    std::error_code ec;
    std::filesystem::path old;
    if (std::filesystem::exists(out)) {
        if (!std::filesystem::exists(out / detail::manifest_file_name) && !std::filesystem::is_empty(out))
            throw IoError(fmt::format("'{}' exists and is not a geoplex bundle; refusing to replace it", out.string()));
        old = out.string() + fmt::format(".old-{}", ::getpid());
        std::filesystem::rename(out, old, ec);
        if (ec) throw IoError(fmt::format("cannot move the previous bundle '{}' aside: {}", out.string(), ec.message()));
    }
    std::filesystem::rename(tmp, out, ec);
    if (ec) throw IoError(fmt::format("cannot rename '{}' to '{}': {}", tmp.string(), out.string(), ec.message()));
    if (!old.empty()) std::filesystem::remove_all(old, ec);
}

// Parses the `[name]` section with the component's own parser; its problems are appended to
// `problems` (prefixed with the section) so that every problem of the spec is reported at once.
template <class Parse>
auto parse_section(const toml::table& spec, std::string_view name, const std::filesystem::path& spec_dir, Parse parse,
                   std::vector<std::string>& problems) -> std::optional<decltype(parse(spec, spec_dir))> {
    const auto node = spec[name];
    if (!node) return std::nullopt;
    const auto* section = node.as_table();
    if (section == nullptr) {
        problems.push_back(fmt::format("[{}] must be a table", name));
        return std::nullopt;
    }
    try {
        return parse(*section, spec_dir);
    } catch (const InvalidArgument& e) {
        for (const auto& p : e.problems()) problems.push_back(fmt::format("[{}] {}", name, p));
    }
    return std::nullopt;
}

template <class Builder, class Config>
void build_component(std::string_view name, const std::optional<Config>& config, const std::filesystem::path& tmp,
                     const core::Callbacks& callbacks, Manifest& manifest) {
    if (!config) return;
    callbacks.info(fmt::format("building {}", name));
    (void)Builder(*config).build(tmp / name, callbacks);
    manifest.components.emplace_back(name);
    callbacks.check_cancelled();
}

}  // namespace

void build(const std::filesystem::path& spec, const std::filesystem::path& out_dir, const core::Callbacks& callbacks) {
    const auto spec_path = std::filesystem::absolute(spec);
    const auto spec_dir = spec_path.parent_path();
    const toml::table t = parse_spec(spec_path);

    // Validate the whole spec before doing any work, and report every problem at once.
    static const std::set<std::string, std::less<>> known = {"name", "altitude", "geocoder", "routing", "tiles"};
    std::vector<std::string> problems;
    for (const auto& [key, node] : t) {
        if (!known.contains(key.str()))
            problems.push_back(fmt::format("unknown top-level key '{}' in '{}' (known: {})", key.str(),
                                           spec_path.string(), fmt::join(known, ", ")));
    }
    const auto name = t["name"].value<std::string>();
    if (!name || name->empty()) problems.push_back("the spec needs a non-empty `name = \"…\"`");

    auto altitude_config = parse_section(t, "altitude", spec_dir, altitude::detail::config_from_toml, problems);
    auto geocoder_config = parse_section(t, "geocoder", spec_dir, geocoder::detail::config_from_toml, problems);
    auto routing_config = parse_section(t, "routing", spec_dir, routing::detail::config_from_toml, problems);
    auto tiles_config = parse_section(t, "tiles", spec_dir, tiles::detail::config_from_toml, problems);
    if (!altitude_config && !geocoder_config && !routing_config && !tiles_config) {
        if (problems.empty())
            problems.push_back("the spec builds nothing: add at least one component section ([altitude], [geocoder], [routing], [tiles])");
    }
    if (!problems.empty()) throw InvalidArgument(problems);

    const auto out = std::filesystem::absolute(out_dir);
    const auto parent = out.parent_path();
    std::filesystem::create_directories(parent);
    const auto tmp = parent / fmt::format(".{}.building-{}", out.filename().string(), ::getpid());
    std::filesystem::remove_all(tmp);
    std::filesystem::create_directories(tmp);
    ScratchDir guard(tmp);

    Manifest manifest;
    manifest.name = *name;
    manifest.created = core::utc_now_iso8601();
    manifest.geoplex_version = std::string(geoplex::version);

    build_component<altitude::Builder>("altitude", altitude_config, tmp, callbacks, manifest);
    build_component<geocoder::Builder>("geocoder", geocoder_config, tmp, callbacks, manifest);
    build_component<routing::Builder>("routing", routing_config, tmp, callbacks, manifest);
    build_component<tiles::Builder>("tiles", tiles_config, tmp, callbacks, manifest);
    callbacks.check_cancelled();
    detail::write_manifest(tmp, manifest);
    install_bundle(tmp, out);
    guard.release();
    callbacks.info(fmt::format("bundle '{}' written to {}", manifest.name, out.string()));
}

}  // namespace geoplex::bundle
