/**
 * Environment images: a base image plus one repository's dependencies, built
 * by running the repository's setup commands once (with network) and
 * committing the result. The key hashes the base, the language, the Node
 * version, the dependency manifests and lock files and the setup commands, so
 * every issue and pull request of a repository reuses one image until a
 * manifest changes (SWE-smith's "environment first").
 *
 * Concurrency: within a process, one build per key and the others await it;
 * across processes sharing an engine, the build container's fixed name acts
 * as the lock (Docker refuses a second container of the same name).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import type { SandboxSettings } from '../config/load-config.ts';
import { ImageBuildError, SandboxError, describeError } from '../errors.ts';
import { hashJson } from '../util/canonical-json.ts';
import { tailLines } from '../util/output-cap.ts';
import { ensureBaseImage, imageExists, type BaseImageDeps } from './base-image.ts';
import { containerSpec } from './container-spec.ts';
import type { EnvironmentSpec } from './detect.ts';
import { execInContainer } from './exec.ts';
import { IMAGE_REPO, LABEL, labelsFor } from './labels.ts';
import type { Language } from './languages.ts';
import { classifyBuildFailure } from './build-failure.ts';
import { DEFAULT_NODE_MAJOR, describeNodeRelease, installNodeArgs, nodeRelease } from './toolchains.ts';
import { checkoutCommit, type SourceRef } from './source.ts';

/** Lines of output an ImageBuildError carries. */
export const BUILD_LOG_TAIL_LINES = 100;
/** How often a waiting process looks whether another's build finished. */
const LOCK_POLL_MS = 1_000;

export interface Environment {
  /** Image reference, `swe-bot/env:<key32>`. */
  image: string;
  key: string;
  /** The base image it was built on. */
  baseImage: string;
  spec: EnvironmentSpec;
  /** True when the image existed already. */
  cached: boolean;
  /** Where the build log is (also for cached images, when it was built here). */
  logFile: string;
}

interface BaseRef {
  tag: string;
  key: string;
}

export interface EnvironmentBuilderDeps extends BaseImageDeps {
  limits: Pick<SandboxSettings, 'memoryBytes' | 'cpus' | 'pids'>;
}

export function envImageRef(key: string): string {
  return `${IMAGE_REPO.env}:${key.slice(0, 32)}`;
}

/**
 * The environment key (design.md §2). For Node repositories it holds the
 * exact pinned release (docker/base/toolchains.json), not only the major, so
 * a new pin gives new environments.
 */
export function environmentKey(base: BaseRef, spec: EnvironmentSpec): string {
  return hashJson({
    base: base.key,
    language: spec.language,
    node: spec.nodeMajor === undefined ? null : describeNodeRelease(nodeRelease(spec.nodeMajor)),
    manifests: spec.manifests,
    setup: spec.setup,
  });
}

/**
 * The Node release an environment of swe-bot's own base images carries, for
 * labels and people (`node 20.20.2, npm 11.21.3, corepack 0.34.7`);
 * undefined for Python and for a base image of the user's, whose Node is its own.
 */
export function environmentToolchain(spec: EnvironmentSpec): string | undefined {
  if (spec.nodeMajor === undefined || spec.baseImage !== 'auto') return undefined;
  return describeNodeRelease(nodeRelease(spec.nodeMajor));
}

export function createEnvironmentBuilder(deps: EnvironmentBuilderDeps) {
  const inFlight = new Map<string, Promise<Environment>>();
  const removals = new Set<Promise<void>>();

  async function resolveBase(spec: EnvironmentSpec): Promise<BaseRef> {
    if (spec.baseImage === 'auto') return ensureBaseImage(deps, spec.language);
    // A user-named base image: its id goes into the key, so a new push of
    // the same tag gives a new environment.
    try {
      const info = await deps.docker.getImage(spec.baseImage).inspect();
      return { tag: spec.baseImage, key: info.Id };
    } catch (error) {
      // Only "no such image" is the configuration's fault; an engine that
      // does not answer is not, and its error says so (src/error-kind.ts).
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      throw new ImageBuildError(`The base image ${spec.baseImage} (environment.base_image) is not present: ${describeError(error)}`, {
        logTail: '',
        cause: error,
        hint: 'pull or build that image on the engine first, or set environment.base_image to auto',
      });
    }
  }

  /** Returns the environment image for `source`, building it when missing. */
  async function ensure(source: SourceRef, spec: EnvironmentSpec, options: { job?: string } = {}): Promise<Environment> {
    const base = await resolveBase(spec);
    const key = environmentKey(base, spec);
    const env: Environment = {
      image: envImageRef(key),
      key,
      baseImage: base.tag,
      spec,
      cached: true,
      logFile: path.join(deps.settings.logDir, 'env', `${key.slice(0, 32)}.log`),
    };
    if (await imageExists(deps.docker, env.image)) {
      await touchImage(deps.docker, env.image);
      return env;
    }
    let pending = inFlight.get(key);
    if (!pending) {
      pending = buildWithLock(source, base, env, options.job).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  }

  async function buildWithLock(source: SourceRef, base: BaseRef, env: Environment, job: string | undefined): Promise<Environment> {
    const lockName = `swe-bot-envbuild-${env.key.slice(0, 32)}`;
    const deadline = Date.now() + deps.settings.envBuildTimeoutMs * 2;
    for (;;) {
      if (await imageExists(deps.docker, env.image)) return env;
      const container = await createBuildContainer(base, env, lockName, job);
      if (container) {
        await build(container, source, env);
        return { ...env, cached: false };
      }
      // Another process is building this key: wait for its container to go.
      if (Date.now() > deadline) {
        throw new ImageBuildError(`Timed out waiting for another build of ${env.image}`, { kind: 'transient', logTail: '' });
      }
      await removeIfStale(lockName);
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }

  async function createBuildContainer(
    base: BaseRef,
    env: Environment,
    name: string,
    job: string | undefined,
  ): Promise<Docker.Container | undefined> {
    const labels = labelsFor('env-build', {
      owner: deps.owner,
      ttlMs: deps.settings.envBuildTimeoutMs + 60_000,
      job,
      extra: { [LABEL.envKey]: env.key },
    });
    try {
      return await deps.docker.createContainer(
        containerSpec({ image: base.tag, labels, name, network: 'host', limits: deps.limits }),
      );
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 409) return undefined;
      throw error;
    }
  }

  async function removeIfStale(name: string): Promise<void> {
    const info = await deps.docker
      .getContainer(name)
      .inspect()
      .catch(() => undefined);
    const expires = Number(info?.Config.Labels[LABEL.expiresAt] ?? Infinity);
    if (info && expires < Date.now()) {
      deps.logger.warn({ container: name }, 'removing a stale environment build');
      await deps.docker.getContainer(name).remove({ force: true }).catch(() => undefined);
    }
  }

  async function build(container: Docker.Container, source: SourceRef, env: Environment): Promise<void> {
    const { spec } = env;
    const started = Date.now();
    const deadline = started + deps.settings.envBuildTimeoutMs;
    await fsp.mkdir(path.dirname(env.logFile), { recursive: true });
    const log = fs.createWriteStream(env.logFile);
    const transcript: string[] = [];
    let built = true;
    const write = (text: string): void => {
      log.write(text);
      transcript.push(text);
      if (transcript.length > 4000) transcript.splice(0, transcript.length - 2000);
    };
    deps.logger.info({ image: env.image, repo: source.name, setup: spec.setup }, 'building environment image');
    write(`# swe-bot environment ${env.key}\n# repository ${source.name ?? source.repoDir} at ${source.commit}\n`);
    try {
      const checkout = await checkoutCommit(source);
      try {
        await container.putArchive(checkout.tar(), { path: '/testbed' });
      } finally {
        await checkout.remove();
      }
      await container.start();
      const steps = setupSteps(spec);
      for (const step of steps) {
        const remaining = deadline - Date.now();
        write(`\n$ ${step.command}\n`);
        const result = await execInContainer(container, step.command, {
          timeoutMs: Math.max(1, remaining),
          ...(step.root ? { user: 'root' } : {}),
          env: { SWE_BOT_NPM_REGISTRY: deps.settings.npmRegistry, CI: 'true' },
          onStdout: (chunk) => write(chunk.toString('utf8')),
          onStderr: (chunk) => write(chunk.toString('utf8')),
          maxOutputBytes: 64 * 1024,
        });
        if (result.exitCode !== 0) {
          const logTail = tailLines(transcript.join(''), BUILD_LOG_TAIL_LINES);
          if (result.timedOut) {
            // Slow, not broken: retrying would spend the same half hour again.
            throw new ImageBuildError(`Environment setup timed out: \`${step.command}\` ran past ${deps.settings.envBuildTimeoutMs} ms`, {
              command: step.command,
              logTail,
              logFile: env.logFile,
              hint: 'raise environment.timeout_minutes in .github/swe-bot.yml, or SWE_BOT_ENV_BUILD_TIMEOUT_MS',
            });
          }
          const failure = classifyBuildFailure({ log: logTail, ...(step.installsNode ? { installNodeExit: result.exitCode } : {}) });
          throw new ImageBuildError(`Environment setup failed: \`${step.command}\` (exit code ${result.exitCode}): ${failure.reason}`, {
            kind: failure.kind,
            command: step.command,
            logTail,
            logFile: env.logFile,
            ...(failure.hint === undefined ? {} : { hint: failure.hint }),
          });
        }
      }
      const toolchain = environmentToolchain(spec);
      const labels = labelsFor('env', {
        owner: deps.owner,
        ttlMs: Number.MAX_SAFE_INTEGER / 2,
        extra: {
          [LABEL.envKey]: env.key,
          [LABEL.language]: spec.language,
          ...(source.name === undefined ? {} : { [LABEL.repo]: source.name }),
          ...(toolchain === undefined ? {} : { [LABEL.toolchain]: toolchain }),
        },
      });
      const [repo, tag] = [IMAGE_REPO.env, env.image.slice(IMAGE_REPO.env.length + 1)];
      // Committed running (paused for the copy): stopping first costs a container stop for nothing the image keeps.
      await container.commit({
        repo,
        tag,
        pause: true,
        changes: [
          ...Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
          'USER swe',
          'WORKDIR /testbed',
          'CMD ["sleep", "infinity"]',
        ],
      });
      write(`\n# built in ${Date.now() - started} ms\n`);
      deps.logger.info({ image: env.image, ms: Date.now() - started }, 'environment image built');
    } catch (error) {
      built = false;
      write(`\n# failed: ${describeError(error)}\n`);
      if (error instanceof ImageBuildError) throw error;
      throw new SandboxError(`Building environment ${env.image} failed: ${describeError(error)}`, {
        kind: 'transient',
        code: 'env_build_failed',
        cause: error,
      });
    } finally {
      // Removing a container with installed dependencies in it takes seconds: after a
      // build, done beside the job (idle() waits for it; the reaper removes what a crash
      // left); after a failure, before the error goes on, as nothing else is waiting.
      const removal = container.remove({ force: true, v: true }).then(
        () => undefined,
        () => undefined,
      );
      if (built) {
        removals.add(removal);
        void removal.finally(() => removals.delete(removal));
      } else await removal;
      await new Promise<void>((resolve) => log.end(resolve));
    }
  }

  /** Resolves when the build containers of finished builds are gone. */
  async function idle(): Promise<void> {
    await Promise.all([...removals]);
  }

  return { ensure, resolveBase, idle };
}

export type EnvironmentBuilder = ReturnType<typeof createEnvironmentBuilder>;

interface SetupStep {
  command: string;
  root: boolean;
  /** Runs swe-bot-install-node, whose exit codes say why it failed (build-failure.ts). */
  installsNode?: true;
}

/**
 * What package managers downloaded, kept only to install faster next time:
 * the image never installs again, and every byte left is copied by the commit
 * (seconds for a real project) and stored. Not yarn 2+'s cache, which Plug'n'Play
 * reads the packages from.
 */
const DOWNLOAD_CACHES = ['"$HOME/.npm/_cacache"', '"$HOME/.cache/yarn"', '"$HOME/.cache/pip"'];

/**
 * The build steps: the Node.js version when it differs from the base image's,
 * the repository's setup commands, then the tracked files are deleted so the
 * image keeps only what setup produced (dependencies, build output); every
 * instance copies in the source at its own commit.
 */
export function setupSteps(spec: EnvironmentSpec): SetupStep[] {
  const steps: SetupStep[] = [];
  if (spec.language === 'node' && spec.nodeMajor !== undefined && spec.nodeMajor !== DEFAULT_NODE_MAJOR && spec.baseImage === 'auto') {
    const release = nodeRelease(spec.nodeMajor);
    const prefix = `/opt/node-${release.major}`;
    steps.push({
      command: [
        `swe-bot-install-node ${installNodeArgs(release, prefix).join(' ')}`,
        `ln -sfn ${prefix} /opt/node`,
        ...(release.corepack === undefined ? [] : ['corepack enable --install-directory /opt/node/bin']),
        'node --version',
      ].join(' && '),
      root: true,
      installsNode: true,
    });
  }
  for (const command of spec.setup) steps.push({ command, root: false });
  steps.push({
    command: `git ls-files -z | xargs -0 -r rm -f -- && rm -rf .git && rm -rf ${DOWNLOAD_CACHES.join(' ')}`,
    root: false,
  });
  return steps;
}

/** Marks an image as just used: `docker tag` updates its LastTagTime (LRU order). */
export async function touchImage(docker: Docker, ref: string): Promise<void> {
  const at = ref.lastIndexOf(':');
  await docker
    .getImage(ref)
    .tag({ repo: ref.slice(0, at), tag: ref.slice(at + 1) })
    .catch(() => undefined);
}

export type { Language };
