import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { jest } from '@jest/globals';
import { runCli } from '../../test/support/cli.js';
import { forgetSecretsForTests, registerSecret } from '../util/scrub.js';
import { humanText, installOutputScrubbing, printJson, printJsonText } from './output.js';

afterEach(() => forgetSecretsForTests());

test('humanText scrubs secrets and escapes control characters, keeping line breaks', () => {
  registerSecret('top-secret-1');
  expect(humanText('a top-secret-1\x1b[2J\nb\u202e\n')).toBe('a [redacted]\\x1b[2J\nb\\u202e\n');
});

test('installOutputScrubbing: every string written to the stream is scrubbed; buffers pass unchanged', () => {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { chunks.push(chunk.toString()); cb(); } }) as unknown as NodeJS.WriteStream;
  installOutputScrubbing([stream]);
  installOutputScrubbing([stream]); // idempotent
  registerSecret('later-secret');
  stream.write('error: later-secret refused\n');
  stream.write(Buffer.from('bytes later-secret\n'));
  expect(chunks).toEqual(['error: [redacted] refused\n', 'bytes later-secret\n']);
});

test('printJson: exact values, but C1, DEL, bidi and U+2028 written as \\u escapes (JSON leaves them raw for the terminal)', () => {
  const value = { folder: 'Evil\u009b31m\u202eFolder\u2028x\u007f\u2066y', esc: '\x1b]0;t\x07' };
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { written.push(String(chunk)); return true; });
  try {
    printJson(value);
    printJson(value, 0);
    printJsonText(`${JSON.stringify(value)}\n`);
  } finally {
    spy.mockRestore();
  }
  expect(written).toHaveLength(3);
  for (const text of written) {
    expect(JSON.parse(text)).toEqual(value);
    // eslint-disable-next-line no-control-regex
    expect(text.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/);
    expect(text.endsWith('\n') && !text.endsWith('\n\n')).toBe(true);
  }
});

test('the CLI prints an error at exit with the control characters of its outside parts escaped', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ums-exit-'));
  const file = path.join(dir, 'migration.yaml');
  writeFileSync(file, [
    'version: 1', 'state:', '  path: ./state.sqlite', 'logging:', '  file: ./run.log',
    'source:', '  type: imap', '  host: 127.0.0.1', '  port: 1',
    'target:', '  type: ums-imap', '  host: 127.0.0.1', '  port: 1',
    'mailboxes:', '  - { source: alice, target: alice, sourcePassword: env:X_PW, targetPassword: env:X_PW }', '',
  ].join('\n'));
  const r = await runCli(['run', '-c', file, '-m', 'evil\x1b]0;pwned\x07\x1b[2J\u202e'], { X_PW: 'unused-pw' });
  expect(r.code).toBe(1);
  expect(r.stderr).toBe('ums-migrate: no configured mailbox matches evil\\x1b]0;pwned\\x07\\x1b[2J\\u202e\n');
}, 60_000);

test('commander\'s own errors (unknown option, invalid argument, also of a subcommand) quote a hostile argument escaped', async () => {
  const hostile = '\x1b]0;pwned\x07\x1b[2J\u202e';
  const unknown = await runCli(['status', `--x${hostile}`]);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain("error: unknown option '--x\\x1b]0;pwned\\x07\\x1b[2J\\u202e'");
  const invalid = await runCli(['run', '--concurrency', hostile]);
  expect(invalid.stderr).toContain("argument '\\x1b]0;pwned\\x07\\x1b[2J\\u202e' is invalid");
  const nested = await runCli(['routing', 'check', 'a@b.example', `--y${hostile}`]);
  expect(nested.stderr).toContain("unknown option '--y\\x1b]0;pwned");
  for (const r of [unknown, invalid, nested]) {
    // eslint-disable-next-line no-control-regex
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
  }
}, 60_000);

test('validate shows a hostile config value escaped in its problem list', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ums-validate-'));
  const file = path.join(dir, 'migration.yaml');
  writeFileSync(file, [
    'version: 1',
    'source:', '  type: imap', '  host: 127.0.0.1', '  port: "\\e]0;pwned\\a\\e[2J\\u202e"',
    'target:', '  type: ums-imap', '  host: 127.0.0.1',
    'mailboxes:', '  - { source: alice, target: alice }', '',
  ].join('\n'));
  const r = await runCli(['validate', '-c', file]);
  expect(r.code).toBe(2);
  // The value is quoted as JSON by the issue list (C0 as \u001b); the bidi override is escaped on printing.
  expect(r.stderr).toContain('got "\\u001b]0;pwned\\u0007\\u001b[2J\\u202e"');
  // eslint-disable-next-line no-control-regex
  expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
}, 60_000);
