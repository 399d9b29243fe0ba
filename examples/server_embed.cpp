// Mounting geoplex's HTTP handlers in your own program: no socket, no Beast — build the router,
// hand it requests, get responses. A portal does the same from its own HTTP framework.
//   server_embed BUNDLE_DIR

#include <cstdio>
#include <exception>

#include "geoplex/altitude/altitude.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/server/server.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s BUNDLE_DIR\n", argv[0]);
        return 2;
    }
    try {
        const auto engine = geoplex::bundle::Engine::open(argv[1]);
        const auto router = geoplex::server::make_default_router(geoplex::server::ServerConfig{}, engine);

        geoplex::server::Request health;
        health.method = "GET";
        health.path = "/health";
        auto response = router.handle(health, engine);
        std::printf("GET /health -> %d %s\n", response.status, response.body.c_str());

        if (engine.has_altitude() && !engine.altitude().resources().empty()) {
            const auto& r = engine.altitude().resources().front();
            geoplex::server::Request req;
            req.method = "GET";
            req.path = "/altimetrie/1.0/calcul/alti/rest/elevation.json";
            const double lon = (r.extent.min_x + r.extent.max_x) / 2, lat = (r.extent.min_y + r.extent.max_y) / 2;
            req.query = {{"lon", std::to_string(lon)}, {"lat", std::to_string(lat)}, {"resource", r.id}, {"zonly", "true"}};
            response = router.handle(req, engine);
            std::printf("GET %s -> %d %s\n", req.path.c_str(), response.status, response.body.c_str());
            if (response.status != 200) return 1;
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
