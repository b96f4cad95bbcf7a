import ICAL from 'ical.js';
import { eventToICalendar } from '../groupware/index.js';
import { LID, TAG, toCalendarEvent, toTask, type MapiPropertyReader, type PropRef } from './groupware-item.js';
import { isExceptionAttachment, itemAttachments, type MapiAttachmentRow } from './item-attachments.js';

function row(over: Partial<MapiAttachmentRow>, data?: Buffer): MapiAttachmentRow & { reads: number } {
  const r = { reads: 0, method: 1, ...over, read: () => { r.reads++; return data; } };
  return r;
}

function props(entries: [PropRef, string | Date | boolean][]): MapiPropertyReader {
  const key = (p: PropRef): string => (typeof p === 'number' ? `t${p}` : `${p[0]}:${p[1]}`);
  const m = new Map(entries.map(([k, v]) => [key(k), v]));
  const get = <T>(p: PropRef, ok: (v: unknown) => boolean): T | undefined => { const v = m.get(key(p)); return v !== undefined && ok(v) ? (v as T) : undefined; };
  return {
    string: (p) => get(p, (v) => typeof v === 'string'), number: () => undefined, bool: (p) => get(p, (v) => typeof v === 'boolean'),
    date: (p) => get(p, (v) => v instanceof Date), binary: () => undefined, binaries: () => undefined,
  };
}

describe('MAPI attachments of appointments and tasks', () => {
  it('carries by-value files with their name and MIME type', () => {
    const pdf = Buffer.from('%PDF-1.4 agenda');
    const out = itemAttachments('cal.pst node 7', [
      row({ name: 'agenda.pdf', mimeType: 'Application/PDF' }, pdf),
      row({ name: undefined }, Buffer.from('raw')),
    ]);
    expect(out.attachments).toEqual([
      { name: 'agenda.pdf', mimeType: 'application/pdf', data: pdf },
      { name: 'attachment-2', mimeType: 'application/octet-stream', data: Buffer.from('raw') },
    ]);
    expect(out.warnings).toEqual([]);
  });

  it('leaves out recurrence exceptions (hidden embedded messages) and the contact photo', () => {
    const exc = [
      row({ method: 5, hidden: true, name: 'Lunch' }),
      row({ method: 5, flags: 0x2, name: 'Lunch' }),
      row({ method: 5, embeddedClass: 'IPM.OLE.CLASS.{00061055-0000-0000-C000-000000000046}' }),
    ];
    expect(exc.map(isExceptionAttachment)).toEqual([true, true, true]);
    const out = itemAttachments('x', [...exc, row({ contactPhoto: true }, Buffer.from('jpg'))]);
    expect(out).toEqual({ attachments: [], warnings: [] });
    expect(exc.map((r) => r.reads)).toEqual([0, 0, 0]);
  });

  it('does not load a file over the limit: a note in the item and a warning naming it', () => {
    const big = row({ name: 'video.mp4', size: 30 * 1024 * 1024 }, Buffer.alloc(1));
    const out = itemAttachments('cal.pst node 7', [big]);
    expect(big.reads).toBe(0);
    expect(out.warnings).toEqual(['cal.pst node 7: attachment 1 ("video.mp4") not carried: 30.0 MiB, over the 25.0 MiB limit']);
    expect(out.attachments).toHaveLength(1);
    expect(out.attachments[0]!.name).toBe('video.mp4 (not migrated).txt');
    expect(out.attachments[0]!.data.toString()).toContain('video.mp4');
  });

  it('names an attached mail and a link instead of dropping them', () => {
    const out = itemAttachments('meeting.msg', [
      row({ method: 5, name: 'Fwd: budget', embeddedClass: 'IPM.Note' }),
      row({ method: 2, name: 'plan.xlsx', path: '\\\\srv\\share\\plan.xlsx' }),
    ]);
    expect(out.warnings).toEqual([
      'meeting.msg: attachment 1 ("Fwd: budget") not carried: an attached message (IPM.Note) is not converted on calendar items and tasks',
      'meeting.msg: attachment 2 ("plan.xlsx") not carried: a link, not a copy (\\\\srv\\share\\plan.xlsx)',
    ]);
    expect(out.attachments.map((a) => [a.name, a.mimeType])).toEqual([['Fwd: budget (not migrated).txt', 'text/plain'], ['plan.xlsx (not migrated).txt', 'text/plain']]);
    expect(out.attachments[1]!.data.toString()).toContain('\\\\srv\\share\\plan.xlsx');
  });

  it('fails the item naming an attachment whose bytes are missing or unreadable', () => {
    expect(() => itemAttachments('cal.pst node 9', [row({ name: 'a.doc' })])).toThrow('cal.pst node 9: attachment 1 ("a.doc") has no data (attach method 1)');
    const broken: MapiAttachmentRow = { name: 'b.doc', read: () => { throw new Error('block 42 missing'); } };
    expect(() => itemAttachments('x', [broken])).toThrow('x: attachment 1 ("b.doc") cannot be read: block 42 missing');
    expect(itemAttachments('x', [row({ method: 0 })]).attachments).toEqual([]);
  });

  it('puts them on the event and the task, and the event writes them as ATTACH', () => {
    const data = Buffer.from('hello');
    const attachments = [{ name: 'notes.txt', mimeType: 'text/plain', data }];
    const base = { label: 'x', fallbackUid: 'u1', recipients: [], attachments };
    const ev = toCalendarEvent({ ...base, props: props([[TAG.SUBJECT, 'Standup'], [LID.start, new Date('2024-05-01T08:00:00Z')], [LID.end, new Date('2024-05-01T08:15:00Z')]]) });
    expect(ev.attachments).toEqual(attachments);
    expect(toTask({ ...base, props: props([[TAG.SUBJECT, 'Todo']]) }).attachments).toEqual(attachments);
    const vevent = new ICAL.Component(ICAL.parse(eventToICalendar(ev))).getFirstSubcomponent('vevent')!;
    expect(vevent.getAllProperties('attach').length).toBe(1);
  });
});
