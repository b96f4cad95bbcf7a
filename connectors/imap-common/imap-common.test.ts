import { FatalError, ItemError, TransientError } from '../../src/util/errors.js';
import { chunkBySize } from './chunks.js';
import { ImapFlow } from 'imapflow';
import pino from 'pino';
import { assertTransportAllowed, imapOptions, type ImapEndpoint } from './endpoint.js';
import { imapError } from './errors.js';
import { parseMessageIdHeader, parseSubjectHeader, sameMessageId } from './message-id.js';

describe('imap error classification', () => {
  test.each([
    [{ code: 'NoConnection', message: 'Connection not available' }, TransientError],
    [{ code: 'ECONNRESET', message: 'read ECONNRESET' }, TransientError],
    [{ responseStatus: 'NO', serverResponseCode: 'UNAVAILABLE', responseText: 'try later' }, TransientError],
    [{ authenticationFailed: true, responseText: 'Login failed.' }, FatalError],
    [{ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' }, FatalError],
    [{ responseStatus: 'NO', responseText: 'Message too large.' }, ItemError],
    [{ responseStatus: 'BAD', responseText: 'Syntax error' }, ItemError],
  ])('%o → %p', (raw, cls) => {
    const e = imapError(Object.assign(new Error((raw as { message?: string }).message ?? 'Command failed'), raw), 'APPEND to INBOX');
    expect(e).toBeInstanceOf(cls);
    expect(e.message).toContain('APPEND to INBOX');
  });

  test('the server text is kept for the per-item report', () => {
    const e = imapError(Object.assign(new Error('Command failed'), { responseStatus: 'NO', responseText: 'Mail quota exceeded' }), 'APPEND');
    expect(e.message).toBe('APPEND: server said: Mail quota exceeded');
  });
});

describe('the imapflow logger', () => {
  const ep: ImapEndpoint = {
    host: '127.0.0.1', port: 1, tls: 'implicit', allowInsecure: false, tlsVerify: true, maxConnections: 1, auth: { mode: 'user' }, autoEnable: true,
  };
  test('imapflow is told debug and trace lines are unwanted (it would serialise every command and response for them); warnings reach our log', () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => { lines.push(l); } });
    const client = new ImapFlow(imapOptions(ep, { login: 'u', password: 'p' }, log));
    const imapLog = (client as unknown as { log: { isLevelEnabled(l: string): boolean; warn(o: object): void; debug(o: object): void } }).log;
    expect(['trace', 'debug', 'info'].map((l) => imapLog.isLevelEnabled(l))).toEqual([false, false, false]);
    expect(imapLog.isLevelEnabled('warn')).toBe(true);
    imapLog.debug({ msg: 'a command' });
    imapLog.warn({ msg: 'flags refused' });
    expect(lines.map((l) => (JSON.parse(l) as { msg?: string }).msg)).toEqual(['flags refused']);
  });
});

describe('transport policy', () => {
  const ep: ImapEndpoint = { host: 'h', port: 143, tls: 'none', allowInsecure: false, tlsVerify: true, maxConnections: 1, auth: { mode: 'user' }, autoEnable: true };
  test('plaintext needs allowInsecure', () => {
    expect(() => assertTransportAllowed(ep, 'source')).toThrow('source h:143: tls: none sends passwords in plaintext; use tls: implicit or starttls, or set allowInsecure: true to permit it');
    expect(() => assertTransportAllowed({ ...ep, allowInsecure: true }, 'source')).not.toThrow();
  });
  test('turning off certificate verification needs allowInsecure', () => {
    expect(() => assertTransportAllowed({ ...ep, tls: 'implicit', tlsVerify: false }, 'target')).toThrow('target h:143: tlsVerify: false disables certificate checks; set allowInsecure: true to permit it');
  });
});

describe('Message-ID header', () => {
  test('parses folded and odd-case headers', () => {
    expect(parseMessageIdHeader(Buffer.from('Message-Id:\r\n <abc@Example.ORG>\r\n\r\n'))).toBe('<abc@Example.ORG>');
    expect(parseMessageIdHeader(Buffer.from('\r\n'))).toBeUndefined();
    expect(parseMessageIdHeader(undefined)).toBeUndefined();
  });
  test('subjects: encoded words and raw UTF-8 decoded', () => {
    expect(parseSubjectHeader(Buffer.from('Message-ID: <a@b>\r\nSubject: =?utf-8?B?0J/RgNC40LLQtdGC?= world\r\n\r\n'))).toBe('Привет world');
    expect(parseSubjectHeader(Buffer.from('Subject: Grüße\r\n\r\n'))).toBe('Grüße');
    expect(parseSubjectHeader(Buffer.from('Message-ID: <a@b>\r\n\r\n'))).toBeUndefined();
  });
  test('compares ignoring spaces and case', () => {
    expect(sameMessageId('<a@EXAMPLE.org>', '< a@example.org>')).toBe(true);
    expect(sameMessageId('<a@x>', undefined)).toBe(false);
  });
});

describe('chunkBySize', () => {
  test('groups by bytes and count; an oversized item goes alone', () => {
    const items = [5, 5, 20, 1, 1, 1].map((size, i) => ({ id: i, size }));
    expect(chunkBySize(items, 10, 2).map((c) => c.map((x) => x.id))).toEqual([[0, 1], [2], [3, 4], [5]]);
  });
});
