#pragma once
// Serving tiles without per-request work on the bytes (private to the tiles and server
// components): the entry of the Tileset's LRU cache itself, immutable and shared, with the ETag
// computed once when the tile was rendered. The HTTP tile routes (src/server/tiles_api.cpp) use
// it instead of Tileset::render, which returns a copy of the bytes.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "geoplex/tiles/tiles.hpp"

namespace geoplex::tiles::detail {

struct ServedTile {
    Tile tile;
    /// Strong validator of tile.bytes (as stored: gzip for vector tiles), see tile_etag(); empty
    /// when status != ok.
    std::string etag;
};

/// `"<FNV-1a 64 of bytes, 16 hex digits>-<length in hex>"` (quotes included): the same for the
/// same bytes across restarts (the bundle is immutable).
[[nodiscard]] std::string tile_etag(std::string_view bytes);

/// Tileset::render, answered with the shared cache entry: no copy of the bytes on a cache hit.
/// Tiles that are not cached (pyramids, cache off) come in a fresh entry. Same errors as render.
[[nodiscard]] std::shared_ptr<const ServedTile> render_served(const Tileset& tileset, std::string_view layer,
                                                              std::uint32_t z, std::uint64_t x, std::uint64_t y,
                                                              std::optional<TileFormat> format = std::nullopt);

}  // namespace geoplex::tiles::detail
