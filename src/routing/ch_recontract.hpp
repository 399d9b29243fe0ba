#pragma once
// Precomputed constraint sets (OSRM's `exclude` classes): for each set a bundle declares, one
// hierarchy per optimization over the SAME graph with the set's weights (w × factor, banned arcs
// left out), recontracted in the base hierarchy's node order (no priority simulation: witness
// searches on the new weights, a shortcut wherever no witness is found; a missed witness only
// adds a superfluous shortcut). Same file format as the base CH, so ChQuery answers on it.
//
// Files per profile and set: `<profile>.set-<name>.costs` (the per-way factors, to recognise a
// request whose constraints give the same factors however they are spelled) and
// `<profile>-<optimization>.set-<name>.ch`.

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "geoplex/core/progress.hpp"
#include "geoplex/routing/routing.hpp"
#include "routing/detail.hpp"
#include "routing/store.hpp"

namespace geoplex::routing::detail {

struct LoadedProfile;

/// A precomputed constraint set of an opened profile: declared in the bundle (factors mapped
/// from its .costs file, every optimization) or adaptive (routing/adaptive_sets.hpp: factors in
/// memory, one optimization, shared_ptr-owned so that a Query using it outlives its eviction).
struct PrecomputedSet {
    ConstraintSet set;
    SectionReader costs_file;
    std::vector<double> owned_factor;  ///< adaptive sets: the factors (costs_file unused)
    bool adaptive = false;
    mutable std::atomic<bool> evicted{false};  ///< adaptive: dropped by the registry (Queries let go)
    std::span<const double> factor;  ///< per way: 0 = banned, else the weight factor
    std::uint64_t hash = 0;          ///< factor_hash(factor)
    bool bans_only = false;          ///< every factor 0 or 1: the CH weight is the true metric
    std::array<SectionReader, 2> ch_files;
    std::array<ContractionHierarchy, 2> ch;
    std::array<bool, 2> has_ch{false, false};
};

/// FNV-1a over the bytes of the factors (sets are compared by hash, then element by element).
[[nodiscard]] std::uint64_t factor_hash(std::span<const double> factor) noexcept;

/// A hierarchy of `g` on the weights of `o` × `wc` (banned arcs left out; aux = the true other
/// metric), contracted in the order of `base`; written to `file` with ChWriter. Returns its arcs.
std::uint64_t recontract_ch_file(const Graph& g, const ContractionHierarchy& base, Optimization o,
                                 const WayCosts& wc, const std::filesystem::path& file,
                                 const core::Callbacks& callbacks, std::string_view task);

/// Build hook (after the profile's base CHs are written in `dir`): every set of `res` for every
/// optimization; fills `report.constraint_sets` and returns the sets' entry of resources.json.
/// Throws InvalidArgument naming the set when its constraints do not apply to the graph.
[[nodiscard]] nlohmann::ordered_json build_constraint_sets(const Graph& g, const ResourceConfig& res,
                                                           std::size_t resource_index, const std::string& profile,
                                                           const std::filesystem::path& dir, ProfileReport& report,
                                                           const core::Callbacks& callbacks);

/// Open hook: maps the sets listed in the profile entry `jp` of resources.json (none when absent).
void load_constraint_sets(const nlohmann::json& jp, const std::filesystem::path& dir, LoadedProfile& lp,
                          ProfileInfo& info, bool verify_checksums);

/// The precomputed set whose factors equal `wc`'s, or nullptr.
[[nodiscard]] const PrecomputedSet* find_precomputed(const LoadedProfile& lp, const WayCosts& wc);

/// Road2 constraint objects {constraintType, key, operator, value} (constraints.cpp). Parsing
/// appends "<where>: …" problems and returns what it could read.
[[nodiscard]] nlohmann::ordered_json constraint_to_json(const Constraint& c);
[[nodiscard]] Constraint constraint_from_json(const nlohmann::json& j, const std::string& where,
                                              std::vector<std::string>& problems);

}  // namespace geoplex::routing::detail
