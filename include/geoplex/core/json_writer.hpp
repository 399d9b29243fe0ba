#pragma once
// A small, fast streaming JSON writer on top of fmt::memory_buffer. Handlers build responses
// with it directly; no DOM is built on hot paths.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace geoplex::core {

class JsonWriter {
public:
    JsonWriter() = default;

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    /// Writes an object key; the next call writes its value.
    JsonWriter& key(std::string_view k);
    JsonWriter& value(std::string_view s);
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
    JsonWriter& value(bool b);
    JsonWriter& value(std::int64_t v);
    JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
    JsonWriter& value(std::uint64_t v);
    /// Shortest representation that round-trips; NaN and infinities become null.
    JsonWriter& value(double v);
    /// Fixed number of decimals, trailing zeros trimmed (e.g. elevations rounded to 2 decimals).
    JsonWriter& value_fixed(double v, int decimals);
    JsonWriter& null();
    /// Inserts already-serialized JSON as a value.
    JsonWriter& raw(std::string_view json);

    [[nodiscard]] std::string str() const { return fmt::to_string(m_buf); }
    [[nodiscard]] std::string_view view() const { return {m_buf.data(), m_buf.size()}; }

private:
    void separate();
    fmt::memory_buffer m_buf;
    std::vector<bool> m_first;  // per open container: no element written yet
    bool m_after_key = false;
};

/// Appends `s` JSON-escaped (without quotes) to `out`.
void json_escape(fmt::memory_buffer& out, std::string_view s);

}  // namespace geoplex::core
