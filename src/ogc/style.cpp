// Colours and the vector style format (this struct's fields or a MapLibre paint object).

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"
#include "geoplex/ogc/ogc.hpp"

namespace geoplex::ogc {

namespace {

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<Rgba> parse_color(std::string_view s) {
    std::string c(s);
    c.erase(std::remove_if(c.begin(), c.end(), [](char ch) { return std::isspace(static_cast<unsigned char>(ch)); }), c.end());
    for (auto& ch : c) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (c.starts_with("0x")) c = "#" + c.substr(2);  // WMS BGCOLOR=0xRRGGBB
    if (c.starts_with("#")) {
        const std::string h = c.substr(1);
        if (std::any_of(h.begin(), h.end(), [](char ch) { return hex(ch) < 0; })) return std::nullopt;
        if (h.size() == 3) return Rgba{static_cast<std::uint8_t>(hex(h[0]) * 17), static_cast<std::uint8_t>(hex(h[1]) * 17),
                                       static_cast<std::uint8_t>(hex(h[2]) * 17), 255};
        if (h.size() == 6 || h.size() == 8) {
            auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(hex(h[i]) * 16 + hex(h[i + 1])); };
            return Rgba{byte(0), byte(2), byte(4), h.size() == 8 ? byte(6) : std::uint8_t{255}};
        }
        return std::nullopt;
    }
    if (c.starts_with("rgb(") || c.starts_with("rgba(")) {
        const auto open = c.find('(');
        if (c.back() != ')') return std::nullopt;
        std::vector<double> v;
        std::string_view rest(c.data() + open + 1, c.size() - open - 2);
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const std::string_view part = rest.substr(0, comma);
            double d = 0;
            const auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), d);
            if (ec != std::errc() || p != part.data() + part.size()) return std::nullopt;
            v.push_back(d);
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
        if (v.size() != (c.starts_with("rgba(") ? 4U : 3U)) return std::nullopt;
        auto ch = [](double d) { return static_cast<std::uint8_t>(std::clamp(std::lround(d), 0L, 255L)); };
        return Rgba{ch(v[0]), ch(v[1]), ch(v[2]), v.size() == 4 ? ch(v[3] * 255) : std::uint8_t{255}};
    }
    static const std::pair<std::string_view, Rgba> names[] = {
        {"black", {0, 0, 0, 255}},       {"white", {255, 255, 255, 255}}, {"red", {255, 0, 0, 255}},
        {"green", {0, 128, 0, 255}},     {"blue", {0, 0, 255, 255}},      {"yellow", {255, 255, 0, 255}},
        {"orange", {255, 165, 0, 255}},  {"gray", {128, 128, 128, 255}},  {"grey", {128, 128, 128, 255}},
        {"navy", {0, 0, 128, 255}},      {"purple", {128, 0, 128, 255}},  {"transparent", {0, 0, 0, 0}}};
    for (const auto& [n, rgba] : names)
        if (c == n) return rgba;
    return std::nullopt;
}

VectorStyle VectorStyle::from_json(std::string_view text) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw InvalidArgument("style: not a JSON object");
    VectorStyle s;
    std::vector<std::string> problems;
    auto color = [&](const char* key, Rgba& out) {
        if (!j.contains(key)) return;
        if (!j[key].is_string()) { problems.push_back(fmt::format("style.{}: a colour string (expressions are not supported)", key)); return; }
        if (auto c = parse_color(j[key].get<std::string>())) out = *c;
        else problems.push_back(fmt::format("style.{}: '{}' is not a colour", key, j[key].get<std::string>()));
    };
    auto number = [&](const char* key, double& out, double lo, double hi) {
        if (!j.contains(key)) return;
        if (!j[key].is_number() || !(j[key].get<double>() >= lo && j[key].get<double>() <= hi)) {
            problems.push_back(fmt::format("style.{}: a number in {}..{}", key, lo, hi));
            return;
        }
        out = j[key].get<double>();
    };
    if (j.contains("name") && j["name"].is_string()) s.name = j["name"];
    if (j.contains("title") && j["title"].is_string()) s.title = j["title"];
    color("fill", s.fill);
    color("fill-color", s.fill);
    number("fill_opacity", s.fill_opacity, 0, 1);
    number("fill-opacity", s.fill_opacity, 0, 1);
    color("stroke", s.stroke);
    color("fill-outline-color", s.stroke);
    color("line-color", s.stroke);
    number("stroke_width", s.stroke_width, 0, 100);
    number("line-width", s.stroke_width, 0, 100);
    number("stroke_opacity", s.stroke_opacity, 0, 1);
    number("line-opacity", s.stroke_opacity, 0, 1);
    color("point", s.point);
    color("circle-color", s.point);
    number("point_radius", s.point_radius, 0, 100);
    number("circle-radius", s.point_radius, 0, 100);
    number("opacity", s.opacity, 0, 1);
    number("circle-opacity", s.opacity, 0, 1);
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    return s;
}

}  // namespace geoplex::ogc
