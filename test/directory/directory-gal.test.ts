/**
 * The GAL during coexistence against the lab's real Samba AD → slapd (issue 15, part 3): users
 * still on Exchange are contacts in the UMS directory (mail, display name, phone) until their own
 * mailbox is cut over (the state store's cutover table, as `cutover` records it); and the
 * `directory sync` command end to end with these options, logging every write to `logging.file`.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Attribute, Change } from 'ldapts';
import { loadDirectoryState } from '../../src/directory/state.js';
import { seedAd, userDn } from '../lab/ad-seed.js';
import { freshOu } from '../lab/samba-ad.js';
import { freshUmsOu } from '../lab/slapd.js';
import { runCli } from '../support/cli.js';
import { closeLab, entries, newStore, openLab, sync, type Lab } from './lab-sync.js';

let lab: Lab;
const L = (name: string): string => `${name}${lab.tag}`;
const mail = (name: string): string => `${name}${lab.tag}@corp.example`;

beforeAll(async () => {
  lab = await openLab();
}, 300_000);
afterAll(async () => closeLab(lab));

describe('GAL contacts of users still on Exchange', () => {
  test('written for users not cut over, removed when their mailbox is cut over, back after an undo', async () => {
    const ou = await freshOu(lab.adc, 'dgal');
    await seedAd(lab.adc, ou, {
      users: [
        { login: L('g1'), mail: mail('g1'), proxyAddresses: [`SMTP:${mail('g1')}`, `smtp:${mail('g1.alias')}`], displayName: 'Gerda One', telephoneNumber: '+49 30 11' },
        { login: L('g2'), mail: mail('g2'), proxyAddresses: [`SMTP:${mail('g2')}`], displayName: 'Gustav Two', sn: 'Two', telephoneNumber: '+49 30 22' },
        { login: L('g3'), mail: mail('g3'), proxyAddresses: [`SMTP:${mail('g3')}`], disabled: true },
      ],
    });
    const base = await freshUmsOu(lab.ums, 'dgal');
    const galBase = await freshUmsOu(lab.ums, 'dgal-x');
    const gal = { base: galBase, objectClasses: ['inetOrgPerson'] };
    const store = await newStore(lab);
    const contacts = async () => entries(lab.ums, galBase, '(cn=*)', 'cn');
    try {
      // g1 is cut over already (recorded by login, as for an address book without keys).
      await store.applyCutover({ users: [{ userKey: L('g1'), login: L('g1') }], cutOver: true, who: 'test', batch: null, detail: {} });
      const r = await sync(lab, store, ou, base, { gal });
      expect(r.errors).toEqual([]);
      expect(r.gal).toEqual({ added: 1, updated: 0, removed: 0, unchanged: 0 });
      const got = await contacts();
      expect([...got.keys()]).toEqual([L('g2')]);
      expect(got.get(L('g2'))).toMatchObject({
        dn: [`cn=${L('g2')},${galBase}`], objectClass: ['inetOrgPerson'], cn: [L('g2')], sn: ['Two'],
        displayName: ['Gustav Two'], mail: [mail('g2')], telephoneNumber: ['+49 30 22'],
      });
      expect(got.get(L('g2'))!.proxyAddresses).toBeUndefined();
      // Every user has its UMS account meanwhile (the contact does not count as an address owner).
      expect([...(await entries(lab.ums, base)).keys()].sort()).toEqual([L('g1'), L('g2')].sort());

      // g2 cut over by its directory key: its contact goes, although nothing changed in AD.
      const state = (await loadDirectoryState(store, `t:${ou}->${base}`))!;
      const g2Key = Object.entries(state.users).find(([, u]) => u.login === L('g2'))![0];
      await store.applyCutover({ users: [{ userKey: g2Key, login: L('g2') }], cutOver: true, who: 'test', batch: null, detail: {} });
      const after = await sync(lab, store, ou, base, { gal });
      expect(after.read.entries).toBe(0);
      expect(after.applied).toEqual([{ kind: 'delete', entry: `GAL contact ${L('g2')}`, dn: `cn=${L('g2')},${galBase}` }]);
      expect((await contacts()).size).toBe(0);

      // g1 rolled back to Exchange: its contact appears; a phone change in AD reaches it.
      await store.applyCutover({ users: [{ userKey: L('g1'), login: L('g1') }], cutOver: false, who: 'test', batch: null, detail: {} });
      await lab.adc.modify(userDn(L('g1'), ou), new Change({ operation: 'replace', modification: new Attribute({ type: 'telephoneNumber', values: ['+49 30 99'] }) }));
      const back = await sync(lab, store, ou, base, { gal });
      expect(back.gal).toMatchObject({ added: 1, removed: 0 });
      expect((await contacts()).get(L('g1'))).toMatchObject({ mail: [mail('g1')], displayName: ['Gerda One'], sn: ['Gerda One'], telephoneNumber: ['+49 30 99'] });
    } finally {
      await store.close();
    }
  });
});

describe('ums-migrate directory sync (CLI) with the issue 15 options', () => {
  test('login rule, mail contacts, GAL contacts, deprovisioning; every write and refusal in logging.file, no password', async () => {
    const ou = await freshOu(lab.adc, 'dcli');
    await seedAd(lab.adc, ou, {
      users: [
        { login: L('Ann'), mail: mail('ann'), proxyAddresses: [`SMTP:${mail('ann')}`] },
        { login: L('Room 9'), mail: mail('room9'), proxyAddresses: [`SMTP:${mail('room9')}`], disabled: true, recipientType: '16' },
        { login: L('gone'), mail: mail('gone'), proxyAddresses: [`SMTP:${mail('gone')}`], disabled: true },
      ],
      contacts: [{ name: L('ext'), mail: `ext${lab.tag}@other.example` }],
    });
    const base = await freshUmsOu(lab.ums, 'dcli');
    const contactsBase = await freshUmsOu(lab.ums, 'dcli-c');
    const galBase = await freshUmsOu(lab.ums, 'dcli-x');
    const dir = mkdtempSync(path.join(lab.workDir, 'cli-'));
    writeFileSync(path.join(dir, 'ad-pw'), lab.ad.password, { mode: 0o600 });
    writeFileSync(path.join(dir, 'ums-pw'), lab.slapd.password, { mode: 0o600 });
    const file = path.join(dir, 'migration.yaml');
    writeFileSync(file, [
      'version: 1',
      'state: { path: ./state.sqlite }',
      'logging: { level: info, file: ./log/ums.log }',
      'source: { type: imap, host: 127.0.0.1, port: 10993 }',
      'target: { type: ums-imap, host: 127.0.0.1, port: 11993 }',
      `mailboxes: [{ source: ${L('Ann')}, target: ${L('Ann')}, sourcePassword: file:./ad-pw, targetPassword: file:./ad-pw }]`,
      'directory:',
      `  source: { url: "${lab.ad.url}", bindDn: "${lab.ad.bindDn}", bindPassword: file:./ad-pw, caFile: "${lab.ad.caFile}", base: "${ou}", recipientTypeAttribute: msDS-cloudExtensionAttribute1 }`,
      `  target: { url: "${lab.slapd.url}", bindDn: "${lab.slapd.bindDn('dc=ums,dc=example')}", bindPassword: file:./ums-pw, caFile: "${lab.slapd.caFile}", base: "${base}",`,
      `            extraObjectClasses: [umsLabGalPerson], contacts: { base: "${contactsBase}" } }`,
      '  loginRule: { case: lower }',
      '  deprovision: { policy: disable, graceDays: 0, disable: { attribute: employeeType, value: disabled } }',
      `  coexistence: { galContacts: { base: "${galBase}" } }`,
      '',
    ].join('\n'));
    const run = await runCli(['directory', 'sync', '-c', file]);
    expect(run.stdout).toContain('added 4, modified 0, deleted 0');
    expect(run.stdout).toContain(`  error   ${L('Room 9')}: login "${L('room 9')}" contains characters not allowed`);
    expect(run.stdout).toContain(`deprovisioning: 1 user(s) disabled in the source not created in the UMS: ${L('gone')}`);
    expect(run.stdout).toContain('GAL contacts of users still on Exchange: added 2');
    expect(run.code).toBe(3);
    expect([...(await entries(lab.ums, base)).keys()]).toEqual([L('Ann')]); // the user map keeps its case
    expect([...(await entries(lab.ums, contactsBase, '(cn=*)', 'cn')).keys()]).toEqual([L('ext')]);
    expect([...(await entries(lab.ums, galBase, '(cn=*)', 'cn')).keys()].sort()).toEqual([L('Ann'), L('Room 9')].sort());

    const text = readFileSync(path.join(dir, 'log', 'ums.log'), 'utf8');
    expect(text).not.toContain(lab.ad.password);
    expect(text).not.toContain(lab.slapd.password);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ command: 'directory sync', msg: 'directory sync started' });
    expect(lines).toContainEqual(expect.objectContaining({ command: 'directory sync', directory: expect.objectContaining({ dn: `uid=${L('Ann')},${base}`, change: 'add' }) }));
    expect(lines).toContainEqual(expect.objectContaining({ directory: expect.objectContaining({ dn: `cn=${L('ext')},${contactsBase}`, change: 'add' }) }));
    expect(lines).toContainEqual(expect.objectContaining({ directory: expect.objectContaining({ dn: `cn=${L('Room 9')},${galBase}`, change: 'add' }) }));
    expect(lines).toContainEqual(expect.objectContaining({ entry: L('Room 9'), reason: expect.stringContaining('loginRule.spaces') }));
    expect(lines.at(-1)).toMatchObject({ msg: 'directory sync finished', exitCode: 3 });
  });
});
