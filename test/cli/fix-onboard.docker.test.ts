/**
 * `swe-bot fix` on real repositories nobody configured (issue #11): the
 * upstream release trees of ../shared/corpus-onboard, each with a known bug,
 * and a scripted model that applies exactly the fix. Detection alone must
 * find a test command that names the tests, a baseline that counts, the
 * bug's tests failing before and passing after, and nothing broken. The
 * trees are fetched from Debian's archive by the corpus script (cached under
 * node_modules/.cache); nothing of theirs is stored in this project.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onboardProject } from '../helpers/onboard.ts';

const CORPUS = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'corpus-onboard');
const present = fs.existsSync(path.join(CORPUS, 'build.mjs'));
const CACHE = path.resolve(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'swe-bot-onboard');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-onboard-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

interface Recipe {
  id: string;
  failing_tests: string[];
}

// The corpus lives beside the project (../shared/corpus-onboard); a checkout without it has nothing to run here.
describe.skipIf(!present)('onboarding with no configuration', () => {
  const recipes = present ? (JSON.parse(fs.readFileSync(path.join(CORPUS, 'recipes.json'), 'utf8')) as Recipe[]) : [];

  beforeAll(() => {
    execFileSync(process.execPath, [path.join(CORPUS, 'build.mjs'), path.join(CORPUS, 'recipes.json'), work], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ONBOARD_CACHE: CACHE },
      timeout: 600_000,
    });
  }, 600_000);

  it.each(recipes.map((recipe) => [recipe.id, recipe] as const))('%s comes out verified, the bug\'s tests as the evidence', async (_id, recipe) => {
    const outcome = await onboardProject(path.join(work, recipe.id));
    expect(outcome.verdict, JSON.stringify(outcome)).toBe('verified');
    expect([...(outcome.failToPass ?? [])].sort()).toEqual([...recipe.failing_tests].sort());
    expect(outcome.passToFail).toEqual([]);
  });
});
