// Shared by every dashboard page: where the APIs are, number formats, the phase colours, the live
// event stream. Plain ES modules, no build step, nothing fetched from anywhere but this telemetry
// service (and, on the Images and Policy pages, the catalog named in config.json).

/** Telemetry's REST API, relative to the page (works behind a reverse proxy that adds a prefix). */
export const API = new URL('../api/v1/', location.href).href;

// --------------------------------------------------------------------------- token
// With auth.openReads false, telemetry and the catalog answer 401 without a viewer token. The page asks
// for one once (a prompt), keeps it in sessionStorage (this tab only, gone when the tab closes), and
// sends it as `Authorization: Bearer …`; the event stream, which cannot send headers, gets a short-lived
// ticket for it (POST /api/v1/tickets) and opens `…/events/stream?ticket=…`.

const TOKEN_KEY = 'boottorrent.token';
let asking = null;
let declined = false;

export const storedToken = () => sessionStorage.getItem(TOKEN_KEY);

/** Asks for a token once at a time; a cancelled prompt is not repeated until the page is reloaded. */
function askToken(reason) {
  if (declined) return Promise.resolve(null);
  asking ??= new Promise((resolve) => setTimeout(() => {
    const typed = window.prompt(`${reason}\n\nThis dashboard needs a BootTorrent token with role viewer `
      + '(`boottorrent tokens create --role viewer`). It is kept in this browser tab only.');
    asking = null;
    if (!typed || !typed.trim()) {
      declined = true;
      resolve(null);
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, typed.trim());
    resolve(typed.trim());
  }, 0));
  return asking;
}

function authHeaders() {
  const t = storedToken();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

/** GET as JSON; a non-2xx answer throws an Error carrying the server's `error` text and `status`. */
export async function getJson(url, { timeoutMs = 8000, method = 'GET', retried = false } = {}) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const r = await fetch(url, {
      method, headers: { Accept: 'application/json', ...authHeaders() }, cache: 'no-store', signal: abort.signal,
    });
    if (r.status === 401 && !retried) {
      let reason = r.statusText;
      try { reason = (await r.json()).error || reason; } catch (ignored) { /* not JSON */ }
      sessionStorage.removeItem(TOKEN_KEY);
      if (await askToken(reason)) return getJson(url, { timeoutMs, method, retried: true });
      const err = new Error(`401 ${reason}`);
      err.status = 401;
      throw err;
    }
    if (!r.ok) {
      let reason = r.statusText;
      try { reason = (await r.json()).error || reason; } catch (ignored) { /* not JSON */ }
      const err = new Error(`${r.status} ${reason}`);
      err.status = r.status;
      throw err;
    }
    return await r.json();
  } catch (e) {
    if (e.name === 'AbortError') throw new Error(`no answer from ${url} within ${timeoutMs / 1000} s`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

export const telemetry = (path) => getJson(API + path);

let configAsked;
/** `/dashboard/config.json`: `{"catalogUrl": "http://host:8080" | null, "openReads": true | false}`. */
export function dashboardConfig() {
  configAsked ??= getJson(new URL('config.json', location.href).href).catch((e) => {
    configAsked = null;
    throw e;
  });
  return configAsked;
}

/** GET of the catalog's `/api/v1/<path>` (its CORS lets this page read it). */
export async function catalog(path) {
  const { catalogUrl } = await dashboardConfig();
  if (!catalogUrl) {
    const err = new Error('this telemetry service was started without a catalog URL');
    err.noCatalog = true;
    throw err;
  }
  return getJson(catalogUrl.replace(/\/+$/, '') + '/api/v1/' + path);
}

// ------------------------------------------------------------------------------- header

/**
 * Every page's header, written here once: the brand, the page links (the body's `data-page` marks
 * the current one), when the page was last updated, and the live stream's badge on the pages that
 * follow it (Live, Machine) or where the data came from (Images, Policy).
 */
function renderHeader() {
  const header = document.querySelector('header.top');
  if (!header) return;
  const page = document.body.dataset.page;
  const streams = page === 'live' || page === 'machine';
  header.innerHTML = `
    <a class="brand" href="./"><img src="favicon.svg" alt="" width="22" height="22">BootTorrent</a>
    <nav>
      <a href="./" data-page="live">Live</a>
      <a href="images.html" data-page="images">Images</a>
      <a href="policy.html" data-page="policy">Policy</a>
    </nav>
    <span class="spacer"></span>
    <span id="updated" class="muted"></span>
    ${streams ? '<span id="conn" class="conn" data-state="connecting">connecting…</span>'
      : '<span id="source" class="muted"></span>'}`;
  header.querySelector(`nav a[data-page="${page}"]`)?.setAttribute('aria-current', 'page');
}
renderHeader();

// ------------------------------------------------------------------------------- formats

/** An int64 of protobuf JSON (a string) or a number, as a Number (0 when absent). */
export const num = (v) => (v === undefined || v === null || v === '' ? 0 : Number(v));

const KiB = 1024;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Bytes: "17.0 MiB" (KiB below 1 MiB, GiB from 1 GiB). */
export function bytes(v) {
  const b = num(v);
  if (b >= GiB) return `${(b / GiB).toFixed(2)} GiB`;
  if (b >= MiB) return `${(b / MiB).toFixed(1)} MiB`;
  if (b >= KiB) return `${(b / KiB).toFixed(1)} KiB`;
  return `${b} B`;
}

/** Bytes/s: "12.3 MiB/s"; "—" for 0. */
export function rate(v) {
  const b = num(v);
  if (b <= 0) return '—';
  if (b >= MiB / 10) return `${(b / MiB).toFixed(1)} MiB/s`;
  return `${(b / KiB).toFixed(0)} KiB/s`;
}

/** A duration in ms: "0.4 s", "12.3 s", "2 min 05 s", "1 h 02 min"; "—" when negative (none yet). */
export function duration(v) {
  const ms = num(v);
  if (v === undefined || v === null || ms < 0) return '—';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export const percent = (x, digits = 0) => `${(Number(x) * 100).toFixed(digits)}%`;

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** Local wall-clock time of an epoch-ms value: "14:03:07" (with ms: "14:03:07.120"). */
export function clock(v, withMs = false) {
  const ms = num(v);
  if (ms <= 0) return '—';
  const d = new Date(ms);
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withMs ? `${t}.${pad(d.getMilliseconds(), 3)}` : t;
}

/** Local date and time: "2026-12-01 14:03". */
export function dateTime(v) {
  const ms = num(v);
  if (ms <= 0) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text from the network, made safe for innerHTML. */
export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]);

// -------------------------------------------------------------------------------- phases

/** The boot phases in order (BootPhase), their labels and colours; the legend of every chart. */
export const PHASES = [
  { id: 'PHASE_DHCP', label: 'DHCP', color: '#b07cd8' },
  { id: 'PHASE_BOOT_FILES', label: 'boot files', color: '#7f8fd9' },
  { id: 'PHASE_AGENT_START', label: 'agent start', color: '#4fb3c8' },
  { id: 'PHASE_MENU', label: 'menu', color: '#c9ad4b' },
  { id: 'PHASE_DOWNLOAD', label: 'download', color: '#3f88e6' },
  { id: 'PHASE_VERIFY', label: 'verify', color: '#e0893f' },
  { id: 'PHASE_SEEDING', label: 'seeding', color: '#4fae63' },
  { id: 'PHASE_LAUNCH', label: 'launch', color: '#2cc2a0' },
];
const BY_ID = new Map(PHASES.map((p) => [p.id, p]));
const UNKNOWN = { id: 'BOOT_PHASE_UNSPECIFIED', label: '—', color: '#5c6878' };
export const phaseOf = (id) => BY_ID.get(id) ?? UNKNOWN;

export const COLORS = { failed: '#f0524a', stalled: '#e8b339', launched: '#2cc2a0' };

/** The phase a boot stage counts in (docs/ARCHITECTURE.md, "Telemetry"). */
const STAGE_PHASE = {
  DHCP_LEASE: 'PHASE_DHCP', PXE_OFFER: 'PHASE_DHCP',
  TFTP_TRANSFER: 'PHASE_BOOT_FILES', HTTP_BOOT_FILE: 'PHASE_BOOT_FILES',
  AGENT_STARTED: 'PHASE_AGENT_START',
  MENU_SHOWN: 'PHASE_MENU', IMAGE_CHOSEN: 'PHASE_MENU',
  DOWNLOAD_STARTED: 'PHASE_DOWNLOAD', DOWNLOAD_PROGRESS: 'PHASE_DOWNLOAD', PEER_BANNED: 'PHASE_DOWNLOAD',
  STREAM_STARTED: 'PHASE_DOWNLOAD',
  DOWNLOAD_COMPLETE: 'PHASE_VERIFY',
  VERIFIED: 'PHASE_SEEDING', SEEDING_DONE: 'PHASE_SEEDING',
  LAUNCHING: 'PHASE_LAUNCH',
};
export function stageColor(stage) {
  if (stage === 'FAILED') return COLORS.failed;
  return phaseOf(STAGE_PHASE[stage]).color;
}

/** What a machine is doing, for its badge: failed, stalled, launched, or its running phase. */
export function machineState(m) {
  if (m.failed) return { key: 'failed', label: 'failed', color: COLORS.failed };
  if (m.launched) return { key: 'launched', label: 'launched', color: COLORS.launched };
  if (m.stalled) return { key: 'stalled', label: 'stalled', color: COLORS.stalled };
  const p = phaseOf(m.phase);
  return { key: 'running', label: p.label, color: p.color };
}

/** The legend: one swatch per phase, then failed and stalled. */
export function legendHtml({ states = true } = {}) {
  const item = (label, color, cls = '') =>
    `<span class="legend-item ${cls}"><i style="background:${color}"></i>${esc(label)}</span>`;
  return PHASES.map((p) => item(p.label, p.color)).join('')
    + (states ? item('failed', COLORS.failed, 'state') + item('stalled', COLORS.stalled, 'state') : '');
}

// ------------------------------------------------------------------------ live updates

/**
 * The page's connection to telemetry's event stream (`/api/v1/events/stream`, Server-Sent Events).
 * EventSource reconnects by itself (the server says `retry: 2000`); should the browser give up
 * (an HTTP error while telemetry restarts closes it for good), a new one is opened after 2 s. The
 * badge in the header says "live" or "reconnecting…"; `onOpen` runs at each (re)connection, when
 * the page should re-read what it shows (events may have been missed meanwhile).
 */
export function liveEvents(query, { onEvent, onOpen }) {
  const url = API + 'events/stream' + (query ? `?${query}` : '');
  let source = null;
  let retry = null;
  // With reads closed, each (re)connection trades the token for a fresh ticket first.
  const ticketed = async () => {
    const { openReads } = await dashboardConfig();
    if (openReads !== false) return url;
    const { ticket } = await getJson(API + 'tickets', { method: 'POST' });
    return url + (query ? '&' : '?') + 'ticket=' + encodeURIComponent(ticket);
  };
  const open = async () => {
    retry = null;
    let target;
    try {
      target = await ticketed();
    } catch (e) {
      setConnection('reconnecting');
      retry = setTimeout(open, 2000);
      return;
    }
    source = new EventSource(target);
    source.onopen = () => {
      setConnection('live');
      onOpen?.();
    };
    source.onmessage = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (ignored) {
        return;
      }
      onEvent(event);
    };
    source.onerror = () => {
      setConnection('reconnecting');
      if (source.readyState === EventSource.CLOSED && retry === null) {
        retry = setTimeout(open, 2000);
      }
    };
  };
  setConnection('connecting');
  open();
  return { connected: () => source?.readyState === EventSource.OPEN };
}

const CONNECTION_TEXT = { connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…' };

export function setConnection(state) {
  const badge = document.getElementById('conn');
  if (badge && badge.dataset.state !== state) {
    badge.dataset.state = state;
    badge.textContent = CONNECTION_TEXT[state] ?? state;
    badge.title = state === 'reconnecting'
      ? 'The event stream from telemetry is down; what is shown is as of the last update. Retrying every 2 s.'
      : state === 'live' ? 'Receiving boot events as they happen.' : '';
  }
  document.body.classList.toggle('offline', state === 'reconnecting');
  const note = document.getElementById('offline');
  if (note) note.hidden = state !== 'reconnecting';
  if (state === 'reconnecting') showError(null); // the note says it; failed refreshes need not
}

/**
 * Runs `task` (async) at most once per `gap` ms (a number, or a function asked each time), never two
 * at once; calls while it runs or waits are folded into one more run.
 */
export function coalesced(task, gap) {
  const gapMs = () => (typeof gap === 'function' ? gap() : gap);
  let timer = null;
  let running = false;
  let again = false;
  let last = 0;
  const run = async () => {
    timer = null;
    running = true;
    last = Date.now();
    try {
      await task();
    } catch (e) {
      console.warn('dashboard refresh failed', e);
    } finally {
      running = false;
      if (again) {
        again = false;
        kick();
      }
    }
  };
  const kick = () => {
    if (running) {
      again = true;
    } else if (timer === null) {
      timer = setTimeout(run, Math.max(0, last + gapMs() - Date.now()));
    }
  };
  return kick;
}

/** Shows (or, with null, hides) the page's error line. */
export function showError(message) {
  const box = document.getElementById('error');
  if (!box) return;
  box.hidden = !message;
  box.textContent = message ?? '';
}

/** Marks the moment of the last good refresh in the footer and counts refreshes (data-refreshes). */
export function refreshed() {
  const n = Number(document.body.dataset.refreshes ?? 0) + 1;
  document.body.dataset.refreshes = String(n);
  const stamp = document.getElementById('updated');
  if (stamp) stamp.textContent = `updated ${clock(Date.now())}`;
}
