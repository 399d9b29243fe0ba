#pragma once
// A live server (empty bundle) with a catalog whose WMS-RASTER, WMS-VECTOR, WFS and DOWNLOAD
// offerings are served by the OGC and download routes, driven over HTTP with curl (an
// independent client) — shared by the restricted-OGC and the download tests.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/bundle/engine.hpp"
#include "geoplex/catalog/publishing.hpp"
#include "geoplex/server/catalog_api.hpp"
#include "geoplex/server/download_api.hpp"
#include "geoplex/server/server.hpp"
#include "support/subprocess.hpp"
#include "support/test_data.hpp"

namespace geoplex::test {

namespace fs = std::filesystem;
using json = nlohmann::json;

inline std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct Http {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  ///< lower-case names
    [[nodiscard]] json js() const { return json::parse(body); }
    [[nodiscard]] std::string header(const std::string& n) const {
        const auto it = headers.find(n);
        return it == headers.end() ? std::string() : it->second;
    }
};

inline std::string quote(const std::string& s) {
    std::string out = "'";
    for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

struct Live {
    static constexpr const char* admin = "ogc-private-admin-token";
    TempDir dir{"geoplex-ogc-private"};
    TempDir bundle_dir{"geoplex-ogc-private-bundle"};
    std::shared_ptr<catalog::Catalog> catalog;
    std::optional<server::Server> server;
    std::string base;
    std::string producer, consumer, consumer_id, datastore;

    Live() {
        catalog::CatalogConfig c;
        c.data_dir = dir.path() / "catalog";
        c.store_uri = "sqlite:" + (dir.path() / "catalog.sqlite").string();
        c.admin_token = admin;
        c.endpoint_quota = 10;
        catalog = std::make_shared<catalog::Catalog>(c);
        server::ServerConfig config;
        config.address = "127.0.0.1";
        config.port = 0;
        config.threads = 2;
        config.ogc.wms_raster_layers = server::catalog_layer_provider(catalog, catalog::ConfigurationType::wms_raster);
        config.ogc.wms_vector_layers = server::catalog_layer_provider(catalog, catalog::ConfigurationType::wms_vector);
        config.ogc.wfs_layers = server::catalog_layer_provider(catalog, catalog::ConfigurationType::wfs);
        server::DownloadApiOptions d;
        d.layers = server::catalog_layer_provider(catalog, catalog::ConfigurationType::download);
        d.temp_dir = conversions_dir();
        d.max_buffered_bytes = 4096;  // larger files take the streamed path
        auto cat = catalog;
        config.more_routes = [cat, d](server::Router& r) {
            server::add_catalog_routes(r, cat);
            server::add_download_routes(r, d);
        };
        std::ofstream(bundle_dir / "manifest.toml") << "name = \"test\"\nformat_version = 1\ncomponents = []\n";
        server.emplace(bundle::Engine::open(bundle_dir.path()), config);
        server->start();
        base = fmt::format("http://127.0.0.1:{}", server->port());
        setup_actors();
    }

    [[nodiscard]] fs::path conversions_dir() const { return dir.path() / "conversions"; }

    /// curl with `args` (URL included); the body lands in a file, headers parsed.
    Http curl(const std::string& args) const {
        const auto body = dir / "body.bin";
        const auto head = dir / "head.txt";
        const std::string code =
            run_command(fmt::format("curl -s -g -D {} -o {} -w '%{{http_code}}' {}", quote(head.string()), quote(body.string()), args));
        Http h;
        h.status = std::stoi(code);
        h.body = slurp(body);
        std::istringstream hs(slurp(head));
        for (std::string line; std::getline(hs, line);) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            const auto colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::string name = line.substr(0, colon);
            for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            h.headers[name] = value;
        }
        fs::remove(body);
        return h;
    }
    Http get(const std::string& path_and_query, const std::string& extra = {}) const {
        return curl(extra + " " + quote(base + path_and_query));
    }
    Http api(const std::string& method, const std::string& path, const std::string& token, const json& body = nullptr) const {
        std::string args = fmt::format("-X {} -H {}", method, quote("Authorization: Bearer " + token));
        if (!body.is_null()) {
            std::ofstream(dir / "request.json") << body.dump();
            args += fmt::format(" -H 'Content-Type: application/json' --data-binary @{}", quote((dir / "request.json").string()));
        }
        return curl(args + " " + quote(base + "/api" + path));
    }

    void setup_actors() {
        Http r = api("POST", "/users", admin, json{{"email", "producteur@ign.example"}, {"roles", {"PRODUCER"}}});
        REQUIRE(r.status == 201);
        producer = r.js()["token"];
        const std::string producer_id = r.js()["_id"];
        r = api("POST", "/users", admin, json{{"email", "consommateur@example.org"}});
        REQUIRE(r.status == 201);
        consumer = r.js()["token"];
        consumer_id = r.js()["_id"];
        r = api("POST", "/communities", admin, json{{"name", "IGN"}, {"technical_name", "ign"}});
        REQUIRE(r.status == 201);
        const std::string community = r.js()["_id"];
        datastore = r.js()["datastore"];
        REQUIRE(api("PUT", "/communities/" + community + "/users/" + producer_id, admin,
                    json{{"rights", {"COMMUNITY", "UPLOAD", "PROCESSING", "BROADCAST"}}})
                    .status == 204);
    }

    std::string endpoint(const std::string& technical_name) const {
        const Http r = api("GET", "/datastores/" + datastore + "/endpoints", producer);
        REQUIRE(r.status == 200);
        for (const auto& e : r.js())
            if (e["endpoint"]["technical_name"] == technical_name) return e["endpoint"]["_id"];
        FAIL("no endpoint " << technical_name);
        return {};
    }

    json settle(const std::string& path) const {
        catalog->wait_idle();
        const Http r = api("GET", path, producer);
        REQUIRE(r.status == 200);
        return r.js();
    }

    /// Upload → close → checks → processing: the stored data document.
    json stored_from(const std::string& type, const fs::path& file, const std::string& upload_path, const std::string& srs) const {
        const std::string ds = "/datastores/" + datastore;
        Http r = api("POST", ds + "/uploads", producer, json{{"name", file.stem().string()}, {"type", type}, {"srs", srs}});
        REQUIRE(r.status == 201);
        const std::string up = r.js()["_id"];
        r = curl(fmt::format("-X POST -H {} --data-binary @{} {}", quote("Authorization: Bearer " + producer), quote(file.string()),
                             quote(base + "/api" + ds + "/uploads/" + up + "/data?path=" + upload_path)));
        REQUIRE(r.status == 200);
        REQUIRE(api("POST", ds + "/uploads/" + up + "/close", producer).status == 200);
        REQUIRE(settle(ds + "/uploads/" + up)["status"] == "CLOSED");
        r = api("POST", ds + "/processings/executions", producer,
                json{{"processing", type == "VECTOR" ? "vector-to-db" : "raster-to-pyramid"},
                     {"inputs", {{"upload", {up}}}},
                     {"output", {{"stored_data", {{"name", file.stem().string()}}}}}});
        REQUIRE(r.status == 201);
        const std::string ex = r.js()["_id"];
        REQUIRE(api("POST", ds + "/processings/executions/" + ex + "/launch", producer).status == 200);
        const json execution = settle(ds + "/processings/executions/" + ex);
        INFO(execution.dump());
        REQUIRE(execution["status"] == "SUCCESS");
        return settle(ds + "/stored_data/" + std::string(execution["output"]["stored_data"]["_id"]));
    }

    /// The stored data's main file on disk (the API hides paths): found under the data directory.
    fs::path stored_file(const json& stored) const {
        for (const auto& e : fs::recursive_directory_iterator(dir.path() / "catalog" / "storage"))
            if (e.is_regular_file() && e.path().parent_path().filename() == std::string(stored["_id"])) return e.path();
        FAIL("no file for stored data " << stored["_id"]);
        return {};
    }

    /// Configuration of `type` named `layer` over `stored`, published on `endpoint_name`: the offering.
    json publish(const std::string& type, const std::string& layer, const json& stored, const std::string& endpoint_name,
                 bool open) const {
        const std::string ds = "/datastores/" + datastore;
        Http r = api("POST", ds + "/configurations", producer,
                     json{{"type", type}, {"name", layer}, {"layer_name", layer},
                          {"type_infos", {{"title", "Titre " + layer}, {"abstract", "test"},
                                          {"used_data", json::array({json{{"stored_data", stored["_id"]}}})}}}});
        INFO(r.body);
        REQUIRE(r.status == 201);
        const std::string cfg = r.js()["_id"];
        r = api("POST", ds + "/configurations/" + cfg + "/offerings", producer, json{{"endpoint", endpoint(endpoint_name)}, {"open", open}});
        INFO(r.body);
        REQUIRE(r.status == 201);
        return r.js();
    }

    /// A consumer key (HASH): its secret.
    std::pair<std::string, std::string> key(const std::string& name) const {
        const Http r = api("POST", "/users/me/keys", consumer, json{{"name", name}, {"type", "HASH"}});
        REQUIRE(r.status == 201);
        return {r.js()["_id"], r.js()["type_infos"]["hash"]};
    }

    /// The producer grants `offerings` to the consumer, who links them to key `key_id`.
    void grant(const std::string& key_id, const std::vector<std::string>& offerings) const {
        Http r = api("POST", "/datastores/" + datastore + "/permissions", producer,
                     json{{"licence", "test"}, {"type", "ACCOUNT"}, {"users", {consumer_id}}, {"offerings", offerings}, {"end_date", "2999-12-31"}});
        REQUIRE(r.status == 201);
        const std::string permission = r.js()[0]["_id"];
        r = api("POST", "/users/me/keys/" + key_id + "/accesses", consumer, json{{"permission", permission}, {"offerings", offerings}});
        INFO(r.body);
        REQUIRE(r.status == 201);
    }
};

}  // namespace geoplex::test
