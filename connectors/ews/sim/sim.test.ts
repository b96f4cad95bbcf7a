/**
 * The simulator speaks the documented protocol: raw SOAP requests (shaped like the msdocs
 * samples) against its handlers, in-process and over its HTTP listener.
 */
import ews from 'ews-javascript-api';
import { setupServer } from 'msw/node';
import { attr, kid, kids, parseXml, textOf } from '../xml.js';
import { addMessage } from './items.js';
import { seedMailbox } from './seed.js';
import { EwsSim } from './server.js';

const T = 'http://schemas.microsoft.com/exchange/services/2006/types';
const M = 'http://schemas.microsoft.com/exchange/services/2006/messages';
const BASIC = `Basic ${Buffer.from('alice@example.org:pw').toString('base64')}`;

function soap(body: string, header = ''): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="${T}" xmlns:m="${M}">`
    + `<soap:Header><t:RequestServerVersion Version="Exchange2013_SP1"/>${header}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

const syncItems = (folder: string, state: string | undefined, max: number) =>
  `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="message:IsRead"/></t:AdditionalProperties></m:ItemShape>`
  + `<m:SyncFolderId><t:DistinguishedFolderId Id="${folder}"/></m:SyncFolderId>${state ? `<m:SyncState>${state}</m:SyncState>` : ''}<m:MaxChangesReturned>${max}</m:MaxChangesReturned></m:SyncFolderItems>`;

let sim: EwsSim;
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  sim = new EwsSim();
  sim.addUser('alice@example.org', 'pw');
  sim.store.addMailbox('alice@example.org', 'fr');
  server.resetHandlers(...sim.handlers());
});

async function post(body: string, opts: { auth?: string; header?: string; url?: string } = {}): Promise<{ status: number; root?: Element; text: string }> {
  const res = await fetch(opts.url ?? sim.url, {
    method: 'POST', body: soap(body, opts.header), headers: { 'Content-Type': 'text/xml; charset=utf-8', ...(opts.auth !== '' ? { Authorization: opts.auth ?? BASIC } : {}) },
  });
  const text = await res.text();
  return { status: res.status, text, root: text.startsWith('<?xml') ? parseXml(text) : undefined };
}

function message(root: Element | undefined): Element {
  const body = kid(root, 'Body');
  const resp = kids(body)[0];
  return kids(kid(resp, 'ResponseMessages'))[0] as Element;
}

function changes(msg: Element): string[] {
  return kids(kid(msg, 'Changes')).map((c) => `${c.localName}:${attr(kid(kids(c)[0] ?? c, 'ItemId') ?? kid(c, 'ItemId'), 'Id')?.slice(-6) ?? ''}`);
}

describe('EWS simulator', () => {
  test('GetFolder by DistinguishedFolderId answers the localized folder; an unknown one is ErrorFolderNotFound', async () => {
    const { root } = await post('<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/><t:DistinguishedFolderId Id="nosuch"/></m:FolderIds></m:GetFolder>');
    const [ok, bad] = kids(kid(kids(kid(root, 'Body'))[0], 'ResponseMessages'));
    expect(attr(ok, 'ResponseClass')).toBe('Success');
    expect(textOf(kids(kid(ok, 'Folders'))[0], 'DisplayName')).toBe('Boîte de réception');
    expect(textOf(bad, 'ResponseCode')).toBe('ErrorFolderNotFound');
  });

  test('SyncFolderItems: paging with MaxChangesReturned, then only Create / Update / ReadFlagChange / Delete after the state', async () => {
    const s = sim.store;
    const inbox = s.folder('alice@example.org', 'inbox').id;
    const items = Array.from({ length: 5 }, (_, i) => addMessage(s, 'alice@example.org', inbox, { mime: `Subject: ${i}\r\n\r\nx\r\n` }));
    const p1 = message((await post(syncItems('inbox', undefined, 2))).root);
    expect(textOf(p1, 'ResponseCode')).toBe('NoError');
    expect(textOf(p1, 'IncludesLastItemInRange')).toBe('false');
    expect(kids(kid(p1, 'Changes'), 'Create')).toHaveLength(2);
    const p2 = message((await post(syncItems('inbox', textOf(p1, 'SyncState'), 2))).root);
    const p3 = message((await post(syncItems('inbox', textOf(p2, 'SyncState'), 2))).root);
    expect(kids(kid(p3, 'Changes'), 'Create')).toHaveLength(1);
    expect(textOf(p3, 'IncludesLastItemInRange')).toBe('true');
    const state = textOf(p3, 'SyncState') as string;
    // Nothing new: an empty, final page.
    const idle = message((await post(syncItems('inbox', state, 10))).root);
    expect(kids(kid(idle, 'Changes'))).toHaveLength(0);
    s.updateItem('alice@example.org', items[0]!.id, { IsRead: '<t:IsRead>true</t:IsRead>' }, { readOnly: true });
    s.updateItem('alice@example.org', items[1]!.id, { Subject: '<t:Subject>changed</t:Subject>' });
    s.deleteItem('alice@example.org', items[2]!.id);
    const fresh = addMessage(s, 'alice@example.org', inbox, { mime: 'Subject: new\r\n\r\ny\r\n' });
    const gone = addMessage(s, 'alice@example.org', inbox, { mime: 'Subject: brief\r\n\r\nz\r\n' });
    s.deleteItem('alice@example.org', gone.id);
    const delta = message((await post(syncItems('inbox', state, 10))).root);
    expect(changes(delta)).toEqual([
      `ReadFlagChange:${items[0]!.id.slice(-6)}`, `Update:${items[1]!.id.slice(-6)}`, `Delete:${items[2]!.id.slice(-6)}`, `Create:${fresh.id.slice(-6)}`,
    ]);
    expect(textOf(kid(kid(delta, 'Changes'), 'ReadFlagChange'), 'IsRead')).toBe('true');
    // The old state still works (it is a position, not a one-time token).
    expect(changes(message((await post(syncItems('inbox', state, 10))).root))).toHaveLength(4);
  });

  test('a forged or foreign SyncState is ErrorInvalidSyncStateData', async () => {
    const p = message((await post(syncItems('inbox', undefined, 5))).root);
    const other = message((await post(syncItems('sentitems', textOf(p, 'SyncState'), 5))).root);
    expect(textOf(other, 'ResponseCode')).toBe('ErrorInvalidSyncStateData');
    expect(textOf(message((await post(syncItems('inbox', 'H4sIAAAAAAAEAO29B2AcSZY=', 5))).root), 'ResponseCode')).toBe('ErrorInvalidSyncStateData');
  });

  test('GetItem returns MimeContent in base64 and per-item ErrorItemNotFound', async () => {
    const inbox = sim.store.folder('alice@example.org', 'inbox').id;
    const m = addMessage(sim.store, 'alice@example.org', inbox, { mime: 'Subject: Grüße\r\n\r\nbody\r\n', isRead: true });
    const { root } = await post(`<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape><m:ItemIds><t:ItemId Id="${m.id}"/><t:ItemId Id="AAMkNOPE"/></m:ItemIds></m:GetItem>`);
    const [ok, missing] = kids(kid(kids(kid(root, 'Body'))[0], 'ResponseMessages'));
    const item = kids(kid(ok, 'Items'))[0];
    expect(Buffer.from(textOf(item, 'MimeContent') ?? '', 'base64').toString()).toBe('Subject: Grüße\r\n\r\nbody\r\n');
    expect(textOf(item, 'IsRead')).toBeUndefined(); // IdOnly: only what was asked for
    expect(textOf(missing, 'ResponseCode')).toBe('ErrorItemNotFound');
  });

  test('auth, impersonation and injected faults', async () => {
    expect((await post(syncItems('inbox', undefined, 1), { auth: '' })).status).toBe(401);
    expect((await post(syncItems('inbox', undefined, 1), { auth: `Basic ${Buffer.from('alice@example.org:wrong').toString('base64')}` })).status).toBe(401);
    const imp = '<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>bob@example.org</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>';
    const denied = await post(syncItems('inbox', undefined, 1), { header: imp });
    expect(denied.status).toBe(500);
    expect(textOf(kid(kid(denied.root, 'Body'), 'Fault'), 'faultcode')?.trim()).toBe('a:ErrorImpersonateUserDenied');
    sim.fault = ({ operation }) => (operation === 'SyncFolderItems' ? { type: 'busy', backOffMs: 1234 } : undefined);
    const busy = await post(syncItems('inbox', undefined, 1));
    expect(busy.text).toContain('<t:Value Name="BackOffMilliseconds">1234</t:Value>');
    sim.fault = () => ({ type: 'http', status: 503, retryAfterSeconds: 2 });
    const unavailable = await fetch(sim.url, { method: 'POST', body: soap(syncItems('inbox', undefined, 1)), headers: { Authorization: BASIC } });
    expect([unavailable.status, unavailable.headers.get('retry-after')]).toEqual([503, '2']);
    sim.fault = () => ({ type: 'reset' });
    await expect(post(syncItems('inbox', undefined, 1))).rejects.toThrow();
  });

  test('the same handlers serve a real loopback HTTP endpoint', async () => {
    server.close(); // real sockets from here
    const http = await sim.listen();
    try {
      const res = await post('<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>', { url: http.url });
      expect(res.status).toBe(200);
      expect(textOf(message(res.root), 'ResponseCode')).toBe('NoError');
      sim.fault = () => ({ type: 'reset' });
      await expect(post(syncItems('inbox', undefined, 1), { url: http.url })).rejects.toThrow();
    } finally {
      await http.close();
      server.listen({ onUnhandledRequest: 'error' });
    }
  });

  test('an independent client, ews-javascript-api, reads it: hierarchy, item sync, MimeContent, a recurring master', async () => {
    sim.addUser('svc', 'pw', { canImpersonate: true });
    seedMailbox(sim, 'carol@example.org', { messages: 3 });
    const e = ews as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const svc = new e.ExchangeService(e.ExchangeVersion.Exchange2013_SP1);
    svc.Credentials = new e.WebCredentials('svc', 'pw');
    svc.Url = new e.Uri(sim.url);
    svc.ImpersonatedUserId = new e.ImpersonatedUserId(e.ConnectingIdType.SmtpAddress, 'carol@example.org');
    const tree = await svc.SyncFolderHierarchy(new e.FolderId(e.WellKnownFolderName.MsgFolderRoot), e.PropertySet.FirstClassProperties, null);
    expect(tree.Count).toBe(11 + 2);
    const inbox = await svc.SyncFolderItems(new e.FolderId(e.WellKnownFolderName.Inbox), e.PropertySet.IdOnly, null, 1, e.SyncFolderItemsScope.NormalItems, null);
    expect([inbox.Count, inbox.MoreChangesAvailable]).toEqual([1, true]);
    const rest = await svc.SyncFolderItems(new e.FolderId(e.WellKnownFolderName.Inbox), e.PropertySet.IdOnly, null, 10, e.SyncFolderItemsScope.NormalItems, inbox.SyncState);
    expect([rest.Count, rest.MoreChangesAvailable]).toEqual([1, false]);
    const ids = [...inbox.GetEnumerator(), ...rest.GetEnumerator()].map((c) => c.ItemId);
    const got = await svc.BindToItems(ids, new e.PropertySet(e.BasePropertySet.IdOnly, [e.ItemSchema.MimeContent, e.EmailMessageSchema.IsRead]));
    expect(got.Responses.map((r: { Item: { MimeContent: { Content: string } } }) => Buffer.from(r.Item.MimeContent.Content, 'base64').toString().split('\r\n')[2]))
      .toEqual(['Subject: Nachricht 0', 'Subject: Nachricht 2']);
    const cal = await svc.SyncFolderItems(new e.FolderId(e.WellKnownFolderName.Calendar), e.PropertySet.IdOnly, null, 10, e.SyncFolderItemsScope.NormalItems, null);
    const appts = await svc.BindToItems(cal.GetEnumerator().map((c: { ItemId: unknown }) => c.ItemId), new e.PropertySet(e.BasePropertySet.FirstClassProperties,
      [e.AppointmentSchema.Recurrence, e.AppointmentSchema.ModifiedOccurrences, e.AppointmentSchema.DeletedOccurrences, e.AppointmentSchema.ICalUid]));
    const master = appts.Responses.map((r: { Item: unknown }) => r.Item).find((a: { Subject: string }) => a.Subject === 'Wochenbesprechung');
    expect(master.Recurrence.constructor.name).toBe('WeeklyPattern');
    expect([master.ModifiedOccurrences.Count, master.DeletedOccurrences.Count]).toEqual([1, 1]);
    expect(master.ICalUid).toMatch(/^040000008200E00074C5B7101A82E008/);
  });
});
