#include "geoplex/core/geometry.hpp"

#include <geodesic.h>

#include <fmt/format.h>

#include "geoplex/core/error.hpp"

namespace geoplex::core {

namespace {
const geod_geodesic& wgs84() {
    static const geod_geodesic g = [] {
        geod_geodesic tmp{};
        geod_init(&tmp, 6378137.0, 1.0 / 298.257223563);
        return tmp;
    }();
    return g;
}
}  // namespace

double geodesic_distance(LonLat a, LonLat b) {
    double s12 = 0.0;
    geod_inverse(&wgs84(), a.lat, a.lon, b.lat, b.lon, &s12, nullptr, nullptr);
    return s12;
}

double geodesic_length(std::span<const LonLat> line) {
    double total = 0.0;
    for (std::size_t i = 1; i < line.size(); ++i) total += geodesic_distance(line[i - 1], line[i]);
    return total;
}

std::vector<LonLat> sample_along(std::span<const LonLat> line, std::size_t count, std::vector<double>* distances) {
    if (line.empty()) throw InvalidArgument("sample_along: the line has no vertex");
    if (count < 2) throw InvalidArgument(fmt::format("sample_along: count must be at least 2, got {}", count));

    std::vector<double> cumulative(line.size(), 0.0);
    for (std::size_t i = 1; i < line.size(); ++i)
        cumulative[i] = cumulative[i - 1] + geodesic_distance(line[i - 1], line[i]);
    const double total = cumulative.back();

    std::vector<LonLat> out;
    out.reserve(count);
    if (distances) { distances->clear(); distances->reserve(count); }
    std::size_t seg = 1;  // current segment is [seg-1, seg]
    std::size_t line_seg = 0;  // segment `gl` was built for (0 = none yet): one geodesic per segment
    geod_geodesicline gl{};
    for (std::size_t k = 0; k < count; ++k) {
        const double target = (k + 1 == count) ? total : total * static_cast<double>(k) / static_cast<double>(count - 1);
        if (distances) distances->push_back(target);
        if (line.size() == 1 || k == 0) { out.push_back(line.front()); continue; }
        if (k + 1 == count) { out.push_back(line.back()); continue; }
        while (seg + 1 < line.size() && cumulative[seg] < target) ++seg;
        const LonLat a = line[seg - 1];
        const LonLat b = line[seg];
        const double along = target - cumulative[seg - 1];
        const double seg_len = cumulative[seg] - cumulative[seg - 1];
        if (seg_len <= 0.0) { out.push_back(a); continue; }
        if (line_seg != seg) {
            geod_inverseline(&gl, &wgs84(), a.lat, a.lon, b.lat, b.lon, GEOD_LATITUDE | GEOD_LONGITUDE | GEOD_DISTANCE_IN);
            line_seg = seg;
        }
        double lat = 0.0, lon = 0.0;
        geod_position(&gl, along, &lat, &lon, nullptr);
        out.push_back(LonLat{lon, lat});
    }
    return out;
}

}  // namespace geoplex::core
