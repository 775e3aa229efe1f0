import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cloneOrigin, payloadRepositoryProblem } from '../../src/app/payload-check.ts';
import { seededRandom } from '../helpers/seeded-random.ts';

const ORIGIN = 'https://github.com';
const REPO = { id: 42, name: 'widgets', full_name: 'acme/widgets', owner: { login: 'acme' }, clone_url: 'https://github.com/acme/widgets.git', default_branch: 'main' };
const withRepository = (patch: Record<string, unknown>): unknown => ({ action: 'labeled', repository: { ...REPO, ...patch } });


describe('payloadRepositoryProblem', () => {
  it('accepts what GitHub sends for the configured host, and payloads without a repository', () => {
    expect(payloadRepositoryProblem(withRepository({}), ORIGIN)).toBeUndefined();
    expect(payloadRepositoryProblem(withRepository({ default_branch: 'release/2.x' }), ORIGIN)).toBeUndefined();
    const ghes = cloneOrigin({ protocol: 'http', host: 'ghe.internal:8080' });
    expect(payloadRepositoryProblem(withRepository({ clone_url: 'http://ghe.internal:8080/acme/widgets.git' }), ghes)).toBeUndefined();
    // GHE_HOST written in capitals: hosts have no case.
    expect(payloadRepositoryProblem(withRepository({ clone_url: 'https://ghe.example.com/acme/widgets.git' }), cloneOrigin({ protocol: 'https', host: 'GHE.Example.com' }))).toBeUndefined();
    expect(payloadRepositoryProblem(withRepository({ clone_url: 'https://ghe.example.com/ACME/widgets.git' }), cloneOrigin({ protocol: 'https', host: 'ghe.example.com' }))).toMatch(/clone_url/);
    expect(payloadRepositoryProblem({ action: 'created', installation: { id: 1 } }, ORIGIN)).toBeUndefined();
    expect(payloadRepositoryProblem(withRepository({ name: 'my.repo_2-x', full_name: 'acme/my.repo_2-x', clone_url: 'https://github.com/acme/my.repo_2-x.git' }), ORIGIN)).toBeUndefined();
  });

  it.each([
    ['a local path', { clone_url: 'file:///etc' }, /clone_url "file:\/\/\/etc" is not "https:\/\/github\.com\/acme\/widgets\.git"/],
    ['another host', { clone_url: 'https://evil.example/acme/widgets.git' }, /clone_url/],
    ['the host as userinfo', { clone_url: 'https://github.com@evil.example/acme/widgets.git' }, /clone_url/],
    ['credentials', { clone_url: 'https://x:y@github.com/acme/widgets.git' }, /clone_url/],
    ['another repository', { clone_url: 'https://github.com/acme/secrets.git' }, /clone_url/],
    ['an option', { clone_url: '--upload-pack=touch /tmp/pwned' }, /clone_url/],
    ['ext transport', { clone_url: 'ext::sh -c touch% /tmp/pwned' }, /clone_url/],
    ['ssh', { clone_url: 'ssh://git@github.com/acme/widgets.git' }, /clone_url/],
    ['plain http', { clone_url: 'http://github.com/acme/widgets.git' }, /clone_url/],
    ['a trailing newline', { clone_url: 'https://github.com/acme/widgets.git\n' }, /clone_url/],
    ['a query', { clone_url: 'https://github.com/acme/widgets.git?x=1' }, /clone_url/],
    ['no clone URL', { clone_url: undefined }, /clone_url/],
    ['a branch that is an option', { default_branch: '--upload-pack=touch /tmp/pwned' }, /default_branch .* starts with "-"/],
    ['a branch with ..', { default_branch: 'a/../../etc' }, /default_branch/],
    ['a branch with a control character', { default_branch: 'main\u0007' }, /default_branch/],
    ['a branch with a space', { default_branch: 'ma in' }, /default_branch/],
    ['an empty branch', { default_branch: '' }, /default_branch/],
    ['a branch that is no string', { default_branch: ['main'] }, /default_branch/],
    ['a full name of another repository', { full_name: 'acme/secrets' }, /full_name "acme\/secrets" is not "acme\/widgets"/],
    ['a name with a slash', { name: 'widgets/../x', full_name: 'acme/widgets/../x', clone_url: 'https://github.com/acme/widgets/../x.git' }, /repository\.name/],
    ['a name that is ..', { name: '..', full_name: 'acme/..', clone_url: 'https://github.com/acme/...git' }, /repository\.name/],
    ['an owner with a slash', { owner: { login: 'acme/x' }, full_name: 'acme/x/widgets', clone_url: 'https://github.com/acme/x/widgets.git' }, /owner\.login/],
    ['an owner that is an option', { owner: { login: '-acme' }, full_name: '-acme/widgets', clone_url: 'https://github.com/-acme/widgets.git' }, /owner\.login/],
    ['no id', { id: '42' }, /repository\.id/],
  ])('refuses %s', (_what, patch, problem) => {
    expect(payloadRepositoryProblem(withRepository(patch), ORIGIN)).toMatch(problem);
  });

  it('refuses a repository that is not an object', () => {
    expect(payloadRepositoryProblem({ repository: 'acme/widgets' }, ORIGIN)).toMatch(/not an object/);
  });

  it('lets through only what is safe (fuzzed payloads)', () => {
    const next = seededRandom(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const FRAGMENTS = ['acme', 'widgets', 'github.com', 'https://', 'http://', 'file://', '/', '.', '..', '-', '--upload-pack=', ':', '@', '.git', ' ', '\n', '\t', '\u0000', '%2e', '?', '#', 'main', '~', '^', 'é', 'evil.example', 'x'];
    const fuzz = (): string => Array.from({ length: 1 + Math.floor(next() * 5) }, () => pick(FRAGMENTS)).join('');
    let accepted = 0;
    for (let i = 0; i < 3000; i += 1) {
      const login = next() < 0.6 ? 'acme' : fuzz();
      const name = next() < 0.6 ? 'widgets' : fuzz();
      const repository = {
        id: next() < 0.95 ? 42 : pick([0, -1, 1.5, '42', null]),
        owner: { login },
        name,
        full_name: next() < 0.8 ? `${login}/${name}` : fuzz(),
        clone_url: next() < 0.6 ? `https://github.com/${login}/${name}.git` : fuzz(),
        default_branch: next() < 0.5 ? 'main' : fuzz(),
      };
      if (payloadRepositoryProblem({ repository }, ORIGIN) !== undefined) continue;
      accepted += 1;
      // What passes: the configured origin, the repository's own name, names GitHub allows, a branch git accepts.
      expect(repository.clone_url).toBe(`https://github.com/${repository.full_name}.git`);
      expect(repository.owner.login).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]*$/);
      expect(repository.name).toMatch(/^[A-Za-z0-9._-]+$/);
      expect(['.', '..']).not.toContain(repository.name);
      expect(new URL(repository.clone_url).host).toBe('github.com');
      expect(repository.default_branch.startsWith('-')).toBe(false);
      expect(spawnSync('git', ['check-ref-format', '--branch', repository.default_branch]).status, repository.default_branch).toBe(0);
    }
    expect(accepted).toBeGreaterThan(50);
  });
});
