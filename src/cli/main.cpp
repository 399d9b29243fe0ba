// geoplex — command-line entry point: build bundles, generate synthetic territories, serve.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/progress_bar.hpp"
#include "geoplex/altitude/altitude.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"
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
    std::string host = "0.0.0.0";
    std::uint16_t port = 8080;
    unsigned threads = 2;
    std::string access_log = "-";
    std::size_t max_points = 5000;
    bool verify = false;
};

void add_serve_options(CLI::App* cmd, ServeOptions& o) {
    cmd->add_option("--host", o.host, "Address to listen on")->capture_default_str();
    cmd->add_option("-p,--port", o.port, "TCP port (0 = any free port)")->capture_default_str();
    cmd->add_option("-t,--threads", o.threads, "Worker threads")->capture_default_str()->check(CLI::Range(1U, 256U));
    cmd->add_option("--access-log", o.access_log, "Access log: '-' for stdout, a file path, or 'off'")->capture_default_str();
    cmd->add_option("--max-points", o.max_points, "Altimetry: most points per request")->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
    cmd->add_flag("--verify", o.verify, "Verify every index file's checksum when opening the bundle");
}

int serve(const fs::path& dir, const ServeOptions& o) {
    bundle::EngineConfig ec;
    ec.verify_checksums = o.verify;
    auto engine = bundle::Engine::open(dir, ec);

    server::ServerConfig config;
    config.address = o.host;
    config.port = o.port;
    config.threads = o.threads;
    config.handle_signals = true;
    config.altitude.max_points = o.max_points;
    std::unique_ptr<std::ofstream> log_file;
    if (o.access_log == "-") {
        config.access_log_stream = &std::cout;
    } else if (o.access_log != "off") {
        log_file = std::make_unique<std::ofstream>(o.access_log, std::ios::app);
        if (!*log_file) throw IoError(fmt::format("cannot open the access log '{}'", o.access_log));
        config.access_log_stream = log_file.get();
    }
    config.log = [](core::LogLevel level, std::string_view message) {
        const char* prefix = level == core::LogLevel::error ? "error: " : level == core::LogLevel::warning ? "warning: " : "";
        std::cerr << prefix << message << '\n';
    };

    server::Server srv(engine, config);
    srv.start();
    const auto& m = engine.manifest();
    const std::string shown_host = (o.host == "0.0.0.0" || o.host == "::") ? "localhost" : o.host;
    fmt::print(stderr, "geoplex {} serving bundle '{}' ({}) on http://{}:{}/\n", geoplex::version, m.name,
               m.components.empty() ? std::string("no components") : fmt::format("{}", fmt::join(m.components, ", ")),
               shown_host, srv.port());
    fmt::print(stderr, "  health: http://{0}:{1}/health   API description: http://{0}:{1}/openapi.json\n", shown_host,
               srv.port());
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
