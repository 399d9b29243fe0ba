#include "geoplex/core/progress.hpp"

#include "geoplex/core/error.hpp"

namespace geoplex::core {

void Callbacks::check_cancelled() const {
    if (cancel_requested && cancel_requested()) throw Error(errc::cancelled, "operation cancelled");
}

}  // namespace geoplex::core
