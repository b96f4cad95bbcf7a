import type { Container } from '../src/model/types.js';
import { planContainers, parseCollectionRef } from './groupware-collections.js';
import type { FolderRules } from './folders.js';

const rules: FolderRules = {
  include: ['**'], exclude: [], rename: [], invalidCharReplacement: '_',
  specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' },
};
const ns = { prefix: 'INBOX.', delimiter: '.' };
const c = (id: string, kind: Container['kind']): Container => ({ id, path: id.split('/'), delimiter: '/', kind });
const all = [c('Inbox', 'mail'), c('Kalender', 'event'), c('Kalender/Team', 'event'), c('Kontakte', 'contact'), c('Aufgaben', 'task')];

describe('planContainers', () => {
  test('mail keeps the IMAP mapping; groupware becomes collection refs named after the folders', () => {
    const { folders } = planContainers(all, rules, ns, ['mail', 'event', 'task', 'contact']);
    expect(folders.map((f) => [f.sourceId, f.target, f.included])).toEqual([
      ['Inbox', 'INBOX', true], ['Kalender', 'calendar:Kalender', true], ['Kalender/Team', 'calendar:Kalender / Team', true],
      ['Kontakte', 'addressbook:Kontakte', true], ['Aufgaben', 'tasks:Aufgaben', true],
    ]);
    expect(parseCollectionRef('calendar:Kalender / Team')).toEqual({ kind: 'calendar', displayName: 'Kalender / Team' });
    expect(parseCollectionRef('INBOX.Sent')).toBeUndefined();
  });

  test('without a groupware target the collections are listed as not migrated, with the reason', () => {
    const { folders } = planContainers(all, rules, ns, ['mail']);
    expect(folders.filter((f) => !f.included).map((f) => f.reason)).toEqual([
      'calendars need a groupware target (groupwareTarget in the config)', 'calendars need a groupware target (groupwareTarget in the config)',
      'address books need a groupware target (groupwareTarget in the config)', 'task lists need a groupware target (groupwareTarget in the config)',
    ]);
  });

  test('exclude globs and exact renames apply; merged collections are warned about', () => {
    const r = { ...rules, exclude: ['Kalender/*'], rename: [{ from: 'Aufgaben', to: 'Tasks' }, { from: 'Kontakte', to: 'Kalender' }] };
    const { folders, warnings } = planContainers([...all, c('Other/Kalender', 'event')], { ...r, rename: [...r.rename, { from: 'Other/Kalender', to: 'Kalender' }] }, ns, ['mail', 'event', 'task', 'contact']);
    const by = new Map(folders.map((f) => [f.sourceId, f]));
    expect(by.get('Kalender/Team')?.reason).toBe('excluded by pattern "Kalender/*"');
    expect(by.get('Aufgaben')?.target).toBe('tasks:Tasks');
    expect(by.get('Kontakte')?.target).toBe('addressbook:Kalender');
    expect(warnings).toEqual(['"Kalender", "Other/Kalender" all map to "calendar:Kalender"; their items will be merged (one object per UID)']);
  });

  test('a mail folder that would read as a collection ref is renamed (empty namespace prefix)', () => {
    const { folders } = planContainers([c('calendar:x', 'mail')], rules, { prefix: '', delimiter: '/' }, ['mail', 'event']);
    expect(folders[0]?.target).toBe('calendar_x');
    expect(folders[0]?.notes.join()).toMatch(/read as a groupware collection/);
  });
});

test('a non-mail container the source marks as skipped stays out, with its reason, even when the target takes groupware', () => {
  const plan = planContainers([
    { id: 'cal', path: ['Calendar'], kind: 'event', skip: 'calendar items are not converted yet' },
    { id: 'con', path: ['Contacts'], kind: 'contact' },
  ], rules, { prefix: 'INBOX.', delimiter: '.' }, ['mail', 'event', 'contact', 'task']);
  expect(plan.folders.map((f) => [f.sourceId, f.included, f.reason])).toEqual([
    ['cal', false, 'calendar items are not converted yet'],
    ['con', true, undefined],
  ]);
  expect(plan.warnings).toEqual(['"Calendar" not migrated: calendar items are not converted yet']);
});
