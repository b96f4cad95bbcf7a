/**
 * Test support: what readpst's .eml files and our built MIME say about each message, reduced to
 * what both should agree on (subject, sender address, attachments), and a comparison of the two.
 * Used by the PST mapping and engine tests; readpst is Debian's pst-utils.
 *
 * readpst's own renderings are left out of its side: the raw RTF body it attaches as
 * "rtf-body.rtf", the text/calendar parts it generates for meeting requests, and the
 * "MAILER-DAEMON" it writes as From when a message has no sender. A subject readpst wrote as
 * raw 8-bit bytes (ANSI files) does not decode; such messages are matched on the rest.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';

export interface MimeAttachment { type: string; name: string; size: number }

export interface MimeSummary {
  /** undefined: not decodable (compared as a wildcard). */
  subject: string | undefined;
  from: string;
  /** Attachments; embedded messages as type message/rfc822 with their subject as name and size 0. */
  attachments: MimeAttachment[];
}

function firstAddress(a: AddressObject | AddressObject[] | undefined): string {
  const v = [a ?? []].flat().flatMap((o) => o.value);
  return (v[0]?.address ?? '').toLowerCase();
}

/** Parses one message into its summary. */
export async function summarize(raw: Buffer): Promise<MimeSummary> {
  const p = await simpleParser(raw);
  const attachments: MimeAttachment[] = [];
  for (const a of p.attachments) {
    if (a.contentType === 'message/rfc822') {
      const inner = await simpleParser(a.content);
      attachments.push({ type: a.contentType, name: (inner.subject ?? '').normalize('NFC'), size: 0 });
    } else if (a.contentType !== 'text/rtf') {
      attachments.push({ type: a.contentType, name: (a.filename ?? '').normalize('NFC'), size: a.size });
    }
  }
  return { subject: (p.subject ?? '').normalize('NFC'), from: firstAddress(p.from), attachments };
}

/** Every .eml readpst writes for a file (with -e: attachments kept in the message), summarized. */
export async function readpstSummaries(file: string): Promise<MimeSummary[]> {
  const out = mkdtempSync(join(tmpdir(), 'readpst-eml-'));
  try {
    const r = spawnSync('readpst', ['-D', '-j0', '-e', '-o', out, file], { maxBuffer: 64 << 20 });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`readpst exited ${r.status} on ${file}: ${r.stderr.toString('utf8').slice(0, 500)}`);
    const found: MimeSummary[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const name of readdirSync(dir)) {
        const full = join(dir, name);
        if (statSync(full).isDirectory()) await walk(full);
        else if (/^\d+\.eml$/.test(name)) {
          const s = await summarize(readFileSync(full));
          found.push({
            subject: s.subject?.includes('\uFFFD') ? undefined : s.subject,
            from: s.from === 'mailer-daemon' ? '' : s.from,
            attachments: s.attachments.filter((a) => !(a.type === 'application/rtf' && a.name === 'rtf-body.rtf') && a.type !== 'text/calendar'),
          });
        }
      }
    };
    await walk(out);
    return found;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const shape = (s: MimeSummary): string => JSON.stringify([s.from, s.attachments.map((a) => `${a.type} ${a.size}`).sort()]);
const show = (s: MimeSummary): string => JSON.stringify([s.subject ?? '?', s.from, s.attachments.map((a) => `${a.type} ${JSON.stringify(a.name)} ${a.size}`).sort()]);

/** Does `ours` carry what readpst shows in `theirs` (names readpst left empty are not compared)? */
function matches(ours: MimeSummary, theirs: MimeSummary): boolean {
  if (theirs.subject !== undefined && ours.subject !== theirs.subject) return false;
  if (shape(ours) !== shape(theirs)) return false;
  const names = ours.attachments.map((a) => `${a.type} ${a.name}`);
  return theirs.attachments.every((a) => a.name === '' || names.includes(`${a.type} ${a.name}`));
}

/**
 * Matches readpst's messages with ours as multisets; returns the differences (empty: same).
 * Ours may hold more (items readpst writes as .ics/.vcf or skips): only readpst's must all be found.
 */
export function compareSummaries(ours: MimeSummary[], theirs: MimeSummary[]): string[] {
  const left = [...ours];
  const problems: string[] = [];
  // exact subjects first, so wildcard subjects do not take another message's partner
  const ordered = [...theirs].sort((a, b) => Number(a.subject === undefined) - Number(b.subject === undefined));
  for (const t of ordered) {
    const i = left.findIndex((o) => matches(o, t));
    if (i >= 0) { left.splice(i, 1); continue; }
    const sameSubject = ours.filter((o) => o.subject === t.subject);
    problems.push(`readpst's ${show(t)} not among ours${sameSubject.length ? `; ours with that subject: ${sameSubject.map(show).join(' | ')}` : ''}`);
  }
  return problems;
}
