/**
 * The shell commands behind Instance.diff(): the changes since the baseline
 * commit, read through a temporary index so /testbed's own index stays as it
 * was, without binary files and nested repositories (which `git apply`
 * cannot take back).
 */
import { shellQuote } from '../util/shell-quote.ts';
import { BASELINE_REF } from './source.ts';

/** A temporary index with every change staged, so the real index stays as it was. */
const DIFF_INDEX_PREFIX =
  'export GIT_INDEX_FILE=$(mktemp); trap \'rm -f "$GIT_INDEX_FILE"\' EXIT; cp .git/index "$GIT_INDEX_FILE" 2>/dev/null || true; git add -A . >/dev/null 2>&1 || true;';

/** Lists what diff() leaves out: binary files (numstat `-`) and gitlinks (mode 160000). */
export const DIFF_LIST_SCRIPT = `${DIFF_INDEX_PREFIX}
git diff --cached --no-renames --numstat -z ${BASELINE_REF} -- . ; printf '\\0--raw--\\0'; git diff --cached --no-renames --raw -z ${BASELINE_REF} -- .`;

/** Parses DIFF_LIST_SCRIPT's output into the paths to exclude. */
export function excludedPaths(output: string): string[] {
  const [numstat = '', raw = ''] = output.split('\0--raw--\0');
  const out = new Set<string>();
  for (const record of numstat.split('\0')) {
    const match = /^-\t-\t(.+)$/.exec(record);
    if (match?.[1]) out.add(match[1]);
  }
  const fields = raw.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = fields[i] ?? '';
    const file = fields[i + 1] ?? '';
    if (/^:\d{6} 160000 |^:160000 /.test(meta)) out.add(file);
  }
  return [...out];
}

/** The diff since the baseline, leaving out `excluded` (see {@link excludedPaths}). */
export function diffCommand(excluded: readonly string[]): string {
  const pathspec = excluded.map((file) => shellQuote(`:(exclude,literal)${file}`)).join(' ');
  return `${DIFF_INDEX_PREFIX} git diff --cached --no-color --no-ext-diff --no-renames ${BASELINE_REF} -- . ${pathspec}`;
}
