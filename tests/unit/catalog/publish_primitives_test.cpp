// Catalog publishing primitives that need no store: secrets (checked against published test
// vectors), Lua patterns (cases worked out from the Lua 5.4 manual), IP/CIDR matching, key rules,
// the upload area's path validation, quotas and symlink refusal, and table/column name cleaning.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "catalog/publishing_impl.hpp"
#include "catalog/upload_area.hpp"
#include "geoplex/catalog/access.hpp"
#include "geoplex/core/error.hpp"
#include "support/test_data.hpp"

namespace fs = std::filesystem;
using namespace geoplex;
using namespace geoplex::catalog;

namespace {
std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
}  // namespace

TEST_CASE("digests match the published test vectors", "[catalog][keys]") {
    // FIPS 180-2 and RFC 1321 vectors.
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(md5_hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
}

TEST_CASE("stored secrets verify with their own salt and iterations", "[catalog][keys]") {
    // PBKDF2-HMAC-SHA256 vector (P="password", S="salt", c=1, dkLen=32), as a stored string.
    const std::string pbkdf2 = "pbkdf2-sha256$1$73616c74$120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b";
    CHECK(verify_secret("password", pbkdf2));
    CHECK_FALSE(verify_secret("passwore", pbkdf2));
    // Salted SHA-256 is sha256(salt || secret): salt "ab" + secret "c" = sha256("abc").
    const std::string salted = "sha256$6162$ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    CHECK(verify_secret("c", salted));
    CHECK_FALSE(verify_secret("abc", salted));

    for (auto scheme : {SecretScheme::salted_sha256, SecretScheme::pbkdf2_sha256}) {
        const std::string a = hash_secret("s3cret-value", scheme, 1000), b = hash_secret("s3cret-value", scheme, 1000);
        CHECK(a != b);  // fresh salt each time
        CHECK(a.find("s3cret") == std::string::npos);
        CHECK(verify_secret("s3cret-value", a));
        CHECK(verify_secret("s3cret-value", b));
        CHECK_FALSE(verify_secret("s3cret-valuE", a));
        CHECK_FALSE(verify_secret("", a));
    }
    for (const char* bad : {"", "sha256$zz$00", "pbkdf2-sha256$0$00$00", "pbkdf2-sha256$x$00$00", "md5$00$00", "sha256$00"})
        CHECK_FALSE(verify_secret("anything", bad));
    CHECK(random_hex(16).size() == 32);
    CHECK(random_hex(16) != random_hex(16));
}

TEST_CASE("Lua patterns behave as string.find", "[catalog][keys]") {
    struct Case {
        const char* subject;
        const char* pattern;
        bool found;
    };
    const Case cases[] = {
        {"https://monsite.fr/page", "https://monsite%.fr", true},
        {"https://monsiteXfr/page", "https://monsite%.fr", false},
        {"https://monsiteXfr/page", "https://monsite.fr", true},  // unescaped '.' is any character
        {"Mozilla/5.0 QGIS/3.34", "QGIS/3%.%d+", true},
        {"QGIS/3.x", "QGIS/3%.%d+", false},
        {"https://a.fr", "^https://", true},
        {"xhttps://a.fr", "^https://", false},
        {"abc.fr", "%.fr$", true},
        {"abc.fr/x", "%.fr$", false},
        {"v2", "v[0-9]", true},
        {"vx", "v[^x]", false},
        {"a-b", "a%-b", true},
        {"ab", "a%-b", false},
        {"<a><b>", "^<.->$", true},
        {"<a><b>x", "^<.->$", false},
        {"abab", "(ab)%1", true},
        {"abac", "^(ab)%1", false},
        {"f(a(b)c)", "%b()", true},
        {"f(a", "%b()", false},
        {"THE (quick) fox", "%f[%a]%a+", true},
        {"123", "%f[%a]%a+", false},
        {"colour", "colou?r", true},
        {"color", "colou?r", true},
        {"anything", "", true},
        {"", "^$", true},
        {"x", "^$", false},
        {"tab\there", "%s", true},
        {"nospace", "%s", false},
        {"ABC", "^%u+$", true},
        {"AbC", "^%u+$", false},
        {"a]b", "[]]", true},
    };
    for (const auto& c : cases) {
        INFO(c.subject << " ~ " << c.pattern);
        CHECK(lua_pattern_find(c.subject, c.pattern) == c.found);
    }
    for (const char* bad : {"abc%", "[abc", "(ab", "ab)", "%b"}) {
        INFO(bad);
        CHECK_THROWS_AS(check_lua_pattern(bad), InvalidArgument);
    }
    CHECK_NOTHROW(check_lua_pattern("https://monsite%.fr"));
}

TEST_CASE("IP addresses and CIDR blocks", "[catalog][keys]") {
    CHECK(ip_matches("192.168.1.7", "192.168.0.0/16"));
    CHECK_FALSE(ip_matches("192.169.0.1", "192.168.0.0/16"));
    CHECK(ip_matches("10.1.2.3", "10.1.2.3"));
    CHECK_FALSE(ip_matches("10.1.2.4", "10.1.2.3"));
    CHECK(ip_matches("10.1.2.3", "10.1.2.0/30"));  // .0-.3
    CHECK_FALSE(ip_matches("10.1.2.4", "10.1.2.0/30"));
    CHECK(ip_matches("8.8.8.8", "0.0.0.0/0"));
    CHECK(ip_matches("2001:db8::1", "2001:db8::/32"));
    CHECK_FALSE(ip_matches("2001:db9::1", "2001:db8::/32"));
    CHECK(ip_matches("::ffff:10.0.0.1", "10.0.0.0/8"));
    CHECK_FALSE(ip_matches("not-an-ip", "10.0.0.0/8"));
    CHECK_FALSE(valid_ip_entry("10.0.0.0/33"));
    CHECK_FALSE(valid_ip_entry("10.0.0.0/"));
    CHECK_FALSE(valid_ip_entry("example.org"));
    CHECK(valid_ip_entry("2001:db8::/128"));
}

TEST_CASE("key rules: deny list first, then allow list, referer and user agent", "[catalog][keys]") {
    KeyRules r;
    r.whitelist = {"10.0.0.0/8"};
    r.blacklist = {"10.6.6.6"};
    r.referer = "^https://carto%.example%.fr/";
    CHECK(r.validate().empty());
    CHECK(check_rules(r, "10.1.1.1", "https://carto.example.fr/map", "") == RuleVerdict::allowed);
    CHECK(check_rules(r, "10.6.6.6", "https://carto.example.fr/map", "") == RuleVerdict::ip_blacklisted);
    CHECK(check_rules(r, "192.0.2.1", "https://carto.example.fr/map", "") == RuleVerdict::ip_not_whitelisted);
    CHECK(check_rules(r, "10.1.1.1", "https://cartoXexample.fr/map", "") == RuleVerdict::referer_mismatch);
    CHECK(check_rules(r, "10.1.1.1", "", "") == RuleVerdict::referer_mismatch);
    r.referer.clear();
    r.user_agent = "QGIS";
    CHECK(check_rules(r, "10.1.1.1", "", "Mozilla/5.0 QGIS/3.34") == RuleVerdict::allowed);
    CHECK(check_rules(r, "10.1.1.1", "", "curl/8") == RuleVerdict::user_agent_mismatch);

    KeyRules bad;
    bad.whitelist = {"300.1.1.1"};
    bad.referer = "[oops";
    CHECK(bad.validate().size() == 2);
}

TEST_CASE("upload paths: relative, no traversal, sane names", "[catalog][upload]") {
    test::TempDir dir("geoplex-upload");
    detail::UploadArea area(dir.path());
    CHECK(area.validate_path("data/monde.gpkg") == "data/monde.gpkg");
    CHECK(area.validate_path("données/région 1.geojson") == "données/région 1.geojson");
    for (const char* bad : {"", "../x", "a/../../b", "..", "a/./b", "/etc/passwd", "a//b", "a\\b", "C:x", "a/b/",
                            "x\x01y", "q?.gpkg", " lead.gpkg"}) {
        INFO(bad);
        CHECK_THROWS_AS((void)area.validate_path(bad), InvalidArgument);
    }
    CHECK_THROWS_AS((void)area.validate_path(std::string(600, 'a')), InvalidArgument);
    CHECK_THROWS_AS((void)area.dir("../etc"), InvalidArgument);
    CHECK_THROWS_AS((void)area.dir("a/b"), InvalidArgument);
}

TEST_CASE("upload writes: budget before and while writing, nothing half-written", "[catalog][upload]") {
    test::TempDir dir("geoplex-upload");
    detail::UploadArea area(dir.path());
    const std::string id = "0b6f5a8e-1111-4222-8333-444455556666";
    CHECK(area.write(id, "data/a.txt", std::string_view("hello world"), 100) == 11);
    CHECK(read_file(area.dir(id) / "data/a.txt") == "hello world");
    CHECK(area.size(id) == 11);

    SECTION("declared size over the budget: refused before any byte") {
        bool asked = false;
        try {
            area.write(id, "data/b.txt", 50, 10, [&](std::string&) {
                asked = true;
                return false;
            });
            FAIL("expected limit_exceeded");
        } catch (const Error& e) {
            CHECK(e.code() == errc::limit_exceeded);
        }
        CHECK_FALSE(asked);
        CHECK_FALSE(fs::exists(area.dir(id) / "data/b.txt"));
    }
    SECTION("a stream longer than declared is stopped while writing; the old file stays") {
        int calls = 0;
        CHECK_THROWS_AS(area.write(id, "data/a.txt", 5, 8, [&](std::string& chunk) {
            chunk = "0123456789";
            return ++calls <= 3;
        }),
                        Error);
        CHECK(read_file(area.dir(id) / "data/a.txt") == "hello world");
        for (const auto& e : fs::directory_iterator(area.dir(id) / "data")) CHECK(e.path().filename().string().rfind(".part-", 0) != 0);
    }
    SECTION("replacing a file gives its bytes back to the budget") {
        // 11 bytes held, budget 0 more: a 11-byte replacement fits, 12 does not.
        CHECK(area.write(id, "data/a.txt", std::string_view("HELLO WORLD"), 0) == 11);
        CHECK_THROWS_AS(area.write(id, "data/a.txt", std::string_view("HELLO WORLD!"), 0), Error);
        CHECK(read_file(area.dir(id) / "data/a.txt") == "HELLO WORLD");
    }
    SECTION("a symlink inside the upload cannot lead out") {
        test::TempDir outside("geoplex-outside");
        fs::create_symlink(outside.path(), area.dir(id) / "link");
        CHECK_THROWS_AS(area.write(id, "link/evil.txt", std::string_view("x"), 100), InvalidArgument);
        CHECK(fs::is_empty(outside.path()));
    }
    SECTION("tree and md5") {
        area.write(id, "data/a.txt.md5", std::string_view("5eb63bbbe01eeed093cb22bb8f5acdc3  a.txt\n"), 100);  // md5("hello world")
        area.write(id, "b.txt", std::string_view("abc"), 100);
        area.write(id, "b.txt.md5", std::string_view("00000000000000000000000000000000"), 100);
        const auto tree = area.tree(id);
        REQUIRE(tree.size() == 5);
        CHECK(tree[0].path == "b.txt");
        CHECK(tree[2].path == "data");
        CHECK(tree[2].directory);
        CHECK(tree[2].size == 11 + 40);
        const auto md5 = area.verify_md5(id);
        REQUIRE(md5.size() == 2);
        CHECK_FALSE(md5[0].ok);  // b.txt
        CHECK(md5[0].message.find("900150983cd24fb0d6963f7d28e17f72") != std::string::npos);
        CHECK(md5[1].ok);  // data/a.txt
    }
}

TEST_CASE("stored table and column names are folded", "[catalog][processing]") {
    CHECK(detail::clean_name("Code-Départ") == "code_depart");
    CHECK(detail::clean_name("NOM_COMMUNE") == "nom_commune");
    CHECK(detail::clean_name("Œuvre ÀÉÎÕÜ") == "oeuvre_aeiou");
    CHECK(detail::clean_name("2019") == "t_2019");
    CHECK(detail::clean_name("a\xe2\x82\xac" "b") == "a_b");  // '€' is one '_'
}
