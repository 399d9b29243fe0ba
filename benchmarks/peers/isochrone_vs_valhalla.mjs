// Valhalla (npm @valhallajs/valhallajs 3.6.1, in-process through its Node binding) isochrones on
// the points written by isochrone_bench --points-out. Writes JSON: p50/p99 per isochrone (one
// contour of `minutes`, polygons: true) and, to a second file, each point's polygon (a GeoJSON
// geometry, null on failure) so that isochrone_bench --quality-of measures them.
//   node isochrone_vs_valhalla.mjs <valhalla-config.json> <points.csv> <minutes> <out.json> <polygons.json>
import { readFileSync, writeFileSync } from 'node:fs';
import { Actor } from '@valhallajs/valhallajs';

const [configFile, pointsFile, minutes, outFile, polygonsFile] = process.argv.slice(2);
const actor = await Actor.fromConfigFile(configFile);
const points = readFileSync(pointsFile, 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
const pct = (v, q) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

async function run(keep) {
  const ms = [];
  const polygons = [];
  let failed = 0;
  for (const [lon, lat] of points) {
    const query = { locations: [{ lon, lat }], costing: 'auto', contours: [{ time: Number(minutes) }], polygons: true };
    const t0 = process.hrtime.bigint();
    let out = null;
    try {
      out = await actor.isochrone(JSON.stringify(query));
    } catch (e) {
      failed++;
    }
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (keep) {
      const f = out ? JSON.parse(out).features?.find((x) => x.geometry && x.geometry.type.endsWith('Polygon')) : null;
      polygons.push(f ? f.geometry : null);
    }
  }
  return { ms, polygons, failed };
}
await run(false);  // warm-up
const r = await run(true);
writeFileSync(polygonsFile, JSON.stringify(r.polygons));
writeFileSync(outFile, JSON.stringify({ peer: 'valhalla 3.6.1 (npm, in-process)', points: points.length, minutes: Number(minutes),
  isochrone_ms: { p50: pct(r.ms, 0.5), p99: pct(r.ms, 0.99), min: Math.min(...r.ms) }, failed: r.failed }, null, 1));
