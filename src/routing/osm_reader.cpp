// OSM → RawNetwork with libosmium, in two passes over the file (ways and relations, then the
// nodes they use), so memory stays proportional to the road network, not to the file.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <osmium/handler.hpp>
#include <osmium/io/any_input.hpp>
#include <osmium/osm/node.hpp>
#include <osmium/osm/relation.hpp>
#include <osmium/osm/way.hpp>
#include <osmium/visitor.hpp>

#include "geoplex/core/error.hpp"
#include "geoplex/core/geometry.hpp"
#include "routing/detail.hpp"

namespace geoplex::routing::detail {

namespace {

bool in(const std::vector<std::string>& list, std::string_view v) {
    return std::find(list.begin(), list.end(), v) != list.end();
}

std::optional<double> parse_number(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    double v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr == s.data()) return std::nullopt;
    std::string_view rest(ptr, static_cast<std::size_t>(s.data() + s.size() - ptr));
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest == "mph") v *= 1.609344;
    else if (!rest.empty() && rest != "km/h" && rest != "kmh") return std::nullopt;
    return v;
}

/// maxspeed in km/h: numbers ("50", "30 mph") and the French implicit values.
std::optional<double> parse_maxspeed(const char* v) {
    if (v == nullptr) return std::nullopt;
    const std::string_view s(v);
    if (s == "FR:urban") return 50.0;
    if (s == "FR:rural") return 80.0;
    if (s == "FR:motorway") return 130.0;
    if (s == "FR:zone30" || s == "FR:zone:30") return 30.0;
    if (s == "FR:walk" || s == "walk") return 6.0;
    return parse_number(s);
}

/// OSM `duration` of ferries: "HH:MM", "HH:MM:SS" or minutes.
std::optional<double> parse_duration(const char* v) {
    if (v == nullptr) return std::nullopt;
    std::string_view s(v);
    double parts[3] = {0, 0, 0};
    int n = 0;
    while (n < 3) {
        const auto colon = s.find(':');
        const auto token = s.substr(0, colon);
        const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), parts[n]);
        if (ec != std::errc() || ptr != token.data() + token.size()) return std::nullopt;
        ++n;
        if (colon == std::string_view::npos) break;
        s.remove_prefix(colon + 1);
    }
    if (n == 1) return parts[0] * 60.0;
    if (n == 2) return parts[0] * 3600.0 + parts[1] * 60.0;
    return parts[0] * 3600.0 + parts[1] * 60.0 + parts[2];
}

WayUse evaluate(const Profile& p, const osmium::TagList& tags) {
    WayUse none;
    const char* highway = tags["highway"];
    const char* route = tags["route"];
    const bool ferry = route != nullptr && std::strcmp(route, "ferry") == 0;
    double speed = 0.0;
    WayUse use;
    if (ferry) {
        if (p.ferry_speed_kmh <= 0.0) return none;
        speed = p.ferry_speed_kmh;
        if (const auto d = parse_duration(tags["duration"]); d && *d > 0) use.fixed_seconds = static_cast<float>(*d);
    } else {
        if (highway == nullptr) return none;
        const auto it = p.highway_speeds.find(std::string_view(highway));
        if (it == p.highway_speeds.end()) return none;
        speed = it->second;
        const char* area = tags["area"];
        if (area != nullptr && std::strcmp(area, "yes") == 0) return none;
    }
    for (const auto& tag : p.access_tags) {
        if (const char* v = tags[tag.c_str()]) {
            if (in(p.access_denied, v)) return none;
            break;  // the most specific tag present decides
        }
    }
    if (!ferry && p.maxspeed_factor > 0.0)
        if (const auto ms = parse_maxspeed(tags["maxspeed"]); ms && *ms > 0) speed = *ms * p.maxspeed_factor;
    speed = std::min(speed, p.max_speed_kmh);
    bool fwd = true, bwd = true;
    const char* junction = tags["junction"];
    const bool roundabout =
        junction != nullptr && (std::strcmp(junction, "roundabout") == 0 || std::strcmp(junction, "circular") == 0);
    if ((highway != nullptr && in(p.implied_oneway, highway)) || (roundabout && p.roundabout_oneway)) bwd = false;
    for (const auto& tag : p.oneway_tags) {
        if (const char* v = tags[tag.c_str()]) {
            const std::string_view s(v);
            if (s == "yes" || s == "true" || s == "1") { fwd = true; bwd = false; }
            else if (s == "-1" || s == "reverse") { fwd = false; bwd = true; }
            else if (s == "no" || s == "false" || s == "0") { fwd = true; bwd = true; }
            else if (s == "reversible" || s == "alternating") { fwd = false; bwd = false; }
            break;
        }
    }
    if (!fwd && !bwd) return none;
    use.forward_kmh = fwd ? static_cast<float>(speed) : 0.0F;
    use.backward_kmh = bwd ? static_cast<float>(speed) : 0.0F;
    return use;
}

struct PendingRestriction {
    osmium::object_id_type from = 0, via = 0, to = 0;
    std::vector<osmium::object_id_type> via_ways;  ///< a via-way restriction (in relation order)
    bool only = false;
    std::uint32_t mask = 0;
};

class WayHandler : public osmium::handler::Handler {
public:
    WayHandler(const ResourceConfig& cfg, RawNetwork& net) : m_cfg(cfg), m_net(net) {}

    void way(const osmium::Way& w) {
        const auto& tags = w.tags();
        std::vector<WayUse> use(m_cfg.profiles.size());
        bool any = false;
        for (std::size_t i = 0; i < use.size(); ++i) {
            use[i] = evaluate(m_cfg.profiles[i], tags);
            any = any || use[i].forward_kmh > 0 || use[i].backward_kmh > 0;
        }
        if (!any || w.nodes().size() < 2) return;
        RawWay rw;
        auto str = [&](const char* k) { const char* v = tags[k]; return v != nullptr ? std::string(v) : std::string(); };
        rw.name = str("name");
        rw.ref = str("ref");
        const char* highway = tags["highway"];
        const char* route = tags["route"];
        const bool ferry = route != nullptr && std::strcmp(route, "ferry") == 0;
        rw.cls = ferry ? "ferry" : str("highway");
        const std::string_view hw = highway != nullptr ? highway : "";
        auto yes = [&](const char* k) { const char* v = tags[k]; return v != nullptr && std::strcmp(v, "no") != 0; };
        if (hw == "motorway" || hw == "motorway_link") rw.flags |= way_flag::motorway;
        if (hw.ends_with("_link")) rw.flags |= way_flag::link;
        if (yes("tunnel")) rw.flags |= way_flag::tunnel;
        if (yes("bridge")) rw.flags |= way_flag::bridge;
        if (const char* j = tags["junction"]; j != nullptr && (std::strcmp(j, "roundabout") == 0 || std::strcmp(j, "circular") == 0))
            rw.flags |= way_flag::roundabout;
        if (ferry) rw.flags |= way_flag::ferry;
        if (const char* t = tags["toll"]; t != nullptr && std::strcmp(t, "yes") == 0) rw.flags |= way_flag::toll;
        rw.use = std::move(use);
        way_ids.emplace_back(w.id(), static_cast<std::uint32_t>(m_net.ways.size()));
        way_first_ref.push_back(refs.size());
        osmium::object_id_type last = 0;
        bool first = true;
        for (const auto& nr : w.nodes()) {
            if (!first && nr.ref() == last) continue;  // repeated node: no zero-length piece
            refs.push_back(nr.ref());
            last = nr.ref();
            first = false;
        }
        m_net.ways.push_back(std::move(rw));
    }

    void relation(const osmium::Relation& r) {
        const char* type = r.tags()["type"];
        if (type == nullptr || std::strcmp(type, "restriction") != 0) return;
        PendingRestriction pr;
        int from = 0, via = 0, to = 0, via_ways = 0;
        for (const auto& m : r.members()) {
            const std::string_view role = m.role();
            if (role == "from" && m.type() == osmium::item_type::way) { pr.from = m.ref(); ++from; }
            else if (role == "to" && m.type() == osmium::item_type::way) { pr.to = m.ref(); ++to; }
            else if (role == "via" && m.type() == osmium::item_type::node) { pr.via = m.ref(); ++via; }
            else if (role == "via" && m.type() == osmium::item_type::way) { pr.via_ways.push_back(m.ref()); ++via_ways; }
            else if (role == "via") ++via_ways;  // anything else is malformed
        }
        bool kind_set = false;
        for (std::size_t i = 0; i < m_cfg.profiles.size(); ++i) {
            const Profile& p = m_cfg.profiles[i];
            if (!p.turn_restrictions) continue;
            const char* value = nullptr;
            for (const auto& tag : p.restriction_tags)
                if ((value = r.tags()[tag.c_str()]) != nullptr) break;
            if (value == nullptr) continue;
            if (const char* exc = r.tags()["except"]) {
                bool exempt = false;
                std::string_view e(exc);
                while (!e.empty()) {
                    const auto semi = e.find(';');
                    if (in(p.restriction_exceptions, e.substr(0, semi))) exempt = true;
                    if (semi == std::string_view::npos) break;
                    e.remove_prefix(semi + 1);
                }
                if (exempt) continue;
            }
            const std::string_view v(value);
            const bool only = v.starts_with("only_");
            if (!only && !v.starts_with("no_")) continue;
            const bool via_node = via == 1 && via_ways == 0;
            const bool via_way = via == 0 && via_ways >= 1 && static_cast<std::size_t>(via_ways) == pr.via_ways.size();
            if (from != 1 || to != 1 || !(via_node || via_way)) {
                if (unresolved.size() < m_cfg.profiles.size()) unresolved.resize(m_cfg.profiles.size());
                ++unresolved[i];  // malformed relations
                continue;
            }
            pr.only = only;
            kind_set = true;
            pr.mask |= 1U << i;
        }
        if (kind_set) pending.push_back(pr);
    }

    std::vector<std::pair<osmium::object_id_type, std::uint32_t>> way_ids;
    std::vector<std::size_t> way_first_ref;
    std::vector<osmium::object_id_type> refs;
    std::vector<PendingRestriction> pending;
    std::vector<std::uint64_t> unresolved;

private:
    const ResourceConfig& m_cfg;
    RawNetwork& m_net;
};

class NodeHandler : public osmium::handler::Handler {
public:
    NodeHandler(const std::vector<osmium::object_id_type>& ids, std::vector<LonLat>& locs, std::vector<bool>& found,
                std::vector<bool>& signals)
        : m_ids(ids), m_locs(locs), m_found(found), m_signals(signals) {}
    void node(const osmium::Node& n) {
        const auto it = std::lower_bound(m_ids.begin(), m_ids.end(), n.id());
        if (it == m_ids.end() || *it != n.id() || !n.location().valid()) return;
        const auto i = static_cast<std::size_t>(it - m_ids.begin());
        m_locs[i] = {n.location().lon(), n.location().lat()};
        m_found[i] = true;
        if (const char* hw = n.tags()["highway"]; hw != nullptr && std::strcmp(hw, "traffic_signals") == 0)
            m_signals[i] = true;
    }

private:
    const std::vector<osmium::object_id_type>& m_ids;
    std::vector<LonLat>& m_locs;
    std::vector<bool>& m_found;
    std::vector<bool>& m_signals;
};

}  // namespace

RawNetwork read_osm(const ResourceConfig& cfg, const core::Callbacks& callbacks) {
    RawNetwork net;
    const std::string task = fmt::format("routing: {} read", cfg.id);
    WayHandler wh(cfg, net);
    try {
        callbacks.report(task, 0, 3);
        osmium::io::Reader reader(cfg.path.string(), osmium::osm_entity_bits::way | osmium::osm_entity_bits::relation);
        osmium::apply(reader, wh);
        reader.close();
    } catch (const std::exception& e) {
        throw IoError(fmt::format("cannot read the OSM file '{}': {}", cfg.path.string(), e.what()));
    }
    callbacks.check_cancelled();
    callbacks.report(task, 1, 3);
    wh.way_first_ref.push_back(wh.refs.size());

    // Distinct node ids used by the kept ways, and how often (junction = used twice or more).
    std::vector<osmium::object_id_type> ids = wh.refs;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    auto index_of = [&](osmium::object_id_type id) -> std::size_t {
        const auto it = std::lower_bound(ids.begin(), ids.end(), id);
        return (it != ids.end() && *it == id) ? static_cast<std::size_t>(it - ids.begin()) : SIZE_MAX;
    };
    std::vector<std::uint8_t> uses(ids.size(), 0);
    auto bump = [&](std::size_t i, int k) { uses[i] = static_cast<std::uint8_t>(std::min(uses[i] + k, 200)); };
    for (std::size_t w = 0; w + 1 < wh.way_first_ref.size(); ++w) {
        const std::size_t b = wh.way_first_ref[w], e = wh.way_first_ref[w + 1];
        for (std::size_t k = b; k < e; ++k) bump(index_of(wh.refs[k]), (k == b || k + 1 == e) ? 2 : 1);
    }
    for (const auto& r : wh.pending)
        if (const auto i = index_of(r.via); i != SIZE_MAX) bump(i, 2);

    std::vector<LonLat> locs(ids.size());
    std::vector<bool> found(ids.size(), false), signals(ids.size(), false);
    try {
        NodeHandler nh(ids, locs, found, signals);
        osmium::io::Reader reader(cfg.path.string(), osmium::osm_entity_bits::node);
        osmium::apply(reader, nh);
        reader.close();
    } catch (const std::exception& e) {
        throw IoError(fmt::format("cannot read the OSM file '{}': {}", cfg.path.string(), e.what()));
    }
    callbacks.check_cancelled();
    callbacks.report(task, 2, 3);

    // Split ways into pieces between junctions; a missing node (clipped extract) ends a piece.
    std::vector<std::uint32_t> junction_of(ids.size(), invalid_id);
    auto junction = [&](std::size_t i) {
        if (junction_of[i] == invalid_id) {
            junction_of[i] = static_cast<std::uint32_t>(net.junctions.size());
            net.junctions.push_back(locs[i]);
        }
        return junction_of[i];
    };
    for (std::uint32_t w = 0; w < net.ways.size(); ++w) {
        RawWay& way = net.ways[w];
        way.first_segment = static_cast<std::uint32_t>(net.segments.size());
        const std::size_t b = wh.way_first_ref[w], e = wh.way_first_ref[w + 1];
        std::size_t k = b;
        while (k < e) {
            while (k < e && !found[index_of(wh.refs[k])]) ++k;
            if (k >= e) break;
            std::size_t run_end = k;  // one past the last present node of this run
            while (run_end < e && found[index_of(wh.refs[run_end])]) ++run_end;
            std::size_t start = k;
            for (std::size_t j = k + 1; j < run_end; ++j) {
                const std::size_t idx = index_of(wh.refs[j]);
                if (uses[idx] < 2 && j + 1 != run_end) continue;
                RawSegment s;
                s.way = w;
                s.a = junction(index_of(wh.refs[start]));
                s.b = junction(idx);
                s.first_point = static_cast<std::uint32_t>(net.points.size());
                for (std::size_t q = start; q <= j; ++q) {
                    const std::size_t qi = index_of(wh.refs[q]);
                    net.points.push_back(locs[qi]);
                    net.bbox.extend(locs[qi]);
                    if (q > start && signals[qi]) ++s.signals;
                }
                s.point_count = static_cast<std::uint32_t>(j - start + 1);
                s.length_m = core::geodesic_length(std::span<const LonLat>(net.points).subspan(s.first_point, s.point_count));
                way.length_m += s.length_m;
                net.segments.push_back(s);
                start = j;
            }
            k = run_end;
        }
        way.segment_count = static_cast<std::uint32_t>(net.segments.size()) - way.first_segment;
    }

    // Restrictions: OSM ids → way indices and junctions.
    std::sort(wh.way_ids.begin(), wh.way_ids.end());
    auto way_index = [&](osmium::object_id_type id) -> std::uint32_t {
        const auto it = std::lower_bound(wh.way_ids.begin(), wh.way_ids.end(), std::make_pair(id, std::uint32_t{0}));
        return (it != wh.way_ids.end() && it->first == id) ? it->second : invalid_id;
    };
    net.restrictions_unresolved.assign(cfg.profiles.size(), 0);
    for (std::size_t i = 0; i < wh.unresolved.size(); ++i) net.restrictions_unresolved[i] += wh.unresolved[i];
    for (const auto& r : wh.pending) {
        const std::uint32_t from = way_index(r.from), to = way_index(r.to);
        if (!r.via_ways.empty()) {  // via way(s): resolved into arc sequences per profile by the graph builder
            std::vector<std::uint32_t> via_ways;
            for (const auto id : r.via_ways) via_ways.push_back(way_index(id));
            if (from == invalid_id || to == invalid_id ||
                std::find(via_ways.begin(), via_ways.end(), invalid_id) != via_ways.end()) {
                for (std::size_t i = 0; i < cfg.profiles.size(); ++i)
                    if ((r.mask >> i) & 1U) ++net.restrictions_unresolved[i];
                continue;
            }
            net.restrictions.push_back({from, to, invalid_id, r.only, r.mask, std::move(via_ways)});
            continue;
        }
        const std::size_t via = index_of(r.via);
        if (from == invalid_id || to == invalid_id || via == SIZE_MAX || junction_of[via] == invalid_id) {
            for (std::size_t i = 0; i < cfg.profiles.size(); ++i)
                if ((r.mask >> i) & 1U) ++net.restrictions_unresolved[i];
            continue;
        }
        net.restrictions.push_back({from, to, junction_of[via], r.only, r.mask, {}});
    }
    callbacks.report(task, 3, 3);
    callbacks.info(fmt::format("routing: {}: {} ways, {} road pieces, {} junctions, {} turn restrictions", cfg.id,
                               net.ways.size(), net.segments.size(), net.junctions.size(), net.restrictions.size()));
    return net;
}

}  // namespace geoplex::routing::detail
