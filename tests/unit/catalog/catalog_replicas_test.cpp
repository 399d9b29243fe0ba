// Two replicas — two Catalog objects, each with its own connection to one store (a SQLite file,
// or the PostgreSQL instance of tests/support/with_postgres.sh through GEOPLEX_CATALOG_STORE) and
// one shared data_dir — converge: a publish, a PATCH {available:false} and an unpublish on
// replica A become visible on replica B through B's poller, without B being told anything.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "geoplex/catalog/publishing.hpp"
#include "support/test_data.hpp"

using json = nlohmann::json;
using namespace geoplex;
using namespace geoplex::catalog;

namespace {

constexpr const char* admin_token = "replicas-admin-token";

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Polls `ready` for up to 20 s (a generous bound on a loaded machine; the poll period is 50 ms).
bool eventually(const std::function<bool()>& ready) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        if (ready()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return ready();
}

}  // namespace

TEST_CASE("replicas on one store converge after publish, patch and unpublish", "[catalog][replicas]") {
    test::TempDir dir("geoplex-replicas");
    CatalogConfig cfg;
    cfg.data_dir = dir.path();
    const char* shared = std::getenv("GEOPLEX_CATALOG_STORE");
    cfg.store_uri = shared != nullptr && *shared != '\0' ? std::string(shared) : "sqlite:" + (dir.path() / "catalog.sqlite").string();
    cfg.admin_token = admin_token;
    cfg.asynchronous = false;
    CatalogConfig cfg_a = cfg, cfg_b = cfg;
    cfg_a.refresh_interval_ms = 0;   // A is only written to
    cfg_b.refresh_interval_ms = 50;  // B learns by polling
    Catalog a(cfg_a);
    Catalog b(cfg_b);
    INFO("store: " << a.store().backend());

    // Stored data on replica A: a real GeoJSON through the upload → check → processing flow.
    const auto admin = *a.authenticate_bearer(admin_token);
    const std::string tech = "replicas_" + new_id().substr(0, 8);
    const auto community = a.create_community(admin, json{{"name", "Répliques"}, {"technical_name", tech}});
    const Id ds = community.datastore;
    const auto file = test::data_file("vector/regions-version-simplifiee.geojson");
    auto up = a.create_upload(admin, ds, json{{"name", "regions"}, {"type", "VECTOR"}, {"srs", "EPSG:4326"}});
    const std::string bytes = slurp(file);
    a.add_upload_file(admin, ds, up.id, "regions.geojson", bytes, bytes.size());
    up = a.close_upload(admin, ds, up.id);
    REQUIRE(a.store().require<Upload>(up.id).status == UploadStatus::closed);
    auto ex = a.create_execution(admin, ds, json{{"processing", "vector-to-db"}, {"inputs", {{"upload", {up.id}}}},
                                                 {"output", {{"stored_data", {{"name", "regions"}}}}}});
    a.launch_execution(admin, ds, ex.id);
    ex = a.store().require<ProcessingExecution>(ex.id);
    REQUIRE(ex.status == ProcessingStatus::success);
    const auto stored = a.store().require<StoredData>(ex.output_stored_data);
    const std::string layer = "regions_" + new_id().substr(0, 8);
    const auto configuration = a.create_configuration(
        admin, ds,
        json{{"type", "WFS"}, {"name", layer}, {"layer_name", layer},
             {"type_infos", {{"title", "Régions"}, {"used_data", {{{"stored_data", stored.id}, {"relations", {{{"native_name", stored.relations.at(0).name}}}}}}}}}});
    Id wfs_endpoint;
    for (const auto& e : a.store().list<Endpoint>({{"technical_name", "geoplex-wfs"}}).items) wfs_endpoint = e.id;
    REQUIRE(!wfs_endpoint.empty());

    REQUIRE(b.published_layer(ConfigurationType::wfs, layer, false) == nullptr);
    const auto b_generation = b.generation();

    // Publish on A: B serves the layer after a poll.
    const auto offering = a.publish(admin, ds, configuration.id, json{{"endpoint", wfs_endpoint}});
    REQUIRE(a.published_layer(ConfigurationType::wfs, layer, false) != nullptr);
    REQUIRE(eventually([&] { return b.published_layer(ConfigurationType::wfs, layer, false) != nullptr; }));
    const auto on_b = b.published_layer(ConfigurationType::wfs, layer, false);
    CHECK(on_b->offering.id == offering.id);
    CHECK(on_b->offering.available);
    const auto* source = on_b->tileset.vector_config(layer);  // B reads the stored data A produced
    REQUIRE(source != nullptr);
    CHECK(std::filesystem::path(source->path) == std::filesystem::path(stored.path));
    CHECK(b.generation() > b_generation);

    // PATCH available=false on A: B's layer carries the kill switch.
    a.patch_offering(admin, ds, offering.id, json{{"available", false}});
    CHECK(eventually([&] {
        const auto l = b.published_layer(ConfigurationType::wfs, layer, false);
        return l != nullptr && !l->offering.available;
    }));

    // Unpublish on A: gone from B.
    a.unpublish(admin, ds, offering.id);
    CHECK(a.published_layer(ConfigurationType::wfs, layer, false) == nullptr);
    CHECK(eventually([&] { return b.published_layer(ConfigurationType::wfs, layer, false) == nullptr; }));

    // refresh() on a replica without a poller does the same at once; nothing left to do → false.
    const auto again = a.publish(admin, ds, configuration.id, json{{"endpoint", wfs_endpoint}});
    Catalog c(cfg_a);  // opened after the publish: restored at open
    CHECK(c.published_layer(ConfigurationType::wfs, layer, false) != nullptr);
    a.unpublish(admin, ds, again.id);
    CHECK(c.published_layer(ConfigurationType::wfs, layer, false) != nullptr);  // no poller: still served
    CHECK(c.refresh());
    CHECK(c.published_layer(ConfigurationType::wfs, layer, false) == nullptr);
    CHECK_FALSE(c.refresh());
}
