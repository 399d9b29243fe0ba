// Self-contained geocoder tests: normalisation, a small hand-written BAN CSV (every expected
// answer is written by hand below), reverse on a drawn grid, batch CSV, spec parsing, errors.

#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "geocoder/format.hpp"
#include "geocoder/spec.hpp"
#include "geoplex/core/error.hpp"
#include "geoplex/geocoder/geocoder.hpp"
#include "geoplex/geocoder/text.hpp"
#include "support/test_data.hpp"

using namespace geoplex;
using namespace geoplex::geocoder;

TEST_CASE("fold: accents, case, ligatures, punctuation", "[geocoder][text]") {
    CHECK(fold("Allée de l'Église") == "allee de l eglise");
    CHECK(fold("  AVENUE   du Général-de-Gaulle ") == "avenue du general de gaulle");
    CHECK(fold("Cœur Œuvre Æther") == "coeur oeuvre aether");
    CHECK(fold("Rue d’Alsace") == "rue d alsace");
    CHECK(fold("Straße") == "strasse");
    CHECK(fold("N°12, bd. St-Michel") == "n 12 bd st michel");  // ° is a symbol, not a letter
    CHECK(fold("") == "");
    CHECK(fold("\xFF\xFE" "abc") == "abc");  // invalid UTF-8 is a separator, not a failure
}

TEST_CASE("tokenize: abbreviations, stop words, postal noise, glued suffixes", "[geocoder][text]") {
    using V = std::vector<std::string>;
    CHECK(tokenize("12 Av. du Gal de Gaulle") == V{"12", "avenue", "general", "gaulle"});
    CHECK(tokenize("bd St Germain") == V{"boulevard", "saint", "germain"});
    CHECK(tokenize("Ste Anne") == V{"sainte", "anne"});
    CHECK(tokenize("3 r de la Paix") == V{"3", "rue", "paix"});
    CHECK(tokenize("12bis rue X") == V{"12", "bis", "rue", "x"});
    CHECK(tokenize("12 ter rue X") == V{"12", "ter", "rue", "x"});       // suffix, not "terrasse"
    CHECK(tokenize("ter rue X") == V{"terrasse", "rue", "x"});
    CHECK(tokenize("4 a rue X") == V{"4", "a", "rue", "x"});            // suffix letter, not the stop word
    CHECK(tokenize("rue a X") == V{"rue", "x"});
    CHECK(tokenize("75 Rue X 75008 PARIS CEDEX 08") == V{"75", "rue", "x", "75008", "paris"});
    CHECK(tokenize("BP 123 Mairie") == V{"mairie"});
    CHECK(tokenize("TSA 70011 Rue Y") == V{"rue", "y"});
    CHECK(tokenize("Rue du 8 Mai 1945") == V{"rue", "8", "mai", "1945"});
}

TEST_CASE("abbreviation table is sorted (binary search relies on it)", "[geocoder][text]") {
    // Every documented abbreviation must be found; a mis-sorted table loses some of them.
    const std::pair<const char*, const char*> expected[] = {
        {"all", "allee"}, {"av", "avenue"}, {"ave", "avenue"}, {"bd", "boulevard"}, {"bld", "boulevard"},
        {"blvd", "boulevard"}, {"ch", "chemin"}, {"chem", "chemin"}, {"fbg", "faubourg"}, {"imp", "impasse"},
        {"pl", "place"}, {"pte", "porte"}, {"r", "rue"}, {"rte", "route"}, {"sq", "square"}, {"st", "saint"},
        {"ste", "sainte"}, {"vla", "villa"}, {"vte", "vieille"}, {"mal", "marechal"}, {"gal", "general"}};
    for (auto [from, to] : expected) {
        INFO(from);
        CHECK(expand_abbreviation(from) == to);
    }
    CHECK(expand_abbreviation("rue") == "rue");
    CHECK(is_stop_word("de"));
    CHECK_FALSE(is_stop_word("rue"));
}

TEST_CASE("parse_housenumber", "[geocoder][text]") {
    CHECK(parse_housenumber("12") == HouseNumber{12, ""});
    CHECK(parse_housenumber("12 bis") == HouseNumber{12, "bis"});
    CHECK(parse_housenumber("12BIS") == HouseNumber{12, "bis"});
    CHECK(parse_housenumber("5 Ter") == HouseNumber{5, "ter"});
    CHECK(parse_housenumber("7-B") == HouseNumber{7, "b"});
    CHECK(parse_housenumber("96bis") == HouseNumber{96, "bis"});
    CHECK_FALSE(parse_housenumber("rue"));
    CHECK_FALSE(parse_housenumber("12 rue"));
    CHECK_FALSE(parse_housenumber("1234567"));
}

TEST_CASE("edit_distance (Damerau, bounded)", "[geocoder][text]") {
    CHECK(edit_distance("guesde", "guesde", 2) == 0);
    CHECK(edit_distance("guesde", "guesd", 2) == 1);
    CHECK(edit_distance("guesde", "geusde", 2) == 1);  // transposition
    CHECK(edit_distance("guesde", "gaesde", 2) == 1);
    CHECK(edit_distance("kitten", "sitting", 3) == 3);
    CHECK(edit_distance("abcdef", "uvwxyz", 2) == 3);  // capped at max + 1
    CHECK(edit_distance("", "abc", 5) == 3);
}

namespace {

// A tiny commune drawn by hand (lon/lat in degrees; rows ~11 m apart in latitude):
//
//   lat 48.9000  1 Rue de la Paix       1 bis Rue de la Paix (same point)
//   lat 48.9001  3 Rue de la Paix
//   lat 48.9002  2 Avenue Victor Hugo
//   lat 48.9003  4 Avenue Victor Hugo
//   lat 48.9010  10 Allée des Érables   (Saint-Testville, another commune, 99002)
//   lat 48.8900  5 Rue Pasteur         (1.5 km south-west, at lon 2.38)
//
const char* const tiny_csv =
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;"
    "nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;source_position;"
    "source_nom_voie;certification_commune;cad_parcelles\n"
    "99001_paix_00001;;1;;Rue de la Paix;99100;99001;Testville;;;0;0;2.400000;48.900000;;;;;;;;;\n"
    "99001_paix_00001_bis;;1;bis;Rue de la Paix;99100;99001;Testville;;;0;0;2.400000;48.900000;;;;;;;;;\n"
    "99001_paix_00003;;3;;Rue de la Paix;99100;99001;Testville;;;0;0;2.400000;48.900100;;;;;;;;;\n"
    "99001_hugo_00002;;2;;Avenue Victor Hugo;99100;99001;Testville;;;0;0;2.400000;48.900200;;;;;;;;;\n"
    "custom-id-4;;4;;Avenue Victor Hugo;99100;99001;Testville;;;0;0;2.400000;48.900300;;;;;;;;;\n"
    "99001_past_00005;;5;;Rue Pasteur;99100;99001;Testville;;;0;0;2.380000;48.890000;;;;;;;;;\n"
    "99002_erab_00010;;10;;Allée des Érables;99200;99002;Saint-Testville;;;0;0;2.410000;48.901000;;;;;;;;;\n"
    "99002_bad_00011;;11;;Rue Sans Position;99200;99002;Saint-Testville;;;0;0;;;;;;;;;;;\n";

struct Tiny {
    test::TempDir dir{"geoplex-geocoder"};
    BuildStats stats;
    Geocoder geocoder;
    Tiny() : geocoder(build()) {}
    Geocoder build() {
        std::ofstream(dir / "a.csv") << tiny_csv;
        BuildConfig cfg;
        cfg.sources.push_back({SourceFormat::ban_csv, dir / "a.csv"});
        stats = Builder(cfg).build(dir / "geocoder");
        return Geocoder::open(dir / "geocoder");
    }
};

std::vector<Result> search(Query& q, const std::string& text, std::size_t limit = 5) {
    SearchRequest r;
    r.q = text;
    r.limit = limit;
    return q.search(r);
}

}  // namespace

TEST_CASE("build: documents and statistics of a hand-written CSV", "[geocoder]") {
    Tiny t;
    CHECK(t.stats.municipalities == 2);
    CHECK(t.stats.streets == 4);       // the street without any positioned number has no document
    CHECK(t.stats.housenumbers == 7);
    CHECK(t.stats.skipped_rows == 1);
    CHECK(t.geocoder.info().housenumbers == 7);
}

TEST_CASE("search: house numbers, suffixes, ids, labels", "[geocoder]") {
    Tiny t;
    Query q(t.geocoder);
    auto r = search(q, "3 rue de la paix testville");
    REQUIRE_FALSE(r.empty());
    CHECK(r[0].type == DocType::housenumber);
    CHECK(r[0].id == "99001_paix_00003");
    CHECK(r[0].label == "3 Rue de la Paix 99100 Testville");
    CHECK(r[0].housenumber == "3");
    CHECK(r[0].street == "Rue de la Paix");
    CHECK(r[0].citycode == "99001");
    CHECK(r[0].postcode == "99100");
    CHECK(r[0].position.lat == Approx(48.9001).margin(1e-9));
    CHECK(r[0].score > 0.0);
    CHECK(r[0].score <= 1.0);

    r = search(q, "1bis r paix");
    REQUIRE_FALSE(r.empty());
    CHECK(r[0].id == "99001_paix_00001_bis");  // derived id rebuilt from the street id
    CHECK(r[0].housenumber == "1 bis");
    r = search(q, "1 b rue de la paix");        // "b" falls back to "bis" when no "1 b" exists
    REQUIRE_FALSE(r.empty());
    CHECK(r[0].id == "99001_paix_00001_bis");
    r = search(q, "rue de la paix 1");          // number at the end
    REQUIRE_FALSE(r.empty());
    CHECK(r[0].id == "99001_paix_00001");

    r = search(q, "4 av victor hugo");
    REQUIRE_FALSE(r.empty());
    CHECK(r[0].id == "custom-id-4");  // an id that does not follow BAN's scheme is stored as is

    r = search(q, "10 allee des erables st testville");
    REQUIRE_FALSE(r.empty());
    CHECK(r[0].label == "10 Allée des Érables 99200 Saint-Testville");
}

TEST_CASE("search: streets, municipalities, typos, prefixes, filters", "[geocoder]") {
    Tiny t;
    Query q(t.geocoder);
    auto r = search(q, "Avenue Victor Hugo");
    REQUIRE_FALSE(r.empty());
    CHECK(r[0].type == DocType::street);
    CHECK(r[0].name == "Avenue Victor Hugo");
    CHECK(r[0].label == "Avenue Victor Hugo 99100 Testville");

    r = search(q, "Testville");
    REQUIRE_FALSE(r.empty());
    CHECK(r[0].type == DocType::municipality);
    CHECK(r[0].label == "Testville");
    CHECK(r[0].citycode == "99001");

    r = search(q, "avenue victr hugo");  // one deletion
    REQUIRE_FALSE(r.empty());
    CHECK(r[0].name == "Avenue Victor Hugo");

    SearchRequest ac;
    ac.q = "2 avenue vic";
    ac.autocomplete = true;
    r = q.search(ac);
    REQUIRE_FALSE(r.empty());
    CHECK(r[0].id == "99001_hugo_00002");
    // A word being typed that looks like an abbreviation: "pas" (→ passage) on the way to "pasteur".
    ac.q = "5 rue pas";
    r = q.search(ac);
    REQUIRE_FALSE(r.empty());
    CHECK(r[0].id == "99001_past_00005");
    CHECK(r[0].score > 0.8);  // explained by the prefix, not only by "5" and "rue"
    ac.q = "2 avenue vic";
    ac.autocomplete = false;
    r = q.search(ac);
    CHECK((r.empty() || r[0].id != "99001_hugo_00002" || r[0].score < 0.9));

    SearchRequest f;
    f.q = "rue";
    f.filters.citycodes = {"99002"};
    for (const auto& x : q.search(f)) CHECK(x.citycode == "99002");
    f.q = "testville";
    f.filters = {};
    f.filters.types = {DocType::street};
    r = q.search(f);
    REQUIRE_FALSE(r.empty());
    for (const auto& x : r) CHECK(x.type == DocType::street);
    f.filters = {};
    f.filters.city = "saint testville";
    r = q.search(f);
    REQUIRE_FALSE(r.empty());
    for (const auto& x : r) CHECK(x.city == "Saint-Testville");
    f.filters = {};
    f.filters.depcodes = {"98"};
    CHECK(q.search(f).empty());

    CHECK(search(q, "zzzz qqqq").empty());  // a miss is an empty result, not an error
}

TEST_CASE("search: ordering is deterministic and scores are in [0,1]", "[geocoder]") {
    Tiny t;
    Query q1(t.geocoder);
    Query q2(t.geocoder);
    const auto a = search(q1, "rue", 10);
    const auto b = search(q2, "rue", 10);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].id == b[i].id);
        CHECK(a[i].score >= 0.0);
        CHECK(a[i].score <= 1.0);
        if (i > 0) CHECK(a[i - 1].score >= a[i].score);
    }
}

namespace {

// 120 communes (every 5th a "Saint-…") × 60 streets (5 types × 12 names, so that each street
// name recurs in every commune) × numbers 1, 2, 2 bis: ambiguous queries without a city have
// thousands of candidates, "rue" and "saint" are dense terms (bitmaps), and scores tie a lot.
std::string ambiguous_csv() {
    const char* const bases[] = {"Bel", "Mont", "Val", "Roche", "Font", "Ville", "Bour", "Pré"};
    const char* const tails[] = {"ville", "court", "mont", "ac", "y", "ières", "oux", "ans", "eux", "ange", "ais", "elle", "ot", "in", "on"};
    const char* const types[] = {"Rue", "Avenue", "Boulevard", "Impasse", "Place"};
    const char* const names[] = {"du Moulin", "de la Paix", "du Stade", "des Lilas", "du Bois", "Victor Hugo", "Jean Moulin",
                                 "Jean Jaurès", "Pasteur", "Saint-Exupéry", "de la Gare", "du Stade 2"};
    std::string csv(tiny_csv, std::strchr(tiny_csv, '\n') + 1);  // its header
    for (int c = 0; c < 120; ++c) {
        const std::string city = std::string(c % 5 == 0 ? "Saint-" : "") + bases[c % 8] + tails[c / 8 % 15];
        const std::string insee = fmt::format("98{:03d}", c);
        for (int st = 0; st < 60; ++st) {
            const std::string voie = std::string(types[st % 5]) + " " + names[st / 5];
            for (int k = 0; k < 3; ++k) {
                const int number = k == 0 ? 1 : 2;
                const double lon = 2.0 + c * 0.01 + st * 0.0001, lat = 48.0 + (c % 11) * 0.01 + k * 0.00005;
                csv += fmt::format("{}_{:04}_{:05}{};;{};{};{};{};{};{};;;0;0;{:.6f};{:.6f};;;;;;;;;\n", insee, st, number,
                                   k == 2 ? "_bis" : "", number, k == 2 ? "bis" : "", voie, insee, insee, city, lon, lat);
            }
        }
    }
    return csv;
}

}  // namespace

TEST_CASE("search: early termination returns the exhaustive scan's results", "[geocoder]") {
    test::TempDir dir{"geoplex-geocoder-ambiguous"};
    std::ofstream(dir / "a.csv") << ambiguous_csv();
    BuildConfig cfg;
    cfg.sources.push_back({SourceFormat::ban_csv, dir / "a.csv"});
    const auto stats = Builder(cfg).build(dir / "geocoder");
    REQUIRE(stats.streets == 120 * 60);
    const auto geocoder = Geocoder::open(dir / "geocoder");
    Query fast(geocoder), full(geocoder);
    detail::set_exhaustive_scoring(full, true);
    struct Case {
        const char* q;
        bool autocomplete;
    };
    const Case cases[] = {
        {"2 Rue du Moulin", false}, {"Rue du Moulin", false}, {"2 bis Impasse de la Paix", false}, {"1 Avenue Victor Hugo", false},
        {"moulin", false}, {"rue", false}, {"2 rue du mouln", false}, {"Place Jean Jaures 98007", false},
        {"1 Rue du St", true}, {"2 Boulevard du Bo", true}, {"1 Impasse du Mo", true}, {"av victor hu", true},
        {"rue du stade 2", false}, {"2 rue du sta", true}, {"saint exupery", false}, {"1 Place de la G", true},
        {"Rue Saint", true}, {"2 rue jean m", true}};
    std::size_t compared = 0;
    for (const auto& c : cases) {
        for (const std::size_t limit : {1U, 5U, 20U}) {
            for (const bool biased : {false, true}) {
                SearchRequest r;
                r.q = c.q;
                r.autocomplete = c.autocomplete;
                r.limit = limit;
                if (biased) r.bias = LonLat{2.35, 48.04};
                const auto a = fast.search(r);
                const auto b = full.search(r);
                INFO(c.q << " limit " << limit << (biased ? " biased" : ""));
                REQUIRE(a.size() == b.size());
                CHECK_FALSE(a.empty());
                for (std::size_t i = 0; i < a.size(); ++i) {
                    CHECK(a[i].id == b[i].id);
                    CHECK(a[i].score == b[i].score);
                }
                ++compared;
            }
        }
    }
    CHECK(compared == std::size(cases) * 6);
    // The answers themselves: the street of the typed words, with the house number.
    Query q(geocoder);
    const auto hits = search(q, "2 bis Impasse de la Paix 98007");
    REQUIRE_FALSE(hits.empty());
    CHECK(hits[0].id == "98007_0008_00002_bis");
    SearchRequest ac;
    ac.q = "1 Rue du St";
    ac.autocomplete = true;
    for (const auto& x : q.search(ac)) CHECK(x.street.find("Stade") != std::string::npos);
}

TEST_CASE("reverse: nearest, radius, limit, types", "[geocoder]") {
    Tiny t;
    Query q(t.geocoder);
    ReverseRequest r;
    r.point = {2.4, 48.90021};  // ~1.1 m north of 2 Avenue Victor Hugo
    auto res = q.reverse(r);
    REQUIRE(res.size() == 1);
    CHECK(res[0].id == "99001_hugo_00002");
    CHECK(res[0].distance == Approx(1.11).margin(0.02));

    r.point = {2.4, 48.9};  // exactly on "1" and "1 bis": tie broken by index order ("1" first)
    r.limit = 3;
    res = q.reverse(r);
    REQUIRE(res.size() == 3);
    CHECK(res[0].id == "99001_paix_00001");
    CHECK(res[0].distance == 0.0);
    CHECK(res[1].id == "99001_paix_00001_bis");
    CHECK(res[2].id == "99001_paix_00003");

    r.limit = 10;
    r.radius_m = 15.0;  // 1, 1 bis (0 m) and 3 (11.1 m); 2 Av. Victor Hugo is 22 m away
    res = q.reverse(r);
    CHECK(res.size() == 3);

    r.radius_m = std::nullopt;
    r.point = {2.5, 49.5};  // far from everything: still the true nearest (fallback scan)
    r.limit = 1;
    res = q.reverse(r);
    REQUIRE(res.size() == 1);
    CHECK(res[0].id == "99002_erab_00010");

    r.point = {2.4, 48.9};
    r.filters.types = {DocType::municipality};
    res = q.reverse(r);
    REQUIRE(res.size() == 1);
    CHECK(res[0].type == DocType::municipality);
}

TEST_CASE("requests are validated, every problem listed", "[geocoder]") {
    Tiny t;
    Query q(t.geocoder);
    SearchRequest s;
    s.q = " ";
    s.limit = 0;
    s.filters.postcodes = {"123"};
    try {
        (void)q.search(s);
        FAIL("expected InvalidArgument");
    } catch (const InvalidArgument& e) {
        CHECK(e.problems().size() == 3);
    }
    ReverseRequest r;
    r.point = {200, 0};
    CHECK_THROWS_AS(q.reverse(r), InvalidArgument);
}

TEST_CASE("batch CSV: appended columns, quoting, unmatched rows", "[geocoder][batch]") {
    Tiny t;
    Query q(t.geocoder);
    std::istringstream in("id,adresse,cp\n1,\"3 rue de la paix\",99100\n2,zzzz qqqq,\n3,\"4, av victor hugo\",\n");
    std::ostringstream out;
    BatchOptions o;
    o.columns = {"adresse"};
    o.postcode_column = "cp";
    const auto stats = batch_search_csv(q, in, out, o);
    CHECK(stats.rows == 3);
    CHECK(stats.matched == 2);
    std::istringstream lines(out.str());
    std::string line;
    std::getline(lines, line);
    CHECK(line == "id,adresse,cp,latitude,longitude,result_label,result_score,result_type,result_id,"
                  "result_housenumber,result_name,result_postcode,result_city,result_citycode");
    std::getline(lines, line);
    CHECK(line.starts_with("1,\"3 rue de la paix\",99100,48.900100,2.400000,3 Rue de la Paix 99100 Testville,"));
    CHECK(line.ends_with(",housenumber,99001_paix_00003,3,Rue de la Paix,99100,Testville,99001"));
    std::getline(lines, line);
    CHECK(line == "2,zzzz qqqq,,,,,,,,,,,,");
    std::getline(lines, line);
    CHECK(line.find("custom-id-4") != std::string::npos);

    std::istringstream rin("lat;lon\n48.9002;2.4\nabc;2.4\n");
    std::ostringstream rout;
    const auto rs = batch_reverse_csv(q, rin, rout, {});
    CHECK(rs.rows == 2);
    CHECK(rs.matched == 1);
    CHECK(rout.str().find("99001_hugo_00002") != std::string::npos);

    std::istringstream bad("a,b\n1,2\n");
    std::ostringstream sink;
    o.columns = {"missing"};
    CHECK_THROWS_AS(batch_search_csv(q, bad, sink, o), InvalidArgument);
}

TEST_CASE("opening checks the file", "[geocoder]") {
    test::TempDir dir;
    CHECK_THROWS_AS(Geocoder::open(dir.path()), IoError);
    std::ofstream(dir / "address.idx") << "not an index";
    CHECK_THROWS_AS(Geocoder::open(dir.path()), FormatError);
}

TEST_CASE("spec: [geocoder] section", "[geocoder][spec]") {
    test::TempDir dir;
    std::ofstream(dir / "a.csv") << tiny_csv;
    auto t = toml::parse(R"(
        grid_cell_deg = 0.002
        [[sources]]
        format = "ban-csv"
        path = "a.csv"
    )");
    const auto cfg = detail::config_from_toml(t, dir.path());
    REQUIRE(cfg.sources.size() == 1);
    CHECK(cfg.sources[0].path == dir / "a.csv");
    CHECK(cfg.grid_cell_deg == 0.002);

    auto bad = toml::parse(R"(
        colour = 1
        [[sources]]
        format = "shapefile"
        [[sources]]
        path = "missing.csv"
        format = "addok-ndjson"
    )");
    try {
        (void)detail::config_from_toml(bad, dir.path());
        FAIL("expected InvalidArgument");
    } catch (const InvalidArgument& e) {
        // unknown key, bad format, missing path
        CHECK(e.problems().size() == 3);
    }
}
