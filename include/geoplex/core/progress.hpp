#pragma once
// Logging, progress and cancellation are injected callbacks, never globals.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace geoplex::core {

enum class LogLevel { debug, info, warning, error };

/// Callbacks a long operation (a build, a batch) reports through. Every member is optional.
struct Callbacks {
    /// Progress of a named task: `done` out of `total` units (total 0 = unknown).
    std::function<void(std::string_view task, std::uint64_t done, std::uint64_t total)> progress;
    /// A log line.
    std::function<void(LogLevel level, std::string_view message)> log;
    /// Polled between units of work; returning true makes the operation throw errc::cancelled.
    std::function<bool()> cancel_requested;

    void report(std::string_view task, std::uint64_t done, std::uint64_t total) const {
        if (progress) progress(task, done, total);
    }
    void info(std::string_view message) const { if (log) log(LogLevel::info, message); }
    void warn(std::string_view message) const { if (log) log(LogLevel::warning, message); }
    /// Throws geoplex::Error(errc::cancelled) when cancellation was requested.
    void check_cancelled() const;
};

}  // namespace geoplex::core
