#include <catch2/catch.hpp>
#include <fstream>
#include <numeric>
#include <vector>
#include <zlib.h>

#include "geoplex/core/error.hpp"
#include "geoplex/core/file_format.hpp"
#include "support/test_data.hpp"

using namespace geoplex;
using namespace geoplex::core;

namespace {
std::filesystem::path write_sample(const std::filesystem::path& path, std::size_t n) {
    std::vector<std::uint32_t> v(n);
    std::iota(v.begin(), v.end(), 7U);
    IndexFileWriter w(path, "GPXTEST", 3);
    w.write_value(std::uint32_t{42});
    w.pad_to(8);
    w.write_array(std::span<const std::uint32_t>(v));
    w.finish();
    return path;
}
void flip_byte(const std::filesystem::path& path, std::streamoff offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(offset);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5A);
    f.seekp(offset);
    f.write(&c, 1);
}
}  // namespace

TEST_CASE("index files round-trip and their checksum equals zlib's CRC-32") {
    test::TempDir dir;
    const auto path = write_sample(dir / "a.idx", 1000);
    CHECK_FALSE(std::filesystem::exists(dir / "a.idx.tmp"));
    IndexFile f(path, "GPXTEST", 3, true);
    REQUIRE(f.payload().size() == 8 + 4000);
    const auto* words = reinterpret_cast<const std::uint32_t*>(f.payload().data() + 8);
    CHECK(words[0] == 7U);
    CHECK(words[999] == 1006U);
    CHECK(reinterpret_cast<std::uintptr_t>(f.payload().data()) % 8 == 0);
    // Independent checksum: zlib's crc32 over the payload bytes.
    const auto zcrc = ::crc32(0L, reinterpret_cast<const Bytef*>(f.payload().data()), static_cast<uInt>(f.payload().size()));
    CHECK(f.header().payload_checksum == zcrc);
}

TEST_CASE("corrupt, truncated and foreign files are rejected with a clear error") {
    test::TempDir dir;
    const auto path = write_sample(dir / "a.idx", 100);

    SECTION("wrong magic") { CHECK_THROWS_WITH(IndexFile(path, "GPXOTHER", 3, false), Catch::Contains("wrong magic")); }
    SECTION("wrong version") {
        try {
            IndexFile(path, "GPXTEST", 4, false);
            FAIL("no exception");
        } catch (const FormatError& e) {
            CHECK(e.code() == errc::version_mismatch);
            CHECK_THAT(e.what(), Catch::Contains("version 3"));
        }
    }
    SECTION("flipped payload byte") {
        flip_byte(path, 64 + 20);
        CHECK_NOTHROW(IndexFile(path, "GPXTEST", 3, false));  // not verified: opens
        try {
            IndexFile(path, "GPXTEST", 3, true);
            FAIL("no exception");
        } catch (const FormatError& e) {
            CHECK(e.code() == errc::checksum_mismatch);
        }
    }
    SECTION("truncated") {
        std::filesystem::resize_file(path, 64 + 100);
        CHECK_THROWS_WITH(IndexFile(path, "GPXTEST", 3, false), Catch::Contains("truncated"));
        std::filesystem::resize_file(path, 10);
        CHECK_THROWS_WITH(IndexFile(path, "GPXTEST", 3, false), Catch::Contains("truncated"));
    }
    SECTION("missing") { CHECK_THROWS_AS(IndexFile(dir / "nope.idx", "GPXTEST", 3, false), IoError); }
}

TEST_CASE("MappedFile is move-only and maps empty files") {
    test::TempDir dir;
    { std::ofstream(dir / "empty"); }
    MappedFile e(dir / "empty");
    CHECK(e.size() == 0);
    { std::ofstream(dir / "x") << "hello"; }
    MappedFile a(dir / "x");
    MappedFile b(std::move(a));
    CHECK(b.size() == 5);
    CHECK(std::string(reinterpret_cast<const char*>(b.data()), b.size()) == "hello");
    CHECK(a.size() == 0);  // NOLINT(bugprone-use-after-move): moved-from state is specified
}
