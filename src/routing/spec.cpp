#include "routing/spec.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "routing/ch_recontract.hpp"

namespace geoplex::routing::detail {

namespace {

std::vector<std::string> string_list(const toml::table& t, std::string_view key, const std::string& where,
                                     std::vector<std::string>& problems, bool& present) {
    std::vector<std::string> out;
    present = false;
    const auto* node = t.get(key);
    if (node == nullptr) return out;
    present = true;
    const auto* arr = node->as_array();
    bool ok = arr != nullptr;
    if (arr != nullptr)
        for (const auto& e : *arr) {
            if (const auto v = e.value<std::string>()) out.push_back(*v);
            else ok = false;
        }
    if (!ok) problems.push_back(fmt::format("{}.{}: must be an array of strings", where, key));
    return out;
}

/// [[routing.resources.constraint_sets]] name = "no-tunnel"
///     constraints = [{constraintType = "banned", key = "wayType", operator = "=", value = "tunnel"}]
std::vector<ConstraintSet> constraint_sets_from_toml(const toml::node* node, const std::string& where,
                                                     std::vector<std::string>& problems) {
    std::vector<ConstraintSet> out;
    if (node == nullptr) return out;
    const auto* arr = node->as_array();
    if (arr == nullptr) {
        problems.push_back(where + ".constraint_sets: must be an array of tables ([[routing.resources.constraint_sets]])");
        return out;
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string at = fmt::format("{}.constraint_sets[{}]", where, i);
        const toml::node* tn = arr->get(i);
        const auto* t = tn != nullptr ? tn->as_table() : nullptr;
        if (t == nullptr) {
            problems.push_back(at + ": must be a table {name, constraints}");
            continue;
        }
        ConstraintSet cs;
        for (const auto& [key, value] : *t)
            if (key.str() != "name" && key.str() != "constraints")
                problems.push_back(fmt::format("{}: unknown key '{}' (known: name, constraints)", at, key.str()));
        if (const auto name = t->get_as<std::string>("name")) cs.name = name->get();
        else problems.push_back(at + ".name: missing or not a string");
        const auto* list = t->get_as<toml::array>("constraints");
        if (list == nullptr) problems.push_back(at + ".constraints: missing or not an array of tables");
        for (std::size_t k = 0; list != nullptr && k < list->size(); ++k) {
            // The Road2 object as JSON, then the request parser's rules.
            nlohmann::json j = nlohmann::json::object();
            const toml::node* cn = list->get(k);
            if (const auto* ct = cn != nullptr ? cn->as_table() : nullptr) {
                for (const auto& [key, value] : *ct) {
                    if (const auto v = value.value_exact<std::string>()) j[std::string(key.str())] = *v;
                    else if (const auto n = value.value<double>()) j[std::string(key.str())] = *n;
                    else j[std::string(key.str())] = nullptr;
                }
            } else {
                j = nullptr;
            }
            cs.constraints.push_back(constraint_from_json(j, fmt::format("{}.constraints[{}]", at, k), problems));
        }
        out.push_back(std::move(cs));
    }
    return out;
}

}  // namespace

BuildConfig config_from_toml(const toml::table& section, const std::filesystem::path& spec_dir) {
    std::vector<std::string> problems;
    BuildConfig cfg;
    for (const auto& [key, value] : section)
        if (key.str() != "resources")
            problems.push_back(fmt::format("routing: unknown key '{}' (known: resources)", key.str()));
    const auto* resources = section.get_as<toml::array>("resources");
    if (resources == nullptr) {
        problems.emplace_back("routing.resources: missing; add at least one [[routing.resources]]");
        throw InvalidArgument(std::move(problems));
    }
    static constexpr std::string_view known[] = {"id", "title", "description", "version", "format", "path",
                                                 "profiles", "optimizations", "crs", "bdtopo_layer",
                                                 "bdtopo_restrictions_layer", "constraint_sets"};
    for (std::size_t i = 0; i < resources->size(); ++i) {
        const std::string where = fmt::format("routing.resources[{}]", i);
        const toml::node* rn = resources->get(i);
        const auto* rt = rn != nullptr ? rn->as_table() : nullptr;
        if (rt == nullptr) {
            problems.push_back(where + ": must be a table");
            continue;
        }
        for (const auto& [key, value] : *rt)
            if (std::find(std::begin(known), std::end(known), key.str()) == std::end(known))
                problems.push_back(fmt::format("{}: unknown key '{}'", where, key.str()));
        auto str = [&](std::string_view key, std::string fallback) {
            const auto* node = rt->get(key);
            if (node == nullptr) return fallback;
            if (const auto v = node->value<std::string>()) return *v;
            problems.push_back(fmt::format("{}.{}: must be a string", where, key));
            return fallback;
        };
        ResourceConfig r;
        r.id = str("id", "");
        r.title = str("title", r.id);
        r.description = str("description", "");
        r.version = str("version", "");
        const std::string format = str("format", "osm");
        if (format == "osm") r.format = SourceFormat::osm;
        else if (format == "bdtopo") r.format = SourceFormat::bdtopo;
        else problems.push_back(fmt::format("{}.format: '{}' is not one of osm, bdtopo", where, format));
        const std::string path = str("path", "");
        if (!path.empty()) {
            const std::filesystem::path p(path);
            r.path = p.is_absolute() ? p : (spec_dir / p).lexically_normal();
        }
        r.bdtopo_layer = str("bdtopo_layer", r.bdtopo_layer);
        r.bdtopo_restrictions_layer = str("bdtopo_restrictions_layer", r.bdtopo_restrictions_layer);
        bool present = false;
        auto profiles = string_list(*rt, "profiles", where, problems, present);
        if (!present) profiles = {"car", "pedestrian"};
        for (const auto& p : profiles) {
            try {
                if (p == "car" || p == "pedestrian") {
                    r.profiles.push_back(Profile::builtin(p));
                } else {
                    const std::filesystem::path pp(p);
                    r.profiles.push_back(Profile::from_file(pp.is_absolute() ? pp : (spec_dir / pp).lexically_normal()));
                }
            } catch (const InvalidArgument& e) {
                for (const auto& m : e.problems()) problems.push_back(fmt::format("{}.profiles: {}", where, m));
            } catch (const Error& e) {
                problems.push_back(fmt::format("{}.profiles: {}", where, e.what()));
            }
        }
        auto opts = string_list(*rt, "optimizations", where, problems, present);
        if (present) {
            r.optimizations.clear();
            for (const auto& o : opts) {
                if (const auto v = parse_optimization(o)) r.optimizations.push_back(*v);
                else problems.push_back(fmt::format("{}.optimizations: '{}' is not one of fastest, shortest", where, o));
            }
        }
        auto crs = string_list(*rt, "crs", where, problems, present);
        if (present) {
            r.crs = crs;
            if (std::find(r.crs.begin(), r.crs.end(), "EPSG:4326") == r.crs.end()) r.crs.insert(r.crs.begin(), "EPSG:4326");
        }
        r.constraint_sets = constraint_sets_from_toml(rt->get("constraint_sets"), where, problems);
        if (r.profiles.size() == profiles.size())
            for (auto& p : r.validate()) problems.push_back(fmt::format("{}.{}", where, p));
        cfg.resources.push_back(std::move(r));
    }
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    return cfg;
}

}  // namespace geoplex::routing::detail
