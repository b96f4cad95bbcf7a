/** kopano-backup (kopano-backup's Berkeley DB user directories) through the source conformance suite, on generated backups. */
import { join } from 'node:path';
import { KopanoBackupSource } from '../../connectors/kopano/index.js';
import { writeKopanoBackup, type GenFolder } from '../../connectors/kopano/test-support.js';
import { describeSourceConnector } from './source-suite.js';
import { silentLog, tempTree } from './file-fixtures.js';

const sk = (n: number) => `0102030405060708090A0B0C0D0E0F10${n.toString(16).padStart(2, '0').toUpperCase()}00000000`;

/** The backup: `corrupt` items stored damaged, `grown` folders (by path) with mail 9, backed up later. */
function folders(corrupt: ReadonlySet<string>, grown: ReadonlySet<string>): GenFolder[] {
  const mail = (n: number) => ({ sourcekey: sk(n), subject: `mail ${n}`, body: `body ${n}\r\n`, from: 'a@example.org', updated: `2024-01-0${n}T10:00:00`, corrupt: corrupt.has(sk(n)) });
  const more = (path: string) => (grown.has(path) ? [9] : []);
  return [
    { sourcekey: 'F1', path: 'Inbox', containerClass: 'IPF.Note', mails: [1, 2, 3, 4, 5, ...more('Inbox')].map(mail) },
    { sourcekey: 'F2', path: 'Inbox/Projects', containerClass: 'IPF.Note', nestedUnder: 'F1', mails: [6, ...more('Inbox/Projects')].map(mail) },
    { sourcekey: 'F3', path: 'Sent Items', containerClass: 'IPF.Note', mails: [7, 8, ...more('Sent Items')].map(mail) },
  ];
}

describeSourceConnector('kopano-backup', async () => {
  const tree = tempTree('conf-kopano-backup');
  const corrupt = new Set<string>();
  const grown = new Set<string>();
  writeKopanoBackup(join(tree.root, 'gen'), 'gen', folders(corrupt, grown));
  return {
    connector: () => new KopanoBackupSource(tree.root, silentLog),
    account: { login: 'gen' },
    missingId: sk(99),
    async spoil(_c, item) {
      // kopano-backup writes a new backup: the same items, this one's stored value damaged.
      corrupt.add(item.id);
      writeKopanoBackup(join(tree.root, 'gen'), 'gen', folders(corrupt, grown));
      return item.id;
    },
    async grow(c) {
      grown.add(c.path.join('/'));
      writeKopanoBackup(join(tree.root, 'gen'), 'gen', folders(corrupt, grown));
    },
    async cleanup() { tree.remove(); },
  };
});
