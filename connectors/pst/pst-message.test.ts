/**
 * PST messages → MailMessage → MIME, on the shared fixture PSTs: every message readpst writes as
 * .eml has a counterpart among ours with the same subject, sender address and attachments (type,
 * name, decoded size; embedded messages by subject), see mime-oracle.ts. Plus what readpst does
 * not show: flags, categories, recipients kept by name, nesting, inline images.
 *
 * Needs the shared fixtures (UMS_FIXTURES_DIR) and readpst (pst-utils); without them the tests
 * fail saying so, unless UMS_SKIP_ORACLE=1.
 */
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { buildMime } from '../../mappings/mapi/build-mime.js';
import { mailFlags } from '../../mappings/mapi/mail-flags.js';
import type { MailMessage } from '../../src/model/mail-message.js';
import { compareSummaries, readpstSummaries, summarize, type MimeSummary } from './mime-oracle.js';
import { toMailMessage } from './pst-message.js';
import { openPst } from './pst-reader.js';
import { fixturesDir, oracleSkipped, oracleUnavailable, pstFixtures } from './readpst-oracle.js';

const maybe = oracleSkipped() ? describe.skip : describe;
const problem = oracleUnavailable();
const pst = (rel: string): string => join(fixturesDir(), 'pst', rel);

/** Every message of a file, mapped. */
async function mapAll(file: string): Promise<{ path: string[]; nodeId: number; msg: MailMessage }[]> {
  const reader = await openPst(file);
  try {
    const out: { path: string[]; nodeId: number; msg: MailMessage }[] = [];
    for await (const f of reader.folders()) for await (const m of reader.messages(f)) out.push({ path: f.path, nodeId: m.nodeId, msg: toMailMessage(m.raw) });
    return out;
  } finally {
    reader.close();
  }
}

async function one(file: string, subject: string): Promise<{ msg: MailMessage; parsed: ParsedMail; raw: Buffer }> {
  const found = (await mapAll(file)).find((m) => m.msg.subject === subject);
  if (!found) throw new Error(`no message ${JSON.stringify(subject)} in ${file}`);
  const raw = await buildMime(found.msg);
  return { msg: found.msg, parsed: await simpleParser(raw, { keepCidLinks: true }), raw };
}

maybe('PST messages as MIME, against readpst', () => {
  if (problem) {
    test('prerequisites', () => { throw new Error(problem); });
    return;
  }
  const files = [...pstFixtures('unicode'), ...pstFixtures('ansi'), ...pstFixtures('ost')];
  test.each(files.map((f) => [f.split('/').pop()!, f]))('%s: subjects, senders and attachments equal readpst\'s', async (_n, file) => {
    const ours: MimeSummary[] = [];
    for (const m of await mapAll(file)) ours.push(await summarize(await buildMime(m.msg)));
    const theirs = await readpstSummaries(file);
    expect(compareSummaries(ours, theirs)).toEqual([]);
    expect(ours.length).toBeGreaterThanOrEqual(theirs.length);
  });

  test('embedded messages nest (attach method 5, three levels)', async () => {
    const { parsed } = await one(pst('unicode/hiraoka-msgInMsgInMsg.pst'), 'I have sub attachments!');
    const inner = parsed.attachments.find((a) => a.contentType === 'message/rfc822')!;
    const p2 = await simpleParser(inner.content);
    expect(p2.subject).toBe('I have attachments!');
    const rfc = p2.attachments.filter((a) => a.contentType === 'message/rfc822');
    expect(rfc.length).toBeGreaterThanOrEqual(1);
    const p3 = await simpleParser(rfc[0]!.content);
    expect(p3.subject).toBeTruthy();
  });

  test('inline images keep their Content-ID inside multipart/related', async () => {
    const { parsed, raw } = await one(pst('unicode/aspose-Outlook.pst'), 'HTML body');
    expect(raw.toString('latin1')).toMatch(/Content-Type: multipart\/related/);
    const img = parsed.attachments.find((a) => a.cid === 'image001.png@01CC3097.BF0BAC70');
    expect(img?.related).toBe(true);
    expect(parsed.html).toContain('cid:image001.png@01CC3097.BF0BAC70');
  });

  test('non-ASCII attachment names and subjects (Unicode and CP932 ANSI files)', async () => {
    const { parsed } = await one(pst('unicode/hiraoka-unicodeAttachmentFilename.pst'), 'Using Japanese in attachment filename');
    expect(parsed.attachments.map((a) => a.filename).sort()).toEqual(['エラー Error を 意味する記号.png', '情報 Information を 意味する記号.png', '疑問 Help を 意味する記号.png']);
    const ansi = await one(pst('ansi/hiraoka-nonUnicodeCP932.pst'), '日本語 Non Unicode タイトル');
    expect(ansi.parsed.subject).toBe('日本語 Non Unicode タイトル');
    expect(ansi.msg.bodyText).toBe('日本語 Non Unicode 本文\r\n');
    expect(ansi.parsed.text?.trim()).toBe('日本語 Non Unicode 本文');
    const cjk = await one(pst('unicode/aspose-passwordprotectedPST.pst'), '采购成本为何居高不下呢？');
    expect(cjk.parsed.from?.value[0]).toMatchObject({ name: '彭汵茜', address: 'xtkruanmei@lasic.com.tw' });
  });

  test('read state, follow-up flag, categories and the forward verb', async () => {
    const sample = await one(pst('unicode/pstsdk-sample1.pst'), 'Here is a sample message');
    expect(mailFlags(sample.msg)).toEqual(['\\Seen', '\\Flagged', 'Green_Category', 'Blue_Category']);
    const unread = (await mapAll(pst('unicode/aspose-Outlook.pst'))).find((m) => m.path[0] === 'Inbox' && m.msg.subject === 'message 1')!;
    expect(mailFlags(unread.msg)).toEqual([]);
    const fwd = await one(pst('unicode/tika-testPST_variousBodyTypes.pst'), 'original email');
    expect(mailFlags(fwd.msg)).toEqual(['\\Seen', '$Forwarded']);
  });

  test('Bcc recipients of sent mail are kept; Exchange recipients without SMTP keep their names', async () => {
    const all = await mapAll(pst('unicode/go-pst-support.pst'));
    const draft = all.find((m) => m.path[0] === 'Drafts' && m.msg.subject === 'Desktop exploits suspension notice')!;
    expect(draft.msg.bcc?.length).toBeGreaterThan(3);
    const raw = await buildMime(draft.msg);
    const p = await simpleParser(raw);
    expect([p.bcc ?? []].flat().flatMap((a) => a.value).map((v) => v.address)).toContain('mauro.sorrento@gmail.com');
    const post = (await mapAll(pst('unicode/pstsdk-test_unicode.pst')))[0]!;
    expect(post.msg.from).toEqual({ name: 'Terry Mahaffey', address: undefined });
  });

  test('delivery time and submit time', async () => {
    const { msg, parsed } = await one(pst('unicode/pstsdk-sample1.pst'), 'Here is a sample message');
    expect(msg.deliveryTime).toBeInstanceOf(Date);
    expect(parsed.date?.getTime()).toBe(msg.date?.getTime());
  });
});
