// Metadata standards over HTTP (in-process Router; helper catstd): ISO 19139 upload through the
// publishing API, publication on the CSW endpoint, CSW 2.0.2 (responses parsed as XML with GDAL's
// CPLXML, counts checked against a brute-force filter over the datasets the test made), OWS
// exception reports, OGC API Records, the DCAT-AP and ISO exports, and hostile documents.

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <cpl_minixml.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/catalog/metadata.hpp"
#include "geoplex/catalog/publishing.hpp"
#include "geoplex/server/catalog_api.hpp"
#include "geoplex/server/rate_limit.hpp"
#include "geoplex/server/server.hpp"
#include "support/test_data.hpp"
#include "unit/server/catalog_test_support.hpp"

using json = nlohmann::json;
using namespace geoplex;
using namespace geoplex::server;

namespace {

constexpr const char* admin_token = "csw-admin-token-for-tests";
constexpr const char* boundary = "----geoplexcswtest";

// The subjects the datasets are about: each word occurs only in the datasets built from it.
const std::vector<std::string> subjects = {"cadastre", "hydrographie", "altimetrie", "orthophotographie"};

struct Made {
    catalog::Dataset sheet;  // what was uploaded (the independent reference)
    bool published = false;
    std::string xml{};       // the exact bytes uploaded (to_iso19139 stamps "now" without a modified date)
};

std::vector<Made> make_datasets() {
    std::vector<Made> out;
    for (int i = 0; i < 14; ++i) {
        catalog::Dataset d;
        const std::string& subject = subjects[static_cast<std::size_t>(i) % subjects.size()];
        d.file_identifier = fmt::format("IGNF_TEST_{:02}.xml", i);
        d.title = fmt::format("Jeu {} : {}", i, subject);
        d.abstract = fmt::format("Données de test numéro {} sur le thème {}.", i, i % 2 == 0 ? "pair" : "impair");
        d.producer = i % 3 == 0 ? "IGN" : "SHOM";
        d.keywords = {subject, i % 2 == 0 ? "pair" : "impair"};
        d.themes = {"Unités administratives"};
        d.licence = "Licence Ouverte 2.0";
        const double w = -4.0 + i * 0.8;  // boxes marching eastwards across France
        d.bbox = catalog::GeoBox{w, 43.0 + (i % 4), w + 0.5, 43.5 + (i % 4)};
        d.publication_date = fmt::format("20{:02}-01-01", 10 + i);
        d.contact = {"IGN", "", "contact@ign.test", "pointOfContact"};
        out.push_back({d, i % 5 != 4});  // 4 and 9 stay unpublished
    }
    return out;
}

using Reply = test::ApiReply;

struct Xml {
    CPLXMLNode* root = nullptr;
    explicit Xml(const std::string& text) : root(CPLParseXMLString(text.c_str())) { CPLStripXMLNamespace(root, nullptr, TRUE); }
    ~Xml() { CPLDestroyXMLNode(root); }
    Xml(const Xml&) = delete;
    Xml& operator=(const Xml&) = delete;
    /// The first top-level element (after the XML declaration).
    [[nodiscard]] const CPLXMLNode* top() const {
        for (const CPLXMLNode* n = root; n != nullptr; n = n->psNext)
            if (n->eType == CXT_Element && n->pszValue[0] != '?') return n;
        return nullptr;
    }
};

std::vector<const CPLXMLNode*> children(const CPLXMLNode* parent, const std::string& name) {
    std::vector<const CPLXMLNode*> out;
    for (const CPLXMLNode* n = parent != nullptr ? parent->psChild : nullptr; n != nullptr; n = n->psNext)
        if (n->eType == CXT_Element && name == n->pszValue) out.push_back(n);
    return out;
}

struct Harness {
    test::TempDir dir{"geoplex-csw-api"};
    std::shared_ptr<catalog::Catalog> catalog;
    std::string datastore;
    std::vector<Made> made = make_datasets();
    std::map<std::string, std::string> metadata_id;  // file identifier → metadata (dataset) id
    Router router;

    Harness() {
        catalog::CatalogConfig c = test::catalog_config(dir, admin_token);
        catalog = std::make_shared<catalog::Catalog>(c);
        add_catalog_routes(router, catalog);
        const auto admin = *catalog->authenticate_bearer(admin_token);
        datastore = catalog->create_community(admin, json{{"name", "IGN"}, {"technical_name", "ign"}}).datastore;
        std::vector<std::string> to_publish;
        for (auto& m : made) {
            m.xml = catalog::to_iso19139(m.sheet);
            const Reply r = upload(m.xml, m.sheet.file_identifier.ends_with("0.xml") ? "INSPIRE" : "ISOAP");
            INFO(r.body);
            REQUIRE(r.status == 201);
            metadata_id[m.sheet.file_identifier] = r.js()["_id"];
            if (m.published) to_publish.push_back(m.sheet.file_identifier);
        }
        const Reply p = call("POST", metadata_root() + "/publication", json{{"file_identifiers", to_publish}, {"endpoint", "geoplex-csw"}}.dump(),
                             {{"content-type", "application/json"}, auth()});
        INFO(p.body);
        REQUIRE(p.status == 200);
        REQUIRE(p.js().size() == to_publish.size());
    }

    [[nodiscard]] std::string metadata_root() const { return "/api/datastores/" + datastore + "/metadata"; }
    static std::pair<std::string, std::string> auth() { return {"authorization", std::string("Bearer ") + admin_token}; }

    Reply upload(const std::string& xml, const std::string& type = "ISOAP", bool open_data = false, bool with_token = true) {
        std::string body = fmt::format("--{0}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\n{1}\r\n"
                                       "--{0}\r\nContent-Disposition: form-data; name=\"open_data\"\r\n\r\n{2}\r\n"
                                       "--{0}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"md.xml\"\r\nContent-Type: application/xml\r\n\r\n",
                                       boundary, type, open_data ? "true" : "false");
        body += xml + fmt::format("\r\n--{}--\r\n", boundary);
        Fields h{{"content-type", fmt::format("multipart/form-data; boundary={}", boundary)}};
        if (with_token) h.push_back(auth());
        return call("POST", metadata_root(), body, h);
    }

    Reply call(const std::string& method, const std::string& target, const std::string& body = {}, Fields headers = {}) {
        headers.emplace_back("host", "csw.test");
        return test::handle(router, method, target, body, std::move(headers));
    }

    /// The published datasets a predicate keeps: the brute-force reference.
    std::set<std::string> expected(const std::function<bool(const catalog::Dataset&)>& keep) const {
        std::set<std::string> out;
        for (const auto& m : made)
            if (m.published && keep(m.sheet)) out.insert(m.sheet.file_identifier);
        return out;
    }
};

/// `word` is one of the words (split on spaces and punctuation) of title, abstract or keywords.
bool mentions(const catalog::Dataset& d, const std::string& word) {
    std::string all = d.title + " " + d.abstract;
    for (const auto& k : d.keywords) all += " " + k;
    for (auto& c : all)
        if (c == '.' || c == ':' || c == ',') c = ' ';
    std::istringstream words(all);
    for (std::string w; words >> w;)
        if (w == word) return true;
    return false;
}

std::string url_encode(std::string_view s) {
    std::string out;
    for (const unsigned char c : s) {
        if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
        else out += fmt::format("%{:02X}", c);
    }
    return out;
}

struct Records {
    std::uint64_t matched = 0, returned = 0, next = 0;
    std::vector<std::string> ids;
    std::string element;  // record element name
};

Records get_records(Harness& h, const std::string& query, const std::string& method = "GET", const std::string& body = {}) {
    const Reply r = method == "GET" ? h.call("GET", "/csw?" + query) : h.call("POST", "/csw", body, {{"content-type", "application/xml"}});
    INFO(query << body << " → " << r.body.substr(0, 2000));
    REQUIRE(r.status == 200);
    Xml x(r.body);
    REQUIRE(x.top() != nullptr);
    REQUIRE(std::string(x.top()->pszValue) == "GetRecordsResponse");
    const CPLXMLNode* results = CPLGetXMLNode(x.top(), "SearchResults");
    REQUIRE(results != nullptr);
    Records out;
    out.matched = std::stoull(CPLGetXMLValue(results, "numberOfRecordsMatched", "-1"));
    out.returned = std::stoull(CPLGetXMLValue(results, "numberOfRecordsReturned", "-1"));
    out.next = std::stoull(CPLGetXMLValue(results, "nextRecord", "-1"));
    for (const CPLXMLNode* n = results->psChild; n != nullptr; n = n->psNext) {
        if (n->eType != CXT_Element) continue;
        out.element = n->pszValue;
        out.ids.emplace_back(out.element == "MD_Metadata" ? CPLGetXMLValue(n, "fileIdentifier.CharacterString", "")
                                                          : CPLGetXMLValue(n, "identifier", ""));
    }
    CHECK(out.ids.size() == out.returned);
    return out;
}

/// Every id of a GetRecords query, walking the pages with STARTPOSITION / nextRecord.
std::set<std::string> all_pages(Harness& h, const std::string& query, std::uint64_t& matched) {
    std::set<std::string> ids;
    std::uint64_t start = 1;
    for (int guard = 0; start != 0 && guard < 50; ++guard) {
        const Records r = get_records(h, query + fmt::format("&RESULTTYPE=results&MAXRECORDS=3&STARTPOSITION={}", start));
        CHECK(r.returned <= 3);
        for (const auto& id : r.ids) CHECK(ids.insert(id).second);  // no record twice
        matched = r.matched;
        if (r.next != 0) CHECK(r.next == start + r.returned);
        start = r.next;
    }
    return ids;
}

void check_exception(const Reply& r, int status, const std::string& code, const std::string& locator) {
    INFO(r.body);
    CHECK(r.status == status);
    CHECK(r.content_type == "application/xml");
    Xml x(r.body);
    REQUIRE(x.top() != nullptr);
    CHECK(std::string(x.top()->pszValue) == "ExceptionReport");
    CHECK(std::string(CPLGetXMLValue(x.top(), "Exception.exceptionCode", "")) == code);
    CHECK(std::string(CPLGetXMLValue(x.top(), "Exception.locator", "")) == locator);
    CHECK(!std::string(CPLGetXMLValue(x.top(), "Exception.ExceptionText", "")).empty());
}

const std::string base_kvp = "SERVICE=CSW&VERSION=2.0.2&REQUEST=GetRecords&TYPENAMES=csw:Record";

}  // namespace

TEST_CASE("CSW 2.0.2 over the published metadata", "[server][catalog][csw]") {
    // The reference's CSW limit has its own family.
    CHECK(service_family_of("/csw") == ServiceFamily::csw);
    CHECK(to_string(ServiceFamily::csw) == "csw");
    CHECK(RateLimitConfig{}[ServiceFamily::csw].rate == 15);
    Harness h;

    SECTION("GetCapabilities lists the four operations and the CSW endpoint") {
        const Reply r = h.call("GET", "/csw?SERVICE=CSW&REQUEST=GetCapabilities&VERSION=2.0.2");
        REQUIRE(r.status == 200);
        Xml x(r.body);
        REQUIRE(x.top() != nullptr);
        CHECK(std::string(x.top()->pszValue) == "Capabilities");
        CHECK(std::string(CPLGetXMLValue(x.top(), "ServiceIdentification.ServiceType", "")) == "CSW");
        CHECK(std::string(CPLGetXMLValue(x.top(), "ServiceIdentification.ServiceTypeVersion", "")) == "2.0.2");
        std::set<std::string> ops;
        for (const auto* op : children(CPLGetXMLNode(x.top(), "OperationsMetadata"), "Operation")) {
            ops.insert(CPLGetXMLValue(op, "name", ""));
            CHECK(std::string(CPLGetXMLValue(op, "DCP.HTTP.Get.href", "")) == "http://csw.test/csw");
        }
        CHECK(ops == std::set<std::string>{"GetCapabilities", "DescribeRecord", "GetRecords", "GetRecordById"});
        const Reply d = h.call("GET", "/csw?SERVICE=CSW&REQUEST=DescribeRecord&VERSION=2.0.2&TYPENAME=gmd:MD_Metadata");
        REQUIRE(d.status == 200);
        Xml dx(d.body);
        REQUIRE(dx.top() != nullptr);
        CHECK(children(dx.top(), "SchemaComponent").size() == 1);
    }

    SECTION("hits: counts of the brute-force filter (text, bbox, both) over published records only") {
        CHECK(get_records(h, base_kvp).matched == h.expected([](const catalog::Dataset&) { return true; }).size());
        CHECK(get_records(h, base_kvp).returned == 0);  // resultType defaults to hits
        for (const auto& word : subjects) {
            const auto want = h.expected([&](const catalog::Dataset& d) { return mentions(d, word); });
            const Records r = get_records(h, base_kvp + "&CONSTRAINTLANGUAGE=CQL_TEXT&CONSTRAINT=" + url_encode("AnyText like '%" + word + "%'"));
            CHECK(r.matched == want.size());
            CHECK(!want.empty());
        }
        const catalog::GeoBox box{-1.0, 43.2, 2.0, 44.2};
        const auto in_box = h.expected([&](const catalog::Dataset& d) { return d.bbox->intersects(box); });
        CHECK(!in_box.empty());
        std::uint64_t matched = 0;
        CHECK(all_pages(h, base_kvp + "&CONSTRAINTLANGUAGE=CQL_TEXT&CONSTRAINT=" + url_encode("BBOX(ows:BoundingBox, -1, 43.2, 2, 44.2)"), matched) ==
              in_box);
        CHECK(matched == in_box.size());
        const auto both = h.expected([&](const catalog::Dataset& d) { return d.bbox->intersects(box) && mentions(d, "pair"); });
        CHECK(all_pages(h, base_kvp + "&CONSTRAINTLANGUAGE=CQL_TEXT&CONSTRAINT=" +
                                url_encode("AnyText like '%pair%' AND BBOX(ows:BoundingBox, -1, 43.2, 2, 44.2)"),
                        matched) == both);
    }

    SECTION("results: paging with STARTPOSITION / nextRecord covers every published record once") {
        std::uint64_t matched = 0;
        const auto ids = all_pages(h, base_kvp, matched);
        CHECK(ids == h.expected([](const catalog::Dataset&) { return true; }));
        CHECK(ids.count("IGNF_TEST_04.xml") == 0);  // unpublished
        const Records past = get_records(h, base_kvp + "&RESULTTYPE=results&STARTPOSITION=100");
        CHECK(past.returned == 0);
        CHECK(past.next == 0);
    }

    SECTION("element sets and the ISO output schema") {
        const std::string one = "&RESULTTYPE=results&CONSTRAINTLANGUAGE=CQL_TEXT&CONSTRAINT=" + url_encode("dc:identifier = 'IGNF_TEST_03.xml'");
        const Reply brief = h.call("GET", "/csw?" + base_kvp + one + "&ELEMENTSETNAME=brief");
        Xml b(brief.body);
        const CPLXMLNode* rec = CPLGetXMLNode(b.top(), "SearchResults.BriefRecord");
        REQUIRE(rec != nullptr);
        CHECK(std::string(CPLGetXMLValue(rec, "title", "")) == h.made[3].sheet.title);
        CHECK(CPLGetXMLNode(rec, "abstract") == nullptr);
        CHECK(std::stod(CPLGetXMLValue(rec, "BoundingBox.LowerCorner", "0 0")) == Approx(h.made[3].sheet.bbox->west));
        const Reply full = h.call("GET", "/csw?" + base_kvp + one + "&ELEMENTSETNAME=full");
        Xml f(full.body);
        rec = CPLGetXMLNode(f.top(), "SearchResults.Record");
        REQUIRE(rec != nullptr);
        CHECK(std::string(CPLGetXMLValue(rec, "abstract", "")) == h.made[3].sheet.abstract);
        CHECK(std::string(CPLGetXMLValue(rec, "publisher", "")) == "IGN");
        CHECK(std::string(CPLGetXMLValue(rec, "rights", "")) == "Licence Ouverte 2.0");
        const Records iso = get_records(h, "SERVICE=CSW&VERSION=2.0.2&REQUEST=GetRecords&TYPENAMES=gmd:MD_Metadata&OUTPUTSCHEMA=" +
                                               url_encode("http://www.isotc211.org/2005/gmd") + one);
        CHECK(iso.element == "MD_Metadata");
        CHECK(iso.ids == std::vector<std::string>{"IGNF_TEST_03.xml"});
    }

    SECTION("GetRecordById: published records only, both schemas") {
        const Reply r = h.call("GET", "/csw?SERVICE=CSW&VERSION=2.0.2&REQUEST=GetRecordById&ID=IGNF_TEST_01.xml,IGNF_TEST_04.xml,nope&ELEMENTSETNAME=full");
        REQUIRE(r.status == 200);
        Xml x(r.body);
        const auto recs = children(x.top(), "Record");
        REQUIRE(recs.size() == 1);
        CHECK(std::string(CPLGetXMLValue(recs[0], "identifier", "")) == "IGNF_TEST_01.xml");
        const Reply g = h.call("GET", "/csw?SERVICE=CSW&VERSION=2.0.2&REQUEST=GetRecordById&ID=IGNF_TEST_01.xml&OUTPUTSCHEMA=" +
                                          url_encode("http://www.isotc211.org/2005/gmd"));
        Xml gx(g.body);
        CHECK(std::string(CPLGetXMLValue(gx.top(), "MD_Metadata.identificationInfo.MD_DataIdentification.citation.CI_Citation.title.CharacterString", "")) ==
              h.made[1].sheet.title);
    }

    SECTION("POST XML GetRecords with an ogc:Filter (PropertyIsLike AND BBOX)") {
        const std::string body = R"(<?xml version="1.0"?>
<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml"
  service="CSW" version="2.0.2" resultType="results" maxRecords="50">
  <csw:Query typeNames="csw:Record"><csw:ElementSetName>summary</csw:ElementSetName>
    <csw:Constraint version="1.1.0"><ogc:Filter><ogc:And>
      <ogc:PropertyIsLike wildCard="%" singleChar="_" escapeChar="\"><ogc:PropertyName>AnyText</ogc:PropertyName><ogc:Literal>%impair%</ogc:Literal></ogc:PropertyIsLike>
      <ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName><gml:Envelope><gml:lowerCorner>0 40</gml:lowerCorner><gml:upperCorner>10 50</gml:upperCorner></gml:Envelope></ogc:BBOX>
    </ogc:And></ogc:Filter></csw:Constraint></csw:Query></csw:GetRecords>)";
        const catalog::GeoBox box{0, 40, 10, 50};
        const Records r = get_records(h, "", "POST", body);
        const auto want = h.expected([&](const catalog::Dataset& d) { return mentions(d, "impair") && d.bbox->intersects(box); });
        CHECK(std::set<std::string>(r.ids.begin(), r.ids.end()) == want);
        CHECK(r.element == "SummaryRecord");
        CHECK(!want.empty());
    }

    SECTION("OWS exception reports with the right codes, locators and statuses") {
        check_exception(h.call("GET", "/csw?SERVICE=CSW&VERSION=2.0.2"), 400, "MissingParameterValue", "request");
        check_exception(h.call("GET", "/csw?REQUEST=GetCapabilities"), 400, "MissingParameterValue", "service");
        check_exception(h.call("GET", "/csw?SERVICE=WMS&REQUEST=GetCapabilities"), 400, "InvalidParameterValue", "service");
        check_exception(h.call("GET", "/csw?SERVICE=CSW&VERSION=2.0.2&REQUEST=Harvest"), 501, "OperationNotSupported", "request");
        check_exception(h.call("GET", "/csw?SERVICE=CSW&VERSION=2.0.2&REQUEST=GetRecords"), 400, "MissingParameterValue", "typeNames");
        check_exception(h.call("GET", "/csw?SERVICE=CSW&VERSION=2.0.2&REQUEST=GetRecords&TYPENAMES=gfc:FC_FeatureCatalogue"), 400,
                        "InvalidParameterValue", "typeNames");
        check_exception(h.call("GET", "/csw?" + base_kvp + "&MAXRECORDS=abc"), 400, "InvalidParameterValue", "maxRecords");
        check_exception(h.call("GET", "/csw?" + base_kvp + "&STARTPOSITION=0"), 400, "InvalidParameterValue", "startPosition");
        check_exception(h.call("GET", "/csw?" + base_kvp + "&ELEMENTSETNAME=huge"), 400, "InvalidParameterValue", "ElementSetName");
        check_exception(h.call("GET", "/csw?" + base_kvp + "&OUTPUTSCHEMA=foo"), 400, "InvalidParameterValue", "outputSchema");
        check_exception(h.call("GET", "/csw?" + base_kvp + "&CONSTRAINT=x"), 400, "MissingParameterValue", "CONSTRAINTLANGUAGE");
        check_exception(h.call("GET", "/csw?" + base_kvp + "&CONSTRAINTLANGUAGE=CQL_TEXT&CONSTRAINT=" + url_encode("Modified > 2020")), 400,
                        "InvalidParameterValue", "Constraint");
        check_exception(h.call("GET", "/csw?SERVICE=CSW&VERSION=3.0.0&REQUEST=GetRecords&TYPENAMES=csw:Record"), 400, "InvalidParameterValue", "version");
        check_exception(h.call("GET", "/csw?SERVICE=CSW&VERSION=2.0.2&REQUEST=GetRecordById"), 400, "MissingParameterValue", "Id");
        check_exception(h.call("POST", "/csw", "<csw:GetRecords", {{"content-type", "application/xml"}}), 400, "NoApplicableCode", "");
        check_exception(h.call("POST", "/csw", "<!DOCTYPE x [<!ENTITY a \"b\">]><csw:GetRecords/>", {{"content-type", "application/xml"}}), 400,
                        "NoApplicableCode", "");
    }
}

TEST_CASE("metadata REST: upload, update, list, file, publication, delete; hostile documents", "[server][catalog][metadata]") {
    Harness h;
    const auto& first = h.made[0].sheet;
    const std::string id = h.metadata_id.at(first.file_identifier);

    SECTION("the uploaded fields fill the dataset sheet; the file comes back byte for byte") {
        const Reply r = h.call("GET", h.metadata_root() + "/" + id, {}, {Harness::auth()});
        REQUIRE(r.status == 200);
        const json j = r.js();
        CHECK(j["file_identifier"] == first.file_identifier);
        CHECK(j["type"] == "INSPIRE");  // identifiers ending in 0 were uploaded as INSPIRE
        CHECK(j["endpoints"].size() == 1);
        CHECK(j["dataset"]["title"] == first.title);
        CHECK(j["dataset"]["keywords"] == json(first.keywords));
        CHECK(j["dataset"]["bbox"]["west"] == first.bbox->west);
        const Reply f = h.call("GET", h.metadata_root() + "/" + id + "/file", {}, {Harness::auth()});
        CHECK(f.status == 200);
        CHECK(f.body == h.made[0].xml);
        const Reply list = h.call("GET", h.metadata_root(), {}, {Harness::auth()});
        CHECK(list.js().size() == h.made.size());
    }

    SECTION("re-uploading a file identifier updates the same sheet (200) and CSW serves the new title") {
        catalog::Dataset changed = first;
        changed.title = "Titre corrigé : cadastre";
        const Reply r = h.upload(catalog::to_iso19139(changed), "ISOAP", true);
        INFO(r.body);
        REQUIRE(r.status == 200);
        CHECK(r.js()["_id"] == id);
        CHECK(r.js()["open_data"] == true);
        CHECK(r.js()["endpoints"].size() == 1);  // still published
        const Reply g = h.call("GET", "/csw?SERVICE=CSW&VERSION=2.0.2&REQUEST=GetRecordById&ID=" + first.file_identifier);
        Xml x(g.body);
        CHECK(std::string(CPLGetXMLValue(x.top(), "SummaryRecord.title", "")) == "Titre corrigé : cadastre");
    }

    SECTION("unpublication and delete take the record out of CSW and Records") {
        const auto count = [&] { return get_records(h, base_kvp).matched; };
        const auto before = count();
        const Reply u = h.call("POST", h.metadata_root() + "/unpublication",
                               json{{"file_identifiers", {first.file_identifier}}, {"endpoint", "geoplex-csw"}}.dump(), {Harness::auth()});
        REQUIRE(u.status == 200);
        CHECK(count() == before - 1);
        CHECK(h.call("GET", "/records/collections/catalog/items/" + id).status == 404);
        const Reply d = h.call("DELETE", h.metadata_root() + "/" + h.metadata_id.at("IGNF_TEST_01.xml"), {}, {Harness::auth()});
        CHECK(d.status == 204);
        CHECK(count() == before - 2);
        CHECK(h.call("GET", h.metadata_root() + "/" + h.metadata_id.at("IGNF_TEST_01.xml"), {}, {Harness::auth()}).status == 404);
    }

    SECTION("errors: no token, invalid and hostile XML, unknown identifiers and endpoints") {
        CHECK(h.upload(catalog::to_iso19139(first), "ISOAP", false, false).status == 401);
        CHECK(h.call("GET", h.metadata_root()).status == 401);
        const auto bad = [&](const std::string& xml, const std::string& expect) {
            const Reply r = h.upload(xml);
            INFO(r.body);
            CHECK(r.status == 400);
            CHECK(r.body.find(expect) != std::string::npos);
        };
        bad("<gmd:MD_Metadata xmlns:gmd=\"http://www.isotc211.org/2005/gmd\">", "not well-formed");
        bad("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><lolz>&lol2;</lolz>", "DOCTYPE");
        bad("<gmd:MD_Metadata xmlns:gmd=\"http://www.isotc211.org/2005/gmd\"/>", "fileIdentifier");
        bad("", "file");
        CHECK(h.upload(catalog::to_iso19139(first), "DUBLIN").status == 400);
        const Reply p = h.call("POST", h.metadata_root() + "/publication", json{{"file_identifiers", {"nope.xml"}}, {"endpoint", "geoplex-csw"}}.dump(),
                               {Harness::auth()});
        CHECK(p.status == 404);
        const Reply e = h.call("POST", h.metadata_root() + "/publication",
                               json{{"file_identifiers", {first.file_identifier}}, {"endpoint", "geoplex-wfs"}}.dump(), {Harness::auth()});
        CHECK(e.status == 404);  // not a METADATA endpoint
        CHECK(h.call("POST", h.metadata_root() + "/publication", "{}", {Harness::auth()}).status == 400);
        CHECK(h.call("GET", h.metadata_root() + "/not-a-uuid", {}, {Harness::auth()}).status == 404);
    }
}

TEST_CASE("OGC API Records and the DCAT / ISO exports", "[server][catalog][records]") {
    Harness h;

    SECTION("items: q, bbox, limit/offset with next/prev links; counts from the brute force") {
        const Reply landing = h.call("GET", "/records");
        REQUIRE(landing.status == 200);
        CHECK(landing.js()["links"].size() >= 3);
        const Reply cols = h.call("GET", "/records/collections");
        CHECK(cols.js()["collections"][0]["id"] == "catalog");
        std::set<std::string> seen;
        std::string next = "/records/collections/catalog/items?q=pair&limit=2";
        const auto want = h.expected([](const catalog::Dataset& d) { return mentions(d, "pair"); });
        // "pair" is its own term: "impair" does not match it (search matches whole analysed terms).
        for (int guard = 0; !next.empty() && guard < 20; ++guard) {
            const Reply r = h.call("GET", next);
            INFO(next << " → " << r.body);
            REQUIRE(r.status == 200);
            const json j = r.js();
            CHECK(j["type"] == "FeatureCollection");
            CHECK(j["numberMatched"] == want.size());
            CHECK(j["numberReturned"].get<std::size_t>() <= 2);
            for (const auto& f : j["features"]) {
                CHECK(f["type"] == "Feature");
                CHECK(f["geometry"]["type"] == "Polygon");
                seen.insert(f["properties"]["externalIds"][0]["value"].get<std::string>());
            }
            next.clear();
            for (const auto& l : j["links"])
                if (l["rel"] == "next") next = l["href"].get<std::string>().substr(std::string("http://csw.test").size());
        }
        CHECK(seen == want);
        const Reply second = h.call("GET", "/records/collections/catalog/items?limit=2&offset=2");
        INFO(second.body);
        bool prev = false;
        const json second_page = second.js();  // (a temporary's member would dangle in the loop)
        for (const auto& l : second_page["links"]) prev = prev || l["rel"] == "prev";
        CHECK(prev);
        const catalog::GeoBox box{5, 40, 8, 50};
        const Reply b = h.call("GET", "/records/collections/catalog/items?limit=100&bbox=5,40,8,50");
        CHECK(b.js()["numberMatched"] == h.expected([&](const catalog::Dataset& d) { return d.bbox->intersects(box); }).size());
        CHECK(h.call("GET", "/records/collections/catalog/items?bbox=1,2,3").status == 400);
        CHECK(h.call("GET", "/records/collections/catalog/items?limit=5000").status == 400);
    }

    SECTION("items/{id} as GeoJSON, DCAT JSON-LD and ISO; unpublished records are 404") {
        const std::string id = h.metadata_id.at("IGNF_TEST_02.xml");
        const Reply r = h.call("GET", "/records/collections/catalog/items/" + id);
        REQUIRE(r.status == 200);
        CHECK(r.js()["properties"]["title"] == h.made[2].sheet.title);
        const Reply ld = h.call("GET", "/records/collections/catalog/items/" + id + "?f=jsonld");
        REQUIRE(ld.status == 200);
        const json j = ld.js();
        CHECK(j["@type"] == "dcat:Dataset");
        CHECK(j["@context"]["dcat"] == "http://www.w3.org/ns/dcat#");
        CHECK(j["dct:title"]["@value"] == h.made[2].sheet.title);
        CHECK(j["dcat:keyword"] == json(h.made[2].sheet.keywords));
        const Reply dcat = h.call("GET", "/api/datasets/" + id + "/dcat");
        CHECK(dcat.status == 200);
        CHECK(dcat.content_type == "application/ld+json");
        CHECK(dcat.js()["@id"] == "http://csw.test/api/datasets/" + id);
        const Reply iso = h.call("GET", "/api/datasets/" + id + "/iso19139");
        CHECK(iso.status == 200);
        CHECK(catalog::from_iso19139(iso.body).title == h.made[2].sheet.title);
        const std::string hidden = h.metadata_id.at("IGNF_TEST_04.xml");
        CHECK(h.call("GET", "/records/collections/catalog/items/" + hidden).status == 404);
        CHECK(h.call("GET", "/api/datasets/" + hidden + "/dcat").status == 404);
        CHECK(h.call("GET", "/api/datasets/" + hidden + "/dcat", {}, {Harness::auth()}).status == 200);  // the datastore's members see it
        CHECK(h.call("GET", "/records/collections/catalog/items/" + id + "?f=pdf").status == 400);
    }
}
