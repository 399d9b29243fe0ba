#!/usr/bin/python3
"""Independent PMTiles v3 reader, written from the specification
(github.com/protomaps/PMTiles, spec/v3/spec.md), used as the reference of test_tiles.

Usage: pmtiles_reader.py FILE
Prints one JSON object: the header fields, the metadata, and every addressed tile as
[z, x, y, length, crc32 of the stored bytes] (run-lengths expanded), in TileId order.
Exits non-zero on any violation of the specification it checks.
"""
import gzip
import json
import struct
import sys
import zlib


def fail(msg):
    sys.stderr.write("pmtiles_reader: " + msg + "\n")
    sys.exit(2)


def varint(buf, pos):
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            fail("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def decompress(data, compression):
    if compression == 1:
        return data
    if compression == 2:
        return gzip.decompress(data)
    fail("unsupported compression %d" % compression)


def directory(data):
    n, pos = varint(data, 0)
    ids, runs, lens, offs = [], [], [], []
    last = 0
    for _ in range(n):
        d, pos = varint(data, pos)
        last += d
        ids.append(last)
    for _ in range(n):
        v, pos = varint(data, pos)
        runs.append(v)
    for _ in range(n):
        v, pos = varint(data, pos)
        if v == 0:
            fail("zero-length entry")
        lens.append(v)
    for i in range(n):
        v, pos = varint(data, pos)
        if v == 0:
            if i == 0:
                fail("first offset is relative")
            offs.append(offs[i - 1] + lens[i - 1])
        else:
            offs.append(v - 1)
    if pos != len(data):
        fail("trailing bytes after a directory")
    if n == 0:
        fail("empty directory")
    return list(zip(ids, offs, lens, runs))


def tileid_to_zxy(tile_id):
    # Find the zoom: ids of zoom z start at (4^z - 1) / 3.
    acc = 0
    z = 0
    while True:
        count = 4 ** z
        if tile_id < acc + count:
            break
        acc += count
        z += 1
    # Hilbert curve position d on a 2^z x 2^z grid -> (x, y) (the classic d2xy).
    n = 1 << z
    t = tile_id - acc
    x = y = 0
    s = 1
    while s < n:
        rx = 1 & (t // 2)
        ry = 1 & (t ^ rx)
        if ry == 0:
            if rx == 1:
                x = s - 1 - x
                y = s - 1 - y
            x, y = y, x
        x += s * rx
        y += s * ry
        t //= 4
        s *= 2
    return z, x, y


def read_tiles(path):
    """{(z, x, y): bytes} of every addressed tile (for benchmarks and ad-hoc checks)."""
    raw = open(path, "rb").read()
    root_off, root_len = struct.unpack_from("<2Q", raw, 8)
    leaf_off = struct.unpack_from("<Q", raw, 40)[0]
    data_off = struct.unpack_from("<Q", raw, 56)[0]
    internal = raw[97]
    out = {}

    def walk(dir_bytes):
        for tid, off, ln, run in directory(decompress(dir_bytes, internal)):
            if run == 0:
                walk(raw[leaf_off + off:leaf_off + off + ln])
                continue
            for k in range(run):
                out[tileid_to_zxy(tid + k)] = raw[data_off + off:data_off + off + ln]

    walk(raw[root_off:root_off + root_len])
    return out


def main():
    raw = open(sys.argv[1], "rb").read()
    if len(raw) < 127 or raw[:7] != b"PMTiles" or raw[7] != 3:
        fail("not a PMTiles v3 file")
    (root_off, root_len, meta_off, meta_len, leaf_off, leaf_len, data_off, data_len,
     addressed, entries_count, contents) = struct.unpack_from("<11Q", raw, 8)
    clustered, internal, tile_comp, tile_type, minz, maxz = struct.unpack_from("<6B", raw, 96)
    min_lon, min_lat, max_lon, max_lat = struct.unpack_from("<4i", raw, 102)
    center_zoom = raw[118]
    center_lon, center_lat = struct.unpack_from("<2i", raw, 119)
    if root_off + root_len > 16384:
        fail("header + root directory exceed 16384 bytes")
    for off, ln in ((root_off, root_len), (meta_off, meta_len), (leaf_off, leaf_len), (data_off, data_len)):
        if off + ln > len(raw):
            fail("a section is out of the file")
    meta = json.loads(decompress(raw[meta_off:meta_off + meta_len], internal))

    tiles = []
    n_entries = 0
    offsets = set()

    def walk(dir_bytes, depth):
        nonlocal n_entries
        if depth > 3:
            fail("directories nested too deep")
        for tid, off, ln, run in directory(decompress(dir_bytes, internal)):
            if run == 0:
                walk(raw[leaf_off + off:leaf_off + off + ln], depth + 1)
                continue
            n_entries += 1
            if off + ln > data_len:
                fail("tile outside the data section")
            offsets.add(off)
            blob = raw[data_off + off:data_off + off + ln]
            crc = zlib.crc32(blob) & 0xFFFFFFFF
            for k in range(run):
                z, x, y = tileid_to_zxy(tid + k)
                tiles.append([z, x, y, ln, crc])

    walk(raw[root_off:root_off + root_len], 0)
    ids = [t for t in tiles]
    if len(tiles) != addressed:
        fail("addressed tiles %d != header %d" % (len(tiles), addressed))
    if n_entries != entries_count:
        fail("tile entries %d != header %d" % (n_entries, entries_count))
    if len(offsets) != contents:
        fail("tile contents %d != header %d" % (len(offsets), contents))
    out = {
        "clustered": clustered, "internal_compression": internal, "tile_compression": tile_comp,
        "tile_type": tile_type, "min_zoom": minz, "max_zoom": maxz,
        "bounds": [min_lon / 1e7, min_lat / 1e7, max_lon / 1e7, max_lat / 1e7],
        "center": [center_zoom, center_lon / 1e7, center_lat / 1e7],
        "metadata": meta, "tiles": ids, "leaf_directories_bytes": leaf_len, "tile_entries": n_entries,
        "tile_contents": len(offsets),
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
