/**
 * `dashboard`: the progress report live in a browser, while runs and syncs go on. Read-only (no
 * run lock, no write endpoint), on 127.0.0.1:8765 by default; a non-loopback `--listen` needs
 * `--allow-remote`. Protected by a token: random and printed in the address at start, or from
 * `--token-file` / `$UMS_DASHBOARD_TOKEN` (then not printed). The page is the report's (same
 * model, same renderer) and refreshes itself every `--refresh` seconds. Runs until Ctrl-C /
 * SIGTERM.
 *
 * The state store is opened once it exists (a SQLite file is never created by the dashboard:
 * until the first run, every configured mailbox shows as pending) and kept open.
 */
import { existsSync } from 'node:fs';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { EXIT } from '../util/exit-codes.js';
import { printErr, printOut } from '../cli/output.js';
import type { StateStore } from '../state/store.js';
import { checkExposure, DEFAULT_LISTEN, ListenError, parseListen } from '../dashboard/listen.js';
import { startDashboard, type RunningDashboard } from '../dashboard/server.js';
import { dashboardToken, TokenError } from '../dashboard/token.js';
import { loadProgressReport, openReportStore, type ReportStore } from './report.js';
import { coerceError } from '../util/errors.js';

export const DEFAULT_REFRESH_SECONDS = 5;

export interface DashboardCommandOptions {
  config: string;
  listen?: string;
  allowRemote?: boolean;
  tokenFile?: string;
  refresh?: number;
  /** Tests: resolves with the running dashboard instead of waiting for a signal. */
  onStarted?: (d: RunningDashboard) => void;
  /** Tests: stops the dashboard when it settles (default: SIGINT or SIGTERM). */
  until?: Promise<void>;
}

export async function dashboardCommand(opts: DashboardCommandOptions): Promise<number> {
  const loaded = await loadConfig(opts.config);
  let token;
  let addr;
  try {
    addr = parseListen(opts.listen ?? DEFAULT_LISTEN);
    checkExposure(addr, opts.allowRemote === true);
    token = dashboardToken(opts.tokenFile !== undefined ? { tokenFile: opts.tokenFile } : {});
  } catch (err) {
    if (err instanceof ListenError || err instanceof TokenError) {
      printErr(`ums-migrate dashboard: ${err.message}\n`);
      return EXIT.CONFIG;
    }
    throw err;
  }
  const stores = storeKeeper(loaded);
  const refreshSeconds = opts.refresh ?? DEFAULT_REFRESH_SECONDS;
  let running: RunningDashboard;
  try {
    running = await startDashboard({
      host: addr.host, port: addr.port, token: token.token, refreshSeconds,
      load: async () => loadProgressReport(loaded, new Date(), await stores.get()),
    });
  } catch (err) {
    await stores.close();
    printErr(`ums-migrate dashboard: cannot listen on ${opts.listen ?? DEFAULT_LISTEN}: ${coerceError(err).message}\n`);
    return EXIT.ERROR;
  }
  const address = token.source === 'random' ? `${running.url}?token=${token.token}` : running.url;
  printOut(`Dashboard (read-only): ${address}\n`);
  printOut(token.source === 'random'
    ? 'The address holds the access token: share it only with who may see the migration. Ctrl-C stops the dashboard.\n'
    : `Access token from ${token.source === 'UMS_DASHBOARD_TOKEN' ? '$UMS_DASHBOARD_TOKEN' : token.source}: open ${running.url}?token=<token>. Ctrl-C stops the dashboard.\n`);
  opts.onStarted?.(running);
  await (opts.until ?? untilSignal());
  await running.close();
  await stores.close();
  return EXIT.OK;
}

/** The store, opened on first need once it exists, then kept; undefined before the first run (SQLite). */
function storeKeeper(loaded: LoadedConfig): { get: () => Promise<ReportStore | undefined>; close: () => Promise<void> } {
  let store: Promise<StateStore> | undefined;
  const { state } = loaded.config;
  return {
    get: async () => {
      if (store === undefined) {
        if (state.driver === 'sqlite' && !existsSync(state.path)) return undefined;
        store = openReportStore(loaded);
        store.catch(() => { store = undefined; });
      }
      return store;
    },
    close: async () => {
      if (store) await (await store.catch(() => undefined))?.close();
    },
  };
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
