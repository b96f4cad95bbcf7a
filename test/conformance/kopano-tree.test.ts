/** kopano-tree (a tree of Kopano's .eml/.ics/.vcf exports) through the source conformance suite. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventToICalendar } from '../../mappings/groupware/icalendar.js';
import { KopanoTreeSource } from '../../connectors/kopano/tree-source.js';
import { describeSourceConnector } from './source-suite.js';
import { eml, silentLog, tempTree } from './file-fixtures.js';

describeSourceConnector('kopano-tree', async () => {
  const tree = tempTree('conf-kopano-tree');
  for (let n = 1; n <= 5; n++) tree.put(`tree/Inbox/AA0${n}.eml`, eml(n));
  tree.put('tree/Inbox/Projects/AB01.eml', eml(1, 'Projects'));
  for (let n = 1; n <= 3; n++) {
    tree.put(`tree/Calendar/BB0${n}.ics`, eventToICalendar({ uid: `ev-${n}`, summary: `Meeting ${n}`, start: { utc: new Date(`2024-02-0${n}T10:00:00Z`) }, end: { utc: new Date(`2024-02-0${n}T11:00:00Z`) } }));
  }
  return {
    connector: () => new KopanoTreeSource(tree.root, silentLog),
    account: { login: 'tree' },
    missingId: 'FFFF0000',
    async spoil(c, item) {
      if (c.kind !== 'event') return undefined;
      writeFileSync(join(tree.root, 'tree', ...c.path, `${item.id}.ics`), 'BEGIN:VCALENDAR\r\nthis is not iCalendar\r\n');
      return `${item.id}.ics`;
    },
    async grow(c) {
      // Named to sort first and keeping an old mtime (cp -p, rsync -a): a later export is ordered by arrival, not by name or mtime.
      tree.put(['tree', ...c.path, 'AA00.eml'].join('/'), eml(0, 'grown'), new Date('2001-01-01T00:00:00Z'));
    },
    async cleanup() { tree.remove(); },
  };
});
