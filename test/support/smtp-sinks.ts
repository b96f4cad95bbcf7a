/**
 * Mail-flow checks through the lab's real Postfix (test/lab/postfix.ts): two SMTP sinks in the
 * test process standing for the UMS and for Exchange, a sender, and `phase`, which sends one
 * message per case, waits until Postfix has delivered everything and compares where each landed
 * (exactly the expected sinks and final recipients, once each; refusals at RCPT TO with their code).
 */
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { SMTPServer } from 'smtp-server';
import { POSTFIX_HOST, POSTFIX_PORT, waitForEmptyQueue } from '../lab/postfix.js';

export type Sink = 'ums' | 'exchange';
export type Expect = { to: string; sinks: string[] } | { to: string; reject: number };

export class SmtpSinks {
  private readonly deliveries: { sink: Sink; rcpt: string; messageId: string }[] = [];
  private readonly servers: SMTPServer[] = [];

  async start(sink: Sink, port: number): Promise<void> {
    const server = new SMTPServer({
      name: `${sink}-sink.test`, // not Postfix's myhostname, so Postfix's loop check stays quiet
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const messageId = /^Message-ID:\s*(\S+)/im.exec(Buffer.concat(chunks).toString('utf8'))?.[1] ?? '?';
          for (const r of session.envelope.rcptTo) this.deliveries.push({ sink, rcpt: r.address.toLowerCase(), messageId });
          callback();
        });
      },
    });
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  /** Sends every case, waits for an empty queue; returns what landed where and what each expected. */
  async phase(name: string, cases: readonly Expect[]): Promise<{ got: Record<string, string[]>; expected: Record<string, string[]> }> {
    this.deliveries.length = 0;
    const got: Record<string, string[]> = {};
    const expected: Record<string, string[]> = {};
    const ids = new Map<string, string>();
    for (const [i, c] of cases.entries()) {
      const id = `<${name}-${i}@routing.test>`;
      const r = await send(c.to, id);
      const label = `${c.to} ${id}`;
      if ('reject' in c) {
        got[label] = [r.accepted ? 'accepted' : `refused ${r.code}`];
        expected[label] = [`refused ${c.reject}`];
      } else {
        ids.set(id, label);
        got[label] = r.accepted ? [] : [`refused ${r.code}`];
        expected[label] = [...c.sinks].sort();
      }
    }
    await waitForEmptyQueue();
    for (const d of this.deliveries) {
      const label = ids.get(d.messageId) ?? `unexpected ${d.messageId}`;
      got[label] = [...(got[label] ?? []), `${d.sink}:${d.rcpt}`].sort();
    }
    return { got, expected };
  }
}

/** Sends one message to one recipient as an outside sender; the RCPT TO reply code when refused. */
export async function send(rcpt: string, messageId: string): Promise<{ accepted: true } | { accepted: false; code: number }> {
  const conn = new SMTPConnection({ host: POSTFIX_HOST, port: POSTFIX_PORT, ignoreTLS: true, name: 'mx.outside.example', connectionTimeout: 10_000 });
  await new Promise<void>((resolve, reject) => {
    conn.once('error', reject);
    conn.connect(() => resolve());
  });
  const raw = `From: sender@outside.example\r\nTo: <${rcpt}>\r\nSubject: routing test\r\nMessage-ID: ${messageId}\r\nDate: ${new Date().toUTCString()}\r\n\r\nhello\r\n`;
  try {
    return await new Promise((resolve, reject) => {
      conn.send({ from: 'sender@outside.example', to: [rcpt] }, raw, (err, info) => {
        if (err) {
          const first = (err as Error & { rejectedErrors?: { responseCode?: number }[] }).rejectedErrors?.[0];
          if (first?.responseCode !== undefined) resolve({ accepted: false, code: first.responseCode });
          else reject(err);
        } else if (info.rejected.length > 0) reject(new Error(`unexpected partial rejection: ${JSON.stringify(info)}`));
        else resolve({ accepted: true });
      });
    });
  } finally {
    conn.quit();
  }
}
