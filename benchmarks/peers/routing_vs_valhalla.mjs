// (Valhalla logs to stdout, so the result goes to a file.)
// Valhalla (npm @valhallajs/valhallajs 3.6.1, in-process through its Node binding) on the OD
// pairs written by routing_bench --pairs-out. Prints JSON: p50/p90/p99 per route (summary only:
// directions_type "none"; full: maneuvers + shape), and a 100×100 matrix.
//   node routing_vs_valhalla.mjs <valhalla-config.json> <pairs.csv> <out.json> [costing]
import { readFileSync, writeFileSync } from 'node:fs';
import { Actor } from '@valhallajs/valhallajs';

const [configFile, pairsFile, outFile, costing = 'auto'] = process.argv.slice(2);
const actor = await Actor.fromConfigFile(configFile);
const pairs = readFileSync(pairsFile, 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));

const pct = (v, q) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
async function run(full) {
  const us = [];
  let failed = 0;
  for (const [lon1, lat1, lon2, lat2] of pairs) {
    const query = {
      locations: [{ lon: lon1, lat: lat1 }, { lon: lon2, lat: lat2 }],
      costing,
      directions_type: full ? 'maneuvers' : 'none',
    };
    const t0 = process.hrtime.bigint();
    try {
      await actor.route(JSON.stringify(query));
    } catch (e) {
      failed++;
    }
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return { p50: pct(us, 0.5), p90: pct(us, 0.9), p99: pct(us, 0.99), failed };
}
await run(false);  // warm-up
const summary = await run(false);
const full = await run(true);
const n = Math.min(100, pairs.length);
const sources = pairs.slice(0, n).map(([lon, lat]) => ({ lon, lat }));
const targets = pairs.slice(0, n).map(([, , lon, lat]) => ({ lon, lat }));
const ms = [];
for (let k = 0; k < 5; k++) {
  const t0 = process.hrtime.bigint();
  await actor.matrix(JSON.stringify({ sources, targets, costing }));
  ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
writeFileSync(outFile, JSON.stringify({ peer: 'valhalla 3.6.1 (npm, in-process)', pairs: pairs.length, route_summary_us: summary,
  route_full_us: full, matrix_100x100_ms: { median: pct(ms, 0.5), min: Math.min(...ms) } }, null, 1));
