#include "bundle/manifest.hpp"

#include <fstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "geoplex/core/error.hpp"

namespace geoplex::bundle::detail {

Manifest read_manifest(const std::filesystem::path& dir) {
    const auto path = dir / manifest_file_name;
    if (!std::filesystem::is_directory(dir))
        throw IoError(fmt::format("'{}' is not a directory; a bundle is a directory built by `geoplex build SPEC -o DIR`",
                                  dir.string()));
    if (!std::filesystem::exists(path))
        throw IoError(fmt::format("'{}' is not a geoplex bundle: it has no {} (build one with `geoplex build SPEC -o DIR`)",
                                  dir.string(), manifest_file_name));
    toml::table t;
    try {
        t = toml::parse_file(path.string());
    } catch (const toml::parse_error& e) {
        throw FormatError(fmt::format("'{}' is not valid TOML: {} (line {})", path.string(), e.description(),
                                      e.source().begin.line));
    }
    Manifest m;
    const auto version = t["format_version"].value<std::int64_t>();
    if (!version) throw FormatError(fmt::format("'{}' has no integer format_version", path.string()));
    if (*version != manifest_format_version)
        throw FormatError(fmt::format("'{}' has bundle format version {}, this geoplex reads version {}; rebuild the bundle",
                                      path.string(), *version, manifest_format_version),
                          errc::version_mismatch);
    m.format_version = static_cast<std::uint32_t>(*version);
    m.name = t["name"].value_or(std::string{});
    m.created = t["created"].value_or(std::string{});
    m.geoplex_version = t["geoplex_version"].value_or(std::string{});
    if (const auto* comps = t["components"].as_array()) {
        for (const auto& c : *comps) {
            const auto s = c.value<std::string>();
            if (!s) throw FormatError(fmt::format("'{}': components must be a list of strings", path.string()));
            m.components.push_back(*s);
        }
    } else if (t.contains("components")) {
        throw FormatError(fmt::format("'{}': components must be a list of strings", path.string()));
    }
    return m;
}

void write_manifest(const std::filesystem::path& dir, const Manifest& manifest) {
    toml::array comps;
    for (const auto& c : manifest.components) comps.push_back(c);
    toml::table t{
        {"name", manifest.name},
        {"format_version", static_cast<std::int64_t>(manifest.format_version)},
        {"created", manifest.created},
        {"geoplex_version", manifest.geoplex_version},
        {"components", comps},
    };
    std::ofstream out(dir / manifest_file_name);
    out << "# geoplex bundle manifest (written by `geoplex build`; do not edit)\n" << t << "\n";
    if (!out) throw IoError(fmt::format("cannot write '{}'", (dir / manifest_file_name).string()));
}

}  // namespace geoplex::bundle::detail
