/**
 * What pst-extractor says besides its data: the messages of its errors (the offset in them, the
 * line that matters) and its console output (dropped where it is no problem or reported by the
 * caller).
 */

/** Pulls "at offset N" out of a (patched) pst-extractor short-read or damaged-block message. */
export function offsetIn(err: unknown): number | undefined {
  const m = /at offset (\d+)/.exec(messageOf(err));
  return m ? Number(m[1]) : undefined;
}

/**
 * The first line of an error's message, or the damaged-block line when pst-extractor wrapped one
 * (errors from Node itself may come from another realm under jest).
 */
export function messageOf(err: unknown): string {
  const text = typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string'
    ? (err as { message: string }).message : String(err);
  const lines = text.split('\n');
  const damaged = lines.find((l) => /damaged (data block|index page) /.test(l))?.replace(/^.*?Error: (?=damaged)/, '');
  return (damaged ?? lines[0]!).trim()
    .replace(/PSTFile::findBtreeItem Unable to find (?:node: )?(\d+) is desc: (true|false)/,
      (_m, id: string, desc: string) => (desc === 'true' ? `node ${id} is not in the file's node index` : `block ${id} is not in the file's block index`))
    .replace(/short read in .*?: wanted/, 'short read: wanted')
    .replace(/, open '[^']*'$/, '');
}

/** pst-extractor output that is no problem ("unknown message type": IPM.Post… are plain messages) or reported by the caller. */
const QUIET = ['PSTUtil::createAppropriatePSTMessageObject unknown message type', 'PSTMessage::processRecipients', 'PSTObject::Exception reading binary item'];

/** Runs a pst-extractor call with the QUIET lines dropped; any other output passes through. */
export function quietly<T>(fn: () => T): T {
  const { log, error } = console;
  const filter = (write: (...args: unknown[]) => void) => (...args: unknown[]): void => {
    if (typeof args[0] === 'string' && QUIET.some((p) => (args[0] as string).startsWith(p))) return;
    write(...args);
  };
  console.log = filter(log);
  console.error = filter(error);
  try {
    return fn();
  } finally {
    console.log = log;
    console.error = error;
  }
}

