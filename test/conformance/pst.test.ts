/**
 * pst (Outlook .pst files, several per mailbox) through the source conformance suite, on shared
 * fixture PSTs; an item is damaged by breaking its data block (CRC no longer matching).
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataBlock } from '../../connectors/pst/fixture-edit.js';
import { PstSource } from '../../connectors/pst/index.js';
import { fixturesDir } from '../../connectors/pst/readpst-oracle.js';
import { describeSourceConnector } from './source-suite.js';
import { silentLog, tempTree } from './file-fixtures.js';

const FILES = { 'outlook.pst': 'unicode/aspose-Outlook.pst', 'cp932.pst': 'ansi/hiraoka-nonUnicodeCP932.pst' };

describeSourceConnector('pst', async () => {
  const tree = tempTree('conf-pst');
  for (const [name, rel] of Object.entries(FILES)) {
    const from = join(fixturesDir(), 'pst', rel);
    if (!existsSync(from)) throw new Error(`PST fixture ${from} not found (set UMS_FIXTURES_DIR)`);
    copyFileSync(from, join(tree.root, name));
  }
  return {
    connector: () => new PstSource({ directory: tree.root, files: '*.pst' }, silentLog),
    account: { login: 'alice' },
    async spoil(c, item) {
      const file = join(tree.root, c.id.slice(0, c.id.indexOf(':')));
      const data = readFileSync(file);
      const b = dataBlock(data, Number(item.id));
      data.fill(0xa5, b.ib, b.ib + Math.min(b.cb, 32));
      writeFileSync(file, data);
      return `node ${item.id}`;
    },
    async cleanup() { tree.remove(); },
  };
}, { notApplicable: { grow: 'a PST is an archive: a file that changes is a new epoch (re-verified), new files are new containers' } });
