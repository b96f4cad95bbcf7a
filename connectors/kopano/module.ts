/** The two Kopano file sources as connector modules (connectors/modules.ts); each loads only its own reader. */
import { noLogin, type ConnectorModule } from '../../src/config-blocks/connector-module.js';
import { kopanoBackupSourceSchema, kopanoTreeSourceSchema, type KopanoBackupSourceConfig, type KopanoTreeSourceConfig } from './config.js';

export const kopanoBackupSourceModule: ConnectorModule<'source', KopanoBackupSourceConfig> = {
  type: 'kopano-backup',
  role: 'source',
  schema: kopanoBackupSourceSchema,
  normalise: (cfg, abs) => ({ ...cfg, path: abs(cfg.path) }),
  mailboxLogin: noLogin,
  discoverLogin: 'login',
  async create(cfg, ctx) {
    const { KopanoBackupSource } = await import('./index.js');
    return new KopanoBackupSource(cfg.path, ctx.log);
  },
};

export const kopanoTreeSourceModule: ConnectorModule<'source', KopanoTreeSourceConfig> = {
  type: 'kopano-tree',
  role: 'source',
  schema: kopanoTreeSourceSchema,
  normalise: (cfg, abs) => ({ ...cfg, path: abs(cfg.path) }),
  mailboxLogin: noLogin,
  discoverLogin: 'login',
  async create(cfg, ctx) {
    const { KopanoTreeSource } = await import('./tree-source.js');
    return new KopanoTreeSource(cfg.path, ctx.log);
  },
};
