// Validation of configs and requests, names of enums, and the build orchestration.

#include <chrono>
#include <ctime>
#include <fstream>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "routing/ch_recontract.hpp"
#include "routing/detail.hpp"
#include "routing/store.hpp"

namespace geoplex::routing {

std::string_view to_string(Optimization o) noexcept { return o == Optimization::fastest ? "fastest" : "shortest"; }

std::optional<Optimization> parse_optimization(std::string_view s) noexcept {
    if (s == "fastest") return Optimization::fastest;
    if (s == "shortest") return Optimization::shortest;
    return std::nullopt;
}

std::string_view to_string(ConstraintType t) noexcept {
    switch (t) {
    case ConstraintType::banned: return "banned";
    case ConstraintType::preferred: return "preferred";
    case ConstraintType::unpreferred: return "unpreferred";
    }
    return "banned";
}

std::string_view to_string(ConstraintOperator o) noexcept {
    switch (o) {
    case ConstraintOperator::eq: return "=";
    case ConstraintOperator::ne: return "!=";
    case ConstraintOperator::gt: return ">";
    case ConstraintOperator::ge: return ">=";
    case ConstraintOperator::lt: return "<";
    case ConstraintOperator::le: return "<=";
    }
    return "=";
}

namespace {
bool valid_id(std::string_view id) {
    if (id.empty()) return false;
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.')) return false;
    return true;
}
bool valid_point(LonLat p) { return std::isfinite(p.lon) && std::isfinite(p.lat) && core::is_valid_lonlat(p); }
}  // namespace

std::vector<std::string> ResourceConfig::validate() const {
    std::vector<std::string> p;
    if (!valid_id(id)) p.push_back(fmt::format("id: '{}' must be non-empty letters, digits, '_', '-', '.'", id));
    if (path.empty()) p.emplace_back("path: missing");
    else if (!std::filesystem::exists(path)) p.push_back(fmt::format("path: '{}' does not exist", path.string()));
    if (profiles.empty()) p.emplace_back("profiles: at least one profile is needed");
    std::set<std::string, std::less<>> names;
    for (std::size_t i = 0; i < profiles.size(); ++i) {
        for (auto& e : profiles[i].validate()) p.push_back(fmt::format("profiles[{}].{}", i, e));
        if (!names.insert(profiles[i].name).second)
            p.push_back(fmt::format("profiles[{}]: profile '{}' appears twice", i, profiles[i].name));
    }
    if (optimizations.empty()) p.emplace_back("optimizations: at least one of fastest, shortest");
    if (optimizations.size() == 2 && optimizations[0] == optimizations[1])
        p.emplace_back("optimizations: listed twice");
    if (optimizations.size() > 2) p.emplace_back("optimizations: at most fastest and shortest");
    std::set<std::string, std::less<>> set_names;
    for (std::size_t i = 0; i < constraint_sets.size(); ++i) {
        const auto& cs = constraint_sets[i];
        if (!valid_id(cs.name))
            p.push_back(fmt::format("constraint_sets[{}].name: '{}' must be non-empty letters, digits, '_', '-', '.'", i,
                                    cs.name));
        else if (!set_names.insert(cs.name).second)
            p.push_back(fmt::format("constraint_sets[{}].name: '{}' appears twice", i, cs.name));
        if (cs.constraints.empty()) p.push_back(fmt::format("constraint_sets[{}].constraints: at least one constraint", i));
        for (std::size_t k = 0; k < cs.constraints.size(); ++k) {
            // What can be checked before reading the data (the rest when the set is built).
            const Constraint& c = cs.constraints[k];
            const auto where = fmt::format("constraint_sets[{}].constraints[{}]", i, k);
            std::string key = c.key;
            for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            if (key.empty()) p.push_back(where + ".key: missing");
            else if (key == "waytype" && (c.number || (c.value != "autoroute" && c.value != "tunnel" && c.value != "pont") ||
                                          (c.op != ConstraintOperator::eq && c.op != ConstraintOperator::ne)))
                p.push_back(where + ": wayType accepts '=' and the values autoroute, tunnel, pont");
            else if (key != "waytype" && format == SourceFormat::osm)
                p.push_back(fmt::format("{}.key: '{}' is not available on an osm resource (wayType only)", where, c.key));
        }
    }
    return p;
}

std::vector<std::string> BuildConfig::validate() const {
    std::vector<std::string> p;
    if (resources.empty()) p.emplace_back("resources: at least one routing resource is needed");
    std::set<std::string, std::less<>> ids;
    for (std::size_t i = 0; i < resources.size(); ++i) {
        for (auto& e : resources[i].validate()) p.push_back(fmt::format("resources[{}].{}", i, e));
        if (!ids.insert(resources[i].id).second)
            p.push_back(fmt::format("resources[{}].id: '{}' appears twice", i, resources[i].id));
    }
    return p;
}

std::vector<std::string> RouteRequest::validate() const {
    std::vector<std::string> p;
    if (resource.empty()) p.emplace_back("resource: missing");
    if (profile.empty()) p.emplace_back("profile: missing");
    if (points.size() < 2) p.emplace_back("points: a start and an end are needed");
    if (points.size() > max_intermediates + 2)
        p.push_back(fmt::format("points: at most {} intermediates are allowed (got {})", max_intermediates,
                                points.size() - 2));
    for (std::size_t i = 0; i < points.size(); ++i)
        if (!valid_point(points[i])) p.push_back(fmt::format("points[{}]: not a valid longitude, latitude", i));
    if (!(snap_radius_m > 0.0 && snap_radius_m <= 100000.0)) p.emplace_back("snap_radius_m: must be in ]0, 100000]");
    for (std::size_t i = 0; i < constraints.size(); ++i)
        if (constraints[i].key.empty()) p.push_back(fmt::format("constraints[{}].key: missing", i));
    return p;
}

std::vector<std::string> MatrixRequest::validate() const {
    std::vector<std::string> p;
    if (resource.empty()) p.emplace_back("resource: missing");
    if (sources.empty()) p.emplace_back("sources: at least one point is needed");
    if (targets.empty()) p.emplace_back("targets: at least one point is needed");
    if (sources.size() * targets.size() > max_size)
        p.push_back(fmt::format("sources × targets = {} exceeds the limit of {} cells", sources.size() * targets.size(),
                                max_size));
    for (std::size_t i = 0; i < sources.size(); ++i)
        if (!valid_point(sources[i])) p.push_back(fmt::format("sources[{}]: not a valid longitude, latitude", i));
    for (std::size_t i = 0; i < targets.size(); ++i)
        if (!valid_point(targets[i])) p.push_back(fmt::format("targets[{}]: not a valid longitude, latitude", i));
    if (!(snap_radius_m > 0.0 && snap_radius_m <= 100000.0)) p.emplace_back("snap_radius_m: must be in ]0, 100000]");
    return p;
}

const ProfileInfo* ResourceInfo::find_profile(std::string_view profile_name) const noexcept {
    for (const auto& p : profiles)
        if (p.name == profile_name) return &p;
    return nullptr;
}

std::string BuildReport::to_string() const {
    std::string out = fmt::format("routing: read {:.2f} s, peak memory {:.0f} MiB\n", read_seconds,
                                  static_cast<double>(peak_rss_bytes) / 1048576.0);
    for (const auto& r : profiles) {
        out += fmt::format("  {}/{}: {} nodes, {} arcs, {} segments, {} restrictions ({} via ways, {} ignored); dropped {} "
                           "components ({} nodes, {} segments, {:.2f} km); graph {:.2f} s",
                           r.resource, r.profile, r.nodes, r.arcs, r.segments, r.restrictions, r.via_way_restrictions,
                           r.restrictions_ignored,
                           r.dropped_components, r.dropped_nodes, r.dropped_segments, r.dropped_km, r.graph_seconds);
        for (std::size_t i = 0; i < r.ch_seconds.size(); ++i)
            out += fmt::format(", CH {} arcs in {:.2f} s", r.ch_arcs[i], r.ch_seconds[i]);
        for (const auto& sr : r.constraint_sets)
            for (std::size_t i = 0; i < sr.seconds.size(); ++i)
                out += fmt::format(", set '{}' CH {} arcs in {:.2f} s", sr.name, sr.arcs[i], sr.seconds[i]);
        out += '\n';
    }
    return out;
}

Builder::Builder(BuildConfig config) : m_config(std::move(config)) {
    auto problems = m_config.validate();
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
}

nlohmann::ordered_json report_to_json(const ProfileReport& r);

BuildReport Builder::build(const std::filesystem::path& out_dir, const core::Callbacks& callbacks) const {
    using clock = std::chrono::steady_clock;
    std::filesystem::create_directories(out_dir);
    BuildReport report;
    nlohmann::ordered_json resources = nlohmann::ordered_json::array();
    for (const auto& res : m_config.resources) {
        const auto t0 = clock::now();
        const detail::RawNetwork net =
            res.format == SourceFormat::osm ? detail::read_osm(res, callbacks) : detail::read_bdtopo(res, callbacks);
        report.read_seconds += std::chrono::duration<double>(clock::now() - t0).count();
        const auto dir = out_dir / res.id;
        std::filesystem::create_directories(dir);
        nlohmann::ordered_json jr;
        jr["id"] = res.id;
        jr["title"] = res.title.empty() ? res.id : res.title;
        jr["description"] = res.description;
        std::string version = res.version;
        if (version.empty()) {
            const std::time_t t = std::time(nullptr);
            std::tm tm{};
            gmtime_r(&t, &tm);
            char buf[16];
            std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
            version = buf;
        }
        jr["version"] = version;
        jr["format"] = res.format == SourceFormat::osm ? "osm" : "bdtopo";
        jr["crs"] = res.crs;
        jr["bbox"] = {net.bbox.min_x, net.bbox.min_y, net.bbox.max_x, net.bbox.max_y};
        nlohmann::ordered_json profiles = nlohmann::ordered_json::array();
        for (std::size_t pi = 0; pi < res.profiles.size(); ++pi) {
            const Profile& prof = res.profiles[pi];
            ProfileReport pr;
            pr.resource = res.id;
            pr.profile = prof.name;
            const auto g0 = clock::now();
            const auto graph_file = dir / (prof.name + ".graph");
            detail::build_graph_file(net, pi, prof, graph_file, pr, callbacks);
            pr.graph_seconds = std::chrono::duration<double>(clock::now() - g0).count();
            callbacks.check_cancelled();
            // Re-open the written file: the CH is built from exactly what queries will read.
            const detail::SectionReader reader(graph_file, detail::graph_magic, detail::graph_format_version, false);
            const Graph g = detail::graph_view(reader);
            nlohmann::ordered_json opts = nlohmann::ordered_json::array();
            for (const Optimization o : res.optimizations) {
                const auto c0 = clock::now();
                const std::string task = fmt::format("routing: {}/{}-{} CH", res.id, prof.name, to_string(o));
                const auto arcs = detail::build_ch_file(
                    g, o, dir / fmt::format("{}-{}.ch", prof.name, to_string(o)), callbacks, task);
                pr.ch_seconds.push_back(std::chrono::duration<double>(clock::now() - c0).count());
                pr.ch_arcs.push_back(arcs);
                opts.push_back(std::string(to_string(o)));
                callbacks.info(fmt::format("{}: {} arcs in {:.2f} s", task, arcs, pr.ch_seconds.back()));
                callbacks.check_cancelled();
            }
            auto sets = detail::build_constraint_sets(g, res, static_cast<std::size_t>(&res - m_config.resources.data()),
                                                      prof.name, dir, pr, callbacks);
            nlohmann::ordered_json jp;
            jp["name"] = prof.name;
            jp["optimizations"] = opts;
            if (!sets.empty()) jp["constraint_sets"] = std::move(sets);
            jp["report"] = report_to_json(pr);
            profiles.push_back(std::move(jp));
            report.profiles.push_back(std::move(pr));
        }
        jr["profiles"] = std::move(profiles);
        resources.push_back(std::move(jr));
    }
    report.peak_rss_bytes = detail::peak_rss_bytes();
    nlohmann::ordered_json doc;
    doc["format_version"] = 1;
    doc["resources"] = std::move(resources);
    const auto tmp = out_dir / "resources.json.tmp";
    {
        std::ofstream out(tmp, std::ios::binary);
        out << doc.dump(2) << '\n';
        if (!out) throw IoError(fmt::format("cannot write '{}'", tmp.string()));
    }
    std::filesystem::rename(tmp, out_dir / "resources.json");
    callbacks.info(report.to_string());
    return report;
}

nlohmann::ordered_json report_to_json(const ProfileReport& r) {
    nlohmann::ordered_json j;
    j["segments"] = r.segments;
    j["nodes"] = r.nodes;
    j["arcs"] = r.arcs;
    j["restrictions"] = r.restrictions;
    j["via_way_restrictions"] = r.via_way_restrictions;
    j["restrictions_ignored"] = r.restrictions_ignored;
    j["dropped_components"] = r.dropped_components;
    j["dropped_nodes"] = r.dropped_nodes;
    j["dropped_segments"] = r.dropped_segments;
    j["dropped_km"] = r.dropped_km;
    j["graph_seconds"] = r.graph_seconds;
    j["ch_seconds"] = r.ch_seconds;
    j["ch_arcs"] = r.ch_arcs;
    return j;
}

}  // namespace geoplex::routing
