/**
 * Environment images: a base image plus one repository's dependencies, built
 * by running the repository's setup commands once (reaching the registries through the egress proxy only) and
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
import { buildSecretsFor } from '../config/build-secrets.ts';
import { ensureBaseImage, imageExists, type BaseImageDeps } from './base-image.ts';
import { buildEgressRules, openBuildEgress, type BuildEgress } from './build-egress.ts';
import type { DiskLimit } from './disk-limit.ts';
import type { EgressRefusal } from './egress-proxy.ts';
import { containerSpec } from './container-spec.ts';
import type { EnvironmentSpec } from './detect.ts';
import { execInContainer } from './exec.ts';
import { IMAGE_REPO, LABEL, labelsFor } from './labels.ts';
import type { Language } from './languages.ts';
import { classifyBuildFailure } from './build-failure.ts';
import { describeNodeRelease, nodeRelease } from './toolchains.ts';
import { checkoutCommit, type SourceRef } from './source.ts';
import { BUILD_LOG_TAIL_LINES, diskBuildError, redactValues, refusalFailure, secretEnv, SECRETS_DIR, setupSteps, writeNpmrc } from './setup-steps.ts';

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
  /** Connections the egress proxy refused while this image was built now (none when cached). */
  egressRefused: EgressRefusal[];
}

interface BaseRef {
  tag: string;
  key: string;
}

export interface EnvironmentBuilderDeps extends BaseImageDeps {
  limits: Pick<SandboxSettings, 'memoryBytes' | 'cpus' | 'pids'>;
  /** SWE_BOT_SANDBOX_DISK for build containers too (install scripts are untrusted code): per-file cap and watchdog. Absent: none. */
  disk?: DiskLimit;
}

export interface EnsureEnvironmentOptions {
  /** Labels the build container with the job. */
  job?: string;
  /**
   * The code is a pull request's (its head): the build gets no build secrets
   * (SWE_BOT_BUILD_SECRETS). Default false: code of a branch of the repository.
   */
  untrusted?: boolean;
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
  async function ensure(source: SourceRef, spec: EnvironmentSpec, options: EnsureEnvironmentOptions = {}): Promise<Environment> {
    const base = await resolveBase(spec);
    const key = environmentKey(base, spec);
    const env: Environment = {
      image: envImageRef(key),
      key,
      baseImage: base.tag,
      spec,
      cached: true,
      logFile: path.join(deps.settings.logDir, 'env', `${key.slice(0, 32)}.log`),
      egressRefused: [],
    };
    if (await imageExists(deps.docker, env.image)) {
      await touchImage(deps.docker, env.image);
      return env;
    }
    let pending = inFlight.get(key);
    if (!pending) {
      pending = buildWithLock(source, base, env, options).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  }

  async function buildWithLock(source: SourceRef, base: BaseRef, env: Environment, options: EnsureEnvironmentOptions): Promise<Environment> {
    const { job } = options;
    const lockName = `swe-bot-envbuild-${env.key.slice(0, 32)}`;
    const deadline = Date.now() + deps.settings.envBuildTimeoutMs * 2;
    for (;;) {
      if (await imageExists(deps.docker, env.image)) return env;
      const container = await createBuildContainer(base, env, lockName, job);
      if (container) {
        const egressRefused = await build(container, source, env, options);
        return { ...env, cached: false, egressRefused };
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
    // No network: the build reaches the registries through the egress proxy only (build-egress.ts).
    const spec = containerSpec({
      image: base.tag,
      labels,
      name,
      network: 'none',
      limits: deps.limits,
      // No quota: the build container's name is its lock, and the watchdog (build()) measures it instead.
      ...(deps.disk === undefined ? {} : { disk: { bytes: deps.disk.bytes, quota: false } }),
    });
    // Build secrets are files here: a tmpfs is never part of a commit (docker commit leaves mounts out).
    spec.HostConfig = { ...spec.HostConfig, Tmpfs: { ...spec.HostConfig?.Tmpfs, [SECRETS_DIR]: 'rw,nosuid,nodev,noexec,size=1m,uid=1000,gid=1000,mode=0700' } };
    try {
      return await deps.docker.createContainer(spec);
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

  /** Builds and commits the image; returns what the egress proxy refused on the way. */
  async function build(container: Docker.Container, source: SourceRef, env: Environment, options: EnsureEnvironmentOptions): Promise<EgressRefusal[]> {
    const { job } = options;
    const { spec } = env;
    const started = Date.now();
    const deadline = started + deps.settings.envBuildTimeoutMs;
    await fsp.mkdir(path.dirname(env.logFile), { recursive: true });
    const log = fs.createWriteStream(env.logFile);
    const transcript: string[] = [];
    let built = true;
    // A pull request's own install scripts run here: they get no credentials (issue #12).
    const secrets = options.untrusted === true ? undefined : buildSecretsFor(deps.settings.buildSecrets, source.name?.split('/')[0]);
    const secretValues = secrets === undefined ? [] : [...Object.values(secrets.env), ...(secrets.npmrc === undefined ? [] : [secrets.npmrc])];
    const write = (text: string): void => {
      // A setup command may print what it was given: the log is shown in comments.
      const clean = redactValues(text, secretValues);
      log.write(clean);
      transcript.push(clean);
      if (transcript.length > 4000) transcript.splice(0, transcript.length - 2000);
    };
    let egress: BuildEgress | undefined;
    let diskError: SandboxError | undefined;
    let stopWatch: (() => void) | undefined;
    let diskRemoval: Promise<unknown> | undefined;
    const refused = (): EgressRefusal[] => egress?.proxy.refused() ?? [];
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
      // Removed when its writable layer passes the limit: that frees the disk at once; the step then fails.
      stopWatch = deps.disk?.watch(container, (error) => {
        diskError = error;
        diskRemoval = container.remove({ force: true }).catch(() => undefined);
      });
      // No network of its own: the registries through the egress proxy only (build-egress.ts).
      egress = await openBuildEgress(deps, {
        container,
        rules: buildEgressRules(deps.settings, spec.egressAllow),
        logger: deps.logger.child({ image: env.image, repo: source.name }),
        job,
        ttlMs: deps.settings.envBuildTimeoutMs + 60_000,
      });
      const proxy = egress.proxy;
      if (secrets?.npmrc !== undefined) await writeNpmrc(container, secrets.npmrc);
      const steps = setupSteps(spec);
      for (const step of steps) {
        const remaining = deadline - Date.now();
        write(`\n$ ${step.command}\n`);
        proxy.setCommand(step.command);
        const result = await execInContainer(container, step.command, {
          timeoutMs: Math.max(1, remaining),
          ...(step.root ? { user: 'root' } : {}),
          // Exec variables are not part of the container's configuration, so a commit does not keep them.
          env: {
            SWE_BOT_NPM_REGISTRY: deps.settings.npmRegistry,
            CI: 'true',
            ...egress.env,
            ...(step.repository && secrets ? secretEnv(secrets) : {}),
          },
          onStdout: (chunk) => write(chunk.toString('utf8')),
          onStderr: (chunk) => write(chunk.toString('utf8')),
          maxOutputBytes: 64 * 1024,
        });
        if (diskError !== undefined) throw diskError;
        if (result.exitCode !== 0) {
          const logTail = tailLines(transcript.join(''), BUILD_LOG_TAIL_LINES);
          if (result.timedOut) {
            // Slow, not broken: retrying would spend the same half hour again.
            throw new ImageBuildError(`Environment setup timed out: \`${step.command}\` ran past ${deps.settings.envBuildTimeoutMs} ms`, {
              command: step.command,
              logTail,
              logFile: env.logFile,
              hint: 'raise environment.timeout_minutes in .github/swe-bot.yml, or SWE_BOT_ENV_BUILD_TIMEOUT_MS',
              egressRefused: refused(),
            });
          }
          const failure = refusalFailure(refused(), step.command) ??
            classifyBuildFailure({ log: logTail, ...(step.installsNode ? { installNodeExit: result.exitCode } : {}) });
          throw new ImageBuildError(`Environment setup failed: \`${step.command}\` (exit code ${result.exitCode}): ${failure.reason}`, {
            kind: failure.kind,
            command: step.command,
            logTail,
            logFile: env.logFile,
            egressRefused: refused(),
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
      const refusals = refused();
      for (const refusal of refusals) write(`# egress refused: ${refusal.host}:${refusal.port} (${refusal.reason}) during \`${refusal.command ?? '?'}\`\n`);
      write(`\n# built in ${Date.now() - started} ms\n`);
      deps.logger.info({ image: env.image, ms: Date.now() - started, egressRefused: refusals.length }, 'environment image built');
      return refusals;
    } catch (caught) {
      built = false;
      const error = diskError === undefined ? caught : diskBuildError(diskError, transcript, env.logFile);
      write(`\n# failed: ${describeError(error)}\n`);
      if (error instanceof ImageBuildError) throw error;
      throw new SandboxError(`Building environment ${env.image} failed: ${describeError(error)}`, {
        kind: 'transient',
        code: 'env_build_failed',
        cause: error,
      });
    } finally {
      stopWatch?.();
      const forwarderRemoved = (await egress?.close())?.removed;
      // Removing a container with installed dependencies in it takes seconds: after a
      // build, done beside the job (idle() waits for it; the reaper removes what a crash
      // left); after a failure, before the error goes on, as nothing else is waiting.
      const removal = Promise.all([
        // A removal the watchdog started answers a second one with 409 at once: wait for the first.
        diskRemoval ?? container.remove({ force: true, v: true }).catch(() => undefined),
        forwarderRemoved,
      ]).then(() => undefined);
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

/** Marks an image as just used: `docker tag` updates its LastTagTime (LRU order). */
export async function touchImage(docker: Docker, ref: string): Promise<void> {
  const at = ref.lastIndexOf(':');
  await docker
    .getImage(ref)
    .tag({ repo: ref.slice(0, at), tag: ref.slice(at + 1) })
    .catch(() => undefined);
}

export type { Language };
