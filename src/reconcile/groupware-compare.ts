/**
 * Reconciliation of one calendar, task list or address book: the source objects (already through
 * the normalisation stage) against the objects in the UMS collection, matched by UID. Per UID:
 * missing in the UMS, extra there, or changed — each differing field named (groupware-ical.ts,
 * groupware-vcard.ts say which fields count), and for events the occurrences inside the window
 * compared one by one (groupware-expand.ts): a shifted day, a lost override or a dropped EXDATE is
 * an occurrence missing on one side and/or extra on the other, named by its date. Pure.
 */
import type { CollectionKind } from '../../mappings/groupware-collections.js';
import { expandSeries, type ExpansionWindow, type Instance } from './groupware-expand.js';
import { addComponent, componentFields, PRIVATE_FIELDS, readCalendarObjects, type CalendarSeries, type Fields } from './groupware-ical.js';
import { PRIVATE_CARD_FIELDS, readCards } from './groupware-vcard.js';
import { coerceError } from '../util/errors.js';

export interface SideObject {
  /** Source: "<container id>/<item id>"; UMS: the object's id in the collection. */
  origin: string;
  text: string;
}

export interface FieldDiff {
  field: string;
  /** "master", "override <RECURRENCE-ID>", or "card". */
  component: string;
  source?: string;
  target?: string;
  /** Personal data: shown only with --show-subjects. */
  private: boolean;
}

export interface InstanceDiff {
  kind: 'missing' | 'extra' | 'changed';
  start: string;
  allDay: boolean;
  /** For "changed": what differs ("end 2027-03-05T10:00:00Z → 2027-03-05T11:00:00Z", "summary differs"). */
  detail?: string;
  /** Only shown with --show-subjects. */
  summary?: string;
}

export type GroupwareDiffKind = 'missing' | 'extra' | 'changed' | 'unreadable';

export interface GroupwareDiff {
  kind: GroupwareDiffKind;
  uid?: string;
  /** Source items holding the UID (missing, changed) or the unreadable one. */
  sources?: string[];
  /** UMS objects holding the UID (extra, changed) or the unreadable one. */
  targets?: string[];
  fields?: FieldDiff[];
  instances?: InstanceDiff[];
  /** unreadable: why; which side is in `sources`/`targets`. */
  reason?: string;
  /** Notes on the expansion (cut at the cap, overrides off the rule). */
  notes?: string[];
  /** The summary or FN (only shown with --show-subjects). */
  title?: string;
}

export interface CollectionComparison {
  target: string;
  kind: CollectionKind;
  sources: string[];
  /** Distinct UIDs on each side. */
  sourceCount: number;
  targetCount: number;
  /** UIDs on both sides. */
  matched: number;
  /** Occurrences compared (calendars), both sides together. */
  instancesCompared: number;
  diffs: GroupwareDiff[];
}

export interface CompareOptions {
  window: ExpansionWindow;
  maxIterations?: number;
  /** Source containers that map into this collection (for the report). */
  sourceContainers?: string[];
  /** Source objects that could not be normalised (each a difference: they cannot be in the UMS). */
  sourceFailures?: { origin: string; what: string; reason: string }[];
}

interface Entry { origins: string[]; series?: CalendarSeries; card?: Fields; title: string }

function readSide(kind: CollectionKind, objects: SideObject[], side: 'source' | 'target', diffs: GroupwareDiff[]): Map<string, Entry> {
  const byUid = new Map<string, Entry>();
  for (const o of objects) {
    try {
      if (kind === 'addressbook') {
        for (const c of readCards(o.text)) {
          const e = byUid.get(c.uid);
          if (e) e.origins.push(o.origin);
          else byUid.set(c.uid, { origins: [o.origin], card: c.fields, title: c.fields.get('FN') ?? '' });
        }
        continue;
      }
      for (const s of readCalendarObjects(o.text)) {
        const e = byUid.get(s.uid);
        if (!e) {
          byUid.set(s.uid, { origins: [o.origin], series: s, title: String(s.master?.getFirstPropertyValue('summary') ?? '') });
          continue;
        }
        e.origins.push(o.origin);
        // One UID in several items (master and overrides apart): one object in the UMS.
        if (e.series) for (const c of [...(s.master ? [s.master] : []), ...s.overrides.values()]) addComponent(e.series, c);
      }
    } catch (err) {
      diffs.push({ kind: 'unreadable', [side === 'source' ? 'sources' : 'targets']: [o.origin], reason: coerceError(err).message });
    }
  }
  return byUid;
}

function compareFields(a: Fields, b: Fields, component: string, privateFields: Set<string>): FieldDiff[] {
  const out: FieldDiff[] = [];
  for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (a.get(k) !== b.get(k)) out.push({ field: k, component, source: a.get(k), target: b.get(k), private: privateFields.has(k) });
  }
  return out;
}

function compareSeries(s: CalendarSeries, t: CalendarSeries): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (s.type !== t.type) out.push({ field: 'component', component: 'series', source: s.type, target: t.type, private: false });
  if (s.master || t.master) {
    const sm = s.master ? componentFields(s.master) : new Map<string, string>();
    const tm = t.master ? componentFields(t.master) : new Map<string, string>();
    if (!s.master || !t.master) out.push({ field: 'master', component: 'series', source: s.master ? 'present' : 'absent', target: t.master ? 'present' : 'absent', private: false });
    else out.push(...compareFields(sm, tm, 'master', PRIVATE_FIELDS));
  }
  const sr = [...s.overrides.keys()].sort();
  const tr = [...t.overrides.keys()].sort();
  if (sr.join(', ') !== tr.join(', ')) out.push({ field: 'RECURRENCE-ID', component: 'series', source: sr.join(', ') || undefined, target: tr.join(', ') || undefined, private: false });
  for (const rid of sr) {
    const to = t.overrides.get(rid);
    const so = s.overrides.get(rid);
    if (so && to) out.push(...compareFields(componentFields(so), componentFields(to), `override ${rid}`, PRIVATE_FIELDS));
  }
  return out;
}

/** Pairs occurrences by start: equal ones cancel, a pair left at one start is "changed", the rest missing/extra. */
export function compareInstances(source: Instance[], target: Instance[]): InstanceDiff[] {
  const group = (xs: Instance[]) => {
    const m = new Map<string, Instance[]>();
    for (const x of xs) m.set(x.start, [...(m.get(x.start) ?? []), x]);
    return m;
  };
  const gs = group(source);
  const gt = group(target);
  const out: { ms: number; d: InstanceDiff }[] = [];
  for (const start of new Set([...gs.keys(), ...gt.keys()])) {
    const a = [...(gs.get(start) ?? [])];
    const b = [...(gt.get(start) ?? [])];
    for (let i = a.length - 1; i >= 0; i--) {
      const x = a[i] as Instance;
      const j = b.findIndex((y) => y.end === x.end && y.summaryHash === x.summaryHash);
      if (j >= 0) { a.splice(i, 1); b.splice(j, 1); }
    }
    while (a.length > 0 && b.length > 0) {
      const x = a.shift() as Instance;
      const y = b.shift() as Instance;
      const what = [...(x.end !== y.end ? [`end ${x.end} → ${y.end}`] : []), ...(x.summaryHash !== y.summaryHash ? ['summary differs'] : [])];
      out.push({ ms: x.ms, d: { kind: 'changed', start, allDay: x.allDay, detail: what.join('; '), summary: x.summary } });
    }
    for (const x of a) out.push({ ms: x.ms, d: { kind: 'missing', start, allDay: x.allDay, summary: x.summary } });
    for (const y of b) out.push({ ms: y.ms, d: { kind: 'extra', start, allDay: y.allDay, summary: y.summary } });
  }
  return out.sort((p, q) => p.ms - q.ms || p.d.start.localeCompare(q.d.start) || p.d.kind.localeCompare(q.d.kind)).map((p) => p.d);
}

export function compareCollection(target: string, kind: CollectionKind, source: SideObject[], umsObjects: SideObject[], opts: CompareOptions): CollectionComparison {
  const diffs: GroupwareDiff[] = (opts.sourceFailures ?? []).map((f) => ({ kind: 'unreadable' as const, sources: [f.origin], reason: `${f.what}: ${f.reason}` }));
  const src = readSide(kind, source, 'source', diffs);
  const ums = readSide(kind, umsObjects, 'target', diffs);
  let matched = 0;
  let instancesCompared = 0;
  for (const [uid, s] of [...src].sort(([a], [b]) => a.localeCompare(b))) {
    const t = ums.get(uid);
    if (!t) {
      diffs.push({ kind: 'missing', uid, sources: s.origins, title: s.title });
      continue;
    }
    matched++;
    const fields = s.card && t.card ? compareFields(s.card, t.card, 'card', PRIVATE_CARD_FIELDS)
      : s.series && t.series ? compareSeries(s.series, t.series) : [];
    const d: GroupwareDiff = { kind: 'changed', uid, sources: s.origins, targets: t.origins, title: s.title };
    if (fields.length > 0) d.fields = fields;
    if (kind === 'calendar' && s.series?.type === 'VEVENT' && t.series?.type === 'VEVENT') {
      const a = expandSeries(s.series, opts.window, opts.maxIterations);
      const b = expandSeries(t.series, opts.window, opts.maxIterations);
      instancesCompared += a.instances.length + b.instances.length;
      const inst = compareInstances(a.instances, b.instances);
      if (inst.length > 0) d.instances = inst;
      const notes = [...new Set([...s.series.notes, ...a.notes.map((n) => `source: ${n}`), ...b.notes.map((n) => `UMS: ${n}`),
        ...(a.capped ? [`source: ${a.capped}`] : []), ...(b.capped ? [`UMS: ${b.capped}`] : [])])];
      if (notes.length > 0) d.notes = notes;
    }
    if (d.fields || d.instances) diffs.push(d);
  }
  for (const [uid, t] of [...ums].sort(([a], [b]) => a.localeCompare(b))) {
    if (!src.has(uid)) diffs.push({ kind: 'extra', uid, targets: t.origins, title: t.title });
  }
  return {
    target, kind, sources: opts.sourceContainers ?? [], sourceCount: src.size, targetCount: ums.size, matched, instancesCompared, diffs,
  };
}
