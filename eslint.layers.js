// The dependency rules of docs/architecture.md as lint rules. The table in
// that document is the data: it is parsed here, so the document and the lint
// cannot say different things, and a change of rule is a change of the doc.
//
// ESLint's own no-restricted-imports matches the import's text, not the file
// it resolves to, so the patterns are generated per folder depth: from
// src/<layer>/a.ts another layer is `../<other>/…`, from src/<layer>/x/a.ts it
// is `../../<other>/…`. Type imports are restricted like any other.
import fs from 'node:fs';
import path from 'node:path';

const DOC = 'docs/architecture.md';
const BEGIN = '<!-- layers';
const END = '<!-- /layers -->';

/**
 * The table: layer name (`app`, `errors.ts`) → what it may import, each entry
 * `{ target, typesOnly }` where target is `*`, a layer, or `<layer>/<file>`.
 */
export function readLayerTable(root) {
  const text = fs.readFileSync(path.join(root, DOC), 'utf8');
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${DOC}: the layer table (from "${BEGIN}" to "${END}") is missing`);
  // The first two lines starting with `|` are the header and its separator.
  const rows = text.slice(start, end).split('\n').filter((line) => line.startsWith('|')).slice(2);
  const table = new Map();
  for (const row of rows) {
    const [layerCell = '', allowCell = ''] = row.split('|').slice(1);
    const layer = /^\s*`([^`]+)`\s*$/.exec(layerCell)?.[1];
    if (layer === undefined) throw new Error(`${DOC}: a layer row must name one layer in backticks: ${row}`);
    const allow = [...allowCell.matchAll(/`([^`]+)`( \(types only\))?/g)].map((m) => ({ target: m[1], typesOnly: m[2] !== undefined }));
    table.set(layer, allow);
  }
  checkTable(root, table);
  return table;
}

/** The table names what exists, and everything that exists has a row: a new folder gets rules before it gets code. */
function checkTable(root, table) {
  const src = path.join(root, 'src');
  const entries = fs.readdirSync(src, { withFileTypes: true }).filter((e) => e.isDirectory() || e.name.endsWith('.ts')).map((e) => e.name);
  const missing = entries.filter((name) => !table.has(name));
  if (missing.length > 0) throw new Error(`${DOC}: no row in the layer table for src/${missing.join(', src/')}`);
  for (const [layer, allow] of table) {
    if (!entries.includes(layer)) throw new Error(`${DOC}: layer ${layer} is not in src/`);
    for (const { target } of allow) {
      if (target === '*' || table.has(target)) continue;
      const owner = target.split('/')[0];
      if (!table.has(owner) || !fs.existsSync(path.join(src, target))) throw new Error(`${DOC}: ${layer} may import ${target}, which does not exist`);
    }
  }
}

/** How deep the sources go under a layer folder (src/<layer>/a.ts is 1). */
function maxDepth(dir, depth = 1) {
  let deepest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) deepest = Math.max(deepest, maxDepth(path.join(dir, entry.name), depth + 1));
    else if (entry.name.endsWith('.ts')) deepest = Math.max(deepest, depth);
  }
  return deepest;
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const either = (names) => `(?:${names.map(escape).join('|')})`;

/** The no-restricted-imports patterns for a file `up` levels below src/ in `layer`. */
function patternsFor(table, layer, allow, up) {
  const prefix = up === 0 ? '\\./' : `(?:\\.\\./){${up}}`;
  const where = `the layer table in ${DOC}`;
  const patterns = [];
  for (const other of table.keys()) {
    if (other === layer) continue;
    const whole = allow.find((a) => a.target === other);
    if (whole !== undefined && !whole.typesOnly) continue;
    if (other.endsWith('.ts')) {
      patterns.push({
        regex: `^${prefix}${escape(other)}$`,
        caseSensitive: true,
        ...(whole?.typesOnly === true && { allowTypeImports: true }),
        message: `${layer} may not import ${other}${whole?.typesOnly === true ? ' except with `import type`' : ''} (${where}).`,
      });
      continue;
    }
    const modules = allow.filter((a) => a.target.startsWith(`${other}/`)).map((a) => ({ ...a, file: a.target.slice(other.length + 1) }));
    const exempt = modules.map((m) => m.file);
    const named = modules.map((m) => m.target + (m.typesOnly ? ' (types only)' : '')).join(', ');
    patterns.push({
      regex: `^${prefix}${escape(other)}/${exempt.length > 0 ? `(?!${either(exempt)}$)` : ''}`,
      caseSensitive: true,
      ...(whole?.typesOnly === true && { allowTypeImports: true }),
      message:
        exempt.length > 0
          ? `${layer} may import from ${other} only ${named} (${where}).`
          : `${layer} may not import ${other}${whole?.typesOnly === true ? ' except with `import type`' : ''} (${where}).`,
    });
    const typeOnly = modules.filter((m) => m.typesOnly).map((m) => m.file);
    if (typeOnly.length > 0) {
      patterns.push({
        regex: `^${prefix}${escape(other)}/${either(typeOnly)}$`,
        caseSensitive: true,
        allowTypeImports: true,
        message: `${layer} may import ${other}/${typeOnly.join(`, ${other}/`)} only with \`import type\` (${where}).`,
      });
    }
  }
  return patterns;
}

/** Flat-config blocks enforcing the table on src/. */
export function layerConfigs(root) {
  const table = readLayerTable(root);
  const configs = [];
  for (const [layer, allow] of table) {
    if (allow.some((a) => a.target === '*')) continue;
    const levels = layer.endsWith('.ts')
      ? [{ files: [`src/${layer}`], up: 0 }]
      : Array.from({ length: maxDepth(path.join(root, 'src', layer)) }, (_, i) => ({ files: [`src/${layer}/${'*/'.repeat(i)}*.ts`], up: i + 1 }));
    for (const { files, up } of levels) {
      configs.push({
        name: `layers/${layer}${up > 1 ? `/depth-${up}` : ''}`,
        files,
        rules: {
          'no-restricted-imports': ['error', { patterns: patternsFor(table, layer, allow, up) }],
          // no-restricted-imports does not see import(); only cli loads project modules lazily.
          'no-restricted-syntax': ['error', {
            selector: 'ImportExpression[source.value=/^\\./]',
            message: `A dynamic import() of a project module escapes the layer rules: import it statically (${DOC}).`,
          }],
        },
      });
    }
  }
  return configs;
}
