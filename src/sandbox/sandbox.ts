/**
 * The sandbox stage's interface: what the agent, the harness and the jobs
 * see. Images go base → environment → instance (design.md §2); everything is
 * labelled, limited and removed in `finally` or by the reaper.
 */
import type Docker from 'dockerode';
import type { SandboxSettings } from '../config/load-config.ts';
import { defaultRepoConfig, type EnvironmentConfig } from '../config/repo-config.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { ensureBaseImage, imageExists, type BaseImage } from './base-image.ts';
import { detectEnvironment, type EnvironmentSpec } from './detect.ts';
import { createDiskLimit } from './disk-limit.ts';
import { createDockerClient, pingDocker } from './docker-client.ts';
import { createEnvironmentBuilder, touchImage, type EnsureEnvironmentOptions, type Environment } from './env-image.ts';
import { applyCacheLevel, enforceDiskCap } from './image-cache.ts';
import { createInstance, startFromImage, type CreateInstanceOptions, type Instance, type InstanceDeps } from './instance.ts';
import { IMAGE_REPO, LABEL, currentOwner, labelsFor, type Owner } from './labels.ts';
import type { Language } from './languages.ts';
import { reap, startReaper, type ReapReport } from './reaper.ts';
import type { SourceRef } from './source.ts';
import { createRecipeCache, type RecipeCache } from './recipe-cache.ts';
import { createRunCache, type RunCache } from './run-cache.ts';

/** How long an instance may live before any reaper may remove it. */
export const INSTANCE_TTL_MS = 6 * 60 * 60_000;

export interface SandboxDeps {
  settings: SandboxSettings;
  logger: Logger;
  /** DOCKER_HOST; unset means the local socket. */
  dockerHost?: string | undefined;
  /** An existing client (tests, the CLI); made from dockerHost otherwise. */
  docker?: Docker;
  owner?: Owner;
}

export interface Sandbox {
  readonly docker: Docker;
  readonly owner: Owner;
  /** Recipes the setup agent found, per repository state. */
  readonly recipes: RecipeCache;
  /** Test runs remembered per environment image and commit. */
  readonly runs: RunCache;
  /** Checks the engine; the error names DOCKER_HOST. */
  ping(): Promise<Docker.DockerVersion>;
  ensureBaseImage(language: Language): Promise<BaseImage>;
  /** Reads what the repository needs (config overrides win). */
  detect(source: SourceRef, overrides?: EnvironmentConfig): Promise<EnvironmentSpec>;
  /** The environment image for the repository, built once per key. */
  ensureEnvironment(source: SourceRef, spec: EnvironmentSpec, options?: EnsureEnvironmentOptions): Promise<Environment>;
  /** A container with the repository at `source.commit` in /testbed. */
  createInstance(env: Environment, source: SourceRef, options?: CreateInstanceOptions): Promise<Instance>;
  /** createInstance, run `fn`, and remove the container whatever happens. */
  withInstance<T>(env: Environment, source: SourceRef, fn: (instance: Instance) => Promise<T>, options?: CreateInstanceOptions): Promise<T>;
  /** After a job: apply the cache level (once the work started beside the job is done: see idle). */
  release(env: Environment): Promise<void>;
  /**
   * Resolves when the work started beside the jobs is done: build containers
   * removed, the image cache brought under its cap. A process that exits calls it first.
   */
  idle(): Promise<void>;
  reap(): Promise<ReapReport>;
  startReaper(intervalMs?: number): { stop(): void; done: Promise<ReapReport> };
}

export function createSandbox(deps: SandboxDeps): Sandbox {
  const docker = deps.docker ?? createDockerClient(deps.dockerHost);
  const owner = deps.owner ?? currentOwner();
  const { settings, logger } = deps;
  let limits: Promise<InstanceDeps['limits']> | undefined;
  // One per sandbox: it remembers whether the engine takes a storage quota.
  const disk = createDiskLimit({ docker, logger, bytes: settings.diskBytes });

  // Docker refuses a CPU limit above the engine's core count.
  // The first call also checks the engine, so an unreachable one fails with
  // an error that names DOCKER_HOST instead of a bare ENOENT.
  const engineLimits = (): Promise<InstanceDeps['limits']> =>
    (limits ??= pingDocker(docker, deps.dockerHost)
      .then(() => docker.info() as Promise<{ NCPU?: number }>)
      .then((info) => ({
        memoryBytes: settings.memoryBytes,
        pids: settings.pids,
        cpus: Math.min(settings.cpus, info.NCPU ?? settings.cpus),
      }))
      .catch((error: unknown) => {
        limits = undefined;
        throw error;
      }));

  const instanceDeps = async (): Promise<InstanceDeps> => ({
    docker,
    logger,
    owner,
    limits: await engineLimits(),
    execTimeoutMs: settings.execTimeoutMs,
    ttlMs: INSTANCE_TTL_MS,
    disk,
  });

  let builder: ReturnType<typeof createEnvironmentBuilder> | undefined;
  /** The last eviction pass started (enforceDiskCap runs one at a time). */
  let eviction: Promise<void> | undefined;
  const envBuilder = async (): Promise<ReturnType<typeof createEnvironmentBuilder>> =>
    (builder ??= createEnvironmentBuilder({ docker, settings, logger, owner, limits: await engineLimits(), disk }));

  const sandbox: Sandbox = {
    docker,
    owner,
    recipes: createRecipeCache(settings.recipeDir),
    runs: createRunCache(docker, settings.runDir),
    ping: () => pingDocker(docker, deps.dockerHost),
    ensureBaseImage: async (language) => {
      await engineLimits();
      return ensureBaseImage({ docker, settings, logger, owner }, language);
    },
    detect: (source, overrides = defaultRepoConfig().environment) => detectEnvironment(source, overrides),
    async ensureEnvironment(source, spec, options = {}) {
      const env = await (await envBuilder()).ensure(source, spec, options);
      // A new image may push the cache past its cap. Measuring the disk takes
      // seconds, so it runs beside the job (an image in use is never evicted) and release() waits for it.
      if (!env.cached) {
        eviction = enforceDiskCap(docker, settings.imageCacheMaxBytes, logger).then(
          () => undefined,
          (error: unknown) => logger.warn({ err: describeError(error) }, 'cannot keep the image cache under its cap'),
        );
      }
      return env;
    },

    async createInstance(env, source, options = {}) {
      const ideps = await instanceDeps();
      if (settings.cacheLevel !== 'instance') return createInstance(ideps, env.image, source, options);
      // Cache level `instance`: keep one image per environment and commit.
      const ref = `${IMAGE_REPO.instance}:${env.key.slice(0, 20)}-${source.commit.slice(0, 20)}`;
      if (await imageExists(docker, ref)) {
        await touchImage(docker, ref);
        return startFromImage(ideps, ref, source.commit, options);
      }
      const instance = await createInstance(ideps, env.image, source, options);
      const labels = labelsFor('instance', { owner, ttlMs: Number.MAX_SAFE_INTEGER / 2, extra: { [LABEL.envKey]: env.key } });
      const at = ref.lastIndexOf(':');
      await instance.container
        .commit({
          repo: ref.slice(0, at),
          tag: ref.slice(at + 1),
          pause: true,
          changes: Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
        })
        .catch((error: unknown) => logger.warn({ err: String(error) }, 'cannot keep the instance image'));
      return instance;
    },

    async withInstance(env, source, fn, options = {}) {
      const instance = await sandbox.createInstance(env, source, options);
      try {
        return await fn(instance);
      } finally {
        await instance.remove();
      }
    },

    async idle() {
      await Promise.all([eviction, builder?.idle()]);
    },

    async release(env) {
      await sandbox.idle();
      const images = [{ ref: env.image, role: 'env' }];
      // A user-named base image (environment.base_image) is not ours to remove.
      if (env.spec.baseImage === 'auto') images.push({ ref: env.baseImage, role: 'base' });
      // The disk cap is enforced when an image is added (ensureEnvironment);
      // computing disk usage is slow, so it is not repeated here.
      await applyCacheLevel(docker, settings.cacheLevel, images);
    },

    reap: () => reap({ docker, owner, logger }),
    startReaper: (intervalMs) => startReaper({ docker, owner, logger }, intervalMs),
  };
  return sandbox;
}

export type { EnsureEnvironmentOptions, Environment, EnvironmentSpec, Instance, SourceRef };
export type { EgressRefusal } from './egress-proxy.ts';
