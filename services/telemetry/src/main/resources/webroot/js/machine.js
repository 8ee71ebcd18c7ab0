// One machine: its current boot's phases (a bar and a table with durations), where its bytes came
// from, and its events. Updates from the event stream filtered on its MAC.
import {
  bytes, clock, coalesced, dateTime, duration, esc, legendHtml, liveEvents, machineState, num, percent,
  phaseOf, rate, refreshed, showError, stageColor, telemetry,
} from './common.js';
import { progressBar, sourcesBar, timelineSvg, SOURCE_COLORS } from './charts.js';

const mac = new URLSearchParams(location.search).get('mac') ?? '';
document.getElementById('legend').innerHTML = legendHtml();
document.getElementById('title').textContent = mac || 'no machine';
let detail = null;
let stream = null;

const refresh = coalesced(async () => {
  if (!mac) {
    showError('No machine given: open this page as machine.html?mac=aa:bb:cc:dd:ee:ff (the Live page links here).');
    return;
  }
  try {
    detail = await telemetry(`machines/${encodeURIComponent(mac)}`);
    showError(null);
    render();
    refreshed();
  } catch (e) {
    if (e.status === 404) {
      showError(`Telemetry does not know ${mac} (never seen, or forgotten).`);
    } else if (stream?.connected()) {
      showError(`telemetry did not answer: ${e.message}`);
    }
  }
}, 400);

if (mac) {
  stream = liveEvents(`mac=${encodeURIComponent(mac)}`, { onOpen: refresh, onEvent: refresh });
  setInterval(() => { if (stream.connected()) refresh(); }, 5000);
} else {
  refresh();
}
window.addEventListener('resize', () => { if (detail) renderTimeline(detail.machine); });

function card(key, value, label, sub = '') {
  return `<div class="card" data-k="${key}"><div class="v">${value}</div><div class="l">${label}</div>`
    + `${sub ? `<div class="sub">${sub}</div>` : ''}</div>`;
}

function render() {
  const m = detail.machine;
  const state = machineState(m);
  document.title = `BootTorrent · ${m.mac}`;
  document.getElementById('title').textContent = m.mac;
  const badge = document.getElementById('state');
  badge.innerHTML = `<span class="badge" style="--c:${state.color}">${state.key === 'launched' ? '✓ ' : ''}${esc(state.label)}</span>`
    + ` <span class="stage muted">${esc(m.stage)}</span>`;
  badge.dataset.state = state.key;
  badge.dataset.stage = m.stage;
  document.getElementById('failure').textContent = m.failed ? m.failure : m.stalled ? 'stalled: no event for a while' : '';
  const done = num(m.bytesDone);
  const total = num(m.bytesTotal);
  document.getElementById('facts').innerHTML = [
    card('image', esc(m.image) || '—', 'image'),
    card('bytes', bytes(done), 'downloaded', total > 0 ? `of ${bytes(total)} · ${percent(done / total)}` : ''),
    card('boot', duration(m.bootMs), 'boot time', m.launched ? 'first event to launch' : m.failed ? 'until it failed' : 'so far'),
    card('uploaded', bytes(m.bytesUploaded), 'served to peers'),
    card('boots', m.boots, 'boots seen'),
  ].join('');
  document.getElementById('details').innerHTML = [
    ['IP', esc(m.ip) || '—'], ['agent run', `<span class="mono">${esc(m.nodeId) || '—'}</span>`],
    ['firmware', esc(m.arch) || '—'], ['PXE front door', m.pxe ? 'yes' : 'no'],
    ['launcher', esc(m.launcher) || '—'], ['info-hash', `<span class="mono">${esc(m.infoHash) || '—'}</span>`],
    ['storm', esc(m.stormId) || '—'], ['first event', `${dateTime(m.firstSeenMs)} (${clock(m.firstSeenMs)})`],
    ['last event', clock(m.lastSeenMs)],
  ].map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('');
  const endpoints = Object.entries(m.sources ?? {}).sort((a, b) => num(b[1]) - num(a[1]));
  document.getElementById('sources').innerHTML = `<h3>bytes from</h3>${sourcesBar(m.bytesFromSeeder, m.bytesFromPeers, m.bytesFromWebSeed)}`
    + `<table class="plain"><tbody>`
    + `<tr><td><span class="dot" style="background:${SOURCE_COLORS.seeder}"></span>seeder</td><td class="num">${bytes(m.bytesFromSeeder)}</td></tr>`
    + `<tr><td><span class="dot" style="background:${SOURCE_COLORS.peers}"></span>peers</td><td class="num">${bytes(m.bytesFromPeers)}</td></tr>`
    + `<tr><td><span class="dot" style="background:${SOURCE_COLORS.webSeed}"></span>web seed</td><td class="num">${bytes(m.bytesFromWebSeed)}</td></tr>`
    + endpoints.map(([peer, b]) => `<tr><td class="mono muted">${esc(peer)}</td><td class="num muted">${bytes(b)}</td></tr>`).join('')
    + `</tbody></table>${endpoints.length === 0 ? '<p class="muted">Known once the download completes.</p>' : ''}`;
  renderTimeline(m);
  renderEvents(detail.events ?? [], num(m.firstSeenMs));
}

function renderTimeline(m) {
  const box = document.getElementById('timeline');
  box.innerHTML = timelineSvg([{
    label: m.mac, phases: m.phases ?? [], failed: m.failed, failure: m.failure, stalled: m.stalled, launched: m.launched,
  }], Math.max(360, box.clientWidth), { rowHeight: 26, segmentLabels: true });
  const first = (m.phases ?? []).length ? num(m.phases[0].startMs) : 0;
  document.querySelector('#phases tbody').innerHTML = (m.phases ?? []).map((p) => {
    const ph = phaseOf(p.phase);
    return `<tr data-phase="${esc(p.phase)}"><td><span class="dot" style="background:${ph.color}"></span>${esc(ph.label)}</td>`
      + `<td class="num">+${duration(num(p.startMs) - first)}</td><td class="num"><b>${duration(p.durationMs)}</b></td>`
      + `<td class="num">${p.events}</td><td>${p.running ? '<span class="running">running</span>' : ''}</td></tr>`;
  }).join('');
}

function renderEvents(events, firstMs) {
  const count = document.getElementById('event-count');
  count.textContent = String(events.length);
  count.dataset.count = String(events.length);
  document.querySelector('#events tbody').innerHTML = events.map((e) => {
    const t = num(e.timestampMs);
    const hasBytes = num(e.bytesDone) > 0 || e.stage.startsWith('DOWNLOAD_');
    const moving = num(e.downloadRate) > 0 || num(e.uploadRate) > 0;
    return `<tr data-stage="${esc(e.stage)}"><td class="mono">${clock(t, true)}</td>`
      + `<td class="num muted">${t > 0 && firstMs > 0 ? `+${duration(Math.max(0, t - firstMs))}` : ''}</td>`
      + `<td class="nowrap"><span class="dot" style="background:${stageColor(e.stage)}"></span><span class="stage">${esc(e.stage)}</span></td>`
      + `<td class="${e.stage === 'FAILED' ? 'bad-text' : ''}">${esc(e.message)}</td>`
      + `<td class="num">${hasBytes ? `${bytes(e.bytesDone)}${num(e.bytesTotal) > 0 ? ` / ${bytes(e.bytesTotal)}` : ''}` : ''}`
      + `${hasBytes && num(e.bytesTotal) > 0 ? progressBar(e.bytesDone, e.bytesTotal, stageColor(e.stage)) : ''}</td>`
      + `<td class="num">${moving ? `↓ ${rate(e.downloadRate)} · ↑ ${rate(e.uploadRate)}` : ''}</td>`
      + `<td class="num">${e.peers > 0 ? e.peers : ''}</td><td class="mono">${esc(e.ip)}</td></tr>`;
  }).join('');
}
