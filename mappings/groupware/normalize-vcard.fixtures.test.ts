/**
 * Every real-world .vcf of the shared fixtures (vcard/: Outlook, Android, BlackBerry, iOS, macOS,
 * Gmail, Evolution, Lotus Notes, RFC examples) through the normaliser, to 3.0 and to 4.0: every
 * card comes out with a UID and an FN, every inline photo with the bytes the input's base64
 * decodes to, and normalising the output again changes nothing.
 *
 * The input photos that do not come out are broken in the files themselves: android-john-doe.vcf
 * card #5 (1,171 base64 characters) and blackberry-john-doe.vcf (2,233 characters ending in "=")
 * have impossible lengths — a character was cut out of the middle, and a lenient decoder yields a
 * JPEG whose last bytes are not its end marker FF D9. Each is reported as a warning naming PHOTO
 * and its length, never as a dump of the base64.
 *
 * Needs the shared fixtures: $UMS_FIXTURES_DIR (or $UMS_FIXTURES), else <repo>/../shared/fixtures.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeVCards } from './normalize-vcard.js';

const fixtures = process.env.UMS_FIXTURES_DIR ?? process.env.UMS_FIXTURES;
const dir = join(fixtures ? resolve(fixtures) : fileURLToPath(new URL('../../../shared/fixtures', import.meta.url)), 'vcard');

function files(): string[] {
  if (!existsSync(dir)) throw new Error(`vCard fixtures not found at ${dir}: set UMS_FIXTURES_DIR to the shared fixtures directory`);
  return readdirSync(dir).filter((n) => n.endsWith('.vcf')).sort();
}

const unfold = (text: string): string[] => text.replace(/\r\n[ \t]/g, '').split('\r\n');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * The inline photos of a raw file, found independently of the normaliser: a PHOTO line with a
 * base64 encoding, plus every following line that is indented or made only of base64 characters.
 */
function inputPhotos(raw: string): { ok: string[]; broken: number[] } {
  const lines = raw.split(/\r*\n/);
  const ok: string[] = [];
  const broken: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^PHOTO[^:]*(BASE64|ENCODING=b)[^:]*:/i.test(lines[i]!)) continue;
    let b64 = lines[i]!.slice(lines[i]!.indexOf(':') + 1);
    while (i + 1 < lines.length && (/^[ \t]/.test(lines[i + 1]!) || /^[A-Za-z0-9+/=]+$/.test(lines[i + 1]!))) b64 += lines[++i]!;
    b64 = b64.replace(/\s+/g, '');
    if (b64.replace(/=+$/, '').length % 4 === 1 || (b64.includes('=') && b64.length % 4 !== 0)) broken.push(b64.length);
    else ok.push(sha(Buffer.from(b64, 'base64')));
  }
  return { ok, broken };
}

function outputPhotos(text: string): string[] {
  return unfold(text).flatMap((l) => {
    const m = /^PHOTO[^:]*ENCODING=b[^:]*:(.*)$/.exec(l) ?? /^PHOTO[^:]*:data:[^,]*;base64,(.*)$/.exec(l);
    return m ? [sha(Buffer.from(m[1]!, 'base64'))] : [];
  });
}

describe.each(['3.0', '4.0'] as const)('real-world .vcf files → vCard %s', (vcardVersion) => {
  it.each(files())('%s: every card out, with UID, FN and its photo bytes; idempotent', (file) => {
    const bytes = readFileSync(join(dir, file));
    const raw = bytes.toString('latin1');
    const opts = { source: `fixtures/vcard/${file}`, vcardVersion };
    const r = normalizeVCards(bytes, opts);
    expect(r.failures).toEqual([]);
    expect(r.objects).toHaveLength(raw.match(/^BEGIN:VCARD\r*$/gim)!.length);

    const uids = new Set<string>();
    for (const o of r.objects) {
      const lines = unfold(o.text);
      expect(lines[0]).toBe('BEGIN:VCARD');
      expect(lines[1]).toBe(`VERSION:${vcardVersion}`);
      expect(lines.filter((l) => /^FN[;:]/.test(l))).toHaveLength(1);
      expect(lines.filter((l) => /^UID[;:]/.test(l))).toEqual([`UID:${o.uid}`]);
      expect(lines.some((l) => /^REV[;:]/.test(l))).toBe(/^REV[;:]/m.test(raw));
      for (const l of o.text.split('\r\n')) expect(Buffer.byteLength(l, 'utf8')).toBeLessThanOrEqual(75);
      uids.add(o.uid);
      const again = normalizeVCards(o.text, opts);
      expect(again.objects.map((x) => x.text)).toEqual([o.text]);
    }
    expect(uids.size).toBe(r.objects.length);

    const { ok, broken } = inputPhotos(raw);
    expect(r.objects.flatMap((o) => outputPhotos(o.text)).sort()).toEqual([...ok].sort());
    const photoWarnings = r.objects.flatMap((o) => o.warnings).filter((w) => w.includes('PHOTO'));
    expect(photoWarnings).toEqual(broken.map((n) => expect.stringContaining(`PHOTO: base64 of ${n.toLocaleString('en-US')} characters is not valid`)));
  });
});

it('android-john-doe.vcf: QUOTED-PRINTABLE UTF-8 names decode to "Ñ"', () => {
  const r = normalizeVCards(readFileSync(join(dir, files().find((f) => f === 'android-john-doe.vcf')!)), { source: 'android' });
  expect(unfold(r.objects[2]!.text)).toContain('FN:Ñ Ñ Ñ Ñ Ñ ');
});
