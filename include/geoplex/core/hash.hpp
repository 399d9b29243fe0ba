#pragma once
// FNV-1a 64-bit over raw bytes: small, stable across runs and machines (not cryptographic).
// Used for content identities (tile ETags, per-way factor vectors of constraint sets).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace geoplex::core {

/// The standard FNV-1a 64 offset basis.
inline constexpr std::uint64_t fnv1a64_basis = 14695981039346656037ULL;

/// FNV-1a 64 of `bytes`, starting from `basis` (callers that must stay byte-identical with an
/// earlier non-standard basis pass it here).
[[nodiscard]] constexpr std::uint64_t fnv1a64(std::span<const std::byte> bytes,
                                              std::uint64_t basis = fnv1a64_basis) noexcept {
    std::uint64_t h = basis;
    for (const std::byte b : bytes) {
        h ^= static_cast<std::uint8_t>(b);
        h *= 1099511628211ULL;
    }
    return h;
}

[[nodiscard]] inline std::uint64_t fnv1a64(std::string_view text, std::uint64_t basis = fnv1a64_basis) noexcept {
    return fnv1a64(std::as_bytes(std::span<const char>(text.data(), text.size())), basis);
}

}  // namespace geoplex::core
