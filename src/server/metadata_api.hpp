#pragma once
// The catalog's metadata standards over HTTP (helper catstd; private to the server component):
//   metadata_api.cpp  /api/datastores/{ds}/metadata… (ISO 19139 upload, publication on the CSW
//                     endpoint) and the per-dataset exports /api/datasets/{id}/iso19139 and /dcat
//   csw_api.cpp       CSW 2.0.2 at /csw (GetCapabilities, DescribeRecord, GetRecords, GetRecordById)
//   records_api.cpp   OGC API Records at /records/collections/catalog/items
// add_catalog_routes() calls add_metadata_routes(), which adds all three.
//
// What the public services (CSW, Records, the exports without a token) show: the datasets whose
// metadata were published on a METADATA endpoint (tags csw_published = "true") and whose
// sharing is PUBLIC.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "geoplex/catalog/metadata.hpp"
#include "geoplex/catalog/search.hpp"
#include "geoplex/server/router.hpp"

namespace geoplex::catalog {
class Catalog;
class Store;
}  // namespace geoplex::catalog

namespace geoplex::server {

void add_metadata_routes(Router& router, std::shared_ptr<catalog::Catalog> catalog);
void add_csw_routes(Router& router, std::shared_ptr<catalog::Catalog> catalog);
void add_records_routes(Router& router, std::shared_ptr<catalog::Catalog> catalog);

namespace records {

/// Published on the CSW endpoint and PUBLIC.
[[nodiscard]] bool is_public_record(const catalog::Dataset& d);

struct RecordPage {
    std::uint64_t total = 0;
    std::vector<catalog::Dataset> items;
};
/// Catalog search (text, bbox; sorted by title) restricted to public records, paged after the
/// restriction: walks the search's matches in blocks, so the cost grows with the match count.
[[nodiscard]] RecordPage search_public(catalog::Store& store, const catalog::RecordFilter& filter, std::size_t offset,
                                       std::size_t limit);
/// The public record whose file identifier (or dataset id) is `id`.
[[nodiscard]] std::optional<catalog::Dataset> find_public(catalog::Store& store, const std::string& id);

}  // namespace records
}  // namespace geoplex::server
