#pragma once
// Shared by the OGC KVP services (WMTS in tiles_api.cpp, WMS/WFS in ogc_api.cpp): case-insensitive
// KVP access, XML escaping, the public base URL and OWS 1.1 exception reports.

#include <string>
#include <string_view>

#include "geoplex/server/http.hpp"

namespace geoplex::server::ows {

[[nodiscard]] bool iequals(std::string_view a, std::string_view b);
[[nodiscard]] std::string xml_escape(std::string_view s);
/// A KVP parameter, case-insensitive name (OGC KVP rule), or nullptr.
[[nodiscard]] const std::string* kvp(const Request& req, std::string_view name);
/// `configured` when set, else "http(s)://<Host>" from the request (X-Forwarded-Proto honoured).
[[nodiscard]] std::string base_url(const Request& req, const std::string& configured);
/// "apikey=<percent-encoded key>" when the request carries a key as apikey / api_key / apiKey, else
/// "": repeated in the URLs the /private routes hand to clients.
[[nodiscard]] std::string apikey_param(const Request& req);
/// OWS 1.1 ExceptionReport (WMTS 1.0.0 §8.3, WFS 2.0.0 §7.5) as application/xml.
[[nodiscard]] Response exception_report(int status, std::string_view code, std::string_view locator, std::string_view text,
                                        std::string_view version = "1.0.0");

}  // namespace geoplex::server::ows
