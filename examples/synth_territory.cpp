// Generates a synthetic village into a directory and prints what was written.
//   synth_territory OUT_DIR [SIZE] [SEED]     e.g. synth_territory /tmp/village village 1

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "geoplex/core/error.hpp"
#include "geoplex/synth/synth.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s OUT_DIR [SIZE=village] [SEED=1]\n", argv[0]);
        return 2;
    }
    try {
        auto config = geoplex::synth::Config::from_size(argc > 2 ? argv[2] : "village");
        if (argc > 3) config.seed = std::stoull(argv[3]);
        geoplex::core::Callbacks callbacks;
        callbacks.progress = [](std::string_view task, std::uint64_t done, std::uint64_t total) {
            if (done == total) std::fprintf(stderr, "%.*s: done\n", static_cast<int>(task.size()), task.data());
        };
        const auto summary = geoplex::synth::generate(config, argv[1], callbacks);
        std::fputs(summary.to_string().c_str(), stdout);
        return 0;
    } catch (const geoplex::Error& e) {
        std::fprintf(stderr, "error (%s): %s\n", std::string(geoplex::to_string(e.code())).c_str(), e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
