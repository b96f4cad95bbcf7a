/**
 * Test support (not a test): a real SQLite store filled the way the engine fills it (an inventory,
 * then committed batches) and a config whose mailboxes have waves:
 *
 *   alice (wave w1)  INBOX 10 mail counted, 12 copied (2 arrived after the count), the UMS stores
 *                    each 2 bytes larger; Kalender 4 events (size unknown), all copied; Kontakte
 *                    3 contacts (size unknown), 1 copied; Aufgaben 2 tasks, 600 B, both copied
 *   bob (wave w1)    INBOX 5 mail, nothing copied
 *   carol (wave w2)  only in the config
 *   dave (no wave)   only in the config
 *
 * Wave w1 ran its driven cutover: alice switched, bob held back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveWave, type WaveState } from '../src/cutover/wave-state.js';
import { SqliteStateStore } from '../src/state/sqlite.js';
import type { ItemResult } from '../src/state/store.js';
import { commitItems } from './test-fixture.js';

const done = (n: number, size: number, targetRef: string, from = 1): ItemResult[] => Array.from({ length: n }, (_, i) => ({
  itemId: String(from + i), status: 'done', size, targetRef, targetEpoch: '7', targetId: String(from + i), hash: `h${from + i}`,
}));

export async function kindsWavesFixture(): Promise<{ dir: string; config: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ums-report-kinds-'));
  const path = join(dir, 'state.sqlite');
  const store = new SqliteStateStore(path);
  await store.migrate();
  const cleanup = async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); };
  const alice = await store.mailboxId({ source: 'alice@kinds.test', target: 'alice' });
  await store.recordInventory(alice, [
    { containerId: 'INBOX', path: 'INBOX', name: 'INBOX', targetRef: 'INBOX', kind: 'mail', items: 10, bytes: 10_000 },
    { containerId: 'cal', path: 'Kalender', name: 'Kalender', targetRef: 'calendar:Kalender', kind: 'event', items: 4, bytes: null },
    { containerId: 'abk', path: 'Kontakte', name: 'Kontakte', targetRef: 'addressbook:Kontakte', kind: 'contact', items: 3, bytes: null },
    { containerId: 'tsk', path: 'Aufgaben', name: 'Aufgaben', targetRef: 'tasks:Aufgaben', kind: 'task', items: 2, bytes: 600 },
  ]);
  await commitItems(store, alice, 'INBOX', 'INBOX', done(12, 1002, 'INBOX'));
  await commitItems(store, alice, 'cal', 'calendar:Kalender', done(4, 700, 'calendar:Kalender'));
  await commitItems(store, alice, 'abk', 'addressbook:Kontakte', done(1, 300, 'addressbook:Kontakte'));
  await commitItems(store, alice, 'tsk', 'tasks:Aufgaben', done(2, 300, 'tasks:Aufgaben'));
  for (const c of ['INBOX', 'cal', 'tsk']) await store.setContainerStatus(alice, c, 'done');
  const bob = await store.mailboxId({ source: 'bob@kinds.test', target: 'bob' });
  await store.recordInventory(bob, [{ containerId: 'INBOX', path: 'INBOX', name: 'INBOX', targetRef: 'INBOX', kind: 'mail', items: 5, bytes: 5000 }]);
  const wave: WaveState = {
    wave: 'w1', run: 1, step: 'done', by: 'pm', startedAt: '2025-06-02T10:00:00.000Z', updatedAt: '', force: false,
    members: [{ key: 'a', login: 'alice', source: 'alice@kinds.test', target: 'alice' }, { key: 'b', login: 'bob', source: 'bob@kinds.test', target: 'bob' }],
    problems: [], already: [], passed: ['a'], forced: [], held: [{ key: 'b', login: 'bob', reasons: [] }], flipped: ['a'], versions: [], flippedAll: ['a'],
  };
  await saveWave(store, wave);

  const mailbox = (source: string, target: string, wave?: string) => [`  - source: ${source}`, `    target: ${target}`, '    sourcePassword: env:NOT_NEEDED', '    targetPassword: env:NOT_NEEDED', ...(wave ? [`    wave: ${wave}`] : [])];
  const config = join(dir, 'migration.yaml');
  writeFileSync(config, ['version: 1', 'source:', '  type: imap', '  host: imap.old.example', 'target:', '  host: imap.ums.example', 'state:', `  path: ${JSON.stringify(path)}`, 'mailboxes:',
    ...mailbox('alice@kinds.test', 'alice', 'w1'), ...mailbox('bob@kinds.test', 'bob', 'w1'), ...mailbox('carol@kinds.test', 'carol', 'w2'), ...mailbox('dave@kinds.test', 'dave'), ''].join('\n'));
  return { dir, config, cleanup };
}
