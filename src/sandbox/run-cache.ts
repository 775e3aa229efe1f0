/**
 * Test runs remembered per environment image and commit: the next job at the
 * same commit (another issue fixed from the same main, a pull request's base
 * reviewed again) reads the baseline instead of running the suite again. The
 * key holds the image's id, not its tag: an image rebuilt (its cache level let
 * it go, a new toolchain) is another environment, and its runs are run anew.
 * What is stored is the caller's (validated by its schema on the way out); only
 * runs that counted should be stored.
 */
import type Docker from 'dockerode';
import type { z } from 'zod';
import { createJsonStore } from '../util/json-store.ts';
import type { Environment } from './env-image.ts';

/** Which run: the image, the commit in /testbed, and how the tests were run. */
export interface RunKey {
  env: Environment;
  commit: string;
}

export interface RunCache {
  get<T>(run: RunKey, schema: z.ZodType<T>): Promise<T | undefined>;
  put(run: RunKey, value: unknown): Promise<void>;
}

export function createRunCache(docker: Docker, dir: string): RunCache {
  const store = createJsonStore(dir);
  const key = async ({ env, commit }: RunKey) => {
    // An image that is gone has no runs to remember.
    const info = await docker
      .getImage(env.image)
      .inspect()
      .catch(() => undefined);
    if (info === undefined) return undefined;
    const { test, logParser, timeoutMs } = env.spec;
    return { image: info.Id, commit, test, logParser, timeoutMs };
  };
  return {
    async get(run, schema) {
      const at = await key(run);
      return at === undefined ? undefined : store.get(at, schema);
    },
    async put(run, value) {
      const at = await key(run);
      if (at !== undefined) await store.put(at, value);
    },
  };
}
