import { type KopanoAttachment, type KopanoItem } from './backup-reader.js';
import { type MapiProp, PSETID, PropList } from './mapi-props.js';
import { toCalendarEvent, toTask } from './to-groupware.js';
import { TAG } from '../../mappings/mapi/to-mail.js';

const att = (props: MapiProp[], data?: Buffer, inner?: KopanoItem): KopanoAttachment => ({ props: new PropList(props), data, item: inner });
const item = (cls: string, attachments: KopanoAttachment[]): KopanoItem => ({
  sourcekey: 'CD02', recipients: [], attachments,
  props: new PropList([
    { tag: TAG.MESSAGE_CLASS, value: cls }, { tag: TAG.SUBJECT, value: 'Review' },
    { tag: 0x80010040, value: new Date('2024-03-04T09:00:00Z'), named: { guid: PSETID.Appointment, kind: 'id', id: 0x820d } },
    { tag: 0x80020040, value: new Date('2024-03-04T10:00:00Z'), named: { guid: PSETID.Appointment, kind: 'id', id: 0x820e } },
  ]),
});

describe('Kopano appointment and task attachments', () => {
  const pdf = Buffer.from('%PDF-1.7 minutes');
  const file = att([
    { tag: TAG.ATTACH_METHOD, value: 1 }, { tag: TAG.ATTACH_LONG_FILENAME, value: 'minutes.pdf' }, { tag: TAG.ATTACH_MIME_TAG, value: 'application/pdf' },
  ], pdf);
  const exception = att([{ tag: TAG.ATTACH_METHOD, value: 5 }, { tag: TAG.ATTACHMENT_HIDDEN, value: true }], undefined,
    { sourcekey: 'EX', props: new PropList([{ tag: TAG.MESSAGE_CLASS, value: 'IPM.OLE.CLASS.{00061055-0000-0000-C000-000000000046}' }]), recipients: [], attachments: [] });
  const forwarded = att([{ tag: TAG.ATTACH_METHOD, value: 5 }, { tag: TAG.DISPLAY_NAME, value: 'Fwd: agenda' }], undefined,
    { sourcekey: 'FW', props: new PropList([{ tag: TAG.MESSAGE_CLASS, value: 'IPM.Note' }]), recipients: [], attachments: [] });

  it('carries by-value files, leaves out recurrence exceptions, names an attached mail with a warning', () => {
    const warnings: string[] = [];
    const ev = toCalendarEvent(item('IPM.Appointment', [file, exception, forwarded]), (w) => warnings.push(w));
    expect(ev.attachments?.map((a) => [a.name, a.mimeType])).toEqual([['minutes.pdf', 'application/pdf'], ['Fwd: agenda (not migrated).txt', 'text/plain']]);
    expect(ev.attachments?.[0]?.data).toEqual(pdf);
    expect(warnings).toEqual(['appointment CD02: attachment 3 ("Fwd: agenda") not carried: an attached message (IPM.Note) is not converted on calendar items and tasks']);
  });

  it('carries the attachments of a task', () => {
    const warnings: string[] = [];
    expect(toTask(item('IPM.Task', [file]), (w) => warnings.push(w)).attachments?.map((a) => a.name)).toEqual(['minutes.pdf']);
    expect(warnings).toEqual([]);
  });
});
