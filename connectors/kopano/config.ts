/** The `source:` sections of Kopano's file exports (types kopano-backup and kopano-tree): read from files, no login. */
import { z } from 'zod';
import type { Expect, SameType } from '../../src/config-blocks/connector-module.js';
import { nonEmpty } from '../../src/config-blocks/fields.js';

export const kopanoBackupSourceSchema = z.object({ type: z.literal('kopano-backup'), path: nonEmpty }).strict();
export const kopanoTreeSourceSchema = z.object({ type: z.literal('kopano-tree'), path: nonEmpty }).strict();

/** A directory of kopano-backup user directories (`<path>/<login>/`); read from files, no login. */
export interface KopanoBackupSourceConfig {
  type: 'kopano-backup';
  /** Absolute after loading. */
  path: string;
}

/** A tree of Kopano per-item exports (`<path>/<login>/<folder path>/<sourcekey>.eml|.ics|.vcf`); no login. */
export interface KopanoTreeSourceConfig {
  type: 'kopano-tree';
  /** Absolute after loading. */
  path: string;
}

/** The schema's output and the interface above agree (SameType). */
type _SameBackup = Expect<SameType<z.output<typeof kopanoBackupSourceSchema>, KopanoBackupSourceConfig>>;
type _SameTree = Expect<SameType<z.output<typeof kopanoTreeSourceSchema>, KopanoTreeSourceConfig>>;
