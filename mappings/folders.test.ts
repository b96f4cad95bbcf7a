import type { SpecialUse } from '../src/model/types.js';
import { taggedName } from './folder-names.js';
import { matchGlob, planFolders, type FolderRules, type TargetNamespace } from './folders.js';

const COURIER: TargetNamespace = { prefix: 'INBOX.', delimiter: '.' };
/** Dovecot-like: no prefix, "/" as delimiter (where "..", "%" and "~root" used to pass unchanged). */
const SLASH: TargetNamespace = { prefix: '', delimiter: '/' };
const ADVICE = 'rename it on the source or with a folders.rename rule to choose another name';
/** The tag a sanitised name gets next to another folder's name. */
const tag = (rawKey: string): string => /\(([0-9a-f]{6})\)$/.exec(taggedName('', rawKey))![1]!;

const rules = (over: Partial<FolderRules> = {}): FolderRules => ({
  include: ['**'],
  exclude: [],
  rename: [],
  specialUse: { sent: 'Sent', trash: 'Trash', junk: 'Spam', drafts: 'Drafts', archive: 'Archive' },
  invalidCharReplacement: '_',
  ...over,
});

type Src = string | [path: string, specialUse: SpecialUse];
/** Source folders from "/"-joined paths (optionally with a special-use attribute). */
const src = (...items: Src[]) =>
  items.map((it) => {
    const [p, su] = typeof it === 'string' ? [it, undefined] : it;
    const path = p.split('/');
    return su ? { id: path.join('/'), path, specialUse: su } : { id: path.join('/'), path };
  });

/** source id → target for the included folders. */
const targets = (items: Src[], over: Partial<FolderRules> = {}, ns: TargetNamespace = COURIER): Record<string, string> =>
  Object.fromEntries(planFolders(src(...items), rules(over), ns).folders.filter((f) => f.included).map((f) => [f.sourceId, f.target]));

const one = (item: Src, over: Partial<FolderRules> = {}, ns: TargetNamespace = COURIER) => {
  const f = planFolders(src(item), rules(over), ns).folders[0];
  if (!f) throw new Error('no plan');
  return f;
};

describe('matchGlob', () => {
  test.each([
    ['**', 'INBOX', true],
    ['**', 'a/b/c', true],
    ['*', 'Sent', true],
    ['*', 'a/b', false],
    ['*/*', 'a/b', true],
    ['*/*', 'a', false],
    ['Calendar', 'Calendar', true],
    ['Calendar', 'calendar', false],
    ['Calendar', 'Calendar/Sub', false],
    ['Calendar/**', 'Calendar', true],
    ['Calendar/**', 'Calendar/Sub/Deeper', true],
    ['Calendar/**', 'Calendars', false],
    ['Cal*', 'Calendar', true],
    ['Cal*', 'Calendar/Sub', false],
    ['*dar', 'Calendar', true],
    ['C*l*r', 'Calendar', true],
    ['**/Sent', 'Sent', true],
    ['**/Sent', 'a/b/Sent', true],
    ['**/Sent', 'a/Sent/b', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/x/y/c', false],
    ['**/**', 'x', true],
    ['INBOX/**', 'Inbox/Sub', true],
    ['inbox/*', 'INBOX/Sub', true],
    ['INBOX', 'inbox', true],
    ['In*', 'INBOX', true],
    ['INBOX/sub', 'INBOX/Sub', false],
    ['Inbox', 'Inboxes', false],
    ['Archive', 'ARCHIVE', false],
    ['a.b', 'a.b', true],
    ['a.b', 'axb', false],
    ['(x)+[y]', '(x)+[y]', true],
    ['[Gmail]/*', '[Gmail]/All Mail', true],
    ['Entwürfe', 'Entwürfe', true],
    ['*', '', true],
    ['a', 'a/', false],
  ])('%j ~ %j → %s', (pattern, path, expected) => {
    expect(matchGlob(pattern, path)).toBe(expected);
  });
});

describe('planFolders: INBOX and nesting', () => {
  test('Courier: INBOX, its subfolders and top-level folders all live under INBOX.', () => {
    expect(targets(['INBOX', 'INBOX/Sub', 'inbox/Sub/Deep', 'Projects', 'Projects/Q3'])).toEqual({
      INBOX: 'INBOX',
      'INBOX/Sub': 'INBOX.Sub',
      'inbox/Sub/Deep': 'INBOX.Sub.Deep',
      Projects: 'INBOX.Projects',
      'Projects/Q3': 'INBOX.Projects.Q3',
    });
  });

  test('INBOX itself', () => {
    expect(one('Inbox')).toEqual({
      sourceId: 'Inbox', sourcePath: ['Inbox'], included: true, targetPath: [], target: 'INBOX', specialUse: '\\Inbox', notes: [],
    });
  });

  test('a top-level folder marked \\Inbox (EWS/PST "Posteingang") is INBOX, its subfolders follow', () => {
    expect(targets([['Posteingang', '\\Inbox'], 'Posteingang/Rechnungen'])).toEqual({ Posteingang: 'INBOX', 'Posteingang/Rechnungen': 'INBOX.Rechnungen' });
    expect(one(['Posteingang', '\\Inbox']).notes).toEqual(['recognised as \\Inbox by its special-use attribute']);
  });

  test('other namespaces', () => {
    expect(targets(['INBOX', 'INBOX/Sub', 'Projects/Q3'], {}, { prefix: '', delimiter: '/' })).toEqual({ INBOX: 'INBOX', 'INBOX/Sub': 'Sub', 'Projects/Q3': 'Projects/Q3' });
    expect(targets(['Projects/Q3'], {}, { prefix: 'INBOX', delimiter: '.' })).toEqual({ 'Projects/Q3': 'INBOX.Projects.Q3' });
  });
});

describe('planFolders: well-known folders', () => {
  test.each([
    ['Sent Items', 'INBOX.Sent'], ['Sent Messages', 'INBOX.Sent'], ['Sent Mail', 'INBOX.Sent'], ['sent', 'INBOX.Sent'],
    ['Gesendete Elemente', 'INBOX.Sent'], ['Gesendete Objekte', 'INBOX.Sent'], ['Éléments envoyés', 'INBOX.Sent'],
    ['Elementos enviados', 'INBOX.Sent'], ['Posta inviata', 'INBOX.Sent'], ['Verzonden items', 'INBOX.Sent'],
    ['Itens Enviados', 'INBOX.Sent'], ['Отправленные', 'INBOX.Sent'], ['Надіслані', 'INBOX.Sent'], ['Elementy wysłane', 'INBOX.Sent'],
    ['Odeslaná pošta', 'INBOX.Sent'], ['Skickade objekt', 'INBOX.Sent'], ['Sendt post', 'INBOX.Sent'], ['Lähetetyt', 'INBOX.Sent'],
    ['Gönderilmiş Öğeler', 'INBOX.Sent'], ['送信済みアイテム', 'INBOX.Sent'], ['已发送邮件', 'INBOX.Sent'],
    ['Deleted Items', 'INBOX.Trash'], ['Trash', 'INBOX.Trash'], ['Bin', 'INBOX.Trash'], ['Gelöschte Elemente', 'INBOX.Trash'],
    ['Papierkorb', 'INBOX.Trash'], ['Удаленные', 'INBOX.Trash'], ['Удалённые', 'INBOX.Trash'], ['Корзина', 'INBOX.Trash'],
    ['Corbeille', 'INBOX.Trash'], ['Papelera', 'INBOX.Trash'], ['Cestino', 'INBOX.Trash'], ['Kosz', 'INBOX.Trash'], ['ゴミ箱', 'INBOX.Trash'],
    ['Junk E-mail', 'INBOX.Spam'], ['Junk Email', 'INBOX.Spam'], ['Junk-E-Mail', 'INBOX.Spam'], ['Spam', 'INBOX.Spam'], ['Junk', 'INBOX.Spam'],
    ['Нежелательная почта', 'INBOX.Spam'], ['Спам', 'INBOX.Spam'], ['Courrier indésirable', 'INBOX.Spam'], ['迷惑メール', 'INBOX.Spam'],
    ['Drafts', 'INBOX.Drafts'], ['Entwürfe', 'INBOX.Drafts'], ['Brouillons', 'INBOX.Drafts'], ['Borradores', 'INBOX.Drafts'],
    ['Черновики', 'INBOX.Drafts'], ['下書き', 'INBOX.Drafts'], ['草稿', 'INBOX.Drafts'],
    ['Archive', 'INBOX.Archive'], ['Archiv', 'INBOX.Archive'], ['Архив', 'INBOX.Archive'], ['Archivio', 'INBOX.Archive'],
    ['INBOX/Sent', 'INBOX.Sent'], ['INBOX/Gesendete Objekte', 'INBOX.Sent'], ['Inbox/Junk', 'INBOX.Spam'],
    ['[Gmail]/Sent Mail', 'INBOX.Sent'], ['[Google Mail]/Bin', 'INBOX.Trash'], ['[Gmail]/Spam', 'INBOX.Spam'], ['[Gmail]/Entwürfe', 'INBOX.Drafts'],
    ['[Gmail]/Starred', 'INBOX.[Gmail].Starred'],
    ['Outbox', 'INBOX.Outbox'],
  ])('%j → %j', (path, target) => {
    expect(one(path).target).toBe(target);
  });

  test('by name, with its kind and a note', () => {
    expect(one('Gesendete Elemente')).toMatchObject({ targetPath: ['Sent'], specialUse: '\\Sent', notes: ['recognised as \\Sent by its name "Gesendete Elemente"'] });
  });

  test('the special-use attribute wins over the name, at any depth', () => {
    expect(one(['Papierkorb', '\\Junk'])).toMatchObject({ target: 'INBOX.Spam', specialUse: '\\Junk', notes: ['recognised as \\Junk by its special-use attribute'] });
    expect(one(['Mail/Stuff/Posted', '\\Sent'])).toMatchObject({ target: 'INBOX.Sent', specialUse: '\\Sent' });
  });

  test('\\All and \\Flagged are not name-mapped, and are warned about', () => {
    const { folders, warnings } = planFolders(src(['[Gmail]/All Mail', '\\All'], ['Archive', '\\Flagged']), rules(), COURIER);
    expect(folders.map((f) => f.target)).toEqual(['INBOX.[Gmail].All Mail', 'INBOX.Archive']);
    expect(folders[1]?.specialUse).toBeUndefined();
    expect(warnings).toEqual([
      '"[Gmail]/All Mail" (\\All) only shows messages that live in other folders; migrating it duplicates them — consider excluding it',
      '"Archive" (\\Flagged) only shows messages that live in other folders; migrating it duplicates them — consider excluding it',
    ]);
  });

  test('subfolders follow their well-known parent (found by name or by the parent\'s attribute)', () => {
    expect(targets(['Sent Items', 'Sent Items/2019', 'Sent Items/2019/Q1', 'INBOX/Drafts/old', ['Posted', '\\Sent'], 'Posted/2020'])).toEqual({
      'Sent Items': 'INBOX.Sent',
      'Sent Items/2019': 'INBOX.Sent.2019',
      'Sent Items/2019/Q1': 'INBOX.Sent.2019.Q1',
      'INBOX/Drafts/old': 'INBOX.Drafts.old',
      Posted: 'INBOX.Sent',
      'Posted/2020': 'INBOX.Sent.2020',
    });
    const f = planFolders(src('Sent Items', 'Sent Items/2019'), rules(), COURIER).folders[1];
    expect(f).toMatchObject({ notes: ['follows its parent "Sent Items" (\\Sent)'] });
    expect(f?.specialUse).toBeUndefined();
  });

  test('deeper folders are not mapped by name', () => {
    expect(targets(['Projects/Sent', 'INBOX/Projects/Trash', 'Projects/Sent/x', '[Gmail]/x/Spam'])).toEqual({
      'Projects/Sent': 'INBOX.Projects.Sent',
      'INBOX/Projects/Trash': 'INBOX.Projects.Trash',
      'Projects/Sent/x': 'INBOX.Projects.Sent.x',
      '[Gmail]/x/Spam': 'INBOX.[Gmail].x.Spam',
    });
  });

  test('configured special-use names, also nested', () => {
    const over = { specialUse: { sent: 'Sent Items', trash: 'Deleted', junk: 'Junk', drafts: 'INBOX/Entwürfe', archive: 'Archive/Mail' } };
    expect(targets(['Sent', 'Trash', 'Spam', 'Drafts', 'Archiv/2019'], over)).toEqual({
      Sent: 'INBOX.Sent Items', Trash: 'INBOX.Deleted', Spam: 'INBOX.Junk', Drafts: 'INBOX.Entwürfe', 'Archiv/2019': 'INBOX.Archive.Mail.2019',
    });
  });
});

describe('planFolders: include / exclude', () => {
  test('exclude wins; reasons are given; subfolders of an excluded folder still map', () => {
    const { folders } = planFolders(src('INBOX', 'Calendar', 'Calendar/Birthdays', 'Contacts', 'Notes'), rules({ include: ['INBOX', 'Calendar/**', 'Contacts'], exclude: ['Calendar', 'Cont*'] }), COURIER);
    expect(folders.map((f) => [f.sourceId, f.included, f.reason, f.target])).toEqual([
      ['INBOX', true, undefined, 'INBOX'],
      ['Calendar', false, 'excluded by pattern "Calendar"', 'INBOX.Calendar'],
      ['Calendar/Birthdays', true, undefined, 'INBOX.Calendar.Birthdays'],
      ['Contacts', false, 'excluded by pattern "Cont*"', 'INBOX.Contacts'],
      ['Notes', false, 'not matched by any include pattern ("INBOX", "Calendar/**", "Contacts")', 'INBOX.Notes'],
    ]);
    expect(folders[2]?.notes).toEqual(['its parent "Calendar" is not migrated (excluded by pattern "Calendar"); it is only created as a container']);
  });

  test('an empty include list means everything; INBOX patterns are case-insensitive', () => {
    expect(targets(['Inbox', 'inbox/Sub', 'Other'], { include: [], exclude: ['INBOX/Sub'] })).toEqual({ Inbox: 'INBOX', Other: 'INBOX.Other' });
  });
});

describe('planFolders: renames', () => {
  test('exact path and parent prefix; the longest rule wins; it beats well-known mapping', () => {
    const over = {
      rename: [
        { from: 'Old', to: 'Archive/Old' },
        { from: 'Old/Keep', to: 'Kept' },
        { from: 'Sent Items', to: 'Sent Legacy' },
        { from: 'inbox/Team', to: 'Shared/Team' },
        { from: 'Posteingang', to: 'INBOX' },
      ],
    };
    expect(targets(['Old', 'Old/2019', 'Old/Keep', 'Old/Keep/x', 'Oldies', 'Sent Items', 'Sent Items/2019', 'INBOX/Team', 'Posteingang/Rechnungen'], over)).toEqual({
      Old: 'INBOX.Archive.Old',
      'Old/2019': 'INBOX.Archive.Old.2019',
      'Old/Keep': 'INBOX.Kept',
      'Old/Keep/x': 'INBOX.Kept.x',
      Oldies: 'INBOX.Oldies',
      'Sent Items': 'INBOX.Sent Legacy',
      'Sent Items/2019': 'INBOX.Sent Legacy.2019',
      'INBOX/Team': 'INBOX.Shared.Team',
      'Posteingang/Rechnungen': 'INBOX.Rechnungen',
    });
  });

  test('notes, precedence over the attribute, and unused rules', () => {
    const { folders, warnings } = planFolders(src(['Posted', '\\Sent'], 'Posted/x'), rules({ rename: [{ from: 'Posted', to: 'Old' }, { from: 'Nope', to: 'X' }] }), COURIER);
    expect(folders.map((f) => [f.target, f.specialUse, f.notes])).toEqual([
      ['INBOX.Old', undefined, ['renamed by rule "Posted" → "Old"', 'the rename takes precedence over its special use \\Sent']],
      ['INBOX.Old.x', undefined, ['moved with its parent by rule "Posted" → "Old"']],
    ]);
    expect(warnings).toEqual(['rename rule "Nope" → "X" matched no source folder']);
  });
});

describe('planFolders: segment sanitising', () => {
  test.each([
    ['a.b', ['a_b'], 'INBOX.a_b', 'renamed "a.b" → "a_b": "." is the target delimiter'],
    ['v1.2.3', ['v1_2_3'], 'INBOX.v1_2_3', 'renamed "v1.2.3" → "v1_2_3": "." is the target delimiter'],
    [' Projects ', ['Projects'], 'INBOX.Projects', 'renamed " Projects " → "Projects": leading/trailing whitespace trimmed'],
    [' a.b', ['a_b'], 'INBOX.a_b', 'renamed " a.b" → "a_b": leading/trailing whitespace trimmed; "." is the target delimiter'],
    ['   ', ['_'], 'INBOX._', 'renamed "   " → "_": the name is only whitespace'],
    ['x\ty', ['x_y'], 'INBOX.x_y', 'renamed "x\\ty" → "x_y": control characters are not allowed'],
  ])('%j → %j', (name, targetPath, target, note) => {
    expect(one(name)).toMatchObject({ targetPath, target, notes: [note] });
  });

  test('"/" inside a segment (a "."-delimited source) and empty segments', () => {
    const folders = planFolders([{ id: 'INBOX.a/b', path: ['INBOX', 'a/b'] }, { id: 'INBOX..x', path: ['INBOX', '', 'x'] }], rules(), COURIER).folders;
    expect(folders.map((f) => [f.target, f.notes])).toEqual([
      ['INBOX.a_b', ['renamed "a/b" → "a_b": "/" is not allowed inside a folder name']],
      ['INBOX._.x', ['renamed "" → "_": the name is empty']],
    ]);
  });

  test('a "/"-delimited target keeps "." and replaces "/"', () => {
    expect(one('a.b', {}, { prefix: '', delimiter: '/' }).target).toBe('a.b');
  });

  test('the replacement is configurable', () => {
    expect(one('a.b', { invalidCharReplacement: '-' }).target).toBe('INBOX.a-b');
  });
});

/** Raw control, C1, separator and bidi characters: never in a target name, note or warning. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

describe('planFolders: hostile names are sanitised per the target\'s rules, with a warning', () => {
  const WILDCARD = 'is an IMAP LIST wildcard';
  const DOT_DELIM = '"." is the target delimiter';
  const PATH = 'is a path (parent or current directory), not a folder name';
  const TILDE = 'a leading "~" is a home-directory path on Maildir/mbox servers';
  const BIDI = 'bidi control characters (invisible, they reorder the name) are not allowed';
  const CONTROL = 'control characters are not allowed';
  test.each([
    // source path, Courier (INBOX. + "."), reason there, "/"-delimited target, reason there
    ['..', 'INBOX.__', DOT_DELIM, '__', `".." ${PATH}`],
    ['.', 'INBOX._', DOT_DELIM, '_', `"." ${PATH}`],
    ['x/../y', 'INBOX.x.__.y', DOT_DELIM, 'x/__/y', `".." ${PATH}`],
    [' .. ', 'INBOX.__', DOT_DELIM, '__', `".." ${PATH}`],
    ['~root', 'INBOX._root', TILDE, '_root', TILDE],
    ['~', 'INBOX._', TILDE, '_', TILDE],
    ['Projects/~x', 'INBOX.Projects._x', TILDE, 'Projects/_x', TILDE],
    ['%', 'INBOX._', `"%" ${WILDCARD}`, '_', `"%" ${WILDCARD}`],
    ['*', 'INBOX._', `"*" ${WILDCARD}`, '_', `"*" ${WILDCARD}`],
    ['100% *done*', 'INBOX.100_ _done_', `"%" ${WILDCARD}; "*" ${WILDCARD}`, '100_ _done_', `"%" ${WILDCARD}; "*" ${WILDCARD}`],
    ['invoice\u202efdp.exe', 'INBOX.invoice_fdp_exe', `${BIDI}; ${DOT_DELIM}`, 'invoice_fdp.exe', BIDI],
    ['\u2067x\u2069', 'INBOX._x_', BIDI, '_x_', BIDI],
    ['\u200fname\u200e', 'INBOX._name_', BIDI, '_name_', BIDI],
    ['\u061cArabic', 'INBOX._Arabic', BIDI, '_Arabic', BIDI],
    ['a\u001b]0;owned\u0007b', 'INBOX.a_]0;owned_b', CONTROL, 'a_]0;owned_b', CONTROL],
    ['a\u009b2Jb', 'INBOX.a_2Jb', CONTROL, 'a_2Jb', CONTROL],
    ['a\u0085b', 'INBOX.a_b', CONTROL, 'a_b', CONTROL],
    ['line\u2028break', 'INBOX.line_break', CONTROL, 'line_break', CONTROL],
    ['a\u007fb', 'INBOX.a_b', CONTROL, 'a_b', CONTROL],
    [' lead', 'INBOX.lead', 'leading/trailing whitespace trimmed', 'lead', 'leading/trailing whitespace trimmed'],
    ['trail ', 'INBOX.trail', 'leading/trailing whitespace trimmed', 'trail', 'leading/trailing whitespace trimmed'],
    ['x//y', 'INBOX.x._.y', 'the name is empty', 'x/_/y', 'the name is empty'],
    ['a.b', 'INBOX.a_b', DOT_DELIM, undefined, undefined],
  ])('%j → Courier %j (%s), "/"-target %j (%s)', (path, courier, courierWhy, slash, slashWhy) => {
    for (const [ns, target, why] of [[COURIER, courier, courierWhy], [SLASH, slash ?? path, slashWhy]] as const) {
      const { folders, warnings } = planFolders(src(path), rules(), ns);
      expect(folders[0]?.target).toBe(target);
      if (why === undefined) {
        expect(warnings).toEqual([]);
        continue;
      }
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`is created as ${JSON.stringify(target)}: `);
      expect(warnings[0]).toContain(why);
      expect(warnings[0]).toMatch(/^folder ".*" is created as /su);
      expect(warnings[0]).toContain(ADVICE);
      expect(folders[0]?.notes.join('\n')).toContain(why);
      for (const text of [target, ...warnings, ...(folders[0]?.notes ?? [])]) expect(text).not.toMatch(RAW_CONTROLS);
    }
  });

  test('harmless look-alikes stay as they are: "~" inside a name, "..." inside a name on a "/" target, "_" itself', () => {
    expect(targets(['a~b', 'x...y', '_'], {}, SLASH)).toEqual({ 'a~b': 'a~b', 'x...y': 'x...y', _: '_' });
    expect(planFolders(src('a~b', 'x...y', '_'), rules(), SLASH).warnings).toEqual([]);
  });

  test('the warning names the folder with invisible characters made visible', () => {
    const { warnings } = planFolders(src('Inbox/pay\u202efdp.exe'), rules(), SLASH);
    expect(warnings).toEqual([`folder "Inbox/pay\\u202efdp.exe" is created as "pay_fdp.exe": its name "pay\\u202efdp.exe" became "pay_fdp.exe" (${BIDI}); ${ADVICE}`]);
  });

  test('a folder under a renamed parent: one warning, naming the parent\'s name', () => {
    const { folders, warnings } = planFolders(src('%/a', '%/b'), rules(), SLASH);
    expect(folders.map((f) => f.target)).toEqual(['_/a', '_/b']);
    expect(warnings).toEqual([`folder "%/a" is created as "_/a": its parent's name "%" became "_" ("%" ${WILDCARD}); ${ADVICE}`]);
  });

  test('"/" inside a segment (from a "."-delimited source) on a "/" target', () => {
    const { folders, warnings } = planFolders([{ id: 'INBOX.a/b', path: ['INBOX', 'a/b'] }], rules(), SLASH);
    expect(folders[0]?.target).toBe('a_b');
    expect(warnings).toEqual([`folder "INBOX/a/b" is created as "a_b": its name "a/b" became "a_b" ("/" is the target delimiter); ${ADVICE}`]);
  });

  test('a replacement that is itself refused is not used ("_" instead)', () => {
    expect(one('*', { invalidCharReplacement: '%' }, SLASH).target).toBe('_');
    expect(one('~root', { invalidCharReplacement: '~' }, SLASH).target).toBe('_root');
    expect(one('a\u202eb', { invalidCharReplacement: '\u202e' }, SLASH).target).toBe('a_b');
    expect(one('a*b', { invalidCharReplacement: '-' }, SLASH).target).toBe('a-b');
  });

  test('the target declares what it refuses', () => {
    const lenient: TargetNamespace = { ...SLASH, names: { chars: {}, segments: [], leading: {} } };
    expect(targets(['%', '~root', '..'], {}, lenient)).toEqual({ '%': '%', '~root': '~root', '..': '..' });
    const strict: TargetNamespace = { ...SLASH, names: { chars: { '#': 'reserved on this server', '.': 'the Maildir++ separator' }, segments: [], leading: {} } };
    const { folders, warnings } = planFolders(src('a#b.c'), rules(), strict);
    expect(folders[0]?.target).toBe('a_b_c');
    expect(warnings[0]).toContain('("#" is reserved on this server; "." is the Maildir++ separator)');
    // Invisible characters are refused whatever the target says.
    expect(one('a\u202eb', {}, lenient).target).toBe('a_b');
  });
});

describe('planFolders: a sanitised name never merges with another folder', () => {
  for (const [label, ns, prefix, d] of [['Courier', COURIER, 'INBOX.', '.'], ['"/" target', SLASH, '', '/']] as const) {
    test(`${label}: "%" and "*" next to "_" get tags of their own names, "_" keeps its name; the same in any order`, () => {
      const plan = planFolders(src('%', '_', '*'), rules(), ns);
      const t = Object.fromEntries(plan.folders.map((f) => [f.sourceId, f.target]));
      expect(t).toEqual({ '%': `${prefix}_ (${tag('["%"]')})`, _: `${prefix}_`, '*': `${prefix}_ (${tag('["*"]')})` });
      expect(new Set(Object.values(t)).size).toBe(3);
      expect(plan.warnings.filter((w) => w.includes('merged'))).toEqual([]);
      expect(plan.warnings).toContain(`folder "%" is created as "${prefix}_ (${tag('["%"]')})": its name "%" became "_ (${tag('["%"]')})" ("%" ${'is an IMAP LIST wildcard'}; another folder is "_" there); ${ADVICE}`);
      expect(plan.folders[0]?.notes).toEqual(['renamed "%" → "_": "%" is an IMAP LIST wildcard', `tagged "_" → "_ (${tag('["%"]')})": another folder is "_" there`]);
      expect(targets(['*', '_', '%'], {}, ns)).toEqual(t);
    });

    test(`${label}: subfolders follow their tagged parent, also when the parent itself is not listed`, () => {
      expect(targets(['%', '%/x', '_', '_/x'], {}, ns)).toEqual({
        '%': `${prefix}_ (${tag('["%"]')})`, '%/x': `${prefix}_ (${tag('["%"]')})${d}x`, _: `${prefix}_`, '_/x': `${prefix}_${d}x`,
      });
      const { folders, warnings } = planFolders(src('%/x', '_/x'), rules(), ns);
      expect(folders.map((f) => f.target)).toEqual([`${prefix}_ (${tag('["%"]')})${d}x`, `${prefix}_${d}x`]);
      expect(warnings).toEqual([`folder "%/x" is created as "${prefix}_ (${tag('["%"]')})${d}x": its parent's name "%" became "_ (${tag('["%"]')})" ("%" is an IMAP LIST wildcard; another folder is "_" there); ${ADVICE}`]);
    });

    test(`${label}: ".." and "~root" next to their plain look-alikes`, () => {
      const t = targets(['..', '__', '~root', '_root', 'a\u202eb', 'a_b'], {}, ns);
      expect(new Set(Object.values(t)).size).toBe(6);
      expect(t).toMatchObject({ __: `${prefix}__`, _root: `${prefix}_root`, a_b: `${prefix}a_b` });
      expect(t['..']).toMatch(/^(INBOX\.)?__ \([0-9a-f]{6}\)$/);
    });

    test(`${label}: alone, a sanitised name keeps the plain readable form; an excluded look-alike does not count`, () => {
      expect(targets(['%'], {}, ns)).toEqual({ '%': `${prefix}_` });
      expect(targets(['%', '_'], { exclude: ['_'] }, ns)).toEqual({ '%': `${prefix}_` });
    });
  }

  test('a top-level " INBOX" on a target without prefix is not merged into INBOX', () => {
    const t = targets(['INBOX', ' INBOX'], {}, SLASH);
    expect(t).toEqual({ INBOX: 'INBOX', ' INBOX': `INBOX (${tag('[" INBOX"]')})` });
  });
});

describe('planFolders: collisions', () => {
  test('two sources on one target are merged and reported, naming both; a sanitised name is told apart instead', () => {
    const { folders, warnings } = planFolders(src('Sent', 'Sent Items', 'a.b', 'a_b', 'x'), rules(), COURIER);
    expect(folders.map((f) => f.target)).toEqual(['INBOX.Sent', 'INBOX.Sent', `INBOX.${taggedName('a_b', '["a.b"]')}`, 'INBOX.a_b', 'INBOX.x']);
    expect(warnings).toEqual([
      `folder "a.b" is created as "INBOX.a_b (${tag('["a.b"]')})": its name "a.b" became "a_b (${tag('["a.b"]')})" ("." is the target delimiter; another folder is "a_b" there); ${ADVICE}`,
      '"Sent" and "Sent Items" both map to "INBOX.Sent"; their messages will be merged',
    ]);
    expect(folders[0]?.notes).toEqual(['recognised as \\Sent by its name "Sent"', 'merged with "Sent Items" into "INBOX.Sent"']);
  });

  test('merged folders of several PST files are named with their files (the source\'s label), not twice the same path', () => {
    const pst = (id: string, label: string, path: string[]) => ({ id, path, label, delimiter: '/', kind: 'mail' as const });
    const { folders, warnings } = planFolders([
      pst('carol/2019.pst:32898', 'carol/2019.pst: Deleted Items', ['Deleted Items']),
      pst('carol/archive.pst:32898', 'carol/archive.pst: Deleted Items', ['Deleted Items']),
    ], rules(), COURIER);
    expect(warnings).toEqual(['"carol/2019.pst: Deleted Items" and "carol/archive.pst: Deleted Items" both map to "INBOX.Trash"; their messages will be merged']);
    expect(folders[0]?.notes).toContain('merged with "carol/archive.pst: Deleted Items" into "INBOX.Trash"');
  });

  test('three sources, INBOX case, and excluded folders do not count', () => {
    const { warnings } = planFolders(src('Sent', 'INBOX/Sent', ['Posted', '\\Sent'], 'Deleted Items', 'Trash'), rules({ exclude: ['Trash'] }), COURIER);
    expect(warnings).toEqual(['"Sent", "INBOX/Sent" and "Posted" all map to "INBOX.Sent"; their messages will be merged']);
    const empty = planFolders(src('INBOX', 'INBOX/inbox'), rules(), { prefix: '', delimiter: '/' });
    expect(empty.warnings).toEqual(['"INBOX" and "INBOX/inbox" both map to "INBOX"; their messages will be merged']);
  });

  test('no warnings for a clean mailbox', () => {
    expect(planFolders(src('INBOX', 'Sent Items', 'Deleted Items', 'Junk E-mail', 'Drafts', 'Projects/Q3'), rules(), COURIER)).toEqual({
      warnings: [],
      folders: [
        { sourceId: 'INBOX', sourcePath: ['INBOX'], included: true, targetPath: [], target: 'INBOX', specialUse: '\\Inbox', notes: [] },
        { sourceId: 'Sent Items', sourcePath: ['Sent Items'], included: true, targetPath: ['Sent'], target: 'INBOX.Sent', specialUse: '\\Sent', notes: ['recognised as \\Sent by its name "Sent Items"'] },
        { sourceId: 'Deleted Items', sourcePath: ['Deleted Items'], included: true, targetPath: ['Trash'], target: 'INBOX.Trash', specialUse: '\\Trash', notes: ['recognised as \\Trash by its name "Deleted Items"'] },
        { sourceId: 'Junk E-mail', sourcePath: ['Junk E-mail'], included: true, targetPath: ['Spam'], target: 'INBOX.Spam', specialUse: '\\Junk', notes: ['recognised as \\Junk by its name "Junk E-mail"'] },
        { sourceId: 'Drafts', sourcePath: ['Drafts'], included: true, targetPath: ['Drafts'], target: 'INBOX.Drafts', specialUse: '\\Drafts', notes: ['recognised as \\Drafts by its name "Drafts"'] },
        { sourceId: 'Projects/Q3', sourcePath: ['Projects', 'Q3'], included: true, targetPath: ['Projects', 'Q3'], target: 'INBOX.Projects.Q3', notes: [] },
      ],
    });
  });
});

describe('planFolders: containers the source cannot migrate', () => {
  test('are listed as not migrated with the source\'s reason, and warned about', () => {
    const plan = planFolders([
      { id: 'c', path: ['Calendar'], skip: 'IPF.Appointment folder (calendar): not migrated yet' },
      { id: 'i', path: ['Inbox'] },
    ], rules(), COURIER);
    expect(plan.folders.map((f) => [f.sourceId, f.included, f.reason])).toEqual([
      ['c', false, 'IPF.Appointment folder (calendar): not migrated yet'],
      ['i', true, undefined],
    ]);
    expect(plan.warnings).toEqual(['"Calendar" not migrated: IPF.Appointment folder (calendar): not migrated yet']);
  });
});
