/** msg (trees of Outlook .msg files) through the source conformance suite, on the shared .msg fixtures. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MsgSource } from '../../connectors/msg/index.js';
import { fixturesDir } from '../../connectors/pst/readpst-oracle.js';
import { describeSourceConnector } from './source-suite.js';
import { silentLog, tempTree } from './file-fixtures.js';

const fixtures = join(fixturesDir(), 'pst', 'msg');

describeSourceConnector('msg', async () => {
  if (!existsSync(fixtures)) throw new Error(`.msg fixtures not found at ${fixtures} (set UMS_FIXTURES_DIR)`);
  const tree = tempTree('conf-msg');
  // Mixed classes in one directory: a mail folder (every file built as a message).
  readdirSync(fixtures).filter((n) => n.endsWith('.msg')).sort()
    .forEach((n, i) => tree.put(join('alice', ...(i % 3 === 2 ? ['Projekte'] : []), n), readFileSync(join(fixtures, n))));
  return {
    connector: () => new MsgSource({ directory: tree.root, folders: '{login}' }, silentLog),
    account: { login: 'alice' },
    missingId: 'no-such-file.msg',
    async spoil(c, item) {
      writeFileSync(join(tree.root, 'alice', ...(c.id === '.' ? [] : c.id.split('/')), item.id), 'this is not an OLE compound file');
      return item.id;
    },
    async grow(c) {
      // A file dropped into the tree later, named to sort first and keeping an old mtime (cp -p, rsync -a).
      tree.put(join('alice', ...(c.id === '.' ? [] : c.id.split('/')), 'aaa-added-later.msg'), readFileSync(join(fixtures, 'voteItems.msg')), new Date('2001-01-01T00:00:00Z'));
    },
    async cleanup() { tree.remove(); },
  };
});
