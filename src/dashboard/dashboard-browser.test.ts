/**
 * The live dashboard end to end: the real `dashboard` command serves the state of a real run
 * (Dovecot → Courier lab) in headless Chromium (the Debian `chromium`, as reports/report-browser
 * does). The page, opened before the run starts, updates itself (no reload) while the run goes on
 * and reaches done; without the token, or with a wrong one, only a 401 page without data; nothing
 * can be written; a non-loopback address is refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { generateCorpus, seedSource } from '../../test/lab/corpus.js';
import { addSourceUser, addTargetUser, startLab, uniqueLogin } from '../../test/lab/lab.js';
import { BIN, runCli, spawnCli } from '../../test/support/cli.js';
import { writeLabConfig } from '../../test/support/lab-config.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = process.env.UMS_REPORT_SHOTS ?? tmpdir();

let browser: Browser;
let dashboard: ChildProcess | undefined;
let dashboardOut = '';
let config: string;
let source: string;
let url: string;
let token: string;

/** Starts `ums-migrate dashboard` and waits for the address it prints. */
function startDashboard(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'dashboard', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    dashboard = child;
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      dashboardOut += d.toString();
      const m = /Dashboard \(read-only\): (http:\/\/\S+)/.exec(dashboardOut);
      if (m) resolve(m[1] as string);
    });
    child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('close', (code) => reject(new Error(`dashboard exited ${code}: ${err}`)));
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run test/lab/install.sh as root (Debian package chromium)`);
  const lab = await startLab();
  const password = 'pw-dashboard-1';
  source = uniqueLogin('dash');
  const target = uniqueLogin('dash');
  await addSourceUser(source, password);
  await addTargetUser(target, password);
  await seedSource(lab, source, password, generateCorpus({ messages: 800, maxSize: 16 * 1024, seed: 17 }));
  // Small batches, one folder at a time: the run lasts several refreshes of the page.
  ({ file: config } = writeLabConfig(lab, { source, target, password }, ['concurrency:', '  tasks: 1', '  batchSize: 5', '  writersPerTask: 1']));
  const printed = await startDashboard(['-c', config, '--listen', '127.0.0.1:0', '--refresh', '1']);
  const u = new URL(printed);
  token = u.searchParams.get('token') as string;
  url = `${u.origin}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (dashboard && dashboard.exitCode === null) {
    const closed = new Promise((r) => dashboard?.once('close', r));
    dashboard.kill('SIGTERM');
    await closed;
  }
});

test('the printed address holds a random token; the command says it is read-only', () => {
  expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(dashboardOut).toContain('The address holds the access token');
});

test('opened before the run, the page follows it without reloading and reaches done', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const first = await page.goto(`${url}?token=${token}`);
  expect(first?.status()).toBe(200);
  // The token left the address bar (it is in an HttpOnly cookie now).
  expect(page.url()).toBe(url);
  expect(await page.evaluate(() => document.cookie)).toBe('');
  const row = () => page.$eval('tr.mailbox', (tr) => ({
    state: (tr.querySelector('.state') as HTMLElement).innerText.trim(),
    pct: (tr.querySelector('td.progress .pct') as HTMLElement).innerText.trim(),
    items: (tr.querySelector('td.items') as HTMLElement).innerText.replace(/\s+/g, ' ').trim(),
  }));
  expect(await row()).toMatchObject({ state: '○ pending', pct: '0%' });
  await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42; });

  const run = spawnCli(['run', '-c', config]);
  let finished = false;
  void run.done.then(() => { finished = true; });
  const seen: { pct: string; items: string; state: string }[] = [];
  const deadline = Date.now() + 240_000;
  for (;;) {
    const r = await row();
    if (seen.at(-1)?.items !== r.items || seen.at(-1)?.state !== r.state) seen.push(r);
    if (r.state === '✓ done' || Date.now() > deadline) break;
    await page.waitForTimeout(150);
  }
  const result = await run.done;
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  expect(finished).toBe(true);
  expect(seen.at(-1)).toMatchObject({ state: '✓ done', pct: '100%', items: '800 / 800 messages' });
  // Numbers seen between the start and the end: the page changed while the run was going on.
  const between = seen.filter((s) => s.state === '▶ running' && s.pct !== '100%');
  expect(between.length).toBeGreaterThanOrEqual(2);
  const done = seen.map((s) => Number(/^(\d+) \//.exec(s.items)?.[1] ?? -1));
  expect(done.every((n, i) => i === 0 || n >= (done[i - 1] as number))).toBe(true);
  // Same document all along: updated in place, not reloaded.
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  expect(await page.locator('#live').innerText()).toBe('Live: refreshed every 1 s');
  expect(await page.locator('#card-progress .value').innerText()).toBe('100%');
  const layout = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(layout.scroll).toBeLessThanOrEqual(layout.client);
  await page.screenshot({ path: join(SHOTS, 'ums-dashboard-phone.png'), fullPage: true });
  expect(problems).toEqual([]);
  await page.close();
}, 300_000);

test('no token or a wrong one: 401 and a page without data; the API too', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  for (const address of [url, `${url}?token=${token.slice(0, -1)}x`, `${url}?token=`, `${url}api/report`, `${url}dashboard.js`]) {
    const res = await page.goto(address);
    expect({ address, status: res?.status() }).toEqual({ address, status: 401 });
    const text = await page.locator('body').innerText();
    expect(text).toContain('Access token needed');
    expect(text).not.toContain(source);
    expect(await page.content()).not.toContain(source);
  }
  // A cookie with a wrong token, or a wrong bearer token, gets nothing either.
  await ctx.addCookies([{ name: 'ums_dashboard', value: 'x'.repeat(32), url }]);
  expect((await page.goto(url))?.status()).toBe(401);
  const api = await ctx.request.get(`${url}api/report`, { headers: { authorization: 'Bearer wrong-wrong-wrong-wrong' } });
  expect(api.status()).toBe(401);
  expect(await api.text()).not.toContain(source);
  await ctx.close();
});

test('read-only: only GET and HEAD, with the token too', async () => {
  const ctx = await browser.newContext();
  const auth = { authorization: `Bearer ${token}` };
  const ok = await ctx.request.get(`${url}api/report`, { headers: auth });
  expect(ok.status()).toBe(200);
  const body = await ok.json() as { report: { schemaVersion: number; mailboxes: { source: string }[] }; html: string };
  expect(body.report.schemaVersion).toBe(2);
  expect(body.report.mailboxes.map((m) => m.source)).toEqual([source]);
  expect(ok.headers()['cache-control']).toBe('no-store');
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const res = await ctx.request.fetch(`${url}api/report`, { method, headers: auth, data: '{}' });
    expect({ method, status: res.status(), allow: res.headers().allow }).toEqual({ method, status: 405, allow: 'GET, HEAD' });
  }
  await ctx.close();
});

test('a non-loopback address is refused without --allow-remote', async () => {
  const r = await runCli(['dashboard', '-c', config, '--listen', '0.0.0.0:0']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--listen 0.0.0.0:0 is not a loopback address: the dashboard shows every mailbox login; add --allow-remote');
  expect(r.stdout).toBe('');
});
