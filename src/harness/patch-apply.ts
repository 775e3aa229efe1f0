/**
 * Applying a patch in an instance with SWE-bench's fallback chain:
 * `git apply --verbose`, then `--3way`, then `--reject`, then
 * `patch --batch --forward --fuzz=5 -p1`. The tree is restored between
 * attempts, so a half-applied attempt never leaks into the next, and a patch
 * that is already in the tree is recognised instead of failing.
 */
import { randomUUID } from 'node:crypto';
import { MARKER } from './markers.ts';
import type { HarnessTarget } from './target.ts';

export type ApplyMethod = 'git apply' | 'git apply --3way' | 'git apply --reject' | 'patch --fuzz=5';

export interface PatchApplyResult {
  applied: boolean;
  /** The attempt that worked; undefined when none did or it was already applied. */
  method: ApplyMethod | undefined;
  alreadyApplied: boolean;
  /** Every attempt's output and the final marker line. */
  log: string;
}

/** Limit of one apply attempt. */
export const APPLY_TIMEOUT_MS = 120_000;

const WORK = '/tmp/swe-bot-apply';

const ATTEMPTS: Array<{ method: ApplyMethod; command: (file: string) => string }> = [
  { method: 'git apply', command: (file) => `git apply --verbose ${file}` },
  { method: 'git apply --3way', command: (file) => `git apply --verbose --3way ${file}` },
  { method: 'git apply --reject', command: (file) => `git apply --verbose --reject ${file}` },
  { method: 'patch --fuzz=5', command: (file) => `patch --batch --forward --fuzz=5 --no-backup-if-mismatch -p1 -i ${file}` },
];

/**
 * Saves the tree (tracked and untracked, not ignored) as a git tree object
 * under a private index, and the real index beside it.
 */
const CHECKPOINT = [
  `mkdir -p ${WORK}`,
  `cp .git/index ${WORK}/index.orig 2>/dev/null || rm -f ${WORK}/index.orig`,
  `export GIT_INDEX_FILE=${WORK}/index.ckpt`,
  `rm -f "$GIT_INDEX_FILE"; cp .git/index "$GIT_INDEX_FILE" 2>/dev/null || true`,
  'git add -A . >/dev/null',
  `git write-tree > ${WORK}/tree`,
].join(' && ');

/** Puts the tree back as it was at the checkpoint; ignored files (dependencies) stay. */
const RESTORE = [
  `export GIT_INDEX_FILE=${WORK}/index.ckpt`,
  `git read-tree "$(cat ${WORK}/tree)"`,
  'git checkout-index -a -f',
  'git clean -fdq',
  `if [ -f ${WORK}/index.orig ]; then cp ${WORK}/index.orig .git/index; fi`,
].join(' && ');

let counter = 0;

export async function applyPatch(target: HarnessTarget, patch: string): Promise<PatchApplyResult> {
  const lines: string[] = [];
  // /tmp exists in every image, so the write needs no mkdir first.
  const file = `/tmp/swe-bot-patch-${process.pid}-${(counter += 1)}.diff`;
  // git apply and patch both want a final newline.
  await writePatch(target, file, patch.endsWith('\n') ? patch : `${patch}\n`);

  // git apply is all or nothing: when it applies, no checkpoint is needed.
  const first = ATTEMPTS[0] as (typeof ATTEMPTS)[number];
  const direct = await target.exec(`${first.command(file)} 2>&1`, { timeoutMs: APPLY_TIMEOUT_MS, maxOutputBytes: 256 * 1024 });
  lines.push(`$ ${first.command(file)}`, direct.stdout.trimEnd(), `(exit ${direct.exitCode})`);
  if (direct.exitCode === 0) {
    lines.push(MARKER.applied);
    return { applied: true, method: first.method, alreadyApplied: false, log: lines.join('\n') };
  }
  const reverse = await target.exec(`git apply --check --reverse ${file}`, { timeoutMs: APPLY_TIMEOUT_MS });
  if (reverse.exitCode === 0) {
    lines.push('The patch is already applied (git apply --reverse --check succeeds).', MARKER.applied);
    return { applied: true, method: undefined, alreadyApplied: true, log: lines.join('\n') };
  }

  const checkpoint = await target.exec(CHECKPOINT, { timeoutMs: APPLY_TIMEOUT_MS });
  if (checkpoint.exitCode !== 0) {
    lines.push(`Cannot record the tree before applying: ${checkpoint.stderr.trim()}`, MARKER.applyFailed);
    return { applied: false, method: undefined, alreadyApplied: false, log: lines.join('\n') };
  }
  for (const attempt of ATTEMPTS.slice(1)) {
    const result = await target.exec(`${attempt.command(file)} 2>&1`, { timeoutMs: APPLY_TIMEOUT_MS, maxOutputBytes: 256 * 1024 });
    lines.push(`$ ${attempt.command(file)}`, result.stdout.trimEnd(), `(exit ${result.exitCode})`);
    if (result.exitCode === 0) {
      lines.push(MARKER.applied);
      return { applied: true, method: attempt.method, alreadyApplied: false, log: lines.join('\n') };
    }
    const restored = await target.exec(RESTORE, { timeoutMs: APPLY_TIMEOUT_MS });
    if (restored.exitCode !== 0) lines.push(`(restoring the tree failed: ${restored.stderr.trim()})`);
  }
  lines.push(MARKER.applyFailed);
  return { applied: false, method: undefined, alreadyApplied: false, log: lines.join('\n') };
}

/** Largest patch sent inline with the command instead of through the archive API. */
const INLINE_PATCH_BYTES = 4 * 1024 * 1024;

/**
 * Writes the patch with a quoted here-document in the instance's shell (one
 * round trip, ~3 ms) when it is text of moderate size; otherwise through the
 * archive API.
 */
async function writePatch(target: HarnessTarget, file: string, text: string): Promise<void> {
  const delimiter = `SWE_BOT_PATCH_${randomUUID().replace(/-/g, '')}`;
  if (text.length <= INLINE_PATCH_BYTES && !text.includes('\0') && !text.includes(delimiter)) {
    const written = await target.exec(`cat > ${file} <<'${delimiter}'\n${text}${delimiter}\n`, { timeoutMs: 60_000 });
    if (written.exitCode === 0) return;
  }
  await target.writeFile(file, text);
}
