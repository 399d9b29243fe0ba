#pragma once
// Wall-clock timestamps as the services write them.

#include <string>

namespace geoplex::core {

/// The current UTC time as ISO 8601 with second precision: "2026-11-21T18:53:18Z" (sorts as text).
[[nodiscard]] std::string utc_now_iso8601();

}  // namespace geoplex::core
