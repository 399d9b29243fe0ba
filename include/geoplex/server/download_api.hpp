#pragma once
// Downloads of published stored data (the catalog's DOWNLOAD offerings), modelled on the
// Géoplateforme's /telechargement service: the list of resources, each resource's files with
// their sizes and SHA-256 checksums, the files served with HTTP range requests, and vector data
// converted on the fly by GDAL (GeoPackage, GeoJSON, zipped Shapefile, CSV, FlatGeobuf).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "geoplex/server/router.hpp"
#include "geoplex/server/tiles_api.hpp"

namespace geoplex::server {

struct DownloadApiOptions {
    /// Public URL prefix of the links; empty = from the request's Host.
    std::string base_url;
    /// The published DOWNLOAD offerings (catalog_layer_provider(catalog, DOWNLOAD)): each tileset
    /// holds one layer whose source file lives in the stored data's directory. Required.
    std::shared_ptr<const LayerProvider> layers;
    /// Where conversions are written (a directory per request, removed once the response is
    /// sent); empty = the system's temporary directory.
    std::filesystem::path temp_dir;
    /// Ranges (or whole files) up to this size are answered with a Content-Length; larger ones
    /// are streamed (chunked) without holding them in memory.
    std::uint64_t max_buffered_bytes = 32U << 20U;
};

/// Adds, for the public family and /private (key + access, as the tile routes):
///   GET /telechargement/capabilities                   the published resources (JSON)
///   GET /telechargement/resource/{name}                the resource's files: name, size, sha256, href;
///                                                      ?format=… converts the resource's vector data
///   GET /telechargement/resource/{name}/{file}         the file (Range: bytes=a-b | a- | -n → 206, 416
///                                                      when unsatisfiable; several ranges → 200 whole;
///                                                      ETag = "sha256", If-None-Match → 304); ?format=
///                                                      gpkg | geojson | shapefile | csv | flatgeobuf converts it
/// and the same under /private/telechargement/…. A file name is served only when it is one of the
/// regular files (not symlinks) of the stored data's directory; anything else is 400/404.
void add_download_routes(Router& router, const DownloadApiOptions& options);

}  // namespace geoplex::server
