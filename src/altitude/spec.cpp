#include "altitude/spec.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/spec_reader.hpp"
#include "geoplex/core/error.hpp"

namespace geoplex::altitude::detail {

namespace {

struct Reader : core::detail::SpecReader {
    template <class T>
    T number(const toml::table& t, const std::string& where, std::string_view key, T fallback, const char* what) {
        const auto* node = t.get(key);
        if (node == nullptr) return fallback;
        if constexpr (std::is_integral_v<T>) {
            if (const auto* v = node->as_integer()) return static_cast<T>(v->get());
        } else {
            if (const auto* v = node->as_floating_point()) return static_cast<T>(v->get());
            if (const auto* v = node->as_integer()) return static_cast<T>(v->get());
        }
        problems.push_back(fmt::format("{}.{}: must be {}", where, key, what));
        return fallback;
    }
};

}  // namespace

BuildConfig config_from_toml(const toml::table& section, const std::filesystem::path& spec_dir) {
    std::vector<std::string> problems;
    Reader rd{problems};
    BuildConfig cfg;
    rd.check_keys(section, "altitude", {"resources"});
    const auto* resources = section.get_as<toml::array>("resources");
    if (resources == nullptr) {
        problems.emplace_back(section.contains("resources")
                                  ? "altitude.resources: must be an array of tables ([[altitude.resources]])"
                                  : "altitude.resources: missing; add at least one [[altitude.resources]]");
    } else {
        for (std::size_t i = 0; i < resources->size(); ++i) {
            const std::string where = fmt::format("altitude.resources[{}]", i);
            const toml::node* rn = resources->get(i);
            const auto* rt = rn != nullptr ? rn->as_table() : nullptr;
            if (rt == nullptr) {
                problems.push_back(where + ": must be a table");
                continue;
            }
            rd.check_keys(*rt, where, {"id", "title", "description", "keywords", "nodata", "sources"});
            ResourceConfig r;
            r.id = rd.string(*rt, where, "id", true);
            r.title = rd.string(*rt, where, "title", true);
            r.description = rd.string(*rt, where, "description", false);
            r.nodata = rd.number<double>(*rt, where, "nodata", default_nodata, "a number");
            if (const auto* kw = rt->get("keywords")) {
                const auto* arr = kw->as_array();
                bool ok = arr != nullptr;
                if (arr != nullptr)
                    for (const auto& k : *arr) {
                        if (const auto v = k.value<std::string>()) r.keywords.push_back(*v);
                        else ok = false;
                    }
                if (!ok) problems.push_back(where + ".keywords: must be an array of strings");
            }
            const auto* sources = rt->get_as<toml::array>("sources");
            if (sources == nullptr) {
                problems.push_back(where + ".sources: missing; add at least one [[altitude.resources.sources]]");
            } else {
                for (std::size_t j = 0; j < sources->size(); ++j) {
                    const std::string sw = fmt::format("{}.sources[{}]", where, j);
                    const toml::node* sn = sources->get(j);
                    const auto* st = sn != nullptr ? sn->as_table() : nullptr;
                    if (st == nullptr) {
                        problems.push_back(sw + ": must be a table");
                        continue;
                    }
                    rd.check_keys(*st, sw, {"name", "path", "crs", "priority", "storage", "title", "accuracy", "band"});
                    SourceConfig s;
                    s.name = rd.string(*st, sw, "name", true);
                    const std::string path = rd.string(*st, sw, "path", true);
                    if (!path.empty()) {
                        std::filesystem::path p(path);
                        s.path = p.is_absolute() ? p : (spec_dir / p).lexically_normal();
                    }
                    s.crs = rd.string(*st, sw, "crs", false);
                    s.priority = rd.number<int>(*st, sw, "priority", 0, "an integer");
                    s.band = rd.number<int>(*st, sw, "band", 1, "an integer");
                    s.title = rd.string(*st, sw, "title", false, s.name);
                    s.accuracy = rd.string(*st, sw, "accuracy", false, std::string(default_accuracy));
                    const std::string storage = rd.string(*st, sw, "storage", false, "embed");
                    if (storage == "embed") s.storage = Storage::embed;
                    else if (storage == "reference") s.storage = Storage::reference;
                    else problems.push_back(fmt::format("{}.storage: '{}' is not one of embed, reference", sw, storage));
                    r.sources.push_back(std::move(s));
                }
            }
            cfg.resources.push_back(std::move(r));
        }
    }
    if (resources != nullptr)
        for (auto& p : cfg.validate()) problems.push_back("altitude." + p);
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    return cfg;
}

}  // namespace geoplex::altitude::detail
