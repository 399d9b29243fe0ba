#pragma once
// Map documents (/api/users/me/documents, reference §6.1 "document") and collaborative reports
// ("signalements", /api/reports) over the catalog store. The routes are registered by
// add_catalog_routes (catalog_api.cpp) through its route adder, which authenticates the bearer
// token, translates catalog errors into HTTP statuses and writes the OpenAPI fragments.

#include <functional>
#include <string>

#include "geoplex/server/http.hpp"

namespace geoplex::catalog {
class Catalog;
struct Principal;
}  // namespace geoplex::catalog

namespace geoplex::server {

/// A handler run for an authenticated principal.
using CatalogApiFn = std::function<Response(catalog::Catalog&, const catalog::Principal&, const Request&)>;
/// Registers one /api route: (method, pattern below /api, OpenAPI summary, handler, success status).
using CatalogRouteAdder =
    std::function<void(const std::string&, const std::string&, const std::string&, CatalogApiFn, int)>;

/// Adds the map document and report routes (docs/http-api.md, "Map documents and reports").
void add_document_routes(const CatalogRouteAdder& add);

}  // namespace geoplex::server
