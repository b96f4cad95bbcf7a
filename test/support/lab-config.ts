/** Writes a migration.yaml for one lab mailbox pair (IMAPS with the lab CA, passwords in a file). */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../lab/lab.js';

export function writeLabConfig(lab: Lab, pair: { source: string; target: string; password: string }, extra: string[] = [], into?: string): { dir: string; file: string } {
  const dir = into ?? mkdtempSync(join(tmpdir(), 'ums-e2e-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pw'), `${pair.password}\n`, { mode: 0o600 });
  const file = join(dir, 'migration.yaml');
  writeFileSync(file, [
    '# A lab config (see migration.example.yaml for every option).',
    'version: 1',
    'state:',
    '  path: ./state.sqlite',
    'logging:',
    '  level: info',
    '  file: ./run.log',
    'source:',
    '  type: imap',
    `  host: ${lab.source.host}`,
    `  port: ${lab.source.tlsPort}`,
    `  caFile: ${lab.source.caFile}`,
    'target:',
    '  type: ums-imap',
    `  host: ${lab.target.host}`,
    `  port: ${lab.target.tlsPort}`,
    `  caFile: ${lab.target.caFile}`,
    'mailboxes:',
    `  - source: ${pair.source}`,
    `    target: ${pair.target}`,
    '    sourcePassword: file:./pw',
    '    targetPassword: file:./pw',
    ...extra,
    '',
  ].join('\n'));
  return { dir, file };
}
