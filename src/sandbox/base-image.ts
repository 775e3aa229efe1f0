/**
 * Base images, in two layers of ordinary Dockerfiles:
 * - `swe-bot/base-common`: the OS, git, build tools, CA certificates and the
 *   sandbox user (docker/base/common). Its `FROM` is the `BASE_OS` build
 *   argument; when that OS image can be neither found nor pulled it is
 *   bootstrapped from Debian (os-image.ts).
 * - `swe-bot/base-<language>`: one toolchain on top (docker/base/<language>).
 *
 * Each tag carries a key that hashes everything going into its build (the
 * language key covers the common key): the Dockerfiles, the CA bundle, the
 * OS image and the exact toolchain versions pinned in
 * docker/base/toolchains.json. A changed input gives new images, old
 * environments are not reused by mistake, and two machines building one key
 * build the same thing. The labels say what is inside (`swe-bot.os-image`,
 * `swe-bot.toolchain`), for `doctor` and for people.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import type { SandboxSettings } from '../config/load-config.ts';
import { ImageBuildError, describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { hashJson, sha256 } from '../util/canonical-json.ts';
import { ensureOsImage } from './os-image.ts';
import { IMAGE_REPO, LABEL, labelsFor, type Owner } from './labels.ts';
import type { Language } from './languages.ts';
import { tailLines } from '../util/output-cap.ts';
import { stripAnsi } from '../util/ansi.ts';
import { classifyBuildFailure, type BuildFailure } from './build-failure.ts';
import { DEFAULT_NODE_MAJOR, describeNodeRelease, nodeRelease } from './toolchains.ts';

/** Where the Dockerfiles live (top-level docker/ folder). */
export const DOCKER_DIR = fileURLToPath(new URL('../../docker/', import.meta.url));

/** Wall-clock limit of one base image build. */
export const BASE_BUILD_TIMEOUT_MS = 30 * 60_000;

export interface BaseImage {
  language: Language;
  /** Image reference, `swe-bot/base-node:<key12>`. */
  tag: string;
  /** sha256 over everything that goes into the build. */
  key: string;
  /** What the image carries, for people: `node 24.22.3, npm 12.2.3, corepack 0.36.0 on debian:bookworm-slim`. */
  toolchain: string;
}

interface BuildContext {
  /** `common`, or the language. */
  layer: string;
  key: string;
  tag: string;
  files: Map<string, Buffer>;
  buildArgs: Record<string, string>;
  /** Its `swe-bot.toolchain` label. */
  toolchain: string;
}

/** Why the build context's ca/ folder is never empty: the Dockerfile copies it either way. */
const CA_FOLDER_README = Buffer.from(
  'Extra CA certificates for the sandbox images (SWE_BOT_EXTRA_CA_CERTS), one .crt file each; none when it is unset.\n',
);

/** Splits a PEM bundle into one file per certificate (update-ca-certificates reads one each). */
export function splitPemBundle(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * A layer's build context and key. `unkeyedArgs` are build arguments that
 * change where things come from, not what they are (the registry mirror:
 * install-node checks each tarball against the registry's integrity hash of
 * the pinned version), so they stay out of the key.
 */
function contextOf(
  layer: string,
  files: Map<string, Buffer>,
  buildArgs: Record<string, string>,
  toolchain: string,
  unkeyedArgs: Record<string, string> = {},
): BuildContext {
  const key = hashJson({
    layer,
    buildArgs,
    files: Object.fromEntries([...files].map(([name, data]) => [name, sha256(data)])),
  });
  return { layer, key, tag: `${IMAGE_REPO.base(layer)}:${key.slice(0, 12)}`, files, buildArgs: { ...buildArgs, ...unkeyedArgs }, toolchain };
}

/** The common layer: OS, tools, CA certificates, the sandbox user. */
async function commonContext(settings: SandboxSettings): Promise<BuildContext> {
  const files = new Map<string, Buffer>();
  files.set('Dockerfile', await fs.readFile(path.join(DOCKER_DIR, 'base', 'common', 'Dockerfile')));
  files.set('install-node.py', await fs.readFile(path.join(DOCKER_DIR, 'base', 'common', 'install-node.py')));
  let certs: string[] = [];
  if (settings.extraCaCertsFile !== undefined) {
    const pem = await fs.readFile(settings.extraCaCertsFile, 'utf8').catch((error: unknown) => {
      throw new ImageBuildError(`Cannot read SWE_BOT_EXTRA_CA_CERTS=${settings.extraCaCertsFile}`, {
        logTail: String(error),
        cause: error,
      });
    });
    certs = splitPemBundle(pem);
  }
  files.set('ca/README', CA_FOLDER_README);
  certs.forEach((cert, index) => files.set(`ca/extra-${String(index).padStart(4, '0')}.crt`, Buffer.from(`${cert}\n`)));
  return contextOf('common', files, { BASE_OS: settings.baseOsImage }, `git, python3, build tools on ${settings.baseOsImage}`);
}

/** A language image on top of the common layer (its key covers the common key). */
async function languageContext(language: Language, settings: SandboxSettings, common: BuildContext): Promise<BuildContext> {
  const files = new Map<string, Buffer>();
  files.set('Dockerfile', await fs.readFile(path.join(DOCKER_DIR, 'base', language, 'Dockerfile')));
  const from = { COMMON_IMAGE: common.tag, COMMON_KEY: common.key };
  if (language === 'python') {
    // Debian's python3 and pytest: their versions are the suite's.
    return contextOf(language, files, from, `python3, pytest (Debian packages) on ${settings.baseOsImage}`);
  }
  const release = nodeRelease(DEFAULT_NODE_MAJOR);
  return contextOf(
    language,
    files,
    {
      ...from,
      NODE_MAJOR: String(release.major),
      NODE_VERSION: release.node,
      NPM_VERSION: release.npm,
      COREPACK_VERSION: release.corepack ?? '',
    },
    `${describeNodeRelease(release)} on ${settings.baseOsImage}`,
    { SWE_BOT_NPM_REGISTRY: settings.npmRegistry },
  );
}

/** The tag and contents the base image for `language` has under the current settings, built or not. */
export async function describeBaseImage(language: Language, settings: SandboxSettings): Promise<BaseImage> {
  const context = await languageContext(language, settings, await commonContext(settings));
  return { language, tag: context.tag, key: context.key, toolchain: context.toolchain };
}

/** The tag the common layer (OS, tools, CA certificates) has under the current settings. */
export async function commonImageTag(settings: SandboxSettings): Promise<string> {
  return (await commonContext(settings)).tag;
}

/** The common layer, built when missing: every language image starts FROM it. */
export async function ensureCommonImage(deps: BaseImageDeps): Promise<string> {
  const common = await commonContext(deps.settings);
  await ensureCommonLayer(deps, common);
  return common.tag;
}

export interface BaseImageDeps {
  docker: Docker;
  settings: SandboxSettings;
  logger: Logger;
  owner: Owner;
}

const inFlight = new Map<string, Promise<void>>();

/** Returns the base image for `language`, building it (and the layers under it) when missing. */
export async function ensureBaseImage(deps: BaseImageDeps, language: Language): Promise<BaseImage> {
  const common = await commonContext(deps.settings);
  const context = await languageContext(language, deps.settings, common);
  if (!(await imageExists(deps.docker, context.tag))) {
    await once(context.tag, async () => {
      await ensureCommonLayer(deps, common);
      await buildLayer(deps, context);
    });
  }
  return { language, tag: context.tag, key: context.key, toolchain: context.toolchain };
}

async function ensureCommonLayer(deps: BaseImageDeps, common: BuildContext): Promise<void> {
  if (await imageExists(deps.docker, common.tag)) return;
  await once(common.tag, async () => {
    await ensureOsImage({ docker: deps.docker, logger: deps.logger, settings: deps.settings }, deps.settings.baseOsImage);
    await buildLayer(deps, common);
  });
}

/** Runs `build` once per tag at a time in this process; later callers await it. */
function once(tag: string, build: () => Promise<void>): Promise<void> {
  let pending = inFlight.get(tag);
  if (!pending) {
    pending = build().finally(() => inFlight.delete(tag));
    inFlight.set(tag, pending);
  }
  return pending;
}

async function buildLayer(deps: BaseImageDeps, context: BuildContext): Promise<void> {
  const { docker, logger } = deps;
  logger.info({ layer: context.layer, tag: context.tag, toolchain: context.toolchain }, 'building base image');
  const tar = pack();
  for (const [name, data] of context.files) tar.entry({ name, mode: name.endsWith('.py') ? 0o755 : 0o644 }, data);
  tar.finalize();
  const started = Date.now();
  const log: string[] = [];
  try {
    const stream = await docker.buildImage(tar as unknown as NodeJS.ReadableStream, {
      t: context.tag,
      buildargs: context.buildArgs,
      // Package installs during the build need the network even where the
      // engine has no bridge network (dockerd --bridge=none).
      networkmode: 'host',
      labels: labelsFor('base', {
        owner: deps.owner,
        ttlMs: Number.MAX_SAFE_INTEGER / 2,
        extra: {
          [LABEL.baseKey]: context.key,
          [LABEL.language]: context.layer,
          [LABEL.osImage]: deps.settings.baseOsImage,
          [LABEL.toolchain]: context.toolchain,
        },
      }),
      rm: true,
      forcerm: true,
    });
    await followBuild(docker, stream, log);
  } catch (error) {
    const failure = engineFailure(error) ?? classifyBuildFailure({ log: log.join(''), message: describeError(error) });
    throw new ImageBuildError(`Building the base image ${context.tag} (${context.layer}) failed: ${failure.reason}: ${shortBuilderMessage(error)}`, {
      kind: failure.kind,
      logTail: tailLines(withoutBuilderChatter(log.join('')), 100),
      ...(failure.hint === undefined ? {} : { hint: failure.hint }),
      cause: error,
    });
  }
  logger.info({ layer: context.layer, tag: context.tag, ms: Date.now() - started }, 'base image built');
}

/** Collects the build's output into `log`; rejects with the builder's error, or after the time limit. */
function followBuild(docker: Docker, stream: NodeJS.ReadableStream, log: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      reject(new BuildTimeout(`timed out after ${BASE_BUILD_TIMEOUT_MS} ms`));
    }, BASE_BUILD_TIMEOUT_MS);
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: Array<{ error?: string }>) => {
        clearTimeout(timer);
        if (error) reject(error);
        else {
          const failed = output.find((event) => event.error)?.error;
          if (failed) reject(new Error(failed));
          else resolve();
        }
      },
      (event: { stream?: string; error?: string }) => {
        if (event.stream) log.push(event.stream);
        if (event.error) log.push(event.error);
      },
    );
  });
}

/** The classic builder's "The command '<whole RUN line>' returned a non-zero code: N", with the command cut short. */
function shortBuilderMessage(error: unknown): string {
  const message = describeError(error);
  const match = /^The command '([\s\S]*)' returned a non-zero code: (\d+)$/.exec(message.trim());
  if (!match) return message;
  const command = (match[1] ?? '').replace(/^\/bin\/sh -c /, '').replace(/\s+/g, ' ');
  return `\`${command.length > 120 ? `${command.slice(0, 119)}…` : command}\` exited with code ${match[2]}`;
}

/** The build log without the builder's bookkeeping lines, which crowd out the step's own output. */
function withoutBuilderChatter(log: string): string {
  return stripAnsi(log)
    .split('\n')
    .filter((line) => !/^\s*(?:---> (?:Running in |Using cache|[0-9a-f]{12}$)|Removing intermediate container )/.test(line))
    .join('\n');
}

/**
 * A failure of the engine itself rather than of a build step: no answer on
 * its socket, a connection dropped mid-build (an engine restarting), or the
 * time limit. Those go away; a step's error does not.
 */
function engineFailure(error: unknown): BuildFailure | undefined {
  const { code, statusCode } = (error ?? {}) as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'string' && statusCode === undefined) {
    return { kind: 'transient', reason: `the Docker engine could not be reached (${code})` };
  }
  if (error instanceof BuildTimeout) return { kind: 'transient', reason: 'the build took too long' };
  return undefined;
}

class BuildTimeout extends Error {}

export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}
