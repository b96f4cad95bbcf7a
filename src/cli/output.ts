/**
 * What the CLI prints. Human text goes through `printOut`/`printErr`: secrets scrubbed
 * (util/scrub) and control characters made visible (util/terminal-text), so a folder name or a
 * server reason can neither inject terminal sequences nor show a password. `printJson` scrubs
 * secrets only: JSON stays exact otherwise (its escaping handles C0 controls).
 *
 * `installOutputScrubbing` is the safety net under all of it: once the CLI starts, anything
 * written to stdout/stderr as a string (commander's messages, a library's warning) is scrubbed.
 */
import { scrubSecrets } from '../util/scrub.js';
import { jsonForTerminal, terminalText } from '../util/terminal-text.js';

/** Human text for a terminal, scrubbed and with control characters escaped (line breaks kept). */
export function humanText(text: string): string {
  return terminalText(scrubSecrets(text));
}

export function printOut(text: string): void {
  process.stdout.write(humanText(text));
}

export function printErr(text: string): void {
  process.stderr.write(humanText(text));
}

/**
 * Pretty JSON (or compact with `indent` 0) on stdout, secrets scrubbed, one trailing newline. The
 * values stay exact; the C1, DEL and bidi characters JSON leaves raw are written as \u escapes.
 */
export function printJson(value: unknown, indent = 2): void {
  printJsonText(indent > 0 ? JSON.stringify(value, null, indent) : JSON.stringify(value));
}

/** JSON text already serialised, printed like printJson (a trailing newline is added when missing). */
export function printJsonText(json: string): void {
  const text = jsonForTerminal(scrubSecrets(json));
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

const installed = new WeakSet<NodeJS.WriteStream>();

/** Wraps `stream.write` so that string chunks are scrubbed of every registered secret (idempotent). */
export function installOutputScrubbing(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    if (installed.has(stream)) continue;
    installed.add(stream);
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    // Buffers pass unchanged: the CLI writes text; a byte stream is not ours to rewrite.
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      write(typeof chunk === 'string' ? scrubSecrets(chunk) : chunk, ...rest)) as typeof stream.write;
  }
}
