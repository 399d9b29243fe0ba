#pragma once
// XML text output shared by every component that writes XML (OGC capabilities, CSW, ISO 19139).

#include <string>
#include <string_view>

namespace geoplex::core {

/// Escapes text for XML 1.0 content and attribute values (& < > " '); control characters other
/// than tab, newline and carriage return, which XML 1.0 forbids even escaped, are dropped.
[[nodiscard]] std::string xml_escape(std::string_view text);

}  // namespace geoplex::core
