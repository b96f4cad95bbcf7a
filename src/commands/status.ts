/** `status`: per-mailbox progress from the state store (no server is contacted). */
import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { EXIT } from '../cli/exit-codes.js';
import { openStateStore } from '../state/open.js';
import { formatBytes, table } from '../util/format.js';

export async function statusCommand(opts: { config: string; json?: boolean; problems?: boolean; folders?: boolean }): Promise<number> {
  const { config, baseDir } = await loadConfig(opts.config);
  if (config.state.driver === 'sqlite' && !existsSync(config.state.path)) {
    process.stdout.write(`No run yet: ${config.state.path} does not exist.\n`);
    return EXIT.OK;
  }
  const store = await openStateStore(config.state, { baseDir });
  try {
    const mailboxes = await store.mailboxes();
    const problems = opts.problems ? await store.problems() : [];
    const containers = opts.folders ? await store.containers() : [];
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ mailboxes, containers, problems }, null, 2)}\n`);
      return EXIT.OK;
    }
    const pct = (a: number, b: number) => (b > 0 ? `${Math.min(100, Math.floor((a / b) * 100))}%` : '-');
    process.stdout.write(`${table(
      ['source', 'target', 'state', 'folders', 'messages', 'done', 'failed', 'skipped', 'bytes done', 'updated'],
      mailboxes.map((m) => [
        m.source, m.target,
        m.containersFailed > 0 ? 'failed' : m.containers > 0 && m.containersDone === m.containers ? 'done' : m.containers > 0 ? 'in progress' : 'pending',
        `${m.containersDone}/${m.containers}`, m.totalItems, `${m.doneItems} (${pct(m.doneItems, m.totalItems)})`, m.failedItems, m.skippedItems,
        formatBytes(m.doneBytes), m.updatedAt ?? '-',
      ]),
    )}\n`);
    if (opts.folders) {
      const byId = new Map(mailboxes.map((m) => [m.id, m.source]));
      process.stdout.write(`\n${table(['mailbox', 'folder', 'target', 'state', 'messages', 'done', 'failed', 'skipped', 'error'],
        containers.map((c) => [byId.get(c.mailboxId) ?? '?', c.path, c.targetRef, c.status, c.totalItems, c.doneItems, c.failedItems, c.skippedItems, c.lastError ?? '']))}\n`);
    }
    if (opts.problems) {
      process.stdout.write(problems.length === 0 ? '\nNo failed or skipped items.\n'
        : `\n${table(['mailbox', 'folder', 'uid', 'size', 'status', 'reason'], problems.map((p) => [p.mailbox, p.path, p.itemId, p.size, p.status, p.reason]))}\n`);
    }
    return EXIT.OK;
  } finally {
    await store.close();
  }
}
