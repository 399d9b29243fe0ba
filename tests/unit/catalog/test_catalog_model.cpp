// The catalog model: enum spellings against the reference's lists, JSON round trips, UUIDs.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <set>

#include "geoplex/catalog/model.hpp"
#include "geoplex/catalog/search.hpp"

using namespace geoplex::catalog;
using nlohmann::json;

TEST_CASE("enum strings are the reference's and parse back") {
    // Lists copied from reference §6.1, in the enumerators' order.
    const std::vector<std::string> upload_status{"CREATED",    "OPEN",      "CLOSED",   "CHECKING",
                                                 "GENERATING", "MODIFYING", "UNSTABLE", "DELETED"};
    for (std::size_t i = 0; i < upload_status.size(); ++i) {
        CHECK(to_string(static_cast<UploadStatus>(i)) == upload_status[i]);
        CHECK(parse<UploadStatus>(upload_status[i]) == static_cast<UploadStatus>(i));
    }
    const std::vector<std::string> sd{"VECTOR-DB", "ROK4-PYRAMID-RASTER", "ROK4-PYRAMID-VECTOR", "ARCHIVE",
                                      "GRAPH-DB",  "GRAPH-OSRM",          "GRAPH-VALHALLA",      "INDEX",
                                      "PYRAMID-3D-COPC", "PYRAMID-3D-EPT"};
    for (std::size_t i = 0; i < sd.size(); ++i) CHECK(parse<StoredDataType>(sd[i]) == static_cast<StoredDataType>(i));
    const std::vector<std::string> ct{"WMS-VECTOR", "WFS",       "WMTS-TMS", "WMS-RASTER", "DOWNLOAD",
                                      "ITINERARY-ISOCURVE", "ALTIMETRY", "SEARCH", "VECTOR-TMS"};
    for (std::size_t i = 0; i < ct.size(); ++i) CHECK(to_string(static_cast<ConfigurationType>(i)) == ct[i]);
    CHECK(to_string(EndpointType::metadata) == "METADATA");
    CHECK(to_string(KeyType::oauth2) == "OAUTH2");
    CHECK(to_string(OfferingStatus::unpublishing) == "UNPUBLISHING");
    CHECK(to_string(CommunityRight::broadcast) == "BROADCAST");
    CHECK(to_string(PermissionType::community) == "COMMUNITY");
    CHECK(to_string(ProcessingStatus::aborted) == "ABORTED");
    CHECK_THROWS_AS(parse<UploadStatus>("open"), geoplex::InvalidArgument);  // case-sensitive
    CHECK_THROWS_AS(parse<KeyType>(""), geoplex::InvalidArgument);
}

TEST_CASE("new_id gives distinct UUID v4 strings") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const auto id = new_id();
        REQUIRE(is_uuid(id));
        CHECK(id[14] == '4');
        CHECK(std::string("89ab").find(id[19]) != std::string::npos);
        seen.insert(id);
    }
    CHECK(seen.size() == 1000);
    CHECK_FALSE(is_uuid("x' OR 1=1 --"));
    CHECK_FALSE(is_uuid("8a3e0a58-1f2b-4c1d-9e8f-0123456789a"));
}

TEST_CASE("entities round-trip through JSON with the reference's field names") {
    Dataset d;
    d.id = new_id();
    d.title = "Réseau routier « BD TOPO® » 'quote' \"dq\" ; DROP TABLE dataset; --";
    d.keywords = {"routes", "transport"};
    d.themes = {"Transports"};
    d.bbox = GeoBox{2.1, 48.5, 2.6, 49.0};
    d.temporal_start = "2020-01-01";
    d.contact.email = "contact@ign.fr";
    d.extra = R"({"a":[1,2]})";
    d.tags = {{"k", "v"}};
    const json j = d;
    CHECK(j.at("_id") == d.id);
    CHECK(j.at("extra").at("a").size() == 2);  // JSON text embedded as JSON
    CHECK(j.at("bbox").at("west") == 2.1);
    CHECK(j.get<Dataset>() == d);

    Upload u;
    u.id = new_id();
    u.status = UploadStatus::closed;
    u.extent = GeoBox{-1, -2, 3, 4};
    const json ju = u;
    CHECK(ju.at("status") == "CLOSED");
    CHECK(ju.at("extent").at("type") == "Polygon");  // extents are GeoJSON in the reference
    CHECK(ju.get<Upload>() == u);

    User user;
    user.roles = {UserRole::admin};
    user.communities_member = {{"c1", {CommunityRight::upload, CommunityRight::broadcast}}};
    const json jusr = user;
    CHECK(jusr.at("administrator") == true);
    CHECK(jusr.at("communities_member").at(0).at("community").at("_id") == "c1");
    CHECK(jusr.at("communities_member").at(0).at("rights").at(1) == "BROADCAST");
    CHECK(jusr.get<User>() == user);

    Permission p;
    p.beneficiaries = {"u1", "u2"};
    p.offerings = {"o1"};
    p.type = PermissionType::community;
    const json jp = p;
    CHECK(jp.at("users").size() == 2);
    CHECK(jp.get<Permission>() == p);

    Report r;
    r.lon = 5.5;
    r.lat = 43.3;
    r.comments = {{"a", "2026-01-01T00:00:00Z", "ok"}};
    CHECK(json(r).at("location").at("coordinates").at(0) == 5.5);
    CHECK(json(r).get<Report>() == r);

    StoredData sd;
    sd.relations = {{"troncon", "TABLE", {{"nom", "varchar"}}, {"id"}, "LINESTRING", 42}};
    sd.storage_type = StorageType::postgresql;
    CHECK(json(sd).at("type_infos").at("relations").at(0).at("feature_count") == 42);
    CHECK(json(sd).get<StoredData>() == sd);

    Configuration c;
    c.type_infos = R"({"used_data":[{"stored_data":"s1"},{"stored_data":"s2"}]})";
    json jc = c;
    jc.erase("used_stored_data");  // the reference's body: derived from type_infos.used_data
    CHECK(jc.get<Configuration>().used_stored_data == std::vector<Id>{"s1", "s2"});

    for (const json& bad : {json{{"status", "NOPE"}}, json{{"size", "big"}}, json{{"extent", 3}}})
        CHECK_THROWS_AS(bad.get<Upload>(), geoplex::InvalidArgument);
}

TEST_CASE("report workflow") {
    CHECK(can_transition(ReportStatus::submitted, ReportStatus::pending));
    CHECK(can_transition(ReportStatus::pending, ReportStatus::validated));
    CHECK(can_transition(ReportStatus::pending, ReportStatus::rejected));
    CHECK_FALSE(can_transition(ReportStatus::submitted, ReportStatus::validated));
    CHECK_FALSE(can_transition(ReportStatus::validated, ReportStatus::pending));
}

TEST_CASE("French analysis folds accents and stems") {
    CHECK(fold("Île-de-France ŒUVRE") == "ile de france oeuvre");
    const auto a = analyze("Réseaux routiers de l'Île");
    const auto b = analyze("reseau routier ile");
    CHECK(a == b);
    CHECK(analyze("le la les de") .empty());
    CHECK(analyze("\xff\xfe bad utf8 routes") == analyze("bad utf8 route"));
    // fold() maps runs between ASCII separators on their own: Unicode rules that could cross a
    // run boundary (combining marks, compatibility forms, ignorables, multi-letter case folds).
    CHECK(fold("e\xcc\x81te") == "ete");                     // e + U+0301
    CHECK(fold("a\xcc\x81-\xcc\x81" "b") == "a b");             // a mark alone after a separator
    CHECK(fold("\xef\xac\x81lm Stra\xc3\x9f""e") == "film strasse");  // U+FB01 ligature, ß
    CHECK(fold("\xef\xbc\xa1\xef\xbc\xa2" "c_d") == "abc d");  // fullwidth A B; '_' separates
    CHECK(fold("co\xc2\xadop \xc5\x93uvre") == "coop oeuvre");  // soft hyphen ignored
    CHECK(fold(std::string_view("AB\tc\0d  --  ", 12)) == "ab c d");
    CHECK(fold("\xff Route-1") == "route 1");  // not UTF-8: ASCII letters and digits only
}
