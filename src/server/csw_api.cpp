// CSW 2.0.2 (OGC 07-006r1) at /csw over the catalog's public records: GetCapabilities,
// DescribeRecord, GetRecords and GetRecordById, KVP (GET) and XML (POST) encodings, csw:Record
// (Dublin Core) and ISO 19139 gmd:MD_Metadata output, OWS 1.0.0 exception reports.
// See metadata_api.hpp and docs/http-api.md "CSW 2.0.2".

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "geoplex/catalog/publishing.hpp"
#include "geoplex/catalog/store.hpp"
#include "geoplex/core/error.hpp"
#include "server/metadata_api.hpp"
#include "server/ows_common.hpp"

namespace geoplex::server {

namespace {

using catalog::Dataset;
using ows::xml_escape;

constexpr const char* ns_csw = "http://www.opengis.net/cat/csw/2.0.2";
constexpr const char* ns_gmd = "http://www.isotc211.org/2005/gmd";
constexpr std::size_t max_records_limit = 1000;

/// An OWS 1.0.0 exception (CSW 2.0.2 §10.3.7) carried to the handler's catch.
struct CswException {
    int status;
    std::string code, locator, text;
};

[[noreturn]] void fail(int status, std::string code, std::string locator, std::string text) {
    throw CswException{status, std::move(code), std::move(locator), std::move(text)};
}
[[noreturn]] void missing(const std::string& name) {
    fail(400, "MissingParameterValue", name, fmt::format("parameter {} is required", name));
}
[[noreturn]] void invalid(const std::string& name, const std::string& why) { fail(400, "InvalidParameterValue", name, why); }

Response exception_report(const CswException& e) {
    std::string body = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ows:ExceptionReport xmlns:ows=\"http://www.opengis.net/ows\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xsi:schemaLocation=\"http://www.opengis.net/ows http://schemas.opengis.net/ows/1.0.0/owsExceptionReport.xsd\" version=\"1.2.0\" "
        "language=\"en\">\n  <ows:Exception exceptionCode=\"{}\"{}>\n    <ows:ExceptionText>{}</ows:ExceptionText>\n  </ows:Exception>\n"
        "</ows:ExceptionReport>\n",
        xml_escape(e.code), e.locator.empty() ? std::string() : fmt::format(" locator=\"{}\"", xml_escape(e.locator)), xml_escape(e.text));
    return Response::text(std::move(body), "application/xml", e.status);
}

/// The request parameters, from the KVP query or the POST XML body (same names, lower case).
struct CswRequest {
    std::map<std::string, std::string> kvp;
    std::optional<catalog::RecordFilter> filter;  ///< POST: the parsed csw:Constraint
    [[nodiscard]] const std::string* get(const std::string& name) const {
        const auto it = kvp.find(name);
        return it == kvp.end() ? nullptr : &it->second;
    }
};

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

CswRequest read_request(const Request& r) {
    CswRequest out;
    if (r.method == "POST") {
        try {
            const catalog::CswPostRequest post = catalog::parse_csw_post(r.body);
            for (const auto& [k, v] : post.kvp) out.kvp[lower(k)] = v;
            out.filter = post.filter;
        } catch (const InvalidArgument& e) {
            fail(400, "NoApplicableCode", "", e.what());
        }
        return out;
    }
    for (const auto& [k, v] : r.query) out.kvp.emplace(lower(k), v);
    return out;
}

std::size_t number(const CswRequest& q, const std::string& name, std::size_t fallback, std::size_t min, std::size_t max) {
    const std::string* v = q.get(lower(name));
    if (v == nullptr) return fallback;
    std::size_t n = 0;
    const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n < min || n > max)
        invalid(name, fmt::format("{} must be an integer in {}..{}, got '{}'", name, min, max, *v));
    return n;
}

// ---- records --------------------------------------------------------------------------------------

enum class ElementSet { brief, summary, full };

std::string bbox_xml(const Dataset& d, std::string_view indent) {
    if (!d.bbox) return {};
    return fmt::format("{0}<ows:BoundingBox crs=\"urn:ogc:def:crs:OGC:1.3:CRS84\">\n{0}  <ows:LowerCorner>{1} {2}</ows:LowerCorner>\n"
                       "{0}  <ows:UpperCorner>{3} {4}</ows:UpperCorner>\n{0}</ows:BoundingBox>\n",
                       indent, d.bbox->west, d.bbox->south, d.bbox->east, d.bbox->north);
}

std::string dc_record(const Dataset& d, ElementSet set) {
    const char* tag = set == ElementSet::brief ? "csw:BriefRecord" : set == ElementSet::summary ? "csw:SummaryRecord" : "csw:Record";
    std::string x = fmt::format("    <{}>\n", tag);
    const auto el = [&](std::string_view name, std::string_view value) {
        if (!value.empty()) x += fmt::format("      <{0}>{1}</{0}>\n", name, xml_escape(value));
    };
    el("dc:identifier", d.file_identifier.empty() ? d.id : d.file_identifier);
    el("dc:title", d.title);
    el("dc:type", d.level == "SERIES" ? "series" : "dataset");
    if (set != ElementSet::brief) {
        for (const auto& k : d.keywords) el("dc:subject", k);
        for (const auto& t : d.themes) el("dc:subject", t);
        if (!d.topic_category.empty()) el("dc:subject", d.topic_category);
        for (const auto& f : d.formats) el("dc:format", f);
        el("dct:modified", d.modified);
        el("dct:abstract", d.abstract);
    }
    if (set == ElementSet::full) {
        el("dc:publisher", d.producer);
        el("dc:creator", d.contact.organisation);
        el("dc:date", d.publication_date);
        el("dc:language", d.language);
        el("dc:rights", d.licence);
        el("dc:source", d.lineage);
        for (const auto& o : catalog::online_resources(d))
            x += fmt::format("      <dct:references scheme=\"{}\">{}</dct:references>\n", xml_escape(o.protocol), xml_escape(o.url));
    }
    x += bbox_xml(d, "      ");
    x += fmt::format("    </{}>\n", tag);
    return x;
}

std::string iso_record(const Dataset& d) {
    std::string xml = catalog::to_iso19139(d, {false, {}});
    std::string out;
    std::size_t start = 0;
    while (start < xml.size()) {  // indent by four spaces inside the response
        const std::size_t end = xml.find('\n', start);
        out += "    " + xml.substr(start, end == std::string::npos ? std::string::npos : end - start + 1);
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

struct Output {
    bool iso = false;
    ElementSet set = ElementSet::summary;
    std::string set_name = "summary";
};

Output output_of(const CswRequest& q, bool typenames_iso) {
    Output o;
    o.iso = typenames_iso;
    if (const std::string* s = q.get("outputschema")) {
        if (*s == ns_gmd || ows::iequals(*s, "gmd") || ows::iequals(*s, "csw:IsoRecord")) o.iso = true;
        else if (*s == ns_csw || ows::iequals(*s, "csw:Record")) o.iso = false;
        else invalid("outputSchema", fmt::format("outputSchema must be {} or {}, got '{}'", ns_csw, ns_gmd, *s));
    }
    if (const std::string* e = q.get("elementsetname")) {
        const std::string v = lower(*e);
        if (v == "brief") o.set = ElementSet::brief;
        else if (v == "summary") o.set = ElementSet::summary;
        else if (v == "full") o.set = ElementSet::full;
        else invalid("ElementSetName", fmt::format("ElementSetName must be brief, summary or full, got '{}'", *e));
        o.set_name = v;
    }
    return o;
}

std::string record(const Dataset& d, const Output& o) { return o.iso ? iso_record(d) : dc_record(d, o.set); }

constexpr const char* response_ns =
    "xmlns:csw=\"http://www.opengis.net/cat/csw/2.0.2\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
    "xmlns:dct=\"http://purl.org/dc/terms/\" xmlns:ows=\"http://www.opengis.net/ows\" "
    "xmlns:gmd=\"http://www.isotc211.org/2005/gmd\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";

// ---- operations -----------------------------------------------------------------------------------

Response get_capabilities(const Request& r) {
    const std::string url = xml_escape(ows::base_url(r, "") + "/csw");
    std::string ops;
    for (const char* op : {"GetCapabilities", "DescribeRecord", "GetRecords", "GetRecordById"}) {
        ops += fmt::format(
            "    <ows:Operation name=\"{}\">\n      <ows:DCP><ows:HTTP><ows:Get xlink:href=\"{}\"/><ows:Post xlink:href=\"{}\"/></ows:HTTP></ows:DCP>\n",
            op, url, url);
        if (std::string_view(op) == "GetRecords" || std::string_view(op) == "GetRecordById") {
            ops += fmt::format("      <ows:Parameter name=\"outputSchema\"><ows:Value>{}</ows:Value><ows:Value>{}</ows:Value></ows:Parameter>\n", ns_csw, ns_gmd);
            ops += "      <ows:Parameter name=\"ElementSetName\"><ows:Value>brief</ows:Value><ows:Value>summary</ows:Value><ows:Value>full</ows:Value></ows:Parameter>\n";
        }
        if (std::string_view(op) == "GetRecords") {
            ops += "      <ows:Parameter name=\"typeNames\"><ows:Value>csw:Record</ows:Value><ows:Value>gmd:MD_Metadata</ows:Value></ows:Parameter>\n";
            ops += "      <ows:Parameter name=\"resultType\"><ows:Value>hits</ows:Value><ows:Value>results</ows:Value></ows:Parameter>\n";
            ops += "      <ows:Parameter name=\"CONSTRAINTLANGUAGE\"><ows:Value>CQL_TEXT</ows:Value><ows:Value>FILTER</ows:Value></ows:Parameter>\n";
            ops += "      <ows:Constraint name=\"SupportedISOQueryables\"><ows:Value>AnyText</ows:Value><ows:Value>Title</ows:Value>"
                   "<ows:Value>Abstract</ows:Value><ows:Value>Subject</ows:Value><ows:Value>Identifier</ows:Value><ows:Value>BoundingBox</ows:Value></ows:Constraint>\n";
        }
        if (std::string_view(op) == "DescribeRecord")
            ops += "      <ows:Parameter name=\"typeName\"><ows:Value>csw:Record</ows:Value><ows:Value>gmd:MD_Metadata</ows:Value></ows:Parameter>\n";
        ops += "    </ows:Operation>\n";
    }
    std::string body = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<csw:Capabilities {} xmlns:ogc=\"http://www.opengis.net/ogc\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"2.0.2\" "
        "xsi:schemaLocation=\"http://www.opengis.net/cat/csw/2.0.2 http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd\">\n"
        "  <ows:ServiceIdentification>\n    <ows:Title>geoplex catalogue (CSW)</ows:Title>\n"
        "    <ows:Abstract>Published ISO 19139 metadata of the geoplex catalogue</ows:Abstract>\n"
        "    <ows:ServiceType>CSW</ows:ServiceType>\n    <ows:ServiceTypeVersion>2.0.2</ows:ServiceTypeVersion>\n"
        "    <ows:Fees>none</ows:Fees>\n    <ows:AccessConstraints>none</ows:AccessConstraints>\n  </ows:ServiceIdentification>\n"
        "  <ows:ServiceProvider>\n    <ows:ProviderName>geoplex</ows:ProviderName>\n  </ows:ServiceProvider>\n"
        "  <ows:OperationsMetadata>\n{}"
        "    <ows:Parameter name=\"service\"><ows:Value>CSW</ows:Value></ows:Parameter>\n"
        "    <ows:Parameter name=\"version\"><ows:Value>2.0.2</ows:Value></ows:Parameter>\n"
        "  </ows:OperationsMetadata>\n"
        "  <ogc:Filter_Capabilities>\n"
        "    <ogc:Spatial_Capabilities>\n      <ogc:GeometryOperands><ogc:GeometryOperand>gml:Envelope</ogc:GeometryOperand></ogc:GeometryOperands>\n"
        "      <ogc:SpatialOperators><ogc:SpatialOperator name=\"BBOX\"/></ogc:SpatialOperators>\n    </ogc:Spatial_Capabilities>\n"
        "    <ogc:Scalar_Capabilities>\n      <ogc:LogicalOperators/>\n      <ogc:ComparisonOperators><ogc:ComparisonOperator>Like</ogc:ComparisonOperator>"
        "<ogc:ComparisonOperator>EqualTo</ogc:ComparisonOperator></ogc:ComparisonOperators>\n    </ogc:Scalar_Capabilities>\n"
        "    <ogc:Id_Capabilities><ogc:EID/><ogc:FID/></ogc:Id_Capabilities>\n"
        "  </ogc:Filter_Capabilities>\n"
        "</csw:Capabilities>\n",
        response_ns, ops);
    return Response::text(std::move(body), "application/xml");
}

bool typename_iso(const std::string& names, const char* param) {
    bool iso = false, any = false;
    std::size_t start = 0;
    while (start <= names.size()) {
        std::size_t end = names.find(',', start);
        if (end == std::string::npos) end = names.size();
        const std::string t(names.substr(start, end - start));
        if (!t.empty()) {
            any = true;
            if (ows::iequals(t, "gmd:MD_Metadata")) iso = true;
            else if (!ows::iequals(t, "csw:Record"))
                invalid(param, fmt::format("{} must be csw:Record or gmd:MD_Metadata, got '{}'", param, t));
        }
        start = end + 1;
    }
    if (!any) missing(param);
    return iso;
}

Response describe_record(const CswRequest& q) {
    bool dc = true, iso = true;
    if (const std::string* t = q.get("typename")) {
        iso = typename_iso(*t, "typeName");
        dc = !iso || t->find("csw:Record") != std::string::npos;
    }
    std::string body = fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<csw:DescribeRecordResponse {}>\n", response_ns);
    if (dc)
        body += fmt::format("  <csw:SchemaComponent targetNamespace=\"{}\" schemaLanguage=\"http://www.w3.org/XML/Schema\">\n"
                            "    <xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"{}\">"
                            "<xsd:include schemaLocation=\"http://schemas.opengis.net/csw/2.0.2/record.xsd\"/></xsd:schema>\n"
                            "  </csw:SchemaComponent>\n",
                            ns_csw, ns_csw);
    if (iso)
        body += fmt::format("  <csw:SchemaComponent targetNamespace=\"{}\" schemaLanguage=\"http://www.w3.org/XML/Schema\">\n"
                            "    <xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"{}\">"
                            "<xsd:include schemaLocation=\"http://schemas.opengis.net/iso/19139/20060504/gmd/gmd.xsd\"/></xsd:schema>\n"
                            "  </csw:SchemaComponent>\n",
                            ns_gmd, ns_gmd);
    body += "</csw:DescribeRecordResponse>\n";
    return Response::text(std::move(body), "application/xml");
}

Response get_records(catalog::Catalog& c, const CswRequest& q) {
    const std::string* names = q.get("typenames");
    if (names == nullptr) names = q.get("typename");
    if (names == nullptr) missing("typeNames");
    const Output o = output_of(q, typename_iso(*names, "typeNames"));
    std::string result_type = "hits";
    if (const std::string* rt = q.get("resulttype")) {
        result_type = lower(*rt);
        if (result_type != "hits" && result_type != "results" && result_type != "validate")
            invalid("resultType", fmt::format("resultType must be hits, results or validate, got '{}'", *rt));
    }
    const std::size_t max = number(q, "maxRecords", 10, 0, max_records_limit);
    const std::size_t start = number(q, "startPosition", 1, 1, 1'000'000'000);
    catalog::RecordFilter filter;
    if (q.filter) {
        filter = *q.filter;
    } else if (const std::string* constraint = q.get("constraint"); constraint != nullptr && !constraint->empty()) {
        const std::string* lang = q.get("constraintlanguage");
        if (lang == nullptr) missing("CONSTRAINTLANGUAGE");
        try {
            if (ows::iequals(*lang, "CQL_TEXT")) filter = catalog::parse_cql_text(*constraint);
            else if (ows::iequals(*lang, "FILTER")) filter = catalog::parse_ogc_filter(*constraint);
            else invalid("CONSTRAINTLANGUAGE", fmt::format("CONSTRAINTLANGUAGE must be CQL_TEXT or FILTER, got '{}'", *lang));
        } catch (const InvalidArgument& e) {
            invalid("Constraint", e.what());
        }
    }
    if (result_type == "validate")
        return Response::text(fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<csw:Acknowledgement {} timeStamp=\"{}\"/>\n",
                                          response_ns, catalog::now_iso8601()),
                              "application/xml");
    const bool results = result_type == "results";
    const auto page = records::search_public(c.store(), filter, start - 1, results ? max : 0);
    const std::size_t returned = page.items.size();
    const std::uint64_t next = results && start - 1 + returned < page.total ? start + returned : 0;
    std::string body = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<csw:GetRecordsResponse {} version=\"2.0.2\">\n"
        "  <csw:SearchStatus timestamp=\"{}\"/>\n"
        "  <csw:SearchResults numberOfRecordsMatched=\"{}\" numberOfRecordsReturned=\"{}\" nextRecord=\"{}\" recordSchema=\"{}\" elementSet=\"{}\">\n",
        response_ns, catalog::now_iso8601(), page.total, returned, next, o.iso ? ns_gmd : ns_csw, o.set_name);
    for (const auto& d : page.items) body += record(d, o);
    body += "  </csw:SearchResults>\n</csw:GetRecordsResponse>\n";
    return Response::text(std::move(body), "application/xml");
}

Response get_record_by_id(catalog::Catalog& c, const CswRequest& q) {
    const std::string* ids = q.get("id");
    if (ids == nullptr || ids->empty()) missing("Id");
    Output o = output_of(q, false);
    if (q.get("elementsetname") == nullptr) {
        o.set = ElementSet::summary;
        o.set_name = "summary";
    }
    std::string body = fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<csw:GetRecordByIdResponse {}>\n", response_ns);
    std::size_t start = 0, count = 0;
    while (start <= ids->size() && count < max_records_limit) {
        std::size_t end = ids->find(',', start);
        if (end == std::string::npos) end = ids->size();
        if (auto d = records::find_public(c.store(), ids->substr(start, end - start))) body += record(*d, o);
        start = end + 1;
        ++count;
    }
    body += "</csw:GetRecordByIdResponse>\n";
    return Response::text(std::move(body), "application/xml");
}

Response csw(catalog::Catalog& c, const Request& r) {
    try {
        const CswRequest q = read_request(r);
        const std::string* request = q.get("request");
        if (request == nullptr || request->empty()) missing("request");
        const std::string* service = q.get("service");
        if (service == nullptr || service->empty()) missing("service");
        if (!ows::iequals(*service, "CSW")) invalid("service", fmt::format("service must be CSW, got '{}'", *service));
        if (ows::iequals(*request, "GetCapabilities")) {
            if (const std::string* v = q.get("acceptversions"); v != nullptr && v->find("2.0.2") == std::string::npos)
                fail(400, "VersionNegotiationFailed", "AcceptVersions", "this service supports version 2.0.2 only");
            return get_capabilities(r);
        }
        const std::string* version = q.get("version");
        if (version == nullptr || version->empty()) missing("version");
        if (*version != "2.0.2") invalid("version", fmt::format("version must be 2.0.2, got '{}'", *version));
        if (ows::iequals(*request, "DescribeRecord")) return describe_record(q);
        if (ows::iequals(*request, "GetRecords")) return get_records(c, q);
        if (ows::iequals(*request, "GetRecordById")) return get_record_by_id(c, q);
        fail(501, "OperationNotSupported", "request", fmt::format("operation '{}' is not supported", *request));
    } catch (const CswException& e) {
        return exception_report(e);
    } catch (const InvalidArgument& e) {
        return exception_report(CswException{400, "InvalidParameterValue", "", e.what()});
    }
}

constexpr std::string_view csw_openapi = R"json({
  "summary": "CSW 2.0.2 catalogue service over the published metadata: GetCapabilities, DescribeRecord, GetRecords (csw:Record | gmd:MD_Metadata; CQL_TEXT or FILTER constraints), GetRecordById; KVP (GET) or XML (POST)",
  "tags": ["catalog"],
  "parameters": [
    {"name": "SERVICE", "in": "query", "schema": {"type": "string", "enum": ["CSW"]}},
    {"name": "REQUEST", "in": "query", "schema": {"type": "string", "enum": ["GetCapabilities", "DescribeRecord", "GetRecords", "GetRecordById"]}},
    {"name": "VERSION", "in": "query", "schema": {"type": "string", "enum": ["2.0.2"]}},
    {"name": "TYPENAMES", "in": "query", "schema": {"type": "string"}},
    {"name": "OUTPUTSCHEMA", "in": "query", "schema": {"type": "string"}},
    {"name": "ELEMENTSETNAME", "in": "query", "schema": {"type": "string", "enum": ["brief", "summary", "full"]}},
    {"name": "RESULTTYPE", "in": "query", "schema": {"type": "string", "enum": ["hits", "results", "validate"]}},
    {"name": "MAXRECORDS", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000}},
    {"name": "STARTPOSITION", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "CONSTRAINTLANGUAGE", "in": "query", "schema": {"type": "string", "enum": ["CQL_TEXT", "FILTER"]}},
    {"name": "CONSTRAINT", "in": "query", "schema": {"type": "string"}},
    {"name": "ID", "in": "query", "schema": {"type": "string"}}
  ],
  "responses": {
    "200": {"description": "CSW response", "content": {"application/xml": {}}},
    "400": {"description": "OWS 1.0.0 ExceptionReport (MissingParameterValue, InvalidParameterValue)", "content": {"application/xml": {}}},
    "501": {"description": "OWS ExceptionReport OperationNotSupported", "content": {"application/xml": {}}}
  }
})json";

}  // namespace

void add_csw_routes(Router& router, std::shared_ptr<catalog::Catalog> catalog) {
    router.add(Router::Route{{"GET", "POST"}, "/csw",
                             [catalog](const Request& r, const bundle::Engine&) { return csw(*catalog, r); }, ErrorStyle::plain,
                             std::string(csw_openapi)});
}

}  // namespace geoplex::server
