#pragma once
// Helpers of the catalog HTTP tests: requests handled by an in-process Router (no sockets),
// replies with their JSON body and header lookup, the catalog configuration every test starts
// from, and the usual cast of users (two producers, a plain member, a stranger).

#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "geoplex/catalog/publishing.hpp"
#include "geoplex/server/http.hpp"
#include "geoplex/server/router.hpp"
#include "support/test_data.hpp"
#include "unit/server/server_test_support.hpp"

namespace geoplex::test {

struct ApiReply {
    int status = 0;
    std::string body;
    server::Fields headers;
    std::string content_type;
    [[nodiscard]] nlohmann::json js() const { return nlohmann::json::parse(body); }
    [[nodiscard]] std::string header(const std::string& name) const {
        for (const auto& [k, v] : headers)
            if (k == name) return v;
        return {};
    }
};

/// `method target` with `body` and `headers` through the router, from 127.0.0.1.
inline ApiReply handle(server::Router& router, const std::string& method, const std::string& target,
                       const std::string& body = {}, server::Fields headers = {},
                       const std::string& remote_address = "127.0.0.1") {
    const server::RequestTarget t = server::parse_target(target);
    server::Request r;
    r.method = method;
    r.path = t.path;
    r.query = t.query;
    r.headers = std::move(headers);
    r.body = body;
    r.remote_address = remote_address;
    server::Response res = router.handle(r, shared_engine());
    std::string bytes = server::collect_body(res);
    return ApiReply{res.status, std::move(bytes), res.headers, res.content_type};
}

/// An SQLite catalog in `dir`, synchronous processing, `admin_token` as the bootstrap token.
inline catalog::CatalogConfig catalog_config(const TempDir& dir, const char* admin_token) {
    catalog::CatalogConfig c;
    c.data_dir = dir.path();
    c.store_uri = "sqlite:" + (dir.path() / "catalog.sqlite").string();
    c.admin_token = admin_token;
    c.asynchronous = false;
    return c;
}

/// producer_a (PRODUCER, community A), member_a (community A, no role), producer_b (PRODUCER,
/// community B), stranger (no community): their bearer tokens and user ids, and both communities.
struct CatalogPeople {
    std::string producer_a, member_a, producer_b, stranger;  ///< tokens
    std::string producer_a_id, member_a_id, producer_b_id, stranger_id;
    catalog::Community a, b;

    CatalogPeople(catalog::Catalog& catalog, const char* admin_token) {
        const auto admin = *catalog.authenticate_bearer(admin_token);
        const auto user = [&](const char* email, bool producer, std::string& id) {
            nlohmann::json body{{"email", email}};
            if (producer) body["roles"] = {"PRODUCER"};
            auto [u, token] = catalog.create_user(admin, body);
            id = u.id;
            return token;
        };
        producer_a = user("pa@example.org", true, producer_a_id);
        member_a = user("ma@example.org", false, member_a_id);
        producer_b = user("pb@example.org", true, producer_b_id);
        stranger = user("st@example.org", false, stranger_id);
        a = catalog.create_community(admin, nlohmann::json{{"name", "A"}, {"technical_name", "com_a"}});
        b = catalog.create_community(admin, nlohmann::json{{"name", "B"}, {"technical_name", "com_b"}});
        using R = catalog::CommunityRight;
        catalog.set_member(admin, a.id, producer_a_id, {R::community, R::broadcast});
        catalog.set_member(admin, a.id, member_a_id, {R::community});
        catalog.set_member(admin, b.id, producer_b_id, {R::community, R::broadcast});
    }
};

}  // namespace geoplex::test
