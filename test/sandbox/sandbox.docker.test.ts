/**
 * Lifecycle on the real engine: the reaper, an unreachable engine, the disk
 * cap with least-recently-used eviction, cache levels.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerUnavailableError } from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import { containerSpec } from '../../src/sandbox/container-spec.ts';
import { applyCacheLevel, enforceDiskCap, listCachedImages } from '../../src/sandbox/image-cache.ts';
import { LABEL, currentOwner, labelsFor, type Owner } from '../../src/sandbox/labels.ts';
import { createSandbox } from '../../src/sandbox/sandbox.ts';
import { reap } from '../../src/sandbox/reaper.ts';
import type { Environment } from '../../src/sandbox/sandbox.ts';
import { touchImage } from '../../src/sandbox/env-image.ts';
import { fixtureRepo, type FixtureRepo } from '../helpers/git-fixture.ts';
import { containerExists, removeImage, testSandbox } from '../helpers/sandbox.ts';
import { testConfig } from '../helpers/test-config.ts';

const sandbox = testSandbox();
const docker = sandbox.docker;
const limits = { memoryBytes: 256 * 1024 * 1024, cpus: 1, pids: 64 };
let baseTag: string;
let repo: FixtureRepo;
let env: Environment;

beforeAll(async () => {
  baseTag = (await sandbox.ensureBaseImage('node')).tag;
  repo = fixtureRepo('node-repo');
  env = await sandbox.ensureEnvironment(repo.source(), await sandbox.detect(repo.source()));
});
afterAll(() => repo?.remove());

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync('true');
  return child.pid ?? 999_999;
}

async function labelledContainer(owner: Owner, ttlMs: number): Promise<string> {
  const labels = labelsFor('instance', { owner, ttlMs, job: 'reaper-test' });
  const container = await docker.createContainer(containerSpec({ image: baseTag, labels, network: 'none', limits }));
  return container.id;
}

describe('the reaper', () => {
  it('removes orphans of dead processes and expired containers, and spares live owners', async () => {
    const self = currentOwner();
    const orphan = await labelledContainer({ ...self, pid: deadPid(), bootId: 'gone' }, 60_000);
    const expired = await labelledContainer({ host: 'another-machine', pid: 1, bootId: 'x' }, -1_000);
    const mine = await labelledContainer(self, 60_000);
    const elsewhere = await labelledContainer({ host: 'another-machine', pid: 1, bootId: 'y' }, 60_000);
    const previousRun = await labelledContainer({ ...self, bootId: 'older' }, 60_000);
    try {
      const report = await reap({ docker, owner: self, logger: silentLogger() });
      expect(report.containers).toEqual(expect.arrayContaining([orphan, expired, previousRun]));
      for (const id of [orphan, expired, previousRun]) expect(await containerExists(docker, id)).toBe(false);
      for (const id of [mine, elsewhere]) expect(await containerExists(docker, id)).toBe(true);
    } finally {
      for (const id of [orphan, expired, mine, elsewhere, previousRun]) {
        await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
      }
    }
  });

  it('removes orphaned snapshot images', async () => {
    const owner = { ...currentOwner(), pid: deadPid(), bootId: 'gone' };
    const box = await sandbox.createInstance(env, repo.source());
    // A snapshot taken by a process that has since died.
    const labels = labelsFor('snapshot', { owner, ttlMs: 60_000 });
    await box.container.commit({
      repo: 'swe-bot/snapshot',
      tag: 'orphan-test',
      changes: Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
    });
    await box.remove();
    const report = await reap({ docker, owner: currentOwner(), logger: silentLogger() });
    expect(report.images.length).toBeGreaterThanOrEqual(1);
    await expect(docker.getImage('swe-bot/snapshot:orphan-test').inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('runs at start-up through the sandbox', async () => {
    const orphan = await labelledContainer({ ...currentOwner(), pid: deadPid(), bootId: 'gone' }, 60_000);
    const reaper = sandbox.startReaper(60_000);
    try {
      const report = await reaper.done;
      expect(report.containers).toContain(orphan);
    } finally {
      reaper.stop();
    }
  });
});

describe('an unreachable engine', () => {
  it('fails with an error that names DOCKER_HOST', async () => {
    const config = testConfig({ DOCKER_HOST: 'unix:///tmp/swe-bot-no-such-docker.sock' });
    const broken = createSandbox({ settings: config.sandbox, logger: silentLogger(), dockerHost: config.dockerHost });
    await expect(broken.ping()).rejects.toThrow(/DOCKER_HOST/);
    const error = await broken.createInstance(env, repo.source()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DockerUnavailableError);
    expect((error as Error).message).toContain('unix:///tmp/swe-bot-no-such-docker.sock');
    expect((error as DockerUnavailableError).transient).toBe(true);
  });
});

describe('the image cache', () => {
  /** A small image with swe-bot's env labels, made from the base image. */
  async function fakeEnvImage(tag: string, megabytes: number): Promise<string> {
    const labels = labelsFor('env', { owner: currentOwner(), ttlMs: 1e12, extra: { [LABEL.envKey]: tag } });
    const container = await docker.createContainer(containerSpec({ image: baseTag, labels: {}, network: 'none', limits }));
    try {
      await container.start();
      const exec = await container.exec({ Cmd: ['bash', '-c', `head -c ${megabytes}M /dev/urandom > /home/swe/blob`] });
      await exec.start({ Detach: false });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await container.commit({
        repo: 'swe-bot/env',
        tag,
        changes: Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
      });
    } finally {
      await container.remove({ force: true });
    }
    return `swe-bot/env:${tag}`;
  }

  it('evicts the least recently used environment images past the disk cap', async () => {
    const older = await fakeEnvImage('lru-older', 3);
    const newer = await fakeEnvImage('lru-newer', 3);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1100));
      // Using `older` and every other cached image makes `newer` the least recently used.
      await touchImage(docker, older);
      const before = await listCachedImages(docker);
      const evictable = before.filter((image) => image.role === 'env' || image.role === 'instance');
      for (const image of evictable) {
        const tag = image.tags[0];
        if (tag !== undefined && tag !== newer && tag !== older) await touchImage(docker, tag);
      }
      const total = evictable.reduce((sum, image) => sum + image.uniqueBytes, 0);
      const newerBytes = evictable.find((image) => image.tags.includes(newer))?.uniqueBytes ?? 0;
      expect(newerBytes).toBeGreaterThan(2 * 1024 * 1024);
      // Room for everything but `newer`.
      const removed = await enforceDiskCap(docker, total - newerBytes + 1024, silentLogger());
      expect(await docker.getImage(older).inspect()).toBeTruthy();
      await expect(docker.getImage(newer).inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect(removed).toHaveLength(1);
    } finally {
      await removeImage(docker, older);
      await removeImage(docker, newer);
    }
  });

  it('applies cache levels: `env` keeps environment images, `none` removes them', async () => {
    const image = await fakeEnvImage('level-test', 1);
    try {
      await applyCacheLevel(docker, 'env', [{ ref: image, role: 'env' }]);
      expect(await docker.getImage(image).inspect()).toBeTruthy();
      await applyCacheLevel(docker, 'none', [{ ref: image, role: 'env' }]);
      await expect(docker.getImage(image).inspect()).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      await removeImage(docker, image);
    }
  });

  it('releases a job\'s environment by the cache level', async () => {
    const python = fixtureRepo('python-repo');
    try {
      python.commit({ '.github/swe-bot.yml': `environment:\n  setup: ["echo release-${Date.now()}"]\n` });
      const source = python.source();
      const { parseRepoConfig } = await import('../../src/config/repo-config.ts');
      const spec = await sandbox.detect(source, parseRepoConfig(fs.readFileSync(`${python.dir}/.github/swe-bot.yml`, 'utf8')).environment);
      const built = await sandbox.ensureEnvironment(source, spec);
      try {
        // A second tag of the base image stands in for it, so the shared
        // base image itself stays for the other tests.
        const baseAlias = 'swe-bot/base-python:release-test';
        await docker.getImage(built.baseImage).tag({ repo: 'swe-bot/base-python', tag: 'release-test' });
        const job = { ...built, baseImage: baseAlias };
        try {
          await testSandbox({ SWE_BOT_CACHE_LEVEL: 'env' }).release(job);
          expect(await docker.getImage(built.image).inspect()).toBeTruthy();
          expect(await docker.getImage(baseAlias).inspect()).toBeTruthy();
          await testSandbox({ SWE_BOT_CACHE_LEVEL: 'none' }).release(job);
          await expect(docker.getImage(built.image).inspect()).rejects.toMatchObject({ statusCode: 404 });
          await expect(docker.getImage(baseAlias).inspect()).rejects.toMatchObject({ statusCode: 404 });
        } finally {
          await removeImage(docker, baseAlias);
        }
      } finally {
        await removeImage(docker, built.image);
      }
    } finally {
      python.remove();
    }
  });

  it('keeps one image per commit at cache level `instance` and starts from it next time', async () => {
    const cachedSandbox = testSandbox({ SWE_BOT_CACHE_LEVEL: 'instance' });
    const source = repo.source();
    const ref = `swe-bot/instance:${env.key.slice(0, 20)}-${source.commit.slice(0, 20)}`;
    await removeImage(docker, ref);
    try {
      const first = await cachedSandbox.createInstance(env, source);
      await first.writeFile('/testbed/scratch.txt', 'not kept\n');
      await first.remove();
      expect(await docker.getImage(ref).inspect()).toBeTruthy();
      const second = await cachedSandbox.createInstance(env, source);
      try {
        expect(second.image).toBe(ref);
        const result = await second.exec('git rev-parse HEAD; git status --porcelain');
        expect(result.stdout.trim()).toBe(source.commit);
      } finally {
        await second.remove();
      }
    } finally {
      await removeImage(docker, ref);
    }
  });
});
