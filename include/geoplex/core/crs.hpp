#pragma once
// Coordinate transforms through PROJ. Axis order is always the GIS order (lon/lat, east/north)
// whatever the CRS definition says. A transform is safe to share between threads: each call
// borrows a PROJ object bound to its own context from a small pool.

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "geoplex/core/types.hpp"

namespace geoplex::core {

class CrsTransform {
public:
    /// `from` and `to` are anything PROJ understands: "EPSG:2154", a WKT or a PROJ string.
    /// Throws InvalidArgument naming the CRS when PROJ does not know it.
    CrsTransform(std::string_view from, std::string_view to);
    ~CrsTransform();
    CrsTransform(CrsTransform&&) noexcept;
    CrsTransform& operator=(CrsTransform&&) noexcept;
    CrsTransform(const CrsTransform&) = delete;
    CrsTransform& operator=(const CrsTransform&) = delete;

    /// Transforms in place. Points that cannot be transformed become NaN.
    void transform(std::span<double> xs, std::span<double> ys) const;
    [[nodiscard]] XY transform(XY p) const;
    /// True when source and target are the same CRS (transform() is then a copy).
    [[nodiscard]] bool is_identity() const noexcept;
    [[nodiscard]] const std::string& source() const noexcept;
    [[nodiscard]] const std::string& target() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// True when PROJ knows `crs`.
[[nodiscard]] bool is_known_crs(std::string_view crs);
/// True when `crs` is geographic (degrees).
[[nodiscard]] bool is_geographic_crs(std::string_view crs);

}  // namespace geoplex::core
