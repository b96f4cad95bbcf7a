/**
 * The line is what imapflow's stream hands its parser: each literal's bytes taken out (they come
 * in `literals`), its `{n}` and CRLF left in place.
 *
 * imapflow as patched (patches/imapflow+2.10.2.patch) names a FETCH attribute that is a plain atom
 * (UID, FLAGS, RFC822.SIZE, MODSEQ, ...) without running its command compiler; attributes with a
 * section or a partial origin still go through it. The parsed message must be the same either way.
 */
import { parser } from 'imapflow/lib/handler/imap-handler.js';
import { formatMessageResponse } from 'imapflow/lib/tools.js';

type Message = Record<string, unknown>;

async function fetched(line: string, literal: string): Promise<Message> {
  const parse = parser as unknown as (b: Buffer, o: object) => Promise<unknown>;
  const format = formatMessageResponse as unknown as (untagged: unknown, mailbox: object) => Promise<Message>;
  return format(await parse(Buffer.from(line), { literals: [Buffer.from(literal)] }), { flags: new Set(), permanentFlags: new Set() });
}

test('plain atoms and sections are both named as before', async () => {
  const m = await fetched('* 7 FETCH (UID 42 FLAGS (\\Seen $Label1) RFC822.SIZE 11 MODSEQ (9) INTERNALDATE "04-Dec-2026 10:00:00 +0000" BODY[] {11}\r\n)', 'Subject: x\r');
  expect(m.seq).toBe(7);
  expect(m.uid).toBe(42);
  expect([...(m.flags as Set<string>)]).toEqual(['\\Seen', '$Label1']);
  expect(m.size).toBe(11);
  expect(m.modseq).toBe(9n);
  expect((m.internalDate as Date).toISOString()).toBe('2026-12-04T10:00:00.000Z');
  expect((m.source as Buffer).toString()).toBe('Subject: x\r');
});

test('a section with a partial origin keeps its origin', async () => {
  const m = await fetched('* 1 FETCH (UID 5 BODY[HEADER.FIELDS (SUBJECT)]<0> {11}\r\n)', 'Subject: x\r');
  expect(m.uid).toBe(5);
  expect((m.headers as Buffer).toString()).toBe('Subject: x\r');
});
