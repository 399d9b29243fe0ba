// Route table: segment matching, 404/405, exception translation and the OpenAPI document.

#include "geoplex/server/router.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/core/error.hpp"

namespace geoplex::server {

namespace {

using json = nlohmann::ordered_json;

bool is_capture(std::string_view segment) {
    return segment.size() >= 3 && segment.front() == '{' && segment.back() == '}';
}

std::string_view capture_name(std::string_view segment) { return segment.substr(1, segment.size() - 2); }

/// "/a/b/" → {"a","b"}; "/" → {}. Inner empty segments ("//") are kept (and match nothing).
std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    if (!path.empty() && path.back() == '/') path.remove_suffix(1);
    if (path.empty()) return out;
    for (;;) {
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

bool path_matches(const std::vector<std::string>& pattern, const std::vector<std::string_view>& path) {
    if (pattern.size() != path.size()) return false;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (is_capture(pattern[i])) {
            if (path[i].empty()) return false;
        } else if (!iequals(pattern[i], path[i])) {
            return false;
        }
    }
    return true;
}

/// True when `a` is strictly more specific than `b` (both matched the same path).
bool more_specific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        const bool ca = is_capture(a[i]);
        const bool cb = is_capture(b[i]);
        if (ca != cb) return !ca;
    }
    return false;
}

bool has_method(const Router::Route& route, std::string_view method) {
    return std::find(route.methods.begin(), route.methods.end(), method) != route.methods.end();
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
    std::string out;
    for (const auto& s : v) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

}  // namespace

void Router::add(Route route) {
    std::vector<std::string> problems;
    if (route.pattern.empty() || route.pattern.front() != '/') {
        problems.push_back(fmt::format("route pattern '{}' must start with '/'", route.pattern));
    }
    if (route.methods.empty()) problems.push_back(fmt::format("route '{}' has no method", route.pattern));
    for (const auto& m : route.methods) {
        const bool ok = !m.empty() && std::all_of(m.begin(), m.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
        if (!ok) problems.push_back(fmt::format("route '{}': method '{}' must be upper-case letters", route.pattern, m));
    }
    if (!route.handler) problems.push_back(fmt::format("route '{}' has no handler", route.pattern));
    std::vector<std::string> segments;
    std::set<std::string, std::less<>> names;
    for (const auto seg : split_path(route.pattern)) {
        const bool has_brace = seg.find_first_of("{}") != std::string_view::npos;
        if (has_brace && !is_capture(seg)) {
            problems.push_back(fmt::format("route '{}': a capture must be a whole segment '{{name}}'", route.pattern));
        } else if (is_capture(seg)) {
            const auto name = capture_name(seg);
            if (name.find_first_of("{}") != std::string_view::npos || !names.emplace(name).second) {
                problems.push_back(fmt::format("route '{}': bad or repeated capture '{}'", route.pattern, seg));
            }
        } else if (seg.empty()) {
            problems.push_back(fmt::format("route '{}' has an empty segment", route.pattern));
        }
        segments.emplace_back(seg);
    }
    if (!route.openapi_operation.empty()) {
        const auto op = json::parse(route.openapi_operation, nullptr, false);
        if (op.is_discarded() || !op.is_object()) {
            problems.push_back(fmt::format("route '{}': openapi_operation is not a JSON object", route.pattern));
        }
    }
    for (std::size_t i = 0; i < m_routes.size(); ++i) {
        if (m_segments[i].size() != segments.size()) continue;
        bool same = true;
        for (std::size_t s = 0; s < segments.size() && same; ++s) {
            same = is_capture(segments[s]) ? is_capture(m_segments[i][s]) : iequals(segments[s], m_segments[i][s]);
        }
        if (!same) continue;
        for (const auto& m : route.methods) {
            if (has_method(m_routes[i], m)) {
                problems.push_back(fmt::format("{} {} is already routed", m, route.pattern));
            }
        }
    }
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    m_routes.push_back(std::move(route));
    m_segments.push_back(std::move(segments));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
    Match result;
    const auto parts = split_path(path);
    std::size_t best = m_routes.size();
    std::size_t best_get = m_routes.size();  // HEAD falls back to GET
    // Sorted, without repeats (a handful of names: a vector beats a std::set on every request).
    std::vector<std::string_view> allowed;
    const auto allow = [&allowed](std::string_view m) {
        const auto at = std::lower_bound(allowed.begin(), allowed.end(), m);
        if (at == allowed.end() || *at != m) allowed.insert(at, m);
    };
    for (std::size_t i = 0; i < m_routes.size(); ++i) {
        if (!path_matches(m_segments[i], parts)) continue;
        const auto& route = m_routes[i];
        for (const auto& m : route.methods) allow(m);
        if (has_method(route, "GET")) allow("HEAD");
        if (has_method(route, method)) {
            if (best == m_routes.size() || more_specific(m_segments[i], m_segments[best])) best = i;
        } else if (method == "HEAD" && has_method(route, "GET")) {
            if (best_get == m_routes.size() || more_specific(m_segments[i], m_segments[best_get])) best_get = i;
        }
    }
    result.allowed.assign(allowed.begin(), allowed.end());
    if (best == m_routes.size()) best = best_get;
    if (best == m_routes.size()) return result;
    result.route = &m_routes[best];
    const auto& pattern = m_segments[best];
    for (std::size_t s = 0; s < pattern.size(); ++s) {
        if (is_capture(pattern[s])) result.path_params.emplace_back(std::string(capture_name(pattern[s])), std::string(parts[s]));
    }
    return result;
}

std::vector<std::string> Router::allowed_methods(std::string_view path) const { return match("", path).allowed; }

ErrorStyle Router::style_for_path(std::string_view path) const {
    const auto parts = split_path(path);
    std::size_t best_len = 0;
    ErrorStyle style = ErrorStyle::plain;
    for (std::size_t i = 0; i < m_routes.size(); ++i) {
        std::size_t n = 0;
        while (n < parts.size() && n < m_segments[i].size() && !is_capture(m_segments[i][n]) &&
               iequals(m_segments[i][n], parts[n])) {
            ++n;
        }
        if (n > best_len) {
            best_len = n;
            style = m_routes[i].style;
        }
    }
    return style == ErrorStyle::completion ? ErrorStyle::geocoder : style;
}

Response Router::not_found(std::string_view path) const {
    const ErrorStyle style = style_for_path(path);
    if (style == ErrorStyle::road2) return Response::json(R"({"error":"Not found"})", 404);
    return format_error(ErrorInfo{404, {}, {}, "Not found", {}}, style);
}

Response Router::handle(Request& request, const bundle::Engine& engine) const {
    Match found;
    try {
        found = match(request.method, request.path);
    } catch (...) {
        return error_response(std::current_exception(), ErrorStyle::plain, m_error_log);
    }
    return dispatch(request, engine, std::move(found));
}

Response Router::dispatch(Request& request, const bundle::Engine& engine, Match found) const {
    ErrorStyle style = ErrorStyle::plain;
    try {
        if (found.allowed.empty()) return not_found(request.path);
        if (found.route == nullptr) {
            style = style_for_path(request.path);
            auto response = format_error(
                ErrorInfo{405, {}, {}, fmt::format("Method {} not allowed", request.method), {}}, style);
            response.status = 405;  // even for the completion style: this is a protocol error
            response.headers.emplace_back("Allow", join(found.allowed, ", "));
            return response;
        }
        style = found.route->style;
        request.path_params = std::move(found.path_params);
        if (request.method == "HEAD" && !has_method(*found.route, "HEAD")) request.method = "GET";
        return found.route->handler(request, engine);
    } catch (...) {
        return error_response(std::current_exception(), style, m_error_log);
    }
}

std::string Router::openapi_json(std::string_view title, std::string_view version) const {
    json doc;
    doc["openapi"] = "3.0.3";
    doc["info"] = json{{"title", std::string(title)}, {"version", std::string(version)}};
    json paths = json::object();
    for (std::size_t i = 0; i < m_routes.size(); ++i) {
        const auto& route = m_routes[i];
        json op = route.openapi_operation.empty() ? json::object()
                                                  : json::parse(route.openapi_operation, nullptr, false);
        if (!op.is_object()) op = json::object();
        if (!op.contains("summary")) op["summary"] = fmt::format("{} {}", join(route.methods, "|"), route.pattern);
        if (!op.contains("responses")) op["responses"] = json{{"200", json{{"description", "OK"}}}};
        // Every {name} capture must be declared as a required path parameter.
        for (const auto& seg : m_segments[i]) {
            if (!is_capture(seg)) continue;
            const std::string name(capture_name(seg));
            bool declared = false;
            if (op.contains("parameters") && op["parameters"].is_array()) {
                for (const auto& p : op["parameters"]) {
                    if (p.is_object() && p.value("in", "") == "path" && p.value("name", "") == name) declared = true;
                }
            }
            if (!declared) {
                op["parameters"].push_back(
                    json{{"name", name}, {"in", "path"}, {"required", true}, {"schema", json{{"type", "string"}}}});
            }
        }
        // OpenAPI path templates use the pattern text itself ("/resources/{id}").
        json& item = paths[route.pattern];
        for (const auto& m : route.methods) {
            std::string lower = m;
            std::transform(lower.begin(), lower.end(), lower.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            static const std::set<std::string, std::less<>> openapi_methods{"get", "put", "post", "delete",
                                                                            "options", "head", "patch", "trace"};
            if (openapi_methods.count(lower) == 0) continue;
            item[lower] = op;
        }
    }
    doc["paths"] = std::move(paths);
    return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace geoplex::server
