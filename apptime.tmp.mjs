import { ImapFlow } from 'imapflow';
const [user, pass, port, n] = process.argv.slice(2);
const c = new ImapFlow({ host: '127.0.0.1', port: Number(port), secure: false, doSTARTTLS: false, auth: { user, pass }, logger: false });
await c.connect();
const body = 'x'.repeat(8000);
const msg = (i) => Buffer.from(`From: a@example.org\r\nSubject: timing ${i}\r\nMessage-ID: <t${i}-${Date.now()}@x>\r\n\r\n${body}\r\n`);
let t0 = performance.now();
for (let i = 1; i <= Number(n); i++) { await c.append('INBOX', msg(i), ['\\Seen'], new Date()); if (i % 250 === 0) { console.log(i, ((performance.now() - t0) / 250).toFixed(2), 'ms/APPEND'); t0 = performance.now(); } }
await c.logout();
