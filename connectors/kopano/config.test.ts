import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { validateConfigText } from '../../src/config/load.js';
import { createSource } from '../registry.js';
import { KopanoBackupSource } from './index.js';
import { KopanoTreeSource } from './tree-source.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ums-kopano-config-'));
const text = (source: string, mailbox = '  - source: testuser\n    targetPassword: env:TGT') => `version: 1
source:
${source}
target:
  host: imap.ums.example
mailboxes:
${mailbox}
`;

describe('config: kopano-backup and kopano-tree sources', () => {
  it('accepts a backup directory without source passwords and resolves it against the config dir', async () => {
    const r = validateConfigText(text('  type: kopano-backup\n  path: backups/kopano'), { baseDir: dir, env: { TGT: 'x' } });
    expect(r.issues).toEqual([]);
    expect(r.config?.source).toEqual({ type: 'kopano-backup', path: path.join(dir, 'backups/kopano') });
    const src = await createSource(r.config!.source, { baseDir: dir, env: {}, log: pino({ level: 'silent' }), perMailbox: { source: 1, target: 1 } });
    expect(src).toBeInstanceOf(KopanoBackupSource);
  });

  it('builds the tree source and warns that a source password is ignored', async () => {
    const r = validateConfigText(text('  type: kopano-tree\n  path: /srv/export', '  - source: testuser\n    sourcePassword: env:TGT\n    targetPassword: env:TGT'), { baseDir: dir, env: { TGT: 'x' } });
    expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(r.issues.map((i) => i.message)).toEqual([expect.stringContaining('ignored because source.type kopano-tree needs no password')]);
    const src = await createSource(r.config!.source, { baseDir: dir, env: {}, log: pino({ level: 'silent' }), perMailbox: { source: 1, target: 1 } });
    expect(src).toBeInstanceOf(KopanoTreeSource);
  });

  it('refuses endpoint fields on a file source', () => {
    const r = validateConfigText(text('  type: kopano-backup\n  path: /srv/b\n  host: kopano.example'), { baseDir: dir, env: { TGT: 'x' } });
    expect(r.issues.some((i) => i.severity === 'error' && /host/.test(`${i.path} ${i.message}`))).toBe(true);
  });
});
