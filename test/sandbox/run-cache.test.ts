import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { EnvironmentSpec } from '../../src/sandbox/detect.ts';
import type { Environment } from '../../src/sandbox/env-image.ts';
import { createRunCache } from '../../src/sandbox/run-cache.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const spec: EnvironmentSpec = {
  language: 'node',
  baseImage: 'auto',
  nodeMajor: 24,
  packageManager: 'npm',
  setup: ['npm ci'],
  test: 'npm test',
  logParser: 'tap',
  timeoutMs: 60_000,
  manifests: { 'package.json': 'aa' },
  origin: { setup: 'detection', test: 'detection' },
};
const env: Environment = { image: 'swe-bot/env:abc', key: 'abc', baseImage: 'swe-bot/base-node:1', spec, cached: true, logFile: '/dev/null', egressRefused: [] };
const Run = z.object({ passed: z.number() });

/** An engine whose images have the ids in `ids` (by reference); others are missing. */
function engine(ids: Map<string, string>): Docker {
  return {
    getImage: (ref: string) => ({
      inspect: () => {
        const id = ids.get(ref);
        return id === undefined ? Promise.reject(Object.assign(new Error('no such image'), { statusCode: 404 })) : Promise.resolve({ Id: id });
      },
    }),
  } as unknown as Docker;
}

function folder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-runs-'));
  dirs.push(dir);
  return dir;
}

describe('run cache', () => {
  it('remembers a run per image, commit and test command, across processes', async () => {
    const dir = folder();
    const ids = new Map([[env.image, 'sha256:one']]);
    await createRunCache(engine(ids), dir).put({ env, commit: 'c1' }, { passed: 3 });
    const cache = createRunCache(engine(ids), dir);
    expect(await cache.get({ env, commit: 'c1' }, Run)).toEqual({ passed: 3 });
    expect(await cache.get({ env, commit: 'c2' }, Run)).toBeUndefined();
    // Another way of running the tests is another run.
    expect(await cache.get({ env: { ...env, spec: { ...spec, test: 'npm test -- --verbose' } }, commit: 'c1' }, Run)).toBeUndefined();
    expect(await cache.get({ env: { ...env, spec: { ...spec, timeoutMs: 1 } }, commit: 'c1' }, Run)).toBeUndefined();
    // A value of another shape reads as none.
    expect(await cache.get({ env, commit: 'c1' }, z.object({ failed: z.number() }))).toBeUndefined();
  });

  it('forgets the runs of an image that was rebuilt or removed', async () => {
    const dir = folder();
    const ids = new Map([[env.image, 'sha256:one']]);
    const cache = createRunCache(engine(ids), dir);
    await cache.put({ env, commit: 'c1' }, { passed: 3 });
    ids.set(env.image, 'sha256:two');
    expect(await cache.get({ env, commit: 'c1' }, Run)).toBeUndefined();
    ids.delete(env.image);
    expect(await cache.get({ env, commit: 'c1' }, Run)).toBeUndefined();
    // Nothing is written for an image that is gone.
    await cache.put({ env, commit: 'c3' }, { passed: 1 });
    ids.set(env.image, 'sha256:one');
    expect(await cache.get({ env, commit: 'c3' }, Run)).toBeUndefined();
    expect(await cache.get({ env, commit: 'c1' }, Run)).toEqual({ passed: 3 });
  });
});
