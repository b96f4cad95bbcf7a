/**
 * The in-memory source and target of the engine tests (test/support/memory-connectors.ts) through
 * both conformance suites: the engine's tests stand on doubles that keep the same contracts as the
 * real connectors.
 */
import type { Account, Container, ItemMeta, SourceConnector, SourceMailboxCore } from '../../src/model/types.js';
import { MemorySource, MemoryTarget } from '../support/memory-connectors.js';
import { describeSourceConnector } from './source-suite.js';
import { describeTargetConnector } from './target-suite.js';

/** Only what a source must implement (SourceMailboxCore): the engine derives the rest by listing (src/engine/derived-source.ts). */
class MinimalSource implements SourceConnector {
  readonly name = 'memory-minimal';
  constructor(private readonly inner: MemorySource) {}
  async openMailbox(a: Account): Promise<SourceMailboxCore> {
    const m = await this.inner.openMailbox(a);
    return { containers: () => m.containers(), changes: (c, cur, n) => m.changes(c, cur, n), read: (c, items) => m.read(c, items), close: () => m.close() };
  }
  async close(): Promise<void> {}
}

for (const shape of ['whole', 'minimal'] as const) {
  describeSourceConnector(shape === 'whole' ? 'memory' : 'memory (containers, changes, read, close only)', async () => {
    const data = new MemorySource();
    for (let i = 0; i < 9; i++) {
      data.add(i % 3 === 2 ? ['Archive', '2019'] : ['INBOX'], `Message-ID: <m${i}@example.org>\r\nSubject: ${i}\r\n\r\nbody ${i}\r\n`, { messageId: `<m${i}@example.org>`, flags: i % 2 ? ['\\Seen'] : [] });
    }
    const fresh = () => Object.assign(new MemorySource(), { folders: data.folders });
    return {
      connector: () => (shape === 'whole' ? fresh() : new MinimalSource(fresh())),
      account: { login: 'memory' },
      async spoil(c: Container, item: ItemMeta) {
        const f = data.folders.get(c.id)!;
        f.messages = f.messages.filter((m) => String(m.uid) !== item.id);
        return `item ${item.id}`;
      },
      async grow(c: Container) {
        data.add(c.path, 'Message-ID: <later@example.org>\r\nSubject: later\r\n\r\nlater\r\n', { messageId: '<later@example.org>' });
      },
      async cleanup() {},
    };
  });
}

// Both ways a target keeps a second write from duplicating: recovery by search (IMAP-like) and idempotent writes (DAV-like).
for (const writes of ['recoverable', 'idempotent'] as const) {
  describeTargetConnector(`memory (${writes} writes)`, async () => {
    const target = new MemoryTarget({ writes });
    const message = (n: number, body = 'body') => ({ content: Buffer.from(`Message-ID: <t${n}@example.org>\r\nSubject: ${n}\r\n\r\n${body} ${n}\r\n`), messageId: `<t${n}@example.org>` });
    return {
      // One instance: its folders are the "server".
      connector: () => target,
      account: { login: 'memory' },
      kind: 'mail',
      ref: (name) => `INBOX.${name}`,
      item: (n) => message(n),
      async rejected() {
        const bad = message(999, 'refused');
        target.fault = (_n, item) => (item.meta.messageId === bad.messageId ? { when: 'before', kind: 'reject' } : undefined);
        return { ...bad, reason: 'rejected (injected)' };
      },
      writes,
      async cleanup() {},
    };
  });
}
