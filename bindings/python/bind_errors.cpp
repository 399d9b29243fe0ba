// The one place where geoplex::Error becomes a Python exception.
//
//   geoplex.Error            (Exception)               every geoplex failure; .code = errc name
//   ├── IoError              (Error, OSError)           errc::io_error
//   ├── FormatError          (Error)                    format_error, checksum_mismatch, version_mismatch
//   ├── InvalidArgument      (Error, ValueError)        invalid_argument; .problems = [str, …]
//   ├── DependencyError      (Error)                    dependency_error (GDAL, PROJ…)
//   └── NotFound             (Error, LookupError)       not_found (unknown resource, missing component)
// Other codes (cancelled, limit_exceeded, unsupported, internal) raise geoplex.Error itself.

#include <string>
#include <vector>

#include "bindings.hpp"
#include "geoplex/core/error.hpp"

namespace geoplex::python {

namespace {

struct ExceptionTypes {
    py::object error, io_error, format_error, invalid_argument, dependency_error, not_found;
};

// Lives as long as the interpreter: the module keeps the types alive, this only borrows them
// for the translator (which cannot capture).
ExceptionTypes* g_types = nullptr;

py::object new_exception(py::module_& m, const char* name, py::tuple bases, const char* doc) {
    const std::string qualified = std::string("geoplex.") + name;
    py::object type =
        py::reinterpret_steal<py::object>(PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr));
    if (!type) throw py::error_already_set();
    m.add_object(name, type);
    return type;
}

void raise(const py::object& type, const Error& e, const py::object& problems = py::none()) {
    py::object instance = type(py::str(e.what()));
    instance.attr("code") = py::str(std::string(to_string(e.code())));
    if (!problems.is_none()) instance.attr("problems") = problems;
    PyErr_SetObject(type.ptr(), instance.ptr());
}

void translate(const Error& e) {
    const ExceptionTypes& t = *g_types;
    if (const auto* invalid = dynamic_cast<const InvalidArgument*>(&e)) {
        py::list problems;
        for (const std::string& p : invalid->problems()) problems.append(py::str(p));
        raise(t.invalid_argument, e, problems);
        return;
    }
    switch (e.code()) {
        case errc::io_error:
            raise(t.io_error, e);
            return;
        case errc::format_error:
        case errc::checksum_mismatch:
        case errc::version_mismatch:
            raise(t.format_error, e);
            return;
        case errc::invalid_argument:
            raise(t.invalid_argument, e, py::list(py::make_tuple(py::str(e.what()))));
            return;
        case errc::dependency_error:
            raise(t.dependency_error, e);
            return;
        case errc::not_found:
            raise(t.not_found, e);
            return;
        default:
            raise(t.error, e);
            return;
    }
}

}  // namespace

void bind_errors(py::module_& m) {
    auto* t = new ExceptionTypes();  // intentionally leaked: needed until interpreter exit
    const py::handle exception(PyExc_Exception);
    t->error = new_exception(
        m, "Error", py::make_tuple(exception),
        "Base class of every geoplex failure.\n\n"
        "Attributes:\n"
        "    code (str): the stable error code name (\"io_error\", \"format_error\", \"invalid_argument\",\n"
        "        \"dependency_error\", \"not_found\", \"checksum_mismatch\", \"version_mismatch\", \"cancelled\",\n"
        "        \"limit_exceeded\", \"unsupported\", \"internal\").");
    t->io_error = new_exception(m, "IoError", py::make_tuple(t->error, py::handle(PyExc_OSError)),
                                "A file could not be opened, read, mapped or written (also an OSError).");
    t->format_error =
        new_exception(m, "FormatError", py::make_tuple(t->error),
                      "Data is not in the expected format: bad manifest, wrong magic, truncated file, checksum or\n"
                      "version mismatch (see .code).");
    t->invalid_argument = new_exception(m, "InvalidArgument", py::make_tuple(t->error, py::handle(PyExc_ValueError)),
                                        "A caller-supplied value is wrong (also a ValueError).\n\n"
                                        "Attributes:\n"
                                        "    problems (list[str]): every problem found, not just the first.");
    t->dependency_error = new_exception(m, "DependencyError", py::make_tuple(t->error),
                                        "A third-party library (GDAL, PROJ, GEOS…) reported a failure.");
    t->not_found =
        new_exception(m, "NotFound", py::make_tuple(t->error, py::handle(PyExc_LookupError)),
                      "A named thing (DEM resource, bundle component, layer) does not exist (also a LookupError).");
    g_types = t;

    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const Error& e) {
            translate(e);
        }
    });
}

}  // namespace geoplex::python
