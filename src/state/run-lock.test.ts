import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { acquireRunLock, kernelLockFile, LockHeldError, type LockHolder } from './run-lock.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONTENDER = join(ROOT, 'test', 'support', 'run-lock-contender.ts');
const TRIALS = 24;

/** A contender process (test/support/run-lock-contender.ts) and its reply lines. */
class Contender {
  private readonly lines: string[] = [];
  private readonly waiting: ((line: string) => void)[] = [];
  readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const w = this.waiting.shift();
      if (w) w(l);
      else this.lines.push(l);
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    this.exited = new Promise((resolve) => child.on('close', () => {
      for (const w of this.waiting.splice(0)) w(`exited: ${stderr.trim()}`);
      resolve();
    }));
  }

  static start(): Contender {
    // $HOSTNAME as os.hostname(), so that the earlier pid-file scheme (which read $HOSTNAME) sees the stale record as its own host's.
    return new Contender(spawn(process.execPath, ['--import', 'tsx', CONTENDER], {
      cwd: ROOT, env: { ...process.env, HOSTNAME: hostname() }, stdio: ['pipe', 'pipe', 'pipe'],
    }));
  }

  next(): Promise<string> {
    const l = this.lines.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((resolve) => this.waiting.push(resolve));
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

function writeRecord(file: string, holder: LockHolder): void {
  writeFileSync(file, JSON.stringify(holder));
}

const anHourAgo = () => new Date(Date.now() - 3600_000).toISOString();

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ums-lock-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('run lock', () => {
  test('16 processes racing for a stale lock: exactly one holds it, in each of 24 trials', async () => {
    const contenders = Array.from({ length: 16 }, () => Contender.start());
    try {
      expect(await Promise.all(contenders.map((c) => c.next()))).toEqual(contenders.map(() => 'ready'));
      const holdersPerTrial: number[] = [];
      const replies = new Set<string>();
      for (let trial = 0; trial < TRIALS; trial++) {
        const file = join(dir, `t${trial}`, 'state.sqlite.lock');
        const shared = join(dir, `t${trial}.holders`);
        mkdirSync(join(dir, `t${trial}`));
        // A crashed run's record: this host, its pid gone.
        writeRecord(file, { pid: deadPid(), host: hostname(), started: anHourAgo(), command: 'run' });
        writeFileSync(shared, '');
        const at = Date.now() + 250;
        for (const c of contenders) c.send(`go ${at} ${file} ${shared}`);
        const got = await Promise.all(contenders.map((c) => c.next()));
        for (const g of got) replies.add(g);
        const holders = contenders.filter((_, i) => got[i] === 'held');
        holdersPerTrial.push(holders.length);
        for (const h of holders) h.send(`release ${shared}`);
        await Promise.all(holders.map((h) => h.next()));
        // Holders overlapped when one entered before the other left.
        let inside = 0;
        let most = 0;
        for (const l of readFileSync(shared, 'utf8').split('\n').filter(Boolean)) {
          inside += l.startsWith('enter ') ? 1 : -1;
          most = Math.max(most, inside);
        }
        expect({ trial, most }).toEqual({ trial, most: holders.length > 0 ? 1 : 0 });
        expect(existsSync(file)).toBe(false); // released: the record is gone
      }
      expect(holdersPerTrial).toEqual(holdersPerTrial.map(() => 1));
      expect([...replies].sort()).toEqual(['busy', 'held']);
    } finally {
      for (const c of contenders) c.send('exit');
      await Promise.all(contenders.map((c) => c.exited));
    }
  }, 120_000);

  test('a second acquire is refused while the lock is held (also in the same process), and succeeds after release', () => {
    const file = join(dir, 'state.sqlite.lock');
    const release = acquireRunLock(file, 'run');
    expect(() => acquireRunLock(file, 'sync')).toThrow(LockHeldError);
    expect(() => acquireRunLock(file, 'sync')).toThrow(`another ums-migrate run holds ${file} (pid ${process.pid} on ${hostname()}, run, since `);
    release();
    release(); // twice is harmless
    expect(existsSync(file)).toBe(false);
    acquireRunLock(file, 'sync')();
  });

  test('the record names the real host (os.hostname(), not $HOSTNAME) and is private, as is the kernel lock file', () => {
    const file = join(dir, 'state.sqlite.lock');
    const saved = process.env.HOSTNAME;
    process.env.HOSTNAME = 'not-this-host.example';
    let release: () => void;
    try {
      release = acquireRunLock(file, 'run');
    } finally {
      if (saved === undefined) delete process.env.HOSTNAME;
      else process.env.HOSTNAME = saved;
    }
    try {
      const record = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
      expect(record).toMatchObject({ pid: process.pid, host: hostname(), command: 'run', lock: 'fcntl' });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(kernelLockFile(file)).mode & 0o777).toBe(0o600);
    } finally {
      release();
    }
  });

  test('a lock of another host is never taken over: the error names host and pid and the file to delete', () => {
    const file = join(dir, 'state.sqlite.lock');
    const record: LockHolder = { pid: 4242, host: 'mig-01.corp.example', started: anHourAgo(), command: 'sync', lock: 'fcntl' };
    writeRecord(file, record);
    let err: unknown;
    try {
      acquireRunLock(file, 'run')();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockHeldError);
    const message = (err as Error).message;
    expect(message).toContain(`held by pid 4242 on host mig-01.corp.example (sync, since ${record.started}); this is ${hostname()}`);
    expect(message).toContain(`if no ums-migrate runs on mig-01.corp.example any more (or that host is gone), delete ${file} and start again`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(record); // untouched
    // Deleting the record, as the message says, clears it.
    rmSync(file);
    acquireRunLock(file, 'run')();
  });

  test('a record whose pid now belongs to another program is taken over (the kernel lock is free: its run is gone)', async () => {
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const file = join(dir, 'state.sqlite.lock');
      for (const lock of ['fcntl', undefined]) {
        // Taken an hour ago; `sleep` started now, so it reused the pid (for a record of an earlier version too).
        writeRecord(file, { pid: other.pid!, host: hostname(), started: anHourAgo(), command: 'run', ...(lock ? { lock } : {}) });
        const release = acquireRunLock(file, 'sync');
        expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, command: 'sync' });
        release();
      }
    } finally {
      other.kill();
    }
  });

  test('a record of an earlier version whose process still runs is refused, saying what runs and how to clear it', async () => {
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const file = join(dir, 'state.sqlite.lock');
      const started = new Date(Date.now() + 5000).toISOString(); // taken after `sleep` started: it may be the holder
      writeRecord(file, { pid: other.pid!, host: hostname(), started, command: 'run' });
      expect(() => acquireRunLock(file, 'sync')).toThrow(
        `the run lock ${file} was taken by pid ${other.pid} (run, since ${started}), which still runs (sleep): an earlier ums-migrate version? `
        + `Wait for it to finish. If pid ${other.pid} is not ums-migrate (its pid was reused), delete ${file} and start again`,
      );
    } finally {
      other.kill();
    }
  });

  test('a kernel lock file that is not a database is an error naming it and how to clear it', () => {
    const file = join(dir, 'state.sqlite.lock');
    writeFileSync(kernelLockFile(file), 'x'.repeat(200));
    expect(() => acquireRunLock(file, 'run')).toThrow(
      `cannot take the run lock on ${kernelLockFile(file)} (file is not a database): it should be an empty file or an empty SQLite database; `
      + `if no ums-migrate runs on this host, delete ${kernelLockFile(file)} and start again`,
    );
    rmSync(kernelLockFile(file));
    acquireRunLock(file, 'run')();
  });

  test('a symlink planted as the kernel lock file is refused by name (SQLite would lock what it points at, e.g. the state)', () => {
    const file = join(dir, 'state.sqlite.lock');
    const victim = join(dir, 'state.sqlite');
    writeFileSync(victim, '');
    symlinkSync(victim, kernelLockFile(file));
    expect(() => acquireRunLock(file, 'run')).toThrow(
      `cannot take the run lock on ${kernelLockFile(file)}: it is a symbolic link, and it should be an empty file; if no ums-migrate runs on this host, delete ${kernelLockFile(file)} and start again`,
    );
    rmSync(kernelLockFile(file));
    acquireRunLock(file, 'run')();
  });

  test('a holder killed with SIGKILL leaves the lock to the next run', async () => {
    const file = join(dir, 'state.sqlite.lock');
    const shared = join(dir, 'holders');
    const c = Contender.start();
    try {
      expect(await c.next()).toBe('ready');
      c.send(`go 0 ${file} ${shared}`);
      expect(await c.next()).toBe('held');
      expect(() => acquireRunLock(file, 'run')).toThrow(LockHeldError);
      c.child.kill('SIGKILL');
      await c.exited;
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: c.child.pid }); // its record is left behind
      const takenOver: unknown[] = [];
      const release = acquireRunLock(file, 'run', (previous) => takenOver.push(previous));
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid });
      // the takeover is told (run logs it), with the dead holder's record
      expect(takenOver).toEqual([expect.objectContaining({ pid: c.child.pid, host: hostname() })]);
      release();
      const again: unknown[] = [];
      acquireRunLock(file, 'run', (previous) => again.push(previous))();
      expect(again).toEqual([]); // a lock released cleanly leaves nothing to take over
    } finally {
      c.child.kill('SIGKILL');
    }
  });
});
