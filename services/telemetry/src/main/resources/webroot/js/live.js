// The Live page: every machine's boot as it happens, the current boot storm, the timeline and the
// P2P share. Updates come from the event stream: each event marks its machine for a refresh
// (GET /api/v1/machines/{mac}), many at once or an unknown one re-read the list; at most every 400 ms (+2 ms per machine shown).
import {
  bytes, clock, coalesced, duration, esc, legendHtml, liveEvents, machineState, num, percent, phaseOf, rate,
  refreshed, showError, telemetry,
} from './common.js';
import { p2pSvg, progressBar, sourcesBar, timelineSvg } from './charts.js';

const LIST_LIMIT = 1000; // the API's page maximum
const ONE_BY_ONE = 8; // more machines changed than this: re-read the list
const machines = new Map(); // mac -> MachineView
let total = 0;
let storms = [];
let chosenStorm = null; // the storm id picked in the select; null: the first (newest running)
let listStale = true;
const changed = new Set();

const tbody = document.querySelector('#machines tbody');
const rows = new Map(); // mac -> { tr, signature }

document.getElementById('legend').innerHTML = legendHtml();
document.getElementById('storm-select').addEventListener('change', (e) => {
  chosenStorm = e.target.value || null;
  renderStorm();
  renderCharts();
});

const refresh = coalesced(async () => {
  const whole = listStale || changed.size > ONE_BY_ONE;
  const macs = [...changed];
  changed.clear();
  listStale = false;
  try {
    const answers = await Promise.all([
      telemetry('storms'),
      whole ? telemetry(`machines?limit=${LIST_LIMIT}`) : Promise.all(macs.map(one)),
    ]);
    storms = answers[0].storms ?? [];
    if (whole) {
      const list = answers[1];
      machines.clear();
      for (const m of list.machines ?? []) machines.set(m.mac, m);
      total = list.total ?? machines.size;
    }
    showError(null);
    render();
    refreshed();
  } catch (e) {
    // Try again at the next event or tick, the whole list (what changed meanwhile is unknown).
    listStale = true;
    // While the stream is down the offline note says so; else the reason is worth showing.
    if (stream.connected()) showError(`telemetry did not answer: ${e.message}`);
  }
}, () => 400 + 2 * machines.size); // 1000 machines are ~1.5 MB of JSON: at most every 2.4 s

async function one(mac) {
  try {
    const detail = await telemetry(`machines/${encodeURIComponent(mac)}`);
    const known = machines.has(detail.machine.mac);
    machines.set(detail.machine.mac, detail.machine);
    if (!known) total += 1;
  } catch (e) {
    if (e.status === 404) {
      if (machines.delete(mac)) total -= 1; // forgotten by telemetry (maxMachines)
    } else {
      throw e;
    }
  }
}

const stream = liveEvents('', {
  onOpen: () => {
    listStale = true; // events may have been missed while disconnected
    refresh();
  },
  onEvent: (event) => {
    const mac = (event.mac || '').toLowerCase();
    if (mac && machines.has(mac)) {
      changed.add(mac);
    } else {
      listStale = true; // a new machine, or an event joined to one by its IP (TFTP)
    }
    refresh();
  },
});

// What changes without a boot event: stalls, the running phase's duration, the seeders' egress.
setInterval(() => {
  if (stream.connected()) {
    listStale = true;
    refresh();
  }
}, 5000);
let resizeTimer = null;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(renderCharts, 150);
});

// ---------------------------------------------------------------------------- rendering

function sorted() {
  return [...machines.values()].sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
}

function render() {
  renderMachines();
  renderStorm();
  renderCharts();
}

function renderMachines() {
  const list = sorted();
  const count = document.getElementById('machine-count');
  count.textContent = total > list.length ? `${list.length} of ${total}` : String(list.length);
  count.dataset.count = String(list.length);
  document.getElementById('no-machines').hidden = list.length > 0;

  const states = { running: 0, launched: 0, failed: 0, stalled: 0 };
  for (const m of list) states[machineState(m).key] += 1;
  document.title = `BootTorrent · Live · ${states.launched}/${list.length} launched`
    + `${states.failed ? `, ${states.failed} failed` : ''}${states.stalled ? `, ${states.stalled} stalled` : ''}`;
  document.getElementById('summary').innerHTML = [
    ['running', 'booting'], ['launched', 'launched'], ['stalled', 'stalled'], ['failed', 'failed'],
  ].map(([k, label]) => `<span class="chip chip-${k}${states[k] ? '' : ' zero'}" data-k="${k}">`
    + `<b>${states[k]}</b> ${label}</span>`).join('');

  const seen = new Set();
  let previous = null;
  for (const m of list) {
    seen.add(m.mac);
    const signature = JSON.stringify(m);
    let row = rows.get(m.mac);
    if (!row) {
      row = { tr: document.createElement('tr'), signature: '' };
      rows.set(m.mac, row);
    }
    if (row.signature !== signature) {
      row.signature = signature;
      fillRow(row.tr, m);
    }
    // Keep DOM order = sorted order, moving only what is out of place.
    const expected = previous ? previous.nextSibling : tbody.firstChild;
    if (expected !== row.tr) tbody.insertBefore(row.tr, expected);
    previous = row.tr;
  }
  for (const [mac, row] of rows) {
    if (!seen.has(mac)) {
      row.tr.remove();
      rows.delete(mac);
    }
  }
}

function fillRow(tr, m) {
  const state = machineState(m);
  const done = num(m.bytesDone);
  const totalBytes = num(m.bytesTotal);
  Object.assign(tr.dataset, {
    mac: m.mac, stage: m.stage, phase: m.phase, state: state.key,
    bytesDone: String(done), bytesTotal: String(totalBytes),
  });
  tr.className = `state-${state.key}`;
  const transferring = !m.launched && !m.failed && !m.stalled && (m.phase === 'PHASE_DOWNLOAD' || m.phase === 'PHASE_SEEDING');
  let detail;
  if (m.failed) {
    detail = `<div class="reason" title="${esc(m.failure)}">${esc(m.failure || 'no reason given')}</div>`
      + `<div class="sub">in ${esc(phaseOf(m.phase).label)}, after <span class="stage">${esc(m.stage)}</span></div>`;
  } else if (m.stalled) {
    detail = `<div class="reason">no event since ${clock(m.lastSeenMs)}</div>`
      + `<div class="sub">in ${esc(phaseOf(m.phase).label)}, after <span class="stage">${esc(m.stage)}</span></div>`;
  } else {
    detail = `<div class="sub stage">${esc(m.stage)}</div>`;
  }
  const share = totalBytes > 0 ? done / totalBytes : 0;
  const progress = totalBytes > 0
    ? `${progressBar(done, totalBytes, state.key === 'running' ? phaseOf(m.phase).color : state.color)}`
      + `<div class="sub"><span class="bytes">${bytes(done)}</span> / ${bytes(totalBytes)} · ${percent(share)}</div>`
    : '<span class="muted">—</span>';
  tr.innerHTML = `
    <td class="mono"><a href="machine.html?mac=${encodeURIComponent(m.mac)}">${esc(m.mac)}</a>`
      + `${m.boots > 1 ? `<div class="sub">boot ${m.boots}</div>` : ''}</td>
    <td class="mono">${esc(m.ip) || '<span class="muted">—</span>'}</td>
    <td>${esc(m.image) || '<span class="muted">—</span>'}</td>
    <td class="stage-cell"><span class="badge" style="--c:${state.color}">${state.key === 'launched' ? '✓ ' : ''}`
      + `${esc(state.label)}</span>${detail}</td>
    <td class="wide">${progress}</td>
    <td class="num">${transferring ? `<div>↓ ${rate(m.downloadRate)}</div><div class="sub">↑ ${rate(m.uploadRate)}</div>`
      : `<span class="muted">—</span>${num(m.bytesUploaded) > 0 ? `<div class="sub">↑ ${bytes(m.bytesUploaded)} sent</div>` : ''}`}</td>
    <td class="num">${transferring ? m.peers : '<span class="muted">—</span>'}</td>
    <td class="wide">${sourcesBar(m.bytesFromSeeder, m.bytesFromPeers, m.bytesFromWebSeed)}</td>
    <td class="num">${duration(m.bootMs)}</td>`;
}

function currentStorm() {
  return storms.find((s) => s.id === chosenStorm) ?? storms[0] ?? null;
}

function card(key, value, label, sub = '') {
  return `<div class="card" data-k="${key}"><div class="v">${value}</div><div class="l">${label}</div>`
    + `${sub ? `<div class="sub">${sub}</div>` : ''}</div>`;
}

function renderStorm() {
  const select = document.getElementById('storm-select');
  select.hidden = storms.length < 2;
  const options = storms.map((s) => `<option value="${esc(s.id)}">${esc(s.image)} · ${s.finished ? 'finished' : 'running'}`
    + ` · ${s.memberCount} machines · ${clock(s.startMs)}</option>`).join('');
  if (select.dataset.options !== options) {
    select.innerHTML = options;
    select.dataset.options = options;
  }
  const s = currentStorm();
  if (s) select.value = s.id;
  const title = document.getElementById('storm-title');
  const box = document.getElementById('storm');
  const delivery = document.getElementById('storm-delivery');
  if (!s) {
    title.textContent = '';
    box.innerHTML = '<p class="empty">No boot storm yet: one starts when machines start downloading an image.</p>';
    delivery.innerHTML = '';
    return;
  }
  title.innerHTML = `<b>${esc(s.image)}</b> · ${bytes(s.imageSize)} · `
    + `<span class="${s.finished ? 'done' : 'running'}">${s.finished ? 'finished' : 'running'}</span>`
    + ` · started ${clock(s.startMs)}`;
  box.dataset.storm = s.id;
  const copies = Number(s.seederCopies ?? 0);
  box.innerHTML = [
    card('members', s.memberCount, 'machines'),
    card('booted', s.booted, 'booted', `${s.memberCount > 0 ? percent(s.booted / s.memberCount) : '—'}`),
    card('failed', s.failed, 'failed'),
    card('first', duration(s.firstBootedMs), 'first booted', 'from the storm\'s start'),
    card('last', duration(s.lastBootedMs), 'last booted', s.booted < s.memberCount && !s.finished ? 'so far' : ''),
    card('p50', duration(s.downloadP50Ms), 'download p50', `p99 ${duration(s.downloadP99Ms)}`),
    card('egress', `${copies.toFixed(2)}×`, 'seeder egress', `${bytes(s.seederBytes)} sent = ${copies.toFixed(2)} image copies`),
    card('p2p', percent(s.p2pShare ?? 0), 'P2P share', `web seed ${bytes(s.webSeedBytes)}`),
  ].join('');
  box.querySelector('[data-k="failed"]').classList.toggle('bad', s.failed > 0);
  const wanted = num(s.imageSize) * s.memberCount;
  const delivered = num(s.deliveredBytes);
  delivery.innerHTML = wanted > 0
    ? `<div class="delivery">${progressBar(delivered, wanted, '#3f88e6')}<span class="sub">${bytes(delivered)} of `
      + `${bytes(wanted)} delivered to the machines</span></div>` : '';
}

function renderCharts() {
  const s = currentStorm();
  const timelineBox = document.getElementById('timeline');
  // The storm's machines when there is a storm (others would stretch the time axis), else all.
  const members = s ? new Set((s.members ?? []).map((m) => m.mac)) : null;
  const list = sorted().filter((m) => !members || members.has(m.mac) || m.stormId === s.id);
  const shown = list.slice(0, 80);
  timelineBox.innerHTML = timelineSvg(shown.map((m) => ({
    label: m.mac, href: `machine.html?mac=${encodeURIComponent(m.mac)}`, phases: m.phases ?? [],
    failed: m.failed, failure: m.failure, stalled: m.stalled, launched: m.launched,
  })), Math.max(320, timelineBox.clientWidth)) + (list.length > shown.length
    ? `<p class="muted">the first ${shown.length} of ${list.length} machines</p>` : '');
  const p2pBox = document.getElementById('p2p');
  p2pBox.innerHTML = s
    ? p2pSvg(s.samples ?? [], s.startMs, Math.max(260, p2pBox.clientWidth))
    : '<p class="empty">No boot storm yet.</p>';
}
