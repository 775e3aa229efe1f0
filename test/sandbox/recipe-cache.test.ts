import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EnvironmentSpec } from '../../src/sandbox/detect.ts';
import { createRecipeCache } from '../../src/sandbox/recipe-cache.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const detected: EnvironmentSpec = {
  language: 'node',
  baseImage: 'auto',
  nodeMajor: 24,
  packageManager: 'npm',
  setup: ['npm ci'],
  test: 'npm test',
  logParser: 'auto',
  timeoutMs: 60_000,
  manifests: { 'package.json': 'aa' },
  origin: { setup: 'detection', test: 'detection' },
};
const recipe = { setup: ['npm ci'], test: 'node --test --test-reporter=tap', logParser: 'tap' };

describe('recipe cache', () => {
  it('keeps a recipe per repository state and survives a new process', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-recipes-'));
    dirs.push(dir);
    await createRecipeCache(dir).put(detected, recipe);
    const cache = createRecipeCache(dir);
    expect(await cache.get(detected)).toEqual(recipe);
    // A changed manifest or detected command is another state: the agent must look again.
    expect(await cache.get({ ...detected, manifests: { 'package.json': 'bb' } })).toBeUndefined();
    expect(await cache.get({ ...detected, test: 'pnpm test' })).toBeUndefined();
    // The timeout is not part of the state.
    expect(await cache.get({ ...detected, timeoutMs: 1 })).toEqual(recipe);
  });

  it('treats a file it cannot read as no recipe', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-recipes-'));
    dirs.push(dir);
    const cache = createRecipeCache(dir);
    await cache.put(detected, recipe);
    const [file] = fs.readdirSync(dir);
    fs.writeFileSync(path.join(dir, file ?? ''), '{"setup": [');
    expect(await cache.get(detected)).toBeUndefined();
    expect(await createRecipeCache(path.join(dir, 'missing')).get(detected)).toBeUndefined();
  });
});
