// geoplex.Catalog: the dataset catalog store (SQLite file or PostgreSQL) from Python — search with
// facets, get / create / update / delete dataset sheets. Documents cross the boundary as plain
// dicts (the JSON documents of the REST API: "_id", "title", "bbox"{west,south,east,north}…).
// Store calls release the GIL; the store itself is thread-safe.

#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings.hpp"
#include "geoplex/catalog/store.hpp"

namespace geoplex::python {

namespace {

using json = nlohmann::json;
using catalog::EntityKind;

/// Python object → JSON through the json module (dicts, lists, str, numbers, bools, None).
json to_json(const py::handle& obj) {
    const py::object dumps = py::module_::import("json").attr("dumps");
    const std::string text = py::cast<std::string>(dumps(obj, py::arg("allow_nan") = false));
    return json::parse(text);
}

py::object from_json(const json& j) {
    const py::object loads = py::module_::import("json").attr("loads");
    return loads(j.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::vector<std::string> strings(const std::optional<std::vector<std::string>>& v) { return v.value_or(std::vector<std::string>{}); }

class PyCatalog {
public:
    explicit PyCatalog(const std::string& uri) {
        py::gil_scoped_release release;
        m_store = catalog::open_store(uri);
    }

    catalog::Store& store() {
        if (!m_store) throw InvalidArgument("the catalog is closed");
        return *m_store;
    }

    void close() {
        py::gil_scoped_release release;
        m_store.reset();
    }

    py::object search(const std::string& text, const std::optional<std::vector<double>>& bbox,
                      const std::optional<std::vector<std::string>>& themes, const std::optional<std::vector<std::string>>& producers,
                      const std::optional<std::vector<std::string>>& formats, const std::optional<std::vector<std::string>>& licences,
                      const std::optional<std::vector<std::string>>& keywords, const std::optional<std::vector<std::string>>& years,
                      std::optional<bool> open_data, const std::string& datastore, const std::string& sort, std::size_t offset,
                      std::size_t limit, bool facets, std::size_t facet_limit, bool as_geojson) {
        catalog::SearchQuery q;
        q.text = text;
        if (bbox) {
            if (bbox->size() != 4) throw InvalidArgument("bbox: (west, south, east, north)");
            q.bbox = catalog::GeoBox{(*bbox)[0], (*bbox)[1], (*bbox)[2], (*bbox)[3]};
        }
        q.themes = strings(themes);
        q.producers = strings(producers);
        q.formats = strings(formats);
        q.licences = strings(licences);
        q.keywords = strings(keywords);
        q.years = strings(years);
        q.open_data = open_data;
        q.datastore = datastore;
        if (sort == "relevance") q.sort = catalog::SearchSort::relevance;
        else if (sort == "modified") q.sort = catalog::SearchSort::modified;
        else if (sort == "title") q.sort = catalog::SearchSort::title;
        else throw InvalidArgument("sort: one of 'relevance', 'modified', 'title'");
        q.offset = offset;
        q.limit = limit;
        q.facets = facets;
        q.facet_limit = facet_limit;
        catalog::SearchResult result;
        {
            py::gil_scoped_release release;
            result = store().search(q);  // InvalidArgument listing the query's problems
        }
        json facet_counts = json::object();
        for (const auto& [name, counts] : result.facets) {
            json list = json::array();
            for (const auto& c : counts) list.push_back(json{{"value", c.value}, {"count", c.count}});
            facet_counts[name] = std::move(list);
        }
        json out;
        if (as_geojson) {
            json features = json::array();
            for (const auto& hit : result.hits) {
                json props = hit.dataset;
                props.erase("bbox");
                props["score"] = hit.score;
                json geometry = nullptr;
                if (const auto& b = hit.dataset.bbox)
                    geometry = json{{"type", "Polygon"},
                                    {"coordinates", {{{b->west, b->south}, {b->east, b->south}, {b->east, b->north}, {b->west, b->north}, {b->west, b->south}}}}};
                features.push_back(json{{"type", "Feature"}, {"id", hit.dataset.id}, {"geometry", geometry}, {"properties", props}});
            }
            out = json{{"type", "FeatureCollection"}, {"features", features}, {"total", result.total}, {"facets", facet_counts}};
        } else {
            json datasets = json::array();
            for (const auto& hit : result.hits) {
                json d = hit.dataset;
                d["score"] = hit.score;
                datasets.push_back(std::move(d));
            }
            out = json{{"total", result.total}, {"datasets", datasets}, {"facets", facet_counts}};
        }
        return from_json(out);
    }

    py::object get(const std::string& id) {
        std::optional<json> doc;
        {
            py::gil_scoped_release release;
            doc = catalog::is_uuid(id) ? store().get_document(EntityKind::dataset, id) : std::nullopt;
        }
        return doc ? from_json(*doc) : py::none();
    }

    py::object create(const py::dict& dataset) {
        const json doc = to_json(dataset);
        json stored;
        {
            py::gil_scoped_release release;
            stored = store().create_document(EntityKind::dataset, doc);
        }
        return from_json(stored);
    }

    py::list create_many(const py::list& datasets) {
        std::vector<json> docs;
        for (const auto& d : datasets) {
            if (!py::isinstance<py::dict>(d)) throw InvalidArgument("create_many: a list of dicts");
            docs.push_back(to_json(d));
        }
        std::vector<json> stored;
        {
            py::gil_scoped_release release;
            store().transaction([&](catalog::Store& s) {
                for (const auto& d : docs) stored.push_back(s.create_document(EntityKind::dataset, d));
            });
        }
        py::list out;
        for (const auto& d : stored) out.append(from_json(d));
        return out;
    }

    /// Fields of `changes` replace the stored ones; the others are kept.
    py::object update(const std::string& id, const py::dict& changes) {
        const json patch = to_json(changes);
        json stored;
        {
            py::gil_scoped_release release;
            store().transaction([&](catalog::Store& s) {
                auto doc = catalog::is_uuid(id) ? s.get_document(EntityKind::dataset, id) : std::nullopt;
                if (!doc) throw catalog::NotFound("dataset '" + id + "' not found");
                for (const auto& [k, v] : patch.items())
                    if (k != "_id") (*doc)[k] = v;
                stored = s.update_document(EntityKind::dataset, *doc);
            });
        }
        return from_json(stored);
    }

    bool remove(const std::string& id) {
        py::gil_scoped_release release;
        return catalog::is_uuid(id) && store().remove_document(EntityKind::dataset, id);
    }

    py::object list(const std::string& datastore, std::size_t offset, std::size_t limit) {
        catalog::ListFilter filter;
        if (!datastore.empty()) filter["datastore"] = datastore;
        catalog::Page<json> page;
        {
            py::gil_scoped_release release;
            page = store().list_documents(EntityKind::dataset, filter, {offset, limit});
        }
        return from_json(json{{"total", page.total}, {"datasets", page.items}});
    }

private:
    std::unique_ptr<catalog::Store> m_store;
};

}  // namespace

void bind_catalog(py::module_& m) {
    py::class_<PyCatalog>(m, "Catalog", R"doc(
The dataset catalog: a SQLite file or a PostgreSQL database (the store the server's [catalog] uses).

    cat = geoplex.Catalog("sqlite:/srv/catalog.sqlite")     # or "postgresql://…", a libpq conninfo, a path
    d = cat.create({"title": "Routes de Bretagne", "themes": ["Transport"], "bbox": {"west": -5, "south": 47, "east": -1, "north": 49}})
    res = cat.search(text="routes", bbox=(-4, 47.5, -2, 48.5), themes=["Transport"], limit=20)
    res["total"], res["datasets"][0]["title"], res["facets"]["theme"]
    fc = cat.search(text="routes", as_geojson=True)         # GeoJSON FeatureCollection (bbox polygons)

Bad input raises geoplex.InvalidArgument (a ValueError; .problems lists every problem); a unique
field already taken raises it too (the store's Conflict).
)doc")
        .def(py::init<const std::string&>(), py::arg("uri"),
             "Opens (creating and migrating) the store at `uri`: 'sqlite:/path', 'sqlite::memory:', a path, 'postgresql://…' or a conninfo.")
        .def("search", &PyCatalog::search, py::kw_only(), py::arg("text") = "", py::arg("bbox") = py::none(), py::arg("themes") = py::none(),
             py::arg("producers") = py::none(), py::arg("formats") = py::none(), py::arg("licences") = py::none(),
             py::arg("keywords") = py::none(), py::arg("years") = py::none(), py::arg("open_data") = py::none(), py::arg("datastore") = "",
             py::arg("sort") = "relevance", py::arg("offset") = 0, py::arg("limit") = 10, py::arg("facets") = true,
             py::arg("facet_limit") = 20, py::arg("as_geojson") = false,
             R"doc(Searches the datasets (French folding and stemming; filters OR-ed within, AND-ed across).

Returns {"total", "datasets": [dataset dict + "score"], "facets": {name: [{"value", "count"}]}},
or with as_geojson=True a FeatureCollection (bbox polygons, "total" and "facets" as members).
bbox is (west, south, east, north) in degrees; sort is 'relevance', 'modified' or 'title'.)doc")
        .def("get", &PyCatalog::get, py::arg("id"), "The dataset dict, or None.")
        .def("create", &PyCatalog::create, py::arg("dataset"), "Stores a new dataset (dict); returns it with its '_id'.")
        .def("create_many", &PyCatalog::create_many, py::arg("datasets"), "Stores several datasets in one transaction (all or nothing).")
        .def("update", &PyCatalog::update, py::arg("id"), py::arg("changes"),
             "Replaces the fields given in `changes` (dict); returns the stored dataset. NotFound for an unknown id.")
        .def("delete", &PyCatalog::remove, py::arg("id"), "Removes a dataset; False when there was none.")
        .def("list", &PyCatalog::list, py::kw_only(), py::arg("datastore") = "", py::arg("offset") = 0, py::arg("limit") = 100,
             "{'total', 'datasets'} in creation order, optionally of one datastore.")
        .def_property_readonly("backend", [](PyCatalog& c) { return std::string(c.store().backend()); }, "'sqlite' or 'postgresql'.")
        .def_property_readonly("schema_version", [](PyCatalog& c) { return c.store().schema_version(); })
        .def("close", &PyCatalog::close, "Closes the store (later calls raise InvalidArgument).")
        .def("__enter__", [](py::object self) { return self; })
        .def("__exit__", [](PyCatalog& c, const py::args&) { c.close(); });
}

}  // namespace geoplex::python
