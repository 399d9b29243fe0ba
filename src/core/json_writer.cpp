#include "geoplex/core/json_writer.hpp"

#include <cmath>

namespace geoplex::core {

void json_escape(fmt::memory_buffer& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t run = 0;  // start of the pending run of characters that need no escaping
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.data() + run, s.data() + i);
        run = i + 1;
        switch (c) {
            case '"': out.append(std::string_view("\\\"")); break;
            case '\\': out.append(std::string_view("\\\\")); break;
            case '\n': out.append(std::string_view("\\n")); break;
            case '\r': out.append(std::string_view("\\r")); break;
            case '\t': out.append(std::string_view("\\t")); break;
            case '\b': out.append(std::string_view("\\b")); break;
            case '\f': out.append(std::string_view("\\f")); break;
            default: {
                const char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
                out.append(esc, esc + 6);
            }
        }
    }
    out.append(s.data() + run, s.data() + s.size());
}

void JsonWriter::separate() {
    if (m_after_key) {
        m_after_key = false;
        return;
    }
    if (!m_first.empty()) {
        if (!m_first.back()) m_buf.push_back(',');
        m_first.back() = false;
    }
}

JsonWriter& JsonWriter::begin_object() {
    separate();
    m_buf.push_back('{');
    m_first.push_back(true);
    return *this;
}
JsonWriter& JsonWriter::end_object() {
    m_buf.push_back('}');
    m_first.pop_back();
    return *this;
}
JsonWriter& JsonWriter::begin_array() {
    separate();
    m_buf.push_back('[');
    m_first.push_back(true);
    return *this;
}
JsonWriter& JsonWriter::end_array() {
    m_buf.push_back(']');
    m_first.pop_back();
    return *this;
}
JsonWriter& JsonWriter::key(std::string_view k) {
    separate();
    m_buf.push_back('"');
    json_escape(m_buf, k);
    m_buf.append(std::string_view("\":"));
    m_after_key = true;
    return *this;
}
JsonWriter& JsonWriter::value(std::string_view s) {
    separate();
    m_buf.push_back('"');
    json_escape(m_buf, s);
    m_buf.push_back('"');
    return *this;
}
JsonWriter& JsonWriter::value(bool b) {
    separate();
    m_buf.append(b ? std::string_view("true") : std::string_view("false"));
    return *this;
}
JsonWriter& JsonWriter::value(std::int64_t v) {
    separate();
    fmt::format_to(std::back_inserter(m_buf), "{}", v);
    return *this;
}
JsonWriter& JsonWriter::value(std::uint64_t v) {
    separate();
    fmt::format_to(std::back_inserter(m_buf), "{}", v);
    return *this;
}
JsonWriter& JsonWriter::value(double v) {
    separate();
    if (!std::isfinite(v)) {
        m_buf.append(std::string_view("null"));
    } else {
        fmt::format_to(std::back_inserter(m_buf), "{}", v);
    }
    return *this;
}
namespace {

// Writes round(v * 10^decimals) / 10^decimals with trailing zeros trimmed, without going through
// fmt's exact decimal conversion, when the result is provably the same as fmt's "{:.{}f}":
// |v| * 10^decimals < 2^31 keeps the product's rounding error below 2.5e-7, so when its fractional
// part is more than 1e-6 away from .5, rounding the product rounds the exact value the same way.
// Returns false (nothing written) otherwise; the caller then uses fmt.
bool write_fixed_fast(fmt::memory_buffer& out, double v, int decimals) {
    static constexpr double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    if (decimals < 0 || decimals > 9) return false;
    const double scaled = std::fabs(v) * pow10[decimals];
    if (!(scaled < 2147483648.0)) return false;
    const double whole = std::floor(scaled);
    const double frac = scaled - whole;
    if (std::fabs(frac - 0.5) <= 1e-6) return false;
    auto n = static_cast<std::uint64_t>(whole) + (frac > 0.5 ? 1U : 0U);
    if (n == 0) {  // also turns -0.001 → "0"
        out.push_back('0');
        return true;
    }
    char digits[24];  // filled from the end
    char* p = digits + sizeof digits;
    int kept = decimals;  // decimals still to write; trailing zeros among them are dropped
    while (kept > 0 && n % 10 == 0) {
        n /= 10;
        --kept;
    }
    for (int i = 0; i < kept; ++i) {
        *--p = static_cast<char>('0' + n % 10);
        n /= 10;
    }
    if (kept > 0) *--p = '.';
    do {
        *--p = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n != 0);
    if (std::signbit(v)) *--p = '-';
    out.append(p, digits + sizeof digits);
    return true;
}

}  // namespace

JsonWriter& JsonWriter::value_fixed(double v, int decimals) {
    separate();
    if (!std::isfinite(v)) {
        m_buf.append(std::string_view("null"));
        return *this;
    }
    if (write_fixed_fast(m_buf, v, decimals)) return *this;
    const std::size_t start = m_buf.size();
    fmt::format_to(std::back_inserter(m_buf), "{:.{}f}", v, decimals);
    if (decimals > 0) {
        std::size_t end = m_buf.size();
        while (end > start && m_buf[end - 1] == '0') --end;
        if (end > start && m_buf[end - 1] == '.') --end;
        m_buf.resize(end);
    }
    // "-0" → "0"
    if (m_buf.size() - start == 2 && m_buf[start] == '-' && m_buf[start + 1] == '0') {
        m_buf[start] = '0';
        m_buf.resize(start + 1);
    }
    return *this;
}
JsonWriter& JsonWriter::null() {
    separate();
    m_buf.append(std::string_view("null"));
    return *this;
}
JsonWriter& JsonWriter::raw(std::string_view json) {
    separate();
    m_buf.append(json);
    return *this;
}

}  // namespace geoplex::core
