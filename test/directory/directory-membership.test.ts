/**
 * Directory sync correctness against the lab's real Samba AD → slapd (issue 15, part 4):
 * - a group synced while a member was refused gets that member once it syncs, by the delta;
 * - nested mail-enabled groups and mail contacts are `member` DNs; contacts are written and
 *   exposed (with their external address) to the routing through the sync's state;
 * - an alias moved from one user to another in one AD change is resolved in one run, and the
 *   conflict check uses the UMS as it will be after the run (a refused mail change keeps it).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Attribute, Change } from 'ldapts';
import { directoryAddressBook, loadDirectoryState } from '../../src/directory/state.js';
import { seedAd, userDn } from '../lab/ad-seed.js';
import { freshOu } from '../lab/samba-ad.js';
import { freshUmsOu } from '../lab/slapd.js';
import { closeLab, entries, membersOf, newStore, openLab, sync, type Lab } from './lab-sync.js';

let lab: Lab;
const L = (name: string): string => `${name}${lab.tag}`;
const groupOc = ['groupOfNames', 'ruPostMailAccount'];
const replace = (type: string, values: string[]) => new Change({ operation: 'replace', modification: new Attribute({ type, values }) });

beforeAll(async () => {
  lab = await openLab();
}, 300_000);
afterAll(async () => closeLab(lab));

describe('group membership follows its members', () => {
  test('a member refused at first is added to the group by the delta that syncs it (no --full)', async () => {
    const ou = await freshOu(lab.adc, 'dgrp');
    await seedAd(lab.adc, ou, {
      users: [
        { login: L('m1'), mail: `m1${lab.tag}@corp.example`, proxyAddresses: [`SMTP:m1${lab.tag}@corp.example`] },
        { login: L('m2'), mail: `m2${lab.tag}@corp.example`, proxyAddresses: [`SMTP:m2${lab.tag}@corp.example`, `smtp:desk${lab.tag}@corp.example`] },
        { login: L('m3'), mail: `m3${lab.tag}@corp.example`, proxyAddresses: [`SMTP:m3${lab.tag}@corp.example`, `smtp:desk${lab.tag}@corp.example`] },
      ],
      groups: [{ name: L('team'), distribution: true, mail: `team${lab.tag}@corp.example`, members: [L('m1'), L('m2')] }],
    });
    const base = await freshUmsOu(lab.ums, 'dgrp');
    const store = await newStore(lab);
    const groups = { base, objectClasses: groupOc };
    try {
      const first = await sync(lab, store, ou, base, { plan: { groups } });
      expect(first.errors.map((e) => e.entry).sort()).toEqual([L('m2'), L('m3')]);
      expect(first.warnings).toContainEqual({ entry: L('team'), reason: expect.stringContaining(`not in the UMS directory (not selected, refused, disabled or not mail-enabled): ${L('m2')}`) });
      const teamDn = `cn=${L('team')},${base}`;
      expect(await membersOf(lab.ums, teamDn)).toEqual([`uid=${L('m1')},${base}`]);

      // m3 gives the alias up; m2 (refused before, unchanged in AD) is read again and synced,
      // and the group, unchanged in AD, is read again because its member's state changed.
      await lab.adc.modify(userDn(L('m3'), ou), replace('proxyAddresses', [`SMTP:m3${lab.tag}@corp.example`]));
      const delta = await sync(lab, store, ou, base, { plan: { groups } });
      expect(delta.mode).toBe('delta');
      expect(delta.errors).toEqual([]);
      expect(await membersOf(lab.ums, teamDn)).toEqual([`uid=${L('m1')},${base}`, `uid=${L('m2')},${base}`].sort());
      expect(delta.read).toMatchObject({ users: 2, retried: 1, regrouped: 1 }); // m3 changed, m2 retried, team re-read

      // A member's title change is not a reason to read its groups again.
      await lab.adc.modify(userDn(L('m1'), ou), replace('title', ['Lead']));
      expect((await sync(lab, store, ou, base, { plan: { groups } })).read).toMatchObject({ users: 1, regrouped: 0 });
    } finally {
      await store.close();
    }
  });
});

describe('nested groups and mail contacts', () => {
  test('a written nested group and a contact are member DNs; contacts are written and given to the routing as external', async () => {
    const ou = await freshOu(lab.adc, 'dnest');
    await seedAd(lab.adc, ou, {
      users: [{ login: L('n1'), mail: `n1${lab.tag}@corp.example`, proxyAddresses: [`SMTP:n1${lab.tag}@corp.example`], telephoneNumber: '+49 30 9' }],
      contacts: [{ name: L('partner'), mail: `partner${lab.tag}@other.example`, displayName: 'Partner GmbH', proxyAddresses: [`SMTP:partner${lab.tag}@other.example`, `smtp:partner${lab.tag}@corp.example`] }],
      groups: [
        { name: L('inner'), distribution: true, mail: `inner${lab.tag}@corp.example`, members: [L('n1')] },
        { name: L('sec'), distribution: false, members: [L('n1')] },
        { name: L('outer'), distribution: true, mail: `outer${lab.tag}@corp.example`, members: [L('inner'), L('partner'), L('sec'), L('n1')] },
      ],
    });
    const base = await freshUmsOu(lab.ums, 'dnest');
    const groupsBase = await freshUmsOu(lab.ums, 'dnest-g');
    const contactsBase = await freshUmsOu(lab.ums, 'dnest-c');
    const store = await newStore(lab);
    const plan = { groups: { base: groupsBase, objectClasses: groupOc }, contacts: { base: contactsBase, objectClasses: ['inetOrgPerson', 'ruPostMailAccount'] } };
    try {
      const r = await sync(lab, store, ou, base, { plan });
      expect(r.errors).toEqual([]);
      const contact = (await entries(lab.ums, contactsBase, '(cn=*)', 'cn')).get(L('partner'))!;
      expect(contact.objectClass!.map((c) => c.toLowerCase()).sort()).toEqual(['inetorgperson', 'rupostmailaccount', 'umslabgalperson']);
      expect(contact).toMatchObject({ mail: [`partner${lab.tag}@other.example`], displayName: ['Partner GmbH'], sn: ['Partner GmbH'] });
      expect(contact.proxyAddresses!.sort()).toEqual([`SMTP:partner${lab.tag}@other.example`, `smtp:partner${lab.tag}@corp.example`]);
      expect(await membersOf(lab.ums, `cn=${L('outer')},${groupsBase}`)).toEqual([
        `uid=${L('n1')},${base}`, `cn=${L('inner')},${groupsBase}`, `cn=${L('partner')},${contactsBase}`,
      ].sort());
      expect(r.warnings).toContainEqual({ entry: L('outer'), reason: expect.stringContaining(`group ${L('sec')}`) });
      // What the routing reads: the contact with its shared-domain alias and external address,
      // the outer group with its members' addresses.
      const book = directoryAddressBook((await loadDirectoryState(store, `t:${ou}->${base}`))!);
      expect(book.contacts).toEqual([{ key: expect.any(String), name: L('partner'), mail: `partner${lab.tag}@other.example`, external: `partner${lab.tag}@other.example`, proxyAddresses: [`SMTP:partner${lab.tag}@other.example`, `smtp:partner${lab.tag}@corp.example`] }]);
      expect(book.groups.find((g) => g.mail === `outer${lab.tag}@corp.example`)!.members.sort()).toEqual([`inner${lab.tag}@corp.example`, `n1${lab.tag}@corp.example`, `partner${lab.tag}@other.example`].sort());
      expect(book.users).toEqual([expect.objectContaining({ login: L('n1'), hasUmsAccount: true, disabled: false, mailboxType: 'user' })]);
      expect((await sync(lab, store, ou, base, { plan, full: true })).applied).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('address conflicts against the UMS as it is after the run', () => {
  test('an alias moved from one user to another in one AD change is synced in one run; the releasing write goes first', async () => {
    const ou = await freshOu(lab.adc, 'dmove');
    const a = (n: string) => `${n}${lab.tag}@corp.example`;
    await seedAd(lab.adc, ou, {
      users: [
        { login: L('from'), mail: a('from'), proxyAddresses: [`SMTP:${a('from')}`, `smtp:${a('sales')}`] },
        { login: L('to'), mail: a('to'), proxyAddresses: [`SMTP:${a('to')}`] },
      ],
    });
    const base = await freshUmsOu(lab.ums, 'dmove');
    const store = await newStore(lab);
    try {
      expect((await sync(lab, store, ou, base)).errors).toEqual([]);
      await lab.adc.modify(userDn(L('from'), ou), replace('proxyAddresses', [`SMTP:${a('from')}`]));
      await lab.adc.modify(userDn(L('to'), ou), replace('proxyAddresses', [`SMTP:${a('to')}`, `smtp:${a('sales')}`]));
      const r = await sync(lab, store, ou, base);
      expect(r.mode).toBe('delta');
      expect(r.errors).toEqual([]);
      expect(r.applied.map((w) => w.entry)).toEqual([L('from'), L('to')]);
      const got = await entries(lab.ums, base);
      expect(got.get(L('from'))!.proxyAddresses).toEqual([`SMTP:${a('from')}`]);
      expect(got.get(L('to'))!.proxyAddresses!.sort()).toEqual([`SMTP:${a('to')}`, `smtp:${a('sales')}`]);
    } finally {
      await store.close();
    }
  });

  test('an address the old owner keeps after the run (its mail change is refused) still refuses the new owner', async () => {
    const ou = await freshOu(lab.adc, 'dkeep');
    const a = (n: string) => `${n}${lab.tag}@corp.example`;
    await seedAd(lab.adc, ou, {
      users: [
        { login: L('old'), mail: a('old'), proxyAddresses: [`SMTP:${a('old')}`] },
        { login: L('new'), mail: a('new'), proxyAddresses: [`SMTP:${a('new')}`] },
      ],
    });
    const base = await freshUmsOu(lab.ums, 'dkeep');
    const store = await newStore(lab);
    try {
      await sync(lab, store, ou, base);
      // AD renames old's primary and gives the old address to new; the UMS keeps old's mail
      // (allowMailChange: false), so the address is still old's after the run.
      await lab.adc.modify(userDn(L('old'), ou), [replace('mail', [a('renamed')]), replace('proxyAddresses', [`SMTP:${a('renamed')}`])]);
      await lab.adc.modify(userDn(L('new'), ou), replace('proxyAddresses', [`SMTP:${a('new')}`, `smtp:${a('old')}`]));
      const r = await sync(lab, store, ou, base);
      expect(r.errors).toEqual([{ entry: L('new'), reason: `address ${a('old')} already belongs to uid=${L('old')},${base} in the UMS directory; not synced` }]);
      expect(r.warnings).toContainEqual({ entry: L('old'), reason: expect.stringContaining('mail not changed') });
      expect((await entries(lab.ums, base)).get(L('new'))!.proxyAddresses).toEqual([`SMTP:${a('new')}`]);
    } finally {
      await store.close();
    }
  });
});
