// Main of the test binaries that read real data from GEOPLEX_TEST_DATA (../shared/data).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>

#include "support/test_data.hpp"

int main(int argc, char* argv[]) {
    const auto dir = geoplex::test::test_data_dir();
    if (!dir) {
#if GEOPLEX_REQUIRE_TEST_DATA
        std::fprintf(stderr, "FAILED: GEOPLEX_TEST_DATA is not set or is not a directory; these tests need "
                             "the real data in ../shared/data (export GEOPLEX_TEST_DATA=/path/to/shared/data)\n");
        return 1;
#else
        std::fprintf(stderr, "SKIPPED: GEOPLEX_TEST_DATA is not set; export GEOPLEX_TEST_DATA=/path/to/shared/data "
                             "to run the tests on real data\n");
        return 77;
#endif
    }
    return Catch::Session().run(argc, argv);
}
