/**
 * Text from outside (folder names, server replies, file names, logins, subjects) shown to a
 * person: control characters are made visible instead of reaching the terminal raw, where ESC
 * sequences change the window title, clear the screen or rewrite earlier lines, C1 CSI (0x9B)
 * does the same on terminals that honour it, CR and BS overwrite what was printed, and bidi
 * overrides reorder what the reader sees ("exe.txt" shown as "txt.exe").
 *
 * Escaped: C0 (0x00–0x1F), DEL, C1 (0x80–0x9F), the bidi embeddings/overrides U+202A–U+202E and
 * isolates U+2066–U+2069, the line/paragraph separators U+2028/U+2029 (terminals and editors
 * break lines there), and the invisible direction marks U+200E, U+200F and U+061C (they can
 * reorder neutral characters, and are invisible: a name differing only by one looks identical).
 * Each becomes `\xHH` (or `\uHHHH`), e.g. ESC → `\x1b`, U+202E → `\u202e`.
 *
 * JSON output does not use this: it stays exact (JSON escapes C0 itself).
 */

// eslint-disable-next-line no-control-regex
const VALUE_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
// The same without \n (a line break of the output itself).
// eslint-disable-next-line no-control-regex
const TEXT_CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

function visible(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One value from outside (a cell, a name, a reason): every control character escaped, line breaks too. */
export function forTerminal(value: string): string {
  return value.replace(VALUE_CONTROLS, visible);
}

/** A whole output text about to be written: as `forTerminal`, but its line breaks (\n) stay. */
export function terminalText(text: string): string {
  return text.replace(TEXT_CONTROLS, visible);
}

/** True when `text` holds a character `terminalText` would escape. */
export function hasTerminalControls(text: string): boolean {
  TEXT_CONTROLS.lastIndex = 0;
  const found = TEXT_CONTROLS.test(text);
  TEXT_CONTROLS.lastIndex = 0;
  return found;
}

// What JSON.stringify leaves raw although a terminal acts on it or it reorders text: DEL, C1, the
// bidi marks/embeddings/overrides/isolates and the line/paragraph separators (C0 it escapes itself).
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/**
 * JSON text (from JSON.stringify) with those characters written as `\uXXXX` escapes: it decodes to
 * exactly the same values, and shows nothing raw on a terminal (`--json` output, log lines).
 */
export function jsonForTerminal(json: string): string {
  return json.replace(RAW_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
