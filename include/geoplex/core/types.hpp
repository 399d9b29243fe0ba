#pragma once
// Strong value types shared by every component. Light header: no Boost, no fmt.

#include <algorithm>
#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>

namespace geoplex::core {

/// A geographic position in degrees, WGS84 (EPSG:4326), longitude first as in GeoJSON.
struct LonLat {
    double lon = 0.0;
    double lat = 0.0;
    friend constexpr bool operator==(const LonLat&, const LonLat&) = default;
};

/// A position in a projected CRS (metres for Lambert-93), east first.
struct XY {
    double x = 0.0;
    double y = 0.0;
    friend constexpr bool operator==(const XY&, const XY&) = default;
};

/// A scalar with a unit tag, so that metres and seconds never mix by accident.
template <class Tag>
struct Quantity {
    double value = 0.0;
    constexpr Quantity() = default;
    constexpr explicit Quantity(double v) : value(v) {}
    constexpr Quantity& operator+=(Quantity o) { value += o.value; return *this; }
    constexpr Quantity& operator-=(Quantity o) { value -= o.value; return *this; }
    friend constexpr Quantity operator+(Quantity a, Quantity b) { return Quantity(a.value + b.value); }
    friend constexpr Quantity operator-(Quantity a, Quantity b) { return Quantity(a.value - b.value); }
    friend constexpr Quantity operator*(Quantity a, double k) { return Quantity(a.value * k); }
    friend constexpr Quantity operator*(double k, Quantity a) { return Quantity(a.value * k); }
    friend constexpr Quantity operator/(Quantity a, double k) { return Quantity(a.value / k); }
    friend constexpr auto operator<=>(const Quantity&, const Quantity&) = default;
};

using Meters = Quantity<struct MetersTag>;
using Seconds = Quantity<struct SecondsTag>;

/// An axis-aligned box; empty (min > max) until extended. Coordinates are in whatever CRS
/// the owner documents (lon/lat degrees unless stated otherwise).
struct BBox {
    double min_x = std::numeric_limits<double>::infinity();
    double min_y = std::numeric_limits<double>::infinity();
    double max_x = -std::numeric_limits<double>::infinity();
    double max_y = -std::numeric_limits<double>::infinity();

    static constexpr BBox of(double x0, double y0, double x1, double y1) { return BBox{x0, y0, x1, y1}; }
    [[nodiscard]] constexpr bool empty() const { return !(min_x <= max_x && min_y <= max_y); }
    constexpr void extend(double x, double y) {
        min_x = std::min(min_x, x); min_y = std::min(min_y, y);
        max_x = std::max(max_x, x); max_y = std::max(max_y, y);
    }
    constexpr void extend(LonLat p) { extend(p.lon, p.lat); }
    constexpr void extend(const BBox& o) {
        if (!o.empty()) { extend(o.min_x, o.min_y); extend(o.max_x, o.max_y); }
    }
    [[nodiscard]] constexpr bool contains(double x, double y) const {
        return x >= min_x && x <= max_x && y >= min_y && y <= max_y;
    }
    [[nodiscard]] constexpr bool contains(LonLat p) const { return contains(p.lon, p.lat); }
    [[nodiscard]] constexpr bool intersects(const BBox& o) const {
        return !empty() && !o.empty() && min_x <= o.max_x && o.min_x <= max_x && min_y <= o.max_y && o.min_y <= max_y;
    }
    friend constexpr bool operator==(const BBox&, const BBox&) = default;
};

/// True when both coordinates are finite and inside [-180, 180] x [-90, 90].
[[nodiscard]] constexpr bool is_valid_lonlat(LonLat p) {
    return p.lon >= -180.0 && p.lon <= 180.0 && p.lat >= -90.0 && p.lat <= 90.0;  // false for NaN
}

}  // namespace geoplex::core

namespace geoplex {
using core::BBox;
using core::LonLat;
using core::Meters;
using core::Seconds;
using core::XY;
}  // namespace geoplex
