#pragma once
// Private, header-only: reading a component's section of a bundle spec (TOML) while collecting
// every problem instead of stopping at the first. Components derive their own readers from it.

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace geoplex::core::detail {

struct SpecReader {
    std::vector<std::string>& problems;

    /// Reports every key of `t` that is not in `known`, listing the known ones.
    void check_keys(const toml::table& t, const std::string& where, std::initializer_list<std::string_view> known) {
        for (const auto& [key, value] : t) {
            if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
                std::string list;
                for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
                problems.push_back(fmt::format("{}: unknown key '{}' (known: {})", where, key.str(), list));
            }
        }
    }

    /// A string value; `fallback` when absent (a problem when `required`) or not a string.
    std::string string(const toml::table& t, const std::string& where, std::string_view key, bool required,
                       std::string fallback = {}) {
        const auto* node = t.get(key);
        if (node == nullptr) {
            if (required) problems.push_back(fmt::format("{}.{}: missing (a string)", where, key));
            return fallback;
        }
        if (const auto v = node->value<std::string>()) return *v;
        problems.push_back(fmt::format("{}.{}: must be a string", where, key));
        return fallback;
    }

    /// An array of strings (empty when absent).
    std::vector<std::string> strings(const toml::table& t, const std::string& where, std::string_view key) {
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
        if (!ok) problems.push_back(fmt::format("{}.{}: must be an array of strings", where, key));
        return out;
    }
};

}  // namespace geoplex::core::detail
