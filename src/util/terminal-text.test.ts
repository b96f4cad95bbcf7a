import { table } from './format.js';
import { forTerminal, hasTerminalControls, terminalText } from './terminal-text.js';

// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

describe('forTerminal / terminalText', () => {
  test('ESC sequences, BEL, C1 CSI and bidi overrides are made visible', () => {
    expect(forTerminal('a\x1b]0;title\x07b')).toBe('a\\x1b]0;title\\x07b');
    expect(forTerminal('\x1b[2J')).toBe('\\x1b[2J');
    expect(forTerminal('x\u009b31my')).toBe('x\\x9b31my');
    expect(forTerminal('doc\u202etxt.exe')).toBe('doc\\u202etxt.exe');
  });

  test('every C0, DEL, C1, bidi embedding/override/isolate and direction mark is escaped', () => {
    const all = [
      ...Array.from({ length: 0x20 }, (_, i) => i), 0x7f, ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i),
      0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
    ].map((c) => String.fromCharCode(c)).join('');
    const shown = forTerminal(all);
    expect(shown).not.toMatch(RAW);
    expect(shown).toContain('\\x00');
    expect(shown).toContain('\\x0a');
    expect(shown).toContain('\\x7f');
    expect(shown).toContain('\\x9f');
    expect(shown).toContain('\\u2069');
  });

  test('ordinary text passes unchanged: letters of any script, tabs are escaped, line breaks only kept by terminalText', () => {
    const text = 'Отправленные / 送信済み / مرسل / Ünïcødé 😀 "q" \\ ~';
    expect(forTerminal(text)).toBe(text);
    expect(terminalText(`${text}\nline 2\n`)).toBe(`${text}\nline 2\n`);
    expect(forTerminal('a\nb\tc\rd')).toBe('a\\x0ab\\x09c\\x0dd');
    expect(terminalText('a\nb\rc\x1b')).toBe('a\nb\\x0dc\\x1b');
    expect(hasTerminalControls('a\nb')).toBe(false);
    expect(hasTerminalControls('a\u202eb')).toBe(true);
    expect(hasTerminalControls('a\u202eb')).toBe(true);
  });

  test('table cells are escaped (line breaks too), keeping the columns aligned', () => {
    const t = table(['folder', 'error'], [['Evil\x1b[2J\nNext', 'x\u202ey'], ['ok', 'fine']]);
    expect(t.replace(/\n/g, '')).not.toMatch(RAW);
    const lines = t.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('Evil\\x1b[2J\\x0aNext  x\\u202ey');
    expect(lines[3]!.indexOf('fine')).toBe(lines[2]!.indexOf('x\\u202ey'));
  });
});
