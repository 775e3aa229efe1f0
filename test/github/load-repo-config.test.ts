import { Octokit } from '@octokit/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRepoConfig } from '../../src/config/repo-config.ts';
import { ConfigError } from '../../src/errors.ts';
import { loadRepoConfigFromGitHub, parseExtends } from '../../src/github/load-repo-config.ts';
import { fileContent, mockGitHub, replies, type GitHubReply, type MockGitHub } from '../helpers/github-api.ts';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const where = { owner: 'acme', repo: 'widgets' };
const OWN = 'GET /repos/acme/widgets/contents/.github/swe-bot.yml';
const ORG = 'GET /repos/acme/.github/contents/.github/swe-bot.yml';

/** What GitHub sends for `Accept: application/vnd.github.raw+json`: the file's bytes. */
const raw = (text: string): GitHubReply => ({ body: text, headers: { 'content-type': 'text/plain; charset=utf-8' } });

describe('loadRepoConfigFromGitHub', () => {
  let gh: MockGitHub;
  afterEach(() => gh.close());
  const octokit = (): Octokit => new Octokit({ baseUrl: gh.baseUrl, auth: gh.token, log: silent });

  it("reads the repository's own file, as raw bytes, at the ref asked for", async () => {
    gh = mockGitHub();
    gh.on(OWN, raw('fix:\n  candidates: 3\n  label: please-fix\n'));
    const loaded = await loadRepoConfigFromGitHub(octokit(), { ...where, ref: 'feature' });
    expect(loaded.sources).toEqual(['acme/widgets:.github/swe-bot.yml']);
    expect(loaded.config.fix).toMatchObject({ candidates: 3, label: 'please-fix', min_permission: 'write' });
    expect(loaded.config.review).toEqual(defaultRepoConfig().review);
    expect(gh.operations()).toEqual(['repos/get-content']);
    expect(gh.requests[0]?.query).toEqual({ ref: 'feature' });
    expect(gh.requests[0]?.headers.accept).toMatch(/raw/);
    gh.done();
  });

  it('also takes the JSON form (base64 content)', async () => {
    gh = mockGitHub();
    gh.on(OWN, { body: fileContent('.github/swe-bot.yml', 'review:\n  max_comments: 4\n') });
    const loaded = await loadRepoConfigFromGitHub(octokit(), where);
    expect(loaded.config.review.max_comments).toBe(4);
    gh.done();
  });

  it('_extends: .github puts the organisation file under the own one', async () => {
    gh = mockGitHub();
    gh.on(OWN, raw('_extends: .github\nreview:\n  max_comments: 5\n'));
    gh.on(ORG, raw('fix:\n  candidates: 4\nreview:\n  max_comments: 9\n  skip_drafts: false\n'));
    const loaded = await loadRepoConfigFromGitHub(octokit(), where);
    expect(loaded.sources).toEqual(['acme/.github:.github/swe-bot.yml', 'acme/widgets:.github/swe-bot.yml']);
    expect(loaded.config.fix.candidates).toBe(4);
    expect(loaded.config.review).toMatchObject({ max_comments: 5, skip_drafts: false });
    expect(gh.requests.map((r) => r.path)).toEqual(['/repos/acme/widgets/contents/.github/swe-bot.yml', '/repos/acme/.github/contents/.github/swe-bot.yml']);
    gh.done();
  });

  it('_extends: owner/repo:path.yml reads that file of that repository', async () => {
    gh = mockGitHub();
    gh.on(OWN, raw('_extends: other/shared:configs/bot.yml\nfix:\n  draft: true\n'));
    gh.on('GET /repos/other/shared/contents/configs/bot.yml', raw('fix:\n  max_iterations: 20\n  draft: false\n'));
    const loaded = await loadRepoConfigFromGitHub(octokit(), where);
    expect(loaded.sources).toEqual(['other/shared:configs/bot.yml', 'acme/widgets:.github/swe-bot.yml']);
    expect(loaded.config.fix).toMatchObject({ max_iterations: 20, draft: true });
    gh.done();
  });

  it('without a file of its own, takes the organisation defaults from the owner’s .github repository', async () => {
    gh = mockGitHub();
    gh.on(OWN, replies.notFound());
    gh.on(ORG, raw('environment:\n  timeout_minutes: 10\n'));
    const loaded = await loadRepoConfigFromGitHub(octokit(), where);
    expect(loaded.sources).toEqual(['acme/.github:.github/swe-bot.yml']);
    expect(loaded.config.environment.timeout_minutes).toBe(10);
    expect(gh.operations()).toEqual(['repos/get-content', 'repos/get-content']);
    gh.done();
  });

  it('with no file anywhere, all defaults', async () => {
    gh = mockGitHub();
    gh.on(OWN, replies.notFound());
    gh.on(ORG, replies.notFound());
    expect(await loadRepoConfigFromGitHub(octokit(), where)).toEqual({ config: defaultRepoConfig(), sources: [] });
    gh.done();
  });

  it('the .github repository itself without a file: defaults, without looking twice', async () => {
    gh = mockGitHub();
    gh.on(ORG, replies.notFound());
    expect(await loadRepoConfigFromGitHub(octokit(), { owner: 'acme', repo: '.github' })).toEqual({ config: defaultRepoConfig(), sources: [] });
    expect(gh.operations()).toEqual(['repos/get-content']);
    gh.done();
  });

  it('invalid YAML is a ConfigError naming the file and the line', async () => {
    gh = mockGitHub();
    gh.on(OWN, raw('fix:\n  candidates: [1,\n'));
    const error = await loadRepoConfigFromGitHub(octokit(), where).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^acme\/widgets:\.github\/swe-bot\.yml: .*line 3/s);
  });

  it('an invalid value is a ConfigError quoting the file and the field', async () => {
    gh = mockGitHub();
    gh.on(OWN, raw('fix:\n  candidates: 99\nreview:\n  colour: blue\n'));
    const error = await loadRepoConfigFromGitHub(octokit(), where).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('acme/widgets:.github/swe-bot.yml: ');
    expect((error as Error).message).toMatch(/fix\.candidates: .*16/);
    expect((error as Error).message).toContain('colour');
  });

  it('an invalid value in the extended file names both files', async () => {
    gh = mockGitHub();
    gh.on(OWN, raw('_extends: .github\n'));
    gh.on(ORG, raw('fix:\n  min_permission: god\n'));
    await expect(loadRepoConfigFromGitHub(octokit(), where)).rejects.toThrow(/acme\/\.github:\.github\/swe-bot\.yml \+ acme\/widgets:\.github\/swe-bot\.yml: fix\.min_permission/);
  });

  it('_extends to a missing file is a clear error', async () => {
    gh = mockGitHub();
    gh.on(OWN, raw('_extends: acme/settings\n'));
    gh.on('GET /repos/acme/settings/contents/.github/swe-bot.yml', replies.notFound());
    const error = await loadRepoConfigFromGitHub(octokit(), where).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('acme/widgets:.github/swe-bot.yml: _extends: acme/settings:.github/swe-bot.yml does not exist or the app cannot read it');
    gh.done();
  });

  it('_extends that is no repository name is refused', async () => {
    gh = mockGitHub();
    gh.on(OWN, raw('_extends: [a, b]\n'));
    await expect(loadRepoConfigFromGitHub(octokit(), where)).rejects.toThrow(/_extends: expected a repository name/);
  });

  it('a directory where the file should be is reported', async () => {
    gh = mockGitHub();
    gh.on(OWN, { body: [fileContent('.github/swe-bot.yml/a', 'x')] });
    await expect(loadRepoConfigFromGitHub(octokit(), where)).rejects.toThrow('acme/widgets:.github/swe-bot.yml is not a file');
  });

  it('other errors than 404 propagate', async () => {
    gh = mockGitHub();
    gh.on(OWN, replies.error(403, 'Resource not accessible by integration'));
    await expect(loadRepoConfigFromGitHub(octokit(), where)).rejects.toMatchObject({ status: 403 });
  });

  it('parses _extends forms', () => {
    expect(parseExtends('.github', 'acme')).toEqual({ owner: 'acme', repo: '.github', path: '.github/swe-bot.yml' });
    expect(parseExtends('o/r', 'acme')).toEqual({ owner: 'o', repo: 'r', path: '.github/swe-bot.yml' });
    expect(parseExtends(' o/r:x/y.yml ', 'acme')).toEqual({ owner: 'o', repo: 'r', path: 'x/y.yml' });
    expect(parseExtends('shared:bot.yml', 'acme')).toEqual({ owner: 'acme', repo: 'shared', path: 'bot.yml' });
  });
});
