/**
 * The report's "Waves" table (only when mailboxes are grouped by wave): per wave its mailboxes,
 * their states, % done, the consistency score and the state of its driven cutover.
 */
import { esc } from './escape.js';
import { timeTag } from './local-time.js';
import type { ProgressReport } from './model.js';
import { fmtInt, fmtPercent } from './text.js';
import { WAVE_STEP_TEXT } from './waves.js';

export function waveTable(r: ProgressReport): string {
  if (r.batchGrouping !== 'wave' || r.batches.length === 0) return '';
  const rows = r.batches.map((b) => {
    const states = (['done', 'running', 'pending', 'failed'] as const).filter((s) => b.states[s] > 0)
      .map((s) => `<span class="state-text s-${s}">${esc(`${fmtInt(b.states[s])} ${s}`)}</span>`).join(', ');
    const score = b.score === undefined || b.score === null ? '–' : `${Math.floor(b.score * 1000) / 10}%`;
    const c = b.cutover;
    const cutover = c
      ? `${esc(WAVE_STEP_TEXT[c.step])}${c.cutOver > 0 ? esc(` · ${fmtInt(c.cutOver)} switched`) : ''}${c.held > 0 ? ` · <span class="state-text s-failed">${esc(`${fmtInt(c.held)} held back`)}</span>` : ''}<br><small>${timeTag(c.updatedAt)}</small>`
      : '–';
    return `<tr class="wave"><th scope="row">${esc(b.name)}</th><td class="num" data-label="mailboxes">${esc(fmtInt(b.mailboxes))}</td><td data-label="states">${states || '–'}</td>`
      + `<td class="num" data-label="done">${esc(fmtPercent(b.progress))}</td><td class="num" data-label="consistency">${esc(score)}</td><td data-label="cutover">${cutover}</td></tr>`;
  });
  return `<section id="waves"><h2>Waves</h2>
<div class="table-scroll wave-list"><table class="waves"><thead><tr><th scope="col">wave</th><th scope="col" class="num">mailboxes</th><th scope="col">states</th><th scope="col" class="num">done</th><th scope="col" class="num">consistency</th><th scope="col">cutover</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></section>`;
}
