// The layer search service over HTTP (in-process Router): a catalog publishes offerings from a
// real GeoJSON of $GEOPLEX_TEST_DATA (through the catalog's C++ publishing flow), then
// /recherche/api/indexes/geoplateforme is checked field by field: stemmed text search, filters,
// `shape` against a brute-force box test, aggregation counts recounted from the documents,
// suggest, private visibility (401/403/ok), unpublish, and malformed bodies.

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/catalog/publishing.hpp"
#include "geoplex/server/catalog_api.hpp"
#include "geoplex/server/search_api.hpp"
#include "geoplex/server/server.hpp"
#include "support/test_data.hpp"
#include "unit/server/catalog_test_support.hpp"

using json = nlohmann::json;
using namespace geoplex;
using namespace geoplex::server;

namespace {

constexpr const char* admin_token = "search-admin-token-for-tests";
constexpr const char* root = "/recherche/api/indexes/geoplateforme";

using Reply = test::ApiReply;

struct Layer {
    std::string title, layer, type, endpoint, theme;
    std::vector<std::string> keywords;
    std::array<double, 4> bbox;  // west, south, east, north
    bool open = true;
};

// What the test publishes (the independent reference for every expectation below).
const std::vector<Layer> layers{
    {"Réseau routier", "reseau_routier", "VECTOR-TMS", "geoplex-vector-tms", "Transports", {"routes", "transport"}, {2, 48, 3, 49}},
    {"Limites administratives des départements", "departements_wfs", "WFS", "geoplex-wfs", "Administratif", {"limites", "transport"}, {-5, 42, 8, 51}},
    {"Cours d'eau", "cours_eau", "VECTOR-TMS", "geoplex-vector-tms", "Hydrographie", {"rivières", "limites"}, {4, 44, 5, 45}},
    {"Routes secrètes", "routes_privees", "VECTOR-TMS", "geoplex-private-vector-tms", "Transports", {"routes"}, {1, 46, 2, 47}, false},
};

struct Harness {
    test::TempDir dir{"geoplex-search-api"};
    std::shared_ptr<catalog::Catalog> catalog;
    catalog::Principal admin;
    std::string datastore;
    std::map<std::string, std::string> offering;  // layer → offering id
    Router router;

    Harness() {
        catalog::CatalogConfig c;
        c.data_dir = dir.path();
        c.store_uri = "sqlite:" + (dir.path() / "catalog.sqlite").string();
        c.admin_token = admin_token;
        c.endpoint_quota = 10;
        c.asynchronous = false;
        catalog = std::make_shared<catalog::Catalog>(c);
        add_catalog_routes(router, catalog);
        admin = *catalog->authenticate_bearer(admin_token);
        datastore = catalog->create_community(admin, json{{"name", "IGN"}, {"technical_name", "ign"}}).datastore;

        // Upload → checks → vector-to-db, through the catalog's own calls.
        const auto file = test::data_file("vector/departements-version-simplifiee.geojson");
        std::ifstream in(file, std::ios::binary);
        std::ostringstream bytes;
        bytes << in.rdbuf();
        auto up = catalog->create_upload(admin, datastore, json{{"name", "departements"}, {"type", "VECTOR"}, {"srs", "EPSG:4326"}});
        catalog->add_upload_file(admin, datastore, up.id, "data/departements.geojson", bytes.str(), std::nullopt);
        catalog->close_upload(admin, datastore, up.id);
        catalog->wait_idle();
        auto ex = catalog->create_execution(admin, datastore, json{{"processing", "vector-to-db"}, {"inputs", {{"upload", {up.id}}}},
                                                                   {"output", {{"stored_data", {{"name", "departements"}}}}}});
        ex = catalog->launch_execution(admin, datastore, ex.id);
        catalog->wait_idle();
        const json exj = catalog->store().require<catalog::ProcessingExecution>(ex.id);
        REQUIRE(exj["status"] == "SUCCESS");
        const std::string stored = exj["output"]["stored_data"]["_id"];
        catalog->store().transaction([&](catalog::Store& s) {  // the reference's stored data tags
            auto sd = s.require<catalog::StoredData>(stored);
            sd.tags = {{"producer", "IGN"}, {"production_year", "2023"}};
            s.update(sd);
        });
        const auto relation = catalog->store().require<catalog::StoredData>(stored).relations.at(0).name;

        for (const auto& l : layers) {
            const json used{{"stored_data", stored}, {"relations", json::array({json{{"native_name", relation}}})}};
            const auto cfg = catalog->create_configuration(
                admin, datastore,
                json{{"type", l.type}, {"name", l.layer}, {"layer_name", l.layer},
                     {"type_infos", {{"title", l.title}, {"abstract", "Données de test : " + l.title}, {"keywords", l.keywords},
                                     {"theme", l.theme}, {"used_data", json::array({used})},
                                     {"bbox", {{"west", l.bbox[0]}, {"south", l.bbox[1]}, {"east", l.bbox[2]}, {"north", l.bbox[3]}}}}}});
            const auto o = catalog->publish(admin, datastore, cfg.id, json{{"endpoint", endpoint(l.endpoint)}, {"open", l.open}});
            offering[l.layer] = o.id;
        }
    }

    std::string endpoint(const std::string& technical_name) {
        for (const auto& e : catalog->store().list<catalog::Endpoint>({}, {0, 1000}).items)
            if (e.technical_name == technical_name) return e.id;
        FAIL("no endpoint " << technical_name);
        return {};
    }

    Reply call(const std::string& method, const std::string& target, const std::string& body = {}, Fields headers = {}) {
        headers.emplace_back("host", "search.test");
        return test::handle(router, method, target, body, std::move(headers));
    }
    json search(const json& body, const std::string& prefix = "", const std::string& query = "") {
        const Reply r = call("POST", prefix + root + query, body.dump(), {{"content-type", "application/json"}});
        INFO(body.dump() << " → " << r.body);
        REQUIRE(r.status == 200);
        return r.js();
    }
};

std::set<std::string> layer_names(const json& reply) {
    std::set<std::string> out;
    for (const auto& d : reply["documents"]) out.insert(d["layer_name"].get<std::string>());
    return out;
}

/// The error body of the plain style: {"error":{"code","message"}} with a 400.
void check_400(const Reply& r) {
    INFO(r.body);
    REQUIRE(r.status == 400);
    const json j = r.js();
    CHECK(j["error"]["code"].is_string());
    CHECK(!j["error"]["message"].get<std::string>().empty());
}

}  // namespace

TEST_CASE("layer search: documents, text, filters, shape, aggregations, suggest", "[search][catalog]") {
    Harness h;

    SECTION("every document carries the reference's fields; restricted ones stay out of the open index") {
        const json all = h.search(json::object());
        const std::set<std::string> keys{"id", "offering_id", "index_name", "layer_name", "title", "description", "type", "url",
                                         "open", "theme", "production_years", "publication_date", "keywords", "extent",
                                         "metadata_urls", "srs", "extra", "producers", "highlights"};
        CHECK(all["total"] == 3);
        CHECK(all.contains("aggregations"));
        REQUIRE(all["documents"].size() == 3);
        for (const auto& d : all["documents"]) {
            std::set<std::string> got;
            for (const auto& [k, v] : d.items()) got.insert(k);
            CHECK(got == keys);
            const auto& l = *std::find_if(layers.begin(), layers.end(), [&](const Layer& x) { return x.layer == d["layer_name"]; });
            CHECK(d["id"] == h.offering.at(l.layer));
            CHECK(d["offering_id"] == h.offering.at(l.layer));
            CHECK(d["index_name"] == "geoplateforme");
            CHECK(d["title"] == l.title);
            CHECK(d["type"] == l.type);
            CHECK(d["theme"] == l.theme);
            CHECK(d["keywords"] == json(l.keywords));
            CHECK(d["producers"] == json::array({"IGN"}));
            CHECK(d["production_years"] == json::array({2023}));
            CHECK(d["srs"] == json::array({"EPSG:4326"}));
            CHECK(d["open"] == true);
            CHECK(d["extent"]["type"] == "Polygon");
            CHECK(d["extent"]["coordinates"][0][0] == json::array({l.bbox[0], l.bbox[1]}));
            CHECK(d["extent"]["coordinates"][0][2] == json::array({l.bbox[2], l.bbox[3]}));
            CHECK(d["url"].get<std::string>().starts_with("http://search.test/"));
            CHECK(d["publication_date"].get<std::string>().size() == 10);
        }
        CHECK(layer_names(all).count("routes_privees") == 0);
        // One document by id, and the documents of an offering.
        const std::string id = h.offering.at("cours_eau");
        Reply r = h.call("GET", fmt::format("{}/documents/{}", root, id));
        REQUIRE(r.status == 200);
        CHECK(r.js()["title"] == "Cours d'eau");
        r = h.call("GET", fmt::format("{}/offerings/{}", root, id));
        REQUIRE(r.status == 200);
        CHECK(r.js() == json::array({json{{"id", id}}}));
        CHECK(h.call("GET", fmt::format("{}/documents/nope", root)).status == 404);
        // The restricted document does not exist for the open family.
        CHECK(h.call("GET", fmt::format("{}/documents/{}", root, h.offering.at("routes_privees"))).status == 404);
    }

    SECTION("text goes through French folding and stemming; results are ranked") {
        json r = h.search(json{{"title", "routières"}});
        CHECK(layer_names(r) == std::set<std::string>{"reseau_routier"});
        r = h.search(json{{"title", "DEPARTEMENTS"}});  // case and accents folded
        CHECK(layer_names(r) == std::set<std::string>{"departements_wfs"});
        r = h.search(json{{"description", "cours"}});
        CHECK(layer_names(r) == std::set<std::string>{"cours_eau"});
        // Free text: a word of the title outweighs the same word among the keywords.
        r = h.search(json{{"text", "limites"}});
        REQUIRE(r["documents"].size() == 2);
        CHECK(r["documents"][0]["layer_name"] == "departements_wfs");
        CHECK(r["documents"][1]["layer_name"] == "cours_eau");
        CHECK(r["documents"][0]["score"].get<double>() > r["documents"][1]["score"].get<double>());
        CHECK(layer_names(h.search(json{{"text", "transport"}})) == std::set<std::string>{"reseau_routier", "departements_wfs"});
        r = h.search(json{{"title", "routier"}, {"highlight", true}});
        REQUIRE(r["documents"].size() == 1);
        CHECK(r["documents"][0]["highlights"]["title"] == json::array({"Réseau <em>routier</em>"}));
        CHECK(h.search(json{{"title", "autoroute"}})["total"] == 0);
    }

    SECTION("filters by type, open, theme, keywords, producers, years, dates") {
        CHECK(layer_names(h.search(json{{"type", "WFS"}})) == std::set<std::string>{"departements_wfs"});
        CHECK(layer_names(h.search(json{{"type", "VECTOR-TMS"}})) == std::set<std::string>{"reseau_routier", "cours_eau"});
        CHECK(layer_names(h.search(json{{"type", json::array({"WFS", "VECTOR-TMS"})}})).size() == 3);
        CHECK(h.search(json{{"open", false}})["total"] == 0);
        CHECK(h.search(json{{"open", true}})["total"] == 3);
        CHECK(layer_names(h.search(json{{"theme", "transports"}})) == std::set<std::string>{"reseau_routier"});
        CHECK(layer_names(h.search(json{{"keywords", "rivière"}})) == std::set<std::string>{"cours_eau"});
        CHECK(h.search(json{{"producers", "IGN"}})["total"] == 3);
        CHECK(h.search(json{{"producers", "OSM"}})["total"] == 0);
        CHECK(h.search(json{{"production_years", {{"min", 2020}, {"max", 2023}}}})["total"] == 3);
        CHECK(h.search(json{{"production_years", {{"min", 2024}}}})["total"] == 0);
        CHECK(h.search(json{{"publication_date", {{"min_publication_date", "2000-01-01"}}}})["total"] == 3);
        CHECK(h.search(json{{"publication_date", {{"max_publication_date", "2000-01-01"}}}})["total"] == 0);
        CHECK(h.search(json{{"srs", "epsg:4326"}})["total"] == 3);
        // Paging.
        const json p1 = h.search(json{{"size", 2}, {"page", 1}}), p2 = h.search(json{{"size", 2}, {"page", 2}});
        CHECK(p1["documents"].size() == 2);
        CHECK(p2["documents"].size() == 1);
        CHECK(p1["total"] == 3);
        std::set<std::string> both = layer_names(p1);
        for (const auto& n : layer_names(p2)) CHECK(both.insert(n).second);
    }

    SECTION("shape intersects the extent, checked against a brute-force box test") {
        const auto brute = [](const std::array<double, 4>& q) {
            std::set<std::string> out;
            for (const auto& l : layers)
                if (l.open && l.bbox[0] <= q[2] && q[0] <= l.bbox[2] && l.bbox[1] <= q[3] && q[1] <= l.bbox[3]) out.insert(l.layer);
            return out;
        };
        const std::vector<std::array<double, 4>> boxes{{2.5, 48.5, 2.6, 48.6}, {0, 40, 1, 41}, {3, 49, 4, 50}, {4.5, 44.5, 10, 46},
                                                       {-10, 30, 20, 60},     {8.5, 44, 9, 45}, {2.9, 44.9, 4.1, 48.1}};
        for (const auto& b : boxes) {
            const json poly{{"type", "Polygon"},
                            {"coordinates", {{{b[0], b[1]}, {b[2], b[1]}, {b[2], b[3]}, {b[0], b[3]}, {b[0], b[1]}}}}};
            INFO(poly.dump());
            CHECK(layer_names(h.search(json{{"shape", poly}})) == brute(b));
        }
        // A point, and a line crossing the "cours_eau" box without a vertex inside it.
        CHECK(layer_names(h.search(json{{"shape", {{"type", "Point"}, {"coordinates", {4.5, 44.5}}}}})) ==
              std::set<std::string>{"cours_eau", "departements_wfs"});
        CHECK(layer_names(h.search(json{{"shape", {{"type", "LineString"}, {"coordinates", {{3.5, 44.5}, {5.5, 44.6}}}}}})).count("cours_eau") == 1);
        CHECK(layer_names(h.search(json{{"shape", {{"type", "LineString"}, {"coordinates", {{9, 30}, {10, 31}}}}}})).empty());
    }

    SECTION("aggregation counts equal a recount of the matching documents") {
        const json r = h.search(json{{"aggregation", {{"fields", {"type", "theme", "keywords", "producers"}}}}, {"size", 100}});
        for (const std::string field : {"type", "theme", "keywords", "producers"}) {
            std::map<std::string, std::size_t> expected;
            for (const auto& d : r["documents"]) {
                if (d[field].is_array())
                    for (const auto& v : std::set<std::string>(d[field].begin(), d[field].end())) ++expected[v];
                else
                    ++expected[d[field].get<std::string>()];
            }
            std::map<std::string, std::size_t> got;
            for (const auto& b : r["aggregations"][field]["buckets"]) got[b["key"]] = b["doc_count"];
            CHECK(got == expected);
        }
        CHECK(r["aggregations"]["keywords"]["buckets"][0] == json{{"key", "limites"}, {"doc_count", 2}});  // ties by value
    }

    SECTION("suggest and suggest_autocomplete") {
        Reply r = h.call("GET", fmt::format("{}/suggest?text=rou", root));
        REQUIRE(r.status == 200);
        std::set<std::string> names;
        for (const auto& s : r.js()) {
            CHECK(s["index"] == "geoplateforme");
            CHECK(s["score"].get<double>() > 0);
            names.insert(s["source"]["layer_name"].get<std::string>());
        }
        CHECK(names == std::set<std::string>{"reseau_routier"});  // the restricted "Routes secrètes" is not listed
        r = h.call("GET", fmt::format("{}/suggest?text=limites%20adm&fields=title", root));
        REQUIRE(r.status == 200);
        REQUIRE(r.js().size() == 1);
        CHECK(r.js()[0]["source"]["layer_name"] == "departements_wfs");
        r = h.call("GET", fmt::format("{}/suggest?text=rivi&fields=title", root));
        CHECK(r.js().empty());
        r = h.call("GET", fmt::format("{}/suggest?text=rivi&fields=keywords", root));
        REQUIRE(r.js().size() == 1);
        check_400(h.call("GET", fmt::format("{}/suggest?text=ro", root)));
        check_400(h.call("GET", fmt::format("{}/suggest", root)));
        check_400(h.call("GET", fmt::format("{}/suggest?text=route&fields=bogus", root)));

        r = h.call("GET", fmt::format("{}/suggest_autocomplete?text=resaeu%20de%20routir", root));
        REQUIRE(r.status == 200);
        const json a = r.js();
        REQUIRE(a.size() == 3);
        CHECK(a[0]["text"] == "resaeu");
        CHECK(a[0]["offset"] == 0);
        CHECK(a[0]["options"][0]["text"] == "reseau");
        CHECK(a[1]["options"].empty());  // shorter than 4 characters
        CHECK(a[2]["offset"] == 10);
        CHECK(a[2]["options"][0]["text"] == "routier");
        CHECK(a[2]["options"][0]["score"].get<double>() == Approx(1.0 - 1.0 / 6));
    }
}

TEST_CASE("layer search: private visibility, unpublish, malformed bodies", "[search][catalog][access]") {
    Harness h;
    const std::string priv = h.offering.at("routes_privees");
    const std::string proot = std::string("/private") + root;

    // No key, an unknown key: 401 on every private route.
    CHECK(h.call("POST", proot, "{}").status == 401);
    CHECK(h.call("POST", proot + "?apikey=0123456789abcdef0123456789abcdef", "{}").status == 401);
    CHECK(h.call("GET", proot + "/documents/" + priv).status == 401);

    // A key without access: the open documents only; the restricted one is 403.
    auto [user, token] = h.catalog->create_user(h.admin, json{{"email", "lecteur@example.org"}});
    const auto consumer = *h.catalog->authenticate_bearer(token);
    const json key = h.catalog->create_key(consumer, json{{"name", "clé"}, {"type", "HASH"}});
    const std::string hash = key["type_infos"]["hash"];
    json r = h.search(json::object(), "/private", "?apikey=" + hash);
    CHECK(layer_names(r) == std::set<std::string>{"reseau_routier", "departements_wfs", "cours_eau"});
    CHECK(h.call("GET", proot + "/documents/" + priv + "?apikey=" + hash).status == 403);

    // Permission + access: listed and readable, with its /private URL; the open index still hides it.
    const auto perms = h.catalog->create_permissions(
        h.admin, h.datastore, json{{"licence", "test"}, {"type", "ACCOUNT"}, {"users", {user.id}}, {"offerings", {priv}}, {"end_date", "2999-12-31"}});
    h.catalog->create_accesses(consumer, key["_id"], json{{"permission", perms.at(0).id}, {"offerings", {priv}}});
    r = h.search(json{{"title", "secrètes"}}, "/private", "?apikey=" + hash);
    REQUIRE(r["documents"].size() == 1);
    CHECK(r["documents"][0]["id"] == priv);
    CHECK(r["documents"][0]["open"] == false);
    CHECK(r["documents"][0]["url"] == "http://search.test/private/tms/1.0.0/routes_privees/metadata.json");
    Reply one = h.call("GET", proot + "/documents/" + priv, {}, {{"x-key", hash}});
    REQUIRE(one.status == 200);
    CHECK(one.js()["layer_name"] == "routes_privees");
    CHECK(h.search(json{{"title", "secrètes"}})["total"] == 0);
    CHECK(h.search(json{{"open", false}}, "/private", "?apikey=" + hash)["total"] == 1);

    // Unpublishing removes the document at once.
    const std::string routier = h.offering.at("reseau_routier");
    REQUIRE(h.search(json{{"title", "routier"}})["total"] == 1);
    h.catalog->unpublish(h.admin, h.datastore, routier);
    CHECK(h.search(json{{"title", "routier"}})["total"] == 0);
    CHECK(h.call("GET", fmt::format("{}/documents/{}", root, routier)).status == 404);
    CHECK(h.search(json::object())["total"] == 2);

    // Malformed bodies: 400 with a JSON error body naming the problem.
    for (const std::string body : {"{", "[]", "\"x\"", R"({"open":"maybe"})", R"({"shape":{"type":"Polygon","coordinates":[[1,2]]}})",
                                   R"({"shape":{"type":"Circle","coordinates":[1,2]}})", R"({"size":0})", R"({"page":-1})",
                                   R"({"bogus":1})", R"({"aggregation":{"fields":["nope"]}})", R"({"type":[1]})",
                                   R"({"publication_date":{"min_publication_date":"hier"}})", R"({"production_years":{"min":2024,"max":2020}})"}) {
        INFO(body);
        check_400(h.call("POST", root, body, {{"content-type", "application/json"}}));
    }
    const Reply bad = h.call("POST", root, R"({"bogus":1,"open":3})");
    REQUIRE(bad.status == 400);
    CHECK(bad.body.find("bogus") != std::string::npos);
    CHECK(bad.body.find("open: must be a boolean") != std::string::npos);
}

TEST_CASE("layer search without a catalog answers from the bundle", "[search]") {
    Router router = make_default_router(ServerConfig{}, test::shared_engine());
    Request r;
    r.method = "POST";
    r.path = root;
    r.body = "{}";
    Response res = router.handle(r, test::shared_engine());
    REQUIRE(res.status == 200);
    const json j = json::parse(collect_body(res));
    CHECK(j["documents"] == json::array());  // the empty test bundle serves nothing
    CHECK(j["total"] == 0);
    r.path = std::string("/private") + root;
    CHECK(router.handle(r, test::shared_engine()).status == 401);
}
