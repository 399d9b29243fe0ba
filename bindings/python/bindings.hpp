#pragma once
// Shared declarations of the _geoplex extension: one bind_<class>() per binding file, and the
// bridge between core::Callbacks (called from C++, GIL released) and Python callables.

#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "geoplex/core/progress.hpp"

namespace geoplex::bundle { class Engine; }

namespace geoplex::python {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_altitude(py::module_& m);
void bind_routing(py::module_& m);
void bind_geocoder(py::module_& m);
void bind_tiles(py::module_& m);
void bind_isochrone(py::module_& m);
void bind_engine(py::module_& m);
void bind_synth(py::module_& m);
void bind_catalog(py::module_& m);

/// The Python objects Engine.routing / .geocoder / .tiles return (geoplex.Router, Geocoder,
/// Tileset) for a bundle's component; Error(not_found) when the bundle has none.
py::object routing_object(const bundle::Engine& engine);
py::object geocoder_object(const bundle::Engine& engine);
py::object tiles_object(const bundle::Engine& engine);

/// core::Callbacks that forward to Python: `progress(task, done, total)` to a Python callable
/// (throttled), log lines to the `logging` logger "geoplex", and cancellation to Ctrl-C
/// (PyErr_CheckSignals) or to an exception raised by the progress callable. The C++ side calls
/// them with the GIL released; each one takes the GIL itself. Create and destroy with the GIL
/// held; it must outlive the C++ call it is passed to.
class CallbackBridge {
public:
    /// `progress`: None or a callable(task: str, done: int, total: int).
    explicit CallbackBridge(py::object progress);
    ~CallbackBridge();
    CallbackBridge(const CallbackBridge&) = delete;
    CallbackBridge& operator=(const CallbackBridge&) = delete;

    [[nodiscard]] const core::Callbacks& callbacks() const noexcept { return m_callbacks; }
    /// Throws the Python exception captured during the call (from the progress callable, or
    /// KeyboardInterrupt), if any. Needs the GIL.
    void rethrow_captured();

private:
    void store_error(py::error_already_set&& error);  // needs the GIL
    bool throttled(std::string_view task, std::uint64_t done, std::uint64_t total);

    py::object m_progress;
    py::object m_logger;
    std::optional<py::error_already_set> m_error;
    std::atomic<bool> m_failed{false};
    std::mutex m_mutex;  // guards the throttle state (builders may report from several threads)
    std::string m_last_task;
    std::chrono::steady_clock::time_point m_last_progress{};
    std::chrono::steady_clock::time_point m_last_signal_check{};
    core::Callbacks m_callbacks;
};

/// Runs `fn(callbacks)` with the GIL released and Python callbacks bridged; a Python exception
/// raised by a callback (or Ctrl-C) wins over the C++ error it caused (usually errc::cancelled).
template <class F, class R = std::invoke_result_t<F&, const core::Callbacks&>>
R call_with_callbacks(const py::object& progress, F&& fn) {
    CallbackBridge bridge(progress);
    if constexpr (std::is_void_v<R>) {
        try {
            py::gil_scoped_release release;
            fn(bridge.callbacks());
        } catch (...) {
            bridge.rethrow_captured();
            throw;
        }
        bridge.rethrow_captured();
    } else {
        std::optional<R> result;
        try {
            py::gil_scoped_release release;
            result.emplace(fn(bridge.callbacks()));
        } catch (...) {
            bridge.rethrow_captured();
            throw;
        }
        bridge.rethrow_captured();
        return std::move(*result);
    }
}

}  // namespace geoplex::python
