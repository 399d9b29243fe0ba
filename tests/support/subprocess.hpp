#pragma once
// Running an independent reference tool (gdallocationinfo, cs2cs, geod, python3…) from a test.

#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace geoplex::test {

/// Runs `command` with /bin/sh, returns its standard output; throws when it exits non-zero.
inline std::string run_command(const std::string& command) {
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error("cannot run: " + command);
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
    const int status = ::pclose(pipe);
    if (status != 0) throw std::runtime_error("command failed (status " + std::to_string(status) + "): " + command);
    return out;
}

}  // namespace geoplex::test
