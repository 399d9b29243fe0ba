// Transport-neutral server costs: request-target parsing, routing, error bodies, OpenAPI.
// (Socket throughput is measured with wrk by benchmarks/peers/http_wrk.sh.)

#include <filesystem>
#include <fstream>
#include <random>

#include <benchmark/benchmark.h>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/server/router.hpp"
#include "geoplex/server/server.hpp"

namespace {

using namespace geoplex;
using namespace geoplex::server;

const bundle::Engine& engine() {
    static const bundle::Engine e = [] {
        const auto dir = std::filesystem::temp_directory_path() / ("geoplex-server-bench-" + std::to_string(std::random_device{}()));
        std::filesystem::create_directories(dir);
        std::ofstream(dir / "manifest.toml") << "name = \"bench\"\nformat_version = 1\ncomponents = []\n";
        return bundle::Engine::open(dir);
    }();
    return e;
}

Router router() {
    ServerConfig config;
    return make_default_router(config, engine(), [](Router& r) {
        const Handler ok = [](const Request&, const bundle::Engine&) { return Response::json("{}"); };
        for (const char* p : {"/navigation/itineraire", "/navigation/isochrone", "/navigation/getcapabilities",
                              "/geocodage/search", "/geocodage/reverse", "/geocodage/completion",
                              "/altimetrie/1.0/calcul/alti/rest/elevation.json",
                              "/altimetrie/1.0/calcul/alti/rest/elevationLine.json", "/altimetrie/resources",
                              "/altimetrie/resources/{id}", "/tms/1.0.0/{layer}/{z}/{x}/{file}", "/wmts"}) {
            r.add(Router::Route{{"GET"}, p, ok, ErrorStyle::plain, {}});
        }
    });
}

void BM_parse_target(benchmark::State& state) {
    const std::string target =
        "/altimetrie/1.0/calcul/alti/rest/elevation.json?lon=1.48%7C1.49%7C1.50&lat=43.54%7C43.55%7C43.56"
        "&resource=ign_rge_alti_wld&zonly=false&indent=false";
    for (auto _ : state) benchmark::DoNotOptimize(parse_target(target));
}
BENCHMARK(BM_parse_target);

void BM_route_health(benchmark::State& state) {
    const Router r = router();
    for (auto _ : state) {
        Request req;
        req.method = "GET";
        req.path = "/health";
        benchmark::DoNotOptimize(r.handle(req, engine()));
    }
}
BENCHMARK(BM_route_health);

void BM_route_tile_capture(benchmark::State& state) {
    const Router r = router();
    for (auto _ : state) {
        Request req;
        req.method = "GET";
        req.path = "/tms/1.0.0/PLAN.IGN/14/8300/5630.pbf";
        benchmark::DoNotOptimize(r.handle(req, engine()));
    }
}
BENCHMARK(BM_route_tile_capture);

void BM_error_response_invalid_argument(benchmark::State& state) {
    for (auto _ : state) {
        const auto e = std::make_exception_ptr(InvalidArgument(std::vector<std::string>{"lon is missing", "lat is missing"}));
        benchmark::DoNotOptimize(error_response(e, ErrorStyle::geocoder));
    }
}
BENCHMARK(BM_error_response_invalid_argument);

void BM_openapi_json(benchmark::State& state) {
    const Router r = router();
    for (auto _ : state) benchmark::DoNotOptimize(r.openapi_json("geoplex", "0"));
}
BENCHMARK(BM_openapi_json);

}  // namespace

BENCHMARK_MAIN();
