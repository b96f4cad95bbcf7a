/** `mail.decodeTnef`: default off, true = replace, keep-original; anything else an error naming the value. */
import { validateConfigText } from './load.js';

const base = 'version: 1\nsource: { type: imap, host: imap.old.example, auth: { mode: user } }\n'
  + 'target: { type: ums-imap, host: imap.ums.example, auth: { mode: user } }\n'
  + 'mailboxes: [{ source: a@old.example, target: a@ums.example, sourcePassword: "env:PA", targetPassword: "env:PB" }]\n';
const env = { PA: 'a', PB: 'b' };

describe('mail.decodeTnef', () => {
  test.each([
    ['', 'off'],
    ['mail: {}\n', 'off'],
    ['mail: { decodeTnef: off }\n', 'off'],
    ['mail: { decodeTnef: false }\n', 'off'],
    ['mail: { decodeTnef: true }\n', 'replace'],
    ['mail: { decodeTnef: replace }\n', 'replace'],
    ['mail: { decodeTnef: keep-original }\n', 'keep-original'],
  ])('%j → %s', (yaml, mode) => {
    const r = validateConfigText(base + yaml, { file: 'm.yaml', env });
    expect(r.issues).toEqual([]);
    expect(r.config?.mail?.decodeTnef).toBe(mode);
  });

  test('an unknown value is an error naming the path and the choices', () => {
    const r = validateConfigText(`${base}mail:\n  decodeTnef: yes please\n`, { file: 'm.yaml', env });
    expect(r.issues.map((i) => [i.path, i.message])).toEqual([['mail.decodeTnef', 'expected off, replace (or true) or keep-original, got "yes please"']]);
  });
});
