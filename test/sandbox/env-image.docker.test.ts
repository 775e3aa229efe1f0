/**
 * Environment images on the real engine: built once per key and reused,
 * concurrent requests share one build, a manifest change gives a new key, a
 * failing setup command fails with its command and log tail, classified
 * (permanent, or transient when the network failed), and another Node major
 * comes at its pinned release.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageBuildError } from '../../src/errors.ts';
import { LABEL } from '../../src/sandbox/labels.ts';
import { fixtureRepo, type FixtureRepo } from '../helpers/git-fixture.ts';
import { removeImage, testSandbox } from '../helpers/sandbox.ts';
import { defaultRepoConfig } from '../../src/config/repo-config.ts';
import { nodeRelease } from '../../src/sandbox/toolchains.ts';
import { closedPort } from '../helpers/ports.ts';
import { startTlsServer } from '../helpers/tls-server.ts';

const sandbox = testSandbox();
const images = new Set<string>();
const repos: FixtureRepo[] = [];

/** A Node fixture whose environment key no earlier run has built. */
function freshNodeRepo(): FixtureRepo {
  const repo = fixtureRepo('node-repo');
  const pkg = JSON.parse(fs.readFileSync(`${repo.dir}/package.json`, 'utf8')) as Record<string, unknown>;
  pkg.description = `fixture ${randomUUID()}`;
  repo.commit({ 'package.json': `${JSON.stringify(pkg, null, 2)}\n` });
  repos.push(repo);
  return repo;
}

afterAll(async () => {
  for (const image of images) await removeImage(sandbox.docker, image);
  for (const repo of repos) repo.remove();
});

describe('environment images', () => {
  it('builds once and reuses the image for the next request (cache hit, no rebuild)', async () => {
    const repo = freshNodeRepo();
    const source = repo.source();
    const spec = await sandbox.detect(source);
    expect(spec).toMatchObject({ language: 'node', packageManager: 'npm', setup: ['npm ci'], test: 'npm test -- --test-reporter=tap', logParser: 'tap' });

    const first = await sandbox.ensureEnvironment(source, spec);
    images.add(first.image);
    expect(first.cached).toBe(false);
    const builtId = (await sandbox.docker.getImage(first.image).inspect()).Id;
    expect(fs.readFileSync(first.logFile, 'utf8')).toContain('$ npm ci');

    const second = await sandbox.ensureEnvironment(source, await sandbox.detect(source));
    expect(second.cached).toBe(true);
    expect(second.key).toBe(first.key);
    expect((await sandbox.docker.getImage(second.image).inspect()).Id).toBe(builtId);

    // The dependency is in the image, and the repository's own files are not:
    // instances copy those in at their own commit.
    await sandbox.withInstance(first, source, async (instance) => {
      const result = await instance.exec('ls node_modules && git status --porcelain && npm test');
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('is-number');
    });
  });

  it('lets concurrent requests for one key wait for a single build', async () => {
    const repo = freshNodeRepo();
    const source = repo.source();
    const spec = await sandbox.detect(source);
    const since = Math.floor(Date.now() / 1000) - 1;
    // Two requests in this sandbox share a promise; a second sandbox (as a
    // second process would) finds the build container's name taken and waits.
    const other = testSandbox();
    const [a, b, c] = await Promise.all([
      sandbox.ensureEnvironment(source, spec),
      sandbox.ensureEnvironment(source, spec),
      other.ensureEnvironment(source, spec),
    ]);
    images.add(a.image);
    expect(new Set([a.image, b.image, c.image]).size).toBe(1);
    // Exactly one build container was created for the key.
    const events = await engineEvents(since, { type: ['container'], event: ['create'], label: [`${LABEL.envKey}=${a.key}`] });
    expect(events).toHaveLength(1);
  });

  it('gives a new environment when a lock file changes, and keeps the old one', async () => {
    const repo = freshNodeRepo();
    const before = repo.source();
    const oldSpec = await sandbox.detect(before);
    const old = await sandbox.ensureEnvironment(before, oldSpec);
    images.add(old.image);

    const lock = fs.readFileSync(`${repo.dir}/package-lock.json`, 'utf8');
    repo.commit({ 'package-lock.json': lock.replace('"version": "1.0.0"', '"version": "1.0.1"') });
    const after = repo.source();
    const newSpec = await sandbox.detect(after);
    expect(newSpec.manifests['package-lock.json']).not.toBe(oldSpec.manifests['package-lock.json']);
    const next = await sandbox.ensureEnvironment(after, newSpec);
    images.add(next.image);
    expect(next.key).not.toBe(old.key);
    expect(next.cached).toBe(false);

    // A change outside the manifests reuses the environment.
    repo.commit({ 'index.js': '// unrelated\n' + fs.readFileSync(`${repo.dir}/index.js`, 'utf8') });
    const same = await sandbox.ensureEnvironment(repo.source(), await sandbox.detect(repo.source()));
    expect(same).toMatchObject({ key: next.key, cached: true });
  });

  it('fails a build whose setup command fails, with the command and the log tail, and leaves nothing running', async () => {
    const repo = freshNodeRepo();
    const source = repo.source();
    const overrides = {
      ...defaultRepoConfig().environment,
      setup: ['for i in $(seq 1 150); do echo "line $i"; done; echo "the-last-words"; exit 3'],
    };
    const spec = await sandbox.detect(source, overrides);
    const error = await sandbox.ensureEnvironment(source, spec).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ImageBuildError);
    const failure = error as ImageBuildError;
    expect(failure.command).toBe(overrides.setup[0]);
    expect(failure.message).toContain('exit code 3');
    const tail = failure.logTail.split('\n');
    expect(tail.length).toBeLessThanOrEqual(100);
    expect(failure.logTail).toContain('the-last-words');
    expect(failure.logTail).toContain('line 150');
    expect(failure.logTail).not.toContain('line 10\n');
    expect(fs.readFileSync(failure.logFile ?? '', 'utf8')).toContain('line 1\n');
    expect(failure.kind).toBe('permanent');

    const leftovers = await sandbox.docker.listContainers({ all: true, filters: { label: [`${LABEL.role}=env-build`] } });
    expect(leftovers.filter((c) => c.Labels[LABEL.owner]?.includes(`/${process.pid}/`))).toEqual([]);
    const key = (await import('../../src/sandbox/env-image.ts')).environmentKey(
      { tag: '', key: (await sandbox.ensureBaseImage('node')).key },
      spec,
    );
    const built = await sandbox.docker.listImages({ filters: { label: [`${LABEL.envKey}=${key}`] } });
    expect(built).toEqual([]);
  });

  it('installs the Node.js major the repository asks for', async () => {
    const repo = freshNodeRepo();
    repo.commit({ '.nvmrc': 'lts/iron\n' });
    const source = repo.source();
    const spec = await sandbox.detect(source);
    expect(spec.nodeMajor).toBe(20);
    const env = await sandbox.ensureEnvironment(source, spec);
    images.add(env.image);
    // The release pinned for 20 (docker/base/toolchains.json), not the newest of the day.
    const release = nodeRelease(20);
    await sandbox.withInstance(env, source, async (instance) => {
      const result = await instance.exec('node --version && npm --version && corepack --version && npm test');
      expect(result.exitCode).toBe(0);
      expect(result.stdout.split('\n').slice(0, 3)).toEqual([`v${release.node}`, release.npm, release.corepack]);
    });
    const labels = (await sandbox.docker.getImage(env.image).inspect()).Config.Labels;
    expect(labels[LABEL.toolchain]).toBe(`node ${release.node}, npm ${release.npm}, corepack ${release.corepack}`);
  });

  it('fails for good, naming SWE_BOT_EXTRA_CA_CERTS, when the registry\'s certificate is not trusted; and transiently when it is unreachable', async () => {
    const tls = await startTlsServer();
    try {
      const failures: ImageBuildError[] = [];
      for (const registry of [tls.url, `http://127.0.0.1:${await closedPort()}`]) {
        // Node 20 is not in the base image: the build installs it from SWE_BOT_NPM_REGISTRY.
        const box = testSandbox({ SWE_BOT_NPM_REGISTRY: registry });
        const repo = freshNodeRepo();
        repo.commit({ '.nvmrc': '20\n' });
        const error = await box.ensureEnvironment(repo.source(), await box.detect(repo.source())).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ImageBuildError);
        failures.push(error as ImageBuildError);
      }
      const [untrusted, unreachable] = failures;
      expect(untrusted?.kind).toBe('permanent');
      expect(untrusted?.message).toContain('a TLS certificate was not trusted');
      expect(untrusted?.hint).toContain('SWE_BOT_EXTRA_CA_CERTS');
      expect(untrusted?.logTail).toMatch(/swe-bot-install-node: cannot fetch https:\/\/127\.0\.0\.1:\d+\/node-linux-\w+: the registry's TLS certificate is not trusted/);
      expect(unreachable?.kind).toBe('transient');
      expect(unreachable?.message).toContain('the network failed during the build');
      // Through the egress proxy, which could not connect: its 502.
      expect(unreachable?.logTail).toMatch(/502: Bad Gateway|Connection refused/);
    } finally {
      await tls.close();
    }
  });

  it('stops a build whose setup writes past SWE_BOT_SANDBOX_DISK, saying so, and leaves no container', async () => {
    const box = testSandbox({ SWE_BOT_SANDBOX_DISK: '100m' });
    const repo = freshNodeRepo();
    // Many files, none past the per-file cap: only the watchdog of the writable layer stops this.
    const writer = 'for i in $(seq 60); do head -c 10485760 /dev/zero > big-$i; sleep 0.1; done';
    const spec = await box.detect(repo.source(), { ...defaultRepoConfig().environment, setup: [writer] });
    const started = Date.now();
    const error = await box.ensureEnvironment(repo.source(), spec).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImageBuildError);
    expect((error as ImageBuildError).message).toMatch(/^Environment setup stopped: the sandbox passed its disk limit of 100 MiB \(SWE_BOT_SANDBOX_DISK\)/);
    expect((error as ImageBuildError).kind).toBe('permanent');
    expect((error as ImageBuildError).hint).toContain('SWE_BOT_SANDBOX_DISK');
    // Stopped well before the 600 MB the loop would write (~6 s).
    expect(Date.now() - started).toBeLessThan(15_000);
    // The build container (named after the key, as the log file is) is gone.
    const key32 = path.basename((error as ImageBuildError).logFile ?? '', '.log');
    expect(key32).toMatch(/^[0-9a-f]{32}$/);
    const left = await box.docker.listContainers({ all: true, filters: { name: [`swe-bot-envbuild-${key32}`] } });
    expect(left).toEqual([]);
  });

  it('fails for good, saying so, when environment.base_image names an image the engine does not have', async () => {
    const repo = freshNodeRepo();
    const spec = await sandbox.detect(repo.source(), { ...defaultRepoConfig().environment, base_image: 'swe-bot-test/no-such-image:1' });
    const error = await sandbox.ensureEnvironment(repo.source(), spec).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImageBuildError);
    expect((error as ImageBuildError).kind).toBe('permanent');
    expect((error as ImageBuildError).message).toContain('The base image swe-bot-test/no-such-image:1 (environment.base_image) is not present');
    expect((error as ImageBuildError).hint).toContain('environment.base_image');
  });

  it('builds a Python environment and runs pytest in an instance', async () => {
    const repo = fixtureRepo('python-repo');
    repos.push(repo);
    const source = repo.source();
    const spec = await sandbox.detect(source);
    expect(spec).toMatchObject({ language: 'python', setup: [], test: 'python -m pytest -rA', logParser: 'pytest' });
    const env = await sandbox.ensureEnvironment(source, spec);
    images.add(env.image);
    await sandbox.withInstance(env, source, async (instance) => {
      const result = await instance.exec(spec.test);
      expect(result.stdout).toMatch(/PASSED tests\/test_calc.py::test_mean_of_three/);
      expect(result.exitCode).toBe(0);
    });
  });
});

async function engineEvents(since: number, filters: Record<string, string[]>): Promise<unknown[]> {
  const until = Math.floor(Date.now() / 1000) + 1;
  const stream = (await sandbox.docker.getEvents({ since, until, filters }));
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as unknown);
}
