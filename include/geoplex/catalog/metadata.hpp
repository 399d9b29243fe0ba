#pragma once
// Metadata standards over the dataset sheet (model.hpp Dataset):
//
//   - ISO 19139 (gmd:MD_Metadata, the XML of ISO 19115 and of the INSPIRE / ISO AP profiles):
//     to_iso19139() writes a document, from_iso19139() reads real ones (namespaced, values as
//     gco:CharacterString or gmx:Anchor, dates as gco:Date or gco:DateTime).
//   - DCAT-AP 2 as JSON-LD: to_dcat_jsonld().
//   - The two filter languages of CSW 2.0.2 GetRecords, reduced to what catalog search answers
//     (free text + bbox): parse_cql_text() and parse_ogc_filter().
//
// Field mapping (ISO path under gmd:MD_Metadata → Dataset field):
//   fileIdentifier → file_identifier             language → language (ISO 639-2)
//   hierarchyLevel (dataset | series) → level    contact (CI_ResponsibleParty) → contact
//   dateStamp → tags["date_stamp"]               referenceSystemInfo code → crs ("EPSG:2154")
//   identificationInfo/MD_DataIdentification (or srv:SV_ServiceIdentification):
//     citation title → title; citation date of type publication (else revision, else creation)
//     → publication_date; abstract → abstract; pointOfContact organisationName → producer;
//     descriptiveKeywords: keywords of a thesaurus whose title names "INSPIRE themes" → themes,
//     others → keywords; resourceConstraints otherConstraints (else useLimitation) → licence;
//     topicCategory → topic_category; maintenanceAndUpdateFrequency → update_frequency;
//     extent: EX_GeographicBoundingBox → bbox, gml:TimePeriod begin/end → temporal_start/end
//   distributionInfo: MD_Format names → formats; CI_OnlineResource → extra.online_resources
//   dataQualityInfo/DQ_DataQuality/lineage statement → lineage
//
// Hostile input: documents over max_metadata_bytes, any DOCTYPE (so no entity can be declared:
// no "billion laughs", no external entity) and network access are refused; libxml2 never
// substitutes entities here.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "geoplex/catalog/model.hpp"

namespace geoplex::catalog {

/// Largest ISO document from_iso19139 accepts.
inline constexpr std::size_t max_metadata_bytes = std::size_t{8} << 20U;

/// A distribution link (ISO CI_OnlineResource, DCAT dcat:Distribution accessURL).
struct OnlineResource {
    std::string url{};
    std::string protocol{};     ///< "OGC:WMTS", "OGC:WFS", "WWW:DOWNLOAD"…
    std::string name{};         ///< layer name
    std::string description{};
    friend bool operator==(const OnlineResource&, const OnlineResource&) = default;
};

/// The online resources kept in dataset.extra ("online_resources": [{url, protocol, name, description}]).
[[nodiscard]] std::vector<OnlineResource> online_resources(const Dataset& dataset);
/// Replaces them (other keys of extra are kept).
void set_online_resources(Dataset& dataset, const std::vector<OnlineResource>& resources);

struct Iso19139Options {
    bool xml_declaration = true;               ///< start with <?xml …?> (false to embed in a CSW response)
    std::vector<OnlineResource> extra_online{};  ///< added after the dataset's own (e.g. the offerings' URLs)
};

/// A complete gmd:MD_Metadata document for the dataset (UTF-8).
[[nodiscard]] std::string to_iso19139(const Dataset& dataset, const Iso19139Options& options = {});

/// Reads an ISO 19139 document. Throws InvalidArgument listing the problems: not well-formed XML
/// (with line), a DOCTYPE, too large, root not gmd:MD_Metadata, no fileIdentifier, bbox values
/// that are not numbers. The result has no id and datastore (the caller decides).
[[nodiscard]] Dataset from_iso19139(std::string_view xml);

/// The DCAT-AP 2 JSON-LD document of a dataset (dcat:Dataset with its dcat:Distribution per
/// format and online resource). `base_url` makes the dataset IRI: <base_url>/api/datasets/<id>.
[[nodiscard]] nlohmann::json to_dcat_jsonld(const Dataset& dataset, std::string_view base_url);

/// What a CSW constraint asks, in catalog search terms.
struct RecordFilter {
    std::string text{};            ///< AnyText / title / abstract / subject LIKE pattern, wildcards removed
    std::optional<GeoBox> bbox{};  ///< BBOX on ows:BoundingBox, EPSG:4326 (lon/lat)
    std::string identifier{};      ///< dc:identifier = '…' / PropertyIsEqualTo
};
/// CQL_TEXT: conditions AND-ed, each `AnyText LIKE '%x%'` (also dc:title, dc:subject, dct:abstract,
/// csw:AnyText, apiso:*), `BBOX(ows:BoundingBox, west, south, east, north)` or
/// `dc:identifier = 'x'`. Throws InvalidArgument naming the unsupported part.
[[nodiscard]] RecordFilter parse_cql_text(std::string_view cql);
/// OGC Filter Encoding 1.1 (ogc:Filter with ogc:And of ogc:PropertyIsLike, ogc:BBOX with a
/// gml:Envelope, ogc:PropertyIsEqualTo on identifier). The envelope's axis order follows its
/// srsName: urn:ogc:def:crs:EPSG::4326 is lat/lon, EPSG:4326 / CRS84 / none lon/lat.
[[nodiscard]] RecordFilter parse_ogc_filter(std::string_view xml);

/// A CSW 2.0.2 request in the XML (POST) encoding, as the KVP names it would have: "request"
/// (root element name), "service", "version", "resultType", "startPosition", "maxRecords",
/// "outputSchema", "typeNames" (csw:Query), "ElementSetName", "Id" (csw:Id elements, comma
/// separated), "typeName" (DescribeRecord), "AcceptVersions"; and the csw:Constraint (ogc:Filter
/// or csw:CqlText) already parsed. Same hostile-input rules as from_iso19139.
struct CswPostRequest {
    std::map<std::string, std::string> kvp{};
    std::optional<RecordFilter> filter{};
};
[[nodiscard]] CswPostRequest parse_csw_post(std::string_view xml);

/// Escapes text for XML content and attribute values.
[[nodiscard]] std::string xml_escape_text(std::string_view text);

}  // namespace geoplex::catalog
