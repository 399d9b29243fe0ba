#include "geocoder/spec.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "geoplex/core/error.hpp"

namespace geoplex::geocoder::detail {

namespace {

void check_keys(const toml::table& t, const std::string& where, std::initializer_list<std::string_view> known,
                std::vector<std::string>& problems) {
    for (const auto& [key, value] : t) {
        if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
            std::string list;
            for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
            problems.push_back(fmt::format("{}: unknown key '{}' (known: {})", where, key.str(), list));
        }
    }
}

}  // namespace

BuildConfig config_from_toml(const toml::table& section, const std::filesystem::path& spec_dir) {
    std::vector<std::string> problems;
    BuildConfig cfg;
    check_keys(section, "geocoder", {"sources", "grid_cell_deg"}, problems);
    if (const auto* g = section.get("grid_cell_deg")) {
        if (const auto* v = g->as_floating_point()) cfg.grid_cell_deg = v->get();
        else problems.emplace_back("geocoder.grid_cell_deg: must be a number (degrees)");
    }
    const auto* sources = section.get_as<toml::array>("sources");
    if (sources == nullptr) {
        problems.emplace_back(section.contains("sources")
                                  ? "geocoder.sources: must be an array of tables ([[geocoder.sources]])"
                                  : "geocoder.sources: missing; add at least one [[geocoder.sources]]");
    } else {
        for (std::size_t i = 0; i < sources->size(); ++i) {
            const std::string where = fmt::format("geocoder.sources[{}]", i);
            const toml::node* n = sources->get(i);
            const auto* t = n != nullptr ? n->as_table() : nullptr;
            if (t == nullptr) {
                problems.push_back(where + ": must be a table");
                continue;
            }
            check_keys(*t, where, {"format", "path", "layer", "name_field", "category_field", "id_field", "citycode_field",
                                   "postcode_field", "sheet_field"}, problems);
            SourceConfig s;
            const auto format = (*t)["format"].value<std::string>();
            constexpr const char* formats = "ban-csv, addok-ndjson, osm, osm-poi, gdal-poi, gdal-parcel";
            if (!format) problems.push_back(fmt::format("{}.format: missing (one of {})", where, formats));
            else if (*format == "ban-csv") s.format = SourceFormat::ban_csv;
            else if (*format == "addok-ndjson") s.format = SourceFormat::addok_ndjson;
            else if (*format == "osm") s.format = SourceFormat::osm;
            else if (*format == "osm-poi") s.format = SourceFormat::osm_poi;
            else if (*format == "gdal-poi") s.format = SourceFormat::gdal_poi;
            else if (*format == "gdal-parcel") s.format = SourceFormat::gdal_parcel;
            else problems.push_back(fmt::format("{}.format: '{}' is not one of {}", where, *format, formats));
            for (const auto& [key, field] : {std::pair{"layer", &s.layer}, {"name_field", &s.name_field},
                                             {"category_field", &s.category_field}, {"id_field", &s.id_field},
                                             {"citycode_field", &s.citycode_field}, {"postcode_field", &s.postcode_field},
                                             {"sheet_field", &s.sheet_field}}) {
                if (!t->contains(key)) continue;
                const auto v = (*t)[key].value<std::string>();
                if (!v || v->empty()) problems.push_back(fmt::format("{}.{}: must be a non-empty string", where, key));
                else *field = *v;
            }
            const auto path = (*t)["path"].value<std::string>();
            if (!path || path->empty()) {
                problems.push_back(where + ".path: missing (a string)");
            } else {
                std::filesystem::path p(*path);
                s.path = p.is_absolute() ? p : (spec_dir / p).lexically_normal();
            }
            cfg.sources.push_back(std::move(s));
        }
        if (problems.empty())
            for (auto& p : cfg.validate()) problems.push_back("geocoder." + p);
    }
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    return cfg;
}

}  // namespace geoplex::geocoder::detail
