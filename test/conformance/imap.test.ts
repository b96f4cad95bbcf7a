/**
 * imap (any IMAP server; here the lab's Dovecot) through the source conformance suite, on a
 * generated corpus. An item turns unreadable the way it does on a live mailbox: the user's mail
 * program expunges it between the listing and the read.
 */
import { ImapSource } from '../../connectors/imap-source/index.js';
import { generateCorpus, seedSource } from '../lab/corpus.js';
import { addSourceUser, startLab, uniqueLogin } from '../lab/lab.js';
import { describeSourceConnector } from './source-suite.js';
import { silentLog } from './file-fixtures.js';
import { asUser, labImapEndpoint } from './lab-fixtures.js';

describeSourceConnector('imap', async () => {
  const lab = await startLab();
  const login = uniqueLogin('confsrc');
  const password = 'pw-conformance-src';
  await addSourceUser(login, password);
  await seedSource(lab, login, password, generateCorpus({ messages: 24, folders: ['INBOX', 'Sent', 'Projects/Q3', 'Entwürfe'], maxSize: 20 * 1024, seed: 14 }));
  return {
    connector: () => new ImapSource(labImapEndpoint(lab.source), silentLog, 2),
    account: { login, password },
    async spoil(c, item) {
      await asUser(lab.source, login, password, async (client) => {
        await client.mailboxOpen(c.id);
        await client.messageDelete(item.id, { uid: true });
      });
      return `UID ${item.id}`;
    },
    async grow(c) {
      await asUser(lab.source, login, password, (client) => client.append(c.id, 'From: a@example.org\r\nSubject: delivered later\r\nMessage-ID: <later@example.org>\r\n\r\nlater\r\n'));
    },
    async cleanup() {},
  };
});
