// Routing profiles as data: the TOML format (profiles/*.toml) and the embedded defaults.

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "geoplex/core/error.hpp"
#include "geoplex/routing/routing.hpp"
#include "routing/builtin_profiles.hpp"

namespace geoplex::routing {

namespace {

struct Reader {
    std::vector<std::string>& problems;
    std::string where;

    void check_keys(const toml::table& t, const std::string& at, std::initializer_list<std::string_view> known) {
        for (const auto& [key, value] : t) {
            if (std::find(known.begin(), known.end(), key.str()) == known.end())
                problems.push_back(fmt::format("{}{}: unknown key '{}'", where, at, key.str()));
        }
    }
    std::string string(const toml::table& t, std::string_view key, std::string fallback, const std::string& at = {}) {
        const auto* node = t.get(key);
        if (node == nullptr) return fallback;
        if (const auto v = node->value<std::string>()) return *v;
        problems.push_back(fmt::format("{}{}{}: must be a string", where, at, key));
        return fallback;
    }
    double number(const toml::table& t, std::string_view key, double fallback, const std::string& at = {}) {
        const auto* node = t.get(key);
        if (node == nullptr) return fallback;
        if (const auto* v = node->as_floating_point()) return v->get();
        if (const auto* v = node->as_integer()) return static_cast<double>(v->get());
        problems.push_back(fmt::format("{}{}{}: must be a number", where, at, key));
        return fallback;
    }
    bool boolean(const toml::table& t, std::string_view key, bool fallback, const std::string& at = {}) {
        const auto* node = t.get(key);
        if (node == nullptr) return fallback;
        if (const auto v = node->value<bool>()) return *v;
        problems.push_back(fmt::format("{}{}{}: must be true or false", where, at, key));
        return fallback;
    }
    std::vector<std::string> strings(const toml::table& t, std::string_view key) {
        std::vector<std::string> out;
        const auto* node = t.get(key);
        if (node == nullptr) return out;
        const auto* arr = node->as_array();
        bool ok = arr != nullptr;
        if (arr != nullptr)
            for (const auto& e : *arr) {
                if (const auto v = e.value<std::string>()) out.push_back(*v);
                else ok = false;
            }
        if (!ok) problems.push_back(fmt::format("{}{}: must be an array of strings", where, key));
        return out;
    }
};

}  // namespace

std::vector<std::string> Profile::validate() const {
    std::vector<std::string> p;
    if (name.empty()) p.emplace_back("name: must not be empty");
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-')) {
            p.push_back(fmt::format("name: '{}' may only contain letters, digits, '_' and '-'", name));
            break;
        }
    for (const auto& [k, v] : highway_speeds)
        if (!(v > 0.0 && v <= 400.0)) p.push_back(fmt::format("highway_speeds.{}: {} is not in ]0, 400] km/h", k, v));
    if (!(max_speed_kmh > 0.0 && max_speed_kmh <= 400.0)) p.push_back("max_speed_kmh: must be in ]0, 400]");
    if (!(maxspeed_factor >= 0.0 && maxspeed_factor <= 2.0)) p.push_back("maxspeed_factor: must be in [0, 2]");
    if (!(ferry_speed_kmh >= 0.0 && ferry_speed_kmh <= 100.0)) p.push_back("ferry_speed_kmh: must be in [0, 100]");
    if (!(traffic_signal_penalty_s >= 0.0 && traffic_signal_penalty_s <= 600.0))
        p.push_back("traffic_signal_penalty_s: must be in [0, 600]");
    if (!(bdtopo_speed_kmh >= 0.0 && bdtopo_speed_kmh <= 400.0)) p.push_back("bdtopo.speed_kmh: must be in [0, 400]");
    if (highway_speeds.empty()) p.emplace_back("highway_speeds: empty, nothing would be routable");
    return p;
}

Profile Profile::from_toml(std::string_view text, std::string_view origin) {
    toml::table t;
    try {
        t = toml::parse(text, std::string(origin));
    } catch (const toml::parse_error& e) {
        throw InvalidArgument(fmt::format("{}: not valid TOML: {} (line {})", origin, e.description(),
                                          e.source().begin.line));
    }
    std::vector<std::string> problems;
    Reader rd{problems, std::string(origin) + ": "};
    rd.check_keys(t, "", {"name", "access_tags", "access_denied", "oneway_tags", "implied_oneway", "roundabout_oneway",
                          "maxspeed_factor", "max_speed_kmh", "ferry_speed_kmh", "traffic_signal_penalty_s",
                          "turn_restrictions", "restriction_tags", "restriction_exceptions", "highway_speeds", "bdtopo"});
    Profile p;
    p.name = rd.string(t, "name", "");
    p.access_tags = rd.strings(t, "access_tags");
    p.access_denied = rd.strings(t, "access_denied");
    p.oneway_tags = rd.strings(t, "oneway_tags");
    p.implied_oneway = rd.strings(t, "implied_oneway");
    p.roundabout_oneway = rd.boolean(t, "roundabout_oneway", false);
    p.maxspeed_factor = rd.number(t, "maxspeed_factor", 0.0);
    p.max_speed_kmh = rd.number(t, "max_speed_kmh", 130.0);
    p.ferry_speed_kmh = rd.number(t, "ferry_speed_kmh", 0.0);
    p.traffic_signal_penalty_s = rd.number(t, "traffic_signal_penalty_s", 0.0);
    p.turn_restrictions = rd.boolean(t, "turn_restrictions", false);
    p.restriction_tags = rd.strings(t, "restriction_tags");
    p.restriction_exceptions = rd.strings(t, "restriction_exceptions");
    if (const auto* speeds = t.get("highway_speeds")) {
        if (const auto* st = speeds->as_table()) {
            for (const auto& [k, v] : *st) {
                if (const auto d = v.value<double>()) p.highway_speeds.emplace(std::string(k.str()), *d);
                else problems.push_back(fmt::format("{}: highway_speeds.{}: must be a number", origin, k.str()));
            }
        } else {
            problems.push_back(fmt::format("{}: highway_speeds: must be a table", origin));
        }
    }
    if (const auto* bd = t.get("bdtopo")) {
        if (const auto* bt = bd->as_table()) {
            rd.check_keys(*bt, "bdtopo", {"access_field", "speed_field", "speed_kmh", "oneway"});
            p.bdtopo_access_field = rd.string(*bt, "access_field", "", "bdtopo.");
            p.bdtopo_speed_field = rd.string(*bt, "speed_field", "", "bdtopo.");
            p.bdtopo_speed_kmh = rd.number(*bt, "speed_kmh", 0.0, "bdtopo.");
            p.bdtopo_oneway = rd.boolean(*bt, "oneway", true, "bdtopo.");
        } else {
            problems.push_back(fmt::format("{}: bdtopo: must be a table", origin));
        }
    }
    for (auto& e : p.validate()) problems.push_back(fmt::format("{}: {}", origin, e));
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    return p;
}

Profile Profile::from_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(fmt::format("cannot read the routing profile '{}'", path.string()));
    std::ostringstream ss;
    ss << in.rdbuf();
    return from_toml(ss.str(), path.string());
}

std::string_view Profile::builtin_toml(std::string_view name) {
    if (name == "car") return detail::builtin_car_toml;
    if (name == "pedestrian") return detail::builtin_pedestrian_toml;
    throw InvalidArgument(fmt::format("no builtin routing profile '{}' (builtin: car, pedestrian)", name));
}

Profile Profile::builtin(std::string_view name) {
    return from_toml(builtin_toml(name), fmt::format("builtin profile '{}'", name));
}

}  // namespace geoplex::routing
