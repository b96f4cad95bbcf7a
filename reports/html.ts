/**
 * The progress report as ONE self-contained HTML file for project managers: no external asset, no
 * network (a Content-Security-Policy forbids every fetch), inline CSS and inline SVG charts. The
 * only script is the tiny time-zone one of local-time.ts (allowed by its hash); without it every
 * time reads in UTC. On a phone the page reflows and the mailbox table becomes one card per
 * mailbox (mailbox-html.ts): nothing scrolls sideways.
 *
 * `renderMain` is the page's content alone: the live dashboard (src/dashboard) swaps it in place.
 *
 * Every string from the state store (mailbox logins, domains, server reasons) is user data and
 * goes through `esc`. The report carries no subjects and no correspondents' addresses.
 */
import { formatBytes } from '../src/util/format.js';
import type { ProgressReport, ThroughputPoint } from './model.js';
import { sumDone, sumTotal } from './model.js';
import { fmtBytesOf, fmtDuration, fmtInt, fmtPercent, fmtRate, fmtTime, shownTypes, TYPE_LABEL } from './text.js';
import { sumBytes, TYPE_OF } from './kinds.js';
import { NOT_MIGRATED_BY } from '../src/engine/not-migrated.js';
import { collectionEqual } from '../src/reconcile/groupware-summary.js';
import { readinessSection } from './readiness-html.js';
import { esc } from './escape.js';
import { LOCAL_TIME_SCRIPT, LOCAL_TIME_SCRIPT_HASH, timeTag } from './local-time.js';
import { mailboxTable, progressBar } from './mailbox-html.js';
import { REPORT_CSS } from './style.js';
import { waveTable } from './waves-html.js';

export { esc } from './escape.js';

export interface HtmlPageOptions {
  /** Extra CSP sources for scripts (the dashboard's own script), besides the time-zone script's hash. */
  scriptSrc?: string[];
  /** Extra CSP `connect-src` (the dashboard's JSON endpoint); default none. */
  connectSrc?: string[];
  /** Markup after `<main>` (the dashboard's script tag). */
  afterMain?: string;
  /** Markup at the top of `<main>`, before the report (the dashboard's live line). */
  banner?: string;
}

export function renderHtml(report: ProgressReport, opts: HtmlPageOptions = {}): string {
  const title = `Migration progress – ${fmtTime(report.generatedAt)}`;
  const csp = [
    "default-src 'none'", "style-src 'unsafe-inline'", 'img-src data:',
    `script-src ${[LOCAL_TIME_SCRIPT_HASH, ...(opts.scriptSrc ?? [])].join(' ')}`,
    ...(opts.connectSrc ? [`connect-src ${opts.connectSrc.join(' ')}`] : []),
    "base-uri 'none'", "form-action 'none'",
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="ums-migrate report (schema ${report.schemaVersion})">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
${opts.banner ?? ''}<main id="report">
${renderMain(report)}
</main>
<script>${LOCAL_TIME_SCRIPT}</script>
${opts.afterMain ?? ''}</body>
</html>
`;
}

/** The report's content (what `<main>` holds). */
export function renderMain(report: ProgressReport): string {
  const t = report.totals;
  const groups = report.batchGrouping === 'wave' ? ['wave', 'waves'] as const : ['batch', 'batches'] as const;
  return `<header>
<h1>Mailbox migration progress</h1>
<p class="meta">Updated ${timeTag(report.generatedAt)} ·
${esc(plural(t.mailboxes, 'mailbox', 'mailboxes'))} in ${esc(plural(report.batches.length, groups[0], groups[1]))} ·
last activity ${timeTag(t.lastSyncAt)}</p>
</header>
${cards(report)}
<div class="charts">
${batchChart(report)}
${throughputChart(report.throughput)}
</div>
${waveTable(report)}
${problems(report)}
${notMigrated(report)}
${groupwareReconcile(report)}
${readinessSection(report)}
${mailboxTable(report)}
${footer(report)}`;
}

function cards(r: ProgressReport): string {
  const t = r.totals;
  const types = shownTypes(t.items);
  const itemLines = types.map((k) => `${fmtInt(t.items[k].done)} of ${fmtInt(t.items[k].total)} ${TYPE_LABEL[k]}`);
  const bytes = fmtBytesOf(sumBytes(t.bytes));
  const uncounted = t.uncounted > 0
    ? `<br><span class="uncounted">${esc(`not counted yet: ${plural(t.uncounted, 'mailbox', 'mailboxes')} (not in these numbers; `)}<code>ums-migrate plan</code>${esc(' counts them)')}</span>`
    : '';
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
${card('progress', 'Overall progress', esc(fmtPercent(t.progress)), `${progressBar(t.progress, 'done')}${itemLines.map(esc).join('<br>')}${uncounted}`)}
${card('mailboxes', 'Mailboxes done', `${esc(fmtInt(t.states.done))}<small> / ${esc(fmtInt(t.mailboxes))}</small>`, otherStates || (t.mailboxes === 0 ? 'none started yet' : 'all done'))}
${card('data', 'Data copied', esc(bytes.done), `of ${esc(bytes.total)}${bytes.total !== 'unknown' ? '' : t.uncounted > 0 ? ' (not every mailbox counted yet)' : ' (the source does not tell every size)'}`)}
${card('throughput', 'Speed', `${esc(fmtRate(t.throughput))}<small> items/s</small>`, `lately: ${esc(fmtRate(t.recentThroughput))} items/s`)}
${card('eta', 'Time left', esc(t.etaSeconds === 0 && t.states.done === t.mailboxes && t.mailboxes > 0 ? 'done' : fmtDuration(t.etaSeconds)), t.etaSeconds === null ? 'known once copying has started' : 'at the recent speed, while copying')}
${card('errors', 'Errors', esc(fmtInt(t.errors)), esc(problemsLine), t.errors > 0 ? ' bad' : '')}
</div>`;
}

/** Horizontal bars, one per wave (or batch): done (green) and failed (red) parts of its items. */
function batchChart(r: ProgressReport): string {
  const batches = r.batches;
  const head = r.batchGrouping === 'wave'
    ? '<figure class="chart" id="batch-chart"><figcaption><h2>Progress per wave</h2><span class="note">waves as the mailbox list sets them</span></figcaption>'
    : '<figure class="chart" id="batch-chart"><figcaption><h2>Progress per batch</h2><span class="note">batch = the domain of the mailbox\'s old address</span></figcaption>';
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
<text class="detail" x="0" y="50">${esc(`${fmtInt(sumDone(b.items))} / ${fmtInt(total)} items · ${plural(b.mailboxes, 'mailbox', 'mailboxes')}${b.errors > 0 ? ` · ${plural(b.errors, 'error', 'errors')}` : ''}`)}</text></g>`;
  });
  return `${head}
<svg class="bars" width="100%" height="${batches.length * ROW}" role="img" aria-label="Progress per ${r.batchGrouping === 'wave' ? 'wave' : 'batch'}">
${rows.join('\n')}
</svg></figure>`;
}

/** Messages per second for all mailboxes together, one point per bucket. */
function throughputChart(s: ProgressReport['throughput']): string {
  const head = `<figure class="chart" id="throughput-chart"><figcaption><h2>Throughput over time</h2><span class="note">items per second, all mailboxes, per ${esc(fmtDuration(s.bucketSeconds))} (<span data-zone>UTC</span>)</span></figcaption>`;
  const pts = s.points;
  if (pts.length === 0) return `${head}<p class="empty">Nothing copied yet.</p></figure>`;
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
  const secs = s.bucketSeconds < 60;
  // UTC text (read without scripts); the time-zone script rewrites it in the viewer's zone (data-t, data-f).
  const label = (p: ThroughputPoint | undefined, x: string, anchor: string, cls = 'axis') => {
    if (!p) return '';
    const full = fmtTime(p.at, { seconds: secs, zone: false });
    return `<text class="${cls}" x="${x}" y="${TOP + H + 18}" text-anchor="${anchor}" data-t="${esc(p.at)}" data-f="${sameDay ? 't' : 'dt'}"${secs ? ' data-s' : ''}>${esc(sameDay ? full.slice(11) : full)}</text>`;
  };
  const mid = Math.floor((pts.length - 1) / 2);
  const xLabels = [
    label(pts[0], `${xPct(0).toFixed(2)}%`, pts.length === 1 ? 'middle' : 'start'),
    pts.length > 1 ? label(pts.at(-1), `${xPct(pts.length - 1).toFixed(2)}%`, 'end') : '',
    pts.length > 4 && sameDay ? label(pts[mid], `${xPct(mid).toFixed(2)}%`, 'middle', 'axis mid') : '',
  ].join('');
  return `${head}
<svg class="line-chart" width="100%" height="${TOP + H + 26}" role="img" aria-label="Throughput over time, ${pts.length} points">
${grid}
${line}
${dots}
${yLabels}
${xLabels}
</svg>${sameDay ? `<p class="note">on ${timeTag(pts[0]?.at ?? null, { what: 'd' })}</p>` : ''}</figure>`;
}

function pointTip(p: ThroughputPoint, bucket: number): string {
  return `${fmtTime(p.at, { seconds: bucket < 60 })}: ${fmtRate(p.itemsPerSecond)} items/s (${fmtInt(p.items)} items, ${formatBytes(p.bytes)})`;
}

function problems(r: ProgressReport): string {
  if (r.problemReasons.length === 0) return '';
  const rows = r.problemReasons.map((p) => `<tr><td><span class="state-text s-${p.status === 'failed' ? 'failed' : 'pending'}">${esc(p.status)}</span></td><td class="reason">${esc(p.reason)}</td><td class="num">${esc(fmtInt(p.count))}</td><td class="num">${esc(fmtInt(p.mailboxes))}</td></tr>`);
  return `<section id="problems"><h2>Most common problems</h2>
<p class="note">Failed items are retried by the next run; skipped items (e.g. over the size limit) are not. Details per item: <code>ums-migrate status --problems</code>.</p>
<div class="table-scroll"><table class="problems"><thead><tr><th>status</th><th>reason</th><th class="num">items</th><th class="num">mailboxes</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></section>`;
}

/** Folders not migrated (journal, notes, no groupware target, left out by the config): counted, with the reason. */
function notMigrated(r: ProgressReport): string {
  const list = r.notMigrated ?? [];
  if (list.length === 0) return '';
  const rows = list.flatMap((m) => m.folders.map((f) => `<tr><td>${esc(m.source)}</td><td>${esc(f.name)}</td><td>${esc(TYPE_LABEL[TYPE_OF[f.kind]])}</td>`
    + `<td class="num">${f.items === null ? 'not counted' : esc(fmtInt(f.items))}</td><td>${esc(NOT_MIGRATED_BY[f.by])}</td><td class="reason">${esc(f.reason)}${f.countError ? `<br>${esc(`not counted: ${f.countError}`)}` : ''}</td></tr>`));
  return `<section id="not-migrated"><h2>Folders not migrated</h2>
<p class="note">Their items are in none of the numbers above. Found by each mailbox's last run; the plan lists them too (<code>ums-migrate plan</code>).</p>
<div class="table-scroll"><table class="problems"><thead><tr><th>mailbox</th><th>folder</th><th>kind</th><th class="num">items</th><th>why</th><th>reason</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></section>`;
}

/** The last reconcile of calendars, task lists and address books: each collection equal or not, counts only. */
function groupwareReconcile(r: ProgressReport): string {
  const g = r.groupwareReconcile;
  if (!g || g.mailboxes.length === 0) return '';
  const some = (n: number, what: string) => (n > 0 ? [`${fmtInt(n)} ${what}`] : []);
  const rows = g.mailboxes.flatMap((m) => (m.error !== undefined
    ? [`<tr><td>${esc(m.source)}</td><td>-</td><td><span class="state-text s-failed">not reconciled</span></td><td class="reason">${esc(m.error)}</td><td>${timeTag(m.checkedAt)}</td></tr>`]
    : m.collections.map((c) => {
      const ok = collectionEqual(c);
      const uids = [`${fmtInt(c.matched)} of ${fmtInt(c.sourceCount)} UIDs matched (${fmtInt(c.targetCount)} in the UMS)`,
        ...some(c.missing, 'missing'), ...some(c.extra, 'extra'), ...some(c.changed, 'changed'), ...some(c.unreadable, 'unreadable in the source')].join(', ');
      const occ = c.instancesCompared > 0 || c.instancesMissing + c.instancesExtra + c.instancesChanged > 0
        ? [`${fmtInt(c.instancesCompared)} occurrences compared`, ...some(c.instancesMissing, 'missing'), ...some(c.instancesExtra, 'extra'), ...some(c.instancesChanged, 'changed')].join(', ')
        : '';
      return `<tr><td>${esc(m.source)}</td><td>${esc(c.target)}</td><td><span class="state-text s-${ok ? 'done' : 'failed'}">${ok ? 'equal' : 'differs'}</span></td>`
        + `<td class="reason">${esc(uids)}${occ ? `<br>${esc(occ)}` : ''}</td><td>${timeTag(m.checkedAt)}</td></tr>`;
    })));
  return `<section id="groupware-reconcile"><h2>Calendars, task lists and address books</h2>
<p class="note">As found by the last <code>ums-migrate reconcile</code> (occurrences from ${esc(g.window.from)} to ${esc(g.window.to)}): objects matched by UID, every series compared occurrence by occurrence. Details per item: <code>ums-migrate reconcile</code>.</p>
<div class="table-scroll"><table class="problems"><thead><tr><th>mailbox</th><th>collection</th><th>result</th><th>what was compared</th><th>checked</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></section>`;
}

function footer(r: ProgressReport): string {
  const grouping = r.batchGrouping === 'wave'
    ? '<li><b>Waves</b> are the groups of mailboxes switched over together, as the mailbox list names them; <i>consistency</i> is the share of the items found on the old system that are in the new one.</li>'
    : '<li><b>Batches</b> group mailboxes by the domain of their old address (give mailboxes a wave in the mailbox list to group them by wave).</li>';
  return `<footer>
<h2>How to read this report</h2>
<ul>
<li><b>States</b>: <i>done</i> = everything copied and nothing failed (items left out on purpose, e.g. too large, are counted under errors as skipped but do not stop a mailbox from being done); <i>failed</i> = something could not be copied (the next run tries again); <i>running</i> = copying has started; <i>pending</i> = not started yet.</li>
<li><b>Items</b> are e-mails, calendar entries, contacts and tasks, counted apart. A size the old system does not report is shown as <i>unknown</i>.</li>
<li><b>Time left</b> is the copying time still needed at the recent speed; breaks between runs are not included, and it is unknown (–) until copying has started. Mailboxes not looked at yet are not in the totals.</li>
${grouping}
<li><b>Times</b> are shown in <span data-zone>UTC</span>; point at a time to see it in UTC.</li>
<li><b>Privacy</b>: no e-mail subjects and no addresses of correspondents; addresses in server messages are replaced by &lt;address&gt;. Mailbox names are shown.</li>
</ul>
<p class="note">Made by ums-migrate on ${timeTag(r.generatedAt)}.</p>
</footer>`;
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

