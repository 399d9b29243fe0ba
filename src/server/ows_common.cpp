#include "server/ows_common.hpp"

#include "geoplex/core/xml.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace geoplex::server::ows {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

std::string xml_escape(std::string_view s) { return core::xml_escape(s); }

const std::string* kvp(const Request& req, std::string_view name) {
    for (const auto& [k, v] : req.query)
        if (iequals(k, name)) return &v;
    return nullptr;
}

std::string base_url(const Request& req, const std::string& configured) {
    if (!configured.empty()) return configured;
    const std::string* host = req.header("host");
    const std::string* proto = req.header("x-forwarded-proto");
    return fmt::format("{}://{}", proto != nullptr ? *proto : "http", host != nullptr ? *host : "localhost");
}

Response exception_report(int status, std::string_view code, std::string_view locator, std::string_view text,
                          std::string_view version) {
    std::string body = fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ExceptionReport xmlns=\"http://www.opengis.net/ows/1.1\" "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xsi:schemaLocation=\"http://www.opengis.net/ows/1.1 http://schemas.opengis.net/ows/1.1.0/owsExceptionReport.xsd\" "
        "version=\"{}\" xml:lang=\"en\">\n"
        "  <Exception exceptionCode=\"{}\"{}>\n    <ExceptionText>{}</ExceptionText>\n  </Exception>\n"
        "</ExceptionReport>\n",
        xml_escape(version), xml_escape(code), locator.empty() ? std::string() : fmt::format(" locator=\"{}\"", xml_escape(locator)),
        xml_escape(text));
    return Response::text(std::move(body), "application/xml", status);
}

std::string apikey_param(const Request& req) {
    for (const char* name : {"apikey", "api_key", "apiKey"})
        if (const std::string* k = req.param(name); k != nullptr && !k->empty()) {
            std::string out = "apikey=";
            for (const unsigned char c : *k) {
                if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
                else out += fmt::format("%{:02X}", c);
            }
            return out;
        }
    return {};
}

}  // namespace geoplex::server::ows
