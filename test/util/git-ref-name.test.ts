import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { branchNameProblem } from '../../src/util/git-ref-name.ts';
import { seededRandom } from '../helpers/seeded-random.ts';

/** git's own verdict (https://git-scm.com/docs/git-check-ref-format, `--branch`). */
function gitAccepts(name: string): boolean {
  return spawnSync('git', ['check-ref-format', '--branch', name], { encoding: 'utf8' }).status === 0;
}


const PIECES = ['main', 'feature', '/', '.', '..', '-', '--upload-pack=touch /tmp/x', '@', '@{', '{', '}', '~', '^', ':', '?', '*', '[', ']', '\\', ' ', '\t', '\n', '\u0000', '\u007f', '.lock', 'é', 'x', '1', '_', 'HEAD', '$(id)', '`', ';', '"', "'"];

describe('branchNameProblem', () => {
  it('accepts ordinary branch names', () => {
    for (const name of ['main', 'master', 'develop', 'release/1.2', 'feature/a-b_c', 'v1.0', 'héllo', 'a@b', 'x.lockx', 'a/b.c/d']) {
      expect(branchNameProblem(name), name).toBeUndefined();
      expect(gitAccepts(name), name).toBe(true);
    }
  });

  it('refuses what git refuses, and what would be read as an option', () => {
    const refused = ['', '-main', '--upload-pack=touch /tmp/x', 'a..b', 'main\n', 'ma in', 'x~1', 'x^', 'x:y', 'x?', 'x*', 'x[', '/main', 'main/', 'a//b', 'main.', 'x@{1}', '@', 'a\\b', '.hidden', 'a/.b', 'x.lock', 'a.lock/b', 'HEAD', 'a'.repeat(256), 'tab\there', 'del\u007f'];
    for (const name of refused) expect(branchNameProblem(name), JSON.stringify(name)).toBeDefined();
    for (const value of [undefined, null, 42, ['main'], { name: 'main' }]) expect(branchNameProblem(value)).toBeDefined();
  });

  it('never accepts a name git refuses (fuzzed against git check-ref-format --branch)', () => {
    const next = seededRandom(12);
    let accepted = 0;
    for (let i = 0; i < 400; i += 1) {
      const parts = Array.from({ length: 1 + Math.floor(next() * 4) }, () => PIECES[Math.floor(next() * PIECES.length)] ?? '');
      const name = parts.join('');
      // git's argv cannot carry a NUL: such a name is refused by us, and not asked of git.
      if (name.includes('\u0000')) {
        expect(branchNameProblem(name)).toBeDefined();
        continue;
      }
      if (branchNameProblem(name) !== undefined) continue;
      accepted += 1;
      expect(gitAccepts(name), JSON.stringify(name)).toBe(true);
      expect(name.startsWith('-'), JSON.stringify(name)).toBe(false);
    }
    // The fuzzing did exercise the accepting side too.
    expect(accepted).toBeGreaterThan(20);
  });
});
