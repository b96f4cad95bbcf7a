/**
 * ums-imap (the UMS's Courier-IMAP; here the lab's) through the target conformance suite. Courier
 * refuses an item the way it does on a live UMS: an APPEND over the mailbox's quota.
 */
import { execFileSync } from 'node:child_process';
import { UmsImapTarget } from '../../connectors/ums-imap/index.js';
import { addTargetUser, startLab, targetMaildir, uniqueLogin } from '../lab/lab.js';
import { describeTargetConnector } from './target-suite.js';
import { silentLog } from './file-fixtures.js';
import { labImapEndpoint } from './lab-fixtures.js';

const message = (n: number, body = `body ${n}\r\n`) => ({
  content: Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: conformance ${n}\r\nDate: Fri, 01 Mar 2024 09:00:00 +0000\r\nMessage-ID: <conf-${n}@example.org>\r\n\r\n${body}`),
  messageId: `<conf-${n}@example.org>`,
});

/** The same suite twice: APPEND into the folder, and through a staging folder (every folder staged: `stagingFrom: 0`). */
for (const staged of [false, true]) describeTargetConnector(staged ? 'ums-imap (staged writes)' : 'ums-imap', async () => {
  const lab = await startLab();
  const login = uniqueLogin(staged ? 'confstg' : 'conftgt');
  const password = 'pw-conformance-tgt';
  await addTargetUser(login, password);
  return {
    connector: () => new UmsImapTarget(labImapEndpoint(lab.target), silentLog, 2, undefined, { stagingFrom: staged ? 0 : false, stagingAfter: 0 }),
    account: { login, password },
    kind: 'mail',
    ref: (name) => `INBOX.${name}`,
    item: (n) => message(n),
    async rejected() {
      execFileSync('runuser', ['-u', 'umslab', '--', 'maildirmake', '-q', `${1024 * 1024}S`, targetMaildir(login)]);
      return { ...message(999, `${'x'.repeat(76)}\r\n`.repeat(20_000)), reason: 'You exceeded your mail quota.' };
    },
    writes: 'recoverable',
    async cleanup() {},
  };
});
