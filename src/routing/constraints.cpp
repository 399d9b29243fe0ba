// Road2 constraints evaluated per way: shared by routes (query.cpp) and isochrones.

#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "routing/ch_recontract.hpp"
#include "routing/detail.hpp"

namespace geoplex::routing::detail {

namespace {

double number_attr(const nlohmann::json& attrs, const std::string& key, bool& present) {
    present = false;
    const auto it = attrs.find(key);
    if (it == attrs.end() || it->is_null()) return 0;
    if (it->is_number()) {
        present = true;
        return it->get<double>();
    }
    if (it->is_string()) {
        try {
            std::size_t used = 0;
            const double v = std::stod(it->get<std::string>(), &used);
            present = used > 0;
            return v;
        } catch (...) {
            return 0;
        }
    }
    return 0;
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// Constraint values as Road2's pgr resources spell them: "Route à 1 chaussée" and
/// "route_a_1_chaussee" compare equal (lower case, French accents folded, spaces → '_').
std::string normalize_value(const std::string& s) {
    static const std::pair<std::string_view, char> folds[] = {
        {"à", 'a'}, {"â", 'a'}, {"ä", 'a'}, {"é", 'e'}, {"è", 'e'}, {"ê", 'e'}, {"ë", 'e'}, {"î", 'i'}, {"ï", 'i'},
        {"ô", 'o'}, {"ö", 'o'}, {"ù", 'u'}, {"û", 'u'}, {"ü", 'u'}, {"ç", 'c'}, {"À", 'a'}, {"É", 'e'}, {"È", 'e'}};
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        bool folded = false;
        for (const auto& [from, to] : folds)
            if (s.compare(i, from.size(), from) == 0) {
                out.push_back(to);
                i += from.size();
                folded = true;
                break;
            }
        if (folded) continue;
        const char c = s[i++];
        out.push_back(c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

}  // namespace

WayCosts way_costs(const Graph& g, const std::vector<Constraint>& constraints) {
    WayCosts wc;
    if (constraints.empty()) return wc;
    wc.any = true;
    const std::size_t nw = g.way_flags.size();
    wc.factor.assign(nw, 1.0);
    std::vector<std::string> problems;
    std::vector<nlohmann::json> attrs;
    bool attrs_loaded = false;
    for (std::size_t ci = 0; ci < constraints.size(); ++ci) {
        const Constraint& c = constraints[ci];
        const std::string key = lower(c.key);
        std::vector<bool> match(nw, false);
        if (key == "waytype") {
            std::uint16_t bit = 0;
            if (c.value == "autoroute") bit = way_flag::motorway;
            else if (c.value == "tunnel") bit = way_flag::tunnel;
            else if (c.value == "pont") bit = way_flag::bridge;
            if (bit == 0 || (c.op != ConstraintOperator::eq && c.op != ConstraintOperator::ne)) {
                problems.push_back(fmt::format("constraints[{}]: wayType accepts '=' and the values autoroute, tunnel, pont",
                                               ci));
                continue;
            }
            for (std::size_t w = 0; w < nw; ++w) {
                const bool has = (g.way_flags[w] & bit) != 0;
                match[w] = c.op == ConstraintOperator::eq ? has : !has;
            }
        } else {
            if (!attrs_loaded) {
                attrs.resize(nw);
                bool any_attr = false;
                for (std::size_t w = 0; w < nw; ++w) {
                    const auto text = g.string(g.way_attributes[w]);
                    if (text.empty()) continue;
                    attrs[w] = nlohmann::json::parse(text, nullptr, false);
                    any_attr = true;
                }
                attrs_loaded = true;
                if (!any_attr) {
                    problems.push_back(fmt::format("constraints[{}]: key '{}' is not available on this resource", ci, c.key));
                    continue;
                }
            }
            const bool numeric = c.op != ConstraintOperator::eq && c.op != ConstraintOperator::ne;
            if (numeric && !c.number) {
                problems.push_back(fmt::format("constraints[{}]: operator '{}' needs a numeric value", ci, to_string(c.op)));
                continue;
            }
            bool known = false;
            for (std::size_t w = 0; w < nw; ++w) {
                if (!attrs[w].is_object()) continue;
                const auto it = attrs[w].find(key);
                if (it == attrs[w].end()) continue;
                known = true;
                bool m = false;
                if (c.number) {
                    bool present = false;
                    const double v = number_attr(attrs[w], key, present);
                    if (present) {
                        switch (c.op) {
                        case ConstraintOperator::eq: m = v == *c.number; break;
                        case ConstraintOperator::ne: m = v != *c.number; break;
                        case ConstraintOperator::gt: m = v > *c.number; break;
                        case ConstraintOperator::ge: m = v >= *c.number; break;
                        case ConstraintOperator::lt: m = v < *c.number; break;
                        case ConstraintOperator::le: m = v <= *c.number; break;
                        }
                    }
                } else {
                    const std::string v = it->is_string() ? it->get<std::string>() : it->dump();
                    m = c.op == ConstraintOperator::eq ? normalize_value(v) == normalize_value(c.value)
                                                       : normalize_value(v) != normalize_value(c.value);
                }
                match[w] = m;
            }
            if (!known) {
                problems.push_back(fmt::format("constraints[{}]: key '{}' is not available on this resource", ci, c.key));
                continue;
            }
        }
        for (std::size_t w = 0; w < nw; ++w) {
            if (!match[w]) continue;
            switch (c.type) {
            case ConstraintType::banned: wc.factor[w] = 0.0; break;
            case ConstraintType::preferred:
                if (wc.factor[w] > 0) wc.factor[w] *= preferred_factor;
                break;
            case ConstraintType::unpreferred:
                if (wc.factor[w] > 0) wc.factor[w] *= unpreferred_factor;
                break;
            }
        }
    }
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    return wc;
}

nlohmann::ordered_json constraint_to_json(const Constraint& c) {
    nlohmann::ordered_json j;
    j["constraintType"] = std::string(to_string(c.type));
    j["key"] = c.key;
    j["operator"] = std::string(to_string(c.op));
    if (c.number) j["value"] = *c.number;
    else j["value"] = c.value;
    return j;
}

Constraint constraint_from_json(const nlohmann::json& j, const std::string& where, std::vector<std::string>& problems) {
    Constraint c;
    if (!j.is_object()) {
        problems.push_back(fmt::format("{}: must be an object {{constraintType, key, operator, value}}", where));
        return c;
    }
    auto text = [&](const char* key) -> std::string {
        const auto it = j.find(key);
        if (it == j.end() || !it->is_string()) {
            problems.push_back(fmt::format("{}.{}: missing or not a string", where, key));
            return {};
        }
        return it->get<std::string>();
    };
    for (const auto& [key, value] : j.items())
        if (key != "constraintType" && key != "key" && key != "operator" && key != "value")
            problems.push_back(fmt::format("{}: unknown key '{}' (known: constraintType, key, operator, value)", where, key));
    const std::string type = text("constraintType");
    if (type == "banned") c.type = ConstraintType::banned;
    else if (type == "preferred" || type == "prefer") c.type = ConstraintType::preferred;
    else if (type == "unpreferred" || type == "avoid") c.type = ConstraintType::unpreferred;
    else if (!type.empty())
        problems.push_back(fmt::format("{}.constraintType: '{}' is not one of banned, preferred, unpreferred", where, type));
    c.key = text("key");
    if (j.contains("key") && c.key.empty()) problems.push_back(fmt::format("{}.key: empty", where));
    const std::string op = text("operator");
    static const std::pair<std::string_view, ConstraintOperator> ops[] = {
        {"=", ConstraintOperator::eq}, {"!=", ConstraintOperator::ne}, {">", ConstraintOperator::gt},
        {">=", ConstraintOperator::ge}, {"<", ConstraintOperator::lt}, {"<=", ConstraintOperator::le}};
    bool known = op.empty();
    for (const auto& [name, v] : ops)
        if (op == name) {
            c.op = v;
            known = true;
        }
    if (!known) problems.push_back(fmt::format("{}.operator: '{}' is not one of =, !=, >, >=, <, <=", where, op));
    const auto it = j.find("value");
    if (it == j.end()) problems.push_back(fmt::format("{}.value: missing", where));
    else if (it->is_string()) c.value = it->get<std::string>();
    else if (it->is_number()) {
        c.number = it->get<double>();
        c.value = it->dump();
    } else problems.push_back(fmt::format("{}.value: must be a string or a number", where));
    return c;
}

}  // namespace geoplex::routing::detail
