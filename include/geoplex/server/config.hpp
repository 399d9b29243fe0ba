#pragma once
// The server configuration file of `geoplex serve --config server.toml`: TOML, like the bundle
// spec. Every section and key is optional; what is absent keeps its default. The whole file is
// validated at once and every problem is reported with the key and the expected value.
//
//   [server]
//   listen = "0.0.0.0"        port = 8080       threads = 4
//   access_log = "-"          # "-" stdout, a file path, or "off"
//   verify_checksums = false  metrics_path = "/metrics"   openapi_title = "geoplex"
//   [server.limits]    max_header_bytes, max_body_bytes, max_connections, max_points
//   [server.timeouts]  read, idle, write, shutdown_grace  (seconds, may be fractional)
//   [server.cors]      allow_origin = "*"   ("" = no CORS headers)
//   [server.gzip]      min_size = 1024, level = 6
//   [server.admin]     reload = true, token = ""
//   [rate_limits]      enabled = true, block = 5, max_clients = 100000, trust_forwarded_for = false
//                      altimetrie = 5   navigation = 10   geocodage = 50   tiles = 0   other = 0
//                      (or a table per family: navigation = { rate = 10, burst = 20 })
//   [catalog]          data_dir, store, admin_token, upload_quota, endpoint_quota  (see catalog_api.hpp)
//   [catalog.tiers]    default = 500000000000   (storage bytes per datastore, by tier)
//
// docs/server.md has the full reference and a commented example (docs/server.example.toml).

#include <filesystem>
#include <string>
#include <string_view>

#include "geoplex/server/catalog_api.hpp"
#include "geoplex/server/server.hpp"

namespace geoplex::server {

/// A configuration file: the ServerConfig plus the settings of the `geoplex serve` command.
struct ServeSettings {
    ServerConfig server;
    /// "-" = stdout, "off", or a file path (appended to).
    std::string access_log = "-";
    /// Verify every index file's checksum when opening the bundle.
    bool verify_checksums = false;
    /// The [catalog] section: the publishing API and published layers (off unless data_dir is set).
    CatalogSettings catalog;
};

/// Parses a configuration from TOML text; `source` names it in messages. Starts from `base`.
/// Throws InvalidArgument listing every problem ("server.port: must be an integer in 0..65535
/// (got 70000)"), including ServerConfig::validate()'s.
[[nodiscard]] ServeSettings parse_serve_settings(std::string_view toml_text, std::string_view source,
                                                 ServeSettings base = {});
/// Reads and parses a file. IoError when it cannot be read.
[[nodiscard]] ServeSettings load_serve_settings(const std::filesystem::path& file, ServeSettings base = {});

}  // namespace geoplex::server
