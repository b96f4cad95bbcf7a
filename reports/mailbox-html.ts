/**
 * The report's per-mailbox table. On a wide screen one row per mailbox, grouped by wave (or
 * batch); under the phone breakpoint (style.ts) each row becomes a card: mailbox, state, progress,
 * time left and errors first, then the counts, each cell labelled by its `data-label`, so nothing
 * scrolls sideways on a 390 px screen.
 */
import type { ByType, ItemType, MailboxReport, MailboxState, ProgressReport } from './model.js';
import { esc } from './escape.js';
import { timeTag } from './local-time.js';
import { fmtBytesOf, fmtDuration, fmtInt, fmtPercent, fmtRate, shownTypes, TYPE_LABEL } from './text.js';
import { sumBytes } from './kinds.js';

export const STATE_LABEL: Record<MailboxState, { icon: string; text: string }> = {
  pending: { icon: '○', text: 'pending' },
  running: { icon: '▶', text: 'running' },
  done: { icon: '✓', text: 'done' },
  failed: { icon: '✕', text: 'failed' },
};

export function progressBar(fraction: number, state: MailboxState): string {
  const pct = Math.max(0, Math.min(100, fraction * 100));
  return `<span class="pbar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${Math.floor(pct)}"><span class="pfill s-${state}" style="width:${pct.toFixed(1)}%"></span></span>`;
}

export function mailboxTable(report: ProgressReport): string {
  const mailboxes = report.mailboxes;
  if (mailboxes.length === 0) return '<section id="mailboxes"><h2>Mailboxes</h2><p class="empty">No mailbox yet: nothing has run and the config lists none.</p></section>';
  const groupWord = report.batchGrouping === 'wave' ? 'Wave' : 'Batch';
  const rows: string[] = [];
  let batch: string | null = null;
  for (const m of mailboxes) {
    if (m.batch !== batch) {
      batch = m.batch;
      rows.push(`<tr class="group"><th colspan="9" scope="colgroup">${esc(`${groupWord}: ${m.batch}`)}</th></tr>`);
    }
    rows.push(mailboxRow(m));
  }
  return `<section id="mailboxes"><h2>Mailboxes <small>(${fmtInt(mailboxes.length)})</small></h2>
<div class="table-scroll mailbox-list" tabindex="0" role="region" aria-label="Mailboxes">
<table class="mailboxes"><thead><tr><th scope="col">mailbox</th><th scope="col">state</th><th scope="col">progress</th><th scope="col" class="num">time left</th><th scope="col" class="num">errors</th><th scope="col" class="num">items copied</th><th scope="col" class="num">data copied</th><th scope="col" class="num">items/s</th><th scope="col">last change</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></div></section>`;
}

function mailboxRow(m: MailboxReport): string {
  const st = STATE_LABEL[m.state];
  const types = shownTypes(m.items);
  const bytes = fmtBytesOf(sumBytes(m.bytes));
  const errorsTip = `${m.failedItems} failed items, ${m.folders.failed} failed folders, ${m.skippedItems} skipped items`;
  return `<tr class="mailbox" data-state="${m.state}">
<th scope="row" class="name"><span class="src">${breakable(m.source)}</span>${m.target !== m.source ? `<span class="tgt">→ ${breakable(m.target)}</span>` : ''}</th>
<td class="state-cell"><span class="state s-${m.state}"><span aria-hidden="true">${st.icon}</span> ${st.text}</span></td>
<td class="progress">${progressBar(m.progress, m.state)}<span class="pct">${esc(fmtPercent(m.progress))}</span></td>
<td class="num eta" data-label="time left">${esc(m.state === 'done' ? '–' : fmtDuration(m.etaSeconds))}</td>
<td class="num errors${m.errors > 0 ? ' bad' : ''}" data-label="errors" title="${esc(errorsTip)}">${esc(fmtInt(m.errors))}${m.skippedItems > 0 ? ` <small>${esc(fmtInt(m.skippedItems))} skipped</small>` : ''}</td>
<td class="num items" data-label="items">${types.map((k) => `<span class="kind k-${k}">${esc(doneTotal(m.items, k))} <small>${TYPE_LABEL[k]}</small></span>`).join('<br>')}</td>
<td class="num bytes" data-label="data">${esc(bytes.done)} / ${esc(bytes.total)}</td>
<td class="num rate" data-label="items/s">${esc(fmtRate(m.throughput))}</td>
<td class="time" data-label="last change">${timeTag(m.lastSyncAt)}</td>
</tr>`;
}

function doneTotal(t: ByType, k: ItemType): string {
  return `${fmtInt(t[k].done)} / ${fmtInt(t[k].total)}`;
}

/** Escaped, with line-break opportunities after "@" and before "." (logins wrap at natural places). */
function breakable(s: string): string {
  return s.split(/(?<=@)|(?=\.)/).map(esc).join('<wbr>');
}
