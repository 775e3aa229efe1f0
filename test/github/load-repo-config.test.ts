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

  it('_extends: owner/repo:.github/path.yml reads that file of that repository of the same owner', async () => {
    gh = mockGitHub();
    gh.on(OWN, raw('_extends: Acme/shared:.github/bots/swe-bot.yaml\nfix:\n  draft: true\n'));
    gh.on('GET /repos/Acme/shared/contents/.github/bots/swe-bot.yaml', raw('fix:\n  max_iterations: 20\n  draft: false\n'));
    const loaded = await loadRepoConfigFromGitHub(octokit(), where);
    expect(loaded.sources).toEqual(['Acme/shared:.github/bots/swe-bot.yaml', 'acme/widgets:.github/swe-bot.yml']);
    expect(loaded.config.fix).toMatchObject({ max_iterations: 20, draft: true });
    gh.done();
  });

  it.each([
    ['another owner', 'other/shared', /_extends: "other\/shared" is refused: only repositories of the same owner \(acme\) can be extended/],
    ['a file outside .github/', 'acme/private-secrets:secrets.yml', /"acme\/private-secrets:secrets\.yml" is refused: only a \.yml or \.yaml file under \.github\/ can be extended/],
    ['a file that is not YAML', 'shared:.github/secrets.env', /only a \.yml or \.yaml file under \.github\//],
    ['a path climbing out of .github/', 'shared:.github/../secrets.yml', /without "\.\." in its path/],
    ['a path of the root', 'shared:/.github/swe-bot.yml', /only a \.yml or \.yaml file under \.github\//],
    ['no repository name', 'acme/../x', /is refused/],
    ['a URL', 'https://evil.example/x.yml', /is refused/],
  ])('_extends to %s is refused with a ConfigError naming the rule, and nothing of it is read', async (_what, value, message) => {
    gh = mockGitHub();
    gh.on(OWN, raw(`_extends: ${JSON.stringify(value)}\n`));
    const error = await loadRepoConfigFromGitHub(octokit(), where).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^acme\/widgets:\.github\/swe-bot\.yml: _extends: /);
    expect((error as Error).message).toMatch(message);
    expect(gh.operations()).toEqual(['repos/get-content']);
    gh.done();
  });

  it("never quotes an extended file's lines, keys or values in an error: it names the file and the problem", async () => {
    gh = mockGitHub();
    const SECRETS = '.github/secrets.yml';
    gh.on(OWN, raw(`_extends: private-secrets:${SECRETS}\nfix:\n  colour: red\n`), { times: 3 });
    // Invalid YAML whose offending line holds a password.
    gh.on(`GET /repos/acme/private-secrets/contents/${SECRETS}`, raw('fix:\n  candidates: [1,\npassword: hunter2-very-secret\n'), { times: 1 });
    const yamlError = await loadRepoConfigFromGitHub(octokit(), where).catch((e: unknown) => e);
    expect(yamlError).toBeInstanceOf(ConfigError);
    expect((yamlError as Error).message).toMatch(/^acme\/private-secrets:\.github\/secrets\.yml: not valid YAML \([A-Z_]+ at line \d+, column \d+\)$/);
    // Valid YAML with unknown keys that are secrets themselves, and an invalid value.
    gh.on(`GET /repos/acme/private-secrets/contents/${SECRETS}`, raw('password: hunter2-very-secret\nfix:\n  ghp_0123456789abcdef: 1\n  candidates: hunter2-very-secret\n'), { times: 1 });
    const schemaError = await loadRepoConfigFromGitHub(octokit(), where).catch((e: unknown) => e);
    expect(schemaError).toBeInstanceOf(ConfigError);
    const message = (schemaError as Error).message;
    expect(message).toMatch(/^acme\/private-secrets:\.github\/secrets\.yml \+ acme\/widgets:\.github\/swe-bot\.yml: /);
    expect(message).toContain('fix.candidates: Invalid input: expected number, received string');
    expect(message).toContain('(top level): 1 unknown field(s) in a file of another repository (not quoted here)');
    // The own file's unknown key is named; the extended file's is only counted.
    expect(message).toContain('fix: unknown field(s) "colour"; 1 unknown field(s) in a file of another repository (not quoted here)');
    for (const secret of ['password', 'hunter2', 'ghp_0123456789abcdef']) expect(message).not.toContain(secret);
    // An alias bomb there: refused without quoting it either.
    gh.on(`GET /repos/acme/private-secrets/contents/${SECRETS}`, raw('a: &anchor_hunter2 [x, x]\nb: *unknown_hunter2\n'), { times: 1 });
    const aliasError = await loadRepoConfigFromGitHub(octokit(), where).catch((e: unknown) => e);
    expect(aliasError).toBeInstanceOf(ConfigError);
    expect((aliasError as Error).message).toMatch(/^acme\/private-secrets:\.github\/secrets\.yml: /);
    expect((aliasError as Error).message).not.toContain('hunter2');
    gh.done();
  });

  it("never quotes the organisation defaults' content in an error either", async () => {
    gh = mockGitHub();
    gh.on(OWN, replies.notFound());
    gh.on(ORG, raw('token: ghs_not-for-this-repository\nreview:\n  enabled: ghs_not-for-this-repository\n'));
    const error = await loadRepoConfigFromGitHub(octokit(), where).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'acme/.github:.github/swe-bot.yml: review.enabled: Invalid input: expected boolean, received string; ' +
        '(top level): 1 unknown field(s) in a file of another repository (not quoted here)',
    );
    gh.done();
  });

  it('an alias bomb (billion laughs) is a ConfigError, not a crash', async () => {
    gh = mockGitHub();
    let bomb = 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i < 10; i += 1) bomb += `a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(', ')}]\n`;
    gh.on(OWN, raw(bomb));
    const error = await loadRepoConfigFromGitHub(octokit(), where).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^acme\/widgets:\.github\/swe-bot\.yml: the YAML could not be read: Excessive alias count .* \(at most 100 alias expansions are allowed\)$/);
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
    expect(parseExtends('acme/r', 'acme')).toEqual({ owner: 'acme', repo: 'r', path: '.github/swe-bot.yml' });
    expect(parseExtends(' ACME/r:.github/x/y.yml ', 'acme')).toEqual({ owner: 'ACME', repo: 'r', path: '.github/x/y.yml' });
    expect(parseExtends('shared:.github/bot.yaml', 'acme')).toEqual({ owner: 'acme', repo: 'shared', path: '.github/bot.yaml' });
    for (const refused of ['o/r', 'shared:bot.yml', 'shared:.github/x/../../bot.yml', 'shared:.github/./bot.yml', 'a/b/c', 'a:b:c', '..', 'shared:.github/bot.yml?ref=x']) {
      expect(() => parseExtends(refused, 'acme'), refused).toThrow(ConfigError);
    }
  });
});
