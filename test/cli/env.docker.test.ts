/**
 * `swe-bot env`: the environment of a local repository, built or reused, and
 * its errors; and the default most users run — no SWE_BOT_EXTRA_CA_CERTS,
 * through bin/swe-bot.js as `npx swe-bot` runs it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureRepo, type FixtureRepo } from '../helpers/git-fixture.ts';
import { runBin, runCli } from '../helpers/cli.ts';
import { removeImage, runInImage, testSandbox } from '../helpers/sandbox.ts';

const repos: FixtureRepo[] = [];
const images: string[] = [];
afterAll(async () => {
  const { docker } = testSandbox();
  for (const image of images) await removeImage(docker, image);
  for (const repo of repos) repo.remove();
});

function repo(): FixtureRepo {
  const made = fixtureRepo('python-repo');
  repos.push(made);
  return made;
}

describe('swe-bot env', () => {
  it('builds the environment, then reports it cached, and leaves the working copy alone', async () => {
    const made = repo();
    // A unique setup command gives a key no earlier run has built.
    const marker = `env-cli-${Date.now()}`;
    made.commit({ '.github/swe-bot.yml': `environment:\n  setup: ["echo ${marker}"]\n` });
    const before = fs.readdirSync(made.dir).sort();

    const first = await runCli(['env', '--repo', made.dir, '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const built = JSON.parse(first.stdout) as { image: string; cached: boolean; logFile: string; spec: { language: string; setup: string[] } };
    images.push(built.image);
    expect(built).toMatchObject({ cached: false, spec: { language: 'python', setup: [`echo ${marker}`] } });
    expect(fs.readFileSync(built.logFile, 'utf8')).toContain(marker);

    const second = await runCli(['env', '--repo', made.dir]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`^cached ${built.image.replace(/[/:]/g, '.')}`));
    // The setup from .github/swe-bot.yml, the test command from detection.
    expect(second.stdout).toContain(`setup (configured): echo ${marker}; test (detected): python -m pytest -rA`);
    expect(fs.readdirSync(made.dir).sort()).toEqual(before);
  });

  it('builds a pytest-only Python repository with SWE_BOT_EXTRA_CA_CERTS unset, through bin/swe-bot.js', async () => {
    const made = repo();
    // A requirements file of comments only: a key no earlier run has built, and nothing to download.
    made.commit({ 'requirements.txt': `# env-cli-unset-${Date.now()}\n` });
    const run = await runBin(['env', '--repo', made.dir, '--json'], { SWE_BOT_EXTRA_CA_CERTS: undefined }, 900_000);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const built = JSON.parse(run.stdout) as { image: string; cached: boolean; spec: { language: string; setup: string[]; test: string } };
    images.push(built.image);
    expect(built).toMatchObject({
      cached: false,
      spec: { language: 'python', setup: ['pip install -r requirements.txt'], test: 'python -m pytest -rA' },
    });
    // Built on the common layer without extra certificates.
    const listed = await runInImage(testSandbox().docker, built.image, 'ls -A /usr/local/share/ca-certificates/swe-bot | wc -l; python -m pytest --version 2>&1');
    expect(listed.split('\n')[0]?.trim()).toBe('0');
    expect(listed).toMatch(/pytest \d+\.\d+/);
  });

  it('quotes an invalid .github/swe-bot.yml exactly and builds nothing', async () => {
    const made = repo();
    made.commit({ '.github/swe-bot.yml': 'environment:\n  timeout_minutes: -5\n' });
    const result = await runCli(['env', '--repo', made.dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\.github\/swe-bot\.yml: environment\.timeout_minutes: .*>0/);
  });

  it('shows the failing setup command and the end of its log', async () => {
    const made = repo();
    const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-cfg-')), 'swe-bot.yml');
    fs.writeFileSync(config, 'environment:\n  setup: ["echo preparing; echo broken-dependency >&2; exit 42"]\n');
    const result = await runCli(['env', '--repo', made.dir, '--config', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('`echo preparing; echo broken-dependency >&2; exit 42` (exit code 42)');
    expect(result.stderr).toContain('broken-dependency');
    expect(result.stderr).toContain('last lines of the build log');
  });

  it('explains its usage', async () => {
    expect((await runCli(['env'])).code).toBe(2);
    expect((await runCli(['env', '--repo', '/x', '--bogus'])).code).toBe(2);
    const missing = await runCli(['env', '--repo', '/tmp/swe-bot-no-such-repo']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no commit HEAD/);
  });
});
