// The _geoplex extension module. The `geoplex` package (python/geoplex/__init__.py) re-exports it.

#include "bindings.hpp"

#ifndef GEOPLEX_VERSION_STRING
#error "GEOPLEX_VERSION_STRING must be defined by the build"
#endif

PYBIND11_MODULE(_geoplex, m) {
    m.doc() = "geoplex engine bindings (import the `geoplex` package rather than this module).";
    m.attr("__version__") = GEOPLEX_VERSION_STRING;
    geoplex::python::bind_errors(m);
    geoplex::python::bind_altitude(m);
    geoplex::python::bind_routing(m);
    geoplex::python::bind_geocoder(m);
    geoplex::python::bind_tiles(m);
    geoplex::python::bind_engine(m);
    geoplex::python::bind_isochrone(m);
    geoplex::python::bind_synth(m);
    geoplex::python::bind_catalog(m);
}
