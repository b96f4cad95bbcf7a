/**
 * The dashboard server over HTTP (no browser): a state store that cannot be read gets a 503 that
 * says why, and serves again once it can; the token and the read-only rule hold on every path.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { loadProgressReport } from '../commands/report.js';
import { startDashboard, type RunningDashboard } from './server.js';

const TOKEN = 'a-token-of-the-test-0123456789';
let dir: string;
let dash: RunningDashboard;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ums-dash-'));
  // The state path is a directory: no store can be opened there.
  mkdirSync(join(dir, 'state.sqlite'));
  writeFileSync(join(dir, 'migration.yaml'), ['version: 1', 'source:', '  type: imap', '  host: imap.old.example', 'target:', '  host: imap.ums.example',
    'state:', '  path: ./state.sqlite', 'mailboxes:', '  - source: alice@example.com', '    sourcePassword: env:X', '    targetPassword: env:X', ''].join('\n'));
  const loaded = await loadConfig(join(dir, 'migration.yaml'));
  dash = await startDashboard({ host: '127.0.0.1', port: 0, token: TOKEN, refreshSeconds: 2, load: () => loadProgressReport(loaded, new Date()) });
});
afterAll(async () => {
  await dash?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, token = TOKEN) => fetch(new URL(path, dash.url), { headers: { authorization: `Bearer ${token}` } });

test('an unreadable store: 503 naming it, on the page (which reloads itself) and the API; then served once readable', async () => {
  const page = await get('/');
  expect(page.status).toBe(503);
  const html = await page.text();
  expect(html).toContain('<meta http-equiv="refresh" content="2">');
  expect(html).toContain("The migration's state cannot be read");
  expect(html).toContain(join(dir, 'state.sqlite'));
  const api = await get('/api/report');
  expect(api.status).toBe(503);
  expect(await api.text()).toMatch(/^the state store cannot be read: .*state\.sqlite/);
  // Fixed: no state file yet, so every configured mailbox is pending.
  rmSync(join(dir, 'state.sqlite'), { recursive: true });
  await new Promise((r) => setTimeout(r, 1100));
  const ok = await get('/api/report');
  expect(ok.status).toBe(200);
  const body = await ok.json() as { report: { mailboxes: { source: string; state: string }[] } };
  expect(body.report.mailboxes).toMatchObject([{ source: 'alice@example.com', state: 'pending' }]);
});

test('the token is checked on every path; a wrong one learns nothing', async () => {
  for (const path of ['/', '/api/report', '/dashboard.js', '/nothing-here']) {
    const r = await get(path, `${TOKEN}x`);
    expect({ path, status: r.status }).toEqual({ path, status: 401 });
    expect(await r.text()).not.toContain('alice');
  }
  expect((await get('/nothing-here')).status).toBe(404);
  const post = await fetch(new URL('/', dash.url), { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: 'x' });
  expect(post.status).toBe(405);
});
