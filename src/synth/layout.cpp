// The procedural territory: layout planning, terrain, and the geometry of one cell.

#include "synth/layout.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <optional>

#include "geoplex/core/error.hpp"

namespace geoplex::synth::detail {

using core::XY;

const char* highway_value(RoadClass c) {
    switch (c) {
        case RoadClass::motorway: return "motorway";
        case RoadClass::motorway_link: return "motorway_link";
        case RoadClass::trunk: return "trunk";
        case RoadClass::primary: return "primary";
        case RoadClass::secondary: return "secondary";
        case RoadClass::tertiary: return "tertiary";
        case RoadClass::unclassified: return "unclassified";
        case RoadClass::residential: return "residential";
        case RoadClass::service: return "service";
        case RoadClass::track: return "track";
        case RoadClass::footway: return "footway";
        case RoadClass::path: return "path";
        case RoadClass::pedestrian: return "pedestrian";
        case RoadClass::river: return "river";
    }
    return "road";
}

namespace {

constexpr double two_pi = 2.0 * std::numbers::pi;
// From a cell edge to the town grid: room for the river (up to 880 m east of a column boundary),
// impasses (140 m), the roundabout, and the jittered commune boundary.
constexpr double town_margin = 1200.0;
constexpr double motorway_step = 250.0;     // node spacing on the motorway
constexpr double road_step = 150.0;         // node spacing on roads between towns
constexpr double river_step = 200.0;
constexpr double bridge_half = 45.0;        // half length of a bridge, metres
constexpr double carriageway_offset = 15.0; // each carriageway's distance from the motorway axis
constexpr double max_weight = 8.0;          // cap of the Pareto town weights (largest town ~3x the mean)

double smooth(double t) { return t * t * t * (t * (t * 6 - 15) + 10); }

double value_noise(std::uint64_t seed, std::uint64_t octave, double x, double y) {
    const double fx = std::floor(x), fy = std::floor(y);
    const auto ix = static_cast<std::int64_t>(fx), iy = static_cast<std::int64_t>(fy);
    const double tx = smooth(x - fx), ty = smooth(y - fy);
    // One mixing round per lattice corner (this runs for every DEM and basemap pixel).
    const std::uint64_t base = mix(seed ^ (octave * 0xd6e8feb86659fd93ULL));
    auto corner = [&](std::int64_t a, std::int64_t b) {
        const std::uint64_t k = base ^ (static_cast<std::uint64_t>(a) * 0x9e3779b97f4a7c15ULL) ^
                                (static_cast<std::uint64_t>(b) * 0xc2b2ae3d27d4eb4fULL);
        return unit(mix(k)) * 2.0 - 1.0;
    };
    const double v00 = corner(ix, iy), v10 = corner(ix + 1, iy), v01 = corner(ix, iy + 1),
                 v11 = corner(ix + 1, iy + 1);
    const double a = v00 + (v10 - v00) * tx, b = v01 + (v11 - v01) * tx;
    return a + (b - a) * ty;
}

double ceil_to(double v, double step) { return std::ceil(v / step) * step; }

}  // namespace

double Layout::river_x(double y) const {
    const double phase = unit(hash(seed, 0x51e)) * two_pi;
    // Always 320..880 m east of the column boundary: away from the motorway's anchor node and
    // from the towns (which keep town_margin from every cell edge).
    return river_col * cell + 600.0 + 280.0 * std::sin(two_pi * y / 5200.0 + phase);
}

double Layout::motorway_y(double x) const {
    const double phase = unit(hash(seed, 0x3e1)) * two_pi;
    return motorway_row * cell + 90.0 * std::sin(two_pi * x / 9000.0 + phase);
}

double Layout::elevation(double x, double y) const {
    // Gentler relief in towns: the short-wavelength octaves fade near a town.
    const auto col = static_cast<std::uint32_t>(std::clamp(std::floor(x / cell), 0.0, cols - 1.0));
    const auto row = static_cast<std::uint32_t>(std::clamp(std::floor(y / cell), 0.0, rows - 1.0));
    const Town& t = towns[row * cols + col];
    const double dx = std::max(0.0, std::abs(x - t.cx) - t.nx * t.spacing / 2);
    const double dy = std::max(0.0, std::abs(y - t.cy) - t.ny * t.spacing / 2);
    const double d = std::min(1.0, std::hypot(dx, dy) / 1200.0);
    const double rough = 0.25 + 0.75 * smooth(d);
    const double dxr = x - river_x(y);
    double h = 650.0 - 300.0 * (1.0 - std::exp(-std::max(0.0, y) / 100000.0));
    h += 200.0 * value_noise(seed, 1, x / 24000.0, y / 24000.0);
    h += 100.0 * value_noise(seed, 2, x / 9000.0, y / 9000.0);
    h += rough * (60.0 * value_noise(seed, 3, x / 3500.0, y / 3500.0) +
                  25.0 * value_noise(seed, 4, x / 1400.0, y / 1400.0) +
                  8.0 * value_noise(seed, 5, x / 550.0, y / 550.0));
    h -= 110.0 * std::exp(-(dxr / 1800.0) * (dxr / 1800.0));
    h -= 5.0 * std::exp(-(dxr / 40.0) * (dxr / 40.0));
    return h;
}

Layout make_layout(std::uint64_t seed, core::LonLat origin, std::uint64_t road_nodes, double residential_budget) {
    Layout L;
    L.seed = seed;
    L.origin = origin;
    const double target = static_cast<double>(road_nodes);
    const double per_cell = std::clamp(250.0 * std::pow(target / 1000.0, 0.3), 250.0, 8000.0);
    const double n = std::max(4.0, target / per_cell);
    L.cols = static_cast<std::uint32_t>(std::max(2L, std::lround(std::sqrt(n))));
    L.rows = static_cast<std::uint32_t>(std::max(2L, std::lround(n / L.cols)));
    L.motorway_row = L.rows / 2;
    L.river_col = L.cols / 2;
    const std::uint32_t cells = L.cells();
    L.towns.resize(cells);

    // Town sizes follow a (capped) Pareto law; the budget of grid nodes is shared by weight.
    double sum_w = 0;
    for (std::uint32_t c = 0; c < cells; ++c) {
        const double u = unit(hash(seed, c, 0x70));
        L.towns[c].weight = std::min(max_weight, std::pow(1.0 - u, -1.0 / 1.3));
        sum_w += L.towns[c].weight;
    }
    double max_ext = 0;
    for (std::uint32_t c = 0; c < cells; ++c) {
        Town& t = L.towns[c];
        const double g = std::max(9.0, residential_budget * t.weight / sum_w);
        const double aspect = 0.75 + 0.5 * unit(hash(seed, c, 0x71));
        t.nx = static_cast<std::uint32_t>(std::max(3L, std::lround(std::sqrt(g * aspect)))) - 1;
        t.ny = static_cast<std::uint32_t>(std::max(3L, std::lround(g / (t.nx + 1)))) - 1;
        // Larger towns are denser: blocks of ~110 m in villages, ~55 m in the largest towns.
        t.spacing = 100.0 - 50.0 * (t.weight - 1.0) / (max_weight - 1.0) + 15.0 * unit(hash(seed, c, 0x72));
        t.population = static_cast<std::uint32_t>(t.grid_nodes() * (10.0 + 6.0 * unit(hash(seed, c, 0x73))));
        t.roundabout = c == 0 || hash(seed, c, 0x74) % 3 == 0;
        max_ext = std::max({max_ext, t.nx * t.spacing + 200.0, t.ny * t.spacing});
    }
    L.cell = std::max(4000.0, ceil_to(max_ext + 2 * town_margin, motorway_step));
    for (std::uint32_t c = 0; c < cells; ++c) {
        Town& t = L.towns[c];
        const double x0 = (c % L.cols) * L.cell, y0 = (c / L.cols) * L.cell;
        const double free_x = std::max(0.0, L.cell - 2 * town_margin - (t.nx * t.spacing + 200.0));
        const double free_y = std::max(0.0, L.cell - 2 * town_margin - t.ny * t.spacing);
        t.cx = x0 + L.cell / 2 + (unit(hash(seed, c, 0x75)) - 0.5) * free_x;
        t.cy = y0 + L.cell / 2 + (unit(hash(seed, c, 0x76)) - 0.5) * free_y;
    }

    // Road classes by rank of the smaller town's weight: a few trunk roads, then primary…
    struct Scored { double score; std::uint32_t cell; bool east; };
    std::vector<Scored> roads;
    for (std::uint32_t c = 0; c < cells; ++c) {
        const std::uint32_t col = c % L.cols, row = c / L.cols;
        if (col + 1 < L.cols)
            roads.push_back({std::min(L.towns[c].weight, L.towns[c + 1].weight) + 0.01 * unit(hash(seed, c, 0x80)), c, true});
        if (row + 1 < L.rows)
            roads.push_back({std::min(L.towns[c].weight, L.towns[c + L.cols].weight) + 0.01 * unit(hash(seed, c, 0x81)), c, false});
    }
    std::sort(roads.begin(), roads.end(), [](const Scored& a, const Scored& b) {
        return a.score != b.score ? a.score > b.score : (a.cell != b.cell ? a.cell < b.cell : a.east > b.east);
    });
    L.east_class.assign(cells, RoadClass::tertiary);
    L.north_class.assign(cells, RoadClass::tertiary);
    L.east_ref.assign(cells, 0);
    L.north_ref.assign(cells, 0);
    const double nr = static_cast<double>(roads.size());
    const auto n_trunk = static_cast<std::size_t>(std::floor(0.08 * nr));
    const auto n_primary = static_cast<std::size_t>(std::max(1.0, std::round(0.25 * nr)));
    const auto n_secondary = static_cast<std::size_t>(std::max(2.0, std::round(0.55 * nr)));
    for (std::size_t r = 0; r < roads.size(); ++r) {
        RoadClass cls = RoadClass::tertiary;
        if (r < n_trunk) cls = RoadClass::trunk;
        else if (r < n_primary) cls = RoadClass::primary;
        else if (r < n_secondary) cls = RoadClass::secondary;
        else if (unit(hash(seed, roads[r].cell, roads[r].east, 0x82)) < 0.2) cls = RoadClass::unclassified;
        const auto ref = static_cast<std::uint16_t>(cls == RoadClass::trunk ? 100 + r : 1 + hash(seed, roads[r].cell, roads[r].east, 0x83) % 998);
        (roads[r].east ? L.east_class : L.north_class)[roads[r].cell] = cls;
        (roads[r].east ? L.east_ref : L.north_ref)[roads[r].cell] = ref;
    }

    const double phi = (origin.lat + L.height() / 2 / 111000.0) * std::numbers::pi / 180.0;
    L.m_per_deg_lat = 111132.92 - 559.82 * std::cos(2 * phi) + 1.175 * std::cos(4 * phi);
    L.m_per_deg_lon = 111412.84 * std::cos(phi) - 93.5 * std::cos(3 * phi);
    return L;
}

namespace {

XY grid_pos(const Layout& L, std::uint32_t c, std::uint32_t i, std::uint32_t j) {
    const Town& t = L.towns[c];
    const std::uint64_t h = hash(L.seed, c, i, j);
    const double jx = (unit(h) - 0.5) * 0.12 * t.spacing, jy = (unit(mix(h)) - 0.5) * 0.12 * t.spacing;
    return {t.cx - t.nx * t.spacing / 2 + i * t.spacing + jx, t.cy - t.ny * t.spacing / 2 + j * t.spacing + jy};
}

/// A road traced along a curve: node positions and, per segment, 0 (plain), 1 (bridge), 2 (tunnel).
struct Traced {
    std::vector<XY> pts;
    std::vector<std::uint8_t> seg;
};

struct TraceOptions {
    double step = road_step;
    bool cross_river = true;
    bool cross_motorway = true;
    bool tunnel = false;
};

Traced trace(const Layout& L, const std::function<XY(double)>& curve, double length, const TraceOptions& o) {
    const int n = std::max(1, static_cast<int>(std::lround(length / o.step)));
    std::vector<std::function<double(XY)>> barriers;
    if (o.cross_river)
        barriers.emplace_back([&L](XY p) { return p.y < 0 || p.y > L.height() ? 0.0 : p.x - L.river_x(p.y); });
    if (o.cross_motorway)
        barriers.emplace_back([&L](XY p) { return p.x < 0 || p.x > L.width() ? 0.0 : p.y - L.motorway_y(p.x); });
    const double dt = bridge_half / std::max(length, 1.0);
    std::vector<double> crossings;
    const int samples = std::max(8, 4 * n);
    for (const auto& f : barriers) {
        double t0 = 0, f0 = f(curve(0));
        for (int k = 1; k <= samples; ++k) {
            const double t1 = static_cast<double>(k) / samples, f1 = f(curve(t1));
            if (f0 != 0 && f1 != 0 && (f0 < 0) != (f1 < 0)) {
                double a = t0, b = t1, fa = f0;
                for (int it = 0; it < 50; ++it) {
                    const double m = (a + b) / 2, fm = f(curve(m));
                    if ((fm < 0) == (fa < 0)) { a = m; fa = fm; } else { b = m; }
                }
                const double tc = (a + b) / 2;
                if (tc - dt > 0.02 && tc + dt < 0.98) crossings.push_back(tc);
            }
            t0 = t1;
            f0 = f1;
        }
    }
    std::vector<std::pair<double, std::uint8_t>> ts;  // t, flag of the segment starting there
    const double guard = 0.35 / n;
    std::vector<std::pair<double, double>> holes;
    for (double tc : crossings) {
        ts.emplace_back(tc - dt, 1);
        ts.emplace_back(tc + dt, 0);
        holes.emplace_back(tc - dt - guard, tc + dt + guard);
    }
    if (o.tunnel) {
        // The first window clear of any bridge (with room to spare) becomes a tunnel.
        for (auto [t0, t1] : {std::pair{0.4, 0.6}, std::pair{0.15, 0.3}, std::pair{0.7, 0.85}}) {
            const bool clear = std::none_of(crossings.begin(), crossings.end(),
                                            [a = t0, b = t1](double tc) { return tc > a - 0.1 && tc < b + 0.1; });
            if (!clear) continue;
            ts.emplace_back(t0, 2);
            ts.emplace_back(t1, 0);
            holes.emplace_back(t0 - guard, t1 + guard);
            break;
        }
    }
    ts.emplace_back(0.0, 0);
    ts.emplace_back(1.0, 0);
    for (int i = 1; i < n; ++i) {
        const double t = static_cast<double>(i) / n;
        if (std::none_of(holes.begin(), holes.end(), [t](auto h) { return t > h.first && t < h.second; }))
            ts.emplace_back(t, 0);
    }
    std::sort(ts.begin(), ts.end());
    Traced r;
    for (std::size_t k = 0; k < ts.size(); ++k) {
        r.pts.push_back(curve(ts[k].first));
        if (k + 1 < ts.size()) r.seg.push_back(ts[k].second);
    }
    return r;
}

/// A gently winding road from a to b (the wiggle vanishes at both ends).
std::function<XY(double)> winding(XY a, XY b, double amplitude, std::uint64_t h) {
    const double len = std::hypot(b.x - a.x, b.y - a.y);
    const double px = len > 0 ? -(b.y - a.y) / len : 0, py = len > 0 ? (b.x - a.x) / len : 0;
    const double waves = 1.0 + static_cast<double>(h % 3), phase = unit(h) * two_pi;
    return [=](double t) {
        const double off = amplitude * std::sin(std::numbers::pi * t) * std::sin(waves * std::numbers::pi * t + phase);
        return XY{a.x + (b.x - a.x) * t + px * off, a.y + (b.y - a.y) * t + py * off};
    };
}

constexpr double lead_length = 200.0;  // straight stretch at a town entry, past the impasses (140 m)

/// A road from a town entry `a` leaving along `a_dir` (unit vector), winding to `b`, which it
/// approaches along `-b_dir` when b_dir is non-zero. The straight stretches keep the winding part
/// clear of the streets and impasses at both towns' edges.
Traced connect(const Layout& L, XY a, XY a_dir, XY b, XY b_dir, double amplitude, std::uint64_t h, const TraceOptions& o) {
    const XY a_out{a.x + a_dir.x * lead_length, a.y + a_dir.y * lead_length};
    const bool lead_in = b_dir.x != 0 || b_dir.y != 0;
    const XY b_in = lead_in ? XY{b.x + b_dir.x * lead_length, b.y + b_dir.y * lead_length} : b;
    Traced t = trace(L, winding(a_out, b_in, amplitude, h), std::hypot(b_in.x - a_out.x, b_in.y - a_out.y), o);
    t.pts.insert(t.pts.begin(), a);
    t.seg.insert(t.seg.begin(), 0);
    if (lead_in) {
        t.pts.push_back(b);
        t.seg.push_back(0);
    }
    return t;
}

class CellBuilder {
public:
    CellBuilder(const Layout& L, std::uint32_t c, bool details)
        : m_L(L), m_c(c), m_details(details), m_names(L.seed, c) {}

    CellGeometry build();

private:
    Ref add_node(XY p) {
        m_g.nodes.push_back(p);
        return {m_c, static_cast<std::uint32_t>(m_g.nodes.size() - 1)};
    }
    Ref grid(std::uint32_t i, std::uint32_t j) const { return {m_c, m_L.grid_index(m_c, i, j)}; }
    XY pos(Ref r) const { return m_g.nodes[r.local]; }
    std::uint32_t add_way(std::vector<Ref> refs, RoadClass cls, Tags tags) {
        m_g.ways.push_back(GWay{std::move(refs), m_details ? std::move(tags) : Tags{}, cls});
        return static_cast<std::uint32_t>(m_g.ways.size() - 1);
    }
    /// Emits a traced road between two existing nodes; returns the refs of all its nodes and
    /// the index of its first way.
    std::vector<Ref> emit(const Traced& t, Ref a, Ref b, RoadClass cls, const Tags& tags, std::uint32_t* first_way = nullptr);
    Tags road_tags(RoadClass cls, std::uint16_t ref, std::uint64_t h) const;
    void town();
    void links();
    void motorway();
    void river();
    void pois();
    Street& add_street(std::string name, std::vector<XY> line) {
        m_g.streets.push_back(Street{std::move(name), static_cast<std::uint32_t>((m_g.streets.size() + 1) * 10), std::move(line)});
        return m_g.streets.back();
    }
    std::uint64_t h(std::uint64_t a, std::uint64_t b = 0) const { return hash(m_L.seed, m_c, a, b); }

    const Layout& m_L;
    std::uint32_t m_c;
    bool m_details;
    StreetNamer m_names;
    CellGeometry m_g;
    std::uint32_t m_col = 0, m_row = 0;
    std::uint32_t m_east_col_south = 0, m_east_col_north = 0;  // way indices of the split east column
    std::string m_main_name;
};

std::vector<Ref> CellBuilder::emit(const Traced& t, Ref a, Ref b, RoadClass cls, const Tags& tags, std::uint32_t* first_way) {
    std::vector<Ref> refs;
    refs.reserve(t.pts.size());
    refs.push_back(a);
    for (std::size_t k = 1; k + 1 < t.pts.size(); ++k) refs.push_back(add_node(t.pts[k]));
    refs.push_back(b);
    std::size_t start = 0;
    bool first = true;
    for (std::size_t k = 1; k <= t.seg.size(); ++k) {
        if (k == t.seg.size() || t.seg[k] != t.seg[start]) {
            Tags wt = tags;
            if (t.seg[start] == 1) { wt.emplace_back("bridge", "yes"); wt.emplace_back("layer", "1"); }
            if (t.seg[start] == 2) { wt.emplace_back("tunnel", "yes"); wt.emplace_back("layer", "-1"); }
            const auto w = add_way(std::vector<Ref>(refs.begin() + static_cast<std::ptrdiff_t>(start),
                                                    refs.begin() + static_cast<std::ptrdiff_t>(k) + 1), cls, std::move(wt));
            if (first && first_way != nullptr) *first_way = w;
            first = false;
            start = k;
        }
    }
    return refs;
}

Tags CellBuilder::road_tags(RoadClass cls, std::uint16_t ref, std::uint64_t hv) const {
    if (!m_details) return {};
    Tags t{{"highway", highway_value(cls)}};
    if (cls == RoadClass::trunk) t.emplace_back("ref", "N " + std::to_string(ref));
    else if (cls != RoadClass::unclassified) t.emplace_back("ref", "D " + std::to_string(ref));
    if (cls == RoadClass::trunk) t.emplace_back("maxspeed", "110");
    else if (cls != RoadClass::unclassified && unit(hv) < 0.7) t.emplace_back("maxspeed", "80");
    return t;
}

void CellBuilder::town() {
    const Town& T = m_L.towns[m_c];
    const std::uint32_t nx = T.nx, ny = T.ny, im = nx / 2, jm = ny / 2;
    for (std::uint32_t j = 0; j <= ny; ++j)
        for (std::uint32_t i = 0; i <= nx; ++i) m_g.nodes.push_back(grid_pos(m_L, m_c, i, j));
    if (m_L.has_motorway(m_c)) {
        const double x0 = m_col * m_L.cell;
        m_g.nodes.push_back({x0, m_L.motorway_y(x0) - carriageway_offset});
        m_g.nodes.push_back({x0, m_L.motorway_y(x0) + carriageway_offset});
    }
    if (m_L.has_river(m_c)) {
        const double y0 = m_row * m_L.cell;
        m_g.nodes.push_back({m_L.river_x(y0), y0});
    }

    auto street_tags = [&](RoadClass cls, const std::string& name, std::uint64_t hv, bool oneway) {
        Tags t;
        if (!m_details) return t;
        t.emplace_back("highway", highway_value(cls));
        t.emplace_back("name", name);
        if (oneway) t.emplace_back("oneway", "yes");
        if (cls == RoadClass::residential) t.emplace_back("maxspeed", unit(hv) < 0.3 ? "30" : "50");
        else if (unit(hv) < 0.6) t.emplace_back("maxspeed", "50");
        return t;
    };
    auto line_of = [&](const std::vector<Ref>& refs) {
        std::vector<XY> line;
        if (!m_details) return line;
        for (const Ref& r : refs) line.push_back(pos(r));
        return line;
    };

    // Rows (west-east) then columns (south-north); the middle row and column are main streets.
    for (std::uint32_t j = 0; j <= ny; ++j) {
        const bool main = j == jm;
        const std::uint64_t hv = h(0x100, j);
        const bool oneway = !main && unit(hv) < 0.15;
        std::vector<Ref> refs;
        for (std::uint32_t i = 0; i <= nx; ++i) refs.push_back(grid(i, j));
        if (oneway && (hv >> 40) % 2 == 1) std::reverse(refs.begin(), refs.end());
        const std::string name = m_details ? (main ? m_names.main_street() : m_names.street()) : std::string();
        if (main) m_main_name = name;
        add_way(refs, main ? RoadClass::tertiary : RoadClass::residential,
                street_tags(main ? RoadClass::tertiary : RoadClass::residential, name, mix(hv), oneway));
        if (m_details) add_street(name, line_of(refs));
    }
    for (std::uint32_t i = 0; i <= nx; ++i) {
        const bool main = i == im;
        const std::uint64_t hv = h(0x200, i);
        const bool oneway = !main && i != 0 && i != nx && unit(hv) < 0.15;
        std::vector<Ref> refs;
        for (std::uint32_t j = 0; j <= ny; ++j) refs.push_back(grid(i, j));
        if (oneway && (hv >> 40) % 2 == 1) std::reverse(refs.begin(), refs.end());
        const std::string name = m_details ? (main ? m_names.main_street() : m_names.street()) : std::string();
        const RoadClass cls = main ? RoadClass::tertiary : RoadClass::residential;
        if (i == nx) {
            // Split at the east entry so turn restrictions there have ways ending at the via node.
            m_east_col_south = add_way({refs.begin(), refs.begin() + jm + 1}, cls, street_tags(cls, name, mix(hv), false));
            m_east_col_north = add_way({refs.begin() + jm, refs.end()}, cls, street_tags(cls, name, mix(hv), false));
        } else {
            add_way(refs, cls, street_tags(cls, name, mix(hv), oneway));
        }
        if (m_details) add_street(name, line_of(refs));
    }

    // The town's place node (as in OSM: the label point of the settlement) and a traffic light
    // at the crossing of the main streets of larger towns.
    {
        const XY a = pos(grid(im, jm)), b = pos(grid(im, jm + 1));
        const Ref place = add_node({(a.x + 2 * b.x) / 3 + 12, (a.y + 2 * b.y) / 3});
        const char* kind = T.population >= 20000 ? "city" : T.population >= 2000 ? "town" : "village";
        m_g.node_tags.push_back({place.local, {{"place", kind}, {"name", commune_name(m_L.seed, m_c)},
                                               {"population", std::to_string(T.population)},
                                               {"ref:INSEE", commune_insee(m_c)}}});
        if (nx >= 4) m_g.node_tags.push_back({m_L.grid_index(m_c, im, jm), {{"highway", "traffic_signals"}}});
    }

    // Impasses off the north and south edges.
    for (std::uint32_t i = 1; i < nx; i += 4) {
        if (i == im) continue;
        for (int side = 0; side < 2; ++side) {
            const Ref from = grid(i, side == 0 ? ny : 0);
            const double dir = side == 0 ? 1.0 : -1.0;
            const XY p = pos(from);
            const Ref a = add_node({p.x + 5, p.y + dir * 70});
            const Ref b = add_node({p.x + 12, p.y + dir * 140});
            const std::string name = m_details ? m_names.impasse() : std::string();
            add_way({from, a, b}, RoadClass::residential, street_tags(RoadClass::residential, name, h(0x300, i * 2 + side), false));
            if (m_details) add_street(name, {p, pos(a), pos(b)});
        }
    }

    // A pedestrian square and a footway across the central block.
    {
        const XY a = pos(grid(im, jm)), b = pos(grid(im + 1, jm + 1));
        const Ref center = add_node({(a.x + b.x) / 2, (a.y + b.y) / 2});
        const std::string name = m_details ? m_names.place() : std::string();
        add_way({grid(im, jm), center}, RoadClass::pedestrian, street_tags(RoadClass::pedestrian, name, 0, false));
        if (m_details) add_street(name, {a, pos(center)});
        Tags ft;
        if (m_details) ft = {{"highway", "footway"}};
        add_way({center, grid(im + 1, jm + 1)}, RoadClass::footway, std::move(ft));
    }
    // Service road, track and path at three corners.
    auto spur = [&](Ref from, double dx, double dy, int count, RoadClass cls, Tags tags) {
        std::vector<Ref> refs{from};
        const XY p = pos(from);
        for (int k = 1; k <= count; ++k) {
            const double wob = (unit(h(0x400 + static_cast<std::uint64_t>(cls), static_cast<std::uint64_t>(k))) - 0.5) * 20.0;
            refs.push_back(add_node({p.x + dx * k + wob, p.y + dy * k - wob}));
        }
        add_way(std::move(refs), cls, m_details ? std::move(tags) : Tags{});
    };
    spur(grid(0, 0), -45, -40, 2, RoadClass::service, {{"highway", "service"}});
    spur(grid(nx, 0), 40, -45, 3, RoadClass::track, {{"highway", "track"}, {"tracktype", "grade2"}});
    spur(grid(0, ny), -40, 45, 3, RoadClass::path, {{"highway", "path"}});
}

void CellBuilder::links() {
    const Town& T = m_L.towns[m_c];
    const std::uint32_t im = T.nx / 2, jm = T.ny / 2;
    if (m_col + 1 < m_L.cols) {
        const std::uint32_t e = m_c + 1;
        const Town& E = m_L.towns[e];
        const Ref port = grid(T.nx, jm);
        Ref start = port;
        std::uint32_t entry_way = 0;
        bool have_entry = false;
        if (T.roundabout) {
            const XY p = pos(port);
            const XY c{p.x + 70, p.y};
            std::vector<Ref> ring;
            for (int k = 0; k < 8; ++k) {
                const double a = std::numbers::pi + k * two_pi / 8;  // counter-clockwise from the west node
                ring.push_back(add_node({c.x + 24 * std::cos(a), c.y + 24 * std::sin(a)}));
            }
            std::vector<Ref> closed = ring;
            closed.push_back(ring.front());
            Tags rt;
            if (m_details) rt = {{"highway", highway_value(m_L.east_class[m_c])}, {"junction", "roundabout"}};
            add_way(std::move(closed), m_L.east_class[m_c], std::move(rt));
            Tags lt;
            if (m_details) lt = {{"highway", "tertiary"}, {"name", m_main_name}};
            entry_way = add_way({port, ring.front()}, RoadClass::tertiary, std::move(lt));
            have_entry = true;
            start = ring[4];
        }
        const Ref target{e, m_L.grid_index(e, 0, E.ny / 2)};
        const XY a = pos(start), b = grid_pos(m_L, e, 0, E.ny / 2);
        std::uint32_t first = 0;
        emit(connect(m_L, a, {1, 0}, b, {-1, 0}, 60.0 + 80.0 * unit(h(0x500)), h(0x501), {}), start, target,
             m_L.east_class[m_c], road_tags(m_L.east_class[m_c], m_L.east_ref[m_c], h(0x502)), &first);
        if (!have_entry) entry_way = first;
        m_g.restrictions.push_back({entry_way, m_east_col_south, port, "no_left_turn"});
        m_g.restrictions.push_back({m_east_col_south, m_east_col_north, port, "only_straight_on"});
    }
    if (m_row + 1 < m_L.rows) {
        const std::uint32_t nn = m_c + m_L.cols;
        const Ref from = grid(im, T.ny);
        const Ref target{nn, m_L.grid_index(nn, m_L.towns[nn].nx / 2, 0)};
        const XY a = pos(from), b = grid_pos(m_L, nn, m_L.towns[nn].nx / 2, 0);
        TraceOptions o;
        o.tunnel = m_c == 0 || h(0x600) % 4 == 0;
        emit(connect(m_L, a, {0, 1}, b, {0, -1}, 60.0 + 80.0 * unit(h(0x601)), h(0x602), o), from, target, m_L.north_class[m_c], road_tags(m_L.north_class[m_c], m_L.north_ref[m_c], h(0x603)));
    }
}

void CellBuilder::motorway() {
    if (!m_L.has_motorway(m_c)) return;
    const double x0 = m_col * m_L.cell, x1 = x0 + m_L.cell;
    const bool last = m_col + 1 == m_L.cols;
    Tags base;
    if (m_details)
        base = {{"highway", "motorway"}, {"ref", "A 89"}, {"oneway", "yes"}, {"toll", "yes"}, {"maxspeed", "130"}, {"lanes", "2"}};
    TraceOptions o;
    o.step = motorway_step;
    o.cross_motorway = false;
    const Ref eb_a{m_c, m_L.anchor_motorway_eb(m_c)}, wb_b{m_c, m_L.anchor_motorway_wb(m_c)};
    const Ref eb_b = last ? add_node({x1, m_L.motorway_y(x1) - carriageway_offset}) : Ref{m_c + 1, m_L.anchor_motorway_eb(m_c + 1)};
    const Ref wb_a = last ? add_node({x1, m_L.motorway_y(x1) + carriageway_offset}) : Ref{m_c + 1, m_L.anchor_motorway_wb(m_c + 1)};
    const Layout& L = m_L;
    const Traced eb = trace(L, [&L, x0](double t) {
        const double x = x0 + t * L.cell;
        return XY{x, L.motorway_y(x) - carriageway_offset};
    }, L.cell, o);
    const Traced wb = trace(L, [&L, x1](double t) {
        const double x = x1 - t * L.cell;
        return XY{x, L.motorway_y(x) + carriageway_offset};
    }, L.cell, o);
    const auto eb_refs = emit(eb, eb_a, eb_b, RoadClass::motorway, base);
    const auto wb_refs = emit(wb, wb_a, wb_b, RoadClass::motorway, base);

    // A junction where it fits: far from the river bridge and from the north-south road.
    const Town& T = m_L.towns[m_c];
    const Town& S = m_L.towns[m_c - m_L.cols];
    const double up = grid_pos(m_L, m_c, T.nx / 2, 0).x;
    const double down = grid_pos(m_L, m_c - m_L.cols, S.nx / 2, S.ny).x;
    const double river = m_L.river_x(m_L.motorway_y(x0 + m_L.cell / 2));
    double best = -1, xj = 0;
    for (double f : {0.25, 0.375, 0.5, 0.625, 0.75}) {
        const double x = x0 + std::round(f * m_L.cell / motorway_step) * motorway_step;
        if (std::abs(x - river) < 900) continue;
        const double d = std::min(std::abs(x - up), std::abs(x - down));
        if (d > best) { best = d; xj = x; }
    }
    if (best < 600) return;
    auto find = [&](const Traced& t, const std::vector<Ref>& refs, double x) -> std::optional<Ref> {
        for (std::size_t k = 0; k < t.pts.size(); ++k)
            if (std::abs(t.pts[k].x - x) < 1.0) return refs[k];
        return std::nullopt;
    };
    const auto eb_off = find(eb, eb_refs, xj - 500), eb_on = find(eb, eb_refs, xj + 500);
    const auto wb_off = find(wb, wb_refs, xj + 500), wb_on = find(wb, wb_refs, xj - 500);
    if (!eb_off || !eb_on || !wb_off || !wb_on) return;
    auto my = [&](double x) { return m_L.motorway_y(x); };
    for (const Ref& exit : {*eb_off, *wb_off})
        if (exit.cell == m_c)
            m_g.node_tags.push_back({exit.local, {{"highway", "motorway_junction"}, {"ref", std::to_string(m_col + 1)},
                                                  {"name", commune_name(m_L.seed, m_c)}}});
    const Ref J = add_node({xj, my(xj) + 120});
    Tags lt;
    if (m_details) lt = {{"highway", "motorway_link"}, {"oneway", "yes"}, {"maxspeed", "90"}};
    Tags bt = lt;
    if (m_details) { bt.emplace_back("bridge", "yes"); bt.emplace_back("layer", "1"); }
    // Westbound (north side): off east of the junction, on west of it.
    add_way({*wb_off, add_node({xj + 250, my(xj + 250) + 45}), J}, RoadClass::motorway_link, lt);
    add_way({J, add_node({xj - 250, my(xj - 250) + 45}), *wb_on}, RoadClass::motorway_link, lt);
    // Eastbound (south side): the ramps cross the motorway on bridges.
    {
        const Ref p1 = add_node({xj - 250, my(xj - 250) - 45});
        const Ref p2 = add_node({xj - 40, my(xj - 40) - 60});
        const Ref p3 = add_node({xj - 40, my(xj - 40) + 60});
        add_way({*eb_off, p1, p2}, RoadClass::motorway_link, lt);
        add_way({p2, p3}, RoadClass::motorway_link, bt);
        add_way({p3, J}, RoadClass::motorway_link, lt);
    }
    {
        const Ref p1 = add_node({xj + 40, my(xj + 40) + 60});
        const Ref p2 = add_node({xj + 40, my(xj + 40) - 60});
        const Ref p3 = add_node({xj + 250, my(xj + 250) - 45});
        add_way({J, p1}, RoadClass::motorway_link, lt);
        add_way({p1, p2}, RoadClass::motorway_link, bt);
        add_way({p2, p3, *eb_on}, RoadClass::motorway_link, lt);
    }
    // The feeder road from the town's south entry.
    const Ref port = grid(T.nx / 2, 0);
    const XY a = pos(port), b = pos(J);
    TraceOptions fo;
    fo.cross_motorway = false;
    emit(connect(m_L, a, {0, -1}, b, {0, 0}, 0.0, 0, fo), port, J, RoadClass::primary,
         road_tags(RoadClass::primary, static_cast<std::uint16_t>(900 + m_col % 99), h(0x700)));
}

void CellBuilder::river() {
    if (!m_L.has_river(m_c)) return;
    const double y0 = m_row * m_L.cell;
    const bool last = m_row + 1 == m_L.rows;
    const Layout& L = m_L;
    const Ref a{m_c, m_L.anchor_river(m_c)};
    const Ref b = last ? add_node({L.river_x(y0 + L.cell), y0 + L.cell}) : Ref{m_c + m_L.cols, m_L.anchor_river(m_c + m_L.cols)};
    TraceOptions o;
    o.step = river_step;
    o.cross_river = false;
    o.cross_motorway = false;
    Tags t;
    if (m_details) t = {{"waterway", "river"}, {"name", river_name(m_L.seed)}};
    emit(trace(L, [&L, y0](double s) { const double y = y0 + s * L.cell; return XY{L.river_x(y), y}; }, L.cell, o),
         a, b, RoadClass::river, t);
}

void CellBuilder::pois() {
    if (!m_details) return;
    const Town& T = m_L.towns[m_c];
    const std::string commune = commune_name(m_L.seed, m_c);
    std::uint64_t k = 0;
    auto block = [&](std::uint32_t bi, std::uint32_t bj) {
        const XY a = grid_pos(m_L, m_c, bi, bj), b = grid_pos(m_L, m_c, bi + 1, bj + 1);
        const std::uint64_t hv = h(0x800, ++k);
        return XY{a.x + (b.x - a.x) * (0.25 + 0.5 * unit(hv)), a.y + (b.y - a.y) * (0.25 + 0.5 * unit(mix(hv)))};
    };
    auto random_block = [&]() {
        const std::uint64_t hv = h(0x900, ++k);
        return block(static_cast<std::uint32_t>(hv % T.nx), static_cast<std::uint32_t>((hv >> 20) % T.ny));
    };
    const std::uint32_t im = T.nx / 2, jm = T.ny / 2;
    m_g.pois.push_back({block(im, jm), "Mairie de " + commune, "mairie"});
    m_g.pois.push_back({block(im > 0 ? im - 1 : im, jm), "Église Saint-" + std::string(unit(h(0xa00)) < 0.5 ? "Martin" : "Pierre"), "église"});
    m_g.pois.push_back({random_block(), "École " + std::string(unit(h(0xa01)) < 0.5 ? "Jules Ferry" : "Jean Moulin"), "école"});
    const std::uint32_t bakeries = 1 + T.nx / 6;
    for (std::uint32_t b = 0; b < bakeries; ++b)
        m_g.pois.push_back({random_block(), b == 0 ? std::string("Boulangerie du Centre") : "Boulangerie " + std::to_string(b + 1), "boulangerie"});
    m_g.pois.push_back({random_block(), "Pharmacie de " + commune, "pharmacie"});
    if (T.nx >= 3) m_g.pois.push_back({random_block(), "La Poste", "poste"});
    if (T.weight >= 2.0) m_g.pois.push_back({block(T.nx - 1, 0), "Gare de " + commune, "gare"});
}

CellGeometry CellBuilder::build() {
    m_col = m_c % m_L.cols;
    m_row = m_c / m_L.cols;
    town();
    links();
    motorway();
    river();
    pois();
    std::sort(m_g.node_tags.begin(), m_g.node_tags.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return std::move(m_g);
}

}  // namespace

XY referenced_node(const Layout& L, Ref r) {
    const Town& t = L.towns[r.cell];
    if (r.local < t.grid_nodes()) return grid_pos(L, r.cell, r.local % (t.nx + 1), r.local / (t.nx + 1));
    if (L.has_motorway(r.cell) && (r.local == L.anchor_motorway_eb(r.cell) || r.local == L.anchor_motorway_wb(r.cell))) {
        const double x0 = (r.cell % L.cols) * L.cell;
        const double off = r.local == L.anchor_motorway_eb(r.cell) ? -carriageway_offset : carriageway_offset;
        return {x0, L.motorway_y(x0) + off};
    }
    if (L.has_river(r.cell) && r.local == L.anchor_river(r.cell)) {
        const double y0 = (r.cell / L.cols) * L.cell;
        return {L.river_x(y0), y0};
    }
    throw Error(errc::internal, "synth: a way references a node of another cell that is not an anchor");
}

CellGeometry build_cell(const Layout& layout, std::uint32_t c, bool details) {
    return CellBuilder(layout, c, details).build();
}

}  // namespace geoplex::synth::detail
