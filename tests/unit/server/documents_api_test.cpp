// Map documents (/api/users/me/documents) and reports (/api/reports) over HTTP (in-process
// Router): CRUD, sharing, validation (400 with the problem list), every access case (401 / 403 /
// 404), the report status workflow (409 on invalid transitions), filters checked against a
// brute-force filter of the reports created, and the audit trail.

#include <catch2/catch.hpp>

#include <algorithm>
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

constexpr const char* admin_token = "documents-admin-token";

using Reply = test::ApiReply;

/// Users: producer_a (PRODUCER, community A), member_a (community A, no role), producer_b
/// (PRODUCER, community B), stranger (no community). Datasets of datastore A: public_ds (PUBLIC,
/// with a bbox), private_ds (PRIVATE).
struct World {
    test::TempDir dir{"geoplex-documents-api"};
    std::shared_ptr<catalog::Catalog> catalog;
    Router router;
    std::string producer_a, member_a, producer_b, stranger;
    std::string producer_a_id, member_a_id, stranger_id;
    std::string community_a, community_b;
    std::string public_ds, private_ds;

    World() {
        catalog = std::make_shared<catalog::Catalog>(test::catalog_config(dir, admin_token));
        add_catalog_routes(router, catalog);
        const test::CatalogPeople people(*catalog, admin_token);
        producer_a = people.producer_a;
        member_a = people.member_a;
        producer_b = people.producer_b;
        stranger = people.stranger;
        producer_a_id = people.producer_a_id;
        member_a_id = people.member_a_id;
        stranger_id = people.stranger_id;
        community_a = people.a.id;
        community_b = people.b.id;
        const auto& a = people.a;
        catalog::Dataset d;
        d.datastore = a.datastore;
        d.title = "Routes";
        d.bbox = catalog::GeoBox{2.0, 48.0, 3.0, 49.0};
        d.sharing = catalog::Sharing::public_;
        public_ds = catalog->store().create(d).id;
        d.title = "Interne";
        d.bbox.reset();
        d.sharing = catalog::Sharing::private_;
        private_ds = catalog->store().create(d).id;
    }

    Reply call(const std::string& method, const std::string& target, const std::string& token, const std::string& body = {}) {
        Fields headers;
        if (!token.empty()) headers.emplace_back("authorization", "Bearer " + token);
        return test::handle(router, method, "/api" + target, body, std::move(headers));
    }
    Reply api(const std::string& method, const std::string& target, const std::string& token, const json& body = nullptr) {
        return call(method, target, token, body.is_null() ? std::string() : body.dump());
    }
    std::uint64_t audits(const std::string& entity, const std::string& action) {
        return catalog->store().list<catalog::AuditEvent>({{"entity", entity}, {"action", action}}, {0, 0}).total;
    }
};

json a_map() {
    return json{{"name", "Ma carte"},
                {"description", "routes et relief"},
                {"layers", {{{"layer", "PLAN.IGN"}, {"opacity", 0.8}}, {{"url", "https://example.org/tiles/{z}/{x}/{y}.png"}, {"visible", false}}}},
                {"styles", {{"PLAN.IGN", {{"version", 8}}}}},
                {"view", {{"center", {2.35, 48.85}}, {"zoom", 12}, {"bearing", 0}}}};
}

std::set<std::string> ids_of(const json& list) {
    std::set<std::string> out;
    for (const auto& x : list) out.insert(x["_id"].get<std::string>());
    return out;
}

}  // namespace

TEST_CASE("map documents: CRUD, validation and sharing with every access case", "[catalog][documents]") {
    World w;
    const std::string base = "/users/me/documents";

    // 401: no token, bad token.
    CHECK(w.api("GET", base, "").status == 401);
    CHECK(w.api("POST", base, "not-a-token", a_map()).status == 401);

    // 400 with every problem listed.
    json bad = a_map();
    bad["name"] = "";
    bad["layers"] = json::array({json{{"opacity", 3}}, 7});
    bad["view"] = json{{"center", {200, 0}}, {"zoom", 40}};
    bad["sharing"] = "EVERYBODY";
    Reply r = w.api("POST", base, w.producer_a, bad);
    REQUIRE(r.status == 400);
    const json details = r.js()["error"]["details"];
    CHECK(details.size() == 7);  // name, layers[0] (name/url, opacity), layers[1], center, zoom, sharing
    CHECK(r.body.find("view.zoom") != std::string::npos);
    CHECK(w.api("POST", base, w.producer_a, json{{"layers", "x"}}).status == 400);
    CHECK(w.call("POST", base, w.producer_a, "{not json").status == 400);
    CHECK(w.call("POST", base, w.producer_a, "[1,2]").status == 400);
    // The bootstrap administrator has no account to own a document.
    CHECK(w.api("POST", base, admin_token, a_map()).status == 403);

    r = w.api("POST", base, w.producer_a, a_map());
    REQUIRE(r.status == 201);
    const json doc = r.js();
    const std::string id = doc["_id"];
    CHECK(doc["owner"] == w.producer_a_id);
    CHECK(doc["sharing"] == "PRIVATE");
    CHECK(doc["layers"] == a_map()["layers"]);
    CHECK(doc["view"] == a_map()["view"]);
    const std::string one = base + "/" + id;

    // PRIVATE: owner and admin read; the others learn nothing (404), like an unknown id.
    CHECK(w.api("GET", one, w.producer_a).status == 200);
    CHECK(w.api("GET", one, admin_token).status == 200);
    CHECK(w.api("GET", one, w.member_a).status == 404);
    CHECK(w.api("GET", one, w.stranger).status == 404);
    CHECK(w.api("PATCH", one, w.stranger, json{{"name", "x"}}).status == 404);
    CHECK(w.api("DELETE", one, w.stranger).status == 404);
    CHECK(w.api("GET", base + "/00000000-0000-4000-8000-000000000000", w.producer_a).status == 404);
    CHECK(w.api("GET", base + "/not-an-id", w.producer_a).status == 404);
    CHECK(w.api("GET", one, "").status == 401);

    // PATCH: only the fields sent change; validation applies.
    r = w.api("PATCH", one, w.producer_a, json{{"name", "Carte 2"}, {"view", {{"zoom", 9}}}});
    REQUIRE(r.status == 200);
    CHECK(r.js()["name"] == "Carte 2");
    CHECK(r.js()["layers"] == a_map()["layers"]);
    CHECK(r.js()["view"] == json{{"zoom", 9}});
    CHECK(w.api("PATCH", one, w.producer_a, json{{"view", {{"pitch", 90}}}}).status == 400);
    CHECK(w.api("GET", one, w.producer_a).js()["view"] == json{{"zoom", 9}});  // the failed PATCH changed nothing

    // Sharing: a community the owner is not in is refused; PRIVATE with a list is refused.
    r = w.api("PUT", one + "/sharings", w.producer_a, json{{"sharing", "COMMUNITY"}, {"shared_with", {w.community_b}}});
    CHECK(r.status == 400);
    CHECK(w.api("PUT", one + "/sharings", w.producer_a, json{{"sharing", "PRIVATE"}, {"shared_with", {w.stranger_id}}}).status == 400);
    CHECK(w.api("PUT", one + "/sharings", w.producer_a, json{{"sharing", "COMMUNITY"}, {"shared_with", {"00000000-0000-4000-8000-000000000000"}}})
              .status == 400);
    // COMMUNITY without a list: the owner's communities.
    r = w.api("PUT", one + "/sharings", w.producer_a, json{{"sharing", "COMMUNITY"}});
    REQUIRE(r.status == 200);
    CHECK(r.js()["shared_with"] == json::array({w.community_a}));
    CHECK(w.api("GET", one, w.member_a).status == 200);
    CHECK(w.api("GET", one + "/sharings", w.member_a).js()["sharing"] == "COMMUNITY");
    CHECK(w.api("PATCH", one, w.member_a, json{{"name", "x"}}).status == 403);
    CHECK(w.api("DELETE", one, w.member_a).status == 403);
    CHECK(w.api("PUT", one + "/sharings", w.member_a, json{{"sharing", "PUBLIC"}}).status == 403);
    CHECK(w.api("GET", one, w.stranger).status == 404);
    CHECK(w.api("GET", one, w.producer_b).status == 404);
    // …plus one user by id.
    r = w.api("PUT", one + "/sharings", w.producer_a, json{{"sharing", "COMMUNITY"}, {"shared_with", {w.community_a, w.stranger_id}}});
    REQUIRE(r.status == 200);
    CHECK(w.api("GET", one, w.stranger).status == 200);
    CHECK(w.api("GET", one, w.producer_b).status == 404);
    // Lists: mine / shared with me.
    CHECK(ids_of(w.api("GET", base, w.producer_a).js()) == std::set<std::string>{id});
    CHECK(w.api("GET", base, w.member_a).js().empty());
    CHECK(ids_of(w.api("GET", base + "?scope=shared", w.member_a).js()) == std::set<std::string>{id});
    CHECK(w.api("GET", base + "?scope=shared", w.producer_b).js().empty());
    CHECK(w.api("GET", base + "?scope=everything", w.member_a).status == 400);

    // PUBLIC: every authenticated user reads, still only the owner writes.
    REQUIRE(w.api("PUT", one + "/sharings", w.producer_a, json{{"sharing", "PUBLIC"}}).status == 200);
    CHECK(w.api("GET", one, w.producer_b).status == 200);
    CHECK(w.api("PATCH", one, w.producer_b, json{{"name", "x"}}).status == 403);
    CHECK(ids_of(w.api("GET", base + "?scope=all&sharing=PUBLIC", w.producer_b).js()) == std::set<std::string>{id});
    // Back to PRIVATE: the list is forgotten.
    r = w.api("PUT", one + "/sharings", w.producer_a, json{{"sharing", "PRIVATE"}});
    REQUIRE(r.status == 200);
    CHECK(r.js()["shared_with"].empty());
    CHECK(w.api("GET", one, w.stranger).status == 404);

    // Paging: Content-Range over the owner's documents.
    for (int i = 0; i < 3; ++i) REQUIRE(w.api("POST", base, w.producer_a, json{{"name", "c" + std::to_string(i)}}).status == 201);
    r = w.api("GET", base + "?limit=2&page=2", w.producer_a);
    REQUIRE(r.status == 200);
    CHECK(r.js().size() == 2);
    CHECK(r.header("Content-Range") == "items 2-3/4");
    CHECK(w.api("GET", base + "?limit=0", w.producer_a).status == 400);

    // The administrator changes and deletes anybody's document; the owner deletes its own.
    CHECK(w.api("PATCH", one, admin_token, json{{"description", "vu"}}).status == 200);
    CHECK(w.api("DELETE", one, w.producer_a).status == 204);
    CHECK(w.api("GET", one, w.producer_a).status == 404);
    CHECK(w.api("DELETE", one, w.producer_a).status == 404);

    // Every successful write is audited.
    CHECK(w.audits("map_document", "create") == 4);
    CHECK(w.audits("map_document", "update") == 2);
    CHECK(w.audits("map_document", "share") == 4);
    CHECK(w.audits("map_document", "delete") == 1);
}

TEST_CASE("reports: filing, filters, moderation workflow, comments and access", "[catalog][reports]") {
    World w;
    const auto point = [](double lon, double lat) { return json{{"type", "Point"}, {"coordinates", {lon, lat}}}; };

    CHECK(w.api("POST", "/reports", "", json{{"description", "x"}, {"location", point(2, 48)}}).status == 401);
    CHECK(w.api("GET", "/reports", "").status == 401);

    // Validation: all problems at once.
    Reply r = w.api("POST", "/reports", w.stranger, json{{"description", ""}, {"location", point(2, 95)}, {"theme", 4}});
    REQUIRE(r.status == 400);
    CHECK(r.js()["error"]["details"].size() == 3);
    CHECK(w.api("POST", "/reports", w.stranger, json{{"description", "nowhere"}}).status == 400);
    // A private dataset is not visible to a stranger: as if it did not exist.
    CHECK(w.api("POST", "/reports", w.stranger, json{{"description", "x"}, {"dataset", w.private_ds}}).status == 400);

    // File reports: places, a public dataset (its bbox centre), a private one (member only, no location).
    struct Filed {
        std::string id, dataset;
        double lon, lat;
        bool located;
    };
    std::vector<Filed> filed;
    const auto file = [&](const std::string& token, json body) {
        const Reply rr = w.api("POST", "/reports", token, body);
        INFO(rr.body);
        REQUIRE(rr.status == 201);
        const json j = rr.js();
        CHECK(j["status"] == "SUBMITTED");
        CHECK(j["next_statuses"] == json::array({"PENDING", "REJECTED"}));
        const bool loc = !j["location"].is_null();
        filed.push_back({j["_id"], j["dataset"], loc ? j["location"]["coordinates"][0].get<double>() : 0,
                         loc ? j["location"]["coordinates"][1].get<double>() : 0, loc});
        return j;
    };
    file(w.stranger, {{"description", "nid de poule"}, {"theme", "route"}, {"location", point(2.35, 48.85)}});
    file(w.stranger, {{"description", "pont fermé"}, {"theme", "route"}, {"location", point(5.37, 43.30)}});
    json on_public = file(w.member_a, {{"description", "tronçon manquant"}, {"dataset", w.public_ds}});
    CHECK(on_public["location"]["coordinates"] == json::array({2.5, 48.5}));
    json on_private = file(w.member_a, {{"description", "erreur d'attribut"}, {"dataset", w.private_ds}});
    CHECK(on_private["location"].is_null());
    file(w.producer_b, {{"description", "ici"}, {"dataset", w.public_ds}, {"location", point(2.1, 48.1)}});
    const std::string place_id = filed[0].id, public_id = on_public["_id"], private_id = on_private["_id"];

    // Visibility: the report on the private dataset is hidden from non-members.
    CHECK(w.api("GET", "/reports/" + private_id, w.stranger).status == 404);
    CHECK(w.api("GET", "/reports/" + private_id, w.producer_a).status == 200);
    CHECK(w.api("GET", "/reports/" + private_id, admin_token).status == 200);
    CHECK(w.api("GET", "/reports/00000000-0000-4000-8000-000000000000", w.stranger).status == 404);

    // Filters against a brute-force filter over what was filed (as seen by a member of A, who sees all).
    const auto expect = [&](const std::function<bool(const Filed&)>& keep) {
        std::set<std::string> out;
        for (const auto& f : filed)
            if (keep(f)) out.insert(f.id);
        return out;
    };
    const auto got = [&](const std::string& query, const std::string& token) {
        const Reply rr = w.api("GET", "/reports" + query, token);
        INFO(query << " " << rr.body);
        REQUIRE(rr.status == 200);
        return ids_of(rr.js());
    };
    CHECK(got("?limit=100", w.member_a) == expect([](const Filed&) { return true; }));
    CHECK(got("?limit=100", w.stranger) == expect([&](const Filed& f) { return f.dataset != w.private_ds; }));
    CHECK(got("?dataset=" + w.public_ds, w.member_a) == expect([&](const Filed& f) { return f.dataset == w.public_ds; }));
    const double bw = 2.0, bs = 48.0, be = 2.6, bn = 49.0;
    CHECK(got("?bbox=2,48,2.6,49&limit=100", w.member_a) ==
          expect([&](const Filed& f) { return f.located && f.lon >= bw && f.lon <= be && f.lat >= bs && f.lat <= bn; }));
    CHECK(got("?author=me", w.stranger) == std::set<std::string>{filed[0].id, filed[1].id});
    CHECK(got("?theme=route", w.member_a).size() == 2);
    CHECK(w.api("GET", "/reports?bbox=3,48,2,49", w.member_a).status == 400);
    CHECK(w.api("GET", "/reports?bbox=a,b,c", w.member_a).status == 400);
    CHECK(w.api("GET", "/reports?status=OPEN", w.member_a).status == 400);
    CHECK(w.api("GET", "/reports?author=someone", w.member_a).status == 400);
    // Newest first.
    CHECK(w.api("GET", "/reports?limit=1", w.member_a).js()[0]["_id"] == filed.back().id);

    // Moderation of the report on the public dataset (datastore of community A).
    const std::string pub = "/reports/" + public_id;
    CHECK(w.api("PATCH", pub, w.stranger, json{{"status", "PENDING"}}).status == 403);   // not a moderator
    CHECK(w.api("PATCH", pub, w.member_a, json{{"status", "PENDING"}}).status == 403);   // member, not producer
    CHECK(w.api("PATCH", pub, w.producer_b, json{{"status", "PENDING"}}).status == 403); // producer elsewhere
    CHECK(w.api("PATCH", pub, w.producer_a, json{{"status", "DONE"}}).status == 400);
    r = w.api("PATCH", pub, w.producer_a, json{{"status", "VALIDATED"}});
    CHECK(r.status == 409);
    CHECK(r.body.find("SUBMITTED report cannot become VALIDATED") != std::string::npos);
    CHECK(w.api("GET", pub, w.producer_a).js()["can_moderate"] == true);
    CHECK(w.api("GET", pub, w.member_a).js()["can_moderate"] == false);
    r = w.api("PATCH", pub, w.producer_a, json{{"status", "PENDING"}, {"comment", "pris en compte"}});
    REQUIRE(r.status == 200);
    CHECK(r.js()["status"] == "PENDING");
    CHECK(r.js()["comments"].size() == 1);
    CHECK(w.api("PATCH", pub, w.member_a, json{{"description", "trop tard"}}).status == 409);  // author, no longer SUBMITTED
    CHECK(w.api("PATCH", pub, w.producer_a, json{{"status", "PENDING"}}).status == 409);
    REQUIRE(w.api("PATCH", pub, w.producer_a, json{{"status", "VALIDATED"}}).status == 200);
    r = w.api("PATCH", pub, admin_token, json{{"status", "REJECTED"}});
    CHECK(r.status == 409);
    CHECK(r.body.find("closed") != std::string::npos);
    CHECK(got("?status=VALIDATED", w.stranger) == std::set<std::string>{public_id});
    CHECK(got("?status=SUBMITTED&status=VALIDATED&limit=100", w.member_a).size() == filed.size());

    // A report on a place only: administrators moderate, producers do not.
    const std::string place = "/reports/" + place_id;
    CHECK(w.api("PATCH", place, w.producer_a, json{{"status", "REJECTED"}}).status == 403);
    // Its author edits it while SUBMITTED; others may not.
    CHECK(w.api("PATCH", place, w.member_a, json{{"description", "x"}}).status == 403);
    r = w.api("PATCH", place, w.stranger, json{{"description", "nid de poule profond"}});
    REQUIRE(r.status == 200);
    CHECK(r.js()["description"] == "nid de poule profond");
    CHECK(w.api("PATCH", place, w.stranger, json::object()).status == 400);
    REQUIRE(w.api("PATCH", place, admin_token, json{{"status", "REJECTED"}}).status == 200);

    // Comments: whoever sees the report; not on a hidden one.
    r = w.api("POST", place + "/comments", w.producer_b, json{{"text", "je confirme"}});
    REQUIRE(r.status == 201);
    CHECK(w.api("POST", place + "/comments", w.producer_b, json{{"text", ""}}).status == 400);
    CHECK(w.api("POST", "/reports/" + private_id + "/comments", w.stranger, json{{"text", "?"}}).status == 404);
    const json comments = w.api("GET", place + "/comments", w.stranger).js();
    REQUIRE(comments.size() == 1);
    CHECK(comments[0]["text"] == "je confirme");

    // Deleting: the author while SUBMITTED, or an administrator.
    const std::string second = "/reports/" + filed[1].id;
    CHECK(w.api("DELETE", second, w.member_a).status == 403);
    CHECK(w.api("DELETE", place, w.stranger).status == 403);  // author, but REJECTED
    CHECK(w.api("DELETE", second, w.stranger).status == 204);
    CHECK(w.api("GET", second, w.stranger).status == 404);
    CHECK(w.api("DELETE", place, admin_token).status == 204);

    // Audited writes.
    CHECK(w.audits("report", "create") == 5);
    CHECK(w.audits("report", "moderate") == 3);
    CHECK(w.audits("report", "update") == 1);
    CHECK(w.audits("report", "comment") == 1);
    CHECK(w.audits("report", "delete") == 2);
}
