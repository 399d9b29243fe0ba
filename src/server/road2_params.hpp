#pragma once
// Road2 "simple" 1.0.0 request conventions shared by the routing and isochrone APIs: parameters
// from a query string or a JSON body, "x,y" points in a resource CRS, units, geometry formats,
// constraints. Failures throw HttpError with Road2's wording (ErrorStyle::road2).

#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "geoplex/core/crs.hpp"
#include "geoplex/core/json_writer.hpp"
#include "geoplex/core/types.hpp"
#include "geoplex/routing/routing.hpp"
#include "geoplex/server/http.hpp"

namespace geoplex::bundle {
class Engine;
}

namespace geoplex::server::road2 {

/// Throws HttpError(status, message).
[[noreturn]] void fail(const std::string& message, int status = 400);
[[nodiscard]] std::string_view trim(std::string_view s);
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);
[[nodiscard]] std::vector<std::string_view> split(std::string_view s, char sep);

/// Request parameters: the query string (GET) or a JSON object (POST). Road2 turns POST arrays
/// into '|'-joined strings (objects as JSON text); so do we.
class Params {
public:
    explicit Params(const Request& req);
    [[nodiscard]] const std::string* get(std::string_view name) const {
        for (const auto& [k, v] : m_values)
            if (k == name) return &v;
        return nullptr;
    }
    /// Present and not empty (Road2 tests `!parameters.x`, so "" counts as missing).
    [[nodiscard]] const std::string* given(std::string_view name) const {
        const std::string* v = get(name);
        return v != nullptr && !v->empty() ? v : nullptr;
    }

private:
    std::vector<std::pair<std::string, std::string>> m_values;
};

/// Road2's point format: "x,y", regex ^-?\d+(\.\d+)?,\s*-?\d+(\.\d+)?$.
[[nodiscard]] bool parse_point(std::string_view s, XY& out);
/// Shared, thread-safe CRS transforms (PROJ objects are pooled inside CrsTransform).
[[nodiscard]] const core::CrsTransform& transform(const std::string& from, const std::string& to);
[[nodiscard]] bool is_wgs84(std::string_view crs);

/// Everything about a resource the handlers need, with Road2's checks and messages.
struct ResourceRef {
    const routing::Router* router = nullptr;
    const routing::ResourceInfo* info = nullptr;
};

/// `resource` present and known, else Road2's 400s.
[[nodiscard]] ResourceRef resolve_resource(const Params& p, const bundle::Engine& engine);
/// `crs` (default EPSG:4326) among the resource's, else "Parameter 'crs' is invalid".
[[nodiscard]] std::string resolve_crs(const Params& p, const routing::ResourceInfo& info);
/// Input point in the request CRS → WGS84; false when malformed or outside the resource.
[[nodiscard]] bool to_wgs84(std::string_view text, const std::string& crs, const routing::ResourceInfo& info,
                            double margin_deg, LonLat& out);
/// WGS84 → output CRS, in place.
void from_wgs84(std::vector<XY>& pts, const std::string& crs);
/// 7 decimals in degrees, 2 in metres.
[[nodiscard]] int decimals_for(const std::string& crs);

enum class GeometryFormat { geojson, polyline, wkt };

void write_line(core::JsonWriter& w, const std::vector<XY>& pts, GeometryFormat f, int decimals);
void write_bbox(core::JsonWriter& w, const std::vector<XY>& pts, int decimals);

struct Units {
    std::string distance = "meter";
    std::string time = "minute";
    void distance_value(core::JsonWriter& w, double m) const {
        if (distance == "kilometer") w.value_fixed(m / 1000.0, 7);
        else w.value_fixed(m, 3);
    }
    void time_value(core::JsonWriter& w, double s) const {
        if (time == "second") w.value_fixed(s, 3);
        else if (time == "minute") w.value_fixed(s / 60.0, 6);
        else if (time == "hour") w.value_fixed(s / 3600.0, 8);
        else {  // standard: "hh:mm:ss"
            const auto total = static_cast<long long>(std::llround(s));
            w.value(fmt::format("{:02}:{:02}:{:02}", total / 3600, (total / 60) % 60, total % 60));
        }
    }
};

[[nodiscard]] bool parse_bool(const std::string& v, bool& out);
/// Road2 constraints: JSON objects joined with '|'. Any problem → "Parameter 'constraints' is invalid".
[[nodiscard]] std::vector<routing::Constraint> parse_constraints(const std::string& text,
                                                                 const routing::ResourceInfo& info, std::size_t max);
/// The request's constraints echoed as Road2 does: [{type, key, operator, value}].
void write_constraints(core::JsonWriter& w, const std::vector<routing::Constraint>& constraints);

}  // namespace geoplex::server::road2
