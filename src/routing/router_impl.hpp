#pragma once
// The opened routing folder, shared by Router and Query.

#include <array>
#include <memory>
#include <vector>

#include "routing/adaptive_sets.hpp"
#include "routing/ch_recontract.hpp"
#include "routing/detail.hpp"
#include "routing/store.hpp"

namespace geoplex::routing {

namespace detail {

struct LoadedProfile {
    std::string name;
    SectionReader graph_file;
    Graph graph;
    std::array<SectionReader, 2> ch_files;
    std::array<ContractionHierarchy, 2> ch;
    std::array<bool, 2> has_ch{false, false};
    GridParams grid;
    std::span<const std::uint32_t> grid_first, grid_items;
    std::vector<std::unique_ptr<PrecomputedSet>> sets;  ///< precomputed constraint sets (ch_recontract.hpp)
};

struct LoadedResource {
    std::vector<std::unique_ptr<LoadedProfile>> profiles;
};

}  // namespace detail

struct Router::Impl {
    std::filesystem::path dir;
    std::vector<ResourceInfo> infos;
    std::vector<detail::LoadedResource> loaded;  // parallel to infos
    /// Adaptive constraint sets (adaptive_sets.hpp). Declared last: destroyed first, its builder
    /// thread stops before the graphs it reads are unmapped.
    std::unique_ptr<detail::AdaptiveSets> adaptive_sets;

    /// Throws Error(not_found) with Road2-like wording.
    [[nodiscard]] const detail::LoadedProfile& profile(std::string_view resource, std::string_view profile) const;
};

}  // namespace geoplex::routing
