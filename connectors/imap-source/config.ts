/** The `source:` section of an IMAP server (type imap). */
import { z } from 'zod';
import type { Expect, SameType } from '../../src/config-blocks/connector-module.js';
import { endpointShape, type EndpointConfig } from '../../src/config-blocks/endpoint.js';
import { int } from '../../src/config-blocks/fields.js';

export const imapSourceSchema = z
  .object({
    type: z.literal('imap'),
    ...endpointShape,
    maxConnections: int(1, 100).default(6),
  })
  .strict();

export interface ImapSourceConfig extends EndpointConfig {
  type: 'imap';
}

/** The schema's output and the interface above agree (SameType). */
type _SameType = Expect<SameType<z.output<typeof imapSourceSchema> & { port: number }, ImapSourceConfig>>;
