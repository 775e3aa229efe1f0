/**
 * The pinned toolchains (docker/base/toolchains.json) and what depends on
 * them: the base image keys and labels, the environment keys, and the app's
 * own image. A pin change is an upgrade: it must change exactly the keys of
 * what it goes into.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import pins from '../../docker/base/toolchains.json' with { type: 'json' };
import { loadConfig } from '../../src/config/load-config.ts';
import { describeBaseImage, commonImageTag } from '../../src/sandbox/base-image.ts';
import { environmentKey } from '../../src/sandbox/env-image.ts';
import type { EnvironmentSpec } from '../../src/sandbox/detect.ts';
import { DEFAULT_BASE_OS_IMAGE, DEFAULT_NODE_MAJOR, NODE_MAJORS, describeNodeRelease, nodeRelease } from '../../src/sandbox/toolchains.ts';

const PINS_PATH = '../../docker/base/toolchains.json';

const settings = loadConfig({}).sandbox;

const nodeSpec: EnvironmentSpec = {
  language: 'node',
  baseImage: 'auto',
  nodeMajor: 20,
  packageManager: 'npm',
  setup: ['npm ci'],
  test: 'npm test',
  logParser: 'auto',
  timeoutMs: 60_000,
  manifests: { 'package.json': 'aa' },
  origin: { setup: 'detection', test: 'detection' },
};

afterEach(() => {
  vi.doUnmock(PINS_PATH);
  vi.resetModules();
});

/** The base-image and env-image modules as they are with `edit` applied to the pins. */
async function withPins(edit: (copy: typeof pins) => void) {
  const copy = structuredClone(pins);
  edit(copy);
  vi.resetModules();
  vi.doMock(PINS_PATH, () => ({ default: copy }));
  const base = await import('../../src/sandbox/base-image.ts');
  const env = await import('../../src/sandbox/env-image.ts');
  const toolchains = await import('../../src/sandbox/toolchains.ts');
  return { base, env, toolchains };
}

describe('pinned toolchains', () => {
  it('pin one exact release per major, npm beside each, and the default major among them', () => {
    expect(NODE_MAJORS).toContain(DEFAULT_NODE_MAJOR);
    expect(NODE_MAJORS).toEqual([...NODE_MAJORS].sort((a, b) => b - a));
    for (const major of NODE_MAJORS) {
      const release = nodeRelease(major);
      expect(release.node).toMatch(new RegExp(`^${major}\\.\\d+\\.\\d+$`));
      expect(release.npm).toMatch(/^\d+\.\d+\.\d+$/);
      if (release.corepack !== undefined) expect(release.corepack).toMatch(/^\d+\.\d+\.\d+$/);
    }
    // pnpm and yarn come through corepack: the default major must have it.
    expect(nodeRelease(DEFAULT_NODE_MAJOR).corepack).toBeDefined();
  });

  it('give the default OS image, which an unset SWE_BOT_BASE_OS_IMAGE means', () => {
    expect(DEFAULT_BASE_OS_IMAGE).toMatch(/^debian:[a-z]+(-slim)?$/);
    expect(loadConfig({}).sandbox.baseOsImage).toBe(DEFAULT_BASE_OS_IMAGE);
  });

  it('name the Node release in the base image description that doctor and the labels show', async () => {
    const node = await describeBaseImage('node', settings);
    const release = nodeRelease(DEFAULT_NODE_MAJOR);
    expect(node.toolchain).toBe(`${describeNodeRelease(release)} on ${DEFAULT_BASE_OS_IMAGE}`);
    expect(node.toolchain).toMatch(/^node \d+\.\d+\.\d+, npm \d+\.\d+\.\d+, corepack \d+\.\d+\.\d+ on debian:/);
    expect((await describeBaseImage('python', settings)).toolchain).toContain(DEFAULT_BASE_OS_IMAGE);
  });

  it('a new pin of the default major gives a new node base image and new node environments, and nothing else', async () => {
    const before = {
      common: await commonImageTag(settings),
      node: (await describeBaseImage('node', settings)).tag,
      python: (await describeBaseImage('python', settings)).tag,
    };
    const bumped = await withPins((copy) => {
      const entry = copy.node[String(DEFAULT_NODE_MAJOR) as keyof typeof copy.node];
      entry.node = `${DEFAULT_NODE_MAJOR}.999.0`;
    });
    expect(await bumped.base.commonImageTag(settings)).toBe(before.common);
    expect((await bumped.base.describeBaseImage('python', settings)).tag).toBe(before.python);
    expect((await bumped.base.describeBaseImage('node', settings)).tag).not.toBe(before.node);
    expect((await bumped.base.describeBaseImage('node', settings)).toolchain).toContain(`node ${DEFAULT_NODE_MAJOR}.999.0`);
  });

  it('a new pin of another major changes the environments of that major only', async () => {
    const base = { tag: 'b', key: 'base-key' };
    const keys = { node20: environmentKey(base, nodeSpec), node22: environmentKey(base, { ...nodeSpec, nodeMajor: 22 }) };
    const bumped = await withPins((copy) => {
      copy.node['20'].npm = '99.0.0';
    });
    expect(bumped.env.environmentKey(base, nodeSpec)).not.toBe(keys.node20);
    expect(bumped.env.environmentKey(base, { ...nodeSpec, nodeMajor: 22 })).toBe(keys.node22);
  });

  it('leave the registry mirror out of the keys: the tarballs are checked against the pinned versions', async () => {
    const mirror = loadConfig({ SWE_BOT_NPM_REGISTRY: 'https://npm.mirror.example/' }).sandbox;
    expect((await describeBaseImage('node', mirror)).tag).toBe((await describeBaseImage('node', settings)).tag);
  });

  it('refuse a pin that is not a release of its major, at load time', async () => {
    await expect(
      withPins((copy) => {
        copy.node['20'].node = '22.1.0';
      }),
    ).rejects.toThrow(/node\.20 is 22\.1\.0, not a 20\.x release/);
  });

  it('are what the app image installs too', () => {
    const dockerfile = fs.readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
    expect(dockerfile).toMatch(/COPY docker\/base\/toolchains\.json (\S+)\n[\s\S]*install-node\.py --pins \1 /);
    expect(dockerfile).not.toMatch(/install-node\.py \d+/);
  });
});
