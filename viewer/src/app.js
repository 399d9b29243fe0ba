// geoplex web viewer: one page over the bundle's services, built on MapLibre GL JS (global
// `maplibregl`, loaded by index.html from /viewer/maplibre-gl.js — copied from npm at build time).
// Every request goes to this server's Géoplateforme-compatible API; /viewer/config.json says
// what the bundle offers. `window.geoplexViewer` exposes the map and the state to tests.

const I18N = {
  en: {
    search_placeholder: 'Search an address or a place…', mode_explore: 'Explore', mode_route: 'Route',
    mode_isochrone: 'Isochrone', mode_profile: 'Elevation profile', resource: 'Network', profile: 'Profile',
    optimization: 'Optimization', avoid: 'Avoid', motorways: 'motorways', tunnels: 'tunnels', bridges: 'bridges',
    clear: 'Clear', elevation_of_route: 'Elevation profile of the route', cost: 'Cost', time: 'time',
    distance: 'distance', contours: 'Contours', direction: 'Direction', departure: 'from the point',
    arrival: 'to the point', layers: 'Layers', catalog: 'Catalog', opacity: 'opacity',
    hint_explore: 'Click the map: nearest address and elevation.',
    hint_route: 'Click the map to add the start, intermediate points and the end.',
    hint_isochrone: 'Click the map to compute the areas reachable from (or to) that point.',
    hint_profile: 'Click the map to draw a line; its elevation profile appears below.',
    not_available: 'not offered by this bundle', no_result: 'No result.', route_from: 'Route from here',
    route_to: 'Route to here', isochrone_here: 'Isochrone here', start: 'Start', end: 'End', via: 'Via',
    remove: 'remove', duration: 'Duration', length: 'Distance', steps: 'steps', nearest_address: 'Nearest address',
    elevation: 'Elevation', at: 'at', min: 'min', max: 'max', gain: 'gain', loss: 'loss', minutes: 'min',
    metres: 'm', not_web_mercator: 'not in Web Mercator: available through WMTS only', fastest: 'fastest',
    shortest: 'shortest', car: 'car', pedestrian: 'pedestrian', bicycle: 'bicycle', error: 'Error',
    reachable: 'Reachable within', onto: 'onto', roundabout_exit: 'take exit',
    m_depart: 'Depart', m_arrive: 'Arrive', m_turn: 'Turn', 'm_new name': 'Continue', m_continue: 'Continue',
    m_roundabout: 'At the roundabout', m_merge: 'Merge', 'm_on ramp': 'Take the ramp', 'm_off ramp': 'Take the exit',
    m_fork: 'Keep', 'm_end of road': 'At the end of the road, turn',
    uturn: 'make a U-turn', 'sharp right': 'sharp right', right: 'right', 'slight right': 'slightly right',
    straight: 'straight on', 'slight left': 'slightly left', left: 'left', 'sharp left': 'sharp left',
    catalog_placeholder: 'Search the catalog (3 letters or more)…', previous: '‹ Previous', next: 'Next ›',
    results_of: 'results', add_to_map: 'Add to map', added: 'Added to the map', producers: 'Producers',
    keywords: 'Keywords', theme: 'Theme', streams: 'Streams', stream_name: 'Name', protocol: 'Protocol',
    capabilities: 'GetCapabilities', not_addable: 'Used by the viewer’s tools; not a map layer.',
    'type_WMTS-TMS': 'Raster tiles (WMTS/TMS)', 'type_VECTOR-TMS': 'Vector tiles (TMS)', 'type_WMS-RASTER': 'WMS raster',
    'type_WMS-VECTOR': 'WMS vector', type_WFS: 'WFS features', type_DOWNLOAD: 'Download',
    'type_ITINERARY-ISOCURVE': 'Routing and isochrones', type_ALTIMETRY: 'Altimetry', type_SEARCH: 'Geocoding',
  },
  fr: {
    search_placeholder: 'Rechercher une adresse, un lieu…', mode_explore: 'Explorer', mode_route: 'Itinéraire',
    mode_isochrone: 'Isochrone', mode_profile: 'Profil altimétrique', resource: 'Réseau', profile: 'Profil',
    optimization: 'Optimisation', avoid: 'Éviter', motorways: 'autoroutes', tunnels: 'tunnels', bridges: 'ponts',
    clear: 'Effacer', elevation_of_route: 'Profil altimétrique de l’itinéraire', cost: 'Coût', time: 'temps',
    distance: 'distance', contours: 'Courbes', direction: 'Sens', departure: 'depuis le point',
    arrival: 'vers le point', layers: 'Couches', catalog: 'Catalogue', opacity: 'opacité',
    hint_explore: 'Cliquez sur la carte : adresse la plus proche et altitude.',
    hint_route: 'Cliquez sur la carte pour placer le départ, les étapes et l’arrivée.',
    hint_isochrone: 'Cliquez sur la carte pour calculer les zones accessibles depuis (ou vers) ce point.',
    hint_profile: 'Cliquez sur la carte pour tracer une ligne ; son profil altimétrique s’affiche dessous.',
    not_available: 'non proposé par ce paquet', no_result: 'Aucun résultat.', route_from: 'Itinéraire depuis ici',
    route_to: 'Itinéraire vers ici', isochrone_here: 'Isochrone ici', start: 'Départ', end: 'Arrivée', via: 'Étape',
    remove: 'retirer', duration: 'Durée', length: 'Distance', steps: 'étapes', nearest_address: 'Adresse la plus proche',
    elevation: 'Altitude', at: 'à', min: 'min', max: 'max', gain: 'dénivelé +', loss: 'dénivelé −', minutes: 'min',
    metres: 'm', not_web_mercator: 'pas en Web Mercator : disponible en WMTS seulement', fastest: 'le plus rapide',
    shortest: 'le plus court', car: 'voiture', pedestrian: 'piéton', bicycle: 'vélo', error: 'Erreur',
    reachable: 'Accessible en', onto: 'sur', roundabout_exit: 'prendre la sortie',
    m_depart: 'Partir', m_arrive: 'Arrivée', m_turn: 'Tourner', 'm_new name': 'Continuer', m_continue: 'Continuer',
    m_roundabout: 'Au rond-point', m_merge: 'S’insérer', 'm_on ramp': 'Prendre la bretelle', 'm_off ramp': 'Prendre la sortie',
    m_fork: 'Garder', 'm_end of road': 'Au bout de la route, tourner',
    uturn: 'faire demi-tour', 'sharp right': 'franchement à droite', right: 'à droite', 'slight right': 'légèrement à droite',
    straight: 'tout droit', 'slight left': 'légèrement à gauche', left: 'à gauche', 'sharp left': 'franchement à gauche',
    catalog_placeholder: 'Rechercher dans le catalogue (3 lettres ou plus)…', previous: '‹ Précédents', next: 'Suivants ›',
    results_of: 'résultats', add_to_map: 'Ajouter à la carte', added: 'Ajoutée à la carte', producers: 'Producteurs',
    keywords: 'Mots-clés', theme: 'Thème', streams: 'Flux', stream_name: 'Nom', protocol: 'Protocole',
    capabilities: 'GetCapabilities', not_addable: 'Utilisé par les outils de la carte ; pas une couche.',
    'type_WMTS-TMS': 'Tuiles raster (WMTS/TMS)', 'type_VECTOR-TMS': 'Tuiles vectorielles (TMS)', 'type_WMS-RASTER': 'WMS raster',
    'type_WMS-VECTOR': 'WMS vecteur', type_WFS: 'Objets WFS', type_DOWNLOAD: 'Téléchargement',
    'type_ITINERARY-ISOCURVE': 'Itinéraires et isochrones', type_ALTIMETRY: 'Altimétrie', type_SEARCH: 'Géocodage',
  },
};

const state = {
  lang: (navigator.language || 'en').toLowerCase().startsWith('fr') ? 'fr' : 'en',
  config: null,
  mode: 'explore',
  routePoints: [],     // [{lon, lat, label}]
  route: null,         // last /navigation/itineraire response
  isochrones: [],      // last isochrone responses, one per contour
  profileLine: [],     // [[lon, lat]] drawn in profile mode
  profile: null,       // last elevationLine response
  selected: null,      // last search result {label, lon, lat}
  requests: 0,         // requests in flight (tests wait for 0)
  catalog: { available: false, text: '', page: 1, total: 0, documents: [], sheet: null, added: [] },
};

const $ = (id) => document.getElementById(id);
const t = (key) => I18N[state.lang][key] ?? I18N.en[key] ?? key;
const empty = () => ({ type: 'FeatureCollection', features: [] });

function status(message) { $('status').textContent = message || ''; }

async function getJSON(url, init) {
  state.requests += 1;
  try {
    const response = await fetch(url, init);
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch { body = null; }
    if (!response.ok) {
      const e = body?.error;
      const message = (typeof e === 'string' ? e : e?.message || e?.description) || body?.message || `HTTP ${response.status}`;
      throw new Error(message);
    }
    return body;
  } finally {
    state.requests -= 1;
  }
}

const query = (params) => Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')
  .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
const lonlat = (p) => `${p.lon.toFixed(6)},${p.lat.toFixed(6)}`;

function formatDuration(seconds) {
  const m = Math.round(seconds / 60);
  return m < 60 ? `${m} ${t('minutes')}` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')}`;
}
function formatDistance(metres) {
  return metres < 1000 ? `${Math.round(metres)} m` : `${(metres / 1000).toFixed(metres < 10000 ? 2 : 1)} km`;
}

// ---- i18n ----------------------------------------------------------------------------------

function applyLanguage() {
  document.documentElement.lang = state.lang;
  $('lang').textContent = state.lang === 'fr' ? 'EN' : 'FR';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  $('hint').textContent = t(`hint_${state.mode}`);
  fillRouteOptions();
  renderRoutePoints();
  if (state.route) renderRoute();
  $('iso-unit').textContent = $('iso-cost').value === 'time' ? t('minutes') : t('metres');
  renderLayerList();
  if (state.profile) renderProfile();
  if (state.catalog.available) { renderCatalogResults(); if (state.catalog.sheet) renderSheet(); }
}

// ---- map and layers --------------------------------------------------------------------------

const map = new maplibregl.Map({
  container: 'map',
  style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } }] },
  center: [2.35, 46.6],
  zoom: 5,
  attributionControl: { compact: true, customAttribution: 'geoplex' },
});
map.addControl(new maplibregl.NavigationControl(), 'top-right');
map.addControl(new maplibregl.ScaleControl(), 'bottom-right');

const overlayLayers = [];  // ids of the viewer's own layers, kept on top of data layers
const dataLayers = [];     // {id, title, type, styleLayers: [ids], visible, opacity, color, drawable}

function swatchColor(layer) {
  if (layer.type === 'raster') return '#b9c4cf';
  const paint = layer.styleLayerDefs?.[0]?.paint || {};
  return paint['fill-color'] || paint['line-color'] || paint['circle-color'] || '#888';
}

async function addDataLayers() {
  for (const l of state.config.layers) {
    const entry = { ...l, styleLayers: [], visible: true, opacity: 1 };
    dataLayers.push(entry);
    if (!l.web_mercator) continue;
    try {
      if (l.type === 'raster') {
        map.addSource(l.id, { type: 'raster', url: l.tilejson, tileSize: 256 });
        map.addLayer({ id: l.id, type: 'raster', source: l.id }, overlayLayers[0]);
        entry.styleLayers = [l.id];
      } else {
        const style = await getJSON(l.style);
        for (const [id, source] of Object.entries(style.sources)) if (!map.getSource(id)) map.addSource(id, source);
        entry.styleLayerDefs = style.layers;
        for (const sl of style.layers) {
          map.addLayer(sl, overlayLayers[0]);
          entry.styleLayers.push(sl.id);
        }
      }
    } catch (e) {
      status(`${l.id}: ${e.message}`);
    }
  }
  renderLayerList();
}

function setLayerOpacity(entry) {
  for (const id of entry.styleLayers) {
    const type = map.getLayer(id)?.type;
    const prop = { raster: 'raster-opacity', fill: 'fill-opacity', line: 'line-opacity', circle: 'circle-opacity' }[type];
    if (!prop) continue;
    const base = type === 'fill' ? 0.4 : 1;
    map.setPaintProperty(id, prop, base * entry.opacity);
  }
}

function renderLayerList() {
  const ul = $('layers');
  ul.replaceChildren();
  for (const entry of dataLayers) {
    const li = document.createElement('li');
    li.dataset.layer = entry.id;
    const swatch = `<span class="swatch" style="background:${swatchColor(entry)}"></span>`;
    if (!entry.web_mercator) {
      li.innerHTML = `${swatch}${escapeHtml(entry.title)} <span class="note">(${t('not_web_mercator')})</span>`;
    } else {
      li.innerHTML = `<label><input type="checkbox" ${entry.visible ? 'checked' : ''}> ${swatch}${escapeHtml(entry.title)}</label>
        <br><input type="range" min="0" max="1" step="0.05" value="${entry.opacity}" aria-label="${t('opacity')}">`;
      li.querySelector('input[type=checkbox]').addEventListener('change', (ev) => {
        entry.visible = ev.target.checked;
        for (const id of entry.styleLayers) map.setLayoutProperty(id, 'visibility', entry.visible ? 'visible' : 'none');
      });
      li.querySelector('input[type=range]').addEventListener('input', (ev) => {
        entry.opacity = Number(ev.target.value);
        setLayerOpacity(entry);
      });
    }
    ul.appendChild(li);
  }
}

function escapeHtml(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function addOverlays() {
  const add = (layer) => { map.addLayer(layer); overlayLayers.push(layer.id); };
  for (const id of ['isochrone', 'route', 'route-points', 'profile-line', 'selection']) map.addSource(id, { type: 'geojson', data: empty() });
  add({ id: 'isochrone-fill', type: 'fill', source: 'isochrone',
    paint: { 'fill-color': ['get', 'color'], 'fill-opacity': 0.25, 'fill-outline-color': ['get', 'color'] } });
  add({ id: 'route-casing', type: 'line', source: 'route', paint: { 'line-color': '#ffffff', 'line-width': 7 } });
  add({ id: 'route-line', type: 'line', source: 'route', paint: { 'line-color': '#1f5fa8', 'line-width': 4 } });
  add({ id: 'profile-line', type: 'line', source: 'profile-line', paint: { 'line-color': '#b0452c', 'line-width': 3, 'line-dasharray': [2, 1] } });
  add({ id: 'route-points', type: 'circle', source: 'route-points',
    paint: { 'circle-radius': 6, 'circle-color': ['get', 'color'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  add({ id: 'selection', type: 'circle', source: 'selection',
    paint: { 'circle-radius': 7, 'circle-color': '#e67e22', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
}

// ---- search ----------------------------------------------------------------------------------

let suggestTimer = null;
let suggestSeq = 0;

async function suggest(text) {
  const seq = ++suggestSeq;
  const g = state.config.services.geocoder;
  let items = [];
  if (text.trim().length >= 3 && g) {
    try {
      if (g.completion) {
        const r = await getJSON(`${g.completion}?${query({ text, maximumResponses: 6 })}`);
        items = (r.results || []).map((x) => ({ label: x.fulltext, lon: x.x, lat: x.y }));
      } else {
        const r = await getJSON(`${g.search}?${query({ q: text, limit: 6, autocomplete: 1 })}`);
        items = r.features.map((f) => ({ label: f.properties.label, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] }));
      }
    } catch (e) { status(e.message); }
  }
  if (seq !== suggestSeq) return;  // a newer keystroke won
  const ul = $('suggestions');
  ul.replaceChildren();
  for (const item of items) {
    const li = document.createElement('li');
    li.setAttribute('role', 'option');
    li.textContent = item.label;
    li.addEventListener('mousedown', (ev) => { ev.preventDefault(); select(item); });
    ul.appendChild(li);
  }
}

async function searchNow(text) {
  const g = state.config.services.geocoder;
  if (!g || !text.trim()) return;
  try {
    const r = await getJSON(`${g.search}?${query({ q: text, limit: 1 })}`);
    const f = r.features[0];
    if (!f) { status(t('no_result')); return; }
    select({ label: f.properties.label, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] });
  } catch (e) { status(e.message); }
}

function select(item) {
  state.selected = item;
  $('suggestions').replaceChildren();
  $('search').value = item.label;
  map.getSource('selection').setData({ type: 'FeatureCollection',
    features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [item.lon, item.lat] }, properties: {} }] });
  map.flyTo({ center: [item.lon, item.lat], zoom: Math.max(map.getZoom(), 16), duration: 600 });
  const card = $('result');
  card.hidden = false;
  card.innerHTML = `<div class="label">${escapeHtml(item.label)}</div><div class="row"></div>`;
  const row = card.querySelector('.row');
  const button = (key, action) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = t(key);
    b.dataset.action = key;
    b.addEventListener('click', action);
    row.appendChild(b);
  };
  if (state.config.services.routing) {
    button('route_from', () => { setMode('route'); state.routePoints.unshift({ ...item }); updateRoute(); });
    button('route_to', () => { setMode('route'); state.routePoints.push({ ...item }); updateRoute(); });
  }
  if (state.config.services.isochrone) button('isochrone_here', () => { setMode('isochrone'); isochrone(item); });
}

// ---- explore: reverse geocoding + elevation on click ------------------------------------------

async function explore(lngLat) {
  const s = state.config.services;
  const lines = [];
  const tasks = [];
  if (s.geocoder) {
    tasks.push(getJSON(`${s.geocoder.reverse}?${query({ lon: lngLat.lng, lat: lngLat.lat, limit: 1 })}`).then((r) => {
      const f = r.features[0];
      lines.push(f ? `<b>${t('nearest_address')}</b><br><span class="reverse-label">${escapeHtml(f.properties.label)}</span>`
        + (f.properties.distance !== undefined ? ` (${Math.round(f.properties.distance)} m)` : '') : t('no_result'));
    }));
  }
  if (s.altitude && s.altitude.resources.length) {
    tasks.push(getJSON(`${s.altitude.elevation}?${query({ lon: lngLat.lng, lat: lngLat.lat, resource: s.altitude.resources[0].id, zonly: 'true' })}`)
      .then((r) => { const z = r.elevations[0]; if (z > -99999) lines.push(`<b>${t('elevation')}</b> <span class="elevation">${z.toFixed(1)}</span> m`); }));
  }
  const results = await Promise.allSettled(tasks);
  for (const r of results) if (r.status === 'rejected') lines.push(`${t('error')}: ${escapeHtml(r.reason.message)}`);
  if (!lines.length) return;
  new maplibregl.Popup({ className: 'explore-popup' }).setLngLat(lngLat).setHTML(lines.join('<br>')).addTo(map);
}

// ---- route -----------------------------------------------------------------------------------

function routeResource() {
  const resources = state.config.services.routing?.resources || [];
  return resources.find((r) => r.id === $('route-resource').value) || resources[0];
}

function fillRouteOptions() {
  const routing = state.config?.services.routing;
  if (!routing) return;
  const keep = (select, values, label) => {
    const current = select.value;
    select.replaceChildren(...values.map((v) => new Option(label(v), v)));
    if (values.includes(current)) select.value = current;
  };
  keep($('route-resource'), routing.resources.map((r) => r.id), (v) => routing.resources.find((r) => r.id === v).title || v);
  const resource = routeResource();
  keep($('route-profile'), resource.profiles.map((p) => p.name), (v) => t(v));
  const profile = resource.profiles.find((p) => p.name === $('route-profile').value) || resource.profiles[0];
  keep($('route-optimization'), profile.optimizations, (v) => t(v));
}

function constraints() {
  return [...document.querySelectorAll('.avoid:checked')]
    .map((c) => JSON.stringify({ constraintType: 'banned', key: 'wayType', operator: '=', value: c.value })).join('|');
}

function renderRoutePoints() {
  const ol = $('route-points');
  ol.replaceChildren();
  const n = state.routePoints.length;
  state.routePoints.forEach((p, i) => {
    const li = document.createElement('li');
    const role = i === 0 ? t('start') : (i === n - 1 && n > 1 ? t('end') : t('via'));
    li.innerHTML = `${role}: ${escapeHtml(p.label || lonlat(p))} <button type="button" class="remove">${t('remove')}</button>`;
    li.querySelector('.remove').addEventListener('click', () => { state.routePoints.splice(i, 1); updateRoute(); });
    ol.appendChild(li);
  });
  const colors = (i) => (i === 0 ? '#2e8b57' : i === n - 1 ? '#c0392b' : '#7f8c8d');
  map.getSource('route-points')?.setData({ type: 'FeatureCollection', features: state.routePoints.map((p, i) => ({
    type: 'Feature', geometry: { type: 'Point', coordinates: [p.lon, p.lat] }, properties: { color: colors(i) } })) });
}

function instructionText(step) {
  const ins = step.instruction || {};
  let text = t(`m_${ins.type}`);
  if (ins.type === 'roundabout' && ins.exit) text += `, ${t('roundabout_exit')} ${ins.exit}`;
  else if (ins.modifier && ins.type !== 'depart' && ins.type !== 'arrive') text += ` ${t(ins.modifier)}`;
  const name = step.attributes?.name?.name;
  if (name && ins.type !== 'arrive') text += ` ${t('onto')} ${name}`;
  return text;
}

function renderRoute() {
  const r = state.route;
  const summary = $('route-summary');
  summary.hidden = false;
  summary.innerHTML = `<b>${t('duration')}</b> <span class="route-duration">${formatDuration(r.duration)}</span> · `
    + `<b>${t('length')}</b> <span class="route-distance" data-metres="${r.distance}">${formatDistance(r.distance)}</span>`;
  const ol = $('route-steps');
  ol.replaceChildren();
  for (const portion of r.portions) {
    for (const step of portion.steps || []) {
      const li = document.createElement('li');
      li.textContent = `${instructionText(step)} — ${formatDistance(step.distance)}`;
      ol.appendChild(li);
    }
  }
}

let routeSeq = 0;
async function updateRoute() {
  renderRoutePoints();
  const seq = ++routeSeq;
  const pts = state.routePoints;
  $('route-profile-btn').disabled = true;
  if (pts.length < 2) {
    state.route = null;
    map.getSource('route').setData(empty());
    $('route-summary').hidden = true;
    $('route-steps').replaceChildren();
    return;
  }
  const resource = routeResource();
  const params = {
    resource: resource.id, profile: $('route-profile').value, optimization: $('route-optimization').value,
    start: lonlat(pts[0]), end: lonlat(pts[pts.length - 1]),
    intermediates: pts.slice(1, -1).map(lonlat).join('|'), constraints: constraints(),
    getSteps: 'true', geometryFormat: 'geojson', distanceUnit: 'meter', timeUnit: 'second', waysAttributes: 'name',
  };
  try {
    const r = await getJSON(`${state.config.services.routing.itineraire}?${query(params)}`);
    if (seq !== routeSeq) return;
    state.route = r;
    status('');
    map.getSource('route').setData({ type: 'Feature', geometry: r.geometry, properties: {} });
    renderRoute();
    $('route-profile-btn').disabled = !state.config.services.altitude;
  } catch (e) {
    if (seq !== routeSeq) return;
    state.route = null;
    map.getSource('route').setData(empty());
    $('route-summary').hidden = true;
    $('route-steps').replaceChildren();
    status(`${t('error')}: ${e.message}`);
  }
}

// ---- isochrones ------------------------------------------------------------------------------

const ISO_COLORS = ['#1a9850', '#fee08b', '#d73027', '#762a83', '#2166ac'];

async function isochrone(point) {
  const svc = state.config.services.isochrone;
  if (!svc) { status(`${t('mode_isochrone')}: ${t('not_available')}`); return; }
  const cost = $('iso-cost').value;
  const values = $('iso-values').value.split(/[,; ]+/).map(Number).filter((v) => v > 0).sort((a, b) => b - a);
  const resource = routeResource();
  try {
    // Largest contour first so that smaller ones are drawn on top.
    const responses = await Promise.all(values.map((v) => getJSON(`${svc.isochrone}?${query({
      point: lonlat(point), resource: resource.id, profile: $('route-profile').value || resource.profiles[0].name,
      costType: cost, costValue: v, direction: $('iso-direction').value, constraints: constraints(),
      geometryFormat: 'geojson', timeUnit: 'minute', distanceUnit: 'meter',
    })}`)));
    state.isochrones = responses;
    map.getSource('isochrone').setData({ type: 'FeatureCollection', features: responses.map((r, i) => ({
      type: 'Feature', geometry: r.geometry, properties: { value: values[i], color: ISO_COLORS[(values.length - 1 - i) % ISO_COLORS.length] } })) });
    const card = $('iso-summary');
    card.hidden = false;
    card.textContent = `${t('reachable')} ${values.slice().reverse().join(', ')} ${cost === 'time' ? t('minutes') : t('metres')}`;
    status('');
  } catch (e) {
    status(`${t('error')}: ${e.message}`);
  }
}

// ---- elevation profile -----------------------------------------------------------------------

async function elevationProfile(coordinates) {
  const alt = state.config.services.altitude;
  if (!alt || coordinates.length < 2) return;
  // At most 50 vertices are sent (the reference's limit is on sampling, the query must stay short).
  const step = Math.max(1, Math.ceil(coordinates.length / 50));
  const pts = coordinates.filter((_, i) => i % step === 0 || i === coordinates.length - 1);
  try {
    const r = await getJSON(`${alt.elevationLine}?${query({
      lon: pts.map((p) => p[0].toFixed(6)).join('|'), lat: pts.map((p) => p[1].toFixed(6)).join('|'),
      resource: alt.resources[0].id, sampling: 100 })}`);
    state.profile = r;
    renderProfile();
    status('');
  } catch (e) {
    status(`${t('error')}: ${e.message}`);
  }
}

function haversine(a, b) {
  const rad = Math.PI / 180;
  const dlat = (b.lat - a.lat) * rad;
  const dlon = (b.lon - a.lon) * rad;
  const h = Math.sin(dlat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dlon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}

function renderProfile() {
  const samples = state.profile.elevations.filter((e) => e.z > -99999);
  const chart = $('chart');
  chart.hidden = false;
  if (samples.length < 2) { chart.textContent = t('no_result'); return; }
  let d = 0;
  const xs = samples.map((s, i) => (i === 0 ? 0 : (d += haversine(samples[i - 1], s))));
  const zs = samples.map((s) => s.z);
  const zmin = Math.min(...zs);
  const zmax = Math.max(...zs);
  const W = 320; const H = 130; const L = 34; const B = 16;
  const x = (v) => L + (v / (xs[xs.length - 1] || 1)) * (W - L - 4);
  const y = (z) => 4 + (1 - (z - zmin) / ((zmax - zmin) || 1)) * (H - B - 8);
  const path = samples.map((_, i) => `${i ? 'L' : 'M'}${x(xs[i]).toFixed(1)},${y(zs[i]).toFixed(1)}`).join('');
  const hd = state.profile.height_differences || {};
  chart.innerHTML = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${t('mode_profile')}">
    <path d="${path}L${x(xs[xs.length - 1]).toFixed(1)},${H - B}L${L},${H - B}Z" fill="#b0452c22"/>
    <path class="profile-path" d="${path}" fill="none" stroke="#b0452c" stroke-width="1.5"/>
    <text class="axis" x="2" y="10">${zmax.toFixed(0)} m</text><text class="axis" x="2" y="${H - B}">${zmin.toFixed(0)} m</text>
    <text class="axis" x="${W - 4}" y="${H - 3}" text-anchor="end">${formatDistance(xs[xs.length - 1])}</text></svg>
    <div><span class="profile-min" data-value="${zmin}">${t('min')} ${zmin.toFixed(1)} m</span> ·
    <span class="profile-max" data-value="${zmax}">${t('max')} ${zmax.toFixed(1)} m</span> ·
    ${t('gain')} ${(hd.positive ?? 0).toFixed(0)} m · ${t('loss')} ${(hd.negative ?? 0).toFixed(0)} m</div>`;
}

// ---- modes -----------------------------------------------------------------------------------

function setMode(mode) {
  state.mode = mode;
  for (const b of document.querySelectorAll('#modes button')) b.classList.toggle('active', b.dataset.mode === mode);
  $('route-panel').hidden = mode !== 'route';
  $('isochrone-panel').hidden = mode !== 'isochrone';
  $('profile-panel').hidden = mode !== 'profile';
  $('hint').textContent = t(`hint_${mode}`);
  map.getCanvas().style.cursor = mode === 'explore' ? '' : 'crosshair';
}

function onMapClick(ev) {
  const p = { lon: ev.lngLat.lng, lat: ev.lngLat.lat };
  if (state.mode === 'explore') explore(ev.lngLat);
  else if (state.mode === 'route') { state.routePoints.push(p); updateRoute(); }
  else if (state.mode === 'isochrone') isochrone(p);
  else if (state.mode === 'profile') {
    state.profileLine.push([p.lon, p.lat]);
    map.getSource('profile-line').setData(state.profileLine.length > 1
      ? { type: 'Feature', geometry: { type: 'LineString', coordinates: state.profileLine }, properties: {} } : empty());
    elevationProfile(state.profileLine);
  }
}

function wireUi() {
  const s = state.config.services;
  const disable = (mode, available) => {
    const b = document.querySelector(`#modes button[data-mode=${mode}]`);
    b.disabled = !available;
    if (!available) b.title = t('not_available');
  };
  disable('route', !!s.routing);
  disable('isochrone', !!s.isochrone);
  disable('profile', !!s.altitude);
  $('search').disabled = !s.geocoder;
  for (const b of document.querySelectorAll('#modes button')) b.addEventListener('click', () => setMode(b.dataset.mode));
  $('search').addEventListener('input', (ev) => {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(() => suggest(ev.target.value), 150);
  });
  $('search').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') { clearTimeout(suggestTimer); searchNow(ev.target.value); }
    if (ev.key === 'Escape') $('suggestions').replaceChildren();
  });
  $('lang').addEventListener('click', () => { state.lang = state.lang === 'fr' ? 'en' : 'fr'; applyLanguage(); });
  for (const id of ['route-resource', 'route-profile', 'route-optimization']) {
    $(id).addEventListener('change', () => { fillRouteOptions(); updateRoute(); });
  }
  for (const c of document.querySelectorAll('.avoid')) c.addEventListener('change', updateRoute);
  $('route-clear').addEventListener('click', () => { state.routePoints = []; updateRoute(); });
  $('route-profile-btn').addEventListener('click', () => { if (state.route) elevationProfile(state.route.geometry.coordinates); });
  $('iso-cost').addEventListener('change', () => {
    $('iso-values').value = $('iso-cost').value === 'time' ? '5,10,15' : '500,1000,2000';
    $('iso-unit').textContent = $('iso-cost').value === 'time' ? t('minutes') : t('metres');
  });
  $('profile-clear').addEventListener('click', () => {
    state.profileLine = [];
    state.profile = null;
    map.getSource('profile-line').setData(empty());
    $('chart').hidden = true;
  });
  map.on('click', onMapClick);
}

// ---- catalog panel: the layer search service (/recherche/api/indexes/geoplateforme) ---------------

const SEARCH_API = '/recherche/api/indexes/geoplateforme';
const PAGE_SIZE = 10;
const PICTOGRAMS = { 'WMTS-TMS': '▦', 'VECTOR-TMS': '◆', 'WMS-RASTER': '▩', 'WMS-VECTOR': '▤', WFS: '⬡', DOWNLOAD: '⤓',
  'ITINERARY-ISOCURVE': '↝', ALTIMETRY: '⛰', SEARCH: '⌕' };
const ADDABLE = new Set(['WMTS-TMS', 'VECTOR-TMS', 'WMS-RASTER', 'WMS-VECTOR']);

const postJSON = (url, body) => getJSON(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const typeLabel = (type) => t(`type_${type}`);
const excerpt = (text, n = 140) => (text.length > n ? `${text.slice(0, n).replace(/\s+\S*$/, '')}…` : text);
const extentBounds = (extent) => {
  const ring = extent?.coordinates?.[0];
  if (!ring) return null;
  const xs = ring.map((p) => p[0]);
  const ys = ring.map((p) => p[1]);
  return [[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]];
};

async function catalogSearch(text, page = 1) {
  const c = state.catalog;
  c.text = text;
  c.page = page;
  $('catalog-suggestions').replaceChildren();
  try {
    const body = { page, size: PAGE_SIZE };
    if (text.trim()) body.text = text.trim();
    const r = await postJSON(SEARCH_API, body);
    c.documents = r.documents;
    c.total = r.total;
    renderCatalogResults();
  } catch (e) {
    status(`${t('error')}: ${e.message}`);
  }
}

async function catalogSuggest(text) {
  const ul = $('catalog-suggestions');
  if ([...text.trim()].length < 3) { ul.replaceChildren(); return; }
  try {
    const r = await getJSON(`${SEARCH_API}/suggest?${query({ text: text.trim(), fields: 'title,keywords,layer_name,theme', size: 8 })}`);
    if ($('catalog-search').value !== text) return;  // typed on meanwhile
    ul.replaceChildren();
    for (const s of r) {
      const li = document.createElement('li');
      li.dataset.id = s.source.id;
      li.innerHTML = `<span class="pictogram">${PICTOGRAMS[s.source.type] || '•'}</span>${escapeHtml(s.source.title)}`;
      li.addEventListener('click', () => { ul.replaceChildren(); $('catalog-search').value = s.source.title; catalogSearch(s.source.title); });
      ul.appendChild(li);
    }
  } catch (e) {
    ul.replaceChildren();
  }
}

function renderCatalogResults() {
  const c = state.catalog;
  const ul = $('catalog-results');
  ul.replaceChildren();
  const from = (c.page - 1) * PAGE_SIZE;
  $('catalog-count').textContent = c.total ? `${from + 1}–${from + c.documents.length} / ${c.total} ${t('results_of')}` : t('no_result');
  for (const d of c.documents) {
    const li = document.createElement('li');
    li.dataset.id = d.id;
    li.dataset.layer = d.layer_name;
    li.dataset.type = d.type;
    li.innerHTML = `<div class="title"><span class="pictogram" title="${escapeHtml(typeLabel(d.type))}">${PICTOGRAMS[d.type] || '•'}</span>${escapeHtml(d.title)}</div>
      <div class="abstract">${escapeHtml(excerpt(d.description || ''))}</div>
      <div class="meta"><span class="type">${escapeHtml(typeLabel(d.type))}</span>${d.producers.length ? ` · <span class="producer">${escapeHtml(d.producers.join(', '))}</span>` : ''}</div>`;
    li.addEventListener('click', () => openSheet(d));
    ul.appendChild(li);
  }
  $('catalog-pager').hidden = c.total <= PAGE_SIZE;
  $('catalog-prev').disabled = c.page <= 1;
  $('catalog-next').disabled = from + c.documents.length >= c.total;
}

function openSheet(doc) {
  state.catalog.sheet = doc;
  const bounds = extentBounds(doc.extent);
  map.getSource('catalog-extent').setData(doc.extent ? { type: 'Feature', properties: {}, geometry: doc.extent } : empty());
  if (bounds) map.fitBounds(bounds, { padding: 40, duration: 0, maxZoom: 16 });
  renderSheet();
}

function renderSheet() {
  const d = state.catalog.sheet;
  const el = $('catalog-sheet');
  el.hidden = false;
  const list = (items) => items.map(escapeHtml).join(', ');
  const added = state.catalog.added.includes(d.id);
  el.innerHTML = `<h3><span class="pictogram">${PICTOGRAMS[d.type] || '•'}</span>${escapeHtml(d.title)}</h3>
    <p class="description">${escapeHtml(d.description || '')}</p>
    ${d.producers.length ? `<div class="meta">${t('producers')} : <span class="producers">${list(d.producers)}</span></div>` : ''}
    ${d.keywords.length ? `<div class="meta">${t('keywords')} : <span class="keywords">${list(d.keywords)}</span></div>` : ''}
    ${d.theme ? `<div class="meta">${t('theme')} : ${escapeHtml(d.theme)}</div>` : ''}
    <h4>${t('streams')}</h4>
    <table class="streams"><tr><th>${t('stream_name')}</th><th>LAYER</th><th>${t('protocol')}</th><th>${t('capabilities')}</th></tr>
      <tr><td>${escapeHtml(d.title)}</td><td class="stream-layer">${escapeHtml(d.layer_name)}</td><td class="stream-protocol">${escapeHtml(d.type)}</td>
      <td><a class="stream-url" href="${escapeHtml(d.url)}" target="_blank" rel="noopener">${escapeHtml(d.url)}</a></td></tr></table>
    ${ADDABLE.has(d.type) ? `<button type="button" id="catalog-add" ${added ? 'disabled' : ''}>${added ? t('added') : t('add_to_map')}</button>`
    : `<p class="hint">${t('not_addable')}</p>`}`;
  el.querySelector('#catalog-add')?.addEventListener('click', () => addCatalogLayer(d));
}

// Adds a document's layer to the map and the layer list, like the bundle's layers.
async function addCatalogLayer(doc) {
  const n = state.catalog.added.length + 1;
  const id = `catalog-${n}-${doc.layer_name}`;
  const entry = { id, title: doc.title, type: doc.type === 'VECTOR-TMS' ? 'vector' : 'raster', web_mercator: true,
    styleLayers: [], visible: true, opacity: 1, catalog: doc.id };
  try {
    if (doc.type === 'WMTS-TMS' || doc.type === 'VECTOR-TMS') {
      const style = await getJSON(`/tms/1.0.0/${encodeURIComponent(doc.layer_name)}/style.json`);
      const rename = (s) => `${id}:${s}`;
      for (const [sid, source] of Object.entries(style.sources)) map.addSource(rename(sid), source);
      entry.styleLayerDefs = style.layers;
      for (const sl of style.layers) {
        map.addLayer({ ...sl, id: rename(sl.id), source: rename(sl.source) }, overlayLayers[0]);
        entry.styleLayers.push(rename(sl.id));
      }
    } else {
      const path = doc.type === 'WMS-RASTER' ? '/wms-r' : '/wms-v/ows';
      const wms = `${path}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=${encodeURIComponent(doc.layer_name)}&STYLES=`
        + '&CRS=EPSG:3857&BBOX={bbox-epsg-3857}&WIDTH=256&HEIGHT=256&FORMAT=image/png&TRANSPARENT=true';
      map.addSource(id, { type: 'raster', tiles: [wms], tileSize: 256 });
      map.addLayer({ id, type: 'raster', source: id }, overlayLayers[0]);
      entry.styleLayers = [id];
    }
  } catch (e) {
    status(`${doc.layer_name}: ${e.message}`);
    return;
  }
  dataLayers.push(entry);
  state.catalog.added.push(doc.id);
  renderLayerList();
  renderSheet();
  const bounds = extentBounds(doc.extent);
  if (bounds) map.fitBounds(bounds, { padding: 40, duration: 0, maxZoom: 16 });
}

async function startCatalog() {
  map.addSource('catalog-extent', { type: 'geojson', data: empty() });
  map.addLayer({ id: 'catalog-extent-fill', type: 'fill', source: 'catalog-extent', paint: { 'fill-color': '#1f5fa8', 'fill-opacity': 0.08 } });
  map.addLayer({ id: 'catalog-extent-line', type: 'line', source: 'catalog-extent', paint: { 'line-color': '#1f5fa8', 'line-width': 2, 'line-dasharray': [2, 1] } });
  try {
    await postJSON(SEARCH_API, { size: 1 });
  } catch (e) {
    return;  // no layer search on this server: the panel stays hidden
  }
  state.catalog.available = true;
  $('catalog-panel').hidden = false;
  let timer = null;
  $('catalog-search').addEventListener('input', (ev) => {
    clearTimeout(timer);
    timer = setTimeout(() => catalogSuggest(ev.target.value), 150);
  });
  $('catalog-search').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') { clearTimeout(timer); catalogSearch(ev.target.value); }
    if (ev.key === 'Escape') $('catalog-suggestions').replaceChildren();
  });
  $('catalog-prev').addEventListener('click', () => catalogSearch(state.catalog.text, state.catalog.page - 1));
  $('catalog-next').addEventListener('click', () => catalogSearch(state.catalog.text, state.catalog.page + 1));
  await catalogSearch('');
}

async function start() {
  state.config = await getJSON('/viewer/config.json');
  $('bundle-name').textContent = state.config.bundle;
  document.title = `geoplex — ${state.config.bundle}`;
  await new Promise((resolve) => (map.loaded() ? resolve() : map.once('load', resolve)));
  addOverlays();
  await addDataLayers();
  await startCatalog();
  wireUi();
  applyLanguage();
  setMode('explore');
  if (state.config.bounds) map.fitBounds(state.config.bounds, { padding: 20, duration: 0 });
}

window.geoplexViewer = { map, state, ready: start().catch((e) => { status(`${t('error')}: ${e.message}`); throw e; }) };
