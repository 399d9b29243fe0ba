#include "geoplex/core/error.hpp"

#include <fmt/format.h>

namespace geoplex {

std::string_view to_string(errc code) noexcept {
    switch (code) {
        case errc::ok: return "ok";
        case errc::io_error: return "io_error";
        case errc::format_error: return "format_error";
        case errc::invalid_argument: return "invalid_argument";
        case errc::dependency_error: return "dependency_error";
        case errc::not_found: return "not_found";
        case errc::checksum_mismatch: return "checksum_mismatch";
        case errc::version_mismatch: return "version_mismatch";
        case errc::cancelled: return "cancelled";
        case errc::limit_exceeded: return "limit_exceeded";
        case errc::unsupported: return "unsupported";
        case errc::internal: return "internal";
    }
    return "unknown";
}

namespace {
std::string join_problems(const std::vector<std::string>& problems) {
    if (problems.size() == 1) return problems.front();
    return fmt::format("{} problems: {}", problems.size(), fmt::join(problems, "; "));
}
}  // namespace

InvalidArgument::InvalidArgument(std::vector<std::string> problems, errc code)
    : Error(code, join_problems(problems)), m_problems(std::move(problems)) {}

}  // namespace geoplex
