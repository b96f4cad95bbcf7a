import iconv from 'iconv-lite';
import { normalizeVCards } from './normalize-vcard.js';
import { uidFromItemId } from './uid.js';
import { contactToVCard, groupToVCard } from './vcard.js';

const opts = { source: 'alice/Contacts/export.vcf' };
const crlf = (lines: string[]): string => lines.join('\r\n') + '\r\n';

/** Unfolded lines of a normalised card. */
const linesOf = (text: string): string[] => text.replace(/\r\n[ \t]/g, '').split('\r\n').filter((l) => l !== '');

function one(input: Buffer | string, o: Parameters<typeof normalizeVCards>[1] = opts) {
  const r = normalizeVCards(input, o);
  expect(r.failures).toEqual([]);
  expect(r.objects).toHaveLength(1);
  return r.objects[0]!;
}

/** Bytes that look like a JPEG, long enough to need folding. */
function fakeJpeg(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7919 + 13) % 256;
  b[0] = 0xff; b[1] = 0xd8; b[size - 2] = 0xff; b[size - 1] = 0xd9;
  return b;
}

describe('normalizeVCards: vCard 2.1 input', () => {
  it('names bare parameters as TYPE values and converts to 3.0', () => {
    const o = one(crlf(['BEGIN:VCARD', 'VERSION:2.1', 'N:Doe;John', 'FN:John Doe', 'TEL;HOME;VOICE:+49 30 1234', 'TEL;CELL;PREF:+49 170 1', 'EMAIL;INTERNET:john@example.com', 'UID:u1', 'END:VCARD']));
    const lines = linesOf(o.text);
    expect(lines).toContain('TEL;TYPE=HOME,VOICE:+49 30 1234');
    expect(lines).toContain('TEL;TYPE=CELL,PREF:+49 170 1');
    expect(lines).toContain('EMAIL;TYPE=INTERNET:john@example.com');
    expect(lines[1]).toBe('VERSION:3.0');
    expect(o.uid).toBe('u1');
    expect(o.derivedUid).toBe(false);
  });

  it('decodes QUOTED-PRINTABLE with soft line breaks and CHARSET (UTF-8, ISO-8859-1, windows-1252)', () => {
    const latin = iconv.encode('Müller', 'iso-8859-1').toString('hex').replace(/(..)/g, '=$1').toUpperCase();
    const cp1252 = iconv.encode('€ Straße', 'windows-1252').toString('hex').replace(/(..)/g, '=$1').toUpperCase();
    const o = one(crlf([
      'BEGIN:VCARD', 'VERSION:2.1', 'N:Doe;John', 'FN:John Doe',
      'NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Erste Zeile=0D=0AZweite =C3=',
      '=9Cbung; mit, Zeichen',
      `ORG;CHARSET=ISO-8859-1;QUOTED-PRINTABLE:${latin};Abteilung`,
      `TITLE;CHARSET=windows-1252;ENCODING=QUOTED-PRINTABLE:${cp1252}`,
      'END:VCARD',
    ]));
    const lines = linesOf(o.text);
    expect(lines).toContain('NOTE:Erste Zeile\\nZweite Übung\\; mit\\, Zeichen');
    expect(lines).toContain('ORG:Müller;Abteilung');
    expect(lines).toContain('TITLE:€ Straße');
  });

  it('carries a PHOTO in folded 2.1 base64 (no leading space, ended by an empty line) to identical image bytes', () => {
    const jpeg = fakeJpeg(3000);
    const b64 = jpeg.toString('base64');
    const chunks = b64.match(/.{1,76}/g)!;
    const input = crlf(['BEGIN:VCARD', 'VERSION:2.1', 'FN:Pic Ture', 'N:Ture;Pic', `PHOTO;JPEG;BASE64:${chunks[0]}`, ...chunks.slice(1), '', 'TEL;WORK:1', 'END:VCARD']);
    const o = one(input);
    const photo = linesOf(o.text).find((l) => l.startsWith('PHOTO'))!;
    expect(photo.slice(0, photo.indexOf(':'))).toBe('PHOTO;TYPE=JPEG;ENCODING=b');
    expect(Buffer.from(photo.slice(photo.indexOf(':') + 1), 'base64').equals(jpeg)).toBe(true);
    expect(linesOf(o.text)).toContain('TEL;TYPE=WORK:1');
  });

  it('writes the PHOTO as a data: URI in 4.0 with the same bytes', () => {
    const jpeg = fakeJpeg(500);
    const o = one(crlf(['BEGIN:VCARD', 'VERSION:2.1', 'FN:A B', `PHOTO;ENCODING=BASE64;TYPE=JPEG:${jpeg.toString('base64')}`, '', 'END:VCARD']), { ...opts, vcardVersion: '4.0' });
    const photo = linesOf(o.text).find((l) => l.startsWith('PHOTO'))!;
    expect(photo.startsWith('PHOTO:data:image/jpeg;base64,')).toBe(true);
    expect(Buffer.from(photo.slice('PHOTO:data:image/jpeg;base64,'.length), 'base64').equals(jpeg)).toBe(true);
  });

  it('names a broken PHOTO by property and length, without dumping the base64', () => {
    const junk = 'A'.repeat(1001) + '!!';
    const o = one(crlf(['BEGIN:VCARD', 'VERSION:2.1', 'FN:Broken Photo', `PHOTO;BASE64:${junk}`, '', 'END:VCARD']));
    expect(o.warnings).toEqual(['vCard #1 "Broken Photo": PHOTO: base64 of 1,003 characters is not valid; not carried']);
    expect(o.text).not.toContain('AAAA');
  });

  it('reads bytes that are not UTF-8 and have no CHARSET as windows-1252', () => {
    const bytes = Buffer.concat([Buffer.from('BEGIN:VCARD\r\nVERSION:2.1\r\nFN:'), iconv.encode('Jürgen “Jo”', 'windows-1252'), Buffer.from('\r\nEND:VCARD\r\n')]);
    expect(linesOf(one(bytes).text)).toContain('FN:Jürgen “Jo”');
  });
});

describe('normalizeVCards: files and cards', () => {
  it('gives one object per card, with a BOM and LF-only lines, and derives stable UIDs for cards without one', () => {
    const input = '\uFEFF' + ['BEGIN:VCARD', 'VERSION:3.0', 'FN:One', 'N:One;;;;', 'END:VCARD', 'BEGIN:VCARD', 'VERSION:3.0', 'FN:Two', 'N:Two;;;;', 'UID:urn:uuid:0a1b2c3d-0000-4000-8000-000000000002', 'END:VCARD', ''].join('\n');
    const r = normalizeVCards(input, opts);
    expect(r.failures).toEqual([]);
    expect(r.objects.map((o) => [o.uid, o.derivedUid])).toEqual([
      [uidFromItemId(`${opts.source}#1`), true],
      ['urn:uuid:0a1b2c3d-0000-4000-8000-000000000002', false],
    ]);
    expect(normalizeVCards(input, opts).objects.map((o) => o.text)).toEqual(r.objects.map((o) => o.text));
    for (const o of r.objects) expect(o.text).toMatch(/^BEGIN:VCARD\r\nVERSION:3\.0\r\n[\s\S]*END:VCARD\r\n$/);
  });

  it('fails a card without END:VCARD by name, and still delivers the others', () => {
    const r = normalizeVCards(crlf(['BEGIN:VCARD', 'VERSION:3.0', 'FN:Good', 'END:VCARD', 'BEGIN:VCARD', 'VERSION:3.0', 'FN:John Doe']), opts);
    expect(r.objects).toHaveLength(1);
    expect(r.failures).toEqual([{ what: 'vCard #2 "John Doe"', reason: 'no END:VCARD (the file ends, or the next card begins, before it)' }]);
  });

  it('keeps Apple itemN groups and X- properties', () => {
    const o = one(crlf(['BEGIN:VCARD', 'VERSION:3.0', 'FN:G', 'N:G;;;;', 'item1.EMAIL;type=INTERNET;type=pref:g@example.com', 'item1.X-ABLabel:_$!<Other>!$_', 'X-SKYPE:gee', 'END:VCARD']));
    const lines = linesOf(o.text);
    expect(lines).toContain('item1.EMAIL;TYPE=INTERNET,PREF:g@example.com');
    expect(lines).toContain('item1.X-ABLabel:_$!<Other>!$_');
    expect(lines).toContain('X-SKYPE:gee');
  });

  it('makes FN from N and pads N to five components', () => {
    const o = one(crlf(['BEGIN:VCARD', 'VERSION:2.1', 'N:Doe;John', 'END:VCARD']));
    expect(linesOf(o.text).slice(1, 4)).toEqual(['VERSION:3.0', 'FN:John Doe', 'N:Doe;John;;;']);
    expect(o.repairs).toEqual(expect.arrayContaining(['FN made from N', 'N: 3 missing component(s) added']));
  });

  it('is idempotent: normalising its own output gives the same text', () => {
    const input = crlf(['BEGIN:VCARD', 'VERSION:2.1', 'N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=91a;Jos=C3=A9', 'TEL;HOME;VOICE:1', `PHOTO;JPEG;BASE64:${fakeJpeg(300).toString('base64')}`, '', 'END:VCARD']);
    for (const vcardVersion of ['3.0', '4.0'] as const) {
      const first = one(input, { ...opts, vcardVersion });
      const second = one(first.text, { ...opts, vcardVersion });
      expect(second.text).toBe(first.text);
      expect(second.uid).toBe(first.uid);
    }
  });

  it('folds at 75 octets without splitting a UTF-8 sequence', () => {
    const o = one(crlf(['BEGIN:VCARD', 'VERSION:3.0', 'FN:X', 'N:X;;;;', `NOTE:${'ä€😀'.repeat(40)}`, 'END:VCARD']));
    for (const l of o.text.split('\r\n')) expect(Buffer.byteLength(l, 'utf8')).toBeLessThanOrEqual(75);
    expect(linesOf(o.text)).toContain(`NOTE:${'ä€😀'.repeat(40)}`);
  });
});

describe('normalizeVCards: version conversion', () => {
  it('3.0 → 4.0: TYPE=PREF becomes PREF=1, types lower case, dates basic, GEO a geo: URI, LABEL kept as X-LABEL', () => {
    const o = one(crlf(['BEGIN:VCARD', 'VERSION:3.0', 'FN:A', 'N:A;;;;', 'TEL;TYPE=WORK,VOICE,PREF:+1 555', 'BDAY;VALUE=date:1980-03-22', 'REV:2012-03-05T13:32:54Z', 'GEO:37.386013;-122.082932', 'LABEL;TYPE=HOME:Street 1\\nTown', 'END:VCARD']), { ...opts, vcardVersion: '4.0' });
    expect(linesOf(o.text)).toEqual(expect.arrayContaining(['VERSION:4.0', 'TEL;TYPE=work,voice;PREF=1:+1 555', 'BDAY:19800322', 'REV:20120305T133254Z', 'GEO:geo:37.386013,-122.082932', 'X-LABEL;TYPE=home:Street 1\\nTown']));
    expect(o.repairs).toContain('not defined in vCard 4.0, carried as X- properties: LABEL');
  });

  it('4.0 → 3.0: PREF=1, data: URI photo, tel: URI, geo: URI and 4.0-only properties', () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const o = one(crlf(['BEGIN:VCARD', 'VERSION:4.0', 'FN:S', 'N:S;;;;', 'UID:urn:uuid:5f4c7f0e-1f1a-4f6e-9d38-0d7c7a5e8c11', 'TEL;VALUE=uri;TYPE="work,voice";PREF=1:tel:+1-418-656-9254;ext=102', `PHOTO:data:image/png;base64,${png.toString('base64')}`, 'GEO:geo:46.77,-71.28', 'GENDER:M', 'END:VCARD']));
    const lines = linesOf(o.text);
    expect(lines).toEqual(expect.arrayContaining(['TEL;TYPE=WORK,VOICE,PREF:+1-418-656-9254\\;ext=102', `PHOTO;ENCODING=b;TYPE=PNG:${png.toString('base64')}`, 'GEO:46.77;-71.28', 'X-GENDER:M']));
    expect(o.uid).toBe('urn:uuid:5f4c7f0e-1f1a-4f6e-9d38-0d7c7a5e8c11');
    expect(lines).toContain('UID:urn:uuid:5f4c7f0e-1f1a-4f6e-9d38-0d7c7a5e8c11');
  });

  it('keeps a 2.1 AGENT with an embedded vCard as its 3.0 text value', () => {
    const o = one(crlf(['BEGIN:VCARD', 'VERSION:2.1', 'N:Boss;Big', 'AGENT:', 'BEGIN:VCARD', 'VERSION:2.1', 'N:Friday;Fred', 'TEL;WORK:1', 'END:VCARD', 'TEL;HOME:2', 'END:VCARD']));
    expect(linesOf(o.text)).toEqual(expect.arrayContaining(['AGENT:BEGIN:VCARD\\nVERSION:2.1\\nN:Friday\\;Fred\\nTEL\\;WORK:1\\nEND:VCARD\\n', 'TEL;TYPE=HOME:2']));
  });

  it('converts a group card written by vcard.ts (X-ADDRESSBOOKSERVER-*) to KIND/MEMBER in 4.0', () => {
    const o = one(crlf(['BEGIN:VCARD', 'VERSION:3.0', 'FN:Team', 'N:Team;;;;', 'X-ADDRESSBOOKSERVER-KIND:group', 'X-ADDRESSBOOKSERVER-MEMBER:mailto:a@example.com', 'UID:g1', 'END:VCARD']), { ...opts, vcardVersion: '4.0' });
    expect(linesOf(o.text)).toEqual(expect.arrayContaining(['KIND:group', 'MEMBER:mailto:a@example.com']));
  });
});

describe('normalizeVCards: what cannot be repaired is named', () => {
  it('gives a second card reusing a UID a derived one, keeping the old as X-ORIGINAL-UID', () => {
    const r = normalizeVCards(crlf(['BEGIN:VCARD', 'VERSION:3.0', 'FN:A', 'UID:same', 'END:VCARD', 'BEGIN:VCARD', 'VERSION:3.0', 'FN:B', 'UID:same', 'END:VCARD']), opts);
    expect(r.objects.map((o) => o.uid)).toEqual(['same', uidFromItemId(`${opts.source}#2`)]);
    expect(linesOf(r.objects[1]!.text)).toContain('X-ORIGINAL-UID:same');
  });

  it('reports text outside any card, and input without a card', () => {
    const r = normalizeVCards(crlf(['garbage', 'BEGIN:VCARD', 'VERSION:3.0', 'FN:A', 'END:VCARD']), opts);
    expect(r.objects).toHaveLength(1);
    expect(r.failures).toEqual([{ what: `${opts.source} line(s) 1`, reason: 'text outside BEGIN:VCARD … END:VCARD not carried' }]);
    expect(normalizeVCards('hello', opts)).toEqual({ objects: [], failures: [{ what: opts.source, reason: 'no vCard (BEGIN:VCARD … END:VCARD) found' }] });
  });

  it('refuses base64 of an impossible length (a character missing) by name and length', () => {
    const o = one(crlf(['BEGIN:VCARD', 'VERSION:3.0', 'FN:P', 'N:P;;;;', `PHOTO;ENCODING=b;TYPE=JPEG:${'QUJD'.repeat(10)}RA=`, 'END:VCARD']));
    expect(o.warnings).toEqual(['vCard #1 "P": PHOTO: base64 of 43 characters is not valid; not carried']);
  });

  it('removes control characters from values, naming the property', () => {
    const o = one(crlf(['BEGIN:VCARD', 'VERSION:2.1', 'FN:C', 'FBURL;ENCODING=QUOTED-PRINTABLE:http://x/=0C', 'END:VCARD']));
    expect(linesOf(o.text)).toContain('FBURL:http://x/');
    expect(o.repairs).toContain('FBURL: 1 control character(s) removed');
  });
});

describe('normalizeVCards: cards our own converter (vcard.ts) writes', () => {
  it.each(['3.0', '4.0'] as const)('passes a contact and a group in %s through byte for byte', (vcardVersion) => {
    const contact = {
      uid: 'c-1', displayName: 'Jörg Müller, Dr.', givenName: 'Jörg', familyName: 'Müller', notes: 'a;b,c\nd', birthday: '1970-01-02', categories: ['A', 'B'],
      emails: [{ address: 'j@example.de', kind: 'work' as const, preferred: true }], phones: [{ number: '+49 1', kind: 'cell' as const }],
      photo: { mimeType: 'image/jpeg', data: fakeJpeg(400) },
    };
    const card = contactToVCard(contact, vcardVersion);
    const o = one(card, { ...opts, vcardVersion });
    expect(o.text).toBe(card);
    expect([o.uid, o.repairs, o.warnings]).toEqual(['c-1', [], []]);
    const group = groupToVCard({ uid: 'g-1', displayName: 'Team', members: [{ email: 'a@example.com' }] }, vcardVersion).text;
    expect(one(group, { ...opts, vcardVersion }).text).toBe(group);
  });
});
