/**
 * .msg files → MailMessage → MIME, on the shared fixtures (pst/msg). The same messages also exist
 * as PST fixtures: both routes must give the same subject, sender and attachments.
 * Needs the shared fixtures (UMS_FIXTURES_DIR); without them the tests fail saying so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { buildMime } from '../../mappings/mapi/build-mime.js';
import { summarize } from '../pst/mime-oracle.js';
import { toMailMessage } from '../pst/pst-message.js';
import { openPst } from '../pst/pst-reader.js';
import { fixturesDir } from '../pst/readpst-oracle.js';
import { readMsg } from './msg-message.js';

const msgFile = (name: string): string => join(fixturesDir(), 'pst', 'msg', name);
const missing = existsSync(join(fixturesDir(), 'pst', 'msg')) ? undefined : `.msg fixtures not found at ${join(fixturesDir(), 'pst', 'msg')} (set UMS_FIXTURES_DIR)`;

async function pstTwin(rel: string): Promise<Buffer> {
  const r = await openPst(join(fixturesDir(), 'pst', rel));
  try {
    for await (const f of r.folders()) for await (const m of r.messages(f)) return buildMime(toMailMessage(m.raw));
    throw new Error(`no message in ${rel}`);
  } finally {
    r.close();
  }
}

describe('.msg files as MIME', () => {
  if (missing) {
    test('prerequisites', () => { throw new Error(missing); });
    return;
  }

  test.each([
    ['msgInMsgInMsg.msg', 'unicode/hiraoka-msgInMsgInMsg.pst'],
    ['nonUnicodeCP932.msg', 'ansi/hiraoka-nonUnicodeCP932.pst'],
  ])('%s says what its PST twin says', async (name, twin) => {
    const fromMsg = await summarize(await buildMime(readMsg(readFileSync(msgFile(name)))));
    expect(fromMsg).toEqual(await summarize(await pstTwin(twin)));
  });

  test('ANSI strings in the locale\'s code page (CP932), nested messages three levels deep', async () => {
    expect(readMsg(readFileSync(msgFile('nonUnicodeCP932.msg'))).subject).toBe('日本語 Non Unicode タイトル');
    const p = await simpleParser(await buildMime(readMsg(readFileSync(msgFile('msgInMsgInMsg.msg')))));
    const inner = await simpleParser(p.attachments.find((a) => a.contentType === 'message/rfc822')!.content);
    expect(inner.subject).toBe('I have attachments!');
    expect(inner.attachments.some((a) => a.contentType === 'message/rfc822')).toBe(true);
  });

  test('sender, recipients and transport headers', async () => {
    const m = readMsg(readFileSync(msgFile('voteItems.msg')));
    expect(m.subject).toBe('3 vote items: はい;いいえ;たぶん');
    expect(m.from).toEqual({ name: 'xmailuser', address: 'xmailuser@xmailserver.test' });
    expect(m.to).toEqual([{ name: 'xmailuser@xmailserver.test', address: 'xmailuser@xmailserver.test' }]);
    const p = await simpleParser(await buildMime(m));
    expect(p.subject).toBe('3 vote items: はい;いいえ;たぶん');
  });

  test('a file that is not a .msg is an error saying so', () => {
    expect(() => readMsg(Buffer.from('not an OLE compound file at all, just text'))).toThrow(/not an Outlook \.msg file|Invalid|signature/i);
  });
});
