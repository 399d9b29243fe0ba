// Router::open: reads resources.json and maps every graph and CH file (no parsing beyond
// headers and section tables).

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "routing/router_impl.hpp"

namespace geoplex::routing {

namespace {

ProfileReport report_from_json(const nlohmann::json& j, const std::string& resource, const std::string& profile) {
    ProfileReport r;
    r.resource = resource;
    r.profile = profile;
    r.segments = j.value("segments", std::uint64_t{0});
    r.nodes = j.value("nodes", std::uint64_t{0});
    r.arcs = j.value("arcs", std::uint64_t{0});
    r.restrictions = j.value("restrictions", std::uint64_t{0});
    r.via_way_restrictions = j.value("via_way_restrictions", std::uint64_t{0});
    r.restrictions_ignored = j.value("restrictions_ignored", std::uint64_t{0});
    r.dropped_components = j.value("dropped_components", std::uint64_t{0});
    r.dropped_nodes = j.value("dropped_nodes", std::uint64_t{0});
    r.dropped_segments = j.value("dropped_segments", std::uint64_t{0});
    r.dropped_km = j.value("dropped_km", 0.0);
    r.graph_seconds = j.value("graph_seconds", 0.0);
    r.ch_seconds = j.value("ch_seconds", std::vector<double>{});
    r.ch_arcs = j.value("ch_arcs", std::vector<std::uint64_t>{});
    return r;
}

}  // namespace

const detail::LoadedProfile& Router::Impl::profile(std::string_view resource, std::string_view profile_name) const {
    for (std::size_t i = 0; i < infos.size(); ++i) {
        if (infos[i].id != resource) continue;
        for (const auto& p : loaded[i].profiles)
            if (p->name == profile_name) return *p;
        throw Error(errc::not_found, fmt::format("routing resource '{}' has no profile '{}'", resource, profile_name));
    }
    throw Error(errc::not_found, fmt::format("no routing resource '{}'", resource));
}

Router Router::open(const std::filesystem::path& dir, const OpenOptions& options) {
    auto impl = std::make_shared<Impl>();
    impl->dir = dir;
    impl->adaptive_sets = std::make_unique<detail::AdaptiveSets>(options.adaptive_sets);
    const auto index = dir / "resources.json";
    std::ifstream in(index, std::ios::binary);
    if (!in) throw IoError(fmt::format("cannot read '{}'; rebuild the bundle", index.string()));
    std::stringstream ss;
    ss << in.rdbuf();
    const auto doc = nlohmann::json::parse(ss.str(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("resources"))
        throw FormatError(fmt::format("'{}' is not a routing index; rebuild the bundle", index.string()));
    try {
        for (const auto& jr : doc.at("resources")) {
            ResourceInfo info;
            info.id = jr.at("id").get<std::string>();
            info.title = jr.value("title", info.id);
            info.description = jr.value("description", "");
            info.version = jr.value("version", "");
            info.format = jr.value("format", "osm") == "bdtopo" ? SourceFormat::bdtopo : SourceFormat::osm;
            info.crs = jr.value("crs", std::vector<std::string>{"EPSG:4326"});
            const auto b = jr.value("bbox", std::vector<double>{});
            if (b.size() == 4) info.bbox = BBox::of(b[0], b[1], b[2], b[3]);
            detail::LoadedResource lr;
            for (const auto& jp : jr.at("profiles")) {
                ProfileInfo pinfo;
                pinfo.name = jp.at("name").get<std::string>();
                auto lp = std::make_unique<detail::LoadedProfile>();
                lp->name = pinfo.name;
                lp->graph_file = detail::SectionReader(dir / info.id / (pinfo.name + ".graph"), detail::graph_magic,
                                                       detail::graph_format_version, options.verify_checksums);
                lp->graph = detail::graph_view(lp->graph_file);
                const auto gp = lp->graph_file.get<double>(detail::graph_section::grid_params);
                if (gp.size() != 6) throw FormatError("bad grid");
                lp->grid = {gp[0], gp[1], gp[2], gp[3], gp[4], gp[5]};
                lp->grid_first = lp->graph_file.get<std::uint32_t>(detail::graph_section::grid_first);
                lp->grid_items = lp->graph_file.get<std::uint32_t>(detail::graph_section::grid_items);
                if (lp->grid_first.size() != static_cast<std::size_t>(gp[4] * gp[5]) + 1 ||
                    lp->grid_first.back() * std::size_t{2} != lp->grid_items.size())
                    throw FormatError(fmt::format("'{}': bad spatial grid; rebuild the bundle",
                                                  lp->graph_file.path().string()));
                for (const auto& jo : jp.at("optimizations")) {
                    const auto o = parse_optimization(jo.get<std::string>());
                    if (!o) throw FormatError("unknown optimization");
                    const auto k = static_cast<std::size_t>(*o);
                    lp->ch_files[k] = detail::SectionReader(
                        dir / info.id / fmt::format("{}-{}.ch", pinfo.name, to_string(*o)), detail::ch_magic,
                        detail::ch_format_version, options.verify_checksums);
                    lp->ch[k] = detail::ch_view(lp->ch_files[k], lp->graph);
                    lp->ch[k].optimization = *o;
                    lp->has_ch[k] = true;
                    pinfo.optimizations.push_back(*o);
                }
                detail::load_constraint_sets(jp, dir / info.id, *lp, pinfo, options.verify_checksums);
                if (jp.contains("report")) pinfo.report = report_from_json(jp["report"], info.id, pinfo.name);
                info.profiles.push_back(std::move(pinfo));
                lr.profiles.push_back(std::move(lp));
            }
            impl->infos.push_back(std::move(info));
            impl->loaded.push_back(std::move(lr));
        }
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(fmt::format("'{}' is malformed ({}); rebuild the bundle", index.string(), e.what()));
    }
    return Router(std::move(impl));
}

const std::vector<ResourceInfo>& Router::resources() const noexcept { return m_impl->infos; }

const ResourceInfo* Router::find(std::string_view resource) const noexcept {
    for (const auto& r : m_impl->infos)
        if (r.id == resource) return &r;
    return nullptr;
}

const Graph& Router::graph(std::string_view resource, std::string_view profile) const {
    return m_impl->profile(resource, profile).graph;
}

const ContractionHierarchy& Router::ch(std::string_view resource, std::string_view profile,
                                       Optimization optimization) const {
    const auto& p = m_impl->profile(resource, profile);
    const auto k = static_cast<std::size_t>(optimization);
    if (!p.has_ch[k])
        throw Error(errc::not_found, fmt::format("routing resource '{}', profile '{}' has no '{}' optimization",
                                                 resource, profile, to_string(optimization)));
    return p.ch[k];
}

ConstraintSetStats Router::constraint_set_stats() const { return m_impl->adaptive_sets->stats(); }

void Router::wait_for_pending() const { m_impl->adaptive_sets->wait_for_pending(); }

std::string_view to_string(RouteEngine e) noexcept {
    switch (e) {
        case RouteEngine::ch: return "ch";
        case RouteEngine::declared_set: return "declared_set";
        case RouteEngine::adaptive_set: return "adaptive_set";
        case RouteEngine::ch_verified: return "ch_verified";
        case RouteEngine::astar: return "astar";
        case RouteEngine::direct: return "direct";
    }
    return "?";
}

}  // namespace geoplex::routing
