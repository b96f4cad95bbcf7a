/**
 * How a groupware reconciliation reads: text (a table per mailbox, then each differing UID with
 * its fields and occurrences), CSV rows in the mail reconcile's columns, and the JSON form.
 * Privacy as for mail: summaries, names, addresses and the values of personal fields appear only
 * with --show-subjects; otherwise they are replaced by a short hash, so that "differs" is still
 * visible. Pure.
 */
import { createHash } from 'node:crypto';
import type { CollectionComparison, FieldDiff, GroupwareDiff, InstanceDiff } from './groupware-compare.js';

const MAX_TEXT_INSTANCES = 20;

function hashed(v: string | undefined): string {
  return v === undefined ? '(absent)' : `hash:${createHash('sha256').update(v).digest('hex').slice(0, 8)}`;
}

function value(f: FieldDiff, v: string | undefined, show: boolean): string {
  if (v === undefined) return '(absent)';
  return f.private && !show ? hashed(v) : v;
}

export function fieldText(f: FieldDiff, show: boolean): string {
  const where = f.component === 'master' || f.component === 'card' ? '' : ` (${f.component})`;
  return `${f.field}${where}: ${value(f, f.source, show)} → ${value(f, f.target, show)}`;
}

export function instanceText(i: InstanceDiff, show: boolean): string {
  const when = `instance ${i.start}${i.allDay ? ' (all-day)' : ''}`;
  const title = show && i.summary !== undefined ? ` "${i.summary}"` : '';
  if (i.kind === 'missing') return `${when}${title} missing in the UMS`;
  if (i.kind === 'extra') return `${when}${title} extra in the UMS`;
  return `${when}${title} changed: ${i.detail ?? ''}`;
}

export function counts(c: CollectionComparison): Record<'missing' | 'extra' | 'changed' | 'unreadable' | 'instancesMissing' | 'instancesExtra' | 'instancesChanged', number> {
  const inst = c.diffs.flatMap((d) => d.instances ?? []);
  const n = (k: string) => c.diffs.filter((d) => d.kind === k).length;
  return {
    missing: n('missing'), extra: n('extra'), changed: n('changed'), unreadable: n('unreadable'),
    instancesMissing: inst.filter((i) => i.kind === 'missing').length, instancesExtra: inst.filter((i) => i.kind === 'extra').length,
    instancesChanged: inst.filter((i) => i.kind === 'changed').length,
  };
}

/**
 * A reason as the normaliser words it names the object by its summary or name
 * (`UID x (SUMMARY "Board meeting")`, `vCard #2 "John Doe"`): hashed unless `show`.
 */
export function reasonText(reason: string | undefined, show: boolean): string {
  if (reason === undefined) return '';
  if (show) return reason;
  return reason.replace(/\((SUMMARY|FN) "((?:[^"\\]|\\.)*)"\)/g, (_m, what: string, v: string) => `(${what} ${hashed(v)})`)
    .replace(/(vCard #\d+) "((?:[^"\\]|\\.)*)"/g, (_m, card: string, v: string) => `${card} ${hashed(v)}`);
}

function headline(d: GroupwareDiff, c: CollectionComparison, show: boolean): string {
  const title = show && d.title ? ` "${d.title}"` : '';
  const src = d.sources?.length ? ` source ${d.sources.join(', ')}` : '';
  const ums = d.targets?.length ? ` UMS ${d.targets.join(', ')}` : '';
  if (d.kind === 'unreadable') return `unreadable ${c.target}${src}${ums}: ${reasonText(d.reason, show)}`;
  const what = d.kind === 'missing' ? 'not in the UMS' : d.kind === 'extra' ? 'in the UMS but not in the source' : 'differs';
  return `${d.kind.padEnd(7)} ${c.target} UID ${d.uid ?? '?'}${title}${src}${ums}: ${what}`;
}

/** The text lines of the collections of one mailbox (indented like the mail part). */
export function collectionsText(cols: CollectionComparison[], show: boolean): string[] {
  if (cols.length === 0) return [];
  const out: string[] = [];
  const rows = cols.map((c) => {
    const k = counts(c);
    return [c.target, c.sources.join(', '), c.sourceCount, c.targetCount, c.matched, k.missing, k.extra, k.changed, k.unreadable,
      c.instancesCompared, `${k.instancesMissing}/${k.instancesExtra}/${k.instancesChanged}`];
  });
  const head = ['UMS collection', 'source folders', 'source UIDs', 'UMS UIDs', 'matched', 'missing', 'extra', 'changed', 'unreadable', 'occurrences compared', 'occ. missing/extra/changed'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) => `   ${r.map((v, i) => String(v).padEnd(widths[i] ?? 0)).join('  ').trimEnd()}`;
  out.push(line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line));
  for (const c of cols) {
    for (const d of c.diffs) {
      out.push(`   ${headline(d, c, show)}`);
      for (const f of d.fields ?? []) out.push(`      ${fieldText(f, show)}`);
      const inst = d.instances ?? [];
      for (const i of inst.slice(0, MAX_TEXT_INSTANCES)) out.push(`      ${instanceText(i, show)}`);
      if (inst.length > MAX_TEXT_INSTANCES) out.push(`      … and ${inst.length - MAX_TEXT_INSTANCES} more occurrence differences (--format json lists all)`);
      if (inst.length > 0) {
        const m = inst.filter((i) => i.kind === 'missing').length;
        const e = inst.filter((i) => i.kind === 'extra').length;
        out.push(`      occurrences: ${m} missing in the UMS, ${e} extra, ${inst.length - m - e} changed`);
      }
      for (const n of d.notes ?? []) out.push(`      note: ${n}`);
    }
  }
  return out;
}

/** Rows in the mail CSV's columns: mailbox, ums_folder, kind, folder, uid, ums_uid, internal_date, size, message_id, explanation[, subject]. */
export function collectionsCsvRows(mailbox: string, cols: CollectionComparison[], show: boolean): string[][] {
  const rows: string[][] = [];
  for (const c of cols) {
    for (const d of c.diffs) {
      const row = (kind: string, explanation: string, subject = d.title) => {
        rows.push([mailbox, c.target, kind, (d.sources ?? []).join(' '), d.uid ?? '', (d.targets ?? []).join(' '), '', '', '', explanation, ...(show ? [subject ?? ''] : [])]);
      };
      if (d.kind === 'unreadable') row('unreadable', reasonText(d.reason, show));
      else if (d.kind === 'missing') row('missing', 'not in the UMS');
      else if (d.kind === 'extra') row('extra', 'in the UMS but not in the source');
      for (const f of d.fields ?? []) row('field', fieldText(f, show));
      for (const i of d.instances ?? []) row(`occurrence ${i.kind}`, instanceText(i, false), i.summary);
      for (const n of d.notes ?? []) row('note', n);
    }
  }
  return rows;
}

/** The JSON form: personal values hashed and summaries left out unless `show`. */
export function redactCollections(cols: CollectionComparison[], show: boolean): unknown {
  if (show) return cols;
  return cols.map((c) => ({
    ...c,
    diffs: c.diffs.map((d) => ({
      ...d,
      title: undefined,
      reason: d.reason === undefined ? undefined : reasonText(d.reason, false),
      fields: d.fields?.map((f) => ({ ...f, source: f.private && f.source !== undefined ? hashed(f.source) : f.source, target: f.private && f.target !== undefined ? hashed(f.target) : f.target })),
      instances: d.instances?.map((i) => ({ ...i, summary: undefined })),
    })),
  }));
}
