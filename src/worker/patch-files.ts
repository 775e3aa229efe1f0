/**
 * A patch turned into the files it leaves behind, for the Git Data API
 * (src/github/publish-fix.ts). The patch is applied to a temporary index
 * built from the base commit (`git apply --cached` with `GIT_INDEX_FILE`), so
 * neither the clone's working tree nor its own index is touched, and the
 * new contents come straight from the blobs git wrote.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SweBotError } from '../errors.ts';
import type { ChangedFile } from '../github/publish-fix.ts';
import { git, GitError } from '../util/git.ts';

export async function patchFiles(repoDir: string, baseSha: string, patch: string): Promise<ChangedFile[]> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-index-'));
  const env = { GIT_INDEX_FILE: path.join(scratch, 'index') };
  const patchFile = path.join(scratch, 'fix.patch');
  try {
    await fs.writeFile(patchFile, patch.endsWith('\n') ? patch : `${patch}\n`);
    await git(['read-tree', baseSha], { cwd: repoDir, env });
    try {
      await git(['apply', '--cached', '--whitespace=nowarn', patchFile], { cwd: repoDir, env });
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      throw new SweBotError(`the fix does not apply to ${baseSha.slice(0, 12)} on the host: ${error.stderr.trim().split('\n').slice(-2).join(' ')}`, {
        kind: 'permanent',
        code: 'patch_not_applied',
      });
    }
    // `:<old mode> <new mode> <old sha> <new sha> <status>\0<path>\0`, renames as delete + add.
    const raw = await git(['diff-index', '--cached', '--raw', '-z', '--no-renames', baseSha], { cwd: repoDir, env });
    const fields = raw.split('\0');
    const files: ChangedFile[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const [, newMode = '', , newSha = '', status = ''] = (fields[i] ?? '').slice(1).split(' ');
      const file = fields[i + 1] ?? '';
      if (status === 'D') {
        files.push({ path: file, content: null });
        continue;
      }
      const mode = newMode === '100755' || newMode === '120000' ? newMode : '100644';
      files.push({ path: file, content: await git(['cat-file', 'blob', newSha], { cwd: repoDir, binary: true }), mode });
    }
    return files;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
