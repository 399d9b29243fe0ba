// geoplex.synth: the deterministic synthetic territory generator.

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "bindings.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/synth/synth.hpp"

namespace geoplex::python {

namespace {

py::object path_or_none(const std::filesystem::path& p) {
    if (p.empty()) return py::none();
    return py::cast(p);
}

py::dict summary_dict(const synth::Summary& s) {
    py::dict d;
    d["name"] = s.name;
    d["nodes"] = s.nodes;
    d["ways"] = s.ways;
    d["relations"] = s.relations;
    d["addresses"] = s.addresses;
    d["streets"] = s.streets;
    d["communes"] = s.communes;
    d["pois"] = s.pois;
    d["grid_columns"] = s.grid_columns;
    d["grid_rows"] = s.grid_rows;
    d["cell_size_m"] = s.cell_size_m;
    d["bbox"] = py::make_tuple(s.bbox.min_x, s.bbox.min_y, s.bbox.max_x, s.bbox.max_y);
    d["dem_width"] = s.dem_width;
    d["dem_height"] = s.dem_height;
    d["dem_resolution_m"] = s.dem_resolution_m;
    d["basemap_width"] = s.basemap_width;
    d["basemap_height"] = s.basemap_height;
    d["roads"] = path_or_none(s.roads);
    d["addresses_csv"] = path_or_none(s.addresses_csv);
    d["dem"] = path_or_none(s.dem);
    d["layers"] = path_or_none(s.layers);
    d["basemap"] = path_or_none(s.basemap);
    d["bundle"] = path_or_none(s.bundle);
    d["seconds"] = s.seconds;
    d["report"] = s.to_string();
    return d;
}

}  // namespace

void bind_synth(py::module_& m) {
    m.def(
        "synth",
        [](const std::filesystem::path& out_dir, const std::string& size, long long seed,
           const std::optional<long long>& road_nodes, const std::optional<std::pair<double, double>>& origin,
           const py::object& progress) {
            if (seed < 0) throw InvalidArgument(fmt::format("seed must be >= 0, got {}", seed));
            if (road_nodes && *road_nodes <= 0)
                throw InvalidArgument(fmt::format("road_nodes must be positive, got {}", *road_nodes));
            synth::Config config = synth::Config::from_size(size);
            config.seed = static_cast<std::uint64_t>(seed);
            if (road_nodes) {
                config.road_nodes = static_cast<std::uint64_t>(*road_nodes);
                config.label.clear();
            }
            if (origin) config.origin = LonLat{origin->first, origin->second};
            config.validate();
            const synth::Summary summary = call_with_callbacks(progress, [&](const core::Callbacks& callbacks) {
                return synth::generate(config, out_dir, callbacks);
            });
            return summary_dict(summary);
        },
        py::arg("out_dir"), py::arg("size") = "village", py::arg("seed") = 1, py::arg("road_nodes") = py::none(),
        py::arg("origin") = py::none(), py::arg("progress") = py::none(),
        "Generates a deterministic synthetic territory into `out_dir`: roads.osm.pbf, addresses.csv (BAN),\n"
        "dem.tif, layers.gpkg, basemap.tif and a bundle.toml ready for geoplex.build(). Same arguments,\n"
        "same files. The GIL is released while generating.\n\n"
        "Args:\n"
        "    out_dir: folder to write (created if missing; existing outputs replaced).\n"
        "    size: 'village' (~1 000 road nodes), 'town' (~20 000), 'city' (~200 000), 'region'\n"
        "        (~1 000 000) or '<N>-nodes'.\n"
        "    seed: seed of every random choice (>= 0).\n"
        "    road_nodes: overrides the node count of `size`.\n"
        "    origin: (lon, lat) of the south-west corner (metropolitan France).\n"
        "    progress: None or a callable(task, done, total); the package wrapper also accepts True.\n\n"
        "Returns:\n"
        "    dict: counts (nodes, ways, addresses, communes…), bbox, DEM size, the paths written\n"
        "    (pathlib.Path, None when not written: roads, addresses_csv, dem, layers, basemap, bundle),\n"
        "    seconds and a printable 'report'.\n\n"
        "Raises:\n"
        "    InvalidArgument: bad size or configuration (.problems lists them all).");
}

}  // namespace geoplex::python
