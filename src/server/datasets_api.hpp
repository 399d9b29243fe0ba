#pragma once
// /api/datasets: the dataset catalogue over HTTP (datasets_api.cpp; docs/http-api.md, "Datasets").
//   GET    /api/datasets             search with facets (anonymous: PUBLIC datasets only)
//   GET    /api/datasets/{dataset}   one dataset sheet (PUBLIC, or members of its datastore)
//   POST   /api/datasets             create a sheet in a datastore the user may write
//   PUT    /api/datasets/{dataset}   replace it; PATCH merges a JSON patch (RFC 7386); DELETE
// Writes need the bearer token of an administrator, or of a PRODUCER with the community right on
// the datastore; they are audited (entity "dataset").
// The exports /api/datasets/{dataset}/dcat and /iso19139 live in metadata_api.cpp.

#include <memory>

#include "geoplex/server/router.hpp"

namespace geoplex::catalog {
class Catalog;
}  // namespace geoplex::catalog

namespace geoplex::server {

void add_dataset_routes(Router& router, std::shared_ptr<catalog::Catalog> catalog);

}  // namespace geoplex::server
