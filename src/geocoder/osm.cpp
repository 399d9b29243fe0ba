// OpenStreetMap addresses (addr:housenumber + addr:street or addr:place) and named POIs through libosmium:
// nodes at their location, ways at the mean of their nodes. Kept in its own file because the
// libosmium headers are heavy to compile.

#include "geocoder/osm.hpp"

#include <osmium/handler.hpp>
#include <osmium/handler/node_locations_for_ways.hpp>
#include <osmium/index/map/flex_mem.hpp>
#include <osmium/io/any_input.hpp>
#include <osmium/visitor.hpp>

#include <fmt/format.h>

#include "geoplex/core/error.hpp"
#include "geoplex/geocoder/text.hpp"

namespace geoplex::geocoder::detail {

namespace {

bool way_centre(const osmium::Way& w, double& lon, double& lat) {
    lon = lat = 0;
    std::size_t k = 0;
    for (const auto& nr : w.nodes()) {
        if (!nr.location().valid()) continue;
        if (w.is_closed() && &nr == &w.nodes().back()) continue;  // a closed way repeats its first node
        lon += nr.location().lon();
        lat += nr.location().lat();
        ++k;
    }
    if (k == 0) return false;
    lon /= static_cast<double>(k);
    lat /= static_cast<double>(k);
    return true;
}

// Postcode, commune (addr:citycode, else ref:INSEE; addr:city), position and id of an object.
template <class T>
void set_place(const osmium::TagList& tags, double lon, double lat, std::string id, T& out) {
    const char* pc = tags["addr:postcode"];
    const char* city = tags["addr:city"];
    const char* code = tags["addr:citycode"];
    if (code == nullptr) code = tags["ref:INSEE"];
    out.postcode = pc != nullptr ? pc : "";
    out.city = city != nullptr ? city : "";
    out.citycode = code != nullptr ? code : "";
    out.lon = lon;
    out.lat = lat;
    out.id = std::move(id);
}

struct AddressHandler : osmium::handler::Handler {
    const std::function<void(const OsmAddress&)>* sink = nullptr;
    std::uint64_t* skipped = nullptr;

    void emit(const osmium::TagList& tags, double lon, double lat, std::string id) {
        const char* number = tags["addr:housenumber"];
        if (number == nullptr) return;
        const char* street = tags["addr:street"];
        if (street == nullptr) street = tags["addr:place"];
        const auto hn = parse_housenumber(number);
        if (street == nullptr || !hn) {
            ++*skipped;  // ranges ("2-4"), lists ("2;4") and numbers without street are not addresses here
            return;
        }
        OsmAddress a;
        a.number = *hn;
        a.street = street;
        set_place(tags, lon, lat, std::move(id), a);
        (*sink)(a);
    }
    void node(const osmium::Node& n) {
        if (n.location().valid()) emit(n.tags(), n.location().lon(), n.location().lat(), fmt::format("node/{}", n.id()));
    }
    void way(const osmium::Way& w) {
        if (w.tags()["addr:housenumber"] == nullptr) return;
        double lon = 0, lat = 0;
        if (!way_centre(w, lon, lat)) { ++*skipped; return; }
        emit(w.tags(), lon, lat, fmt::format("way/{}", w.id()));
    }
};

// Keys whose every value is a category, and those where only some values are POIs.
bool poi_value_ok(std::string_view key, std::string_view value) {
    if (key == "railway") return value == "station" || value == "halt" || value == "tram_stop";
    if (key == "aeroway") return value == "aerodrome" || value == "terminal" || value == "helipad";
    if (key == "public_transport") return value == "station";
    if (key == "natural") return value == "peak" || value == "beach" || value == "cape" || value == "cave_entrance" || value == "spring";
    if (key == "man_made") return value == "lighthouse" || value == "tower" || value == "windmill" || value == "watermill";
    return value != "no" && value != "yes" && !value.empty();
}

struct PoiHandler : osmium::handler::Handler {
    const std::function<void(const OsmPoi&)>* sink = nullptr;
    std::uint64_t* skipped = nullptr;

    static bool categorise(const osmium::TagList& tags, std::string& categories) {
        for (const char* key : osm_poi_keys) {
            const char* v = tags[key];
            if (v != nullptr && poi_value_ok(key, v)) {
                categories = fmt::format("{}|{}", v, key);
                return true;
            }
        }
        return false;
    }
    void emit(const osmium::TagList& tags, double lon, double lat, std::string id) {
        OsmPoi p;
        const char* name = tags["name"];
        p.name = name;
        categorise(tags, p.categories);
        set_place(tags, lon, lat, std::move(id), p);
        (*sink)(p);
    }
    static bool wanted(const osmium::TagList& tags) {
        std::string unused;
        return tags["name"] != nullptr && categorise(tags, unused);
    }
    void node(const osmium::Node& n) {
        if (!wanted(n.tags())) return;
        if (!n.location().valid()) { ++*skipped; return; }
        emit(n.tags(), n.location().lon(), n.location().lat(), fmt::format("node/{}", n.id()));
    }
    void way(const osmium::Way& w) {
        if (!wanted(w.tags())) return;
        double lon = 0, lat = 0;
        if (!way_centre(w, lon, lat)) { ++*skipped; return; }
        emit(w.tags(), lon, lat, fmt::format("way/{}", w.id()));
    }
};

template <class Handler>
std::uint64_t apply_to_osm(const std::filesystem::path& path, Handler& h) {
    std::uint64_t skipped = 0;
    h.skipped = &skipped;
    try {
        osmium::io::Reader reader{path.string(), osmium::osm_entity_bits::node | osmium::osm_entity_bits::way};
        osmium::index::map::FlexMem<osmium::unsigned_object_id_type, osmium::Location> index;
        osmium::handler::NodeLocationsForWays<decltype(index)> locations{index};
        locations.ignore_errors();  // extracts clipped at a bbox miss way nodes
        osmium::apply(reader, locations, h);
        reader.close();
    } catch (const geoplex::Error&) {
        throw;
    } catch (const std::exception& e) {
        throw FormatError(fmt::format("'{}' could not be read as OSM data: {}", path.string(), e.what()));
    }
    return skipped;
}

}  // namespace

std::uint64_t read_osm_pois(const std::filesystem::path& path, const std::function<void(const OsmPoi&)>& sink) {
    PoiHandler h;
    h.sink = &sink;
    return apply_to_osm(path, h);
}

std::uint64_t read_osm_addresses(const std::filesystem::path& path, const std::function<void(const OsmAddress&)>& sink) {
    AddressHandler h;
    h.sink = &sink;
    return apply_to_osm(path, h);
}

}  // namespace geoplex::geocoder::detail
