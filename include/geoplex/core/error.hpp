#pragma once
// The one error hierarchy of geoplex. Expected misses ("no route", "outside the DEM") are
// results, not exceptions; these are for failures. Boundaries (HTTP, Python) translate them
// in exactly one place each.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace geoplex {

/// Error codes. APPEND-ONLY: values are part of the ABI, the HTTP error bodies and the Python
/// exceptions; never renumber or reuse one.
enum class errc : int {
    ok = 0,
    io_error = 1,           ///< a file or socket could not be read or written
    format_error = 2,       ///< data is not in the expected format
    invalid_argument = 3,   ///< a caller-supplied value is wrong
    dependency_error = 4,   ///< GDAL, PROJ, GEOS… reported a failure
    not_found = 5,          ///< a named thing (resource, layer, file) does not exist
    checksum_mismatch = 6,  ///< an index file is corrupt
    version_mismatch = 7,   ///< an index file was written by an incompatible format version
    cancelled = 8,          ///< the cancel callback asked to stop
    limit_exceeded = 9,     ///< a configured limit (points, size, quota) was exceeded
    unsupported = 10,       ///< valid, but not supported by this build or this data
    internal = 11,          ///< a bug: an invariant did not hold
};

/// Stable lowercase name of a code ("invalid_argument"), used in JSON bodies and logs.
[[nodiscard]] std::string_view to_string(errc code) noexcept;

class Error : public std::runtime_error {
public:
    Error(errc code, const std::string& message) : std::runtime_error(message), m_code(code) {}
    [[nodiscard]] errc code() const noexcept { return m_code; }

private:
    errc m_code;
};

/// A file could not be opened, read, mapped or written.
class IoError : public Error {
public:
    explicit IoError(const std::string& message) : Error(errc::io_error, message) {}
};

/// Bytes are not what they should be: wrong magic, truncated, bad checksum, bad version.
class FormatError : public Error {
public:
    explicit FormatError(const std::string& message, errc code = errc::format_error) : Error(code, message) {}
};

/// A caller-supplied value is wrong. Carries every problem found, not just the first, so that
/// validate() can report them all at once.
class InvalidArgument : public Error {
public:
    explicit InvalidArgument(const std::string& message, errc code = errc::invalid_argument)
        : Error(code, message), m_problems{message} {}
    explicit InvalidArgument(std::vector<std::string> problems, errc code = errc::invalid_argument);
    [[nodiscard]] const std::vector<std::string>& problems() const noexcept { return m_problems; }

private:
    std::vector<std::string> m_problems;
};

/// A third-party library (GDAL, PROJ, GEOS, SQLite…) failed.
class DependencyError : public Error {
public:
    explicit DependencyError(const std::string& message) : Error(errc::dependency_error, message) {}
};

}  // namespace geoplex
