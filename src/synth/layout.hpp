#pragma once
// The procedural model behind geoplex::synth (private). Everything is a pure function of the
// seed and a cell index, so that any cell can be rebuilt on demand: pass 1 writes nodes cell by
// cell, pass 2 rebuilds each cell and writes its ways, with only O(cells) state in between.
//
// Local frame: metres east (x) and north (y) of Config::origin, mapped linearly to lon/lat.
// The territory is a grid of `cols` x `rows` square cells of side `cell`, one town (and one
// commune) per cell. A motorway runs west-east along the row boundary y = motorway_row * cell; a
// river flows south-north just east of the column boundary x = river_col * cell.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "geoplex/core/types.hpp"

namespace geoplex::synth::detail {

// ---- deterministic hashing ----------------------------------------------------------------
[[nodiscard]] constexpr std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
[[nodiscard]] constexpr std::uint64_t hash(std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0,
                                           std::uint64_t d = 0) {
    return mix(mix(mix(mix(a) ^ b) ^ c) ^ d);
}
/// Uniform in [0, 1).
[[nodiscard]] constexpr double unit(std::uint64_t h) {
    return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

// ---- the layout ---------------------------------------------------------------------------
enum class RoadClass : std::uint8_t {
    motorway, motorway_link, trunk, primary, secondary, tertiary, unclassified, residential,
    service, track, footway, path, pedestrian, river
};
[[nodiscard]] const char* highway_value(RoadClass c);

struct Town {
    double cx = 0, cy = 0;        // centre, local metres
    std::uint32_t nx = 2, ny = 2; // blocks; grid nodes are (nx + 1) * (ny + 1)
    double spacing = 80;          // block side, metres
    double weight = 1;            // power-law size weight
    std::uint32_t population = 0;
    bool roundabout = false;      // roundabout at the east entry
    [[nodiscard]] std::uint32_t grid_nodes() const { return (nx + 1) * (ny + 1); }
};

struct Layout {
    std::uint64_t seed = 1;
    std::uint32_t cols = 2, rows = 2;
    double cell = 4000;
    std::uint32_t motorway_row = 1;  // boundary index (1..rows-1)
    std::uint32_t river_col = 1;     // boundary index (1..cols-1)
    core::LonLat origin;
    double m_per_deg_lon = 1, m_per_deg_lat = 1;
    std::vector<Town> towns;                 // row-major from the south-west cell
    std::vector<RoadClass> east_class;       // class of the road from a cell's town to its east neighbour
    std::vector<RoadClass> north_class;
    std::vector<std::uint16_t> east_ref, north_ref;  // road numbers (D/N)

    [[nodiscard]] std::uint32_t cells() const { return cols * rows; }
    [[nodiscard]] double width() const { return cols * cell; }
    [[nodiscard]] double height() const { return rows * cell; }
    [[nodiscard]] core::LonLat to_lonlat(double x, double y) const {
        return {origin.lon + x / m_per_deg_lon, origin.lat + y / m_per_deg_lat};
    }
    [[nodiscard]] double river_x(double y) const;
    [[nodiscard]] double motorway_y(double x) const;
    [[nodiscard]] bool has_motorway(std::uint32_t cell_index) const { return cell_index / cols == motorway_row; }
    [[nodiscard]] bool has_river(std::uint32_t cell_index) const { return cell_index % cols == river_col; }
    /// Local index of fixed "anchor" nodes that neighbours reference (see CellGeometry).
    [[nodiscard]] std::uint32_t anchor_motorway_eb(std::uint32_t c) const { return towns[c].grid_nodes(); }
    [[nodiscard]] std::uint32_t anchor_motorway_wb(std::uint32_t c) const { return towns[c].grid_nodes() + 1; }
    [[nodiscard]] std::uint32_t anchor_river(std::uint32_t c) const {
        return towns[c].grid_nodes() + (has_motorway(c) ? 2U : 0U);
    }
    [[nodiscard]] std::uint32_t grid_index(std::uint32_t c, std::uint32_t i, std::uint32_t j) const {
        return j * (towns[c].nx + 1) + i;
    }
    /// Ground elevation in metres (smooth hills, a river valley, gentler ground in towns).
    [[nodiscard]] double elevation(double x, double y) const;
};

/// Plans the grid for about `road_nodes` nodes, given the node budget of the town grids.
[[nodiscard]] Layout make_layout(std::uint64_t seed, core::LonLat origin, std::uint64_t road_nodes,
                                 double residential_budget);

// ---- one cell's geometry ------------------------------------------------------------------
/// A node reference: a cell and a local index in it (global id = first id of the cell + local).
struct Ref {
    std::uint32_t cell = 0;
    std::uint32_t local = 0;
};
using Tags = std::vector<std::pair<std::string, std::string>>;

struct GWay {
    std::vector<Ref> refs;
    Tags tags;
    RoadClass cls = RoadClass::residential;
};
struct Street {             // a named town street, for addresses
    std::string name;
    std::uint32_t code = 0; // FANTOIR-like code, unique in the commune
    std::vector<core::XY> line;
};
struct Restriction {
    std::uint32_t from_way = 0, to_way = 0;  // indices into CellGeometry::ways
    Ref via;
    const char* type = "no_left_turn";
};
struct Poi {
    core::XY at;
    std::string name;
    const char* category = "";
};

/// Local node order: grid nodes first, then the anchors (motorway EB + WB starts, river start),
/// then everything else, so neighbours can compute the ids they reference from the Layout alone.
struct CellGeometry {
    std::vector<core::XY> nodes;
    /// Tags of the few tagged nodes (place, traffic signals, motorway junctions), by local index,
    /// ascending. Filled even without details, since pass 1 writes the nodes.
    std::vector<std::pair<std::uint32_t, Tags>> node_tags;
    std::vector<GWay> ways;
    std::vector<Street> streets;
    std::vector<Restriction> restrictions;
    std::vector<Poi> pois;
};

/// Builds cell `c`. With `details` false only nodes (and node tags) are exact: ways lack tags,
/// no streets/pois; that is enough to count and write nodes.
[[nodiscard]] CellGeometry build_cell(const Layout& layout, std::uint32_t c, bool details);
/// Position of a node that other cells may reference (a grid node or an anchor) without
/// building its cell.
[[nodiscard]] core::XY referenced_node(const Layout& layout, Ref r);

// ---- names --------------------------------------------------------------------------------
[[nodiscard]] std::string commune_name(std::uint64_t seed, std::uint32_t index);
[[nodiscard]] std::string commune_insee(std::uint32_t index);
[[nodiscard]] std::string commune_postcode(std::uint32_t index);
[[nodiscard]] std::string river_name(std::uint64_t seed);
/// Upper case, accents removed, apostrophes and hyphens as spaces (BAN nom_afnor style).
[[nodiscard]] std::string afnor(std::string_view text);

/// Unique street names within one commune.
class StreetNamer {
public:
    StreetNamer(std::uint64_t seed, std::uint32_t cell) : m_state(hash(seed, cell, 0x57ee7)) {}
    [[nodiscard]] std::string main_street();  ///< "Grande Rue", "Avenue de la République"…
    [[nodiscard]] std::string street();       ///< "Rue Victor Hugo", "Chemin des Vignes"…
    [[nodiscard]] std::string impasse();      ///< "Impasse des Lilas"…
    [[nodiscard]] std::string place();        ///< "Place de la Mairie"…

private:
    std::string unique(std::string candidate);
    std::uint64_t next() { return m_state = mix(m_state); }
    std::uint64_t m_state;
    std::unordered_set<std::string> m_used;
};

}  // namespace geoplex::synth::detail
