/**
 * `reconcile` for groupware through the real CLI: a kopano-tree of ordinary exports migrated into
 * Courier (mail side, unused here) and Cyrus's CalDAV/CardDAV (the strict lab server). After the
 * run every collection is equal to the occurrence, except the two objects that cannot be
 * repaired, which reconcile names with their reasons (exit 6, as for any difference). Then one
 * all-day series is shifted by a day on the server: reconcile names the UID, the field and both
 * occurrences, with summaries hashed unless --show-subjects.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { DavTarget } from '../../connectors/dav/index.js';
import { resourceName } from '../../connectors/dav/objects.js';
import { DAV_SERVERS } from '../lab/dav-servers.js';
import { addTargetUser, startLab } from '../lab/lab.js';
import { runCli } from '../support/cli.js';
import { exportTree } from '../support/groupware-exports.js';
import { writeLabConfig } from '../support/lab-config.js';

interface Diff { kind: string; uid?: string; reason?: string; fields?: { field: string; source?: string; target?: string }[]; instances?: { kind: string; start: string; allDay: boolean }[] }
interface Collection { target: string; matched: number; instancesCompared: number; diffs: Diff[] }
interface Result { collections?: Collection[]; error?: string }

test('reconcile proves a groupware migration to the occurrence, names what could not be repaired, and finds a day shifted on the server', async () => {
  const lab = await startLab();
  const cyrus = await (DAV_SERVERS.find((s) => s.name === 'Cyrus') as (typeof DAV_SERVERS)[number]).start();
  const user = await cyrus.createUser('rcgw');
  await addTargetUser(user.login, user.password);
  const { files, expected } = exportTree(10);
  const { dir, file } = writeLabConfig(lab, { source: 'alice', target: user.login, password: user.password }, [
    'groupwareTarget:', `  url: ${cyrus.tlsUrl}`, `  caFile: ${cyrus.caFile}`,
  ]);
  for (const f of files) {
    mkdirSync(dirname(join(dir, 'tree', 'alice', f.path)), { recursive: true });
    writeFileSync(join(dir, 'tree', 'alice', f.path), f.content);
  }
  // The lab config reads from IMAP: point the source at the export tree instead.
  const yaml = readFileSync(file, 'utf8').replace(/^source:\n(?: {2}.*\n)+/m, `source:\n  type: kopano-tree\n  path: ./tree\n`);
  writeFileSync(file, yaml);

  const run = await runCli(['run', '-c', file]);
  expect({ code: run.code, stderr: run.stderr.slice(-2000) }).toMatchObject({ code: 3 }); // finished, with failed items

  const rec = await runCli(['reconcile', '-c', file, '--format', 'json']);
  expect({ code: rec.code, stderr: rec.stderr.slice(-2000) }).toMatchObject({ code: 6 });
  const result = (JSON.parse(rec.stdout) as Result[])[0];
  expect(result?.error).toBeUndefined();
  const collections = result?.collections ?? [];
  expect(collections.map((c) => c.target).sort()).toEqual(['addressbook:Contacts', 'calendar:Calendar', 'calendar:Team', 'tasks:Tasks']);
  expect(collections.flatMap((c) => c.diffs.filter((d) => d.kind !== 'unreadable'))).toEqual([]);
  const unreadable = collections.flatMap((c) => c.diffs.filter((d) => d.kind === 'unreadable').map((d) => d.reason ?? ''));
  expect(unreadable).toHaveLength(expected.failures.length);
  expect(unreadable).toEqual(expect.arrayContaining(expected.failures.map((f) => expect.stringContaining(f.contains))));
  expect(collections.reduce((n, c) => n + c.instancesCompared, 0)).toBeGreaterThan(50);

  // Damage on the server: the all-day series one day early (what a UTC fall-back does).
  const dav = new DavTarget({ url: cyrus.tlsUrl, allowInsecure: false, tlsVerify: true, maxConnections: 1, ca: readFileSync(cyrus.caFile, 'utf8') }, pino({ level: 'silent' }));
  const mb = await dav.openMailbox(user);
  const url = new URL(resourceName('allday-rota', 'VEVENT'), new URL((await mb.ensure('calendar:Calendar')).epoch, cyrus.tlsUrl));
  const got = await dav.http.request({ method: 'GET', url }, user);
  expect(got.status).toBe(200);
  const body = got.body.replace(/DTSTART;VALUE=DATE:20270405/, 'DTSTART;VALUE=DATE:20270404').replace(/DTEND;VALUE=DATE:20270406/, 'DTEND;VALUE=DATE:20270405');
  expect(body).not.toBe(got.body);
  expect((await dav.http.request({ method: 'PUT', url, headers: { 'Content-Type': 'text/calendar; charset=utf-8' }, body }, user)).status).toBeLessThan(300);
  await mb.close();
  await dav.close();

  const damaged = await runCli(['reconcile', '-c', file, '--format', 'json']);
  expect(damaged.code).toBe(6);
  const cal = (JSON.parse(damaged.stdout) as Result[])[0]?.collections?.find((c) => c.target === 'calendar:Calendar');
  const changed = cal?.diffs.filter((d) => d.kind === 'changed') ?? [];
  expect(changed.map((d) => d.uid)).toEqual(['allday-rota']);
  expect(changed[0]?.fields?.map((f) => [f.field, f.source, f.target])).toEqual(expect.arrayContaining([['DTSTART', '2027-04-05', '2027-04-04']]));
  expect(changed[0]?.instances).toEqual(expect.arrayContaining([
    expect.objectContaining({ kind: 'missing', start: '2027-04-05', allDay: true }),
    expect.objectContaining({ kind: 'extra', start: '2027-04-04', allDay: true }),
  ]));
  const text = await runCli(['reconcile', '-c', file]);
  expect(text.stdout).toContain('instance 2027-04-05 (all-day) missing in the UMS');
  expect(text.stdout).not.toContain('Rufbereitschaft');
  expect((await runCli(['reconcile', '-c', file, '--show-subjects'])).stdout).toContain('Rufbereitschaft');

  // status shows the last groupware reconcile per collection, counts only.
  const status = await runCli(['status', '-c', file]);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/calendar:Calendar\s+DIFFERS\s+15\/15\s+0\/0\/1\/1/);
  expect(status.stdout).toMatch(/addressbook:Contacts\s+equal\s+8\/8\s+0\/0\/0\/0/);
  expect(status.stdout).not.toContain('Rufbereitschaft');
  const json = JSON.parse((await runCli(['status', '-c', file, '--json'])).stdout) as { groupwareReconcile?: { mailboxes: { collections: { target: string; changed: number }[] }[] } };
  expect(json.groupwareReconcile?.mailboxes[0]?.collections.find((c) => c.target === 'calendar:Calendar')?.changed).toBe(1);
}, 300_000);
