// Builds a bundle from a spec, opens it and lists what it holds.
//   bundle_build SPEC OUT_DIR          e.g. bundle_build territory/bundle.toml bundle/

#include <cstdio>
#include <exception>

#include "geoplex/altitude/altitude.hpp"
#include "geoplex/bundle/engine.hpp"
#include "geoplex/core/error.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s SPEC OUT_DIR\n", argv[0]);
        return 2;
    }
    try {
        geoplex::core::Callbacks callbacks;
        callbacks.log = [](geoplex::core::LogLevel, std::string_view message) {
            std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
        };
        geoplex::bundle::build(argv[1], argv[2], callbacks);

        const auto engine = geoplex::bundle::Engine::open(argv[2]);
        std::printf("bundle %s with %zu component(s)\n", engine.manifest().name.c_str(),
                    engine.manifest().components.size());
        if (engine.has_altitude()) {
            for (const auto& r : engine.altitude().resources())
                std::printf("altitude resource %s: %zu source(s)\n", r.id.c_str(), r.sources.size());
        }
        return 0;
    } catch (const geoplex::InvalidArgument& e) {
        for (const auto& p : e.problems()) std::fprintf(stderr, "spec problem: %s\n", p.c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
