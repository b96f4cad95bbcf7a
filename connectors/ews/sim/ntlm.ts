/**
 * The server side of NTLM (MS-NLMP) for the simulator: the CHALLENGE message and the check of an
 * NTLMv2 AUTHENTICATE message against a known password. NTLM authenticates a connection: the
 * HTTP listener tells the handlers which connection a request came on; in-process (msw) there
 * is none, so every request must carry its own handshake there.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import ntlmHash from '@ewsjs/ntlm-client/lib/hash.js';
import { coerceError } from '../../../src/util/errors.js';

const SIGNATURE = Buffer.from('NTLMSSP\0', 'ascii');
const FLAGS = 0x1 /* UNICODE */ | 0x4 /* REQUEST_TARGET */ | 0x200 /* NTLM */ | 0x8000 /* ALWAYS_SIGN */ | 0x10000 /* TARGET_TYPE_DOMAIN */
  | 0x80000 /* NTLM2_KEY (extended session security) */ | 0x800000 /* TARGET_INFO */;

/** Message type of a base64 NTLM token (1, 2, 3), or undefined when it is not one. */
export function ntlmType(token: string): number | undefined {
  const buf = Buffer.from(token, 'base64');
  if (buf.length < 12 || !buf.subarray(0, 8).equals(SIGNATURE)) return undefined;
  return buf.readUInt32LE(8);
}

/** A CHALLENGE message for `domain`: the base64 token and its server challenge. */
export function challengeMessage(domain: string): { token: string; challenge: Buffer } {
  const challenge = randomBytes(8);
  const name = Buffer.from(domain, 'utf16le');
  const info = Buffer.concat([Buffer.from([2, 0]), Buffer.from([name.length & 0xff, name.length >> 8]), name, Buffer.alloc(4)]);
  const head = Buffer.alloc(48);
  SIGNATURE.copy(head, 0);
  head.writeUInt32LE(2, 8);
  head.writeUInt16LE(name.length, 12); head.writeUInt16LE(name.length, 14); head.writeUInt32LE(48, 16);
  head.writeUInt32LE(FLAGS, 20);
  challenge.copy(head, 24);
  head.writeUInt16LE(info.length, 40); head.writeUInt16LE(info.length, 42); head.writeUInt32LE(48 + name.length, 44);
  return { token: Buffer.concat([head, name, info]).toString('base64'), challenge };
}

function field(buf: Buffer, at: number): Buffer {
  const len = buf.readUInt16LE(at);
  const off = buf.readUInt32LE(at + 4);
  if (off + len > buf.length) throw new Error('NTLM field out of range');
  return buf.subarray(off, off + len);
}

/**
 * Checks an AUTHENTICATE message: the user's NTLMv2 response must match one of the outstanding
 * `challenges` under `passwordOf(user)`. Returns the user and the challenge it answered.
 */
export function verifyAuthenticate(token: string, challenges: Buffer[], passwordOf: (user: string) => string | undefined):
{ user: string; domain: string; challenge: Buffer } | undefined {
  const buf = Buffer.from(token, 'base64');
  if (ntlmType(token) !== 3 || buf.length < 64) return undefined;
  try {
    const unicode = (buf.readUInt32LE(60) & 0x1) !== 0;
    const text = (b: Buffer) => b.toString(unicode ? 'utf16le' : 'latin1');
    const nt = field(buf, 20);
    const domain = text(field(buf, 28));
    const user = text(field(buf, 36));
    const password = passwordOf(user) ?? passwordOf(`${domain}\\${user}`);
    if (password === undefined || nt.length <= 24) return undefined; // unknown user, or NTLMv1: refused
    // NTOWFv2 (MS-NLMP 3.3.2): HMAC-MD5(MD4(UTF-16LE(password)), UTF-16LE(upper(user) + domain)).
    const v2 = createHmac('md5', ntlmHash.createNTLMHash(password)).update(Buffer.from(user.toUpperCase() + domain, 'utf16le')).digest();
    const proof = nt.subarray(0, 16);
    const blob = nt.subarray(16);
    for (const challenge of challenges) {
      const expected = createHmac('md5', v2).update(Buffer.concat([challenge, blob])).digest();
      if (timingSafeEqual(expected, proof)) return { user, domain, challenge };
    }
  } catch (err) {
    if (err instanceof RangeError || coerceError(err).message === 'NTLM field out of range') return undefined; // malformed token
    throw err;
  }
  return undefined;
}
