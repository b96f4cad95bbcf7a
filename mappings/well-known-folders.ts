/**
 * Localized names of the well-known mail folders, as created by Exchange/Outlook, Gmail,
 * Thunderbird, Apple Mail, Roundcube/Horde and common webmailers.
 *
 * Matching is by `folderNameKey`: compatibility-decomposed, diacritics removed, lowercased, with
 * whitespace, "-" and "_" removed, so "Junk E-mail", "Junk Email" and "junk-e-mail" are one name
 * and "Удалённые" matches "Удаленные". Outbox names ("Outbox", "Postausgang", "Исходящие",
 * "送信トレイ"…) are deliberately absent: an outbox holds unsent mail, not sent mail.
 */

export type WellKnownFolder = 'sent' | 'trash' | 'junk' | 'drafts' | 'archive';

export const WELL_KNOWN_FOLDER_NAMES: Readonly<Record<WellKnownFolder, readonly string[]>> = {
  sent: [
    /* en */ 'Sent', 'Sent Items', 'Sent Messages', 'Sent Mail', 'Sent Email',
    /* de */ 'Gesendet', 'Gesendete Elemente', 'Gesendete Objekte', 'Gesendete Nachrichten', 'Gesendete E-Mails',
    /* fr */ 'Éléments envoyés', 'Envoyés', 'Messages envoyés', 'Courrier envoyé',
    /* es */ 'Elementos enviados', 'Enviados', 'Mensajes enviados', 'Correo enviado',
    /* it */ 'Posta inviata', 'Inviati', 'Elementi inviati', 'Messaggi inviati',
    /* nl */ 'Verzonden items', 'Verzonden', 'Verzonden berichten',
    /* pt */ 'Itens Enviados', 'Mensagens enviadas', 'Correio enviado', 'E-mails enviados',
    /* ru */ 'Отправленные', 'Отправленные элементы', 'Отправленные письма',
    /* uk */ 'Надіслані', 'Надіслані елементи', 'Відправлені', 'Надіслані листи',
    /* pl */ 'Elementy wysłane', 'Wysłane', 'Wiadomości wysłane',
    /* cs */ 'Odeslaná pošta', 'Odeslané', 'Odeslané položky', 'Odeslané zprávy',
    /* sv */ 'Skickade objekt', 'Skickat', 'Skickade', 'Skickade meddelanden',
    /* da */ 'Sendt post', 'Sendte elementer', 'Sendte', 'Sendte meddelelser',
    /* no */ 'Sendt', 'Sendte meldinger', 'Sendte e-poster',
    /* fi */ 'Lähetetyt', 'Lähetetyt kohteet', 'Lähetetyt viestit',
    /* tr */ 'Gönderilmiş Öğeler', 'Gönderilen Öğeler', 'Gönderilenler', 'Gönderilmiş',
    /* hu */ 'Elküldött elemek', 'Elküldött',
    /* ro */ 'Elemente trimise', 'Trimise',
    /* ja */ '送信済みアイテム', '送信済み', '送信済みメール',
    /* zh */ '已发送邮件', '已发送', '已傳送郵件', '寄件備份', '已寄郵件',
    /* ko */ '보낸 편지함',
  ],
  trash: [
    /* en */ 'Trash', 'Deleted Items', 'Deleted Messages', 'Bin', 'Deleted',
    /* de */ 'Gelöschte Elemente', 'Gelöschte Objekte', 'Papierkorb', 'Gelöschte Nachrichten',
    /* fr */ 'Éléments supprimés', 'Corbeille', 'Messages supprimés', 'Supprimés',
    /* es */ 'Elementos eliminados', 'Papelera', 'Eliminados', 'Mensajes eliminados',
    /* it */ 'Posta eliminata', 'Cestino', 'Elementi eliminati', 'Messaggi eliminati',
    /* nl */ 'Verwijderde items', 'Prullenbak', 'Verwijderde berichten',
    /* pt */ 'Itens Excluídos', 'Itens Eliminados', 'Lixeira', 'Lixo', 'Mensagens excluídas',
    /* ru */ 'Удаленные', 'Удаленные элементы', 'Удаленные письма', 'Корзина',
    /* uk */ 'Видалені', 'Видалені елементи', 'Кошик',
    /* pl */ 'Elementy usunięte', 'Kosz', 'Usunięte', 'Wiadomości usunięte',
    /* cs */ 'Odstraněná pošta', 'Odstraněné položky', 'Koš', 'Smazané', 'Smazané zprávy',
    /* sv */ 'Borttagna objekt', 'Papperskorgen', 'Borttagna meddelanden',
    /* da */ 'Slettet post', 'Slettede elementer', 'Papirkurv', 'Skraldespand',
    /* no */ 'Slettede meldinger', 'Søppelkasse',
    /* fi */ 'Poistetut', 'Poistetut kohteet', 'Poistetut viestit', 'Roskakori',
    /* tr */ 'Silinmiş Öğeler', 'Silinen Öğeler', 'Çöp Kutusu', 'Çöp',
    /* hu */ 'Törölt elemek', 'Kuka',
    /* ro */ 'Elemente șterse', 'Coș de gunoi',
    /* ja */ '削除済みアイテム', 'ゴミ箱', 'ごみ箱', '削除済み',
    /* zh */ '已删除邮件', '已删除', '已刪除郵件', '刪除的郵件', '废纸篓', '垃圾桶',
    /* ko */ '지운 편지함', '휴지통',
  ],
  junk: [
    /* en */ 'Junk', 'Junk E-mail', 'Junk Mail', 'Junk Messages', 'Spam', 'Bulk Mail',
    /* de */ 'Junk-E-Mail', 'Spamverdacht', 'Unerwünscht', 'Unerwünschte E-Mails',
    /* fr */ 'Courrier indésirable', 'Courriers indésirables', 'Indésirables', 'Pourriels',
    /* es */ 'Correo no deseado', 'No deseado', 'Correo basura',
    /* it */ 'Posta indesiderata', 'Indesiderata',
    /* nl */ 'Ongewenste e-mail', 'Ongewenst',
    /* pt */ 'Lixo Eletrônico', 'Lixo Electrónico', 'Correio Eletrônico não Solicitado', 'Correio Electrónico de Lixo',
    /* ru */ 'Нежелательная почта', 'Спам', 'Нежелательные',
    /* uk */ 'Небажана пошта',
    /* pl */ 'Wiadomości-śmieci', 'Niechciana poczta',
    /* cs */ 'Nevyžádaná pošta',
    /* sv */ 'Skräppost',
    /* da */ 'Uønsket e-mail', 'Uønsket post',
    /* no */ 'Søppelpost', 'Uønsket e-post',
    /* fi */ 'Roskaposti',
    /* tr */ 'Gereksiz E-posta', 'İstenmeyen E-posta', 'Gereksiz', 'İstenmeyen',
    /* hu */ 'Levélszemét',
    /* ro */ 'E-mail nedorit',
    /* ja */ '迷惑メール',
    /* zh */ '垃圾邮件', '垃圾郵件', '垃圾箱',
    /* ko */ '정크 메일', '스팸 메일함', '스팸',
  ],
  drafts: [
    /* en */ 'Drafts',
    /* de */ 'Entwürfe',
    /* fr */ 'Brouillons',
    /* es */ 'Borradores',
    /* it */ 'Bozze',
    /* nl */ 'Concepten',
    /* pt */ 'Rascunhos',
    /* ru */ 'Черновики',
    /* uk */ 'Чернетки',
    /* pl */ 'Wersje robocze', 'Kopie robocze',
    /* cs */ 'Koncepty', 'Rozepsané',
    /* sv/no */ 'Utkast',
    /* da */ 'Kladder',
    /* fi */ 'Luonnokset',
    /* tr */ 'Taslaklar',
    /* hu */ 'Piszkozatok',
    /* ro */ 'Ciorne',
    /* ja */ '下書き',
    /* zh */ '草稿', '草稿箱',
    /* ko */ '임시 보관함',
  ],
  archive: [
    /* en/fr */ 'Archive', 'Archives',
    /* de/cs */ 'Archiv',
    /* es */ 'Archivo',
    /* it */ 'Archivio',
    /* nl */ 'Archief',
    /* pt */ 'Arquivo',
    /* ru */ 'Архив',
    /* uk */ 'Архів',
    /* pl */ 'Archiwum',
    /* sv/da/no */ 'Arkiv',
    /* fi */ 'Arkisto',
    /* tr */ 'Arşiv',
    /* hu */ 'Archívum',
    /* ja */ 'アーカイブ',
    /* zh */ '存档', '归档', '封存',
    /* ko */ '보관',
  ],
};

/**
 * Top-level folders that only group the well-known folders (Gmail): '[Gmail]/Sent Mail' is
 * recognised like a top-level 'Sent Mail'.
 */
export const GROUPING_ROOTS: readonly string[] = ['[Gmail]', '[Google Mail]'];

/** The comparison key of a folder name (see the module comment). */
export function folderNameKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\s\-_]+/gu, '');
}

const BY_KEY: ReadonlyMap<string, WellKnownFolder> = (() => {
  const map = new Map<string, WellKnownFolder>();
  for (const [kind, names] of Object.entries(WELL_KNOWN_FOLDER_NAMES) as [WellKnownFolder, readonly string[]][]) {
    for (const name of names) {
      const key = folderNameKey(name);
      const prev = map.get(key);
      if (prev !== undefined && prev !== kind) throw new Error(`well-known folder name ${JSON.stringify(name)} is listed as both ${prev} and ${kind}`);
      map.set(key, kind);
    }
  }
  return map;
})();

/** Which well-known folder `name` (one path segment) denotes in any listed language, if any. */
export function wellKnownByName(name: string): WellKnownFolder | undefined {
  return BY_KEY.get(folderNameKey(name));
}

/** True when `segment` is one of the GROUPING_ROOTS (case-insensitive). */
export function isGroupingRoot(segment: string): boolean {
  const key = folderNameKey(segment);
  return GROUPING_ROOTS.some((r) => folderNameKey(r) === key);
}
