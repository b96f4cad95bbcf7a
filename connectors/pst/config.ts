/** The `source:` section of Outlook PST/OST files on disk (type pst). */
import { z } from 'zod';
import type { Expect, SameType } from '../../src/config-blocks/connector-module.js';
import { int, nonEmpty } from '../../src/config-blocks/fields.js';

export const pstSourceSchema = z
  .object({
    type: z.literal('pst'),
    directory: nonEmpty,
    files: nonEmpty
      .refine((s) => s.includes('{login}'), 'must contain {login} (each mailbox needs its own files)')
      .refine((s) => !s.split('/').includes('..'), 'must stay inside the directory (no "..")')
      .default('{login}.pst'),
    codepage: int(1, 65535).optional(),
    groupware: z.boolean().default(false),
  })
  .strict();

/** Outlook PST/OST files on disk, one or more per mailbox (connectors/pst). */
export interface PstSourceConfig {
  type: 'pst';
  /** Directory holding the files (absolute after loading). */
  directory: string;
  /**
   * Where a mailbox's files are, relative to `directory`: "{login}" stands for the mailbox's
   * source login, "*" for any characters within one path segment. Default: "{login}.pst".
   */
  files: string;
  /** Windows code page of 8-bit strings in ANSI files that declare none (default: guessed per file, else 1252). */
  codepage?: number;
  /**
   * Also migrate calendar, contact and task folders (as iCalendar / vCard items of kind
   * event/contact/task). Off by default: the target must route those kinds to CalDAV/CardDAV.
   */
  groupware: boolean;
}

/** The schema's output and the interface above agree (SameType). */
type _SameType = Expect<SameType<z.output<typeof pstSourceSchema>, PstSourceConfig>>;
