/** The `target:` section of the UMS's Courier-IMAP server (type ums-imap, the default). */
import { z } from 'zod';
import type { Expect, SameType } from '../../src/config-blocks/connector-module.js';
import { endpointShape, type EndpointConfig } from '../../src/config-blocks/endpoint.js';
import { int } from '../../src/config-blocks/fields.js';

export const umsImapTargetSchema = z
  .object({
    type: z.literal('ums-imap').default('ums-imap'),
    ...endpointShape,
    maxConnections: int(1, 100).default(8),
    namespace: z
      .object({
        prefix: z.string(),
        delimiter: z.string().length(1, 'expected a single character'),
      })
      .strict()
      .optional(),
    utf8Accept: z.boolean().default(true),
    stagingFrom: z.union([int(0, 1_000_000_000), z.literal(false)]).default(1000),
    stagingAfter: int(0, 1_000_000_000).default(500),
    stagingLanes: int(1, 16).default(3),
  })
  .strict();

export interface NamespaceOverride {
  prefix: string;
  delimiter: string;
}

export interface UmsImapTargetConfig extends EndpointConfig {
  type: 'ums-imap';
  /** Overrides the personal namespace discovered with NAMESPACE. */
  namespace?: NamespaceOverride;
  /** ENABLE UTF8=ACCEPT when the server offers it. */
  utf8Accept: boolean;
  /** Folders holding at least this many messages are written through a staging folder (staged-writer.ts); false: never. */
  stagingFrom: number | false;
  /** Messages a run writes straight into a folder of `stagingFrom` messages before staging starts (fewer into a larger one). */
  stagingAfter: number;
  /** Staging folders one folder is written through at once, each on a connection of its own. */
  stagingLanes: number;
}

/** The schema's output and the interface above agree (SameType). */
type _SameType = Expect<SameType<z.output<typeof umsImapTargetSchema> & { port: number }, UmsImapTargetConfig>>;
