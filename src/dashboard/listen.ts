/**
 * Where the dashboard listens: `--listen HOST:PORT` (IPv6 as `[::1]:PORT`), loopback by default.
 * A non-loopback address is refused unless `--allow-remote` says the operator means it (the
 * dashboard shows every mailbox login: it is not for the open network).
 */
import { isIP } from 'node:net';

export const DEFAULT_LISTEN = '127.0.0.1:8765';

export interface ListenAddress {
  host: string;
  port: number;
  loopback: boolean;
}

export class ListenError extends Error {}

export function parseListen(text: string): ListenAddress {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m) throw new ListenError(`--listen ${JSON.stringify(text)}: expected HOST:PORT, e.g. 127.0.0.1:8765 or [::1]:8765`);
  const host = (m[1] as string).toLowerCase();
  const port = Number(m[2]);
  if (port > 65535) throw new ListenError(`--listen ${JSON.stringify(text)}: port ${port} is above 65535`);
  if (host !== 'localhost' && isIP(host) === 0) throw new ListenError(`--listen ${JSON.stringify(text)}: ${JSON.stringify(host)} is not an IP address (or localhost)`);
  return { host: host === 'localhost' ? '127.0.0.1' : host, port, loopback: isLoopback(host) };
}

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  return mapped !== null && (mapped[1] as string).startsWith('127.');
}

/** Refuses a non-loopback address without the explicit flag. */
export function checkExposure(addr: ListenAddress, allowRemote: boolean): void {
  if (!addr.loopback && !allowRemote) {
    throw new ListenError(`--listen ${addr.host}:${addr.port} is not a loopback address: the dashboard shows every mailbox login; add --allow-remote to serve it there (and put it behind TLS)`);
  }
}
