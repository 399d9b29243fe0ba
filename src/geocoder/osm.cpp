// OpenStreetMap addresses (addr:housenumber + addr:street or addr:place) through libosmium:
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
        const char* pc = tags["addr:postcode"];
        const char* city = tags["addr:city"];
        const char* code = tags["addr:citycode"];
        if (code == nullptr) code = tags["ref:INSEE"];
        a.postcode = pc != nullptr ? pc : "";
        a.city = city != nullptr ? city : "";
        a.citycode = code != nullptr ? code : "";
        a.lon = lon;
        a.lat = lat;
        a.id = std::move(id);
        (*sink)(a);
    }
    void node(const osmium::Node& n) {
        if (n.location().valid()) emit(n.tags(), n.location().lon(), n.location().lat(), fmt::format("node/{}", n.id()));
    }
    void way(const osmium::Way& w) {
        if (w.tags()["addr:housenumber"] == nullptr) return;
        double lon = 0, lat = 0;
        std::size_t k = 0;
        for (const auto& nr : w.nodes()) {
            if (!nr.location().valid()) continue;
            // A closed way repeats its first node: skip it so the mean is not biased.
            if (w.is_closed() && &nr == &w.nodes().back()) continue;
            lon += nr.location().lon();
            lat += nr.location().lat();
            ++k;
        }
        if (k == 0) { ++*skipped; return; }
        emit(w.tags(), lon / static_cast<double>(k), lat / static_cast<double>(k), fmt::format("way/{}", w.id()));
    }
};

}  // namespace

std::uint64_t read_osm_addresses(const std::filesystem::path& path, const std::function<void(const OsmAddress&)>& sink) {
    std::uint64_t skipped = 0;
    try {
        osmium::io::Reader reader{path.string(), osmium::osm_entity_bits::node | osmium::osm_entity_bits::way};
        osmium::index::map::FlexMem<osmium::unsigned_object_id_type, osmium::Location> index;
        osmium::handler::NodeLocationsForWays<decltype(index)> locations{index};
        locations.ignore_errors();  // extracts clipped at a bbox miss way nodes
        AddressHandler h;
        h.sink = &sink;
        h.skipped = &skipped;
        osmium::apply(reader, locations, h);
        reader.close();
    } catch (const geoplex::Error&) {
        throw;
    } catch (const std::exception& e) {
        throw FormatError(fmt::format("'{}' could not be read as OSM data: {}", path.string(), e.what()));
    }
    return skipped;
}

}  // namespace geoplex::geocoder::detail
