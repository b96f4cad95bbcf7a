/**
 * The progress report as ONE self-contained HTML file for project managers: no script, no
 * external asset, no network (a Content-Security-Policy forbids every fetch), inline CSS and
 * inline SVG charts. Readable on a phone: the page reflows, only the mailbox table scrolls
 * sideways inside its own container.
 *
 * Every string from the state store (mailbox logins, domains, server reasons) is user data and
 * goes through `esc`. The report carries no subjects and no correspondents' addresses.
 */
import { formatBytes } from '../src/util/format.js';
import type { BatchReport, ByType, MailboxReport, MailboxState, ProgressReport, ThroughputPoint } from './model.js';
import { sumDone, sumTotal } from './model.js';
import { fmtDuration, fmtInt, fmtPercent, fmtRate, fmtTime, shownTypes, TYPE_LABEL } from './text.js';
import { collectionEqual } from '../src/reconcile/groupware-summary.js';
import { readinessSection } from './readiness-html.js';

/** Escapes text for HTML element content and (double- or single-quoted) attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const STATE_LABEL: Record<MailboxState, { icon: string; text: string }> = {
  pending: { icon: '○', text: 'pending' },
  running: { icon: '▶', text: 'running' },
  done: { icon: '✓', text: 'done' },
  failed: { icon: '✕', text: 'failed' },
};

export function renderHtml(report: ProgressReport): string {
  const t = report.totals;
  const title = `Migration progress – ${fmtTime(report.generatedAt)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="ums-migrate report (schema ${report.schemaVersion})">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>Mailbox migration progress</h1>
<p class="meta">Generated <time datetime="${esc(report.generatedAt)}">${esc(fmtTime(report.generatedAt))}</time> ·
${esc(plural(t.mailboxes, 'mailbox', 'mailboxes'))} in ${esc(plural(report.batches.length, 'batch', 'batches'))} ·
last activity ${esc(fmtTime(t.lastSyncAt))}</p>
</header>
${cards(report)}
<div class="charts">
${batchChart(report.batches)}
${throughputChart(report.throughput)}
</div>
${problems(report)}
${groupwareReconcile(report)}
${readinessSection(report)}
${mailboxTable(report.mailboxes)}
${footer(report)}
</main>
</body>
</html>
`;
}

function cards(r: ProgressReport): string {
  const t = r.totals;
  const types = shownTypes(t.items);
  const itemLines = types.map((k) => `${fmtInt(t.items[k].done)} of ${fmtInt(t.items[k].total)} ${TYPE_LABEL[k]}`);
  const otherStates = (['running', 'pending', 'failed'] as const).filter((s) => t.states[s] > 0)
    .map((s) => `<span class="state-text s-${s}">${fmtInt(t.states[s])} ${s}</span>`).join(' · ');
  const problemsLine = [
    `${fmtInt(t.failedItems)} failed ${t.failedItems === 1 ? 'item' : 'items'}`,
    `${fmtInt(t.folders.failed)} failed ${t.folders.failed === 1 ? 'folder' : 'folders'}`,
    `${fmtInt(t.skippedItems)} skipped`,
  ].join(' · ');
  const card = (id: string, label: string, value: string, sub: string, extra = '') =>
    `<section class="card${extra}" id="card-${id}"><h2>${label}</h2><p class="value">${value}</p><p class="sub">${sub}</p></section>`;
  return `<div class="cards">
${card('progress', 'Overall progress', esc(fmtPercent(t.progress)), `${progressBar(t.progress, 'done')}${itemLines.map(esc).join('<br>')}`)}
${card('mailboxes', 'Mailboxes done', `${esc(fmtInt(t.states.done))}<small> / ${esc(fmtInt(t.mailboxes))}</small>`, otherStates || (t.mailboxes === 0 ? 'none started yet' : 'all done'))}
${card('data', 'Data moved', esc(formatBytes(sumDone(t.bytes))), `of ${esc(formatBytes(sumTotal(t.bytes)))}`)}
${card('throughput', 'Throughput', `${esc(fmtRate(t.throughput))}<small> msg/s</small>`, `recent: ${esc(fmtRate(t.recentThroughput))} msg/s`)}
${card('eta', 'Time remaining', esc(t.etaSeconds === 0 && t.states.done === t.mailboxes && t.mailboxes > 0 ? 'done' : fmtDuration(t.etaSeconds)), t.etaSeconds === null ? 'unknown until messages are written' : 'at the recent pace, while running')}
${card('errors', 'Errors', esc(fmtInt(t.errors)), esc(problemsLine), t.errors > 0 ? ' bad' : '')}
</div>`;
}

function progressBar(fraction: number, state: MailboxState): string {
  const pct = Math.max(0, Math.min(100, fraction * 100));
  return `<span class="pbar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${Math.floor(pct)}"><span class="pfill s-${state}" style="width:${pct.toFixed(1)}%"></span></span>`;
}

/** Horizontal bars, one per batch: done (green) and failed (red) parts of its items. */
function batchChart(batches: BatchReport[]): string {
  const head = '<figure class="chart" id="batch-chart"><figcaption><h2>Progress per batch</h2><span class="note">batch = domain of the source login</span></figcaption>';
  if (batches.length === 0) return `${head}<p class="empty">No mailbox in the state store yet.</p></figure>`;
  const ROW = 58;
  const rows = batches.map((b, i) => {
    const y = i * ROW;
    const total = sumTotal(b.items);
    const done = total > 0 ? Math.min(100, (sumDone(b.items) / total) * 100) : b.progress * 100;
    const failed = total > 0 ? Math.min(100 - done, (b.failedItems / total) * 100) : 0;
    const states = (['done', 'running', 'pending', 'failed'] as const).filter((s) => b.states[s] > 0).map((s) => `${b.states[s]} ${s}`).join(', ');
    const tip = `${b.name}: ${fmtPercent(b.progress)}, ${fmtInt(sumDone(b.items))} of ${fmtInt(total)} items, ${plural(b.mailboxes, 'mailbox', 'mailboxes')} (${states})`;
    return `<g class="batch" transform="translate(0 ${y})"><title>${esc(tip)}</title>
<text class="label" x="0" y="14">${esc(truncate(b.name, 30))}</text><text class="pct" x="100%" y="14" text-anchor="end">${esc(fmtPercent(b.progress))}</text>
<rect class="track" x="0" y="20" width="100%" height="14" rx="3"></rect><rect class="bar bar-done" x="0" y="20" width="${done.toFixed(2)}%" height="14" rx="3"></rect>${failed > 0 ? `<rect class="bar bar-failed" x="${done.toFixed(2)}%" y="20" width="${failed.toFixed(2)}%" height="14"></rect>` : ''}
<text class="detail" x="0" y="50">${esc(`${fmtInt(sumDone(b.items))} / ${fmtInt(total)} msgs · ${plural(b.mailboxes, 'mailbox', 'mailboxes')}${b.errors > 0 ? ` · ${plural(b.errors, 'error', 'errors')}` : ''}`)}</text></g>`;
  });
  return `${head}
<svg class="bars" width="100%" height="${batches.length * ROW}" role="img" aria-label="Progress per batch">
${rows.join('\n')}
</svg></figure>`;
}

/** Messages per second for all mailboxes together, one point per bucket. */
function throughputChart(s: ProgressReport['throughput']): string {
  const head = `<figure class="chart" id="throughput-chart"><figcaption><h2>Throughput over time</h2><span class="note">msg/s, all mailboxes, per ${esc(fmtDuration(s.bucketSeconds))} (UTC)</span></figcaption>`;
  const pts = s.points;
  if (pts.length === 0) return `${head}<p class="empty">No message written yet.</p></figure>`;
  const TOP = 12;
  const H = 170;
  const max = niceCeil(Math.max(...pts.map((p) => p.itemsPerSecond)));
  // The plot runs from 7 % to 98 % of the width: the left gutter keeps the y labels clear of the first point.
  const xPct = (i: number) => (pts.length === 1 ? 52.5 : 7 + (91 * i) / (pts.length - 1));
  const yOf = (v: number) => H - (v / max) * H;
  const levels = [0, 0.25, 0.5, 0.75, 1].map((k) => ({ k, y: TOP + yOf(max * k) }));
  const grid = levels.map(({ y }) => `<line class="grid" x1="0" x2="100%" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"></line>`).join('');
  // Drawn after the points, with a white halo (CSS), so a label is never hidden by the data.
  const yLabels = levels.filter(({ k }) => k > 0)
    .map(({ k, y }) => `<text class="axis" x="2" y="${(y - 3).toFixed(1)}">${esc(fmtRate(max * k))}</text>`).join('');
  const coords = pts.map((p, i) => `${(xPct(i) * 10).toFixed(1)},${yOf(p.itemsPerSecond).toFixed(1)}`);
  const line = pts.length > 1
    ? `<svg x="0" y="${TOP}" width="100%" height="${H}" viewBox="0 0 1000 ${H}" preserveAspectRatio="none" aria-hidden="true">
<polygon class="area" points="${(xPct(0) * 10).toFixed(1)},${H} ${coords.join(' ')} ${(xPct(pts.length - 1) * 10).toFixed(1)},${H}"></polygon>
<polyline class="line" points="${coords.join(' ')}" vector-effect="non-scaling-stroke"></polyline></svg>`
    : '';
  const dots = pts.map((p, i) => `<circle class="pt" cx="${xPct(i).toFixed(2)}%" cy="${(TOP + yOf(p.itemsPerSecond)).toFixed(1)}" r="3"><title>${esc(pointTip(p, s.bucketSeconds))}</title></circle>`).join('');
  const sameDay = (pts[0]?.at ?? '').slice(0, 10) === (pts.at(-1)?.at ?? '').slice(0, 10);
  const label = (p: ThroughputPoint | undefined) => {
    if (!p) return '';
    const full = fmtTime(p.at, { seconds: s.bucketSeconds < 60, zone: false });
    return sameDay ? full.slice(11) : full.slice(5);
  };
  const xLabels = [
    `<text class="axis" x="${xPct(0).toFixed(2)}%" y="${TOP + H + 18}" text-anchor="${pts.length === 1 ? 'middle' : 'start'}">${esc(label(pts[0]))}</text>`,
    pts.length > 1 ? `<text class="axis" x="${xPct(pts.length - 1).toFixed(2)}%" y="${TOP + H + 18}" text-anchor="end">${esc(label(pts.at(-1)))}</text>` : '',
    pts.length > 4 ? `<text class="axis mid" x="${xPct(Math.floor((pts.length - 1) / 2)).toFixed(2)}%" y="${TOP + H + 18}" text-anchor="middle">${esc(label(pts[Math.floor((pts.length - 1) / 2)]))}</text>` : '',
  ].join('');
  return `${head}
<svg class="line-chart" width="100%" height="${TOP + H + 26}" role="img" aria-label="Throughput over time, ${pts.length} points">
${grid}
${line}
${dots}
${yLabels}
${xLabels}
</svg>${sameDay ? `<p class="note">on ${esc(fmtTime(pts[0]?.at ?? null).slice(0, 10))}</p>` : ''}</figure>`;
}

function pointTip(p: ThroughputPoint, bucket: number): string {
  return `${fmtTime(p.at, { seconds: bucket < 60 })}: ${fmtRate(p.itemsPerSecond)} msg/s (${fmtInt(p.items)} messages, ${formatBytes(p.bytes)})`;
}

function problems(r: ProgressReport): string {
  if (r.problemReasons.length === 0) return '';
  const rows = r.problemReasons.map((p) => `<tr><td><span class="state-text s-${p.status === 'failed' ? 'failed' : 'pending'}">${esc(p.status)}</span></td><td class="reason">${esc(p.reason)}</td><td class="num">${esc(fmtInt(p.count))}</td><td class="num">${esc(fmtInt(p.mailboxes))}</td></tr>`);
  return `<section id="problems"><h2>Most common problems</h2>
<p class="note">Failed items are retried by the next run; skipped items (e.g. over the size limit) are not. Details per item: <code>ums-migrate status --problems</code>.</p>
<div class="table-scroll"><table class="problems"><thead><tr><th>status</th><th>reason</th><th class="num">items</th><th class="num">mailboxes</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></section>`;
}

/** The last reconcile of calendars, task lists and address books: each collection equal or not, counts only. */
function groupwareReconcile(r: ProgressReport): string {
  const g = r.groupwareReconcile;
  if (!g || g.mailboxes.length === 0) return '';
  const some = (n: number, what: string) => (n > 0 ? [`${fmtInt(n)} ${what}`] : []);
  const rows = g.mailboxes.flatMap((m) => (m.error !== undefined
    ? [`<tr><td>${esc(m.source)}</td><td>-</td><td><span class="state-text s-failed">not reconciled</span></td><td class="reason">${esc(m.error)}</td><td>${esc(fmtTime(m.checkedAt))}</td></tr>`]
    : m.collections.map((c) => {
      const ok = collectionEqual(c);
      const uids = [`${fmtInt(c.matched)} of ${fmtInt(c.sourceCount)} UIDs matched (${fmtInt(c.targetCount)} in the UMS)`,
        ...some(c.missing, 'missing'), ...some(c.extra, 'extra'), ...some(c.changed, 'changed'), ...some(c.unreadable, 'unreadable in the source')].join(', ');
      const occ = c.instancesCompared > 0 || c.instancesMissing + c.instancesExtra + c.instancesChanged > 0
        ? [`${fmtInt(c.instancesCompared)} occurrences compared`, ...some(c.instancesMissing, 'missing'), ...some(c.instancesExtra, 'extra'), ...some(c.instancesChanged, 'changed')].join(', ')
        : '';
      return `<tr><td>${esc(m.source)}</td><td>${esc(c.target)}</td><td><span class="state-text s-${ok ? 'done' : 'failed'}">${ok ? 'equal' : 'differs'}</span></td>`
        + `<td class="reason">${esc(uids)}${occ ? `<br>${esc(occ)}` : ''}</td><td>${esc(fmtTime(m.checkedAt))}</td></tr>`;
    })));
  return `<section id="groupware-reconcile"><h2>Calendars, task lists and address books</h2>
<p class="note">As found by the last <code>ums-migrate reconcile</code> (occurrences from ${esc(g.window.from)} to ${esc(g.window.to)}): objects matched by UID, every series compared occurrence by occurrence. Details per item: <code>ums-migrate reconcile</code>.</p>
<div class="table-scroll"><table class="problems"><thead><tr><th>mailbox</th><th>collection</th><th>result</th><th>what was compared</th><th>checked</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></section>`;
}

function mailboxTable(mailboxes: MailboxReport[]): string {
  if (mailboxes.length === 0) return '<section id="mailboxes"><h2>Mailboxes</h2><p class="empty">No mailbox in the state store yet: nothing has run.</p></section>';
  const rows: string[] = [];
  let batch: string | null = null;
  for (const m of mailboxes) {
    if (m.batch !== batch) {
      batch = m.batch;
      rows.push(`<tr class="group"><th colspan="9" scope="colgroup">${esc(m.batch)}</th></tr>`);
    }
    const st = STATE_LABEL[m.state];
    const types = shownTypes(m.items);
    rows.push(`<tr class="mailbox" data-state="${m.state}">
<th scope="row" class="name"><span class="src">${breakable(m.source)}</span>${m.target !== m.source ? `<span class="tgt">→ ${breakable(m.target)}</span>` : ''}</th>
<td><span class="state s-${m.state}"><span aria-hidden="true">${st.icon}</span> ${st.text}</span></td>
<td class="progress">${progressBar(m.progress, m.state)}<span class="pct">${esc(fmtPercent(m.progress))}</span></td>
<td class="num items">${types.map((k) => `${esc(doneTotal(m.items, k))}${types.length > 1 ? ` <small>${TYPE_LABEL[k]}</small>` : ''}`).join('<br>')}</td>
<td class="num bytes">${esc(formatBytes(sumDone(m.bytes)))} / ${esc(formatBytes(sumTotal(m.bytes)))}</td>
<td class="num rate">${esc(fmtRate(m.throughput))}</td>
<td class="num eta">${esc(m.state === 'done' ? '–' : fmtDuration(m.etaSeconds))}</td>
<td class="num errors${m.errors > 0 ? ' bad' : ''}" title="${esc(`${m.failedItems} failed items, ${m.folders.failed} failed folders, ${m.skippedItems} skipped items`)}">${esc(fmtInt(m.errors))}${m.skippedItems > 0 ? `<br><small>${esc(fmtInt(m.skippedItems))} skipped</small>` : ''}</td>
<td class="time"><time datetime="${esc(m.lastSyncAt ?? '')}">${esc(fmtTime(m.lastSyncAt, { zone: false }))}</time></td>
</tr>`);
  }
  return `<section id="mailboxes"><h2>Mailboxes <small>(${fmtInt(mailboxes.length)})</small></h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="Mailboxes table, scrolls sideways">
<table class="mailboxes"><thead><tr><th scope="col">mailbox</th><th scope="col">state</th><th scope="col">progress</th><th scope="col" class="num">messages</th><th scope="col" class="num">data</th><th scope="col" class="num">msg/s</th><th scope="col" class="num">ETA</th><th scope="col" class="num">errors</th><th scope="col">last sync (UTC)</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></div></section>`;
}

function doneTotal(t: ByType, k: keyof ByType): string {
  return `${fmtInt(t[k].done)} / ${fmtInt(t[k].total)}`;
}

function footer(r: ProgressReport): string {
  return `<footer>
<h2>How to read this report</h2>
<ul>
<li><b>States</b>: <i>done</i> = every folder copied and no message failed (skipped messages, e.g. over the size limit, are listed under errors but do not block it); <i>failed</i> = a folder or a message failed (the next run retries them); <i>running</i> = work has started; <i>pending</i> = not started.</li>
<li><b>msg/s</b> is measured over the time a mailbox was actually being copied (pauses over ${fmtDuration(5 * 60)} between runs are left out). <b>ETA</b> is the copying time still needed at the recent pace; it does not include pauses between runs and is unknown (–) until messages are written. Mailboxes whose folders were not listed yet are not counted in the totals.</li>
<li><b>Batches</b> are, for now, the domain part of each mailbox's source login; a batch setting in the migration config will replace this grouping.</li>
<li><b>Privacy</b>: this report contains no message subjects and no correspondents' addresses; addresses in server messages are replaced by &lt;address&gt;. It does contain the mailbox logins.</li>
</ul>
<p class="note">ums-migrate report, schema ${r.schemaVersion}, generated ${esc(r.generatedAt)}.</p>
</footer>`;
}

/** Escaped, with line-break opportunities after "@" and before "." (logins wrap at natural places). */
function breakable(s: string): string {
  return s.split(/(?<=@)|(?=\.)/).map(esc).join('<wbr>');
}

function plural(n: number, one: string, many: string): string {
  return `${fmtInt(n)} ${n === 1 ? one : many}`;
}

function truncate(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : `${chars.slice(0, n - 1).join('')}…`;
}

/** The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ v (and > 0). */
function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const CSS = `
:root{--done:#1a7f37;--running:#0969da;--failed:#cf222e;--pending:#6e7781;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--card:#f6f8fa;--track:#e6eaef}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif;color:var(--fg);background:#fff}
main{max-width:1200px;margin:0 auto;padding:16px}
h1{font-size:1.45rem;margin:0 0 4px}
h2{font-size:1.05rem;margin:0 0 8px}
h2 small{font-weight:normal;color:var(--muted)}
.meta,.note{color:var(--muted);font-size:.85rem;margin:0}
header{margin-bottom:16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,165px),1fr));gap:10px;margin-bottom:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px;min-width:0}
.card h2{font-size:.78rem;font-weight:600;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);margin:0}
.card .value{font-size:1.6rem;font-weight:650;margin:2px 0;line-height:1.2}
.card .value small{font-size:.95rem;font-weight:normal;color:var(--muted)}
.card .sub{font-size:.82rem;color:var(--muted);margin:0;overflow-wrap:anywhere}
.card .pbar{display:block;width:100%;margin:4px 0 6px}
.card.bad{border-color:var(--failed)}
.card.bad .value{color:var(--failed)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,380px),1fr));gap:16px;margin-bottom:16px}
.chart{margin:0;border:1px solid var(--line);border-radius:8px;padding:10px 12px;min-width:0}
.chart figcaption{display:flex;flex-wrap:wrap;align-items:baseline;gap:2px 10px;margin-bottom:6px}
.chart figcaption h2{margin:0}
.chart svg{display:block;overflow:hidden}
.chart text{font-size:12px;fill:var(--fg)}
.chart text.detail,.chart text.axis{fill:var(--muted);font-size:11px}
.chart text.axis{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.chart text.pct{font-weight:600}
.track{fill:var(--track)}
.bar-done{fill:var(--done)}
.bar-failed{fill:var(--failed)}
.grid{stroke:var(--line);stroke-width:1}
.line{fill:none;stroke:var(--running);stroke-width:2;stroke-linejoin:round}
.area{fill:var(--running);fill-opacity:.12;stroke:none}
.pt{fill:#fff;stroke:var(--running);stroke-width:1.5}
.empty{color:var(--muted);font-style:italic}
section{margin-bottom:16px}
.table-scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);border-radius:8px;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
thead th{background:var(--card);font-weight:600;white-space:nowrap;position:sticky;top:0}
tbody tr:last-child>*{border-bottom:0}
tr.group th{background:#eef1f4;font-weight:600;color:var(--muted);font-size:.8rem;letter-spacing:.02em}
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.time{white-space:nowrap;font-variant-numeric:tabular-nums}
table.mailboxes th.name{font-weight:normal;min-width:10rem;max-width:18rem;overflow-wrap:anywhere;position:sticky;left:0;background:#fff;z-index:1}
table.mailboxes thead th:first-child{position:sticky;left:0;z-index:2}
.name .src{display:block;font-weight:600}
.name .tgt{display:block;color:var(--muted);font-size:.8rem}
td.reason{overflow-wrap:anywhere;min-width:12rem}
small{color:var(--muted)}
.state{display:inline-block;white-space:nowrap;border-radius:999px;padding:1px 9px;font-size:.8rem;font-weight:600;color:#fff}
.state.s-done{background:var(--done)}
.state.s-running{background:var(--running)}
.state.s-failed{background:var(--failed)}
.state.s-pending{background:var(--pending)}
.state-text{font-weight:600}
.state-text.s-done{color:var(--done)}
.state-text.s-running{color:var(--running)}
.state-text.s-failed{color:var(--failed)}
.state-text.s-pending{color:var(--pending)}
td.progress{white-space:nowrap}
.pbar{display:inline-block;vertical-align:middle;width:90px;height:8px;background:var(--track);border-radius:4px;overflow:hidden}
.pfill{display:block;height:100%;background:var(--running)}
.pfill.s-done{background:var(--done)}
.pfill.s-failed{background:var(--failed)}
.pfill.s-pending{background:var(--pending)}
td.progress .pct{display:inline-block;min-width:3.2em;text-align:right;margin-left:6px;font-variant-numeric:tabular-nums}
td.bad{color:var(--failed);font-weight:600}
footer{border-top:1px solid var(--line);padding-top:10px;font-size:.85rem;color:var(--muted)}
footer h2{font-size:.9rem;color:var(--fg)}
footer ul{padding-left:1.2em;margin:0 0 8px}
code{font-size:.85em}
@media (max-width:480px){main{padding:10px}h1{font-size:1.2rem}.card .value{font-size:1.3rem}table.mailboxes th.name{min-width:10.5rem;max-width:11.5rem}}
@media print{.table-scroll{overflow:visible;border:0}.chart,.card{break-inside:avoid}thead th,table.mailboxes th.name{position:static}}
`;
