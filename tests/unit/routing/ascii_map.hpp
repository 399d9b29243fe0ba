#pragma once
// Small road networks drawn as ASCII maps (OSRM's cucumber style), written as OSM XML and built
// into a routing folder. Letters are nodes; other characters are decoration. One column is
// 0.0002° of longitude (~15 m at 45° N), one row 0.0002° of latitude (~22 m).
//
//   AsciiMap m(R"(
//     a-b-c
//       | |
//       d-e
//   )");
//   m.way("abc", {{"highway", "primary"}, {"oneway", "yes"}});

#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "geoplex/core/types.hpp"
#include "geoplex/routing/routing.hpp"
#include "support/test_data.hpp"

namespace geoplex::routing::test {

using Tags = std::vector<std::pair<std::string, std::string>>;

class AsciiMap {
public:
    explicit AsciiMap(std::string_view drawing) {
        int row = 0, col = 0;
        for (const char c : drawing) {
            if (c == '\n') {
                ++row;
                col = 0;
                continue;
            }
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                m_nodes[c] = LonLat{origin.lon + col * step, origin.lat - row * step};
            }
            ++col;
        }
    }
    static constexpr LonLat origin{2.0, 45.0};
    static constexpr double step = 0.0002;

    /// A way through the named nodes, in order. Returns its index (for restrictions).
    int way(std::string nodes, Tags tags) {
        m_ways.emplace_back(std::move(nodes), std::move(tags));
        return static_cast<int>(m_ways.size()) - 1;
    }
    /// A tagged node (traffic signals, barriers).
    void node_tags(char node, Tags tags) { m_node_tags[node] = std::move(tags); }
    void restriction(int from_way, char via, int to_way, std::string kind, Tags extra = {}) {
        m_restrictions.push_back({from_way, via, to_way, std::move(kind), std::move(extra), {}});
    }
    /// A restriction with via way(s) (in order) instead of a via node.
    void restriction(int from_way, std::vector<int> via_ways, int to_way, std::string kind) {
        m_restrictions.push_back({from_way, '?', to_way, std::move(kind), {}, std::move(via_ways)});
    }
    [[nodiscard]] LonLat at(char node) const { return m_nodes.at(node); }
    /// The point `fraction` of the way from node a to node b (straight line).
    [[nodiscard]] LonLat between(char a, char b, double fraction) const {
        const LonLat p = at(a), q = at(b);
        return {p.lon + fraction * (q.lon - p.lon), p.lat + fraction * (q.lat - p.lat)};
    }
    /// The node at `p` ('?' when none): to turn a route geometry back into letters.
    [[nodiscard]] char letter(LonLat p) const {
        for (const auto& [c, q] : m_nodes)
            if (std::abs(q.lon - p.lon) < 1e-9 && std::abs(q.lat - p.lat) < 1e-9) return c;
        return '?';
    }
    /// The letters of a geometry, skipping positions that are not nodes (snapped ends).
    [[nodiscard]] std::string letters(const std::vector<LonLat>& line) const {
        std::string out;
        for (const auto& p : line) {
            const char c = letter(p);
            if (c != '?' && (out.empty() || out.back() != c)) out.push_back(c);
        }
        return out;
    }

    void write_osm(const std::filesystem::path& file) const {
        std::ofstream out(file);
        out << "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"geoplex-test\">\n";
        for (const auto& [c, p] : m_nodes) {
            out << fmt::format("  <node id=\"{}\" version=\"1\" lat=\"{:.7f}\" lon=\"{:.7f}\"", node_id(c), p.lat, p.lon);
            const auto it = m_node_tags.find(c);
            if (it == m_node_tags.end()) {
                out << "/>\n";
                continue;
            }
            out << ">\n";
            for (const auto& [k, v] : it->second) out << fmt::format("    <tag k=\"{}\" v=\"{}\"/>\n", k, v);
            out << "  </node>\n";
        }
        for (std::size_t i = 0; i < m_ways.size(); ++i) {
            out << fmt::format("  <way id=\"{}\" version=\"1\">\n", i + 1);
            for (const char c : m_ways[i].first) out << fmt::format("    <nd ref=\"{}\"/>\n", node_id(c));
            for (const auto& [k, v] : m_ways[i].second) out << fmt::format("    <tag k=\"{}\" v=\"{}\"/>\n", k, v);
            out << "  </way>\n";
        }
        for (std::size_t i = 0; i < m_restrictions.size(); ++i) {
            const auto& r = m_restrictions[i];
            out << fmt::format("  <relation id=\"{}\" version=\"1\">\n", i + 1);
            out << fmt::format("    <member type=\"way\" ref=\"{}\" role=\"from\"/>\n", r.from + 1);
            if (r.via_ways.empty())
                out << fmt::format("    <member type=\"node\" ref=\"{}\" role=\"via\"/>\n", node_id(r.via));
            for (const int w : r.via_ways) out << fmt::format("    <member type=\"way\" ref=\"{}\" role=\"via\"/>\n", w + 1);
            out << fmt::format("    <member type=\"way\" ref=\"{}\" role=\"to\"/>\n", r.to + 1);
            out << "    <tag k=\"type\" v=\"restriction\"/>\n";
            out << fmt::format("    <tag k=\"restriction\" v=\"{}\"/>\n", r.kind);
            for (const auto& [k, v] : r.extra) out << fmt::format("    <tag k=\"{}\" v=\"{}\"/>\n", k, v);
            out << "  </relation>\n";
        }
        out << "</osm>\n";
    }

    /// Writes the map and builds a routing folder with the builtin car and pedestrian profiles
    /// (and the constraint sets `sets`, precomputed).
    Router build(const geoplex::test::TempDir& dir, BuildReport* report = nullptr,
                 std::vector<ConstraintSet> sets = {}) const {
        const auto osm = dir / "map.osm";
        write_osm(osm);
        ResourceConfig r;
        r.id = "test";
        r.path = osm;
        r.profiles = {Profile::builtin("car"), Profile::builtin("pedestrian")};
        r.constraint_sets = std::move(sets);
        BuildConfig cfg;
        cfg.resources.push_back(r);
        const auto rep = Builder(cfg).build(dir / "routing");
        if (report != nullptr) *report = rep;
        return Router::open(dir / "routing");
    }

private:
    static long node_id(char c) { return static_cast<long>(static_cast<unsigned char>(c)); }
    struct Restriction {
        int from;
        char via;
        int to;
        std::string kind;
        Tags extra;
        std::vector<int> via_ways;
    };
    std::map<char, LonLat> m_nodes;
    std::map<char, Tags> m_node_tags;
    std::vector<std::pair<std::string, Tags>> m_ways;
    std::vector<Restriction> m_restrictions;
};

}  // namespace geoplex::routing::test
