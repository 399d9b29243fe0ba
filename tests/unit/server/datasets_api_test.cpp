// /api/datasets over HTTP (in-process Router): the search with facets checked against a
// brute-force filter of the datasets the test created (visibility rules included), parameter
// validation (400 with every problem listed), one sheet per visibility case, and the producer
// writes (POST / PUT / PATCH / DELETE) with their access cases and audit events.

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "geoplex/catalog/publishing.hpp"
#include "geoplex/server/catalog_api.hpp"
#include "support/test_data.hpp"
#include "unit/server/catalog_test_support.hpp"

using json = nlohmann::json;
using namespace geoplex;
using namespace geoplex::server;

namespace {

constexpr const char* admin_token = "datasets-admin-token";

using Reply = test::ApiReply;

const std::vector<std::string> k_words{"réseau", "routier", "forêt", "hydrographie", "bâtiment", "relief", "cadastre"};
const std::vector<std::string> k_themes{"Transports", "Hydrographie", "Occupation du sol"};
const std::vector<std::string> k_producers{"IGN", "Cerema", "O'Reilly & Fils"};

/// producer_a (PRODUCER, community A), member_a (community A, no role), producer_b (PRODUCER,
/// community B), stranger; 90 random datasets over datastores A and B with every sharing.
struct World {
    test::TempDir dir{"geoplex-datasets-api"};
    std::shared_ptr<catalog::Catalog> catalog;
    Router router;
    std::string producer_a, member_a, producer_b, stranger;
    std::string ds_a, ds_b;
    std::vector<catalog::Dataset> records;

    World() {
        catalog = std::make_shared<catalog::Catalog>(test::catalog_config(dir, admin_token));
        add_catalog_routes(router, catalog);
        const test::CatalogPeople people(*catalog, admin_token);
        producer_a = people.producer_a;
        member_a = people.member_a;
        producer_b = people.producer_b;
        stranger = people.stranger;
        ds_a = people.a.datastore;
        ds_b = people.b.datastore;
        std::mt19937 rng(42);
        const auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
        for (int i = 0; i < 90; ++i) {
            catalog::Dataset d;
            d.datastore = i % 3 == 0 ? ds_b : ds_a;
            d.title = pick(k_words) + " " + pick(k_words);
            d.abstract = pick(k_words);
            d.keywords = {pick(k_words)};
            d.themes = {pick(k_themes)};
            d.producer = pick(k_producers);
            d.formats = {i % 2 ? "WMTS" : "WFS"};
            d.licence = i % 4 ? "etalab-2.0" : "ODbL-1.0";
            d.publication_date = std::to_string(2020 + i % 4) + "-05-01";
            d.open_data = i % 5 != 0;
            d.sharing = static_cast<catalog::Sharing>(rng() % 3);
            if (i % 4) d.bbox = catalog::GeoBox{-5.0 + i % 10, 42.0 + i % 7, -4.0 + i % 10, 43.0 + i % 7};
            d.modified = "2025-01-01T00:00:" + std::to_string(10 + (i * 7) % 50) + "Z";
            records.push_back(catalog->store().create(d));
        }
    }

    Reply call(const std::string& method, const std::string& target, const std::string& token, const std::string& body = {}) {
        Fields headers;
        if (!token.empty()) headers.emplace_back("authorization", "Bearer " + token);
        return test::handle(router, method, "/api" + target, body, std::move(headers));
    }
    Reply api(const std::string& method, const std::string& target, const std::string& token, const json& body = nullptr) {
        return call(method, target, token, body.is_null() ? std::string() : body.dump());
    }
    std::uint64_t audits(const std::string& action) {
        return catalog->store().list<catalog::AuditEvent>({{"entity", "dataset"}, {"action", action}}, {0, 0}).total;
    }
};

std::set<std::string> ids_of(const json& list) {
    std::set<std::string> out;
    for (const auto& x : list) out.insert(x["_id"].get<std::string>());
    return out;
}

/// The brute-force reference: the datasets `keep` accepts, with text matched on analysed terms.
std::vector<catalog::Dataset> brute(const std::vector<catalog::Dataset>& all, const std::string& text,
                                    const std::function<bool(const catalog::Dataset&)>& keep) {
    std::vector<catalog::Dataset> out;
    const auto want = catalog::analyze(text);
    for (const auto& d : all) {
        std::set<std::string> have;
        for (const auto* s : {&d.title, &d.abstract})
            for (auto& t : catalog::analyze(*s)) have.insert(t);
        for (const auto& k : d.keywords)
            for (auto& t : catalog::analyze(k)) have.insert(t);
        if (std::all_of(want.begin(), want.end(), [&](const std::string& w) { return have.count(w) > 0; }) && keep(d))
            out.push_back(d);
    }
    return out;
}

}  // namespace

TEST_CASE("datasets api: search, visibility and facets against a brute-force filter") {
    World w;
    using catalog::Sharing;
    const auto is_public = [](const catalog::Dataset& d) { return d.sharing == Sharing::public_; };

    // Anonymous: PUBLIC datasets only, with the facet counts of that set.
    auto r = w.api("GET", "/datasets?limit=1000", "");
    REQUIRE(r.status == 200);
    auto expected = brute(w.records, "", is_public);
    CHECK(r.js()["total"] == expected.size());
    CHECK(ids_of(r.js()["datasets"]) == ids_of(json(expected)));
    std::map<std::string, std::uint64_t> themes;
    for (const auto& d : expected) ++themes[d.themes.at(0)];
    std::map<std::string, std::uint64_t> got;
    const json page = r.js();  // (a range-for over r.js()[…] would dangle)
    for (const auto& f : page["facets"]["theme"]) got[f["value"].get<std::string>()] = f["count"].get<std::uint64_t>();
    CHECK(got == themes);
    for (const char* f : {"theme", "producer", "format", "licence", "keyword", "year"}) CHECK(r.js()["facets"].contains(f));

    // Text, filters (repeated = OR), bbox, open data.
    r = w.api("GET", "/datasets?q=RESEAUX&theme=Transports&theme=Hydrographie&year=2021&year=2022&open_data=true&limit=1000", "");
    REQUIRE(r.status == 200);
    expected = brute(w.records, "réseau", [&](const catalog::Dataset& d) {
        const auto y = d.publication_date.substr(0, 4);
        return is_public(d) && (d.themes[0] == "Transports" || d.themes[0] == "Hydrographie") && (y == "2021" || y == "2022") &&
               d.open_data;
    });
    CHECK(r.js()["total"] == expected.size());
    CHECK(ids_of(r.js()["datasets"]) == ids_of(json(expected)));
    const json scored = r.js();
    for (const auto& d : scored["datasets"]) CHECK(d.contains("score"));
    r = w.api("GET", "/datasets?bbox=-3,43,0,45&producer=O%27Reilly%20%26%20Fils&limit=1000", "");
    REQUIRE(r.status == 200);
    const catalog::GeoBox box{-3, 43, 0, 45};
    expected = brute(w.records, "", [&](const catalog::Dataset& d) {
        return is_public(d) && d.producer == "O'Reilly & Fils" && d.bbox && d.bbox->intersects(box);
    });
    CHECK(ids_of(r.js()["datasets"]) == ids_of(json(expected)));

    // Pages sorted by title: page 2 of 5 is the brute-force ranking's slice.
    r = w.api("GET", "/datasets?sort=title&page=2&limit=5", "");
    REQUIRE(r.status == 200);
    expected = brute(w.records, "", is_public);
    std::sort(expected.begin(), expected.end(), [](const catalog::Dataset& a, const catalog::Dataset& b) {
        const auto fa = catalog::fold(a.title), fb = catalog::fold(b.title);
        return fa != fb ? fa < fb : a.id < b.id;
    });
    REQUIRE(expected.size() >= 10);
    REQUIRE(r.js()["datasets"].size() == 5);
    for (std::size_t i = 0; i < 5; ++i) CHECK(r.js()["datasets"][i]["_id"] == expected[5 + i].id);
    CHECK(r.js()["page"] == 2);
    CHECK(r.js()["limit"] == 5);

    // Administrators see every sharing; members search their datastore; others are refused.
    r = w.api("GET", "/datasets?limit=1000", admin_token);
    CHECK(r.js()["total"] == w.records.size());
    r = w.api("GET", "/datasets?limit=1000&datastore=" + w.ds_a, w.member_a);
    REQUIRE(r.status == 200);
    expected = brute(w.records, "", [&](const catalog::Dataset& d) { return d.datastore == w.ds_a; });
    CHECK(ids_of(r.js()["datasets"]) == ids_of(json(expected)));
    CHECK(w.api("GET", "/datasets?datastore=" + w.ds_a, w.producer_b).status == 403);
    CHECK(w.api("GET", "/datasets?datastore=" + w.ds_a, "").status == 401);
    CHECK(w.api("GET", "/datasets", "not-a-token").status == 401);
    // A non-administrator without datastore= sees the public catalogue like anonymous users.
    CHECK(w.api("GET", "/datasets?limit=0", w.stranger).status == 400);  // limit 0 is invalid
    CHECK(w.api("GET", "/datasets?limit=1", w.stranger).js()["total"] == brute(w.records, "", is_public).size());

    // Bad parameters: 400 listing every problem.
    r = w.api("GET", "/datasets?bbox=1,2,3&limit=5000&sort=best&open_data=maybe&year=20x&page=0", "");
    REQUIRE(r.status == 400);
    const auto details = r.js()["error"]["details"];
    CHECK(details.size() >= 6);
    CHECK(w.api("GET", "/datasets?bbox=10,0,0,1", "").status == 400);  // inverted
    CHECK(w.api("GET", "/datasets?theme=", "").status == 400);         // empty filter value
    CHECK(w.api("GET", "/datasets?q=%22%27%3B%20DROP%20TABLE%20dataset%3B%20--", "").js()["total"] == 0);
}

TEST_CASE("datasets api: one sheet and the producer writes") {
    World w;
    using catalog::Sharing;
    const auto find = [&](Sharing s, const std::string& ds) {
        for (const auto& d : w.records)
            if (d.sharing == s && d.datastore == ds) return d;
        FAIL("no such dataset");
        return catalog::Dataset{};
    };
    const auto pub = find(Sharing::public_, w.ds_a);
    const auto priv = find(Sharing::private_, w.ds_a);

    // Reading: PUBLIC for all; others for members and administrators (403 others, 404 without a token).
    auto r = w.api("GET", "/datasets/" + pub.id, "");
    REQUIRE(r.status == 200);
    CHECK(r.js()["title"] == pub.title);
    CHECK(r.js()["links"].size() == 3);
    CHECK(w.api("GET", "/datasets/" + priv.id, "").status == 404);
    CHECK(w.api("GET", "/datasets/" + priv.id, w.producer_b).status == 403);
    CHECK(w.api("GET", "/datasets/" + priv.id, w.member_a).status == 200);
    CHECK(w.api("GET", "/datasets/" + priv.id, admin_token).status == 200);
    CHECK(w.api("GET", "/datasets/" + catalog::new_id(), admin_token).status == 404);
    CHECK(w.api("GET", "/datasets/not-a-uuid", admin_token).status == 404);

    // Creating: producers of the datastore only.
    const json sheet{{"datastore", w.ds_a}, {"title", "Chemins de halage"}, {"abstract", "Le long des canaux"},
                     {"themes", {"Transports"}}, {"sharing", "PUBLIC"}, {"bbox", {{"west", 1}, {"south", 45}, {"east", 2}, {"north", 46}}}};
    CHECK(w.api("POST", "/datasets", "", sheet).status == 401);
    CHECK(w.api("POST", "/datasets", w.member_a, sheet).status == 403);    // no PRODUCER role
    CHECK(w.api("POST", "/datasets", w.producer_b, sheet).status == 403);  // not in community A
    r = w.api("POST", "/datasets", w.producer_a, json{{"datastore", w.ds_a}, {"quality", 300}, {"bbox", {{"west", 5}, {"south", 1}, {"east", 1}, {"north", 2}}}});
    REQUIRE(r.status == 400);
    CHECK(r.js()["error"]["details"].size() == 3);  // title, quality, bbox
    CHECK(w.call("POST", "/datasets", w.producer_a, "{not json").status == 400);
    CHECK(w.call("POST", "/datasets", w.producer_a, "[1]").status == 400);
    CHECK(w.audits("create") == 0);
    r = w.api("POST", "/datasets", w.producer_a, sheet);
    REQUIRE(r.status == 201);
    const std::string id = r.js()["_id"];
    CHECK(r.header("Location") == "/api/datasets/" + id);
    CHECK(w.audits("create") == 1);
    // The search sees it at once (the in-memory index follows the change log).
    r = w.api("GET", "/datasets?q=halage", "");
    REQUIRE(r.js()["total"] == 1);
    CHECK(r.js()["datasets"][0]["_id"] == id);

    // Replacing and patching.
    json replaced = sheet;
    replaced["title"] = "Voies navigables";
    CHECK(w.api("PUT", "/datasets/" + id, w.producer_b, replaced).status == 403);
    CHECK(w.api("PUT", "/datasets/" + id, w.producer_a, json{{"_id", pub.id}, {"title", "x"}, {"datastore", w.ds_a}}).status == 400);
    r = w.api("PUT", "/datasets/" + id, w.producer_a, replaced);
    REQUIRE(r.status == 200);
    CHECK(r.js()["title"] == "Voies navigables");
    CHECK(w.api("GET", "/datasets?q=halage", "").js()["total"] == 0);
    CHECK(w.api("GET", "/datasets?q=navigable", "").js()["total"] == 1);
    r = w.api("PATCH", "/datasets/" + id, w.producer_a, json{{"keywords", {"péniche"}}, {"sharing", "PRIVATE"}});
    REQUIRE(r.status == 200);
    CHECK(r.js()["title"] == "Voies navigables");  // untouched fields stay
    CHECK(r.js()["keywords"] == json::array({"péniche"}));
    CHECK(w.api("GET", "/datasets?q=peniches", "").js()["total"] == 0);  // now PRIVATE
    CHECK(w.api("GET", "/datasets?q=peniches&datastore=" + w.ds_a, w.producer_a).js()["total"] == 1);
    CHECK(w.api("PATCH", "/datasets/" + id, w.producer_a, json{{"datastore", w.ds_b}}).status == 403);  // not a member of B
    CHECK(w.audits("update") == 1);
    CHECK(w.audits("patch") == 1);

    // Deleting.
    CHECK(w.api("DELETE", "/datasets/" + id, w.producer_b).status == 403);
    CHECK(w.api("DELETE", "/datasets/" + id, w.producer_a).status == 204);
    CHECK(w.api("GET", "/datasets/" + id, admin_token).status == 404);
    CHECK(w.api("DELETE", "/datasets/" + id, w.producer_a).status == 404);
    CHECK(w.audits("delete") == 1);
    CHECK(w.api("GET", "/datasets?limit=1000", admin_token).js()["total"] == w.records.size());
}
