/**
 * The packages of a Node monorepo, read from its files at a commit: the
 * folders its workspace patterns name (package.json `workspaces`, as an array
 * or yarn 1's `{ packages }`; `pnpm-workspace.yaml`'s `packages`; else
 * `lerna.json`'s `packages`, `packages/*` by default) that hold a
 * package.json, with that package.json's scripts and dependency ranges.
 *
 * Patterns are the globs these tools accept in practice: `*` within one
 * folder name, `**` across folders, `?`, and `!pattern` to leave folders
 * out; braces and character classes are not read (a pattern with them
 * matches nothing). node_modules is never searched.
 */
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readSourceFile, type SourceRef } from './source.ts';
import type { WorkspacePackage } from './node-test-command.ts';

/** More packages than this are not read (a manifest each): the rest are left out. */
const MAX_PACKAGES = 500;

/** The workspace patterns the repository declares; empty when it is no monorepo. */
export async function workspacePatterns(source: SourceRef, root: ReadonlySet<string>, workspaces: unknown): Promise<string[]> {
  const declared = Array.isArray(workspaces)
    ? workspaces
    : typeof workspaces === 'object' && workspaces !== null && Array.isArray((workspaces as { packages?: unknown }).packages)
      ? (workspaces as { packages: unknown[] }).packages
      : undefined;
  if (declared !== undefined) return strings(declared);
  if (root.has('pnpm-workspace.yaml')) {
    const text = (await readSourceFile(source, 'pnpm-workspace.yaml'))?.toString('utf8') ?? '';
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch {
      // pnpm refuses the file too; the install step will say why.
      return [];
    }
    const packages = typeof parsed === 'object' && parsed !== null ? (parsed as { packages?: unknown }).packages : undefined;
    return Array.isArray(packages) ? strings(packages) : [];
  }
  if (root.has('lerna.json')) {
    const lerna = await readJsonLoose(source, 'lerna.json');
    const packages = typeof lerna === 'object' && lerna !== null ? (lerna as { packages?: unknown }).packages : undefined;
    return Array.isArray(packages) ? strings(packages) : ['packages/*'];
  }
  return [];
}

/** The packages whose folders the patterns name, sorted by folder, the root excluded. */
export async function workspacePackages(source: SourceRef, files: readonly string[], patterns: readonly string[]): Promise<WorkspacePackage[]> {
  const include = patterns.filter((pattern) => !pattern.startsWith('!')).map(globRegExp);
  const exclude = patterns.filter((pattern) => pattern.startsWith('!')).map((pattern) => globRegExp(pattern.slice(1)));
  if (include.length === 0) return [];
  const dirs = files
    .filter((file) => file.endsWith('/package.json') && !file.split('/').includes('node_modules'))
    .map((file) => path.posix.dirname(file))
    .filter((dir) => include.some((glob) => glob.test(dir)) && !exclude.some((glob) => glob.test(dir)))
    .sort()
    .slice(0, MAX_PACKAGES);
  const packages: WorkspacePackage[] = [];
  for (const dir of dirs) {
    const manifest = await readJsonLoose(source, `${dir}/package.json`);
    const fields = typeof manifest === 'object' && manifest !== null ? (manifest as Record<string, unknown>) : {};
    const declared = { ...stringRecord(fields.dependencies), ...stringRecord(fields.devDependencies) };
    packages.push({ dir, scripts: stringRecord(fields.scripts), declared });
  }
  return packages;
}

/** A workspace glob as a regular expression over folder paths relative to the root. */
export function globRegExp(pattern: string): RegExp {
  const clean = pattern.trim().replace(/^\.\//, '').replace(/\/+$/, '');
  if (/[{}[\]]/.test(clean)) return /(?!)/;
  const segments = clean.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.length === 0) return /(?!)/;
  let source = '';
  for (const [at, segment] of segments.entries()) {
    const last = at === segments.length - 1;
    if (segment === '**') {
      // Any number of folders, none included: `packages/**` also names `packages` itself, as globs do.
      if (last) source += at === 0 ? '[^/]+(?:/[^/]+)*' : '(?:/[^/]+)*';
      else source += at === 0 ? '(?:[^/]+/)*' : '/(?:[^/]+/)*';
      continue;
    }
    const afterGlobstar = at > 0 && segments[at - 1] === '**';
    const body = [...segment].map((char) => (char === '*' ? '[^/]*' : char === '?' ? '[^/]' : char.replace(/[.+^$()|\\]/g, '\\$&'))).join('');
    source += `${at === 0 || afterGlobstar ? '' : '/'}${body}`;
  }
  return new RegExp(`^${source}$`);
}

function strings(values: unknown[]): string[] {
  return values.filter((value): value is string => typeof value === 'string');
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** A JSON file, or undefined when it is missing or broken (a package the tools would refuse anyway). */
async function readJsonLoose(source: SourceRef, file: string): Promise<unknown> {
  const content = await readSourceFile(source, file);
  if (content === undefined) return undefined;
  try {
    return JSON.parse(content.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
