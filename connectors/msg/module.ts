/** The .msg file source as a connector module (connectors/modules.ts). */
import { noLogin, type ConnectorModule } from '../../src/config-blocks/connector-module.js';
import { msgSourceSchema, type MsgSourceConfig } from './config.js';

export const msgSourceModule: ConnectorModule<'source', MsgSourceConfig> = {
  type: 'msg',
  role: 'source',
  schema: msgSourceSchema,
  normalise: (cfg, abs) => ({ ...cfg, directory: abs(cfg.directory) }),
  mailboxLogin: noLogin,
  discoverLogin: 'login',
  async create(cfg, ctx) {
    const { MsgSource } = await import('./index.js');
    return new MsgSource({ directory: cfg.directory, folders: cfg.folders, codepage: cfg.codepage, groupware: cfg.groupware }, ctx.log);
  },
};
