/**
 * The OS image the base Dockerfiles start FROM. It is used when present,
 * pulled when a registry answers, and otherwise bootstrapped from Debian with
 * `debootstrap --variant=minbase` and imported under the same name, so the
 * Dockerfiles stay ordinary and machines without a registry still work.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import type { SandboxSettings } from '../config/load-config.ts';
import { ImageBuildError, describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { OutputCap, tailLines } from '../util/output-cap.ts';
import { classifyBuildFailure } from './build-failure.ts';

/** How long a pull may try before we fall back to bootstrapping. */
export const PULL_TIMEOUT_MS = 120_000;
/** Wall-clock limit of debootstrap. */
export const BOOTSTRAP_TIMEOUT_MS = 15 * 60_000;

/** debootstrap's words when a download from the mirror failed. */
const MIRROR_FAILED = /Failed getting release file|Couldn't download/;

const DEBIAN_IMAGE = /^(?:docker\.io\/)?(?:library\/)?debian:([a-z]+)(?:-slim)?$/;

export interface OsImageDeps {
  docker: Docker;
  logger: Logger;
  settings: Pick<SandboxSettings, 'debianMirror' | 'osImagePull'>;
}

const inFlight = new Map<string, Promise<void>>();

export async function ensureOsImage(deps: OsImageDeps, name: string): Promise<void> {
  let pending = inFlight.get(name);
  if (!pending) {
    pending = obtainOsImage(deps, name).finally(() => inFlight.delete(name));
    inFlight.set(name, pending);
  }
  return pending;
}

async function obtainOsImage(deps: OsImageDeps, name: string): Promise<void> {
  const { docker, logger } = deps;
  try {
    await docker.getImage(name).inspect();
    return;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  let pullError: unknown = new Error('pulling is off (SWE_BOT_OS_IMAGE_PULL=never)');
  if (deps.settings.osImagePull === 'auto') {
    try {
      await pull(docker, name);
      logger.info({ image: name }, 'pulled OS image');
      return;
    } catch (error) {
      pullError = error;
      logger.warn({ image: name, err: describeError(error) }, 'cannot pull the OS image');
    }
  }
  const suite = DEBIAN_IMAGE.exec(name)?.[1];
  if (suite === undefined) {
    throw new ImageBuildError(
      `The OS image ${name} is not present and cannot be pulled (${describeError(pullError)}); ` +
        'only debian:<suite> images can be bootstrapped locally. Set SWE_BOT_BASE_OS_IMAGE to an image the engine has.',
      { logTail: describeError(pullError), cause: pullError },
    );
  }
  await bootstrapDebian(deps, name, suite);
}

async function pull(docker: Docker, name: string): Promise<void> {
  const stream = await docker.pull(name);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pull timed out after ${PULL_TIMEOUT_MS} ms`)), PULL_TIMEOUT_MS);
    docker.modem.followProgress(stream, (error: Error | null) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    });
  });
}

/** debootstrap into a temporary folder, then `docker import` it as `name`. */
async function bootstrapDebian(deps: OsImageDeps, name: string, suite: string): Promise<void> {
  const { docker, logger, settings } = deps;
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-rootfs-'));
  const started = Date.now();
  logger.info({ image: name, suite, mirror: settings.debianMirror }, 'bootstrapping the OS image from Debian');
  try {
    const output = new OutputCap(256 * 1024);
    const code = await run('debootstrap', ['--variant=minbase', suite, root, settings.debianMirror], output);
    if (code !== 0) {
      const log = output.toString();
      // A mirror that did not answer is worth another try; no root or no
      // debootstrap is not. debootstrap says only "Failed getting release
      // file" when its download failed, whatever the cause.
      const failure = MIRROR_FAILED.test(log)
        ? { kind: 'transient' as const, reason: 'the Debian mirror did not answer', hint: 'check that SWE_BOT_DEBIAN_MIRROR answers from this machine' }
        : classifyBuildFailure({ log });
      throw new ImageBuildError(
        `debootstrap ${suite} failed (exit ${code}): ${failure.kind === 'transient' ? failure.reason : 'it needs root, the debootstrap package and the mirror'} (${settings.debianMirror})`,
        {
          kind: failure.kind,
          command: `debootstrap --variant=minbase ${suite} ${root} ${settings.debianMirror}`,
          logTail: tailLines(log, 100),
          hint: failure.hint ?? 'run swe-bot as root once (or give the engine the OS image: SWE_BOT_BASE_OS_IMAGE), with debootstrap installed (scripts/setup-host.sh installs it)',
        },
      );
    }
    // Keep the image small: package lists and caches are fetched again by apt.
    await fs.rm(path.join(root, 'var/cache/apt/archives'), { recursive: true, force: true });
    await fs.mkdir(path.join(root, 'var/cache/apt/archives/partial'), { recursive: true });
    const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const [repo, tag] = splitRef(name);
    const stream = await docker.importImage(tar.stdout, { repo, tag });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()));
    });
    logger.info({ image: name, ms: Date.now() - started }, 'OS image bootstrapped');
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

function splitRef(ref: string): [string, string] {
  const at = ref.lastIndexOf(':');
  if (at <= ref.lastIndexOf('/')) return [ref, 'latest'];
  return [ref.slice(0, at), ref.slice(at + 1)];
}

function run(command: string, args: string[], output: OutputCap): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), BOOTSTRAP_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.on('error', (error) => {
      output.push(Buffer.from(String(error)));
      clearTimeout(timer);
      resolve(127);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}
