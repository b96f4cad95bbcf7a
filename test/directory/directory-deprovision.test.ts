/**
 * Logins, account state and deprovisioning against the lab's real Samba AD → slapd (issue 15):
 * - logins with spaces or mixed case (AD room mailboxes: "Room 1") mapped by `loginRule`, and
 *   explained in the error when refused;
 * - disabled accounts (userAccountControl 0x2) and shared/room/equipment mailboxes (the recipient
 *   type; Samba has no Exchange schema, the lab keeps the numbers in msDS-cloudExtensionAttribute1);
 * - the deprovisioning policy (disable/delete after graceDays, never silently), the group
 *   membership of a disabled account, and the "source became empty" guard;
 * - every write in `logging.file`.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Attribute, Change } from 'ldapts';
import { DEFAULT_DEPROVISION } from '../../src/directory/deprovision.js';
import { directoryAddressBook, loadDirectoryState } from '../../src/directory/state.js';
import { createLogger } from '../../src/log.js';
import { seedAd, UAC, userDn } from '../lab/ad-seed.js';
import { freshOu } from '../lab/samba-ad.js';
import { freshUmsOu } from '../lab/slapd.js';
import { closeLab, entries, membersOf, newStore, openLab, sync, type Lab } from './lab-sync.js';

let lab: Lab;
const L = (name: string): string => `${name}${lab.tag}`;
const mail = (name: string): string => `${name.replace(/ /g, '').toLowerCase()}${lab.tag}@corp.example`;
const user = (login: string, more: { disabled?: boolean; recipientType?: string } = {}) => ({ login: L(login), mail: mail(login), proxyAddresses: [`SMTP:${mail(login)}`], ...more });
const uac = (value: string) => new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: [value] }) });
const DAY = 86_400_000;

beforeAll(async () => {
  lab = await openLab();
}, 300_000);
afterAll(async () => closeLab(lab));

describe('login rule', () => {
  test('a login with a space is refused with what would fix it, or mapped by the rule; mixed case lower-cased by the rule', async () => {
    const ou = await freshOu(lab.adc, 'dlogin');
    await seedAd(lab.adc, ou, { users: [user('Room 1', { disabled: true, recipientType: '16' }), user('MixedCase')] });
    const store = await newStore(lab);
    try {
      const keep = await freshUmsOu(lab.ums, 'dlogin');
      const r = await sync(lab, store, ou, keep);
      expect(r.errors).toEqual([{
        entry: L('Room 1'),
        reason: `login "${L('Room 1')}" contains characters not allowed in a UMS login (spaces, control or format characters, or one of * ( ) \\ , = + < > ; " # / & | ! ~); set directory.loginRule.spaces to "." or "-" (it would become "${L('Room.1')}"), or map it to a valid UMS login in the user map (mailboxes: source → target); not synced`,
      }]);
      expect([...(await entries(lab.ums, keep)).keys()]).toEqual([L('MixedCase')]);

      const ruled = await freshUmsOu(lab.ums, 'dlogin-r');
      const store2 = await newStore(lab);
      try {
        const r2 = await sync(lab, store2, ou, ruled, { plan: { loginRule: { case: 'lower', spaces: '.' } } });
        expect(r2.errors).toEqual([]);
        expect([...(await entries(lab.ums, ruled)).keys()].sort()).toEqual([L('mixedcase'), L('room.1')].sort());
        // The routing and discovery read the UMS login and the mailbox type from the sync's state.
        const book = directoryAddressBook((await loadDirectoryState(store2, `t:${ou}->${ruled}`))!);
        expect(book.users.find((u) => u.sourceLogin === L('Room 1'))).toMatchObject({ login: L('room.1'), mailboxType: 'room', disabled: true, hasUmsAccount: true });
      } finally {
        await store2.close();
      }
    } finally {
      await store.close();
    }
  });
});

describe('disabled accounts and mailbox types', () => {
  test('a disabled person is not created; disabled shared and room mailboxes are (with their type); equipment skipped by policy, reported', async () => {
    const ou = await freshOu(lab.adc, 'dtype');
    await seedAd(lab.adc, ou, {
      users: [user('act'), user('leaver', { disabled: true }), user('shared', { disabled: true, recipientType: '4' }), user('room', { disabled: true, recipientType: '16' }), user('equip', { recipientType: '32' })],
    });
    const base = await freshUmsOu(lab.ums, 'dtype');
    const store = await newStore(lab);
    try {
      const r = await sync(lab, store, ou, base, { plan: { mailboxTypeAttribute: 'businessCategory' }, mailboxTypes: { shared: 'sync', room: 'sync', equipment: 'skip' } });
      expect(r.errors).toEqual([]);
      expect(r.warnings).toContainEqual({ entry: L('equip'), reason: 'equipment mailbox: not synced (directory.mailboxTypes.equipment: skip)' });
      expect(r.deprovision.notCreated).toEqual([L('leaver')]);
      const got = await entries(lab.ums, base);
      expect([...got.keys()].sort()).toEqual([L('act'), L('room'), L('shared')].sort());
      expect([L('act'), L('shared'), L('room')].map((l) => got.get(l)!.businessCategory)).toEqual([['user'], ['shared'], ['room']]);
    } finally {
      await store.close();
    }
  });
});

describe('deprovisioning', () => {
  test('disable after the grace period: pending first, then marked and out of its group; lifted when enabled again', async () => {
    const ou = await freshOu(lab.adc, 'ddis');
    await seedAd(lab.adc, ou, {
      users: ['u1', 'u2', 'u3', 'u4'].map((l) => user(l)),
      groups: [{ name: L('grp'), distribution: true, mail: mail('grp'), members: [L('u1'), L('u2')] }],
    });
    const base = await freshUmsOu(lab.ums, 'ddis');
    const store = await newStore(lab);
    const deprovision = { ...DEFAULT_DEPROVISION, action: 'disable' as const, graceDays: 30, disable: { attribute: 'employeeType', value: 'disabled' } };
    const opts = { plan: { groups: { base, objectClasses: ['groupOfNames', 'ruPostMailAccount'] } }, deprovision };
    const grpDn = `cn=${L('grp')},${base}`;
    const t0 = new Date();
    try {
      expect((await sync(lab, store, ou, base, { ...opts, now: t0 })).errors).toEqual([]);
      await lab.adc.modify(userDn(L('u1'), ou), uac(UAC.disabled));
      const pending = await sync(lab, store, ou, base, { ...opts, now: t0 });
      expect(pending.deprovision.pending).toEqual([{ entry: L('u1'), action: 'disable', due: new Date(t0.getTime() + 30 * DAY).toISOString() }]);
      expect(pending.applied).toEqual([]);
      expect((await entries(lab.ums, base)).get(L('u1'))!.employeeType).toBeUndefined();

      // 31 days later, nothing changed in AD: the mark is set and the group loses the member.
      const due = await sync(lab, store, ou, base, { ...opts, now: new Date(t0.getTime() + 31 * DAY) });
      expect(due.deprovision.disabled).toEqual([L('u1')]);
      expect((await entries(lab.ums, base)).get(L('u1'))!.employeeType).toEqual(['disabled']);
      expect(await membersOf(lab.ums, grpDn)).toEqual([`uid=${L('u2')},${base}`]);

      await lab.adc.modify(userDn(L('u1'), ou), uac(UAC.enabled));
      const back = await sync(lab, store, ou, base, { ...opts, now: new Date(t0.getTime() + 32 * DAY) });
      expect(back.deprovision.reenabled).toEqual([L('u1')]);
      expect((await entries(lab.ums, base)).get(L('u1'))!.employeeType).toBeUndefined();
      expect(await membersOf(lab.ums, grpDn)).toEqual([`uid=${L('u1')},${base}`, `uid=${L('u2')},${base}`].sort());
    } finally {
      await store.close();
    }
  });

  test('an account the sync has no state for (created before, or by another state store) is found by its login', async () => {
    const ou = await freshOu(lab.adc, 'dadopt');
    await seedAd(lab.adc, ou, { users: [user('adopt', { disabled: true })] });
    const base = await freshUmsOu(lab.ums, 'dadopt');
    await lab.ums.add(`uid=${L('adopt')},${base}`, { objectClass: ['inetOrgPerson', 'ruPostMailAccount'], uid: L('adopt'), cn: 'x', sn: 'x', mail: mail('adopt') });
    const store = await newStore(lab);
    try {
      const r = await sync(lab, store, ou, base, { deprovision: { ...DEFAULT_DEPROVISION, action: 'disable', graceDays: 0, disable: { attribute: 'employeeType', value: 'disabled' } } });
      expect(r.deprovision).toMatchObject({ disabled: [L('adopt')], notCreated: [] });
      expect((await entries(lab.ums, base)).get(L('adopt'))!.employeeType).toEqual(['disabled']);
    } finally {
      await store.close();
    }
  });

  test('delete: never while the source looks empty (the guard says why), logged when it happens', async () => {
    const ou = await freshOu(lab.adc, 'ddel');
    await seedAd(lab.adc, ou, { users: ['x1', 'x2', 'x3', 'x4'].map((l) => user(l)) });
    const base = await freshUmsOu(lab.ums, 'ddel');
    const store = await newStore(lab);
    const logFile = path.join(lab.workDir, `ddel-${lab.tag}.log`);
    const log = createLogger({ file: logFile });
    const deprovision = { ...DEFAULT_DEPROVISION, action: 'delete' as const, graceDays: 0 };
    try {
      expect((await sync(lab, store, ou, base, { deprovision, log })).adds).toBe(4);
      // A filter that selects nobody: a full read returns 0 users.
      const empty = await sync(lab, store, ou, base, { deprovision, log, full: true, filter: '(title=nobody-has-this)' });
      expect(empty.deprovision.deleted).toEqual([]);
      expect(empty.errors).toEqual([{ entry: 'deprovision', reason: expect.stringMatching(/^deprovisioning refused: the source now has 0 active user\(s\), none of the 4 after the last run \(4 newly disabled or gone\)\. Nothing was disabled or deleted.*minSourceRatio: 0$/) }]);
      expect((await entries(lab.ums, base)).size).toBe(4);
      // The right selection again: nothing was marked, nothing is deleted.
      expect((await sync(lab, store, ou, base, { deprovision, log, full: true })).deprovision).toMatchObject({ deleted: [], pending: [] });

      // One user really leaves: deleted in AD, seen missing by the next full read, deleted in the UMS.
      await lab.adc.del(userDn(L('x4'), ou));
      const gone = await sync(lab, store, ou, base, { deprovision, log, full: true });
      expect(gone.errors).toEqual([]);
      expect(gone.deprovision.deleted).toEqual([L('x4')]);
      expect(gone.applied).toEqual([{ kind: 'delete', entry: L('x4'), dn: `uid=${L('x4')},${base}` }]);
      expect([...(await entries(lab.ums, base)).keys()].sort()).toEqual(['x1', 'x2', 'x3'].map(L).sort());

      // Three of the remaining three disabled at once: held back by the guard.
      for (const l of ['x1', 'x2', 'x3']) await lab.adc.modify(userDn(L(l), ou), uac(UAC.disabled));
      const mass = await sync(lab, store, ou, base, { deprovision, log });
      expect(mass.errors.map((e) => e.entry)).toEqual(['deprovision']);
      expect((await entries(lab.ums, base)).size).toBe(3);

      await new Promise<void>((resolve) => log.flush(() => resolve()));
      const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toContainEqual(expect.objectContaining({ msg: `directory sync: delete uid=${L('x4')},${base}`, directory: { dn: `uid=${L('x4')},${base}`, change: 'delete', entry: L('x4') } }));
      expect(lines).toContainEqual(expect.objectContaining({ directory: expect.objectContaining({ dn: `uid=${L('x1')},${base}`, change: 'add', attributes: expect.objectContaining({ mail: [mail('x1')] }) }) }));
      expect(lines).toContainEqual(expect.objectContaining({ entry: 'deprovision', reason: expect.stringContaining('deprovisioning refused') }));
    } finally {
      await store.close();
    }
  });
});
