#pragma once
// A deterministic synthetic catalogue for benchmarks and scale tests: dataset `i` is the same on
// every run and machine (splitmix64 of the index, no global state). French vocabulary with
// accents, Zipf-like word frequencies, 6 000 place names, 19 themes, 60 producers, boxes inside
// metropolitan France.

#include <cstdint>
#include <string>

#include "geoplex/catalog/model.hpp"
#include "geoplex/catalog/search.hpp"

namespace geoplex::catalog::synthetic {

/// The `index`-th synthetic dataset of `datastore` (its id is a UUID v4 derived from the index).
[[nodiscard]] Dataset dataset(std::uint64_t index, const Id& datastore);

/// The `index`-th query of the benchmark mix: 50 % a topic word and a place name, 30 % one topic
/// word, 20 % two topic words (topic words uniform over the vocabulary); a bbox in 30 %, a theme
/// in 25 %, a year in 15 %, open data in 10 %; facets on; sorts mixed; pages 1–5 of 10.
[[nodiscard]] SearchQuery query(std::uint64_t index, const Id& datastore);

}  // namespace geoplex::catalog::synthetic
