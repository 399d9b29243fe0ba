// Timed driver for geoplex::synth: generation time and peak RSS per size, printed as JSON.
//
//   synth_bench [--out DIR] [--roads-only] [SIZE...]
//
// SIZE defaults to "village town city"; add "region" or "5000000-nodes" for the scale runs.
// Each size runs in a forked child so that its peak RSS (getrusage of the child) is its own.
// Output: one JSON object with a "runs" array; see docs/synth.md for recorded results.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "geoplex/synth/synth.hpp"

namespace {

struct Result {
    double seconds = 0;
    std::uint64_t nodes = 0, ways = 0, addresses = 0;
    std::uint64_t bytes = 0;
    int ok = 0;
};

std::uint64_t dir_bytes(const std::filesystem::path& dir) {
    std::uint64_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.is_regular_file()) n += e.file_size();
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    std::filesystem::path out = std::filesystem::temp_directory_path() / "geoplex-synth-bench";
    bool roads_only = false;
    std::vector<std::string> sizes;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--out" && i + 1 < argc) out = argv[++i];
        else if (a == "--roads-only") roads_only = true;
        else if (a == "-h" || a == "--help") {
            std::puts("usage: synth_bench [--out DIR] [--roads-only] [SIZE...]   (SIZE: village town city region N-nodes)");
            return 0;
        } else sizes.push_back(a);
    }
    if (sizes.empty()) sizes = {"village", "town", "city"};

    std::string json = fmt::format("{{\"benchmark\": \"synth\", \"roads_only\": {}, \"runs\": [", roads_only);
    bool first = true;
    for (const std::string& size : sizes) {
        const std::filesystem::path dir = out / size;
        int fds[2];
        if (pipe(fds) != 0) return 1;
        const pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            Result r;
            try {
                auto config = geoplex::synth::Config::from_size(size);
                if (roads_only)
                    config.write_addresses = config.write_dem = config.write_layers = config.write_basemap = config.write_bundle = false;
                const auto s = geoplex::synth::generate(config, dir);
                r = {s.seconds, s.nodes, s.ways, s.addresses, dir_bytes(dir), 1};
            } catch (const std::exception& e) {
                std::fprintf(stderr, "synth_bench: %s: %s\n", size.c_str(), e.what());
            }
            if (write(fds[1], &r, sizeof r) != static_cast<ssize_t>(sizeof r)) _exit(2);
            _exit(r.ok ? 0 : 1);
        }
        close(fds[1]);
        Result r;
        const bool got = read(fds[0], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
        close(fds[0]);
        int status = 0;
        rusage usage{};
        wait4(pid, &status, 0, &usage);
        if (!got || !r.ok) return 1;
        json += fmt::format(
            "{}\n  {{\"size\": \"{}\", \"nodes\": {}, \"ways\": {}, \"addresses\": {}, \"seconds\": {:.3f}, "
            "\"cpu_seconds\": {:.3f}, \"peak_rss_mb\": {:.1f}, \"output_mb\": {:.1f}}}",
            first ? "" : ",", size, r.nodes, r.ways, r.addresses, r.seconds,
            static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6,
            static_cast<double>(usage.ru_maxrss) / 1024.0,
            static_cast<double>(r.bytes) / 1048576.0);
        first = false;
        std::filesystem::remove_all(dir);
    }
    json += "\n]}\n";
    std::fputs(json.c_str(), stdout);
    return 0;
}
