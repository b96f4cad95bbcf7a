import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { forgetSecretsForTests, registerSecret } from '../util/scrub.js';
import { scrubbedWrites } from './scrubbed-writes.js';
import { SqliteStateStore } from './sqlite.js';

afterEach(() => forgetSecretsForTests());

test('item reasons and folder errors written through scrubbedWrites reach the store without any resolved secret', async () => {
  registerSecret('Leaked-Pass-1');
  const raw = new SqliteStateStore(path.join(mkdtempSync(path.join(tmpdir(), 'ums-scrub-')), 'state.sqlite'));
  await raw.migrate();
  const store = scrubbedWrites(raw);
  try {
    const mb = await store.mailboxId({ source: 'bob', target: 'bob' });
    await store.openContainer(mb, 'INBOX', 'INBOX', 'INBOX');
    await store.commitBatch(mb, 'INBOX', [
      { itemId: '1', status: 'failed', size: 10, reason: 'server said: pass Leaked-Pass-1' },
      { itemId: '2', status: 'done', size: 10, targetRef: 'INBOX', targetId: '5', reason: 'copied with warnings: "Leaked-Pass-1"' },
    ], { epoch: '1', cursor: '2', scope: '', token: null, targetRef: 'INBOX' });
    await store.setContainerStatus(mb, 'INBOX', 'failed', 'cannot open: Leaked-Pass-1');
    const problems = await store.problems();
    expect(problems.map((p) => p.reason).sort()).toEqual(['copied with warnings: "[redacted]"', 'server said: pass [redacted]']);
    expect((await store.containers()).map((c) => c.lastError)).toEqual(['cannot open: [redacted]']);
    // Everything else passes through unchanged.
    expect(await store.findMailbox({ source: 'bob', target: 'bob' })).toBe(mb);
  } finally {
    await store.close();
  }
});
