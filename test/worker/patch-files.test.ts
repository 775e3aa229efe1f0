/** The patch → files step that feeds the Git Data API, on a real git repository. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { patchFiles } from '../../src/worker/patch-files.ts';
import { gitIn } from '../helpers/git-fixture.ts';

describe('patchFiles', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-patch-files-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives the new content, mode and deletions of a patch without touching the working tree', async () => {
    gitIn(dir, 'init', '-q');
    fs.writeFileSync(path.join(dir, 'keep.js'), 'one\n');
    fs.writeFileSync(path.join(dir, 'gone.js'), 'bye\n');
    gitIn(dir, 'add', '-A');
    gitIn(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'base');
    const base = gitIn(dir, 'rev-parse', 'HEAD');
    const patch = [
      'diff --git a/keep.js b/keep.js',
      '--- a/keep.js',
      '+++ b/keep.js',
      '@@ -1 +1 @@',
      '-one',
      '+two',
      'diff --git a/gone.js b/gone.js',
      'deleted file mode 100644',
      '--- a/gone.js',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
      'diff --git a/bin/run.sh b/bin/run.sh',
      'new file mode 100755',
      '--- /dev/null',
      '+++ b/bin/run.sh',
      '@@ -0,0 +1 @@',
      '+echo hi',
      '',
    ].join('\n');
    const files = await patchFiles(dir, base, patch);
    expect(files.map((file) => [file.path, file.content?.toString() ?? null, file.mode ?? null])).toEqual([
      ['bin/run.sh', 'echo hi\n', '100755'],
      ['gone.js', null, null],
      ['keep.js', 'two\n', '100644'],
    ]);
    expect(fs.readFileSync(path.join(dir, 'keep.js'), 'utf8')).toBe('one\n');
    expect(gitIn(dir, 'status', '--porcelain')).toBe('');
    await expect(patchFiles(dir, base, patch.replace('-one', '-three'))).rejects.toThrow(/the fix does not apply to [0-9a-f]{12} on the host/);
  });
});
