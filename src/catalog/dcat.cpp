// DCAT-AP 2 JSON-LD export of a dataset sheet. See metadata.hpp.

#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geoplex/catalog/metadata.hpp"

namespace geoplex::catalog {

namespace {

using json = nlohmann::json;

/// ISO 639-2 → the EU language authority (http://publications.europa.eu/resource/authority/language/FRA).
std::string eu_language(std::string_view code) {
    std::string c(code);
    for (auto& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (c == "FRE") return "FRA";
    if (c == "GER") return "DEU";
    if (c == "DUT") return "NLD";
    return c;
}

json typed(const std::string& value, const char* type) { return json{{"@value", value}, {"@type", type}}; }

json date_value(const std::string& date) { return typed(date, date.size() > 10 ? "xsd:dateTime" : "xsd:date"); }

}  // namespace

json to_dcat_jsonld(const Dataset& d, std::string_view base_url) {
    json j;
    j["@context"] = json{{"dcat", "http://www.w3.org/ns/dcat#"},
                         {"dct", "http://purl.org/dc/terms/"},
                         {"foaf", "http://xmlns.com/foaf/0.1/"},
                         {"vcard", "http://www.w3.org/2006/vcard/ns#"},
                         {"locn", "http://www.w3.org/ns/locn#"},
                         {"gsp", "http://www.opengis.net/ont/geosparql#"},
                         {"adms", "http://www.w3.org/ns/adms#"},
                         {"xsd", "http://www.w3.org/2001/XMLSchema#"}};
    const std::string iri = fmt::format("{}/api/datasets/{}", base_url, d.id);
    const std::string lang = d.language == "eng" ? "en" : "fr";
    j["@id"] = iri;
    j["@type"] = "dcat:Dataset";
    j["dct:identifier"] = d.file_identifier.empty() ? d.id : d.file_identifier;
    j["dct:title"] = json{{"@value", d.title}, {"@language", lang}};
    j["dct:description"] = json{{"@value", d.abstract}, {"@language", lang}};
    j["dcat:keyword"] = d.keywords;
    json themes = json::array();
    for (const auto& t : d.themes) themes.push_back(json{{"@type", "skos:Concept"}, {"skos:prefLabel", t}});
    if (!themes.empty()) {
        j["@context"]["skos"] = "http://www.w3.org/2004/02/skos/core#";
        j["dcat:theme"] = themes;
    }
    if (!d.producer.empty()) j["dct:publisher"] = json{{"@type", "foaf:Agent"}, {"foaf:name", d.producer}};
    if (!d.contact.organisation.empty() || !d.contact.email.empty() || !d.contact.name.empty()) {
        json cp{{"@type", "vcard:Organization"}, {"vcard:fn", d.contact.organisation.empty() ? d.contact.name : d.contact.organisation}};
        if (!d.contact.email.empty()) cp["vcard:hasEmail"] = json{{"@id", "mailto:" + d.contact.email}};
        j["dcat:contactPoint"] = cp;
    }
    if (!d.publication_date.empty()) j["dct:issued"] = date_value(d.publication_date);
    if (!d.modified.empty()) j["dct:modified"] = date_value(d.modified);
    j["dct:language"] = json{{"@id", "http://publications.europa.eu/resource/authority/language/" + eu_language(d.language)}};
    if (d.bbox) {
        const auto& b = *d.bbox;
        j["dct:spatial"] = json{{"@type", "dct:Location"},
                                {"dcat:bbox", typed(fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", b.west, b.south, b.east, b.north),
                                                    "gsp:wktLiteral")}};
    }
    if (!d.temporal_start.empty() || !d.temporal_end.empty()) {
        json t{{"@type", "dct:PeriodOfTime"}};
        if (!d.temporal_start.empty()) t["dcat:startDate"] = date_value(d.temporal_start);
        if (!d.temporal_end.empty()) t["dcat:endDate"] = date_value(d.temporal_end);
        j["dct:temporal"] = t;
    }
    if (!d.update_frequency.empty()) j["dct:accrualPeriodicity"] = json{{"@type", "dct:Frequency"}, {"dct:identifier", d.update_frequency}};
    if (!d.licence.empty()) j["dct:license"] = json{{"@type", "dct:LicenseDocument"}, {"dct:title", d.licence}};
    if (!d.crs.empty()) j["dct:conformsTo"] = json{{"@type", "dct:Standard"}, {"dct:identifier", d.crs}};
    if (!d.lineage.empty()) j["dct:provenance"] = json{{"@type", "dct:ProvenanceStatement"}, {"dct:description", d.lineage}};
    if (!d.topic_category.empty()) j["dct:subject"] = d.topic_category;
    j["dct:type"] = d.level == "SERIES" ? "series" : "dataset";
    json dist = json::array();
    for (const auto& r : online_resources(d)) {
        json x{{"@type", "dcat:Distribution"}, {"dcat:accessURL", json{{"@id", r.url}}}};
        if (!r.protocol.empty()) x["dct:format"] = r.protocol;
        if (!r.name.empty()) x["dct:title"] = r.name;
        if (!r.description.empty()) x["dct:description"] = r.description;
        if (!d.licence.empty()) x["dct:license"] = j["dct:license"];
        dist.push_back(std::move(x));
    }
    for (const auto& f : d.formats) {
        json x{{"@type", "dcat:Distribution"}, {"dct:format", f}, {"dcat:accessURL", json{{"@id", iri}}}};
        if (!d.licence.empty()) x["dct:license"] = j["dct:license"];
        dist.push_back(std::move(x));
    }
    j["dcat:distribution"] = dist;
    return j;
}

}  // namespace geoplex::catalog
