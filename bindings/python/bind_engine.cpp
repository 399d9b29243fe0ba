// geoplex.open / geoplex.Engine / geoplex.Manifest / geoplex.build.

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "bindings.hpp"
#include "geoplex/altitude/altitude.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"

namespace geoplex::python {

namespace {

// "['altitude', 'routing']", as Python prints a list of str.
std::string quoted_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += fmt::format("{}'{}'", i ? ", " : "", items[i]);
    return out + "]";
}

std::string manifest_repr(const bundle::Manifest& m) {
    return fmt::format("Manifest(name='{}', created='{}', geoplex_version='{}', format_version={}, components={})",
                       m.name, m.created, m.geoplex_version, m.format_version, quoted_list(m.components));
}

py::dict manifest_dict(const bundle::Manifest& m) {
    py::dict d;
    d["name"] = m.name;
    d["created"] = m.created;
    d["geoplex_version"] = m.geoplex_version;
    d["format_version"] = m.format_version;
    d["components"] = py::cast(m.components);
    return d;
}

/// The component object of an Engine, created on first access and cached on the instance (a
/// Router or Geocoder keeps a pool of query states worth reusing across calls).
py::object component(const py::object& self, const char* attribute, py::object (*make)(const bundle::Engine&)) {
    if (py::hasattr(self, attribute)) return self.attr(attribute);
    py::object value = make(self.cast<const bundle::Engine&>());
    py::setattr(self, attribute, value);
    return value;
}

}  // namespace

void bind_engine(py::module_& m) {
    py::class_<bundle::Manifest>(m, "Manifest", "What a bundle's manifest.toml says (read-only).")
        .def_readonly("name", &bundle::Manifest::name, "Bundle name, from the spec.")
        .def_readonly("created", &bundle::Manifest::created, "ISO 8601 UTC build time.")
        .def_readonly("geoplex_version", &bundle::Manifest::geoplex_version,
                      "Version of the geoplex that built the bundle.")
        .def_readonly("format_version", &bundle::Manifest::format_version, "Manifest format version.")
        .def_property_readonly(
            "components", [](const bundle::Manifest& self) { return self.components; },
            "Component folders present in the bundle, e.g. ['altitude'] (a new list each time).")
        .def("to_dict", &manifest_dict, "The manifest as a plain dict.")
        .def("__repr__", &manifest_repr);

    // dynamic_attr: the component objects are cached on the instance (see component()).
    py::class_<bundle::Engine>(m, "Engine",
                               "An opened bundle: memory-mapped, immutable, safe to share between threads.\n"
                               "Create it with geoplex.open(path).",
                               py::dynamic_attr())
        .def_property_readonly("manifest", &bundle::Engine::manifest, py::return_value_policy::reference_internal,
                               "The bundle's Manifest (name, created, components…).")
        .def_property_readonly(
            "directory", [](const bundle::Engine& self) { return self.directory(); },
            "Absolute path of the bundle directory (pathlib.Path).")
        .def_property_readonly("has_altitude", &bundle::Engine::has_altitude,
                               "True when the bundle has an altitude component.")
        .def_property_readonly(
            "altitude",
            // Altimetry is a cheap shared handle: the copy keeps the data mapped on its own.
            [](const bundle::Engine& self) { return altitude::Altimetry(self.altitude()); },
            "The bundle's Altimetry (DEM resources). Raises geoplex.NotFound when the bundle has no\n"
            "altitude component.")
        .def_property_readonly("has_routing", &bundle::Engine::has_routing,
                               "True when the bundle has a routing component.")
        .def_property_readonly(
            "routing", [](const py::object& self) { return component(self, "_geoplex_routing", &routing_object); },
            "The bundle's Router (routes, matrices, nearest). Raises geoplex.NotFound when the bundle has no\n"
            "routing component. The same object is returned each time (its query state is reused).")
        .def_property_readonly("has_geocoder", &bundle::Engine::has_geocoder,
                               "True when the bundle has a geocoder component.")
        .def_property_readonly(
            "geocoder", [](const py::object& self) { return component(self, "_geoplex_geocoder", &geocoder_object); },
            "The bundle's Geocoder (search, reverse, completion, CSV batches). Raises geoplex.NotFound when\n"
            "the bundle has no geocoder component. The same object is returned each time.")
        .def_property_readonly("has_tiles", &bundle::Engine::has_tiles, "True when the bundle has a tiles component.")
        .def_property_readonly(
            "tiles", [](const py::object& self) { return component(self, "_geoplex_tiles", &tiles_object); },
            "The bundle's Tileset (raster and vector tile layers). Raises geoplex.NotFound when the bundle has\n"
            "no tiles component. The same object is returned each time (its tile cache is shared).")
        .def(py::pickle(
            // A bundle is immutable and opening it is cheap: pickle the path, reopen on load (what a
            // Dask or multiprocessing worker needs). The bundle must be reachable at the same path.
            [](const bundle::Engine& self) { return py::make_tuple(self.directory()); },
            [](const py::tuple& state) {
                if (state.size() != 1) throw InvalidArgument("invalid pickled geoplex.Engine state");
                const auto dir = state[0].cast<std::filesystem::path>();
                py::gil_scoped_release release;
                return bundle::Engine::open(dir);
            }))
        .def("__repr__", [](const bundle::Engine& self) {
            const auto& man = self.manifest();
            return fmt::format("Engine(name='{}', directory='{}', components={})", man.name, self.directory().string(),
                               quoted_list(man.components));
        });

    m.def(
        "open",
        [](const std::filesystem::path& path, bool verify_checksums) {
            bundle::EngineConfig config;
            config.verify_checksums = verify_checksums;
            py::gil_scoped_release release;
            return bundle::Engine::open(path, config);
        },
        py::arg("path"), py::arg("verify_checksums") = false,
        "Opens the bundle directory `path` (str or os.PathLike) in milliseconds (memory mapping, no\n"
        "parsing).\n\n"
        "Args:\n"
        "    path: bundle directory written by geoplex.build().\n"
        "    verify_checksums: verify every index file's checksum (reads every byte: slower).\n\n"
        "Returns:\n"
        "    Engine\n\n"
        "Raises:\n"
        "    IoError: the directory or one of its files is missing or unreadable.\n"
        "    FormatError: the manifest or an index file is corrupt or from an incompatible version.");

    m.def(
        "build",
        [](const std::filesystem::path& spec, const std::filesystem::path& out_dir, const py::object& progress) {
            call_with_callbacks(progress,
                                [&](const core::Callbacks& callbacks) { bundle::build(spec, out_dir, callbacks); });
        },
        py::arg("spec"), py::arg("out_dir"), py::arg("progress") = py::none(),
        "Builds the bundle described by the TOML file `spec` into `out_dir` (atomically: a failed or\n"
        "cancelled build leaves no half bundle). The GIL is released while building.\n\n"
        "Args:\n"
        "    spec: path of the bundle spec (bundle.toml); relative paths inside resolve against its folder.\n"
        "    out_dir: bundle directory to write (replaced if it is an existing bundle).\n"
        "    progress: None, or a callable(task: str, done: int, total: int) called with the GIL held\n"
        "        (throttled to ~10 calls a second per task). An exception it raises stops the build and\n"
        "        is re-raised. geoplex.build() (the package-level wrapper) also accepts True for a text bar.\n\n"
        "Raises:\n"
        "    InvalidArgument: listing every problem of the spec (.problems).\n"
        "    IoError, DependencyError: a source could not be read.");
}

}  // namespace geoplex::python
