import type { JobReport, MailboxReport } from '../engine/job.js';
import { defaultLogFile, stopMessage, summarise } from './run.js';

function mailbox(source: string, over: Partial<MailboxReport> = {}): MailboxReport {
  return { source, target: source, ok: true, interrupted: false, warnings: [], containers: [], ...over };
}

function report(over: Partial<JobReport> = {}): JobReport {
  return {
    mailboxes: [], copied: 0, recovered: 0, failed: 0, skipped: 0, bytes: 0, kinds: {}, flagsUpdated: 0, deleted: 0, duplicatesRemoved: 0,
    checkedContainers: 0, unchangedContainers: 0, failedContainers: 0, failedMailboxes: 0, interrupted: false, seconds: 2, ...over,
  };
}

test('an interrupted run says "interrupted" per unfinished mailbox and the exact command that continues it', () => {
  const text = summarise(report({
    interrupted: true, copied: 3, kinds: { mail: { copied: 3, recovered: 0, failed: 0, skipped: 0, bytes: 300 } },
    mailboxes: [
      mailbox('anna@x', { containers: [{ source: 'INBOX', name: 'INBOX', kind: 'mail', target: 'INBOX', ok: true, copied: 3 }] }),
      mailbox('erin o\'neil@x', { interrupted: true, containers: [{ source: 'AAMk', name: 'Posteingang', kind: 'mail', target: 'INBOX', ok: true, interrupted: true }] }),
      mailbox('finn@x', { interrupted: true }),
    ],
  }), { config: '/srv/mig/migration.yaml', command: 'run' });
  const rows = text.split('\n');
  expect(rows.find((l) => l.startsWith('anna@x'))).toMatch(/ ok /);
  expect(rows.find((l) => l.startsWith('erin'))).toMatch(/ interrupted /);
  expect(rows.find((l) => l.startsWith('finn@x'))).toMatch(/ interrupted /);
  expect(text).toContain('Interrupted: 2 mailboxes not finished (erin o\'neil@x, finn@x). Continue with:\n'
    + '  ums-migrate resume -c /srv/mig/migration.yaml -m \'erin o\'\\\'\'neil@x\' -m finn@x');
  // a sync continues as a sync; with every mailbox unfinished and none chosen, no -m at all
  expect(summarise(report({ interrupted: true, mailboxes: [mailbox('a', { interrupted: true })] }), { config: 'm.yaml', command: 'sync' }))
    .toContain('  ums-migrate sync -c m.yaml');
  expect(summarise(report({ interrupted: true, mailboxes: [mailbox('a', { interrupted: true })] }), { config: 'm.yaml', command: 'run', mailboxesChosen: true }))
    .toContain('  ums-migrate resume -c m.yaml -m a');
});

test('counters say only what happened: no "0 folders unchanged", no flag changes that were not made; kinds apart', () => {
  const noop = summarise(report({ checkedContainers: 12, mailboxes: [mailbox('erin@x')] }), { config: 'm.yaml' });
  expect(noop).toContain('Nothing new: 12 folders checked in 2.0 s.');
  expect(noop).not.toMatch(/unchanged|flag change|recovered from|deletion/);
  const mixed = summarise(report({
    copied: 7, recovered: 2, bytes: 2048, flagsUpdated: 1, checkedContainers: 4, unchangedContainers: 1,
    kinds: { mail: { copied: 5, recovered: 2, failed: 0, skipped: 0, bytes: 1024 }, event: { copied: 1, recovered: 0, failed: 0, skipped: 0, bytes: 512 }, task: { copied: 1, recovered: 0, failed: 0, skipped: 0, bytes: 512 } },
    mailboxes: [mailbox('erin@x', { containers: [
      { source: 'a', name: 'Inbox', kind: 'mail', target: 'INBOX', ok: true, copied: 5, recovered: 2 },
      { source: 'b', name: 'Kalender', kind: 'event', target: 'calendar:Kalender', ok: true, copied: 1 },
      { source: 'c', name: 'Aufgaben', kind: 'task', target: 'tasks:Aufgaben', ok: true, copied: 1 },
      { source: 'd', name: 'Gesendet', kind: 'mail', target: 'INBOX.Sent', ok: false, error: 'NO [OVERQUOTA]' },
    ] })],
  }), { config: 'm.yaml' });
  expect(mixed.split('\n')[0]).toMatch(/source\s+target\s+result\s+folders\s+mail\s+events\s+tasks\s+recovered\s+failed\s+skipped/);
  expect(mixed).toContain('Copied 5 messages, 1 event, 1 task (2.0 KiB) in 2.0 s (3.5 items/s); 2 found already written after an interrupted run (crash recovery); 1 flag change carried over; 1 of 4 folders unchanged since the last pass.');
  expect(mixed).toContain('folder failed: erin@x Gesendet → INBOX.Sent: NO [OVERQUOTA]');
});

test('SIGTERM is not told to "press" anything; each message says what a second signal does', () => {
  expect(stopMessage('SIGTERM')).not.toMatch(/press/i);
  expect(stopMessage('SIGTERM')).toContain('a second SIGTERM stops at once');
  expect(stopMessage('SIGINT')).toContain('press Ctrl-C again to stop at once');
});

test('with the progress line shown and no logging.file, logs go to a file beside the state, never between redraws', () => {
  const sqlite = { logging: { level: 'info' as const }, state: { driver: 'sqlite' as const, path: '/srv/mig/state/state.sqlite' } };
  expect(defaultLogFile(sqlite, '/srv/mig', true)).toBe('/srv/mig/state/ums-migrate.log');
  expect(defaultLogFile(sqlite, '/srv/mig', false)).toBeUndefined(); // no terminal: logs stay on stderr as documented
  expect(defaultLogFile({ ...sqlite, logging: { level: 'info', file: '/var/log/m.log' } }, '/srv/mig', true)).toBeUndefined();
  expect(defaultLogFile({ logging: { level: 'info' }, state: { driver: 'postgres', url: 'env:U', allowInsecure: false } }, '/srv/mig', true)).toBe('/srv/mig/ums-migrate.log');
});
