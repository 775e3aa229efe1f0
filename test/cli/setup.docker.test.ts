/**
 * `swe-bot setup`: the commands a local repository's tests run with,
 * confirmed by a baseline and printed with the `.github/swe-bot.yml` that
 * pins them — detected ones with no model asked, and, where detection gives
 * no run that counts, the setup agent's, which `swe-bot env` then reports too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { fixtureRepo, type FixtureRepo } from '../helpers/git-fixture.ts';
import { runCli } from '../helpers/cli.ts';
import { startScriptedModel } from '../helpers/scripted-model.ts';

const repos: FixtureRepo[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const repo of repos) repo.remove();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A data folder of the test's own: the setup agent's recipes are remembered there. */
function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-setup-cli-'));
  dirs.push(dir);
  return dir;
}

interface SetupJson {
  environment: { setup: string[]; test: string; logParser: string; origin: { setup: string; test: string } };
  tests: { total: number; passing: number; flaky: string[] };
  configFile: string;
}

describe('swe-bot setup', () => {
  it('confirms the detected commands with no model asked, and prints the file that pins them', async () => {
    const made = fixtureRepo('node-repo');
    repos.push(made);
    const model = await startScriptedModel({ replies: [] });
    try {
      const env = { SWE_BOT_DATA_DIR: dataDir(), OPENAI_BASE_URL: model.url, SWE_BOT_MODEL: 'scripted-model' };
      const text = await runCli(['setup', '--repo', made.dir], env);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/^confirmed at [0-9a-f]{12}: 2 tests, 2 passing\n/);
      expect(text.stdout).toContain('setup (detected): npm ci\ntest (detected): npm test -- --test-reporter=tap');
      const json = await runCli(['setup', '--repo', made.dir, '--json'], env);
      const result = JSON.parse(json.stdout) as SetupJson;
      expect(result.tests).toEqual({ total: 2, passing: 2, flaky: [] });
      expect(parse(result.configFile)).toEqual({ environment: { setup: ['npm ci'], test: 'npm test -- --test-reporter=tap', log_parser: 'tap' } });
      expect(model.requests).toHaveLength(0);
    } finally {
      await model.close();
    }
  });

  it("asks the setup agent when detection gives no run that counts; swe-bot env then reports the agent's recipe", async () => {
    const made = fixtureRepo('node-repo');
    repos.push(made);
    const manifest = JSON.parse(fs.readFileSync(path.join(made.dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    manifest.scripts.test = './scripts/run-tests.sh';
    made.commit({ 'package.json': `${JSON.stringify(manifest, null, 2)}\n`, '.github/swe-bot.yml': '# ours\nfix:\n  candidates: 2\n' });
    const model = await startScriptedModel({ replies: ['```yaml\nenvironment:\n  test: node --test --test-reporter=tap\n  log_parser: tap\n```\n'] });
    try {
      const env = { SWE_BOT_DATA_DIR: dataDir(), OPENAI_BASE_URL: model.url, SWE_BOT_MODEL: 'scripted-model' };
      const run = await runCli(['setup', '--repo', made.dir, '--json'], env);
      expect(run.code, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as SetupJson;
      expect(result.environment).toMatchObject({ test: 'node --test --test-reporter=tap', logParser: 'tap', origin: { setup: 'setup-agent', test: 'setup-agent' } });
      expect(result.tests.passing).toBe(2);
      // The repository's own file is kept, comment and all, with the commands added.
      expect(result.configFile).toContain('# ours');
      expect(parse(result.configFile)).toEqual({ fix: { candidates: 2 }, environment: { setup: ['npm ci'], test: 'node --test --test-reporter=tap', log_parser: 'tap' } });
      expect(model.requests).toHaveLength(1);

      const described = await runCli(['env', '--repo', made.dir], env);
      expect(described.code, described.stderr).toBe(0);
      expect(described.stdout).toContain('test (found by the setup agent): node --test --test-reporter=tap');
    } finally {
      await model.close();
    }
  });
});
