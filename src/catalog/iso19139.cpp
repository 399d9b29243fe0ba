// ISO 19139 writing and reading (libxml2 + XPath), and the CSW filter parsers. See metadata.hpp.

#include "geoplex/catalog/metadata.hpp"
#include "geoplex/core/xml.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <nlohmann/json.hpp>

namespace geoplex::catalog {

namespace {

using json = nlohmann::json;

constexpr const char* ns_gmd = "http://www.isotc211.org/2005/gmd";
constexpr const char* ns_gco = "http://www.isotc211.org/2005/gco";
constexpr const char* ns_gmx = "http://www.isotc211.org/2005/gmx";
constexpr const char* ns_srv = "http://www.isotc211.org/2005/srv";
constexpr const char* ns_gml = "http://www.opengis.net/gml/3.2";
constexpr const char* ns_xlink = "http://www.w3.org/1999/xlink";
constexpr const char* inspire_thesaurus = "GEMET - INSPIRE themes, version 1.0";
constexpr const char* codelists = "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml";

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
    return std::string(s);
}

bool icontains(std::string_view hay, std::string_view needle) {
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           }) != hay.end();
}

// ---- writing -------------------------------------------------------------------------------------

/// A small indented XML writer over a string.
class Writer {
public:
    void open(std::string_view tag, std::string_view attrs = {}) {
        indent();
        m_out += fmt::format("<{}{}{}>\n", tag, attrs.empty() ? "" : " ", attrs);
        m_stack.emplace_back(tag);
    }
    void close() {
        const std::string tag = m_stack.back();
        m_stack.pop_back();
        indent();
        m_out += fmt::format("</{}>\n", tag);
    }
    void leaf(std::string_view tag, std::string_view text, std::string_view attrs = {}) {
        indent();
        m_out += fmt::format("<{}{}{}>{}</{}>\n", tag, attrs.empty() ? "" : " ", attrs, xml_escape_text(text), tag);
    }
    void empty(std::string_view tag, std::string_view attrs) {
        indent();
        m_out += fmt::format("<{} {}/>\n", tag, attrs);
    }
    /// <outer><gco:CharacterString>text</gco:CharacterString></outer>
    void str(std::string_view outer, std::string_view text) {
        open(outer);
        leaf("gco:CharacterString", text);
        close();
    }
    /// <outer><gmd:X codeList="…#X" codeListValue="v">v</gmd:X></outer>
    void code(std::string_view outer, std::string_view list, std::string_view value) {
        open(outer);
        leaf(fmt::format("gmd:{}", list), value,
             fmt::format("codeList=\"{}#{}\" codeListValue=\"{}\"", codelists, list, xml_escape_text(value)));
        close();
    }
    void raw(std::string_view text) { m_out += text; }
    [[nodiscard]] std::string take() { return std::move(m_out); }

private:
    void indent() { m_out.append(m_stack.size() * 2, ' '); }
    std::string m_out;
    std::vector<std::string> m_stack;
};

/// "2024-05-01T10:00:00Z" → gco:DateTime, "2024-05-01" → gco:Date.
void write_date(Writer& w, std::string_view outer, std::string_view date) {
    w.open(outer);
    if (date.size() > 10) w.leaf("gco:DateTime", date);
    else w.leaf("gco:Date", date);
    w.close();
}

void write_party(Writer& w, std::string_view outer, const Contact& c, std::string_view organisation_fallback) {
    w.open(outer);
    w.open("gmd:CI_ResponsibleParty");
    if (!c.name.empty()) w.str("gmd:individualName", c.name);
    w.str("gmd:organisationName", c.organisation.empty() ? organisation_fallback : c.organisation);
    if (!c.email.empty()) {
        w.open("gmd:contactInfo");
        w.open("gmd:CI_Contact");
        w.open("gmd:address");
        w.open("gmd:CI_Address");
        w.str("gmd:electronicMailAddress", c.email);
        for (int i = 0; i < 4; ++i) w.close();
    }
    w.code("gmd:role", "CI_RoleCode", c.role.empty() ? "pointOfContact" : c.role);
    w.close();
    w.close();
}

void write_keywords(Writer& w, const std::vector<std::string>& words, std::string_view thesaurus) {
    if (words.empty()) return;
    w.open("gmd:descriptiveKeywords");
    w.open("gmd:MD_Keywords");
    for (const auto& k : words) w.str("gmd:keyword", k);
    if (!thesaurus.empty()) {
        w.open("gmd:thesaurusName");
        w.open("gmd:CI_Citation");
        w.str("gmd:title", thesaurus);
        w.open("gmd:date");
        w.open("gmd:CI_Date");
        write_date(w, "gmd:date", "2008-06-01");
        w.code("gmd:dateType", "CI_DateTypeCode", "publication");
        for (int i = 0; i < 4; ++i) w.close();
    }
    w.close();
    w.close();
}

std::string crs_code(std::string_view crs) {
    // "EPSG:2154" → the OGC URI INSPIRE prefers; other spellings are written as they are.
    if (crs.starts_with("EPSG:")) return fmt::format("http://www.opengis.net/def/crs/EPSG/0/{}", crs.substr(5));
    return std::string(crs);
}

std::string number(double v) { return fmt::format("{}", v); }

// ---- reading -------------------------------------------------------------------------------------

void init_libxml() {
    static std::once_flag once;
    std::call_once(once, [] { xmlInitParser(); });
}

struct DocDeleter {
    void operator()(xmlDoc* d) const noexcept { xmlFreeDoc(d); }
};
struct CtxtDeleter {
    void operator()(xmlParserCtxt* c) const noexcept { xmlFreeParserCtxt(c); }
};
struct XPathCtxDeleter {
    void operator()(xmlXPathContext* c) const noexcept { xmlXPathFreeContext(c); }
};
struct XPathObjDeleter {
    void operator()(xmlXPathObject* o) const noexcept { xmlXPathFreeObject(o); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocDeleter>;

/// Parses untrusted XML: size-limited, no DOCTYPE at all (hence no entity declarations), no
/// network, no entity substitution. Throws InvalidArgument with the parser's message and line.
DocPtr parse_untrusted(std::string_view xml, std::string_view what) {
    init_libxml();
    if (xml.size() > max_metadata_bytes)
        throw InvalidArgument(fmt::format("{}: document too large ({} bytes, at most {})", what, xml.size(), max_metadata_bytes));
    if (icontains(xml, "<!DOCTYPE") || icontains(xml, "<!ENTITY"))
        throw InvalidArgument(fmt::format("{}: DOCTYPE and entity declarations are not accepted", what));
    std::unique_ptr<xmlParserCtxt, CtxtDeleter> ctxt(xmlNewParserCtxt());
    if (!ctxt) throw DependencyError("libxml2: cannot create a parser context");
    const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    DocPtr doc(xmlCtxtReadMemory(ctxt.get(), xml.data(), static_cast<int>(xml.size()), "metadata.xml", nullptr, options));
    if (!doc) {
        const xmlError* e = xmlCtxtGetLastError(ctxt.get());
        throw InvalidArgument(fmt::format("{}: not well-formed XML{}{}", what,
                                          e != nullptr ? fmt::format(" (line {}): ", e->line) : std::string(),
                                          e != nullptr && e->message != nullptr ? trim(e->message) : std::string()));
    }
    if (doc->intSubset != nullptr || xmlDocGetRootElement(doc.get()) == nullptr)
        throw InvalidArgument(fmt::format("{}: DOCTYPE or empty document", what));
    return doc;
}

/// XPath over one document with the ISO namespaces bound.
class XPath {
public:
    explicit XPath(xmlDoc* doc) : m_ctx(xmlXPathNewContext(doc)) {
        if (!m_ctx) throw DependencyError("libxml2: cannot create an XPath context");
        const std::pair<const char*, const char*> ns[] = {
            {"gmd", ns_gmd}, {"gco", ns_gco}, {"gmx", ns_gmx}, {"srv", ns_srv}, {"xlink", ns_xlink},
            {"ogc", "http://www.opengis.net/ogc"}, {"gml", "http://www.opengis.net/gml"}, {"gml32", ns_gml},
            {"csw", "http://www.opengis.net/cat/csw/2.0.2"}};
        for (const auto& [p, uri] : ns)
            xmlXPathRegisterNs(m_ctx.get(), reinterpret_cast<const xmlChar*>(p), reinterpret_cast<const xmlChar*>(uri));
    }
    /// The nodes `expr` selects from `at` (document root when null).
    std::vector<xmlNode*> nodes(const std::string& expr, xmlNode* at = nullptr) {
        m_ctx->node = at != nullptr ? at : xmlDocGetRootElement(m_ctx->doc);
        std::unique_ptr<xmlXPathObject, XPathObjDeleter> obj(
            xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(expr.c_str()), m_ctx.get()));
        std::vector<xmlNode*> out;
        if (obj && obj->type == XPATH_NODESET && obj->nodesetval != nullptr)
            for (int i = 0; i < obj->nodesetval->nodeNr; ++i) out.push_back(obj->nodesetval->nodeTab[i]);
        return out;
    }
    /// Trimmed text of every node selected.
    std::vector<std::string> texts(const std::string& expr, xmlNode* at = nullptr) {
        std::vector<std::string> out;
        for (xmlNode* n : nodes(expr, at)) {
            std::string t = content(n);
            if (!t.empty()) out.push_back(std::move(t));
        }
        return out;
    }
    /// The first non-empty text, or "".
    std::string text(const std::string& expr, xmlNode* at = nullptr) {
        auto all = texts(expr, at);
        return all.empty() ? std::string() : all.front();
    }
    static std::string content(xmlNode* n) {
        xmlChar* c = xmlNodeGetContent(n);
        if (c == nullptr) return {};
        std::string out = trim(reinterpret_cast<const char*>(c));
        xmlFree(c);
        return out;
    }

private:
    std::unique_ptr<xmlXPathContext, XPathCtxDeleter> m_ctx;
};

/// A gco:CharacterString or gmx:Anchor child (the two ways ISO AP documents carry free text).
std::string cs(std::string_view path) { return fmt::format("{}/*[self::gco:CharacterString or self::gmx:Anchor]", path); }
/// A code list value: @codeListValue, else the element's text.
std::string code_value(XPath& x, const std::string& element_path, xmlNode* at = nullptr) {
    std::string v = x.text(element_path + "/@codeListValue", at);
    return v.empty() ? x.text(element_path, at) : v;
}

std::string normalize_crs(std::string code) {
    // "http://www.opengis.net/def/crs/EPSG/0/2154", "urn:ogc:def:crs:EPSG::2154", "EPSG:2154", "2154".
    const auto digits_tail = [&]() -> std::string {
        std::size_t i = code.size();
        while (i > 0 && std::isdigit(static_cast<unsigned char>(code[i - 1])) != 0) --i;
        return code.substr(i);
    };
    if (icontains(code, "epsg")) {
        const std::string d = digits_tail();
        if (!d.empty()) return "EPSG:" + d;
    }
    if (!code.empty() && std::all_of(code.begin(), code.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }))
        return "EPSG:" + code;
    return code;
}

std::string attribute(xmlNode* n, const char* name) {
    xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
    if (v == nullptr) return {};
    std::string out = reinterpret_cast<const char*>(v);
    xmlFree(v);
    return out;
}

std::optional<double> to_double(const std::string& s) {
    double v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

}  // namespace

std::string xml_escape_text(std::string_view s) { return core::xml_escape(s); }

std::vector<OnlineResource> online_resources(const Dataset& d) {
    std::vector<OnlineResource> out;
    const json extra = json::parse(d.extra.empty() ? "{}" : d.extra, nullptr, false);
    if (!extra.is_object() || !extra.contains("online_resources") || !extra["online_resources"].is_array()) return out;
    for (const auto& r : extra["online_resources"]) {
        if (!r.is_object()) continue;
        OnlineResource o;
        const auto get = [&](const char* k) { return r.contains(k) && r[k].is_string() ? r[k].get<std::string>() : std::string(); };
        o.url = get("url");
        o.protocol = get("protocol");
        o.name = get("name");
        o.description = get("description");
        if (!o.url.empty()) out.push_back(std::move(o));
    }
    return out;
}

void set_online_resources(Dataset& d, const std::vector<OnlineResource>& resources) {
    json extra = json::parse(d.extra.empty() ? "{}" : d.extra, nullptr, false);
    if (!extra.is_object()) extra = json::object();
    json list = json::array();
    for (const auto& r : resources)
        list.push_back(json{{"url", r.url}, {"protocol", r.protocol}, {"name", r.name}, {"description", r.description}});
    if (list.empty()) extra.erase("online_resources");
    else extra["online_resources"] = std::move(list);
    d.extra = extra.dump();
}

std::string to_iso19139(const Dataset& d, const Iso19139Options& options) {
    Writer w;
    if (options.xml_declaration) w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    w.open("gmd:MD_Metadata",
           fmt::format("xmlns:gmd=\"{}\" xmlns:gco=\"{}\" xmlns:gmx=\"{}\" xmlns:gml=\"{}\" xmlns:xlink=\"{}\" "
                       "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                       "xsi:schemaLocation=\"http://www.isotc211.org/2005/gmd http://schemas.opengis.net/iso/19139/20060504/gmd/gmd.xsd\"",
                       ns_gmd, ns_gco, ns_gmx, ns_gml, ns_xlink));
    w.str("gmd:fileIdentifier", d.file_identifier.empty() ? d.id : d.file_identifier);
    w.open("gmd:language");
    w.leaf("gmd:LanguageCode", d.language,
           fmt::format("codeList=\"http://www.loc.gov/standards/iso639-2/\" codeListValue=\"{}\"", xml_escape_text(d.language)));
    w.close();
    w.open("gmd:characterSet");
    w.leaf("gmd:MD_CharacterSetCode", "utf8", fmt::format("codeList=\"{}#MD_CharacterSetCode\" codeListValue=\"utf8\"", codelists));
    w.close();
    const std::string level = d.level == "SERIES" ? "series" : "dataset";
    w.code("gmd:hierarchyLevel", "MD_ScopeCode", level);
    write_party(w, "gmd:contact", d.contact, d.producer);
    std::string stamp = d.tags.count("date_stamp") != 0 ? d.tags.at("date_stamp") : d.modified;
    if (stamp.empty()) stamp = now_iso8601();
    write_date(w, "gmd:dateStamp", stamp);
    w.str("gmd:metadataStandardName", "ISO 19115:2003/19139");
    w.str("gmd:metadataStandardVersion", "1.0");
    if (!d.crs.empty()) {
        w.open("gmd:referenceSystemInfo");
        w.open("gmd:MD_ReferenceSystem");
        w.open("gmd:referenceSystemIdentifier");
        w.open("gmd:RS_Identifier");
        w.open("gmd:code");
        w.leaf("gmx:Anchor", d.crs, fmt::format("xlink:href=\"{}\"", xml_escape_text(crs_code(d.crs))));
        for (int i = 0; i < 5; ++i) w.close();
    }

    w.open("gmd:identificationInfo");
    w.open("gmd:MD_DataIdentification");
    w.open("gmd:citation");
    w.open("gmd:CI_Citation");
    w.str("gmd:title", d.title);
    const auto date = [&](std::string_view value, std::string_view type) {
        if (value.empty()) return;
        w.open("gmd:date");
        w.open("gmd:CI_Date");
        write_date(w, "gmd:date", value);
        w.code("gmd:dateType", "CI_DateTypeCode", type);
        w.close();
        w.close();
    };
    date(d.publication_date, "publication");
    if (!d.created.empty()) date(d.created, "creation");
    if (!d.modified.empty()) date(d.modified, "revision");
    w.open("gmd:identifier");
    w.open("gmd:MD_Identifier");
    w.str("gmd:code", d.file_identifier.empty() ? d.id : d.file_identifier);
    w.close();
    w.close();
    w.close();
    w.close();
    w.str("gmd:abstract", d.abstract);
    if (!d.producer.empty()) {
        Contact producer{d.producer, "", "", "owner"};
        if (d.contact.organisation == d.producer) producer.email = d.contact.email;
        write_party(w, "gmd:pointOfContact", producer, d.producer);
    }
    if (!d.update_frequency.empty()) {
        w.open("gmd:resourceMaintenance");
        w.open("gmd:MD_MaintenanceInformation");
        w.code("gmd:maintenanceAndUpdateFrequency", "MD_MaintenanceFrequencyCode", d.update_frequency);
        w.close();
        w.close();
    }
    write_keywords(w, d.keywords, "");
    write_keywords(w, d.themes, inspire_thesaurus);
    if (!d.licence.empty()) {
        w.open("gmd:resourceConstraints");
        w.open("gmd:MD_LegalConstraints");
        w.code("gmd:accessConstraints", "MD_RestrictionCode", "otherRestrictions");
        w.str("gmd:otherConstraints", d.licence);
        w.close();
        w.close();
    }
    w.open("gmd:language");
    w.leaf("gmd:LanguageCode", d.language,
           fmt::format("codeList=\"http://www.loc.gov/standards/iso639-2/\" codeListValue=\"{}\"", xml_escape_text(d.language)));
    w.close();
    if (!d.topic_category.empty()) {
        w.open("gmd:topicCategory");
        w.leaf("gmd:MD_TopicCategoryCode", d.topic_category);
        w.close();
    }
    if (d.bbox || !d.temporal_start.empty() || !d.temporal_end.empty()) {
        w.open("gmd:extent");
        w.open("gmd:EX_Extent");
        if (d.bbox) {
            w.open("gmd:geographicElement");
            w.open("gmd:EX_GeographicBoundingBox");
            const auto dec = [&](std::string_view tag, double v) {
                w.open(tag);
                w.leaf("gco:Decimal", number(v));
                w.close();
            };
            dec("gmd:westBoundLongitude", d.bbox->west);
            dec("gmd:eastBoundLongitude", d.bbox->east);
            dec("gmd:southBoundLatitude", d.bbox->south);
            dec("gmd:northBoundLatitude", d.bbox->north);
            w.close();
            w.close();
        }
        if (!d.temporal_start.empty() || !d.temporal_end.empty()) {
            w.open("gmd:temporalElement");
            w.open("gmd:EX_TemporalExtent");
            w.open("gmd:extent");
            w.open("gml:TimePeriod", fmt::format("gml:id=\"tp-{}\"", xml_escape_text(d.id.empty() ? "1" : d.id)));
            if (d.temporal_start.empty()) w.empty("gml:beginPosition", "indeterminatePosition=\"unknown\"");
            else w.leaf("gml:beginPosition", d.temporal_start);
            if (d.temporal_end.empty()) w.empty("gml:endPosition", "indeterminatePosition=\"now\"");
            else w.leaf("gml:endPosition", d.temporal_end);
            for (int i = 0; i < 4; ++i) w.close();
        }
        w.close();
        w.close();
    }
    w.close();  // MD_DataIdentification
    w.close();  // identificationInfo

    std::vector<OnlineResource> online = online_resources(d);
    online.insert(online.end(), options.extra_online.begin(), options.extra_online.end());
    if (!d.formats.empty() || !online.empty()) {
        w.open("gmd:distributionInfo");
        w.open("gmd:MD_Distribution");
        for (const auto& f : d.formats) {
            w.open("gmd:distributionFormat");
            w.open("gmd:MD_Format");
            w.str("gmd:name", f);
            w.str("gmd:version", "inapplicable");
            w.close();
            w.close();
        }
        if (!online.empty()) {
            w.open("gmd:transferOptions");
            w.open("gmd:MD_DigitalTransferOptions");
            for (const auto& o : online) {
                w.open("gmd:onLine");
                w.open("gmd:CI_OnlineResource");
                w.open("gmd:linkage");
                w.leaf("gmd:URL", o.url);
                w.close();
                if (!o.protocol.empty()) w.str("gmd:protocol", o.protocol);
                if (!o.name.empty()) w.str("gmd:name", o.name);
                if (!o.description.empty()) w.str("gmd:description", o.description);
                w.close();
                w.close();
            }
            w.close();
            w.close();
        }
        w.close();
        w.close();
    }
    if (!d.lineage.empty()) {
        w.open("gmd:dataQualityInfo");
        w.open("gmd:DQ_DataQuality");
        w.open("gmd:scope");
        w.open("gmd:DQ_Scope");
        w.code("gmd:level", "MD_ScopeCode", level);
        w.close();
        w.close();
        w.open("gmd:lineage");
        w.open("gmd:LI_Lineage");
        w.str("gmd:statement", d.lineage);
        for (int i = 0; i < 4; ++i) w.close();
    }
    w.close();  // MD_Metadata
    return w.take();
}

Dataset from_iso19139(std::string_view xml) {
    DocPtr doc = parse_untrusted(xml, "ISO 19139 metadata");
    xmlNode* root = xmlDocGetRootElement(doc.get());
    std::vector<std::string> problems;
    const std::string root_ns = root->ns != nullptr ? reinterpret_cast<const char*>(root->ns->href) : "";
    if (std::string_view(reinterpret_cast<const char*>(root->name)) != "MD_Metadata" || root_ns != ns_gmd)
        throw InvalidArgument(fmt::format("ISO 19139 metadata: the root element must be gmd:MD_Metadata ({}), found {}{}{}",
                                          ns_gmd, reinterpret_cast<const char*>(root->name), root_ns.empty() ? "" : " in ", root_ns));
    XPath x(doc.get());
    Dataset d;
    d.file_identifier = x.text(cs("gmd:fileIdentifier"));
    if (d.file_identifier.empty()) problems.emplace_back("gmd:fileIdentifier: missing or empty");
    if (const std::string lang = code_value(x, "gmd:language/gmd:LanguageCode"); !lang.empty()) d.language = lang;
    else if (const std::string l2 = x.text(cs("gmd:language")); !l2.empty()) d.language = l2;
    const std::string scope = code_value(x, "gmd:hierarchyLevel/gmd:MD_ScopeCode");
    d.level = scope == "series" ? "SERIES" : "DATASET";
    if (!scope.empty()) d.tags["hierarchy_level"] = scope;
    if (auto c = x.nodes("gmd:contact/gmd:CI_ResponsibleParty"); !c.empty()) {
        d.contact.organisation = x.text(cs("gmd:organisationName"), c[0]);
        d.contact.name = x.text(cs("gmd:individualName"), c[0]);
        d.contact.email = x.text(cs("gmd:contactInfo/gmd:CI_Contact/gmd:address/gmd:CI_Address/gmd:electronicMailAddress"), c[0]);
        if (const std::string role = code_value(x, "gmd:role/gmd:CI_RoleCode", c[0]); !role.empty()) d.contact.role = role;
    }
    if (const std::string stamp = x.text("gmd:dateStamp/*"); !stamp.empty()) d.tags["date_stamp"] = stamp;
    // The code: an EPSG URI in a gmx:Anchor's xlink:href wins over the text (often a CRS name).
    const std::string code_path = "gmd:referenceSystemInfo/gmd:MD_ReferenceSystem/gmd:referenceSystemIdentifier/gmd:RS_Identifier/gmd:code";
    if (const std::string href = normalize_crs(x.text(code_path + "/gmx:Anchor/@xlink:href")); href.starts_with("EPSG:")) d.crs = href;
    else if (const std::string crs = x.text(cs(code_path)); !crs.empty()) d.crs = normalize_crs(crs);

    const auto ident = x.nodes("gmd:identificationInfo/*[self::gmd:MD_DataIdentification or self::srv:SV_ServiceIdentification]");
    if (ident.empty()) {
        problems.emplace_back("gmd:identificationInfo: no MD_DataIdentification");
    } else {
        xmlNode* id = ident[0];
        d.title = x.text(cs("gmd:citation/gmd:CI_Citation/gmd:title"), id);
        if (d.title.empty()) problems.emplace_back("gmd:identificationInfo/…/gmd:citation/gmd:CI_Citation/gmd:title: missing or empty");
        std::map<std::string, std::string> dates;
        for (xmlNode* cd : x.nodes("gmd:citation/gmd:CI_Citation/gmd:date/gmd:CI_Date", id)) {
            const std::string type = code_value(x, "gmd:dateType/gmd:CI_DateTypeCode", cd);
            const std::string value = x.text("gmd:date/*", cd);
            if (!type.empty() && !value.empty() && dates.count(type) == 0) dates[type] = value;
        }
        for (const char* t : {"publication", "revision", "creation"})
            if (dates.count(t) != 0) {
                d.publication_date = dates[t];
                break;
            }
        d.abstract = x.text(cs("gmd:abstract"), id);
        d.producer = x.text(cs("gmd:pointOfContact/gmd:CI_ResponsibleParty/gmd:organisationName"), id);
        if (d.producer.empty()) d.producer = d.contact.organisation;
        d.update_frequency = code_value(x, "gmd:resourceMaintenance/gmd:MD_MaintenanceInformation/gmd:maintenanceAndUpdateFrequency/gmd:MD_MaintenanceFrequencyCode", id);
        for (xmlNode* kw : x.nodes("gmd:descriptiveKeywords/gmd:MD_Keywords", id)) {
            const std::string thesaurus = x.text(cs("gmd:thesaurusName/gmd:CI_Citation/gmd:title"), kw);
            auto& into = icontains(thesaurus, "INSPIRE themes") ? d.themes : d.keywords;
            for (auto& k : x.texts(cs("gmd:keyword"), kw))
                if (std::find(into.begin(), into.end(), k) == into.end()) into.push_back(std::move(k));
        }
        d.licence = x.text(cs("gmd:resourceConstraints/gmd:MD_LegalConstraints/gmd:otherConstraints"), id);
        if (d.licence.empty()) d.licence = x.text(cs("gmd:resourceConstraints/*/gmd:useLimitation"), id);
        d.topic_category = x.text("gmd:topicCategory/gmd:MD_TopicCategoryCode", id);
        if (auto box = x.nodes("gmd:extent/gmd:EX_Extent/gmd:geographicElement/gmd:EX_GeographicBoundingBox", id); !box.empty()) {
            GeoBox b;
            bool ok = true;
            const auto coord = [&](const char* tag, double& out) {
                const std::string v = x.text(fmt::format("gmd:{}/gco:Decimal", tag), box[0]);
                const auto n = to_double(v);
                if (!n) {
                    problems.push_back(fmt::format("gmd:EX_GeographicBoundingBox/gmd:{}: not a number ('{}')", tag, v));
                    ok = false;
                } else {
                    out = *n;
                }
            };
            coord("westBoundLongitude", b.west);
            coord("eastBoundLongitude", b.east);
            coord("southBoundLatitude", b.south);
            coord("northBoundLatitude", b.north);
            if (ok && (b.south > b.north || b.west < -180 || b.east > 180 || b.south < -90 || b.north > 90)) {
                problems.push_back(fmt::format("gmd:EX_GeographicBoundingBox: not a lon/lat box (W {} E {} S {} N {})", b.west, b.east,
                                               b.south, b.north));
                ok = false;
            }
            if (ok) d.bbox = b;
        }
        // gml 3.2 or 3.1.1: match the TimePeriod by local name.
        for (xmlNode* tp : x.nodes("gmd:extent/gmd:EX_Extent/gmd:temporalElement/gmd:EX_TemporalExtent/gmd:extent/*[local-name()='TimePeriod']", id)) {
            d.temporal_start = x.text("*[local-name()='beginPosition' or local-name()='begin']", tp);
            d.temporal_end = x.text("*[local-name()='endPosition' or local-name()='end']", tp);
            break;
        }
    }
    for (auto& f : x.texts(cs("gmd:distributionInfo/gmd:MD_Distribution/gmd:distributionFormat/gmd:MD_Format/gmd:name")))
        if (std::find(d.formats.begin(), d.formats.end(), f) == d.formats.end()) d.formats.push_back(std::move(f));
    std::vector<OnlineResource> online;
    for (xmlNode* o : x.nodes("gmd:distributionInfo/gmd:MD_Distribution/gmd:transferOptions/gmd:MD_DigitalTransferOptions/gmd:onLine/gmd:CI_OnlineResource")) {
        OnlineResource r;
        r.url = x.text("gmd:linkage/gmd:URL", o);
        r.protocol = x.text(cs("gmd:protocol"), o);
        r.name = x.text(cs("gmd:name"), o);
        r.description = x.text(cs("gmd:description"), o);
        if (!r.url.empty()) online.push_back(std::move(r));
    }
    set_online_resources(d, online);
    d.lineage = x.text(cs("gmd:dataQualityInfo/gmd:DQ_DataQuality/gmd:lineage/gmd:LI_Lineage/gmd:statement"));
    if (!problems.empty()) throw InvalidArgument(std::move(problems));
    return d;
}

// ---- CSW constraints ------------------------------------------------------------------------------

namespace {

bool text_property(std::string_view name) {
    static constexpr std::string_view names[] = {"anytext", "csw:anytext", "apiso:anytext", "dc:title", "title", "apiso:title",
                                                 "dc:subject", "subject", "apiso:subject", "dct:abstract", "abstract",
                                                 "apiso:abstract", "dc:description", "description"};
    std::string lower(name);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return std::find(std::begin(names), std::end(names), lower) != std::end(names);
}

bool identifier_property(std::string_view name) {
    return icontains(name, "identifier") && name.size() <= 24;
}

/// LIKE pattern → search text: wildcards ('%', '*', '_', '?' by default) become spaces.
std::string like_text(std::string_view pattern, std::string_view wild = "%*", std::string_view single = "_?") {
    std::string out;
    for (const char c : pattern) out += (wild.find(c) != std::string_view::npos || single.find(c) != std::string_view::npos) ? ' ' : c;
    return trim(out);
}

void add_text(RecordFilter& f, const std::string& t) {
    if (t.empty()) return;
    f.text += f.text.empty() ? t : " " + t;
}

/// A tiny CQL tokenizer: identifiers, quoted strings, numbers, punctuation.
struct CqlLexer {
    std::string_view s;
    std::size_t i = 0;
    void skip() {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) ++i;
    }
    bool done() {
        skip();
        return i >= s.size();
    }
    /// Next token; quoted strings come back with their quotes.
    std::string next() {
        skip();
        if (i >= s.size()) return {};
        const char c = s[i];
        if (c == '\'' || c == '"') {
            std::string out(1, c);
            ++i;
            while (i < s.size()) {
                if (s[i] == c) {
                    if (i + 1 < s.size() && s[i + 1] == c) {  // doubled quote
                        out += c;
                        i += 2;
                        continue;
                    }
                    ++i;
                    out += c;
                    return out;
                }
                out += s[i++];
            }
            throw InvalidArgument("CQL: unterminated string");
        }
        if (c == '(' || c == ')' || c == ',' || c == '=') {
            ++i;
            return std::string(1, c);
        }
        std::string out;
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) == 0 && s[i] != '(' && s[i] != ')' && s[i] != ',' &&
               s[i] != '=')
            out += s[i++];
        return out;
    }
};

std::string unquote(const std::string& t) {
    if (t.size() >= 2 && (t.front() == '\'' || t.front() == '"') && t.back() == t.front()) return t.substr(1, t.size() - 2);
    throw InvalidArgument(fmt::format("CQL: expected a quoted string, got '{}'", t));
}

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && icontains(a, b);
}

}  // namespace

RecordFilter parse_cql_text(std::string_view cql) {
    RecordFilter f;
    if (cql.size() > 4096) throw InvalidArgument("CQL: constraint too long (at most 4096 characters)");
    CqlLexer lx{cql};
    while (!lx.done()) {
        const std::string prop = lx.next();
        if (iequal(prop, "BBOX")) {
            if (lx.next() != "(") throw InvalidArgument("CQL: BBOX( expected");
            (void)lx.next();  // the property (ows:BoundingBox)
            double v[4];
            for (double& n : v) {
                if (lx.next() != ",") throw InvalidArgument("CQL: BBOX(property, west, south, east, north) expected");
                const auto d = to_double(lx.next());
                if (!d) throw InvalidArgument("CQL: BBOX coordinates must be numbers");
                n = *d;
            }
            std::string t = lx.next();
            if (t == ",") {  // optional CRS argument
                (void)lx.next();
                t = lx.next();
            }
            if (t != ")") throw InvalidArgument("CQL: ) expected after BBOX coordinates");
            if (v[0] > v[2] || v[1] > v[3]) throw InvalidArgument("CQL: BBOX west > east or south > north");
            f.bbox = GeoBox{v[0], v[1], v[2], v[3]};
        } else if (text_property(prop)) {
            const std::string op = lx.next();
            if (iequal(op, "like") || iequal(op, "ilike")) add_text(f, like_text(unquote(lx.next())));
            else if (op == "=") add_text(f, unquote(lx.next()));
            else throw InvalidArgument(fmt::format("CQL: unsupported operator '{}' on {} (LIKE or =)", op, prop));
        } else if (identifier_property(prop)) {
            if (lx.next() != "=") throw InvalidArgument(fmt::format("CQL: {} supports only =", prop));
            f.identifier = unquote(lx.next());
        } else {
            throw InvalidArgument(fmt::format("CQL: unsupported condition starting at '{}' (AnyText LIKE, BBOX, dc:identifier =)", prop));
        }
        if (lx.done()) break;
        if (const std::string conj = lx.next(); !iequal(conj, "AND"))
            throw InvalidArgument(fmt::format("CQL: only AND combines conditions, got '{}'", conj));
    }
    return f;
}

namespace {

RecordFilter filter_of(XPath& x, xmlNode* root) {
    RecordFilter f;
    std::vector<xmlNode*> conds;
    for (xmlNode* n = root->children; n != nullptr; n = n->next)
        if (n->type == XML_ELEMENT_NODE) conds.push_back(n);
    if (std::string_view(reinterpret_cast<const char*>(root->name)) != "Filter") conds = {root};
    if (conds.size() == 1 && std::string_view(reinterpret_cast<const char*>(conds[0]->name)) == "And") {
        xmlNode* a = conds[0];
        conds.clear();
        for (xmlNode* n = a->children; n != nullptr; n = n->next)
            if (n->type == XML_ELEMENT_NODE) conds.push_back(n);
    }
    for (xmlNode* c : conds) {
        const std::string name = reinterpret_cast<const char*>(c->name);
        const std::string prop = x.text("*[local-name()='PropertyName']", c);
        if (name == "PropertyIsLike") {
            if (!text_property(prop)) throw InvalidArgument(fmt::format("OGC filter: PropertyIsLike on unsupported property '{}'", prop));
            const auto attr = [&](const char* a, const char* fallback) {
                std::string v = attribute(c, a);
                return v.empty() ? std::string(fallback) : v;
            };
            add_text(f, like_text(x.text("*[local-name()='Literal']", c), attr("wildCard", "%"), attr("singleChar", "_")));
        } else if (name == "PropertyIsEqualTo") {
            const std::string lit = x.text("*[local-name()='Literal']", c);
            if (identifier_property(prop)) f.identifier = lit;
            else if (text_property(prop)) add_text(f, lit);
            else throw InvalidArgument(fmt::format("OGC filter: PropertyIsEqualTo on unsupported property '{}'", prop));
        } else if (name == "BBOX") {
            auto env = x.nodes("*[local-name()='Envelope']", c);
            if (env.empty()) throw InvalidArgument("OGC filter: BBOX without gml:Envelope");
            const std::string srs_name = attribute(env[0], "srsName");
            const auto pair = [&](const char* which) -> std::array<double, 2> {
                const std::string t = x.text(fmt::format("*[local-name()='{}']", which), env[0]);
                std::array<double, 2> v{};
                std::size_t pos = 0;
                for (double& n : v) {
                    while (pos < t.size() && std::isspace(static_cast<unsigned char>(t[pos])) != 0) ++pos;
                    std::size_t end = pos;
                    while (end < t.size() && std::isspace(static_cast<unsigned char>(t[end])) == 0) ++end;
                    const auto d = to_double(t.substr(pos, end - pos));
                    if (!d) throw InvalidArgument(fmt::format("OGC filter: gml:{} must hold two numbers, got '{}'", which, t));
                    n = *d;
                    pos = end;
                }
                return v;
            };
            auto lo = pair("lowerCorner"), hi = pair("upperCorner");
            if (icontains(srs_name, "urn:ogc:def:crs:EPSG::4326") || icontains(srs_name, "/EPSG/0/4326")) {  // lat/lon axis order
                std::swap(lo[0], lo[1]);
                std::swap(hi[0], hi[1]);
            }
            if (lo[0] > hi[0] || lo[1] > hi[1]) throw InvalidArgument("OGC filter: BBOX lowerCorner above upperCorner");
            f.bbox = GeoBox{lo[0], lo[1], hi[0], hi[1]};
        } else {
            throw InvalidArgument(fmt::format("OGC filter: unsupported operator '{}' (And, PropertyIsLike, PropertyIsEqualTo, BBOX)", name));
        }
    }
    return f;
}

}  // namespace

RecordFilter parse_ogc_filter(std::string_view xml) {
    DocPtr doc = parse_untrusted(xml, "OGC filter");
    XPath x(doc.get());
    return filter_of(x, xmlDocGetRootElement(doc.get()));
}

CswPostRequest parse_csw_post(std::string_view xml) {
    DocPtr doc = parse_untrusted(xml, "CSW request");
    XPath x(doc.get());
    xmlNode* root = xmlDocGetRootElement(doc.get());
    CswPostRequest out;
    out.kvp["request"] = reinterpret_cast<const char*>(root->name);
    for (const char* a : {"service", "version", "resultType", "startPosition", "maxRecords", "outputSchema", "outputFormat"})
        if (std::string v = attribute(root, a); !v.empty()) out.kvp[a] = std::move(v);
    if (auto q = x.nodes("*[local-name()='Query']"); !q.empty()) {
        if (std::string t = attribute(q[0], "typeNames"); !t.empty()) out.kvp["typeNames"] = std::move(t);
        if (std::string e = x.text("*[local-name()='ElementSetName']", q[0]); !e.empty()) out.kvp["ElementSetName"] = std::move(e);
        if (auto c = x.nodes("*[local-name()='Constraint']", q[0]); !c.empty()) {
            if (auto fl = x.nodes("*[local-name()='Filter']", c[0]); !fl.empty()) out.filter = filter_of(x, fl[0]);
            else if (std::string cql = x.text("*[local-name()='CqlText']", c[0]); !cql.empty()) out.filter = parse_cql_text(cql);
        }
    }
    if (std::string e = x.text("*[local-name()='ElementSetName']"); !e.empty()) out.kvp["ElementSetName"] = std::move(e);
    if (auto ids = x.texts("*[local-name()='Id']"); !ids.empty()) out.kvp["Id"] = fmt::format("{}", fmt::join(ids, ","));
    if (auto t = x.texts("*[local-name()='TypeName']"); !t.empty()) out.kvp["typeName"] = fmt::format("{}", fmt::join(t, ","));
    if (auto v = x.texts("*[local-name()='AcceptVersions']/*"); !v.empty()) out.kvp["AcceptVersions"] = fmt::format("{}", fmt::join(v, ","));
    return out;
}

}  // namespace geoplex::catalog
