#include "cli/progress_bar.hpp"

#include <cstdio>

#include <fmt/format.h>
#include <unistd.h>

namespace geoplex::cli {

ProgressBar::ProgressBar(bool quiet) : m_quiet(quiet), m_tty(::isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() {
    std::lock_guard lock(m_mutex);
    finish_line();
}

core::Callbacks ProgressBar::callbacks() {
    core::Callbacks cb;
    cb.progress = [this](std::string_view task, std::uint64_t done, std::uint64_t total) { update(task, done, total); };
    cb.log = [this](core::LogLevel level, std::string_view message) { log(level, message); };
    return cb;
}

void ProgressBar::finish_line() {
    if (m_bar_drawn) {
        std::fputc('\n', stderr);
        m_bar_drawn = false;
    }
}

void ProgressBar::update(std::string_view task, std::uint64_t done, std::uint64_t total) {
    if (m_quiet) return;
    std::lock_guard lock(m_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (task != m_task) {
        finish_line();
        m_task = std::string(task);
        m_last_percent = -1;
        m_task_start = now;
    }
    const int percent = total > 0 ? static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total)) : -1;
    const double elapsed = std::chrono::duration<double>(now - m_task_start).count();
    if (m_tty) {
        // Redraw at most 20 times a second, and always at 100 %.
        if (percent != 100 && now - m_last_draw < std::chrono::milliseconds(50)) return;
        m_last_draw = now;
        std::string bar;
        if (percent >= 0) {
            const int filled = percent * 30 / 100;
            bar = fmt::format("[{}{}] {:3d}%", std::string(static_cast<std::size_t>(filled), '#'),
                              std::string(static_cast<std::size_t>(30 - filled), '.'), percent);
        } else {
            bar = fmt::format("{} done", done);
        }
        std::string eta;
        if (percent > 0 && percent < 100) eta = fmt::format(" eta {:.0f}s", elapsed * (100.0 - percent) / percent);
        fmt::print(stderr, "\r\033[K{:<28} {}{} {:.1f}s", m_task, bar, eta, elapsed);
        m_bar_drawn = true;
        if (percent == 100) finish_line();
    } else {
        // Log-friendly: one line per 10 % step.
        const int step = percent < 0 ? -1 : percent / 10;
        if (step == m_last_percent) return;
        m_last_percent = step;
        if (percent >= 0) fmt::print(stderr, "{}: {}% ({:.1f}s)\n", m_task, percent, elapsed);
    }
    std::fflush(stderr);
}

void ProgressBar::log(core::LogLevel level, std::string_view message) {
    if (m_quiet && level < core::LogLevel::warning) return;
    std::lock_guard lock(m_mutex);
    finish_line();
    const char* prefix = level == core::LogLevel::warning ? "warning: " : level == core::LogLevel::error ? "error: " : "";
    fmt::print(stderr, "{}{}\n", prefix, message);
    std::fflush(stderr);
}

}  // namespace geoplex::cli
