/**
 * The report's "Ready for cutover" section: per mailbox the consistency score (items in the UMS
 * against items on the source, per type), failed and skipped items with their most common reasons,
 * and the admin's approval of them (src/cutover/score.ts). Reasons carry no addresses (model.ts
 * redacts them); every value goes through `esc`.
 */
import { readiness, SCORE_TYPES, type MailboxScore } from '../src/cutover/score.js';
import { esc } from './escape.js';
import { timeTag } from './local-time.js';
import type { ProgressReport } from './model.js';
import { fmtInt, TYPE_LABEL } from './text.js';

const LABEL = { mail: TYPE_LABEL.mail, events: TYPE_LABEL.events, contacts: TYPE_LABEL.contacts, tasks: TYPE_LABEL.tasks };

const CLS = { 'not migrated': 'pending', 'in progress': 'pending', 'not approved': 'failed', approved: 'done', complete: 'done' } as const;

function verdict(s: MailboxScore): { cls: string; text: string } {
  const r = readiness(s);
  return { cls: CLS[r.state], text: r.text };
}

export function readinessSection(r: ProgressReport): string {
  const scores = r.cutoverScores ?? [];
  if (scores.length === 0) return '';
  const rows = scores.map((s) => {
    const v = verdict(s);
    const types = SCORE_TYPES.filter((t) => s.byType[t].source + s.byType[t].target > 0)
      .map((t) => `${fmtInt(s.byType[t].target)} of ${fmtInt(s.byType[t].source)} ${LABEL[t]}`).join(', ') || 'nothing counted yet';
    const reasons = s.reasons.map((x) => esc(`${fmtInt(x.count)} ${x.status}: ${x.reason}`)).join('<br>');
    const approval = s.approval
      ? `${esc(`#${s.approval.seq}`)} ${timeTag(s.approval.at)} ${esc(`by ${s.approval.who}: ${s.approval.reason}${s.approval.unapproved > 0 ? ` (${fmtInt(s.approval.unapproved)} new since)` : ''}`)}`
      : '–';
    return `<tr><td>${esc(s.source)}</td><td>${s.score === null ? '–' : esc(`${Math.floor(s.score * 1000) / 10}%`)}</td><td>${esc(types)}</td>`
      + `<td>${esc(fmtInt(s.failed))} / ${esc(fmtInt(s.skipped))}</td><td class="reason">${reasons}</td>`
      + `<td><span class="state-text s-${v.cls}">${esc(v.text)}</span></td><td class="reason">${approval}</td></tr>`;
  });
  return `<section id="cutover-readiness"><h2>Ready for cutover</h2>
<p class="note">Items in the UMS against items on the source at the last pass, per type. A mailbox is cut over only when every failed or skipped item is approved by an admin (<code>ums-migrate approve</code>).</p>
<div class="table-scroll"><table class="problems"><thead><tr><th>mailbox</th><th>score</th><th>UMS / source</th><th>failed / skipped</th><th>most common reasons</th><th>cutover</th><th>approval</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></section>`;
}
