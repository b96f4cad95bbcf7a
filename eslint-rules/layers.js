/**
 * `local/layers`: the folder layering of eslint.config.js, checked on every relative import
 * (`import`, `export … from`, `import()`), resolved against the importing file, so that
 * `../engine/job.js` from src/cutover and `../../src/engine/job.js` from connectors/pst are the
 * same import. Bare package imports are not checked.
 *
 * Options (one object):
 * - `root`: the repository's absolute path.
 * - `units`: `[{ path, layer }]`, repository-relative; a folder ends with '/', `*` stands for one
 *   folder name (`connectors/*\/`: one unit per connector). The longest matching path wins. A file
 *   in no unit (test/, bench/, a package) is not checked as a target.
 * - `layers`: `{ [layer]: { mayImport: [layer…], acrossUnits?: boolean } }`: the layers a layer
 *   may import besides its own; `acrossUnits: false` forbids importing another unit of the same
 *   layer (a connector importing another connector).
 * - `exceptions`: `[{ from, to, reason, dynamicOnly? }]` (repository-relative path prefixes):
 *   imports kept on purpose, each with its reason. A `*` stands for one folder name, the same one
 *   in `from` and `to` (`connectors/*\/module.ts` → `connectors/*\/`: a file of its own folder);
 *   `dynamicOnly`: only an `import()` (loaded when called, not with the importing file).
 */
import path from 'node:path';

function matchUnit(rel, units) {
  let best;
  for (const u of units) {
    const re = new RegExp(`^${u.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]+')}${u.path.endsWith('/') ? '' : '$'}`);
    const m = re.exec(rel);
    if (m && (!best || m[0].length > best.id.length)) best = { id: m[0], layer: u.layer };
  }
  return best;
}

const toPosix = (p) => p.split(path.sep).join('/');

const escape = (s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** Whether exception `e` covers the import of `toRel` from `fromRel` (`*`: one folder name, the same in both). */
function excepted(e, fromRel, toRel, dynamic) {
  if (e.dynamicOnly && !dynamic) return false;
  const m = new RegExp(`^${escape(e.from).replace(/\*/g, '([^/]+)')}`).exec(fromRel);
  if (!m) return false;
  const name = m[1];
  return toRel.startsWith(name === undefined ? e.to : e.to.replace('*', name));
}

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'Imports follow the folder layering (core ← mappings ← config schema ← connectors ← features ← app)' },
    schema: [{ type: 'object', additionalProperties: true }],
    messages: {
      upward: '{{from}} ({{fromLayer}}) must not import {{to}} ({{toLayer}}): {{fromLayer}} may import {{allowed}}. Move the shared piece down, or list a reasoned exception in eslint.config.js.',
      sibling: '{{from}} must not import {{to}}: one {{fromLayer}} unit does not import another ({{fromUnit}} → {{toUnit}}). Move the shared piece down, or list a reasoned exception in eslint.config.js.',
    },
  },
  create(context) {
    const { root, units, layers, exceptions = [] } = context.options[0] ?? {};
    const file = context.filename ?? context.getFilename();
    const fromRel = toPosix(path.relative(root, file));
    const from = matchUnit(fromRel, units);
    if (!from) return {};
    const rule = layers[from.layer];
    if (!rule) throw new Error(`local/layers: no rule for layer ${from.layer}`);

    function check(node, spec, dynamic = false) {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const toRel = toPosix(path.relative(root, path.resolve(path.dirname(file), spec))).replace(/\.js$/, '.ts');
      const to = matchUnit(toRel, units);
      if (!to || to.id === from.id) return;
      if (exceptions.some((e) => excepted(e, fromRel, toRel, dynamic))) return;
      const data = { from: fromRel, to: toRel, fromLayer: from.layer, toLayer: to.layer, fromUnit: from.id, toUnit: to.id, allowed: [from.layer, ...rule.mayImport].join(', ') };
      if (to.layer === from.layer) {
        if (rule.acrossUnits === false) context.report({ node, messageId: 'sibling', data });
        return;
      }
      if (!rule.mayImport.includes(to.layer)) context.report({ node, messageId: 'upward', data });
    }

    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value, true),
    };
  },
};
