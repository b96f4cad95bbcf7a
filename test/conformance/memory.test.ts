/**
 * The in-memory source and target of the engine tests (test/support/memory-connectors.ts) through
 * both conformance suites: the engine's tests stand on doubles that keep the same contracts as the
 * real connectors.
 */
import type { Container, ItemMeta } from '../../src/model/types.js';
import { MemorySource, MemoryTarget } from '../support/memory-connectors.js';
import { describeSourceConnector } from './source-suite.js';
import { describeTargetConnector } from './target-suite.js';

describeSourceConnector('memory', async () => {
  const data = new MemorySource();
  for (let i = 0; i < 9; i++) {
    data.add(i % 3 === 2 ? ['Archive', '2019'] : ['INBOX'], `Message-ID: <m${i}@example.org>\r\nSubject: ${i}\r\n\r\nbody ${i}\r\n`, { messageId: `<m${i}@example.org>`, flags: i % 2 ? ['\\Seen'] : [] });
  }
  return {
    connector: () => Object.assign(new MemorySource(), { folders: data.folders }),
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
