/**
 * Every PostgreSQL connection the tool opens is TLS with certificate verification unless the
 * config allows less (issue 13 item 1): against the real lab PostgreSQL (test/lab/pg.sh, ssl on,
 * a lab CA of its own) and a fake server that has no TLS and would take a password in clear.
 */
import { once } from 'node:events';
import net from 'node:net';
import { run } from 'graphile-worker';
import pg from 'pg';
import pino from 'pino';
import { QUEUE_SCHEMA, graphileLogger, queueUtils } from '../../jobs/queue.js';
import { createTestDatabase, dropTestDatabase, pgCaFile, startPg, withoutTlsParams } from '../../test/lab/pg.js';
import type { StateConfig } from '../config/schema.js';
import { openStateStore, postgresUrl } from './open.js';
import { PgLockSession } from './pg-locks.js';
import { PgTlsError } from '../util/pg-tls.js';

type PgState = Extract<StateConfig, { driver: 'postgres' }>;
const log = pino({ level: 'silent' });
const secrets = (url: string) => ({ baseDir: '/nonexistent', env: { UMS_TEST_STATE_URL: url } });
const state = (extra: Partial<PgState> = {}): PgState => ({ driver: 'postgres', url: 'env:UMS_TEST_STATE_URL', allowInsecure: false, ...extra });

let labUrl: string; // with sslmode=verify-full&sslrootcert=<lab CA>, as the lab prints it
let plainUrl: string; // the same without parameters: what a user who leaves TLS to the defaults writes
let ca: string;
let password: string;

beforeAll(async () => {
  await startPg();
  labUrl = await createTestDatabase('ums_tls');
  plainUrl = withoutTlsParams(labUrl);
  ca = await pgCaFile();
  password = decodeURIComponent(new URL(labUrl).password);
}, 180_000);
afterAll(async () => {
  await dropTestDatabase(labUrl);
});

/** The sessions on the test database other than the asking one: application_name and whether it is TLS. */
async function sessions(): Promise<{ app: string; ssl: boolean }[]> {
  const admin = new pg.Client({ connectionString: labUrl });
  await admin.connect();
  try {
    const r = await admin.query<{ app: string; ssl: boolean }>(`select a.application_name as app, s.ssl from pg_stat_ssl s join pg_stat_activity a on a.pid = s.pid
      where a.datname = current_database() and a.pid <> pg_backend_pid() order by 1`);
    return r.rows;
  } finally {
    await admin.end();
  }
}

describe('the lab PostgreSQL (TLS on, a private CA)', () => {
  test('the store, the lock session, the queue utilities and a graphile-worker runner all connect with TLS (pg_stat_ssl)', async () => {
    const cfg = state({ caFile: ca });
    const url = postgresUrl(cfg, secrets(plainUrl));
    const store = await openStateStore(cfg, secrets(plainUrl));
    const locks = await PgLockSession.open(url, 'ums-migrate tls-test locks');
    const utils = await queueUtils(url, log);
    await utils.migrate();
    const runner = await run({ connectionString: url, schema: QUEUE_SCHEMA, concurrency: 1, noHandleSignals: true, pollInterval: 200, logger: graphileLogger(log), taskList: {} });
    try {
      await store.mailboxId({ source: 'a', target: 'b' });
      expect(await locks.tryLockMailbox('a')).toBe(true);
      const seen = await sessions();
      expect(seen.map((s) => s.app)).toEqual(expect.arrayContaining(['ums-migrate', 'ums-migrate tls-test locks']));
      expect(seen.length).toBeGreaterThanOrEqual(4); // + the queue utilities' and the runner's pools
      expect(seen.filter((s) => !s.ssl)).toEqual([]);
    } finally {
      await runner.stop();
      await utils.release();
      await locks.close();
      await store.close();
    }
  });

  test('without state.caFile the lab certificate is not trusted: a clear error naming state.url and state.caFile, nothing sent', async () => {
    const cfg = state();
    const url = postgresUrl(cfg, secrets(plainUrl));
    const untrusted = /^state\.url: the TLS certificate of PostgreSQL postgres:\/\/postgres@127\.0\.0\.1:15432\/ums_tls_\w+ was not accepted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)[^)]*\); nothing was sent\. Set state\.caFile/;
    for (const attempt of [() => openStateStore(cfg, secrets(plainUrl)), () => PgLockSession.open(url), () => queueUtils(url, log)]) {
      const err = await attempt().then(() => undefined, (e: unknown) => e as Error);
      expect(err?.message).toMatch(untrusted);
      expect(err?.message).not.toContain(password);
    }
    expect(await sessions()).toEqual([]);
  });

  test('sslmode=disable is refused before connecting without allowInsecure; with it the session is plaintext (the opt-in works)', async () => {
    const insecure = `${plainUrl}?sslmode=disable`;
    await expect(openStateStore(state(), secrets(insecure))).rejects.toThrow(PgTlsError);
    await expect(openStateStore(state(), secrets(insecure))).rejects.toThrow(/^state\.url: sslmode=disable sends the password .* in plaintext; .*state\.allowInsecure: true/);
    const store = await openStateStore(state({ allowInsecure: true }), secrets(insecure));
    try {
      expect(await sessions()).toEqual([{ app: 'ums-migrate', ssl: false }]);
    } finally {
      await store.close();
    }
  });
});

/**
 * A PostgreSQL impostor without TLS: answers SSLRequest with 'N' and a startup message with
 * "send me your password in clear" (AuthenticationCleartextPassword); keeps every byte it gets.
 */
async function fakePlaintextServer(): Promise<{ port: number; received: () => Buffer; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    let started = false;
    socket.on('data', (d) => {
      chunks.push(d);
      pending = Buffer.concat([pending, d]);
      while (!started && pending.length >= 8) {
        const len = pending.readInt32BE(0);
        if (pending.length < len) return;
        const code = pending.readInt32BE(4);
        pending = pending.subarray(len);
        if (code === 80877103) socket.write('N'); // SSLRequest: no TLS here
        else {
          started = true; // StartupMessage: ask for the password in clear
          socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => Buffer.concat(chunks),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('a server without TLS', () => {
  const fakePw = 'fake-s3cret-pw';
  const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

  test('store, lock session and queue never send it the password: they ask for TLS, hear no, and say what to do', async () => {
    const fake = await fakePlaintextServer();
    try {
      const raw = `postgres://ums:${fakePw}@127.0.0.1:${fake.port}/state`;
      const url = postgresUrl(state(), secrets(raw));
      for (const attempt of [() => openStateStore(state(), secrets(raw)), () => PgLockSession.open(url), () => queueUtils(url, log)]) {
        const err = await attempt().then(() => undefined, (e: unknown) => e as Error);
        expect(err?.message).toMatch(/^state\.url: PostgreSQL postgres:\/\/ums@127\.0\.0\.1:\d+\/state does not offer TLS; the password was not sent\. .*state\.allowInsecure: true/);
      }
      const got = fake.received();
      expect(got.includes(Buffer.from(fakePw))).toBe(false);
      expect(got.includes(Buffer.from('ums'))).toBe(false); // not even the startup message (user name)
      expect(got.length % SSL_REQUEST.length).toBe(0);
      expect(got.subarray(0, SSL_REQUEST.length)).toEqual(SSL_REQUEST);
    } finally {
      await fake.close();
    }
  });

  test('with sslmode=disable and allowInsecure the impostor does get the password (what the default prevents)', async () => {
    const fake = await fakePlaintextServer();
    try {
      const raw = `postgres://ums:${fakePw}@127.0.0.1:${fake.port}/state?sslmode=disable`;
      const url = postgresUrl(state({ allowInsecure: true }), secrets(raw));
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
      client.on('error', () => undefined);
      const connecting = client.connect().catch(() => undefined);
      const deadline = Date.now() + 5000;
      while (!fake.received().includes(Buffer.from(fakePw)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(fake.received().includes(Buffer.from(fakePw))).toBe(true);
      await fake.close();
      await connecting;
    } finally {
      await fake.close().catch(() => undefined);
    }
  });
});
