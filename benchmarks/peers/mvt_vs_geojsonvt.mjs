// The geojson-vt + vt-pbf side of mvt_vs_geojsonvt: every tile z0..zmax over the data's bounds,
// cut by geojson-vt and encoded by vt-pbf (uncompressed protobuf), exactly the tile range the
// geoplex side renders. Prints one JSON line.
//   node mvt_vs_geojsonvt.mjs departements.geojson 10
import fs from 'node:fs';
import GeoJSONVT from 'geojson-vt';
import vtpbf from 'vt-pbf';

const [file, zmaxArg] = process.argv.slice(2);
const zmax = Number(zmaxArg ?? 10);
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const data = JSON.parse(fs.readFileSync(file, 'utf8'));
// Same parameters as geoplex's defaults: extent 4096, buffer 64; tolerance in geojson-vt units
// (geojson-vt divides it by 2^z * extent: it is in extent units, 4 as geoplex).
const index = new GeoJSONVT(data, {maxZoom: zmax, indexMaxZoom: zmax, indexMaxPoints: 0, extent: 4096, buffer: 64,
                               tolerance: 4});
const t1 = process.hrtime.bigint();
// Bounds of the data (lon/lat) → tile ranges.
let w = 180, s = 90, e = -180, n = -90;
const visit = (c) => { if (typeof c[0] === 'number') { w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]); } else c.forEach(visit); };
data.features.forEach((f) => visit(f.geometry.coordinates));
const tx = (lon, z) => Math.min((1 << z) - 1, Math.max(0, Math.floor((lon + 180) / 360 * (1 << z))));
const ty = (lat, z) => { const r = lat * Math.PI / 180; return Math.min((1 << z) - 1, Math.max(0, Math.floor((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2 * (1 << z)))); };
let tiles = 0, nonempty = 0, bytes = 0;
for (let z = 0; z <= zmax; z++) {
  for (let x = tx(w, z); x <= tx(e, z); x++) {
    for (let y = ty(n, z); y <= ty(s, z); y++) {
      tiles++;
      const tile = index.getTile(z, x, y);
      if (!tile || tile.features.length === 0) continue;
      const buf = vtpbf.fromGeojsonVt({departements: tile}, {version: 2, extent: 4096});
      nonempty++;
      bytes += buf.length;
    }
  }
}
const t2 = process.hrtime.bigint();
console.log(JSON.stringify({tool: 'geojson-vt+vt-pbf', tiles, nonempty, bytes, load_s: Number(t1 - t0) / 1e9,
                            tile_s: Number(t2 - t1) / 1e9, total_s: Number(t2 - t0) / 1e9,
                            cpu_s: (() => { const c = process.cpuUsage(cpu0); return (c.user + c.system) / 1e6; })()}));
