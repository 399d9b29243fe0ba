// Main of the test binaries that read real data from GEOPLEX_TEST_DATA (../shared/data).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "support/test_data.hpp"

int main(int argc, char* argv[]) {
    const auto dir = geoplex::test::test_data_dir();
    const auto env_is = [](const char* name, std::string_view value) {
        const char* v = std::getenv(name);
        return v != nullptr && value == v;
    };
    // CI (CI=true) and GEOPLEX_REQUIRE_TEST_DATA=1 turn a missing data folder into a failure.
    const bool required = GEOPLEX_REQUIRE_TEST_DATA || env_is("CI", "true") || env_is("GEOPLEX_REQUIRE_TEST_DATA", "1");
    if (!dir && required) {
        std::fprintf(stderr, "FAILED: GEOPLEX_TEST_DATA is not set or is not a directory; these tests need "
                             "the real data in ../shared/data (export GEOPLEX_TEST_DATA=/path/to/shared/data)\n");
        return 1;
    }
    if (!dir) {
        std::fprintf(stderr, "SKIPPED: GEOPLEX_TEST_DATA is not set; export GEOPLEX_TEST_DATA=/path/to/shared/data "
                             "to run the tests on real data\n");
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
