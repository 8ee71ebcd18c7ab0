// The boot policy (GET <catalog>/api/v1/policy) and, for every machine telemetry knows, what it
// booted and what the catalog assigns it now (GET <catalog>/api/v1/boot/{mac}).
import { catalog, dashboardConfig, esc, refreshed, showError, telemetry } from './common.js';

const PARALLEL = 6; // the browser's connections per host
let loading = false;

async function load() {
  if (loading) return;
  loading = true;
  try {
    let policy;
    try {
      const { catalogUrl } = await dashboardConfig();
      document.getElementById('source').innerHTML = catalogUrl ? `catalog <span class="mono">${esc(catalogUrl)}</span>` : '';
      policy = await catalog('policy');
    } catch (e) {
      showError(e.noCatalog ? e.message : `the catalog did not answer: ${e.message}`);
      return;
    }
    renderPolicy(policy);
    let machines;
    try {
      machines = (await telemetry('machines?limit=1000')).machines ?? [];
    } catch (e) {
      showError(`telemetry did not answer: ${e.message}`);
      return;
    }
    machines.sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
    const assignments = await inParallel(machines, (m) => catalog(`boot/${encodeURIComponent(m.mac)}`)
      .then((a) => ({ a }), (e) => ({ error: e.message })));
    showError(null);
    renderMachines(policy, machines, assignments);
    refreshed();
  } finally {
    loading = false;
  }
}

async function inParallel(items, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
  return results;
}

const timeout = (s) => (s === undefined || s < 0 ? 'policy default' : `${s} s`);
const menu = (names) => (names && names.length ? names.map((n) => `<span class="tag">${esc(n)}</span>`).join('') : '<span class="muted">every image</span>');

function renderPolicy(p) {
  document.getElementById('policy').innerHTML = `<tr><th>default image</th><td>${p.defaultImage ? `<b>${esc(p.defaultImage)}</b>` : '<span class="warn-text">none set</span> <span class="muted">(a machine gets the first image of its menu)</span>'}</td></tr>`
    + `<tr><th>menu timeout</th><td>${p.menuTimeoutSeconds} s</td></tr>`
    + `<tr><th>rules</th><td>${(p.rules ?? []).length}</td></tr>`;
  const rules = p.rules ?? [];
  document.getElementById('no-rules').hidden = rules.length > 0;
  document.querySelector('#rules tbody').innerHTML = rules.map((r) => {
    const match = r.mac ? `MAC <span class="mono">${esc(r.mac)}</span>` : r.group ? `group <b>${esc(r.group)}</b>` : '<span class="muted">—</span>';
    const options = [r.skipMenu ? 'skip menu' : '', r.pieceStripes ? 'piece stripes' : ''].filter(Boolean)
      .map((o) => `<span class="tag">${o}</span>`).join('');
    return `<tr><td>${match}</td><td>${esc(r.image) || '<span class="muted">default</span>'}</td><td>${menu(r.menu)}</td>`
      + `<td class="num">${timeout(r.menuTimeoutSeconds)}</td><td>${options}</td></tr>`;
  }).join('');
  const groups = new Map();
  for (const [mac, group] of Object.entries(p.groups ?? {})) {
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(mac);
  }
  const names = [...groups.keys()].sort();
  const count = document.getElementById('group-count');
  count.textContent = String(names.length);
  document.getElementById('no-groups').hidden = names.length > 0;
  document.querySelector('#groups tbody').innerHTML = names.map((g) => `<tr><td><b>${esc(g)}</b></td><td>`
    + `${groups.get(g).sort().map((m) => `<span class="tag mono">${esc(m)}</span>`).join('')}</td></tr>`).join('');
}

function renderMachines(policy, machines, assignments) {
  const count = document.getElementById('assignment-count');
  count.textContent = String(machines.length);
  count.dataset.count = String(machines.length);
  document.getElementById('no-assignments').hidden = machines.length > 0;
  document.querySelector('#assignments tbody').innerHTML = machines.map((m, i) => {
    const { a, error } = assignments[i];
    const group = (policy.groups ?? {})[m.mac];
    const mac = `<td class="mono"><a href="machine.html?mac=${encodeURIComponent(m.mac)}">${esc(m.mac)}</a></td>`
      + `<td>${group ? esc(group) : '<span class="muted">—</span>'}</td>`
      + `<td>${esc(m.image) || '<span class="muted">nothing yet</span>'}</td>`;
    if (error) {
      return `<tr data-mac="${esc(m.mac)}">${mac}<td colspan="4" class="bad-text">${esc(error)}</td></tr>`;
    }
    const differs = m.image && a.defaultImage && m.image !== a.defaultImage;
    const options = [a.skipMenu ? 'skip menu' : '', a.stripeCount > 0 ? `stripe ${a.stripeIndex}/${a.stripeCount}` : '']
      .filter(Boolean).map((o) => `<span class="tag">${o}</span>`).join('');
    return `<tr data-mac="${esc(m.mac)}" data-rule="${esc(a.matchedRule)}" data-assigned="${esc(a.defaultImage)}">${mac}`
      + `<td><b>${esc(a.defaultImage) || '<span class="warn-text">none</span>'}</b>`
      + `${differs ? '<div class="sub warn-text">differs from what it booted</div>' : ''}</td>`
      + `<td><span class="tag${a.matchedRule === 'default' ? ' default' : ''}">${esc(a.matchedRule)}</span></td>`
      + `<td>${(a.menu ?? []).map((x) => `<span class="tag">${esc(x.name)}</span>`).join('') || '<span class="muted">—</span>'}`
      + ` <span class="sub">${a.menuTimeoutSeconds} s</span></td><td>${options}</td></tr>`;
  }).join('');
}

load();
setInterval(load, 15_000);
