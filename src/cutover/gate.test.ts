/**
 * The cutover gate's checks one by one (pure): each failing check is a reason naming the mailbox
 * and what to do; a complete mailbox passes. Through the CLI with a real state store:
 * src/commands/cutover-gate.test.ts; end to end with Postfix: test/e2e/cutover-waves.test.ts.
 */
import type { MailboxEntry } from '../config/loaded.js';
import type { ContainerRow, FailedItemRow } from '../state/store.js';
import { approvalDetail, type Approval } from './approvals.js';
import { gate, type GateInput } from './gate.js';
import { folderProblems } from '../engine/not-migrated.js';

const NOW = new Date('2025-06-02T12:00:00Z');
const mailbox: MailboxEntry = { source: 'bob@old.example', target: 'bob', origin: 'users.csv:3' };

function container(over: Partial<ContainerRow> = {}): ContainerRow {
  return {
    mailboxId: 1, containerId: 'INBOX', path: 'INBOX', targetRef: 'INBOX', status: 'done', lastError: null, updatedAt: '2025-06-02T11:00:00Z',
    totalItems: 3, totalBytes: 300, doneItems: 3, doneBytes: 300, failedItems: 0, skippedItems: 0, ...over,
  };
}

function problem(itemId: string, status: 'failed' | 'skipped' | 'done' = 'failed'): FailedItemRow {
  return { mailbox: 'bob@old.example', containerId: 'INBOX', path: 'INBOX', itemId, size: 10, status, reason: 'You exceeded your mail quota.', updatedAt: '2025-06-02T11:00:00Z' };
}

function input(over: Partial<GateInput> = {}): GateInput {
  return {
    mailbox, now: NOW, maxDeltaAgeHours: 24,
    state: { containers: [container()], problems: [] },
    pass: { startedAt: '2025-06-02T10:00:00Z', finishedAt: '2025-06-02T10:05:00Z', ok: true, interrupted: false },
    ...over,
  };
}

const checks = (i: GateInput) => gate(i).map((f) => f.check);

test('a complete mailbox with a recent finished pass passes', () => {
  expect(gate(input())).toEqual([]);
});

test('no configured mailbox, never migrated, or only a failed first attempt: refused with the reason', () => {
  expect(gate(input({ mailbox: { error: 'no configured mailbox (mailboxes or userMap) has carol …' } }))).toEqual([{ check: 'mailbox', reason: 'no configured mailbox (mailboxes or userMap) has carol …' }]);
  const { state: _s, ...never } = input();
  expect(gate(never)).toEqual([{ check: 'mailbox', reason: 'mailbox bob@old.example → bob was never migrated: fix that and run `ums-migrate run -m bob@old.example`' }]);
  const loginRefused = gate({ ...never, pass: { startedAt: '2025-06-02T10:00:00Z', finishedAt: '2025-06-02T10:00:05Z', ok: false, interrupted: false, error: 'target login as bob at 127.0.0.1:11993: authentication failed' } });
  expect(loginRefused[0]?.reason).toContain('was never migrated (the last attempt, 2025-06-02T10:00:00Z, failed: target login as bob at 127.0.0.1:11993: authentication failed)');
});

test('the last pass must have finished: recorded, not interrupted, not failed, every folder done', () => {
  const { pass: _p, ...noPass } = input();
  expect(gate(noPass)).toEqual([{ check: 'pass', reason: 'no finished pass of bob@old.example → bob is recorded (run by an older version?): run `ums-migrate sync -m bob@old.example`' }]);
  expect(gate(input({ pass: { startedAt: '2025-06-02T10:00:00Z', finishedAt: '2025-06-02T10:01:00Z', ok: false, interrupted: true } }))[0]?.reason).toContain('was interrupted');
  expect(gate(input({ pass: { startedAt: '2025-06-02T10:00:00Z', finishedAt: '2025-06-02T10:01:00Z', ok: false, interrupted: false, error: 'source login as bob@old.example: authentication failed' } }))[0]?.reason)
    .toBe('the last pass of bob@old.example → bob (started 2025-06-02T10:00:00Z) failed: source login as bob@old.example: authentication failed: fix that and run `ums-migrate sync -m bob@old.example`');
  const folders = gate(input({ state: { containers: [container(), container({ containerId: 'Sent', path: 'Sent', status: 'failed', lastError: 'NO [OVERQUOTA]' }), container({ containerId: 'Drafts', path: 'Drafts', status: 'running' })], problems: [] } }));
  expect(folders).toEqual([{ check: 'pass', reason: '2 folder(s) of bob@old.example → bob not finished (Sent: failed (NO [OVERQUOTA]); Drafts: running): run `ums-migrate sync -m bob@old.example`' }]);
});

test('failed and skipped items need an approval that lists each of them; items copied with warnings do not', () => {
  const problems = [problem('7'), problem('8', 'skipped'), problem('9', 'done')];
  const refused = gate(input({ state: { containers: [container()], problems } }));
  expect(refused).toEqual([{
    check: 'problems',
    reason: '1 failed and 1 skipped item(s) of bob@old.example → bob without an approval (`ums-migrate status --problems`): fix them and run `ums-migrate retry --failed -m bob@old.example`, or approve them with `ums-migrate approve --mailbox bob@old.example --reason "…"`',
  }]);
  const approval: Approval = { ...approvalDetail(mailbox, 'quota: attachments archived elsewhere', problems), seq: 12, at: '2025-06-02T11:30:00Z', who: 'pm' };
  expect(approval.items).toHaveLength(2);
  expect(gate(input({ state: { containers: [container()], problems }, approval }))).toEqual([]);
  // Fixed since (retried successfully): still passes. Failed since the approval: refused, naming it.
  expect(gate(input({ state: { containers: [container()], problems: [problem('7')] }, approval }))).toEqual([]);
  const later = gate(input({ state: { containers: [container()], problems: [...problems, problem('10')] }, approval }));
  expect(later.map((f) => f.reason)).toEqual([expect.stringMatching(/^1 failed item\(s\) of bob@old\.example → bob since the approval #12 of 2025-06-02T11:30:00Z /)]);
  // A skipped item that fails later is a new problem too.
  expect(checks(input({ state: { containers: [container()], problems: [problem('7'), problem('8', 'failed')] }, approval }))).toEqual(['problems']);
});

test('the delta is too old past cutover.maxDeltaAgeHours, counted from the start of the last pass', () => {
  const at = (startedAt: string) => input({ pass: { startedAt, finishedAt: '2025-06-02T11:59:00Z', ok: true, interrupted: false } });
  expect(gate(at('2025-06-01T12:00:00Z'))).toEqual([]); // exactly 24 h
  expect(gate(at('2025-06-01T11:00:00Z'))).toEqual([{
    check: 'delta-age',
    reason: 'the last pass of bob@old.example → bob started 25 h ago (2025-06-01T11:00:00Z), more than cutover.maxDeltaAgeHours (24 h): run `ums-migrate sync -m bob@old.example`, or use `cutover --wave … --final-sync`',
  }]);
  expect(checks({ ...at('2025-06-02T11:00:00Z'), maxDeltaAgeHours: 0.5 })).toEqual(['delta-age']);
});

test('groupware: every calendar, task list and address book proven equal by the last reconcile', () => {
  const containers = [container(), container({ containerId: 'cal', path: 'Calendar', targetRef: 'calendar:Calendar' }), container({ containerId: 'ab', path: 'Contacts', targetRef: 'addressbook:Contacts' })];
  const state = { containers, problems: [] };
  expect(gate(input({ state }))).toEqual([{
    check: 'groupware',
    reason: 'bob@old.example → bob has 2 calendar/task/address book collection(s) (addressbook:Contacts, calendar:Calendar) that no reconcile has compared: run `ums-migrate reconcile -m bob@old.example`',
  }]);
  const equal = { target: 'calendar:Calendar', sourceCount: 2, targetCount: 2, matched: 2, missing: 0, extra: 0, changed: 0, unreadable: 0, instancesCompared: 4, instancesMissing: 0, instancesExtra: 0, instancesChanged: 0 };
  const reconcile = { source: mailbox.source, target: mailbox.target, checkedAt: '2025-06-02T11:00:00Z', collections: [equal, { ...equal, target: 'addressbook:Contacts', instancesCompared: 0 }] };
  expect(gate(input({ state, reconcile }))).toEqual([]);
  const differs = gate(input({ state, reconcile: { ...reconcile, collections: [{ ...equal, missing: 1 }] } }));
  expect(differs.map((f) => f.reason)).toEqual([
    'bob@old.example → bob: the last reconcile (2025-06-02T11:00:00Z) found differences in calendar:Calendar: see `ums-migrate reconcile -m bob@old.example`, fix, and run `ums-migrate reconcile -m bob@old.example` again',
    'bob@old.example → bob: addressbook:Contacts not compared by the last reconcile (2025-06-02T11:00:00Z): run `ums-migrate reconcile -m bob@old.example`',
  ]);
  expect(gate(input({ state, reconcile: { ...reconcile, collections: [], error: 'DAV login refused' } }))[0]?.reason).toContain('the last reconcile of bob@old.example → bob (2025-06-02T11:00:00Z) failed: DAV login refused');
});

test('every failed check is reported at once', () => {
  expect(checks(input({
    state: { containers: [container({ status: 'pending' }), container({ containerId: 'c', targetRef: 'tasks:Tasks' })], problems: [problem('1')] },
    pass: { startedAt: '2025-05-01T00:00:00Z', finishedAt: '2025-05-01T00:01:00Z', ok: true, interrupted: false },
  }))).toEqual(['pass', 'problems', 'delta-age', 'groupware']);
});

test('folders the last pass could not migrate need an approval; empty ones and those the config leaves out do not', () => {
  const journal = { container: '8226', name: 'archive.pst: Journal', kind: 'mail' as const, items: 12, by: 'source' as const, reason: 'IPF.Journal folder: not migrated' };
  const calendar = { container: 'cal', name: 'Calendar', kind: 'event' as const, items: 3, by: 'target' as const, reason: 'calendars need a groupware target (groupwareTarget in the config)' };
  const emptyNotes = { ...journal, container: 'n', name: 'Notes', items: 0 };
  const junk = { ...journal, container: 'j', name: 'Junk', items: 40, by: 'config' as const, reason: 'excluded by pattern "Junk"' };
  const pass = { ...input().pass!, notMigrated: [journal, calendar, emptyNotes, junk] };
  expect(gate(input({ pass: { ...pass, notMigrated: [emptyNotes, junk] } }))).toEqual([]);
  const refused = gate(input({ pass }));
  expect(refused).toEqual([{
    check: 'problems',
    reason: '2 folder(s) of bob@old.example → bob not migrated (archive.pst: Journal, Calendar) without an approval (`ums-migrate status --problems`): '
      + 'fix them and migrate the folders where their reason says how (a groupware target for calendars, contacts and tasks), or approve them with `ums-migrate approve --mailbox bob@old.example --reason "…"`',
  }]);
  // with a failed item too: both named, both ways out
  const both = gate(input({ pass, state: { containers: [container()], problems: [problem('7')] } }));
  expect(both[0]?.reason).toMatch(/^1 failed item\(s\) of bob@old\.example → bob and 2 folder\(s\) of bob@old\.example → bob not migrated .*run `ums-migrate retry --failed -m bob@old\.example` or migrate the folders/);
  // approved (the approval lists the folders as what they are: skipped whole folders)
  const approval: Approval = { ...approvalDetail(mailbox, 'journal and calendar stay on the PST', [
    ...folderProblems(mailbox.source, pass.notMigrated),
  ]), seq: 4, at: '2025-06-02T11:30:00Z', who: 'admin' };
  expect(approval).toMatchObject({ failed: 0, skipped: 0, folders: 2 });
  expect(gate(input({ pass, approval }))).toEqual([]);
  // a folder that is newly left behind is not covered by that approval
  const later = { ...pass, notMigrated: [...pass.notMigrated, { ...calendar, container: 'cal2', name: 'Birthdays' }] };
  expect(gate(input({ pass: later, approval }))[0]?.reason).toMatch(/^1 folder\(s\) of bob@old\.example → bob not migrated \(Birthdays\) since the approval #4/);
});
