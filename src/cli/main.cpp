// geoplex — command-line entry point: build bundles, generate synthetic territories, serve.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/progress_bar.hpp"
#include "geoplex/altitude/altitude.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/catalog/model.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/server/config.hpp"
#include "geoplex/server/download_api.hpp"
#include "geoplex/server/server.hpp"
#include "geoplex/synth/synth.hpp"
#include "geoplex/version.hpp"

namespace fs = std::filesystem;
using namespace geoplex;
using geoplex::cli::ProgressBar;

namespace {

synth::Config synth_config(const std::string& size, std::uint64_t seed) {
    auto config = synth::Config::from_size(size);
    config.seed = seed;
    return config;
}

struct ServeOptions {
    fs::path config_file;
    std::string host = "0.0.0.0";
    std::uint16_t port = 8080;
    unsigned threads = 2;
    std::string access_log = "-";
    std::size_t max_points = 5000;
    bool verify = false;
    bool rate_limits = false;
    CLI::App* cmd = nullptr;  // to tell options given on the command line from defaults
    [[nodiscard]] bool given(const std::string& name) const { return cmd != nullptr && cmd->count(name) > 0; }
};

void add_serve_options(CLI::App* cmd, ServeOptions& o) {
    o.cmd = cmd;
    cmd->add_option("-c,--config", o.config_file,
                    "Server configuration file (TOML: [server], [server.limits], [server.timeouts], [server.cors], "
                    "[server.gzip], [server.admin], [rate_limits]; see docs/server.md). Options given on the command "
                    "line override it")
        ->check(CLI::ExistingFile);
    cmd->add_option("--host", o.host, "Address to listen on")->capture_default_str();
    cmd->add_option("-p,--port", o.port, "TCP port (0 = any free port)")->capture_default_str();
    cmd->add_option("-t,--threads", o.threads, "Worker threads")->capture_default_str()->check(CLI::Range(1U, 256U));
    cmd->add_option("--access-log", o.access_log, "Access log: '-' for stdout, a file path, or 'off'")->capture_default_str();
    cmd->add_option("--max-points", o.max_points, "Altimetry: most points per request")->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
    cmd->add_flag("--verify", o.verify, "Verify every index file's checksum when opening the bundle");
    cmd->add_flag("--rate-limits", o.rate_limits,
                  "Per-IP rate limits with the Géoplateforme's rates (altimetrie 5/s, navigation 10/s, geocodage "
                  "50/s; 429 + Retry-After); off unless given here or in the config file's [rate_limits]");
    cmd->footer(
        "Operations: GET /metrics (Prometheus), GET /health; SIGHUP or POST /admin/reload (loopback, or "
        "[server.admin] token) reopens the bundle directory without dropping requests; SIGINT/SIGTERM drain "
        "in-flight requests and stop.");
}

int serve(const fs::path& dir, const ServeOptions& o) {
    server::ServeSettings settings;
    settings.server.address = o.host;
    settings.server.port = o.port;
    settings.server.threads = o.threads;
    settings.server.altitude.max_points = o.max_points;
    settings.access_log = o.access_log;
    settings.verify_checksums = o.verify;
    if (!o.config_file.empty()) {
        settings = server::load_serve_settings(o.config_file, settings);
        // the command line wins over the file
        if (o.given("--host")) settings.server.address = o.host;
        if (o.given("--port")) settings.server.port = o.port;
        if (o.given("--threads")) settings.server.threads = o.threads;
        if (o.given("--max-points")) settings.server.altitude.max_points = o.max_points;
        if (o.given("--access-log")) settings.access_log = o.access_log;
        if (o.given("--verify")) settings.verify_checksums = true;
    }
    if (o.rate_limits) settings.server.rate_limits.enabled = true;

    bundle::EngineConfig ec;
    ec.verify_checksums = settings.verify_checksums;
    auto engine = bundle::Engine::open(dir, ec);

    server::ServerConfig config = settings.server;
    // [catalog]: the publishing API under /api/… and the layers it publishes (open and /private).
    std::shared_ptr<catalog::Catalog> published;
    if (settings.catalog.enabled) {
        published = server::open_catalog(settings.catalog);
        config.tiles.layers = server::catalog_layer_provider(published);
        config.ogc.wms_raster_layers = server::catalog_layer_provider(published, catalog::ConfigurationType::wms_raster);
        config.ogc.wms_vector_layers = server::catalog_layer_provider(published, catalog::ConfigurationType::wms_vector);
        config.ogc.wfs_layers = server::catalog_layer_provider(published, catalog::ConfigurationType::wfs);
        server::DownloadApiOptions downloads;
        downloads.layers = server::catalog_layer_provider(published, catalog::ConfigurationType::download);
        config.more_routes = [published, downloads](server::Router& r) {
            server::add_catalog_routes(r, published);
            server::add_download_routes(r, downloads);
        };
    }
    config.handle_signals = true;
    config.reopen_bundle = [dir, ec] { return bundle::Engine::open(dir, ec); };
    std::unique_ptr<std::ofstream> log_file;
    if (settings.access_log == "-") {
        config.access_log_stream = &std::cout;
    } else if (settings.access_log != "off") {
        log_file = std::make_unique<std::ofstream>(settings.access_log, std::ios::app);
        if (!*log_file) throw IoError(fmt::format("cannot open the access log '{}'", settings.access_log));
        config.access_log_stream = log_file.get();
    }
    config.log = [](core::LogLevel level, std::string_view message) {
        const char* prefix = level == core::LogLevel::error ? "error: " : level == core::LogLevel::warning ? "warning: " : "";
        std::cerr << prefix << message << '\n';
    };

    server::Server srv(engine, config);
    srv.start();
    const auto& m = engine.manifest();
    const std::string& host = config.address;
    const std::string shown_host = (host == "0.0.0.0" || host == "::") ? "localhost" : host;
    fmt::print(stderr, "geoplex {} serving bundle '{}' ({}) on http://{}:{}/\n", geoplex::version, m.name,
               m.components.empty() ? std::string("no components") : fmt::format("{}", fmt::join(m.components, ", ")),
               shown_host, srv.port());
    if (config.viewer.enabled && !(config.viewer.dir.empty() ? server::default_viewer_dir() : config.viewer.dir).empty())
        fmt::print(stderr, "  web map: http://{0}:{1}/   endpoints: http://{0}:{1}/services\n", shown_host, srv.port());
    fmt::print(stderr, "  health: http://{0}:{1}/health   API description: http://{0}:{1}/openapi.json\n", shown_host,
               srv.port());
    fmt::print(stderr, "  metrics: {}   rate limits: {}   reload: kill -HUP {}{}\n",
               config.metrics_path.empty() ? std::string("off") : fmt::format("http://{}:{}{}", shown_host, srv.port(), config.metrics_path),
               config.rate_limits.enabled ? "on" : "off", ::getpid(),
               config.admin_reload ? " or POST /admin/reload" : "");
    if (engine.has_altitude() && !engine.altitude().resources().empty()) {
        const auto& r = engine.altitude().resources().front();
        const double lon = r.extent.empty() ? 0.0 : (r.extent.min_x + r.extent.max_x) / 2;
        const double lat = r.extent.empty() ? 0.0 : (r.extent.min_y + r.extent.max_y) / 2;
        fmt::print(stderr, "  try:    http://{}:{}/altimetrie/1.0/calcul/alti/rest/elevation.json?lon={:.5f}&lat={:.5f}&resource={}\n",
                   shown_host, srv.port(), lon, lat, r.id);
    }
    fmt::print(stderr, "Press Ctrl-C to stop.\n");
    srv.run();
    fmt::print(stderr, "geoplex: stopped.\n");
    return 0;
}

void print_info(const fs::path& dir, bool verify) {
    bundle::EngineConfig ec;
    ec.verify_checksums = verify;
    const auto engine = bundle::Engine::open(dir, ec);
    const auto& m = engine.manifest();
    fmt::print("bundle:      {}\nname:        {}\ncreated:     {}\nbuilt with:  geoplex {}\ncomponents:  {}\n",
               engine.directory().string(), m.name, m.created, m.geoplex_version, fmt::join(m.components, ", "));
    if (verify) fmt::print("checksums:   verified\n");
    if (engine.has_altitude()) {
        for (const auto& r : engine.altitude().resources()) {
            fmt::print("altitude resource '{}': {} ({} source{}) extent [{:.5f}, {:.5f}, {:.5f}, {:.5f}]\n", r.id, r.title,
                       r.sources.size(), r.sources.size() == 1 ? "" : "s", r.extent.min_x, r.extent.min_y,
                       r.extent.max_x, r.extent.max_y);
            for (const auto& s : r.sources)
                fmt::print("  - {} (priority {}, {}, {}x{} px, {})\n", s.name, s.priority, altitude::to_string(s.storage),
                           s.width, s.height, s.crs.size() > 40 ? s.crs.substr(0, 40) + "…" : s.crs);
        }
    }
}

void report_error(const std::exception& e) {
    if (const auto* ia = dynamic_cast<const InvalidArgument*>(&e); ia && ia->problems().size() > 1) {
        fmt::print(stderr, "geoplex: error: {} problems:\n", ia->problems().size());
        for (const auto& p : ia->problems()) fmt::print(stderr, "  - {}\n", p);
        return;
    }
    fmt::print(stderr, "geoplex: error: {}\n", e.what());
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{fmt::format(
        "geoplex {} — an embeddable engine for national geodata platform services\n"
        "(altitude, routing, geocoding and tiles today; isochrones and a catalog are coming).\n\n"
        "Typical use:\n"
        "  geoplex demo                                # synthetic town + bundle + server on :8080\n"
        "  geoplex synth --size town -o territory/     # generate a synthetic territory\n"
        "  geoplex build territory/bundle.toml -o bundle/\n"
        "  geoplex serve bundle/ --port 8080",
        geoplex::version)};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string(geoplex::version));

    // build
    fs::path spec, out;
    bool quiet = false;
    auto* build = app.add_subcommand("build", "Build a bundle from a spec (TOML): indexes every source it names");
    build->add_option("spec", spec, "Bundle spec (bundle.toml)")->required()->check(CLI::ExistingFile);
    build->add_option("-o,--output", out, "Output bundle directory (replaced atomically)")->required();
    build->add_flag("-q,--quiet", quiet, "No progress output");

    // synth
    std::string size = "town";
    std::uint64_t seed = 1;
    fs::path synth_out;
    auto* synth = app.add_subcommand("synth", "Generate a deterministic synthetic territory (OSM PBF, BAN CSV, DEM, "
                                              "GeoPackage, basemap) and its bundle.toml");
    synth->add_option("-s,--size", size, "village | town | city | region | <N>-nodes (e.g. 5000000-nodes)")
        ->capture_default_str();
    synth->add_option("--seed", seed, "Random seed (same seed, same files)")->capture_default_str();
    synth->add_option("-o,--output", synth_out, "Output directory")->required();
    synth->add_flag("-q,--quiet", quiet, "No progress output");

    // serve
    fs::path serve_dir;
    ServeOptions serve_opts;
    auto* serve_cmd = app.add_subcommand("serve", "Serve a bundle over HTTP (Géoplateforme-compatible API)");
    serve_cmd->add_option("bundle", serve_dir, "Bundle directory")->required()->check(CLI::ExistingDirectory);
    add_serve_options(serve_cmd, serve_opts);

    // demo
    fs::path demo_dir = "geoplex-demo";
    bool rebuild = false;
    ServeOptions demo_opts;
    auto* demo = app.add_subcommand("demo", "Generate a synthetic town, build its bundle and serve it");
    demo->add_option("-d,--dir", demo_dir, "Working directory (territory/ and bundle/ go there)")->capture_default_str();
    demo->add_option("-s,--size", size, "Territory size")->capture_default_str();
    demo->add_option("--seed", seed, "Random seed")->capture_default_str();
    demo->add_flag("--rebuild", rebuild, "Regenerate even if the directory already holds a demo");
    add_serve_options(demo, demo_opts);

    // info
    fs::path info_dir;
    bool verify = false;
    auto* info = app.add_subcommand("info", "Describe a bundle (components, resources, extents)");
    info->add_option("bundle", info_dir, "Bundle directory")->required()->check(CLI::ExistingDirectory);
    info->add_flag("--verify", verify, "Verify every index file's checksum");

    CLI11_PARSE(app, argc, argv);

    try {
        if (*build) {
            ProgressBar bar(quiet);
            bundle::build(spec, out, bar.callbacks());
        } else if (*synth) {
            ProgressBar bar(quiet);
            const auto summary = synth::generate(synth_config(size, seed), synth_out, bar.callbacks());
            fmt::print("{}\n", summary.to_string());
        } else if (*serve_cmd) {
            return serve(serve_dir, serve_opts);
        } else if (*demo) {
            const fs::path territory = demo_dir / "territory";
            const fs::path bundle_dir = demo_dir / "bundle";
            const auto config = synth_config(size, seed);
            const std::string stamp = fmt::format("{} seed {}", size, seed);
            const fs::path stamp_file = demo_dir / ".demo-stamp";
            std::string previous;
            if (std::ifstream in(stamp_file); in) std::getline(in, previous);
            if (rebuild || previous != stamp || !fs::exists(bundle_dir / "manifest.toml")) {
                ProgressBar bar(false);
                fmt::print(stderr, "geoplex demo: generating a synthetic {} (seed {}) in {}\n", size, seed, territory.string());
                const auto summary = synth::generate(config, territory, bar.callbacks());
                fmt::print(stderr, "{}\n", summary.to_string());
                fmt::print(stderr, "geoplex demo: building the bundle in {}\n", bundle_dir.string());
                bundle::build(territory / "bundle.toml", bundle_dir, bar.callbacks());
                std::ofstream(stamp_file) << stamp << '\n';
            } else {
                fmt::print(stderr, "geoplex demo: reusing {} (use --rebuild to regenerate)\n", bundle_dir.string());
            }
            return serve(bundle_dir, demo_opts);
        } else if (*info) {
            print_info(info_dir, verify);
        }
    } catch (const std::exception& e) {
        report_error(e);
        return 1;
    }
    return 0;
}
