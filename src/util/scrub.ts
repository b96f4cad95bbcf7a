/**
 * The process-wide secret scrubber. Every secret the tool resolves (config-blocks/secrets.ts
 * resolveSecret: passwords, client secrets, the PostgreSQL URL; OAuth2 access tokens when they
 * arrive) is registered here, and every text that leaves the process (log lines, CLI output,
 * failure reasons written to the state store) passes through `scrubSecrets`, which replaces each
 * occurrence with `[redacted]`. A server that echoes the LOGIN arguments in its NO, or an error
 * that quotes a connection string, therefore never puts a secret on a terminal, in a log or in
 * the state.
 *
 * Besides the raw value, the forms an echo is likely to use are caught: IMAP-quoted (`\"`, `\\`),
 * JSON-escaped (a log line), URL-encoded (a URL or a form body), and base64 at any alignment (so
 * AUTHENTICATE PLAIN's `base64(authzid \0 user \0 pass)` and HTTP Basic's `base64(user:pass)`
 * are scrubbed whatever precedes the password: see `base64Cores`).
 */

export const REDACTED = '[redacted]';

/**
 * Secrets shorter than this are not scrubbed: a 1–3 character value (a PIN, "abc") would match
 * inside ordinary words and numbers and mangle every text. Such secrets are weak anyway; they are
 * still never logged on purpose (the log's key redaction and the reference-only config hold).
 */
export const MIN_SECRET_LENGTH = 4;

const registered = new Set<string>();
/** Every scrubbed form, by its first MIN_SECRET_LENGTH characters, longest first (built on first use). */
let index: Map<string, string[]> | undefined;
/** The forms in `index`. */
const indexed = new Set<string>();

/**
 * Registers a resolved secret (idempotent). A URL with a password (postgres://u:pw@host/db) also
 * registers the password inside it, decoded, so an error quoting only the password is scrubbed too.
 */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || registered.has(value)) return;
  for (const secret of [value, ...urlPasswords(value)]) {
    if (registered.has(secret)) continue;
    registered.add(secret);
    if (index) for (const form of secretForms(secret)) addForm(index, form);
  }
}

/**
 * `text` with every registered secret, in each of its encodings, replaced by `[redacted]`
 * (leftmost first, the longest form at a position). One pass over the text with a lookup of the
 * next MIN_SECRET_LENGTH characters per position, so the cost does not grow with the number of
 * secrets (a run with per-user passwords registers one per mailbox).
 */
export function scrubSecrets(text: string): string {
  if (registered.size === 0 || text.length < MIN_SECRET_LENGTH) return text;
  index ??= buildIndex();
  let out = '';
  let copied = 0;
  for (let i = 0; i <= text.length - MIN_SECRET_LENGTH;) {
    const candidates = index.get(text.slice(i, i + MIN_SECRET_LENGTH));
    const hit = candidates?.find((form) => text.startsWith(form, i));
    if (hit === undefined) {
      i++;
      continue;
    }
    out += text.slice(copied, i) + REDACTED;
    i += hit.length;
    copied = i;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** True when `text` holds a registered secret in any of the scrubbed encodings (for checks and tests). */
export function containsSecret(text: string): boolean {
  return scrubSecrets(text) !== text;
}

/** Forgets every registered secret (tests only: a process keeps its secrets until it exits). */
export function forgetSecretsForTests(): void {
  registered.clear();
  indexed.clear();
  index = undefined;
}

function urlPasswords(value: string): string[] {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return [];
  try {
    const raw = new URL(value).password;
    if (raw === '') return [];
    let decoded = raw;
    try { decoded = decodeURIComponent(raw); } catch { /* keep the raw form */ }
    return [...new Set([raw, decoded])].filter((p) => p.length >= MIN_SECRET_LENGTH);
  } catch {
    return [];
  }
}

/** Every encoding of `secret` that is scrubbed. */
export function secretForms(secret: string): string[] {
  const imapQuoted = secret.replace(/[\\"]/g, '\\$&');
  const forms = new Set<string>([
    secret,
    imapQuoted,
    jsonInner(secret),
    jsonInner(imapQuoted),
    ...urlEncoded(secret),
    ...base64Cores(secret),
  ]);
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

function urlEncoded(s: string): string[] {
  try {
    return [encodeURIComponent(s), new URLSearchParams({ v: s }).toString().slice(2)];
  } catch {
    return []; // a lone surrogate: not URL-encodable, so never sent URL-encoded either
  }
}

function jsonInner(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/**
 * The part of base64(anything + secret + anything) that depends on the secret alone, for each of
 * the three byte alignments the secret can start at (and in base64url). Base64 character i holds
 * bits 6i..6i+5 of the input; with `k` bytes before the secret, characters ceil(8k/6) up to
 * floor(8(k+n)/6) are made of secret bits only, whatever surrounds it. For n ≥ 4 bytes each core
 * is at least 4 characters; the 1–2 characters at either edge that mix in neighbouring bytes stay.
 */
export function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const padded = Buffer.concat([Buffer.alloc(k), bytes, Buffer.alloc(3)]);
    const b64 = padded.toString('base64');
    const core = b64.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6));
    out.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

function buildIndex(): Map<string, string[]> {
  indexed.clear();
  const byPrefix = new Map<string, string[]>();
  for (const s of registered) for (const f of secretForms(s)) addForm(byPrefix, f);
  return byPrefix;
}

/** Adds a form under its prefix, keeping each list longest first (a form containing another is replaced whole). */
function addForm(byPrefix: Map<string, string[]>, form: string): void {
  if (indexed.has(form)) return;
  indexed.add(form);
  const key = form.slice(0, MIN_SECRET_LENGTH);
  const list = byPrefix.get(key);
  if (!list) {
    byPrefix.set(key, [form]);
    return;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as string).length >= form.length) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, form);
}
