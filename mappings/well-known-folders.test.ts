import { folderNameKey, isGroupingRoot, WELL_KNOWN_FOLDER_NAMES, wellKnownByName } from './well-known-folders.js';

describe('folderNameKey', () => {
  test.each([
    ['Junk E-mail', 'junkemail'],
    ['Junk-E-Mail', 'junkemail'],
    ['junk_email', 'junkemail'],
    ['Éléments envoyés', 'elementsenvoyes'],
    ['Удалённые', 'удаленные'],
    ['İstenmeyen E-posta', 'istenmeyeneposta'],
    ['Ｓｐａｍ', 'spam'],
    ['  Sent\u00a0Items ', 'sentitems'],
  ])('%j → %j', (name, key) => {
    expect(folderNameKey(name)).toBe(key);
  });
});

describe('wellKnownByName', () => {
  test.each([
    ['Sent Items', 'sent'], ['SENT MESSAGES', 'sent'], ['Gesendete Objekte', 'sent'], ['Отправленные', 'sent'], ['已发送邮件', 'sent'],
    ['Deleted Items', 'trash'], ['Gelöschte Elemente', 'trash'], ['Gelöschte Objekte', 'trash'], ['Удаленные', 'trash'], ['Корзина', 'trash'],
    ['Lixo', 'trash'], ['Lixo Eletrônico', 'junk'],
    ['Junk E-mail', 'junk'], ['Junk Email', 'junk'], ['Nevyžádaná pošta', 'junk'], ['垃圾邮件', 'junk'],
    ['Drafts', 'drafts'], ['entwürfe', 'drafts'], ['Entwurfe', 'drafts'], ['Kladder', 'drafts'],
    ['Archive', 'archive'], ['Arkiv', 'archive'], ['Архів', 'archive'],
    ['Outbox', undefined], ['Postausgang', undefined], ['Исходящие', undefined], ['送信トレイ', undefined],
    ['Projects', undefined], ['All Mail', undefined], ['', undefined],
  ])('%j → %s', (name, kind) => {
    expect(wellKnownByName(name)).toBe(kind);
  });

  test('covers the required languages for every kind', () => {
    const count = Object.fromEntries(Object.entries(WELL_KNOWN_FOLDER_NAMES).map(([k, v]) => [k, v.length]));
    expect(count.sent).toBeGreaterThanOrEqual(18);
    expect(count.trash).toBeGreaterThanOrEqual(18);
    expect(count.junk).toBeGreaterThanOrEqual(18);
    expect(count.drafts).toBeGreaterThanOrEqual(18);
    expect(count.archive).toBeGreaterThanOrEqual(15);
  });

  test('no key is listed under two kinds', () => {
    const seen = new Map<string, string>();
    for (const [kind, names] of Object.entries(WELL_KNOWN_FOLDER_NAMES)) {
      for (const n of names) {
        const k = folderNameKey(n);
        expect([k, seen.get(k) ?? kind]).toEqual([k, kind]);
        seen.set(k, kind);
      }
    }
  });
});

test('isGroupingRoot', () => {
  expect(['[Gmail]', '[gmail]', '[Google Mail]', 'Gmail', 'INBOX'].map(isGroupingRoot)).toEqual([true, true, true, false, false]);
});
