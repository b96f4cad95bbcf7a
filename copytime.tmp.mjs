import { ImapFlow } from 'imapflow';
const [user, pass, port, n, k] = process.argv.slice(2);
const c = new ImapFlow({ host: '127.0.0.1', port: Number(port), secure: false, doSTARTTLS: false, auth: { user, pass }, logger: false });
await c.connect();
try { await c.mailboxCreate('INBOX.Stage'); } catch {}
const body = 'x'.repeat(8000);
const msg = (i) => Buffer.from(`From: a@example.org\r\nSubject: timing ${i}\r\nMessage-ID: <s${i}-${Date.now()}@x>\r\n\r\n${body}\r\n`);
for (let round = 0; round < Number(n); round++) {
  let t0 = performance.now();
  for (let i = 1; i <= Number(k); i++) await c.append('INBOX.Stage', msg(i), ['\\Seen'], new Date());
  const tApp = performance.now() - t0; t0 = performance.now();
  await c.mailboxOpen('INBOX.Stage');
  const r = await c.messageCopy('1:*', 'INBOX', { uid: true });
  const tCopy = performance.now() - t0; t0 = performance.now();
  await c.messageDelete('1:*', { uid: true });
  await c.mailboxClose();
  const tDel = performance.now() - t0;
  const st = await c.status('INBOX', { messages: true });
  console.log(`k=${k} append ${(tApp / k).toFixed(2)} ms/msg, copy ${(tCopy).toFixed(0)} ms (${(tCopy / k).toFixed(2)}/msg), expunge ${tDel.toFixed(0)} ms; INBOX now ${st.messages}; copyuid ${r?.uidMap?.size}`);
}
await c.logout();
