// Routes and isochrones from C++: open a bundle, route across its road network, then draw
// 5- and 10-minute isochrones around the start, all from one search.
//   routing_isochrone BUNDLE_DIR

#include <cstdio>
#include <exception>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/isochrone/isochrone.hpp"
#include "geoplex/routing/routing.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s BUNDLE_DIR\n", argv[0]);
        return 2;
    }
    try {
        const auto engine = geoplex::bundle::Engine::open(argv[1]);
        const auto& router = engine.routing();               // throws when the bundle has no routing
        const auto& resource = router.resources().front();
        const auto& box = resource.bbox;
        const geoplex::LonLat a{box.min_x + 0.3 * (box.max_x - box.min_x), box.min_y + 0.3 * (box.max_y - box.min_y)};
        const geoplex::LonLat b{box.min_x + 0.7 * (box.max_x - box.min_x), box.min_y + 0.6 * (box.max_y - box.min_y)};

        geoplex::routing::Query query(router);               // one per thread, reusable
        geoplex::routing::RouteRequest rq;
        rq.resource = resource.id;
        rq.profile = "car";
        rq.points = {a, b};
        const auto route = query.route(rq);
        if (route.status != geoplex::routing::RouteStatus::ok) {
            std::fprintf(stderr, "no route: %s\n", route.message.c_str());
            return 1;
        }
        std::printf("route %s: %.0f m, %.0f s, %zu points, %zu steps\n", resource.id.c_str(), route.distance_m,
                    route.duration_s, route.geometry.size(), route.legs.front().steps.size());

        geoplex::isochrone::Isochrones isochrones(router);   // one per thread, reusable
        geoplex::isochrone::IsochroneRequest iq;
        iq.resource = resource.id;
        iq.point = a;
        iq.budgets = {300.0, 600.0};                         // seconds
        const auto result = isochrones.compute(iq);
        if (result.status != geoplex::isochrone::IsochroneStatus::ok) {
            std::fprintf(stderr, "no isochrone: %s\n", result.message.c_str());
            return 1;
        }
        for (const auto& c : result.contours)
            std::printf("isochrone %.0f s: %zu polygon(s)\n", c.budget, c.geometry.size());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
