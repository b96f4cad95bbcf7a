import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KopanoItem, KopanoUserBackup, splitFolderPath } from './backup-reader.js';
import { type MapiProp, type MapiValue, PSETID, PropList } from './mapi-props.js';
import { fixtureMissing, kopanoFixture, prerequisiteMissing } from './test-support.js';

describe('kopano-backup folder paths', () => {
  it('splits on "/" and keeps an escaped "\\/" inside a name', () => {
    expect(splitFolderPath('Inbox/Invoices 2020\\/2021')).toEqual(['Inbox', 'Invoices 2020/2021']);
    expect(splitFolderPath('Sent Items')).toEqual(['Sent Items']);
    expect(splitFolderPath('a\\\\b/c')).toEqual(['a\\b', 'c']);
  });
});

// The oracle's JSON forms (see the fixture README): FILETIMEs with iso_utc, binaries as hex or len+sha256.
type ExpValue = unknown;
interface ExpProp { tag: string; value: ExpValue; named?: { guid: string; id: string; kind: string } }
interface ExpAttachment { props: ExpProp[]; data?: ExpValue; embedded?: ExpItem }
interface ExpItem { props: ExpProp[]; recipients: ExpProp[][]; attachments: ExpAttachment[] }
interface ExpFolder {
  dir: string; path: string; folder_props: Record<string, ExpValue>;
  index: Record<string, Record<string, unknown>>; items: Record<string, ExpItem>;
}

function expectValue(got: MapiValue | undefined, exp: ExpValue, what: string): void {
  const e = exp as Record<string, unknown>;
  if (got instanceof Date) {
    expect([what, got.toISOString().replace('.000Z', 'Z')]).toEqual([what, e.iso_utc]);
  } else if (Buffer.isBuffer(got)) {
    if ('hex' in e) expect([what, got.toString('hex').toUpperCase()]).toEqual([what, e.hex]);
    else expect([what, got.length, createHash('sha256').update(got).digest('hex')]).toEqual([what, e.len, e.sha256]);
  } else {
    expect([what, got]).toEqual([what, exp]);
  }
}

function expectProps(got: PropList, exp: ExpProp[], what: string): void {
  expect([what, got.props.length]).toEqual([what, exp.length]);
  exp.forEach((ep, i) => {
    const gp: MapiProp = got.props[i]!;
    const w = `${what} ${ep.tag}`;
    expect([w, `0x${gp.tag.toString(16).toUpperCase().padStart(8, '0')}`]).toEqual([w, ep.tag]);
    expectValue(gp.value, ep.value, w);
    if (ep.named) {
      const id = ep.named.kind === 'MNID_ID' ? Number(ep.named.id) : ep.named.id;
      expect([w, gp.named]).toEqual([w, { guid: ep.named.guid, kind: ep.named.kind === 'MNID_ID' ? 'id' : 'string', id }]);
    } else {
      expect([w, gp.named]).toEqual([w, undefined]);
    }
  });
}

function expectItem(got: KopanoItem, exp: ExpItem, what: string): void {
  expectProps(got.props, exp.props, what);
  expect(got.recipients).toHaveLength(exp.recipients.length);
  exp.recipients.forEach((r, i) => expectProps(got.recipients[i]!, r, `${what} recipient ${i}`));
  expect(got.attachments).toHaveLength(exp.attachments.length);
  exp.attachments.forEach((a, i) => {
    const ga = got.attachments[i]!;
    expectProps(ga.props, a.props, `${what} attachment ${i}`);
    if (a.embedded) expectItem(ga.item!, a.embedded, `${what} attachment ${i} embedded`);
    else expectValue(ga.data, a.data, `${what} attachment ${i} data`);
  });
}

describe('kopano-backup reader on the synthetic backup (expected.json oracle)', () => {
  const fixture = kopanoFixture();
  if (!fixture) {
    prerequisiteMissing(fixtureMissing());
    return;
  }
  const expected = JSON.parse(readFileSync(join(fixture, 'expected.json'), 'utf8')) as {
    folders: ExpFolder[]; user: Record<string, ExpValue>; store: Record<string, ExpValue>; timestamp: { naive_local: string };
  };
  const backup = new KopanoUserBackup(join(fixture, 'testuser'));

  it('finds every folder, flat and legacy-nested, with its path and properties', () => {
    const folders = backup.folders();
    expect(folders.map((f) => f.relDir).sort()).toEqual(expected.folders.map((f) => f.dir).sort());
    for (const ef of expected.folders) {
      const f = folders.find((x) => x.relDir === ef.dir)!;
      expect(f.path).toEqual(splitFolderPath(ef.path));
      for (const [tag, v] of Object.entries(ef.folder_props)) expectValue(f.props.get(Number(tag)), v, `${ef.dir} ${tag}`);
      expect(f.props.props).toHaveLength(Object.keys(ef.folder_props).length);
    }
    expect(folders.find((f) => f.path.join('/') === 'Inbox/Invoices 2020/2021')?.containerClass).toBe('IPF.Note');
  });

  it('marks the deleted folder (its index has the "folder" key) and only it', () => {
    const deleted = backup.folders().filter((f) => f.deleted).map((f) => f.path.join('/'));
    const exp = expected.folders.filter((f) => 'folder' in f.index).map((f) => f.path);
    expect(deleted).toEqual(exp);
    expect(deleted).toEqual(['Old project']);
  });

  it('lists the items of each folder without the deleted ones', () => {
    for (const ef of expected.folders) {
      const f = backup.folders().find((x) => x.relDir === ef.dir)!;
      const live = Object.keys(ef.items).filter((k) => !ef.index[k]?.backup_deleted).sort();
      expect([ef.path, backup.itemIds(f)]).toEqual([ef.path, live]);
      const idx = backup.index(f);
      for (const [k, e] of Object.entries(ef.index)) {
        if (k === 'folder') continue;
        expect(idx.get(k)?.deleted).toBe('backup_deleted' in e);
        if ('subject' in e) expect(idx.get(k)?.subject).toBe(e.subject);
      }
    }
  });

  it('decodes every item (properties, named ids, recipients, attachments, embedded message) as the oracle', () => {
    let n = 0;
    for (const ef of expected.folders) {
      const f = backup.folders().find((x) => x.relDir === ef.dir)!;
      for (const [sk, exp] of Object.entries(ef.items)) {
        expectItem(backup.readItem(f, sk), exp, `${ef.path}/${sk}`);
        n++;
      }
    }
    expect(n).toBe(6);
  });

  it('resolves named properties by property set and id/name, whatever the local tag', () => {
    const cal = backup.folders().find((f) => f.path.join('/') === 'Calendar')!;
    const item = backup.readItem(cal, backup.itemIds(cal)[0]!);
    expect(item.props.named(PSETID.Appointment, 0x8208)).toBe('Room 101');
    expect(item.props.named(PSETID.PublicStrings, 'Keywords')).toEqual(['Work', 'Blue category']);
    expect((item.props.named(PSETID.Appointment, 0x820d) as Date).toISOString()).toBe('2020-03-10T13:00:00.000Z');
  });

  it('reads the user, store and timestamp files', () => {
    const user = backup.userProps()!;
    for (const [tag, v] of Object.entries(expected.user)) expectValue(user.get(Number(tag)), v, `user ${tag}`);
    const store = backup.storeProps()!;
    for (const [tag, v] of Object.entries(expected.store)) expectValue(store.get(Number(tag)), v, `store ${tag}`);
    expect(backup.timestamp()?.naiveIso()).toBe(expected.timestamp.naive_local);
    // The fixture's user has no proxy addresses, hence no kopanoAliases.
    expect(backup.aliases()).toEqual([]);
  });

  it('names the file and item when an item is missing', () => {
    const inbox = backup.folders().find((f) => f.path.join('/') === 'Inbox')!;
    expect(() => backup.readItem(inbox, 'DEADBEEF')).toThrow(/folders\/6B6F[0-9A-F]+\/items\[DEADBEEF\]: not in the backup/);
  });
});
