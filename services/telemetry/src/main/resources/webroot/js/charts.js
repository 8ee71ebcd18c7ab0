// Inline SVG charts drawn by hand: the boot timeline (one bar per machine, a segment per phase), the
// P2P share over time, and the small bars of the machines table.
import { COLORS, duration, esc, num, percent, phaseOf, bytes } from './common.js';

const NS = 'http://www.w3.org/2000/svg';

/** A "nice" tick step (ms) so that `span` ms get at most about `max` ticks. */
function tickStep(span, max) {
  const steps = [100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
    600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];
  return steps.find((s) => span / s <= max) ?? steps[steps.length - 1];
}

function tickLabel(ms, step) {
  if (step < 1000) return `${(ms / 1000).toFixed(1)} s`;
  if (step < 60_000) return `${Math.round(ms / 1000)} s`;
  if (step < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/**
 * The timeline: one row per machine ({label, href, phases, failed, stalled, launched, failure}),
 * x in seconds from the earliest phase start. `width` in px.
 */
export function timelineSvg(rows, width, { labelWidth = 138, rowHeight = 16, gap = 6, segmentLabels = false } = {}) {
  const withPhases = rows.filter((r) => r.phases.length > 0);
  if (withPhases.length === 0) {
    return '<p class="empty">No boot has a phase yet.</p>';
  }
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const r of withPhases) {
    for (const p of r.phases) {
      t0 = Math.min(t0, num(p.startMs));
      t1 = Math.max(t1, num(p.startMs) + num(p.durationMs));
    }
  }
  const span = Math.max(1000, t1 - t0);
  const right = 26; // room for the end markers
  const plot = Math.max(100, width - labelWidth - right);
  const x = (t) => labelWidth + ((t - t0) / span) * plot;
  const top = 22;
  const height = top + withPhases.length * (rowHeight + gap) + 4;
  const step = tickStep(span, Math.max(2, Math.floor(plot / 70)));
  const parts = [];
  for (let t = 0; t <= span + 1; t += step) {
    const xx = x(t0 + t).toFixed(1);
    parts.push(`<line class="grid" x1="${xx}" x2="${xx}" y1="${top - 4}" y2="${height}"/>`,
      `<text class="tick" x="${xx}" y="${top - 8}" text-anchor="middle">${tickLabel(t, step)}</text>`);
  }
  withPhases.forEach((r, i) => {
    const y = top + i * (rowHeight + gap);
    const label = `<text class="row-label" x="${labelWidth - 8}" y="${y + rowHeight - 4}" text-anchor="end">${esc(r.label)}</text>`;
    parts.push(r.href ? `<a href="${esc(r.href)}">${label}</a>` : label);
    let end = 0;
    for (const p of r.phases) {
      const start = num(p.startMs);
      const d = num(p.durationMs);
      const ph = phaseOf(p.phase);
      const x0 = x(start);
      const w = Math.max(1.5, x(start + d) - x0);
      end = x0 + w;
      const cls = p.running ? (r.stalled ? 'seg stalled' : 'seg running') : 'seg';
      parts.push(`<rect class="${cls}" x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowHeight}" `
        + `rx="2" fill="${ph.color}"><title>${esc(r.label)}: ${esc(ph.label)} ${duration(d)}`
        + `${p.running ? ' (running)' : ''}, ${p.events} events</title></rect>`);
      const text = `${ph.label} ${duration(d)}`;
      if (segmentLabels && w > text.length * 6.6 + 8) {
        parts.push(`<text class="seg-label" x="${(x0 + 6).toFixed(1)}" y="${y + rowHeight / 2 + 4}">${esc(text)}</text>`);
      }
    }
    if (r.failed) {
      parts.push(`<text class="mark failed" x="${(end + 5).toFixed(1)}" y="${y + rowHeight - 3}" fill="${COLORS.failed}">✕`
        + `<title>failed: ${esc(r.failure)}</title></text>`);
    } else if (r.launched) {
      parts.push(`<text class="mark" x="${(end + 5).toFixed(1)}" y="${y + rowHeight - 3}" fill="${COLORS.launched}">✓</text>`);
    } else if (r.stalled) {
      parts.push(`<text class="mark" x="${(end + 5).toFixed(1)}" y="${y + rowHeight - 3}" fill="${COLORS.stalled}">!`
        + '<title>stalled: no event for telemetry.stallSeconds</title></text>');
    }
  });
  return `<svg xmlns="${NS}" class="chart timeline" width="${width}" height="${height}" `
    + `viewBox="0 0 ${width} ${height}" role="img" aria-label="boot timeline">${parts.join('')}</svg>`;
}

/**
 * The P2P share of a storm over time: `samples` [{atMs, p2pShare, seederBytes, deliveredBytes}],
 * x in seconds from `startMs`, y 0..100%.
 */
export function p2pSvg(samples, startMs, width, height = 200) {
  if (!samples || samples.length === 0) {
    return '<p class="empty">No sample yet: the share is sampled at each seeder status.</p>';
  }
  const left = 40;
  const right = 46;
  const top = 12;
  const bottom = 24;
  const t0 = num(startMs) || num(samples[0].atMs);
  const t1 = Math.max(t0 + 1000, ...samples.map((s) => num(s.atMs)));
  const plotW = Math.max(60, width - left - right);
  const plotH = height - top - bottom;
  const x = (t) => left + ((t - t0) / (t1 - t0)) * plotW;
  const y = (share) => top + (1 - Math.min(1, Math.max(0, share))) * plotH;
  const parts = [];
  for (const g of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line class="grid" x1="${left}" x2="${left + plotW}" y1="${y(g)}" y2="${y(g)}"/>`,
      `<text class="tick" x="${left - 6}" y="${y(g) + 4}" text-anchor="end">${g * 100}%</text>`);
  }
  const step = tickStep(t1 - t0, Math.max(2, Math.floor(plotW / 70)));
  for (let t = 0; t <= t1 - t0 + 1; t += step) {
    parts.push(`<text class="tick" x="${x(t0 + t).toFixed(1)}" y="${height - 6}" text-anchor="middle">${tickLabel(t, step)}</text>`);
  }
  const pts = samples.map((s) => `${x(num(s.atMs)).toFixed(1)},${y(Number(s.p2pShare)).toFixed(1)}`);
  const first = samples[0];
  const last = samples[samples.length - 1];
  parts.push(`<polygon class="area" points="${x(num(first.atMs)).toFixed(1)},${y(0)} ${pts.join(' ')} `
    + `${x(num(last.atMs)).toFixed(1)},${y(0)}"/>`);
  parts.push(`<polyline class="line" points="${pts.join(' ')}"/>`);
  for (const s of samples) {
    parts.push(`<circle class="dot" cx="${x(num(s.atMs)).toFixed(1)}" cy="${y(Number(s.p2pShare)).toFixed(1)}" r="2.5">`
      + `<title>${tickLabel(num(s.atMs) - t0, 100)}: P2P ${percent(s.p2pShare)}, seeder ${bytes(s.seederBytes)} `
      + `of ${bytes(s.deliveredBytes)} delivered</title></circle>`);
  }
  parts.push(`<text class="last" x="${(x(num(last.atMs)) + 6).toFixed(1)}" y="${(y(Number(last.p2pShare)) + 4).toFixed(1)}">`
    + `${percent(last.p2pShare)}</text>`);
  return `<svg xmlns="${NS}" class="chart p2p" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" `
    + `role="img" aria-label="P2P share over time">${parts.join('')}</svg>`;
}

export const SOURCE_COLORS = { seeder: '#ef8a62', peers: '#4fc38a', webSeed: '#c3a0f0' };

/** Where a machine's bytes came from: a stacked bar (seeder / peers / web seed) and its title. */
export function sourcesBar(seeder, peers, webSeed) {
  const s = num(seeder);
  const p = num(peers);
  const w = num(webSeed);
  const total = s + p + w;
  if (total <= 0) return '<span class="muted">—</span>';
  const seg = (v, color, name) => (v > 0
    ? `<i style="width:${((v / total) * 100).toFixed(2)}%;background:${color}" title="${name} ${bytes(v)}"></i>` : '');
  const title = `seeder ${bytes(s)} · peers ${bytes(p)} · web seed ${bytes(w)}`;
  return `<div class="stack" title="${title}">${seg(s, SOURCE_COLORS.seeder, 'seeder')}${seg(p, SOURCE_COLORS.peers, 'peers')}`
    + `${seg(w, SOURCE_COLORS.webSeed, 'web seed')}</div><div class="sub">peers ${percent(p / total)}`
    + `${s > 0 ? ` · seeder ${percent(s / total)}` : ''}${w > 0 ? ` · web ${percent(w / total)}` : ''}</div>`;
}

/** A progress bar of `done` of `total` (0..1 fill), coloured. */
export function progressBar(done, total, color) {
  const d = num(done);
  const t = num(total);
  const share = t > 0 ? Math.min(1, d / t) : 0;
  return `<div class="bar"><i style="width:${(share * 100).toFixed(1)}%;background:${color}"></i></div>`;
}
