/** The `source:` section of folders of Outlook .msg files on disk (type msg). */
import { z } from 'zod';
import type { Expect, SameType } from '../../src/config-blocks/connector-module.js';
import { int, nonEmpty } from '../../src/config-blocks/fields.js';

export const msgSourceSchema = z
  .object({
    type: z.literal('msg'),
    directory: nonEmpty,
    folders: nonEmpty
      .refine((s) => s.includes('{login}'), 'must contain {login} (each mailbox needs its own folder)')
      .refine((s) => !s.split('/').includes('..'), 'must stay inside the directory (no "..")')
      .default('{login}'),
    codepage: int(1, 65535).optional(),
    groupware: z.boolean().default(false),
  })
  .strict();

/** Folders of Outlook .msg files on disk, one directory tree per mailbox (connectors/msg). */
export interface MsgSourceConfig {
  type: 'msg';
  /** Directory holding the mailboxes' folders (absolute after loading). */
  directory: string;
  /** The mailbox's root below `directory`, "{login}" standing for its source login. Default: "{login}". */
  folders: string;
  /** Windows code page of 8-bit strings in ANSI files that declare none. */
  codepage?: number;
  /** Also migrate directories of appointments, contacts or tasks (as calendars, address books, task lists). Off by default. */
  groupware: boolean;
}

/** The schema's output and the interface above agree (SameType). */
type _SameType = Expect<SameType<z.output<typeof msgSourceSchema>, MsgSourceConfig>>;
