#pragma once
// Access control of restricted offerings (reference §6.3): consumer keys (HASH, HEADER, BASIC),
// their IP allow/deny lists and referer / user-agent patterns, secrets stored hashed.
//
// The primitives here need no store: secret hashing and constant-time verification (OpenSSL),
// Lua-style patterns (the reference escapes special characters with '%'), IP/CIDR matching, and
// the rule check of one key against one request. The decision "may this key consume that
// offering" (permissions, accesses, end dates, `available`) lives in publishing.hpp's Catalog.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace geoplex::catalog {

// ---- secrets ------------------------------------------------------------------------------------

/// How a secret is stored: "sha256$<salt hex>$<digest hex>" (salted SHA-256, for high-entropy
/// key hashes checked on every tile request) or "pbkdf2-sha256$<iterations>$<salt hex>$<digest hex>"
/// (for user-chosen passwords and bearer tokens).
enum class SecretScheme { salted_sha256, pbkdf2_sha256 };

/// Hashes `secret` with a fresh 16-byte random salt.
[[nodiscard]] std::string hash_secret(std::string_view secret, SecretScheme scheme = SecretScheme::pbkdf2_sha256,
                                      unsigned pbkdf2_iterations = 20'000);
/// True when `secret` matches `stored` (a hash_secret() string). The digest comparison is
/// constant-time; a malformed `stored` is simply no match.
[[nodiscard]] bool verify_secret(std::string_view secret, std::string_view stored);
/// `bytes` random bytes (OpenSSL RAND_bytes) as lower-case hex: new key hashes, tokens, ids.
[[nodiscard]] std::string random_hex(std::size_t bytes = 24);
/// Lower-case hex SHA-256 / MD5 of `data` (MD5 only for the upload .md5 check).
[[nodiscard]] std::string sha256_hex(std::string_view data);
[[nodiscard]] std::string md5_hex(std::string_view data);

// ---- patterns and addresses ---------------------------------------------------------------------

/// Lua 5.4 `string.find(subject, pattern)` ≠ nil: '%' escapes ("%." a dot, "%-" a dash), classes
/// %a %c %d %g %l %p %s %u %w %x (upper case = complement), sets "[...]" with ranges and "[^...]",
/// '.', quantifiers '*' '+' '-' '?', anchors '^' and '$', captures "(...)" and back-references
/// %1-%9, %b and %f. Not anchored unless the pattern starts with '^'.
/// Throws InvalidArgument for a malformed pattern ("malformed pattern (ends with '%')").
[[nodiscard]] bool lua_pattern_find(std::string_view subject, std::string_view pattern);
/// Throws InvalidArgument when `pattern` is malformed (used to validate keys when created).
void check_lua_pattern(std::string_view pattern);

/// True when `address` (IPv4 or IPv6 text) equals `entry` or lies in it when `entry` is a CIDR
/// block ("192.168.0.0/16", "2001:db8::/32"). IPv4-mapped IPv6 addresses ("::ffff:1.2.3.4")
/// match IPv4 entries. Unparsable input → false.
[[nodiscard]] bool ip_matches(std::string_view address, std::string_view entry);
/// True when `entry` is an IP address or a CIDR block ip_matches() understands.
[[nodiscard]] bool valid_ip_entry(std::string_view entry);

/// The restrictions of one key.
struct KeyRules {
    std::vector<std::string> whitelist;  ///< non-empty: the client IP must match one entry
    std::vector<std::string> blacklist;  ///< the client IP must match none
    std::string referer;                 ///< Lua pattern the Referer header must contain; "" = any
    std::string user_agent;              ///< Lua pattern the User-Agent must contain; "" = any

    /// Every problem (bad IP entries, malformed patterns), each naming its field.
    [[nodiscard]] std::vector<std::string> validate() const;
};

enum class RuleVerdict { allowed, ip_not_whitelisted, ip_blacklisted, referer_mismatch, user_agent_mismatch };
[[nodiscard]] std::string_view to_string(RuleVerdict v) noexcept;

/// Checks a request (client address, Referer and User-Agent headers, empty when absent) against
/// `rules`. A missing header never matches a non-empty pattern.
[[nodiscard]] RuleVerdict check_rules(const KeyRules& rules, std::string_view address, std::string_view referer,
                                      std::string_view user_agent);

}  // namespace geoplex::catalog
