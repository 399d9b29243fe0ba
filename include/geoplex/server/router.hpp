#pragma once
// Route table: (methods, path pattern) → handler, with the error style of the service family
// and the OpenAPI description of the operation. Patterns are literal segments and {name}
// captures ("/altimetrie/resources/{id}"); a capture may carry a suffix ("{z}.{ext}" is not
// supported; use "{file}" and split in the handler).

#include <string>
#include <string_view>
#include <vector>

#include "geoplex/server/http.hpp"

namespace geoplex::server {

class Router {
public:
    struct Route {
        std::vector<std::string> methods;  ///< e.g. {"GET", "POST"}
        std::string pattern;               ///< e.g. "/altimetrie/1.0/calcul/alti/rest/elevation.json"
        Handler handler;
        ErrorStyle style = ErrorStyle::plain;
        /// OpenAPI 3.0 "operation object" as JSON text ({"summary":…,"parameters":[…],…}); the
        /// same text is used for every method of the route. Empty = undocumented (avoid).
        std::string openapi_operation;
    };

    void add(Route route);
    /// Matches the request (fills request.path_params), calls the handler and turns any
    /// exception into error_response(…, route.style). Unknown path → 404; known path with a
    /// method not listed → 405 with an Allow header. HEAD is served as GET without a body by
    /// the transport; OPTIONS (CORS preflight) is answered by the transport.
    [[nodiscard]] Response handle(Request& request, const bundle::Engine& engine) const;
    [[nodiscard]] const std::vector<Route>& routes() const noexcept { return m_routes; }
    /// The OpenAPI 3.0 document of every route, for /openapi.json.
    [[nodiscard]] std::string openapi_json(std::string_view title, std::string_view version) const;

    // ---- extensions -------------------------------------------------------------------------
    // Matching rules: segments are compared one by one; literal segments match ASCII
    // case-insensitively (as Express, which the Géoplateforme services run on, does); a {name}
    // segment matches any non-empty segment; one trailing '/' is ignored ("/completion/" =
    // "/completion"). When several routes match, the most specific wins (at the first segment
    // where they differ, a literal beats a capture); ties go to the first added.
    // add() throws InvalidArgument for a malformed pattern, an empty method list, an
    // openapi_operation that is not a JSON object, or a (pattern, method) already routed.

    /// Receives the real message of 5xx errors raised by handlers (never sent to clients).
    void set_error_log(ErrorLog log) { m_error_log = std::move(log); }

    struct Match {
        const Route* route = nullptr;  ///< null when no route has this path
        Fields path_params;
        /// Methods the path accepts (HEAD added when GET is there), for Allow; empty = no such path.
        std::vector<std::string> allowed;
    };
    /// Finds the route for (method, path). route is null for an unknown path or method; then
    /// `allowed` tells which (405) — HEAD falls back to a GET route.
    [[nodiscard]] Match match(std::string_view method, std::string_view path) const;
    /// The second half of handle(): answers a request already matched (404/405 when
    /// match.route is null, else the route's handler with exceptions translated). Lets a
    /// transport look at the route (metrics, rate limits) before running it.
    [[nodiscard]] Response dispatch(Request& request, const bundle::Engine& engine, Match match) const;
    /// Methods a path accepts (HEAD added when GET is there); empty when no route has this path.
    [[nodiscard]] std::vector<std::string> allowed_methods(std::string_view path) const;
    /// Error style for a path no route matches: the style of the route sharing the longest
    /// leading literal segments with it (at least one), else plain. completion maps to geocoder
    /// (an unknown path must not answer 200).
    [[nodiscard]] ErrorStyle style_for_path(std::string_view path) const;
    /// The 404 response for a path no route matches (Road2 style: {"error":"Not found"}).
    [[nodiscard]] Response not_found(std::string_view path) const;

private:
    std::vector<Route> m_routes;
    std::vector<std::vector<std::string>> m_segments;  // parallel to m_routes: split patterns
    ErrorLog m_error_log;
};

}  // namespace geoplex::server
