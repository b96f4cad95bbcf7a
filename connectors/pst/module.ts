/** The PST/OST file source as a connector module (connectors/modules.ts). */
import { noLogin, type ConnectorModule } from '../../src/config-blocks/connector-module.js';
import { pstSourceSchema, type PstSourceConfig } from './config.js';

export const pstSourceModule: ConnectorModule<'source', PstSourceConfig> = {
  type: 'pst',
  role: 'source',
  schema: pstSourceSchema,
  normalise: (cfg, abs) => ({ ...cfg, directory: abs(cfg.directory) }),
  mailboxLogin: noLogin,
  discoverLogin: 'login',
  async create(cfg, ctx) {
    const { PstSource } = await import('./index.js');
    return new PstSource({ directory: cfg.directory, files: cfg.files, codepage: cfg.codepage, groupware: cfg.groupware }, ctx.log);
  },
};
