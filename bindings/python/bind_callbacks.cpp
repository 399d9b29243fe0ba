// CallbackBridge: core::Callbacks → Python (progress callable, logging, Ctrl-C).

#include "bindings.hpp"

namespace geoplex::python {

namespace {
// Python calls are not free: report at most this often (plus every task start and end).
constexpr auto progress_interval = std::chrono::milliseconds(100);
constexpr auto signal_interval = std::chrono::milliseconds(100);

// Task names and log lines come from file names and data: never fail on bad UTF-8.
py::str lenient_str(std::string_view text) {
    PyObject* s = PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
    if (s == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::str>(s);
}

int python_log_level(core::LogLevel level) {
    switch (level) {
        case core::LogLevel::debug:
            return 10;
        case core::LogLevel::info:
            return 20;
        case core::LogLevel::warning:
            return 30;
        case core::LogLevel::error:
            return 40;
    }
    return 20;
}
}  // namespace

CallbackBridge::CallbackBridge(py::object progress)
    : m_progress(progress.is_none() ? py::object() : std::move(progress)),
      m_logger(py::module_::import("logging").attr("getLogger")("geoplex")) {
    if (m_progress && !PyCallable_Check(m_progress.ptr())) {
        throw py::type_error("progress must be None, a bool or a callable(task, done, total)");
    }
    if (m_progress) {
        m_callbacks.progress = [this](std::string_view task, std::uint64_t done, std::uint64_t total) {
            if (m_failed.load() || throttled(task, done, total)) return;
            py::gil_scoped_acquire gil;
            try {
                m_progress(lenient_str(task), done, total);
            } catch (py::error_already_set& e) {
                // Stop the operation (cancel_requested now says yes) and re-raise it afterwards.
                store_error(std::move(e));
            }
        };
    }
    m_callbacks.log = [this](core::LogLevel level, std::string_view message) {
        if (m_failed.load()) return;
        py::gil_scoped_acquire gil;
        try {
            m_logger.attr("log")(python_log_level(level), lenient_str(message));
        } catch (py::error_already_set&) {
            // A broken logging handler must not abort a build; logging itself reports it.
        }
    };
    m_callbacks.cancel_requested = [this]() -> bool {
        if (m_failed.load()) return true;
        {
            std::lock_guard lock(m_mutex);
            const auto now = std::chrono::steady_clock::now();
            if (now - m_last_signal_check < signal_interval) return false;
            m_last_signal_check = now;
        }
        py::gil_scoped_acquire gil;
        // Runs the signal handlers when called on the main thread: Ctrl-C raises KeyboardInterrupt.
        if (PyErr_CheckSignals() != 0) {
            store_error(py::error_already_set());  // fetches the pending KeyboardInterrupt
            return true;
        }
        return false;
    };
}

CallbackBridge::~CallbackBridge() = default;

void CallbackBridge::store_error(py::error_already_set&& error) {
    std::lock_guard lock(m_mutex);
    if (!m_error) m_error.emplace(std::move(error));
    m_failed.store(true);
}

bool CallbackBridge::throttled(std::string_view task, std::uint64_t done, std::uint64_t total) {
    std::lock_guard lock(m_mutex);
    const auto now = std::chrono::steady_clock::now();
    const bool boundary = done == 0 || (total != 0 && done >= total) || task != m_last_task;
    if (!boundary && now - m_last_progress < progress_interval) return true;
    m_last_task.assign(task);
    m_last_progress = now;
    return false;
}

void CallbackBridge::rethrow_captured() {
    std::optional<py::error_already_set> error;
    {
        std::lock_guard lock(m_mutex);
        error.swap(m_error);
    }
    if (error) throw std::move(*error);
}

}  // namespace geoplex::python
