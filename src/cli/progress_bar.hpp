#pragma once
// Terminal progress for long CLI jobs: a redrawn bar on a TTY, a line every 10 % otherwise.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "geoplex/core/progress.hpp"

namespace geoplex::cli {

class ProgressBar {
public:
    explicit ProgressBar(bool quiet = false);
    ~ProgressBar();
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    /// Callbacks that draw on stderr; log lines interleave cleanly with the bar.
    [[nodiscard]] core::Callbacks callbacks();

private:
    void update(std::string_view task, std::uint64_t done, std::uint64_t total);
    void log(core::LogLevel level, std::string_view message);
    void finish_line();

    bool m_quiet;
    bool m_tty;
    std::mutex m_mutex;
    std::string m_task;
    int m_last_percent = -1;
    bool m_bar_drawn = false;
    std::chrono::steady_clock::time_point m_task_start;
    std::chrono::steady_clock::time_point m_last_draw;
};

}  // namespace geoplex::cli
