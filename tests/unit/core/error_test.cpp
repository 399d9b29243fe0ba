#include <catch2/catch.hpp>

#include "geoplex/core/error.hpp"
#include "geoplex/core/progress.hpp"

using namespace geoplex;

TEST_CASE("error codes are append-only and named") {
    // These numbers are part of the ABI and of the HTTP/Python error bodies.
    CHECK(static_cast<int>(errc::io_error) == 1);
    CHECK(static_cast<int>(errc::invalid_argument) == 3);
    CHECK(static_cast<int>(errc::internal) == 11);
    CHECK(to_string(errc::not_found) == "not_found");
    CHECK(to_string(errc::checksum_mismatch) == "checksum_mismatch");
}

TEST_CASE("InvalidArgument carries every problem") {
    const InvalidArgument e(std::vector<std::string>{"lon is missing", "lat is not a number"});
    CHECK(e.problems().size() == 2);
    CHECK_THAT(e.what(), Catch::Contains("2 problems") && Catch::Contains("lat is not a number"));
    CHECK(e.code() == errc::invalid_argument);
    const Error& base = e;
    CHECK(base.code() == errc::invalid_argument);
}

TEST_CASE("cancellation throws errc::cancelled") {
    core::Callbacks cb;
    CHECK_NOTHROW(cb.check_cancelled());
    cb.cancel_requested = [] { return true; };
    try {
        cb.check_cancelled();
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.code() == errc::cancelled);
    }
}
