// Metadata standards of the catalog (helper catstd): ISO 19139 written by to_iso19139 is read back
// with GDAL's CPLXML (another XML parser than ours) and checked field by field, and with xmllint
// when installed; a hand-written IGN-style ISO AP document is parsed field by field; hostile XML
// (malformed, billion laughs, external entities, oversized) is refused with clear problems; the
// DCAT-AP JSON-LD is parsed as JSON and checked; the CSW constraint parsers.

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <cpl_minixml.h>
#include <nlohmann/json.hpp>

#include "geoplex/catalog/metadata.hpp"

using namespace geoplex;
using namespace geoplex::catalog;
using json = nlohmann::json;

namespace {

catalog::Dataset full_dataset() {
    Dataset d;
    d.id = "0b6f2d8e-5c1a-4f5e-9a7b-2d7c1e3f4a5b";
    d.file_identifier = "IGNF_BDTOPO_3-3.xml";
    d.title = "BD TOPO® — Routes & chemins <Île-de-France>";
    d.abstract = "Description vectorielle des réseaux \"routiers\" d'Île-de-France.";
    d.producer = "IGN";
    d.keywords = {"routes", "transport", "réseau"};
    d.themes = {"Réseaux de transport", "Dénominations géographiques"};
    d.formats = {"GeoPackage", "WFS"};
    d.licence = "Licence Ouverte / Open Licence version 2.0";
    d.bbox = GeoBox{1.4462, 48.1206, 3.5592, 49.2414};
    d.temporal_start = "2020-01-01";
    d.temporal_end = "2023-12-31";
    d.publication_date = "2023-03-15";
    d.crs = "EPSG:2154";
    d.update_frequency = "quarterly";
    d.language = "fre";
    d.topic_category = "transportation";
    d.contact = Contact{"IGN", "Service clients", "sav.bdtopo@ign.fr", "pointOfContact"};
    d.lineage = "Saisie par photogrammétrie & mises à jour terrain.";
    d.level = "DATASET";
    d.modified = "2024-01-10T08:30:00Z";
    set_online_resources(d, {{"https://data.geopf.fr/wfs?SERVICE=WFS&REQUEST=GetCapabilities", "OGC:WFS", "BDTOPO_V3:troncon_de_route", "Service WFS"},
                             {"https://data.geopf.fr/telechargement/resource/BDTOPO", "WWW:DOWNLOAD-1.0-http--download", "", ""}});
    return d;
}

struct CplTree {
    CPLXMLNode* root = nullptr;
    explicit CplTree(const std::string& xml) : root(CPLParseXMLString(xml.c_str())) {}
    ~CplTree() { CPLDestroyXMLNode(root); }
    CplTree(const CplTree&) = delete;
    CplTree& operator=(const CplTree&) = delete;
    [[nodiscard]] const CPLXMLNode* md() const { return CPLGetXMLNode(root, "=gmd:MD_Metadata"); }
    [[nodiscard]] std::string value(const std::string& path) const {
        const char* v = CPLGetXMLValue(md(), path.c_str(), nullptr);
        return v == nullptr ? std::string("<missing>") : std::string(v);
    }
    /// Values of every sibling `leaf` under the element at `parent` path matching `child` name.
    [[nodiscard]] std::vector<std::string> children(const std::string& parent, const std::string& child, const std::string& leaf) const {
        std::vector<std::string> out;
        const CPLXMLNode* p = CPLGetXMLNode(md(), parent.c_str());
        for (const CPLXMLNode* n = p != nullptr ? p->psChild : nullptr; n != nullptr; n = n->psNext)
            if (n->eType == CXT_Element && child == n->pszValue) out.emplace_back(CPLGetXMLValue(n, leaf.c_str(), ""));
        return out;
    }
};

const std::string ign_document = R"(<?xml version="1.0" encoding="UTF-8"?>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco"
    xmlns:gmx="http://www.isotc211.org/2005/gmx" xmlns:gml="http://www.opengis.net/gml/3.2"
    xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <gmd:fileIdentifier><gco:CharacterString>IGNF_ADMINEXPRESS-COG_3-2.xml</gco:CharacterString></gmd:fileIdentifier>
  <gmd:language><gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/" codeListValue="fre">fre</gmd:LanguageCode></gmd:language>
  <gmd:hierarchyLevel><gmd:MD_ScopeCode codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#MD_ScopeCode" codeListValue="series"/></gmd:hierarchyLevel>
  <gmd:contact>
    <gmd:CI_ResponsibleParty>
      <gmd:organisationName><gco:CharacterString>Institut national de l'information géographique et forestière (IGN-F)</gco:CharacterString></gmd:organisationName>
      <gmd:contactInfo><gmd:CI_Contact><gmd:address><gmd:CI_Address>
        <gmd:electronicMailAddress><gco:CharacterString>sav.geoservices@ign.fr</gco:CharacterString></gmd:electronicMailAddress>
      </gmd:CI_Address></gmd:address></gmd:CI_Contact></gmd:contactInfo>
      <gmd:role><gmd:CI_RoleCode codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_RoleCode" codeListValue="pointOfContact"/></gmd:role>
    </gmd:CI_ResponsibleParty>
  </gmd:contact>
  <gmd:dateStamp><gco:DateTime>2023-06-12T14:05:31</gco:DateTime></gmd:dateStamp>
  <gmd:referenceSystemInfo><gmd:MD_ReferenceSystem><gmd:referenceSystemIdentifier><gmd:RS_Identifier>
    <gmd:code><gmx:Anchor xlink:href="http://www.opengis.net/def/crs/EPSG/0/2154">RGF93 v1 / Lambert-93</gmx:Anchor></gmd:code>
  </gmd:RS_Identifier></gmd:referenceSystemIdentifier></gmd:MD_ReferenceSystem></gmd:referenceSystemInfo>
  <gmd:identificationInfo>
    <gmd:MD_DataIdentification>
      <gmd:citation><gmd:CI_Citation>
        <gmd:title><gco:CharacterString>ADMIN EXPRESS COG</gco:CharacterString></gmd:title>
        <gmd:date><gmd:CI_Date><gmd:date><gco:Date>2022-01-01</gco:Date></gmd:date>
          <gmd:dateType><gmd:CI_DateTypeCode codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_DateTypeCode" codeListValue="creation"/></gmd:dateType></gmd:CI_Date></gmd:date>
        <gmd:date><gmd:CI_Date><gmd:date><gco:DateTime>2023-05-30T00:00:00</gco:DateTime></gmd:date>
          <gmd:dateType><gmd:CI_DateTypeCode codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_DateTypeCode" codeListValue="publication"/></gmd:dateType></gmd:CI_Date></gmd:date>
      </gmd:CI_Citation></gmd:citation>
      <gmd:abstract><gco:CharacterString>Découpage administratif du territoire métropolitain et ultramarin
        (communes, EPCI, départements, régions) au code officiel géographique.</gco:CharacterString></gmd:abstract>
      <gmd:pointOfContact><gmd:CI_ResponsibleParty>
        <gmd:organisationName><gco:CharacterString>IGN</gco:CharacterString></gmd:organisationName>
        <gmd:role><gmd:CI_RoleCode codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_RoleCode" codeListValue="owner"/></gmd:role>
      </gmd:CI_ResponsibleParty></gmd:pointOfContact>
      <gmd:resourceMaintenance><gmd:MD_MaintenanceInformation><gmd:maintenanceAndUpdateFrequency>
        <gmd:MD_MaintenanceFrequencyCode codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#MD_MaintenanceFrequencyCode" codeListValue="annually"/>
      </gmd:maintenanceAndUpdateFrequency></gmd:MD_MaintenanceInformation></gmd:resourceMaintenance>
      <gmd:descriptiveKeywords><gmd:MD_Keywords>
        <gmd:keyword><gmx:Anchor xlink:href="http://inspire.ec.europa.eu/theme/au">Unités administratives</gmx:Anchor></gmd:keyword>
        <gmd:thesaurusName><gmd:CI_Citation><gmd:title><gmx:Anchor xlink:href="http://www.eionet.europa.eu/gemet/inspire_themes">GEMET - INSPIRE themes, version 1.0</gmx:Anchor></gmd:title>
          <gmd:date><gmd:CI_Date><gmd:date><gco:Date>2008-06-01</gco:Date></gmd:date><gmd:dateType><gmd:CI_DateTypeCode codeList="x" codeListValue="publication"/></gmd:dateType></gmd:CI_Date></gmd:date>
        </gmd:CI_Citation></gmd:thesaurusName>
      </gmd:MD_Keywords></gmd:descriptiveKeywords>
      <gmd:descriptiveKeywords><gmd:MD_Keywords>
        <gmd:keyword><gco:CharacterString>commune</gco:CharacterString></gmd:keyword>
        <gmd:keyword><gco:CharacterString>limites administratives</gco:CharacterString></gmd:keyword>
        <gmd:keyword><gco:CharacterString>commune</gco:CharacterString></gmd:keyword>
      </gmd:MD_Keywords></gmd:descriptiveKeywords>
      <gmd:resourceConstraints><gmd:MD_Constraints><gmd:useLimitation><gco:CharacterString>Aucune condition</gco:CharacterString></gmd:useLimitation></gmd:MD_Constraints></gmd:resourceConstraints>
      <gmd:resourceConstraints><gmd:MD_LegalConstraints>
        <gmd:accessConstraints><gmd:MD_RestrictionCode codeList="x" codeListValue="otherRestrictions"/></gmd:accessConstraints>
        <gmd:otherConstraints><gmx:Anchor xlink:href="https://www.etalab.gouv.fr/licence-ouverte-open-licence">Licence Ouverte 2.0</gmx:Anchor></gmd:otherConstraints>
      </gmd:MD_LegalConstraints></gmd:resourceConstraints>
      <gmd:language><gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/" codeListValue="fre"/></gmd:language>
      <gmd:topicCategory><gmd:MD_TopicCategoryCode>boundaries</gmd:MD_TopicCategoryCode></gmd:topicCategory>
      <gmd:extent><gmd:EX_Extent>
        <gmd:geographicElement><gmd:EX_GeographicBoundingBox>
          <gmd:westBoundLongitude><gco:Decimal>-5.225</gco:Decimal></gmd:westBoundLongitude>
          <gmd:eastBoundLongitude><gco:Decimal>9.55</gco:Decimal></gmd:eastBoundLongitude>
          <gmd:southBoundLatitude><gco:Decimal>41.333</gco:Decimal></gmd:southBoundLatitude>
          <gmd:northBoundLatitude><gco:Decimal>51.2</gco:Decimal></gmd:northBoundLatitude>
        </gmd:EX_GeographicBoundingBox></gmd:geographicElement>
        <gmd:temporalElement><gmd:EX_TemporalExtent><gmd:extent>
          <gml:TimePeriod gml:id="ID_1"><gml:beginPosition>2022-01-01</gml:beginPosition><gml:endPosition>2023-01-01</gml:endPosition></gml:TimePeriod>
        </gmd:extent></gmd:EX_TemporalExtent></gmd:temporalElement>
      </gmd:EX_Extent></gmd:extent>
    </gmd:MD_DataIdentification>
  </gmd:identificationInfo>
  <gmd:distributionInfo><gmd:MD_Distribution>
    <gmd:distributionFormat><gmd:MD_Format><gmd:name><gco:CharacterString>GeoPackage</gco:CharacterString></gmd:name><gmd:version><gco:CharacterString>1.2</gco:CharacterString></gmd:version></gmd:MD_Format></gmd:distributionFormat>
    <gmd:distributionFormat><gmd:MD_Format><gmd:name><gco:CharacterString>Shapefile</gco:CharacterString></gmd:name><gmd:version gco:nilReason="unknown"/></gmd:MD_Format></gmd:distributionFormat>
    <gmd:transferOptions><gmd:MD_DigitalTransferOptions>
      <gmd:onLine><gmd:CI_OnlineResource>
        <gmd:linkage><gmd:URL>https://data.geopf.fr/wfs/ows?SERVICE=WFS&amp;REQUEST=GetCapabilities</gmd:URL></gmd:linkage>
        <gmd:protocol><gco:CharacterString>OGC:WFS</gco:CharacterString></gmd:protocol>
        <gmd:name><gco:CharacterString>ADMINEXPRESS-COG.LATEST:commune</gco:CharacterString></gmd:name>
      </gmd:CI_OnlineResource></gmd:onLine>
    </gmd:MD_DigitalTransferOptions></gmd:transferOptions>
  </gmd:MD_Distribution></gmd:distributionInfo>
  <gmd:dataQualityInfo><gmd:DQ_DataQuality>
    <gmd:lineage><gmd:LI_Lineage><gmd:statement><gco:CharacterString>Dérivé de la BD TOPO.</gco:CharacterString></gmd:statement></gmd:LI_Lineage></gmd:lineage>
  </gmd:DQ_DataQuality></gmd:dataQualityInfo>
</gmd:MD_Metadata>
)";

std::string problems_of(const std::string& xml) {
    try {
        (void)from_iso19139(xml);
    } catch (const InvalidArgument& e) {
        std::string all;
        for (const auto& p : e.problems()) all += p + "\n";
        return all;
    }
    return "<accepted>";
}

}  // namespace

TEST_CASE("to_iso19139 is well-formed and holds every field (read back with GDAL's CPLXML)", "[catalog][metadata]") {
    const Dataset d = full_dataset();
    const std::string xml = to_iso19139(d, {true, {{"https://geoplex.test/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", "OGC:WMTS", "bdtopo", ""}}});
    CplTree t(xml);
    REQUIRE(t.root != nullptr);
    REQUIRE(t.md() != nullptr);
    CHECK(t.value("gmd:fileIdentifier.gco:CharacterString") == d.file_identifier);
    CHECK(t.value("gmd:language.gmd:LanguageCode.codeListValue") == "fre");
    CHECK(t.value("gmd:hierarchyLevel.gmd:MD_ScopeCode.codeListValue") == "dataset");
    CHECK(t.value("gmd:contact.gmd:CI_ResponsibleParty.gmd:organisationName.gco:CharacterString") == "IGN");
    CHECK(t.value("gmd:contact.gmd:CI_ResponsibleParty.gmd:contactInfo.gmd:CI_Contact.gmd:address.gmd:CI_Address.gmd:electronicMailAddress.gco:CharacterString") ==
          "sav.bdtopo@ign.fr");
    CHECK(t.value("gmd:dateStamp.gco:DateTime") == d.modified);
    CHECK(t.value("gmd:referenceSystemInfo.gmd:MD_ReferenceSystem.gmd:referenceSystemIdentifier.gmd:RS_Identifier.gmd:code.gmx:Anchor.xlink:href") ==
          "http://www.opengis.net/def/crs/EPSG/0/2154");
    const std::string id = "gmd:identificationInfo.gmd:MD_DataIdentification.";
    CHECK(t.value(id + "gmd:citation.gmd:CI_Citation.gmd:title.gco:CharacterString") == d.title);
    CHECK(t.value(id + "gmd:citation.gmd:CI_Citation.gmd:date.gmd:CI_Date.gmd:date.gco:Date") == "2023-03-15");
    CHECK(t.value(id + "gmd:citation.gmd:CI_Citation.gmd:date.gmd:CI_Date.gmd:dateType.gmd:CI_DateTypeCode.codeListValue") == "publication");
    CHECK(t.value(id + "gmd:abstract.gco:CharacterString") == d.abstract);
    CHECK(t.value(id + "gmd:pointOfContact.gmd:CI_ResponsibleParty.gmd:organisationName.gco:CharacterString") == "IGN");
    CHECK(t.value(id + "gmd:resourceConstraints.gmd:MD_LegalConstraints.gmd:otherConstraints.gco:CharacterString") == d.licence);
    CHECK(t.value(id + "gmd:topicCategory.gmd:MD_TopicCategoryCode") == "transportation");
    CHECK(t.value(id + "gmd:resourceMaintenance.gmd:MD_MaintenanceInformation.gmd:maintenanceAndUpdateFrequency.gmd:MD_MaintenanceFrequencyCode.codeListValue") ==
          "quarterly");
    const std::string box = id + "gmd:extent.gmd:EX_Extent.gmd:geographicElement.gmd:EX_GeographicBoundingBox.";
    CHECK(std::stod(t.value(box + "gmd:westBoundLongitude.gco:Decimal")) == Approx(1.4462));
    CHECK(std::stod(t.value(box + "gmd:eastBoundLongitude.gco:Decimal")) == Approx(3.5592));
    CHECK(std::stod(t.value(box + "gmd:southBoundLatitude.gco:Decimal")) == Approx(48.1206));
    CHECK(std::stod(t.value(box + "gmd:northBoundLatitude.gco:Decimal")) == Approx(49.2414));
    const std::string tp = id + "gmd:extent.gmd:EX_Extent.gmd:temporalElement.gmd:EX_TemporalExtent.gmd:extent.gml:TimePeriod.";
    CHECK(t.value(tp + "gml:beginPosition") == "2020-01-01");
    CHECK(t.value(tp + "gml:endPosition") == "2023-12-31");
    // Two keyword blocks: free keywords, then the INSPIRE themes with their thesaurus.
    std::vector<std::string> all_keywords;
    const CPLXMLNode* ident = CPLGetXMLNode(t.md(), (id.substr(0, id.size() - 1)).c_str());
    REQUIRE(ident != nullptr);
    std::vector<std::string> thesauri;
    for (const CPLXMLNode* n = ident->psChild; n != nullptr; n = n->psNext) {
        if (n->eType != CXT_Element || std::string(n->pszValue) != "gmd:descriptiveKeywords") continue;
        const CPLXMLNode* k = CPLGetXMLNode(n, "gmd:MD_Keywords");
        thesauri.emplace_back(CPLGetXMLValue(k, "gmd:thesaurusName.gmd:CI_Citation.gmd:title.gco:CharacterString", ""));
        for (const CPLXMLNode* kw = k->psChild; kw != nullptr; kw = kw->psNext)
            if (kw->eType == CXT_Element && std::string(kw->pszValue) == "gmd:keyword") all_keywords.emplace_back(CPLGetXMLValue(kw, "gco:CharacterString", ""));
    }
    CHECK(thesauri == std::vector<std::string>{"", "GEMET - INSPIRE themes, version 1.0"});
    CHECK(all_keywords == std::vector<std::string>{"routes", "transport", "réseau", "Réseaux de transport", "Dénominations géographiques"});
    CHECK(t.children("gmd:distributionInfo.gmd:MD_Distribution", "gmd:distributionFormat", "gmd:MD_Format.gmd:name.gco:CharacterString") ==
          std::vector<std::string>{"GeoPackage", "WFS"});
    CHECK(t.children("gmd:distributionInfo.gmd:MD_Distribution.gmd:transferOptions.gmd:MD_DigitalTransferOptions", "gmd:onLine",
                     "gmd:CI_OnlineResource.gmd:linkage.gmd:URL") ==
          std::vector<std::string>{"https://data.geopf.fr/wfs?SERVICE=WFS&REQUEST=GetCapabilities", "https://data.geopf.fr/telechargement/resource/BDTOPO",
                                   "https://geoplex.test/wmts?SERVICE=WMTS&REQUEST=GetCapabilities"});
    CHECK(t.value("gmd:dataQualityInfo.gmd:DQ_DataQuality.gmd:lineage.gmd:LI_Lineage.gmd:statement.gco:CharacterString") == d.lineage);

    SECTION("xmllint finds it well-formed") {
        if (std::system("command -v xmllint >/dev/null 2>&1") != 0) {
            WARN("xmllint not installed (Debian libxml2-utils): skipped");
            return;
        }
        const auto path = std::filesystem::temp_directory_path() / "geoplex-iso19139-test.xml";
        std::ofstream(path) << xml;
        CHECK(std::system(("xmllint --noout " + path.string() + " 2>/dev/null").c_str()) == 0);
        std::filesystem::remove(path);
    }
}

TEST_CASE("ISO 19139 round trip: from_iso19139(to_iso19139(d)) keeps the sheet", "[catalog][metadata]") {
    const Dataset d = full_dataset();
    const Dataset back = from_iso19139(to_iso19139(d));
    CHECK(back.file_identifier == d.file_identifier);
    CHECK(back.title == d.title);
    CHECK(back.abstract == d.abstract);
    CHECK(back.producer == d.producer);
    CHECK(back.keywords == d.keywords);
    CHECK(back.themes == d.themes);
    CHECK(back.formats == d.formats);
    CHECK(back.licence == d.licence);
    REQUIRE(back.bbox.has_value());
    CHECK(*back.bbox == *d.bbox);
    CHECK(back.temporal_start == d.temporal_start);
    CHECK(back.temporal_end == d.temporal_end);
    CHECK(back.publication_date == d.publication_date);
    CHECK(back.crs == d.crs);
    CHECK(back.update_frequency == d.update_frequency);
    CHECK(back.language == d.language);
    CHECK(back.topic_category == d.topic_category);
    CHECK(back.contact == d.contact);
    CHECK(back.lineage == d.lineage);
    CHECK(back.level == d.level);
    CHECK(online_resources(back) == online_resources(d));
    CHECK(back.tags.at("date_stamp") == d.modified);

    Dataset series = d;
    series.level = "SERIES";
    series.bbox.reset();
    series.temporal_end.clear();
    const Dataset s = from_iso19139(to_iso19139(series));
    CHECK(s.level == "SERIES");
    CHECK(!s.bbox.has_value());
    CHECK(s.temporal_start == "2020-01-01");
    CHECK(s.temporal_end.empty());
}

TEST_CASE("from_iso19139 reads a real-looking IGN ISO AP document", "[catalog][metadata]") {
    const Dataset d = from_iso19139(ign_document);
    CHECK(d.file_identifier == "IGNF_ADMINEXPRESS-COG_3-2.xml");
    CHECK(d.language == "fre");
    CHECK(d.level == "SERIES");
    CHECK(d.contact.organisation == "Institut national de l'information géographique et forestière (IGN-F)");
    CHECK(d.contact.email == "sav.geoservices@ign.fr");
    CHECK(d.contact.role == "pointOfContact");
    CHECK(d.tags.at("date_stamp") == "2023-06-12T14:05:31");
    CHECK(d.crs == "EPSG:2154");  // from the Anchor's xlink:href (its text is the CRS name)
    CHECK(d.title == "ADMIN EXPRESS COG");
    CHECK(d.publication_date == "2023-05-30T00:00:00");  // publication wins over creation
    CHECK(d.abstract.starts_with("Découpage administratif"));
    CHECK(d.abstract.ends_with("code officiel géographique."));
    CHECK(d.producer == "IGN");
    CHECK(d.update_frequency == "annually");
    CHECK(d.themes == std::vector<std::string>{"Unités administratives"});
    CHECK(d.keywords == std::vector<std::string>{"commune", "limites administratives"});
    CHECK(d.licence == "Licence Ouverte 2.0");
    CHECK(d.topic_category == "boundaries");
    REQUIRE(d.bbox.has_value());
    CHECK(*d.bbox == GeoBox{-5.225, 41.333, 9.55, 51.2});
    CHECK(d.temporal_start == "2022-01-01");
    CHECK(d.temporal_end == "2023-01-01");
    CHECK(d.formats == std::vector<std::string>{"GeoPackage", "Shapefile"});
    const auto online = online_resources(d);
    REQUIRE(online.size() == 1);
    CHECK(online[0].url == "https://data.geopf.fr/wfs/ows?SERVICE=WFS&REQUEST=GetCapabilities");
    CHECK(online[0].protocol == "OGC:WFS");
    CHECK(online[0].name == "ADMINEXPRESS-COG.LATEST:commune");
    CHECK(d.lineage == "Dérivé de la BD TOPO.");
}

TEST_CASE("from_iso19139 refuses invalid and hostile XML with clear problems", "[catalog][metadata][hostile]") {
    SECTION("not well-formed: the parser's message and line") {
        const std::string p = problems_of("<gmd:MD_Metadata xmlns:gmd=\"http://www.isotc211.org/2005/gmd\">\n<gmd:fileIdentifier>\n</gmd:MD_Metadata>");
        CHECK(p.find("not well-formed") != std::string::npos);
        CHECK(p.find("line 3") != std::string::npos);
        CHECK(problems_of("").find("not well-formed") != std::string::npos);
        CHECK(problems_of(std::string("\0\xff\xfe<a>", 6)).find("not well-formed") != std::string::npos);
    }
    SECTION("billion laughs and external entities: no DOCTYPE accepted") {
        const std::string laughs = R"(<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"><gmd:fileIdentifier>&lol9;</gmd:fileIdentifier></gmd:MD_Metadata>)";
        CHECK(problems_of(laughs).find("DOCTYPE") != std::string::npos);
        const std::string xxe = R"(<?xml version="1.0"?><!doctype x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco">
<gmd:fileIdentifier><gco:CharacterString>&xxe;</gco:CharacterString></gmd:fileIdentifier></gmd:MD_Metadata>)";
        CHECK(problems_of(xxe).find("DOCTYPE") != std::string::npos);
        // An undeclared entity reference is a well-formedness error, not a file read.
        const std::string undeclared = R"(<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"><gmd:fileIdentifier>&xxe;</gmd:fileIdentifier></gmd:MD_Metadata>)";
        CHECK(problems_of(undeclared).find("<accepted>") == std::string::npos);
    }
    SECTION("oversized documents are refused before parsing") {
        std::string huge = "<gmd:MD_Metadata xmlns:gmd=\"http://www.isotc211.org/2005/gmd\"><gmd:abstract>";
        huge.append(max_metadata_bytes, 'x');
        huge += "</gmd:abstract></gmd:MD_Metadata>";
        CHECK(problems_of(huge).find("too large") != std::string::npos);
    }
    SECTION("deeply nested elements fail cleanly (libxml2's depth limit)") {
        std::string deep;
        for (int i = 0; i < 100000; ++i) deep += "<a>";
        CHECK(problems_of(deep).find("<accepted>") == std::string::npos);
    }
    SECTION("wrong root, missing fileIdentifier and title, bad bbox: every problem listed") {
        CHECK(problems_of("<csw:Record xmlns:csw=\"http://www.opengis.net/cat/csw/2.0.2\"/>").find("gmd:MD_Metadata") != std::string::npos);
        std::string doc = ign_document;
        const auto cut = [&](const std::string& from, const std::string& to) {
            const auto a = doc.find(from), b = doc.find(to, a);
            REQUIRE(a != std::string::npos);
            doc.erase(a, b + to.size() - a);
        };
        cut("<gmd:fileIdentifier>", "</gmd:fileIdentifier>");
        cut("<gmd:title><gco:CharacterString>ADMIN", "</gmd:title>");
        doc.replace(doc.find("-5.225"), 6, "west");
        const std::string p = problems_of(doc);
        CHECK(p.find("gmd:fileIdentifier: missing") != std::string::npos);
        CHECK(p.find("gmd:title: missing") != std::string::npos);
        CHECK(p.find("westBoundLongitude: not a number ('west')") != std::string::npos);
    }
}

TEST_CASE("DCAT-AP JSON-LD of a dataset", "[catalog][metadata][dcat]") {
    const Dataset d = full_dataset();
    const json j = json::parse(to_dcat_jsonld(d, "https://geoplex.test").dump());
    CHECK(j["@context"]["dcat"] == "http://www.w3.org/ns/dcat#");
    CHECK(j["@context"]["dct"] == "http://purl.org/dc/terms/");
    CHECK(j["@type"] == "dcat:Dataset");
    CHECK(j["@id"] == "https://geoplex.test/api/datasets/" + d.id);
    CHECK(j["dct:identifier"] == d.file_identifier);
    CHECK(j["dct:title"]["@value"] == d.title);
    CHECK(j["dct:title"]["@language"] == "fr");
    CHECK(j["dct:description"]["@value"] == d.abstract);
    CHECK(j["dcat:keyword"] == json(d.keywords));
    REQUIRE(j["dcat:theme"].size() == 2);
    CHECK(j["dcat:theme"][0]["skos:prefLabel"] == "Réseaux de transport");
    CHECK(j["dct:publisher"]["foaf:name"] == "IGN");
    CHECK(j["dcat:contactPoint"]["vcard:hasEmail"]["@id"] == "mailto:sav.bdtopo@ign.fr");
    CHECK(j["dct:issued"]["@value"] == "2023-03-15");
    CHECK(j["dct:issued"]["@type"] == "xsd:date");
    CHECK(j["dct:language"]["@id"] == "http://publications.europa.eu/resource/authority/language/FRA");
    CHECK(j["dct:spatial"]["dcat:bbox"]["@value"] ==
          "POLYGON((1.4462 48.1206,3.5592 48.1206,3.5592 49.2414,1.4462 49.2414,1.4462 48.1206))");
    CHECK(j["dct:temporal"]["dcat:startDate"]["@value"] == "2020-01-01");
    CHECK(j["dct:license"]["dct:title"] == d.licence);
    // One distribution per online resource, then per format.
    REQUIRE(j["dcat:distribution"].size() == 4);
    CHECK(j["dcat:distribution"][0]["dcat:accessURL"]["@id"] == "https://data.geopf.fr/wfs?SERVICE=WFS&REQUEST=GetCapabilities");
    CHECK(j["dcat:distribution"][0]["dct:format"] == "OGC:WFS");
    CHECK(j["dcat:distribution"][2]["dct:format"] == "GeoPackage");
    for (const auto& x : j["dcat:distribution"]) CHECK(x["@type"] == "dcat:Distribution");
}

TEST_CASE("CSW constraints: CQL_TEXT and OGC Filter", "[catalog][metadata][csw]") {
    auto f = parse_cql_text("AnyText like '%routes%' AND BBOX(ows:BoundingBox, 1, 45, 3.5, 49)");
    CHECK(f.text == "routes");
    REQUIRE(f.bbox.has_value());
    CHECK(*f.bbox == GeoBox{1, 45, 3.5, 49});
    f = parse_cql_text("csw:AnyText ILIKE 'réseau%' and dc:title like '%eau%'");
    CHECK(f.text == "réseau eau");
    CHECK(!f.bbox);
    CHECK(parse_cql_text("dc:identifier = 'IGNF_X.xml'").identifier == "IGNF_X.xml");
    CHECK(parse_cql_text("AnyText like 'l''eau'").text == "l'eau");
    CHECK_THROWS_AS(parse_cql_text("AnyText like '%x%' OR BBOX(a,1,2,3,4)"), InvalidArgument);
    CHECK_THROWS_AS(parse_cql_text("Modified > '2020'"), InvalidArgument);
    CHECK_THROWS_AS(parse_cql_text("BBOX(ows:BoundingBox, 5, 45, 1, 49)"), InvalidArgument);
    CHECK_THROWS_AS(parse_cql_text("AnyText like 'open"), InvalidArgument);

    const std::string filter = R"(<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml"><ogc:And>
  <ogc:PropertyIsLike wildCard="*" singleChar="." escapeChar="\"><ogc:PropertyName>AnyText</ogc:PropertyName><ogc:Literal>*rivière*</ogc:Literal></ogc:PropertyIsLike>
  <ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName><gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326">
    <gml:lowerCorner>44 4</gml:lowerCorner><gml:upperCorner>45 5</gml:upperCorner></gml:Envelope></ogc:BBOX>
</ogc:And></ogc:Filter>)";
    f = parse_ogc_filter(filter);
    CHECK(f.text == "rivière");
    REQUIRE(f.bbox.has_value());
    CHECK(*f.bbox == GeoBox{4, 44, 5, 45});  // lat/lon axis order of the EPSG URN swapped to lon/lat
    CHECK_THROWS_AS(parse_ogc_filter("<ogc:Filter xmlns:ogc=\"http://www.opengis.net/ogc\"><ogc:Or/></ogc:Filter>"), InvalidArgument);
    CHECK_THROWS_AS(parse_ogc_filter("<ogc:Filter"), InvalidArgument);
}
