// geoplex.Isochrones: isochrone/isodistance polygons as GeoJSON dicts, exact one-to-all costs
// per graph node and a cost raster, as numpy arrays. One isochrone::Isochrones query object per
// Python object, guarded by a mutex; every search runs with the GIL released.

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bindings.hpp"
#include "convert.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/isochrone/isochrone.hpp"

namespace geoplex::python {

namespace {

struct PyIsochrones {
    bundle::Engine engine;
    std::mutex mutex;
    isochrone::Isochrones iso;
    explicit PyIsochrones(const bundle::Engine& e) : engine(e), iso(e.routing()) {}
};

isochrone::IsochroneRequest request(const PyIsochrones& self, const py::object& point, std::vector<double> budgets,
                                    const std::string& cost_type, const std::string& profile,
                                    const std::string& direction, const std::optional<std::string>& resource) {
    isochrone::IsochroneRequest rq;
    const auto pts = lonlat_points(py::make_tuple(point), "point");
    rq.point = pts.at(0);
    const auto ct = isochrone::parse_cost_type(cost_type);
    if (!ct) throw InvalidArgument(fmt::format("cost_type must be 'time' or 'distance', not '{}'", cost_type));
    rq.cost_type = *ct;
    const auto d = isochrone::parse_direction(direction);
    if (!d) throw InvalidArgument(fmt::format("direction must be 'departure' or 'arrival', not '{}'", direction));
    rq.direction = *d;
    rq.profile = profile;
    const auto& resources = self.engine.routing().resources();
    if (resource) rq.resource = *resource;
    else if (!resources.empty()) rq.resource = resources.front().id;
    rq.budgets = std::move(budgets);
    return rq;
}

py::list ring_list(const core::Polygon::ring_type& ring) {
    py::list out;
    for (const LonLat p : ring) out.append(position_list(p));
    return out;
}

py::dict geometry_dict(const core::MultiPolygon& mp) {
    py::dict g;
    auto polygon = [](const core::Polygon& p) {
        py::list rings;
        rings.append(ring_list(p.outer()));
        for (const auto& in : p.inners()) rings.append(ring_list(in));
        return rings;
    };
    if (mp.size() == 1) {
        g["type"] = "Polygon";
        g["coordinates"] = polygon(mp.front());
    } else {
        g["type"] = "MultiPolygon";
        py::list parts;
        for (const auto& p : mp) parts.append(polygon(p));
        g["coordinates"] = parts;
    }
    return g;
}

}  // namespace

void bind_isochrone(py::module_& m) {
    py::class_<PyIsochrones>(m, "Isochrones",
                             "Isochrones and isodistances on an engine's routing bundle (exact reachability: "
                             "bounded Dijkstra or a PHAST sweep; polygons with GEOS). See docs/isochrone.md.")
        .def(py::init<const bundle::Engine&>(), py::arg("engine"), py::keep_alive<1, 2>(),
             "Isochrones over engine.routing (raises NotFound when the bundle has no routing).")
        .def(
            "compute",
            [](PyIsochrones& self, const py::object& point, std::vector<double> budgets, const std::string& cost_type,
               const std::string& profile, const std::string& direction, const std::optional<std::string>& resource) {
                auto rq = request(self, point, std::move(budgets), cost_type, profile, direction, resource);
                isochrone::IsochroneResult res;
                {
                    const py::gil_scoped_release release;
                    const std::lock_guard lock(self.mutex);
                    res = self.iso.compute(rq);
                }
                py::dict fc;
                fc["type"] = "FeatureCollection";
                py::list features;
                for (const auto& c : res.contours) {
                    py::dict f, props;
                    f["type"] = "Feature";
                    props["cost_type"] = cost_type;
                    props["cost_value"] = c.budget;
                    props["direction"] = direction;
                    props["profile"] = profile;
                    props["pieces"] = c.pieces;
                    f["properties"] = props;
                    f["geometry"] = geometry_dict(c.geometry);
                    features.append(f);
                }
                fc["features"] = features;
                fc["status"] = res.status == isochrone::IsochroneStatus::ok ? "ok" : "no_road";
                if (!res.message.empty()) fc["message"] = res.message;
                return fc;
            },
            py::arg("point"), py::arg("budgets"), py::arg("cost_type") = "time", py::arg("profile") = "car",
            py::arg("direction") = "departure", py::arg("resource") = py::none(),
            "A GeoJSON FeatureCollection dict: one Polygon/MultiPolygon feature per budget (seconds for "
            "cost_type='time', metres for 'distance'), all from one search. `status` is 'no_road' when no road "
            "is within 1000 m of the point (no features then).")
        .def(
            "node_costs",
            [](PyIsochrones& self, const py::object& point, std::optional<double> budget, const std::string& cost_type,
               const std::string& profile, const std::string& direction, const std::optional<std::string>& resource) {
                auto rq = request(self, point, budget ? std::vector<double>{*budget} : std::vector<double>{}, cost_type,
                                  profile, direction, resource);
                std::vector<double> costs;
                {
                    const py::gil_scoped_release release;
                    const std::lock_guard lock(self.mutex);
                    costs = self.iso.node_costs(rq);
                }
                py::array_t<double> out(static_cast<py::ssize_t>(costs.size()));
                std::memcpy(out.mutable_data(), costs.data(), costs.size() * sizeof(double));
                return out;
            },
            py::arg("point"), py::arg("budget") = py::none(), py::arg("cost_type") = "time", py::arg("profile") = "car",
            py::arg("direction") = "departure", py::arg("resource") = py::none(),
            "Exact cost (seconds or metres) of every node of the routing graph from (or to) the point, as a float64 "
            "array indexed by graph node; inf beyond `budget` or unreachable. budget=None: one-to-all.")
        .def(
            "grid",
            [](PyIsochrones& self, const py::object& point, double budget, double cell_m, const std::string& cost_type,
               const std::string& profile, const std::string& direction, const std::optional<std::string>& resource) {
                require_finite(cell_m, "cell_m");
                auto rq = request(self, point, {budget}, cost_type, profile, direction, resource);
                isochrone::CostGrid grid;
                {
                    const py::gil_scoped_release release;
                    const std::lock_guard lock(self.mutex);
                    grid = self.iso.grid(rq, cell_m);
                }
                py::array_t<float> out({static_cast<py::ssize_t>(grid.height), static_cast<py::ssize_t>(grid.width)});
                if (!grid.cost.empty()) std::memcpy(out.mutable_data(), grid.cost.data(), grid.cost.size() * sizeof(float));
                return py::make_tuple(out, bbox_tuple(grid.bbox));
            },
            py::arg("point"), py::arg("budget"), py::arg("cell_m") = 100.0, py::arg("cost_type") = "time",
            py::arg("profile") = "car", py::arg("direction") = "departure", py::arg("resource") = py::none(),
            "(costs, bbox): a float32 (rows, cols) array, row 0 north, with the least cost of the road points in "
            "each cell of cell_m metres (NaN = nothing reached within budget), and its WGS84 (minx, miny, maxx, "
            "maxy).")
        .def("__repr__", [](const PyIsochrones& self) {
            return fmt::format("<geoplex.Isochrones resources={}>", self.engine.routing().resources().size());
        });
}

}  // namespace geoplex::python
