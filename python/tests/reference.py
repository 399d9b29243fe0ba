"""Independent references for the binding tests: geodesic lengths (Vincenty), Dijkstra, Web
Mercator tile maths and a polyline decoder, in plain Python (no geoplex code)."""

from __future__ import annotations

import heapq
import math
from typing import Dict, Hashable, List, Tuple

_A = 6378137.0
_F = 1 / 298.257223563
_B = _A * (1 - _F)


def vincenty(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance in metres on WGS84 (Vincenty's inverse formula, ~0.1 mm here)."""
    if lon1 == lon2 and lat1 == lat2:
        return 0.0
    L = math.radians(lon2 - lon1)
    U1 = math.atan((1 - _F) * math.tan(math.radians(lat1)))
    U2 = math.atan((1 - _F) * math.tan(math.radians(lat2)))
    sinU1, cosU1, sinU2, cosU2 = math.sin(U1), math.cos(U1), math.sin(U2), math.cos(U2)
    lam = L
    for _ in range(200):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(cosU2 * sin_lam, cosU1 * sinU2 - sinU1 * cosU2 * cos_lam)
        if sin_sigma == 0:
            return 0.0
        cos_sigma = sinU1 * sinU2 + cosU1 * cosU2 * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = cosU1 * cosU2 * sin_lam / sin_sigma
        cos2_alpha = 1 - sin_alpha ** 2
        cos_2sm = cos_sigma - 2 * sinU1 * sinU2 / cos2_alpha if cos2_alpha != 0 else 0.0
        C = _F / 16 * cos2_alpha * (4 + _F * (4 - 3 * cos2_alpha))
        previous = lam
        lam = L + (1 - C) * _F * sin_alpha * (sigma + C * sin_sigma * (cos_2sm + C * cos_sigma * (-1 + 2 * cos_2sm ** 2)))
        if abs(lam - previous) < 1e-13:
            break
    u2 = cos2_alpha * (_A ** 2 - _B ** 2) / _B ** 2
    A = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)))
    B = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)))
    delta_sigma = B * sin_sigma * (cos_2sm + B / 4 * (cos_sigma * (-1 + 2 * cos_2sm ** 2)
                                                     - B / 6 * cos_2sm * (-3 + 4 * sin_sigma ** 2) * (-3 + 4 * cos_2sm ** 2)))
    return _B * A * (sigma - delta_sigma)


def line_length(coords) -> float:
    """Geodesic length of a polyline given as (lon, lat) rows."""
    return sum(vincenty(*coords[i], *coords[i + 1]) for i in range(len(coords) - 1))


Graph = Dict[Hashable, List[Tuple[Hashable, float]]]


def dijkstra(graph: Graph, source: Hashable) -> Dict[Hashable, float]:
    """Shortest-path costs from `source` over `graph` (node -> [(neighbour, cost)])."""
    dist = {source: 0.0}
    heap = [(0.0, 0, source)]
    counter = 1
    while heap:
        d, _, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for v, w in graph.get(u, ()):
            nd = d + w
            if nd < dist.get(v, math.inf):
                dist[v] = nd
                heapq.heappush(heap, (nd, counter, v))
                counter += 1
    return dist


def lonlat_to_tile(lon: float, lat: float, z: int) -> Tuple[int, int]:
    """XYZ (Web Mercator, rows from the top) tile containing a point."""
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.log(math.tan(lat_r) + 1.0 / math.cos(lat_r)) / math.pi) / 2.0 * n)
    return x, y


def tile_bounds_3857(z: int, x: int, y: int) -> Tuple[float, float, float, float]:
    """EPSG:3857 bounds of an XYZ tile."""
    half = math.pi * _A
    size = 2 * half / 2 ** z
    return (-half + x * size, half - (y + 1) * size, -half + (x + 1) * size, half - y * size)


def tile_bounds_lonlat(z: int, x: int, y: int) -> Tuple[float, float, float, float]:
    """WGS84 bounds (min_lon, min_lat, max_lon, max_lat) of an XYZ tile."""
    n = 2 ** z

    def lat(row):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return (x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y))


def decode_polyline(text: str, precision: int = 5) -> List[Tuple[float, float]]:
    """Google encoded polyline → (lon, lat) pairs."""
    factor = 10 ** precision
    coords, index, lat, lon = [], 0, 0, 0
    while index < len(text):
        values = []
        for _ in range(2):
            shift = result = 0
            while True:
                b = ord(text[index]) - 63
                index += 1
                result |= (b & 0x1F) << shift
                shift += 5
                if b < 0x20:
                    break
            values.append(~(result >> 1) if result & 1 else result >> 1)
        lat += values[0]
        lon += values[1]
        coords.append((lon / factor, lat / factor))
    return coords
