// Key primitives: hashed secrets (OpenSSL), Lua patterns, IP/CIDR matching, per-key rules.

#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "geoplex/catalog/access.hpp"
#include "geoplex/core/error.hpp"

namespace geoplex::catalog {

namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(n * 2, '0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = digits[p[i] >> 4U];
        out[2 * i + 1] = digits[p[i] & 15U];
    }
    return out;
}

bool from_hex(std::string_view hex, std::vector<unsigned char>& out) {
    if (hex.size() % 2 != 0) return false;
    out.clear();
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        unsigned v = 0;
        const auto [p, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
        if (ec != std::errc() || p != hex.data() + i + 2) return false;
        out.push_back(static_cast<unsigned char>(v));
    }
    return true;
}

std::string digest_hex(const EVP_MD* md, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1)
        throw DependencyError("OpenSSL: digest failed");
    return to_hex(out.data(), len);
}

std::vector<unsigned char> random_bytes(std::size_t n) {
    std::vector<unsigned char> b(n);
    if (RAND_bytes(b.data(), static_cast<int>(n)) != 1) throw DependencyError("OpenSSL: RAND_bytes failed");
    return b;
}

std::vector<unsigned char> salted_sha256(std::string_view secret, const std::vector<unsigned char>& salt) {
    std::string input(salt.begin(), salt.end());
    input.append(secret);
    std::vector<unsigned char> out(32);
    unsigned len = 0;
    if (EVP_Digest(input.data(), input.size(), out.data(), &len, EVP_sha256(), nullptr) != 1)
        throw DependencyError("OpenSSL: digest failed");
    return out;
}

std::vector<unsigned char> pbkdf2(std::string_view secret, const std::vector<unsigned char>& salt, unsigned iterations) {
    std::vector<unsigned char> out(32);
    if (PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()), salt.data(), static_cast<int>(salt.size()),
                          static_cast<int>(iterations), EVP_sha256(), static_cast<int>(out.size()), out.data()) != 1)
        throw DependencyError("OpenSSL: PBKDF2 failed");
    return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    for (;;) {
        const auto p = s.find(sep);
        parts.push_back(s.substr(0, p));
        if (p == std::string_view::npos) break;
        s.remove_prefix(p + 1);
    }
    return parts;
}

// ---- Lua 5.4 patterns (a port of lstrlib.c's matcher) -------------------------------------------

constexpr char esc = '%';
constexpr int max_captures = 32;
constexpr int max_depth = 200;
constexpr std::ptrdiff_t cap_unfinished = -1;
constexpr std::ptrdiff_t cap_position = -2;

[[noreturn]] void malformed(const std::string& what) { throw InvalidArgument(fmt::format("malformed pattern ({})", what)); }

class LuaMatcher {
public:
    LuaMatcher(std::string_view s, std::string_view p) : m_s(s), m_p(p) {}

    bool find() {
        std::size_t pi = 0;
        const bool anchor = !m_p.empty() && m_p[0] == '^';
        if (anchor) pi = 1;
        std::size_t si = 0;
        do {
            m_level = 0;
            m_depth = 0;
            if (match(si, pi) != npos) return true;
            ++si;
        } while (si <= m_s.size() && !anchor);
        return false;
    }

private:
    static constexpr std::size_t npos = std::string_view::npos;

    [[nodiscard]] int uc(std::size_t i) const { return static_cast<unsigned char>(m_p[i]); }

    std::size_t class_end(std::size_t p) const {
        if (p >= m_p.size()) malformed("ends with '%'");
        const char c = m_p[p++];
        if (c == esc) {
            if (p >= m_p.size()) malformed("ends with '%'");
            return p + 1;
        }
        if (c == '[') {
            if (p < m_p.size() && m_p[p] == '^') ++p;
            do {  // look for the ']'
                if (p >= m_p.size()) malformed("missing ']'");
                const char cc = m_p[p++];
                if (cc == esc && p < m_p.size()) ++p;
            } while (p >= m_p.size() || m_p[p] != ']');
            return p + 1;
        }
        return p;
    }

    static bool single_class(int c, int cl) {
        bool res = false;
        switch (std::tolower(cl)) {
            case 'a': res = std::isalpha(c) != 0; break;
            case 'c': res = std::iscntrl(c) != 0; break;
            case 'd': res = std::isdigit(c) != 0; break;
            case 'g': res = std::isgraph(c) != 0; break;
            case 'l': res = std::islower(c) != 0; break;
            case 'p': res = std::ispunct(c) != 0; break;
            case 's': res = std::isspace(c) != 0; break;
            case 'u': res = std::isupper(c) != 0; break;
            case 'w': res = std::isalnum(c) != 0; break;
            case 'x': res = std::isxdigit(c) != 0; break;
            default: return cl == c;
        }
        if (std::isupper(cl) != 0) res = !res;
        return res;
    }

    // p points at '[', ec at the closing ']'.
    bool match_class(int c, std::size_t p, std::size_t ec) const {
        bool sig = true;
        if (m_p[p + 1] == '^') {
            sig = false;
            ++p;
        }
        while (++p < ec) {
            if (m_p[p] == esc) {
                ++p;
                if (single_class(c, uc(p))) return sig;
            } else if (p + 2 < ec && m_p[p + 1] == '-') {
                p += 2;
                if (uc(p - 2) <= c && c <= uc(p)) return sig;
            } else if (uc(p) == c) {
                return sig;
            }
        }
        return !sig;
    }

    bool single_match(std::size_t s, std::size_t p, std::size_t ep) const {
        if (s >= m_s.size()) return false;
        const int c = static_cast<unsigned char>(m_s[s]);
        switch (m_p[p]) {
            case '.': return true;
            case esc: return single_class(c, uc(p + 1));
            case '[': return match_class(c, p, ep - 1);
            default: return uc(p) == c;
        }
    }

    std::size_t match_balance(std::size_t s, std::size_t p) const {
        if (p + 1 >= m_p.size()) malformed("missing arguments to '%b'");
        if (s >= m_s.size() || m_s[s] != m_p[p]) return npos;
        const char b = m_p[p], e = m_p[p + 1];
        int cont = 1;
        while (++s < m_s.size()) {
            if (m_s[s] == e) {
                if (--cont == 0) return s + 1;
            } else if (m_s[s] == b) {
                ++cont;
            }
        }
        return npos;
    }

    std::size_t max_expand(std::size_t s, std::size_t p, std::size_t ep) {
        std::size_t i = 0;
        while (single_match(s + i, p, ep)) ++i;
        for (;;) {  // try with the maximum repetitions, then fewer
            const std::size_t res = match(s + i, ep + 1);
            if (res != npos) return res;
            if (i == 0) return npos;
            --i;
        }
    }

    std::size_t min_expand(std::size_t s, std::size_t p, std::size_t ep) {
        for (;;) {
            const std::size_t res = match(s, ep + 1);
            if (res != npos) return res;
            if (!single_match(s, p, ep)) return npos;
            ++s;
        }
    }

    std::size_t start_capture(std::size_t s, std::size_t p, std::ptrdiff_t what) {
        if (m_level >= max_captures) malformed("too many captures");
        m_capture[static_cast<std::size_t>(m_level)] = {s, what};
        ++m_level;
        const std::size_t res = match(s, p);
        if (res == npos) --m_level;
        return res;
    }

    std::size_t end_capture(std::size_t s, std::size_t p) {
        int l = -1;
        for (int i = m_level - 1; i >= 0; --i)
            if (m_capture[static_cast<std::size_t>(i)].len == cap_unfinished) {
                l = i;
                break;
            }
        if (l < 0) malformed("invalid pattern capture");
        auto& cap = m_capture[static_cast<std::size_t>(l)];
        cap.len = static_cast<std::ptrdiff_t>(s - cap.init);
        const std::size_t res = match(s, p);
        if (res == npos) cap.len = cap_unfinished;
        return res;
    }

    std::size_t match_capture(std::size_t s, int l) {
        l -= '1';
        if (l < 0 || l >= m_level || m_capture[static_cast<std::size_t>(l)].len == cap_unfinished)
            malformed("invalid capture index");
        const auto& cap = m_capture[static_cast<std::size_t>(l)];
        const auto len = static_cast<std::size_t>(cap.len < 0 ? 0 : cap.len);
        if (m_s.size() - s >= len && m_s.substr(cap.init, len) == m_s.substr(s, len)) return s + len;
        return npos;
    }

    std::size_t match(std::size_t s, std::size_t p) {
        if (++m_depth > max_depth) malformed("pattern too complex");
        for (;;) {
            if (p >= m_p.size()) {
                --m_depth;
                return s;
            }
            switch (m_p[p]) {
                case '(': {
                    const std::size_t r = (p + 1 < m_p.size() && m_p[p + 1] == ')') ? start_capture(s, p + 2, cap_position)
                                                                                      : start_capture(s, p + 1, cap_unfinished);
                    --m_depth;
                    return r;
                }
                case ')': {
                    const std::size_t r = end_capture(s, p + 1);
                    --m_depth;
                    return r;
                }
                case '$':
                    if (p + 1 == m_p.size()) {
                        --m_depth;
                        return s == m_s.size() ? s : npos;
                    }
                    break;  // else a plain '$'
                case esc:
                    if (p + 1 < m_p.size() && m_p[p + 1] == 'b') {
                        s = match_balance(s, p + 2);
                        if (s != npos) {
                            p += 4;
                            continue;
                        }
                        --m_depth;
                        return npos;
                    }
                    if (p + 1 < m_p.size() && m_p[p + 1] == 'f') {
                        p += 2;
                        if (p >= m_p.size() || m_p[p] != '[') malformed("missing '[' after '%f'");
                        const std::size_t ep = class_end(p);
                        const int prev = s == 0 ? 0 : static_cast<unsigned char>(m_s[s - 1]);
                        const int cur = s < m_s.size() ? static_cast<unsigned char>(m_s[s]) : 0;
                        if (!match_class(prev, p, ep - 1) && match_class(cur, p, ep - 1)) {
                            p = ep;
                            continue;
                        }
                        --m_depth;
                        return npos;
                    }
                    if (p + 1 < m_p.size() && std::isdigit(uc(p + 1)) != 0) {
                        s = match_capture(s, uc(p + 1));
                        if (s != npos) {
                            p += 2;
                            continue;
                        }
                        --m_depth;
                        return npos;
                    }
                    break;
                default: break;
            }
            const std::size_t ep = class_end(p);
            const char q = ep < m_p.size() ? m_p[ep] : '\0';
            if (!single_match(s, p, ep)) {
                if (q == '*' || q == '?' || q == '-') {  // accept empty
                    p = ep + 1;
                    continue;
                }
                --m_depth;
                return npos;
            }
            std::size_t r = npos;
            switch (q) {
                case '?':
                    r = match(s + 1, ep + 1);
                    if (r == npos) {
                        p = ep + 1;
                        continue;
                    }
                    break;
                case '+': r = max_expand(s + 1, p, ep); break;
                case '*': r = max_expand(s, p, ep); break;
                case '-': r = min_expand(s, p, ep); break;
                default:
                    ++s;
                    p = ep;
                    continue;
            }
            --m_depth;
            return r;
        }
    }

    struct Capture {
        std::size_t init = 0;
        std::ptrdiff_t len = 0;
    };
    std::string_view m_s, m_p;
    int m_level = 0;
    int m_depth = 0;
    std::array<Capture, max_captures> m_capture{};
};

// ---- IP addresses ------------------------------------------------------------------------------

/// 16 bytes (IPv4 as ::ffff:a.b.c.d) and whether it was IPv4.
bool parse_ip(std::string_view text, std::array<unsigned char, 16>& out, bool& v4) {
    const std::string s(text);
    unsigned char buf[16] = {};
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
        out.fill(0);
        out[10] = out[11] = 0xff;
        std::memcpy(out.data() + 12, buf, 4);
        v4 = true;
        return true;
    }
    if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
        std::memcpy(out.data(), buf, 16);
        static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        v4 = std::memcmp(buf, mapped, 12) == 0;
        return true;
    }
    return false;
}

struct IpBlock {
    std::array<unsigned char, 16> base{};
    unsigned prefix = 128;  ///< in the 128-bit space
};

bool parse_block(std::string_view entry, IpBlock& block) {
    const auto slash = entry.find('/');
    bool v4 = false;
    if (!parse_ip(entry.substr(0, slash), block.base, v4)) return false;
    block.prefix = 128;
    if (slash != std::string_view::npos) {
        const std::string_view len = entry.substr(slash + 1);
        unsigned n = 0;
        const auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
        if (len.empty() || ec != std::errc() || p != len.data() + len.size() || n > (v4 ? 32U : 128U)) return false;
        block.prefix = v4 ? 96 + n : n;
    }
    return true;
}

}  // namespace

// ---- secrets ------------------------------------------------------------------------------------

std::string hash_secret(std::string_view secret, SecretScheme scheme, unsigned pbkdf2_iterations) {
    const auto salt = random_bytes(16);
    if (scheme == SecretScheme::salted_sha256) {
        const auto d = salted_sha256(secret, salt);
        return fmt::format("sha256${}${}", to_hex(salt.data(), salt.size()), to_hex(d.data(), d.size()));
    }
    if (pbkdf2_iterations == 0) throw InvalidArgument("pbkdf2 iterations must be positive");
    const auto d = pbkdf2(secret, salt, pbkdf2_iterations);
    return fmt::format("pbkdf2-sha256${}${}${}", pbkdf2_iterations, to_hex(salt.data(), salt.size()), to_hex(d.data(), d.size()));
}

bool verify_secret(std::string_view secret, std::string_view stored) {
    const auto parts = split(stored, '$');
    std::vector<unsigned char> salt, expected, actual;
    if (parts.size() == 3 && parts[0] == "sha256") {
        if (!from_hex(parts[1], salt) || !from_hex(parts[2], expected)) return false;
        actual = salted_sha256(secret, salt);
    } else if (parts.size() == 4 && parts[0] == "pbkdf2-sha256") {
        unsigned iterations = 0;
        const auto [p, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), iterations);
        if (ec != std::errc() || p != parts[1].data() + parts[1].size() || iterations == 0 || iterations > 10'000'000)
            return false;
        if (!from_hex(parts[2], salt) || !from_hex(parts[3], expected)) return false;
        actual = pbkdf2(secret, salt, iterations);
    } else {
        return false;
    }
    return expected.size() == actual.size() && CRYPTO_memcmp(expected.data(), actual.data(), actual.size()) == 0;
}

std::string random_hex(std::size_t bytes) {
    const auto b = random_bytes(bytes);
    return to_hex(b.data(), b.size());
}

std::string sha256_hex(std::string_view data) { return digest_hex(EVP_sha256(), data); }
std::string md5_hex(std::string_view data) { return digest_hex(EVP_md5(), data); }

// ---- patterns and addresses ---------------------------------------------------------------------

bool lua_pattern_find(std::string_view subject, std::string_view pattern) { return LuaMatcher(subject, pattern).find(); }

void check_lua_pattern(std::string_view pattern) {
    // Matching against a few subjects exercises every item of the pattern at least once for
    // the structural errors (a trailing '%', a missing ']', unbalanced captures).
    std::size_t open = 0;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '%') {
            if (++i == pattern.size()) malformed("ends with '%'");
        } else if (pattern[i] == '[') {
            std::size_t j = i + 1;
            if (j < pattern.size() && pattern[j] == '^') ++j;
            if (j < pattern.size()) ++j;  // a ']' first in a set is literal
            while (j < pattern.size() && pattern[j] != ']') j += pattern[j] == '%' ? 2 : 1;
            if (j >= pattern.size()) malformed("missing ']'");
            i = j;
        } else if (pattern[i] == '(') {
            ++open;
        } else if (pattern[i] == ')') {
            if (open == 0) malformed("invalid pattern capture");
            --open;
        }
    }
    if (open != 0) malformed("unfinished capture");
    (void)lua_pattern_find("", pattern);
}

bool ip_matches(std::string_view address, std::string_view entry) {
    std::array<unsigned char, 16> a{};
    bool v4 = false;
    IpBlock block;
    if (!parse_ip(address, a, v4) || !parse_block(entry, block)) return false;
    const unsigned full = block.prefix / 8, rest = block.prefix % 8;
    if (std::memcmp(a.data(), block.base.data(), full) != 0) return false;
    if (rest == 0) return true;
    const auto mask = static_cast<unsigned char>(0xffU << (8 - rest));
    return (a[full] & mask) == (block.base[full] & mask);
}

bool valid_ip_entry(std::string_view entry) {
    IpBlock block;
    return parse_block(entry, block);
}

std::vector<std::string> KeyRules::validate() const {
    std::vector<std::string> problems;
    for (const auto* list : {&whitelist, &blacklist})
        for (const auto& e : *list)
            if (!valid_ip_entry(e))
                problems.push_back(fmt::format("{}: '{}' is not an IP address or CIDR block", list == &whitelist ? "whitelist" : "blacklist", e));
    for (const auto& [name, pattern] : {std::pair{"referer", &referer}, std::pair{"user_agent", &user_agent}}) {
        try {
            check_lua_pattern(*pattern);
        } catch (const InvalidArgument& e) {
            problems.push_back(fmt::format("{}: {}", name, e.what()));
        }
    }
    return problems;
}

std::string_view to_string(RuleVerdict v) noexcept {
    switch (v) {
        case RuleVerdict::allowed: return "allowed";
        case RuleVerdict::ip_not_whitelisted: return "the client address is not in the key's whitelist";
        case RuleVerdict::ip_blacklisted: return "the client address is in the key's blacklist";
        case RuleVerdict::referer_mismatch: return "the Referer does not match the key's referer pattern";
        case RuleVerdict::user_agent_mismatch: return "the User-Agent does not match the key's user_agent pattern";
    }
    return "unknown";
}

RuleVerdict check_rules(const KeyRules& rules, std::string_view address, std::string_view referer,
                        std::string_view user_agent) {
    for (const auto& e : rules.blacklist)
        if (ip_matches(address, e)) return RuleVerdict::ip_blacklisted;
    if (!rules.whitelist.empty()) {
        bool ok = false;
        for (const auto& e : rules.whitelist) ok = ok || ip_matches(address, e);
        if (!ok) return RuleVerdict::ip_not_whitelisted;
    }
    try {
        if (!rules.referer.empty() && !lua_pattern_find(referer, rules.referer)) return RuleVerdict::referer_mismatch;
        if (!rules.user_agent.empty() && !lua_pattern_find(user_agent, rules.user_agent))
            return RuleVerdict::user_agent_mismatch;
    } catch (const InvalidArgument&) {  // validated at creation; a bad stored pattern denies
        return rules.referer.empty() ? RuleVerdict::user_agent_mismatch : RuleVerdict::referer_mismatch;
    }
    return RuleVerdict::allowed;
}

}  // namespace geoplex::catalog
