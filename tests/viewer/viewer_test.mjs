// Browser test of the web viewer: a real (headless) Chromium drives the page served by
// `geoplex serve` on a synthetic bundle: search → select → route → isochrone → elevation profile,
// reverse geocoding on click, language switch. Expected values come from the synthetic BAN CSV
// (the source data) and from geometry computed here, not from the viewer.
//
//   node viewer_test.mjs <geoplex executable> <node_modules with playwright-core> <work dir>
//
// Exit 0 = passed, 1 = failed, 77 = skipped (no Chromium; a failure instead when CI=true or
// GEOPLEX_REQUIRE_BROWSER=1). Screenshots are saved in <work dir> as test artifacts.

import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const [geoplex, nodeModules, work] = process.argv.slice(2);
if (!geoplex || !nodeModules || !work) {
  console.error('usage: node viewer_test.mjs <geoplex> <node_modules> <work dir>');
  process.exit(2);
}
const chromiumPath = process.env.GEOPLEX_CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
if (!chromiumPath) {
  const required = process.env.CI === 'true' || process.env.GEOPLEX_REQUIRE_BROWSER === '1';
  console.error(`no Chromium found (install Debian's chromium: scripts/setup.sh does)${required ? '' : ' — skipped'}`);
  process.exit(required ? 1 : 77);
}
const { chromium } = createRequire(path.resolve(nodeModules, 'x.js'))('playwright-core');

let failures = 0;
function check(condition, what) {
  console.log(`${condition ? 'ok  ' : 'FAIL'} ${what}`);
  if (!condition) failures += 1;
}

// ---- a synthetic bundle -----------------------------------------------------------------------
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
execFileSync(geoplex, ['synth', '--size', 'village', '--seed', '7', '-o', path.join(work, 'territory'), '-q'], { stdio: 'inherit' });
execFileSync(geoplex, ['build', path.join(work, 'territory', 'bundle.toml'), '-o', path.join(work, 'bundle'), '-q'], { stdio: 'inherit' });

// BAN CSV: the addresses the geocoder was built from.
const csv = fs.readFileSync(path.join(work, 'territory', 'addresses.csv'), 'utf8').trim().split('\n');
const header = csv[0].split(';');
const col = (name) => header.indexOf(name);
const addresses = csv.slice(1).map((line) => {
  const f = line.split(';');
  return { numero: f[col('numero')], rep: f[col('rep')], street: f[col('nom_voie')], city: f[col('nom_commune')],
    lon: Number(f[col('lon')]), lat: Number(f[col('lat')]) };
});
check(addresses.length > 50, `the synthetic territory has addresses (${addresses.length})`);

function metres(a, b) {
  const rad = Math.PI / 180;
  const dlat = (b.lat - a.lat) * rad;
  const dlon = (b.lon - a.lon) * rad;
  const h = Math.sin(dlat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dlon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}

function pointInRing(p, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > p.lat) !== (yj > p.lat) && p.lon < ((xj - xi) * (p.lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
function pointInGeometry(p, g) {
  const polygons = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  return polygons.some((poly) => pointInRing(p, poly[0]) && !poly.slice(1).some((hole) => pointInRing(p, hole)));
}

// ---- the server -------------------------------------------------------------------------------
const server = spawn(geoplex, ['serve', path.join(work, 'bundle'), '--host', '127.0.0.1', '--port', '0', '--access-log', 'off'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
let serverLog = '';
const base = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`the server did not start:\n${serverLog}`)), 60000);
  server.stderr.on('data', (d) => {
    serverLog += d;
    const m = serverLog.match(/on (http:\/\/[^/\s]+)\//);
    if (m) { clearTimeout(timer); resolve(m[1].replace('localhost', '127.0.0.1')); }
  });
  server.on('exit', (code) => reject(new Error(`the server exited (${code}):\n${serverLog}`)));
});

const browser = await chromium.launch({ executablePath: chromiumPath, headless: true,
  args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--ignore-gpu-blocklist'] });
const shot = (page, name) => page.screenshot({ path: path.join(work, `viewer-${name}.png`) });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${base}/`);
  await page.evaluate(() => window.geoplexViewer.ready);
  const config = await page.evaluate(() => window.geoplexViewer.state.config);
  check(config.services.geocoder && config.services.routing && config.services.altitude,
    'config.json offers geocoder, routing and altitude for the synthetic bundle');
  const layerItems = await page.locator('#layers li').count();
  check(layerItems === config.layers.length && layerItems > 0, `the layer list shows every layer (${layerItems})`);
  const idle = () => page.waitForFunction(() => window.geoplexViewer.state.requests === 0 && window.geoplexViewer.map.loaded());
  await idle();
  await shot(page, '1-loaded');

  // Search with autocompletion → select.
  const target = addresses[Math.floor(addresses.length / 3)];
  await page.locator('#search').pressSequentially(`${target.numero} ${target.street}`.slice(0, 18), { delay: 20 });
  await page.waitForSelector('#suggestions li', { timeout: 10000 });
  const suggestions = await page.locator('#suggestions li').allTextContents();
  check(suggestions.some((s) => s.toLowerCase().includes(target.street.toLowerCase().slice(0, 10))),
    `completion suggests the street typed ("${target.street}")`);
  await page.locator('#search').fill(`${target.numero}${target.rep ? ` ${target.rep}` : ''} ${target.street} ${target.city}`);
  await page.locator('#search').press('Enter');
  await page.waitForFunction(() => window.geoplexViewer.state.selected !== null);
  const selected = await page.evaluate(() => window.geoplexViewer.state.selected);
  check(metres(selected, target) < 1, `the selected result is the address of the CSV (${metres(selected, target).toFixed(2)} m away)`);
  check((await page.locator('#result .label').textContent()).includes(target.street), 'the result card shows the label');
  await idle();
  await shot(page, '2-search');

  // Route: from the selected address to a clicked point.
  await page.locator('#result button[data-action=route_from]').click();
  const far = addresses.reduce((best, a) => (metres(a, target) > metres(best, target) ? a : best), addresses[0]);
  const dest = addresses.find((a) => metres(a, target) > 0.5 * metres(far, target)) || far;
  await page.evaluate(([a, b]) => window.geoplexViewer.map.fitBounds(
    [[Math.min(a.lon, b.lon), Math.min(a.lat, b.lat)], [Math.max(a.lon, b.lon), Math.max(a.lat, b.lat)]], { padding: 80, duration: 0 }),
  [target, dest]);
  await idle();
  const clickAt = async (p) => {
    const box = await page.locator('#map').boundingBox();
    const xy = await page.evaluate((q) => window.geoplexViewer.map.project([q.lon, q.lat]), p);
    await page.mouse.click(box.x + xy.x, box.y + xy.y);
  };
  await clickAt(dest);
  await page.waitForSelector('#route-summary:not([hidden])', { timeout: 20000 });
  await idle();
  const route = await page.evaluate(() => window.geoplexViewer.state.route);
  const shownMetres = Number(await page.locator('#route-summary .route-distance').getAttribute('data-metres'));
  const crowFly = metres(target, dest);
  check(shownMetres === route.distance, 'the summary shows the route distance');
  check(route.distance >= crowFly - 50, `the route (${route.distance.toFixed(0)} m) is not shorter than the straight line (${crowFly.toFixed(0)} m) less the snapping`);
  const steps = await page.locator('#route-steps li').allTextContents();
  check(steps.length >= 2 && steps[0].startsWith('Depart') && steps[steps.length - 1].startsWith('Arrive'),
    `turn-by-turn steps from Depart to Arrive (${steps.length})`);
  check(route.geometry.type === 'LineString' && route.geometry.coordinates.length >= 2, 'the route line is drawn from a GeoJSON LineString');
  await shot(page, '3-route');

  // Avoiding motorways re-computes the route with the constraint.
  await page.locator('.avoid[value=autoroute]').check();
  await page.waitForFunction(() => window.geoplexViewer.state.route?.constraints?.length === 1);
  const constrained = await page.evaluate(() => window.geoplexViewer.state.route);
  check(constrained.constraints[0].value === 'autoroute' && constrained.duration >= route.duration,
    'avoiding motorways sends the Road2 constraint and is never faster');
  await page.locator('.avoid[value=autoroute]').uncheck();
  await idle();

  // Elevation profile of the route.
  await page.waitForSelector('#route-profile-btn:not([disabled])');
  await page.locator('#route-profile-btn').click();
  await page.waitForSelector('#chart svg path.profile-path', { timeout: 20000 });
  const zmin = Number(await page.locator('#chart .profile-min').getAttribute('data-value'));
  const zmax = Number(await page.locator('#chart .profile-max').getAttribute('data-value'));
  const profile = await page.evaluate(() => window.geoplexViewer.state.profile);
  const zs = profile.elevations.map((e) => e.z).filter((z) => z > -99999);
  check(zs.length > 10 && zmin === Math.min(...zs) && zmax === Math.max(...zs) && zmin <= zmax,
    `the elevation chart spans the sampled elevations (${zmin.toFixed(1)}–${zmax.toFixed(1)} m)`);
  await shot(page, '4-profile');

  // Isochrones with three contours from one click, when the bundle serves them.
  if (config.services.isochrone) {
    await page.locator('#modes button[data-mode=isochrone]').click();
    await page.locator('#iso-values').fill('2,4,6');
    await clickAt(target);
    await page.waitForFunction(() => window.geoplexViewer.state.isochrones.length === 3, null, { timeout: 20000 });
    await idle();
    const isos = await page.evaluate(() => window.geoplexViewer.state.isochrones);
    check(isos.every((r) => r.geometry.type === 'Polygon' || r.geometry.type === 'MultiPolygon'), 'three isochrone polygons');
    check(isos.every((r) => pointInGeometry(target, r.geometry)), 'every contour contains its start point');
    await shot(page, '5-isochrone');
  } else {
    check(await page.locator('#modes button[data-mode=isochrone]').isDisabled(), 'no isochrone endpoint: its mode button is disabled');
  }

  // Reverse geocoding on click: the nearest CSV address (brute force here) is the one shown.
  await page.locator('#modes button[data-mode=explore]').click();
  const probe = { lon: dest.lon + 0.00003, lat: dest.lat + 0.00002 };
  const nearest = addresses.reduce((best, a) => (metres(a, probe) < metres(best, probe) ? a : best), addresses[0]);
  await page.evaluate((q) => window.geoplexViewer.map.jumpTo({ center: [q.lon, q.lat], zoom: 17 }), probe);
  await idle();
  await clickAt(probe);
  await page.waitForSelector('.explore-popup .reverse-label', { timeout: 10000 });
  const reverseLabel = await page.locator('.explore-popup .reverse-label').textContent();
  check(reverseLabel.startsWith(`${nearest.numero}${nearest.rep ? ` ${nearest.rep}` : ''} ${nearest.street}`),
    `reverse geocoding shows the nearest address ("${reverseLabel}")`);
  check(await page.locator('.explore-popup .elevation').count() === 1, 'the popup shows the elevation');
  await shot(page, '6-reverse');

  // Catalogue panel: search a layer of the bundle, open its sheet, add it to the map.
  check(await page.locator('#catalog-panel').isVisible(), 'the catalogue panel is shown (the layer search answers)');
  const drawable = config.layers.find((l) => l.web_mercator);
  check(Boolean(drawable), 'the synthetic bundle has a Web Mercator layer to add from the catalogue');
  if (drawable) {
    const docType = drawable.type === 'vector' ? 'VECTOR-TMS' : 'WMTS-TMS';
    const word = drawable.title.split(/[^\p{L}\p{N}]+/u).find((w) => w.length >= 3) || drawable.id;
    await page.locator('#catalog-search').pressSequentially(word.slice(0, Math.min(word.length, 5)), { delay: 20 });
    await page.waitForSelector('#catalog-suggestions li', { timeout: 10000 });
    const catalogSuggestions = await page.locator('#catalog-suggestions li').allTextContents();
    check(catalogSuggestions.some((s) => s.includes(drawable.title)),
      `catalogue suggestions for "${word.slice(0, 5)}" include "${drawable.title}" (${catalogSuggestions.length})`);
    await page.locator('#catalog-suggestions li', { hasText: drawable.title }).first().click();
    const card = page.locator(`#catalog-results li[data-layer="${drawable.id}"][data-type="${docType}"]`);
    await card.waitFor({ timeout: 10000 });
    check((await card.locator('.title').textContent()).includes(drawable.title) && (await card.locator('.type').textContent()).length > 0,
      'the result card shows the title and the type label');
    await card.click();
    await page.waitForSelector('#catalog-sheet:not([hidden]) .stream-layer');
    check(await page.locator('#catalog-sheet .stream-layer').textContent() === drawable.id, 'the sheet shows the LAYER name');
    check(await page.locator('#catalog-sheet .stream-protocol').textContent() === docType, `the sheet shows the protocol (${docType})`);
    const sheet = await page.evaluate(() => window.geoplexViewer.state.catalog.sheet);
    const ring = sheet.extent.coordinates[0];
    const [w, s, e, n] = drawable.bounds;
    check(Math.abs(ring[0][0] - w) < 1e-9 && Math.abs(ring[0][1] - s) < 1e-9 && Math.abs(ring[2][0] - e) < 1e-9 && Math.abs(ring[2][1] - n) < 1e-9,
      'the sheet\'s extent is the layer\'s bounds from config.json');
    const drawn = await page.evaluate(() => window.geoplexViewer.map.getSource('catalog-extent').serialize().data);
    check(drawn.geometry?.type === 'Polygon', 'the extent is drawn on the map');
    const before = await page.locator('#layers li').count();
    await page.locator('#catalog-add').click();
    await page.waitForFunction(() => window.geoplexViewer.state.catalog.added.length === 1, null, { timeout: 10000 });
    await idle();
    const addedId = `catalog-1-${drawable.id}`;
    check(await page.locator('#layers li').count() === before + 1 && await page.locator(`#layers li[data-layer="${addedId}"]`).count() === 1,
      'the added layer appears in the layer list');
    check(await page.locator(`#layers li[data-layer="${addedId}"] input[type=range]`).count() === 1, 'the added layer has an opacity slider');
    const sources = await page.evaluate((prefix) => Object.keys(window.geoplexViewer.map.getStyle().sources).filter((k) => k.startsWith(prefix)),
      `${addedId}:`);
    check(sources.length >= 1, `the map has the added layer's source (${sources.join(', ')})`);
    await shot(page, '6b-catalog');
  }

  // French labels.
  await page.locator('#lang').click();
  check((await page.locator('#modes button[data-mode=route]').textContent()) === 'Itinéraire', 'the FR switch translates the labels');
  await shot(page, '7-french');

  check(pageErrors.length === 0, `no JavaScript error on the page${pageErrors.length ? `: ${pageErrors.join('; ')}` : ''}`);
} catch (e) {
  failures += 1;
  console.error(`FAIL ${e.stack || e}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
console.log(failures ? `${failures} check(s) failed; screenshots in ${work}` : `viewer: all checks passed; screenshots in ${work}`);
process.exit(failures ? 1 : 0);
