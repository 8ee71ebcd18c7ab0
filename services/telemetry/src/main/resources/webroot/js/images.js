// The catalog's images (GET <catalog>/api/v1/images), with each image's swarm as telemetry sees it.
import { bytes, catalog, dashboardConfig, dateTime, esc, num, refreshed, showError, telemetry } from './common.js';

async function load() {
  let images;
  try {
    const { catalogUrl } = await dashboardConfig();
    document.getElementById('source').innerHTML = catalogUrl ? `catalog <span class="mono">${esc(catalogUrl)}</span>` : '';
    images = (await catalog('images')).images ?? [];
  } catch (e) {
    showError(e.noCatalog ? e.message : `the catalog did not answer: ${e.message}`);
    return;
  }
  let swarms = new Map();
  try {
    swarms = new Map(((await telemetry('swarms')).swarms ?? []).map((s) => [s.infoHash, s]));
  } catch (e) {
    // The images are the catalog's; without telemetry only the swarm column is empty.
  }
  showError(null);
  render(images.sort((a, b) => a.name.localeCompare(b.name)), swarms);
  refreshed();
}

const count = (v) => (v < 0 ? '?' : String(v));

function render(images, swarms) {
  const n = document.getElementById('image-count');
  n.textContent = String(images.length);
  n.dataset.count = String(images.length);
  document.getElementById('no-images').hidden = images.length > 0;
  document.querySelector('#images tbody').innerHTML = images.map((m) => {
    const s = swarms.get(m.infoHash);
    const files = (m.files ?? []).map((f) => `<div><span class="tag">${esc(f.role)}</span><span class="mono">${esc(f.path)}</span>`
      + ` <span class="muted">${bytes(f.size)}</span> <span class="mono muted" title="SHA-256 ${esc(f.sha256)}">${esc(f.sha256.slice(0, 12))}…</span></div>`).join('');
    const swarm = s
      ? `<div>${count(s.seeds)} seeds · ${count(s.leechers)} leechers</div><div class="sub">seeders sent ${bytes(s.seederUploaded)}`
        + ` · ${s.seeders} seeder${s.seeders === 1 ? '' : 's'} · ${s.downloaded} completed</div>`
      : '<span class="muted">—</span>';
    const boot = m.kind === 'KEXEC' ? m.cmdline : (m.args ?? []).join(' ');
    return `<tr data-image="${esc(m.name)}"><td><b>${esc(m.name)}</b>${m.description ? `<div class="sub">${esc(m.description)}</div>` : ''}`
      + `${boot ? `<div class="sub mono" title="${m.kind === 'KEXEC' ? 'kernel command line' : 'arguments'}">${esc(boot)}</div>` : ''}</td>`
      + `<td><span class="tag">${esc(m.kind)}</span></td>`
      + `<td class="num" data-bytes="${num(m.totalSize)}">${bytes(m.totalSize)}</td>`
      + `<td>${files}</td><td>${swarm}</td>`
      + `<td><div class="mono" title="info-hash">${esc(m.infoHash)}</div><div class="sub">pieces of ${bytes(m.pieceLength)}`
      + `${(m.webSeeds ?? []).length ? ' · web seed' : ''}</div>`
      + `${(m.trackers ?? []).map((t) => `<div class="sub mono">${esc(t)}</div>`).join('')}</td>`
      + `<td>${dateTime(m.createdAtMs)}</td></tr>`;
  }).join('');
}

load();
setInterval(load, 10_000);
