/**
 * Base images, in two layers of ordinary Dockerfiles:
 * - `swe-bot/base-common`: the OS, git, build tools, CA certificates and the
 *   sandbox user (docker/base/common). Its `FROM` is the `BASE_OS` build
 *   argument; when that OS image can be neither found nor pulled it is
 *   bootstrapped from Debian (os-image.ts).
 * - `swe-bot/base-<language>`: one toolchain on top (docker/base/<language>).
 *
 * Each tag carries a key that hashes everything going into its build (the
 * language key covers the common key), so a changed Dockerfile or CA bundle
 * gives new images and old environments are not reused by mistake.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import type { SandboxSettings } from '../config/load-config.ts';
import { ImageBuildError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { hashJson, sha256 } from '../util/canonical-json.ts';
import { ensureOsImage } from './os-image.ts';
import { IMAGE_REPO, LABEL, labelsFor, type Owner } from './labels.ts';
import { DEFAULT_NODE_MAJOR, type Language } from './languages.ts';
import { tailLines } from '../util/output-cap.ts';

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
}

interface BuildContext {
  /** `common`, or the language. */
  layer: string;
  key: string;
  tag: string;
  files: Map<string, Buffer>;
  buildArgs: Record<string, string>;
}

/** Splits a PEM bundle into one file per certificate (update-ca-certificates reads one each). */
export function splitPemBundle(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function contextOf(layer: string, files: Map<string, Buffer>, buildArgs: Record<string, string>): BuildContext {
  const key = hashJson({
    layer,
    buildArgs,
    files: Object.fromEntries([...files].map(([name, data]) => [name, sha256(data)])),
  });
  return { layer, key, tag: `${IMAGE_REPO.base(layer)}:${key.slice(0, 12)}`, files, buildArgs };
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
  certs.forEach((cert, index) => files.set(`ca/extra-${String(index).padStart(4, '0')}.crt`, Buffer.from(`${cert}\n`)));
  return contextOf('common', files, { BASE_OS: settings.baseOsImage });
}

/** A language image on top of the common layer (its key covers the common key). */
async function languageContext(language: Language, settings: SandboxSettings, common: BuildContext): Promise<BuildContext> {
  const files = new Map<string, Buffer>();
  files.set('Dockerfile', await fs.readFile(path.join(DOCKER_DIR, 'base', language, 'Dockerfile')));
  return contextOf(language, files, {
    COMMON_IMAGE: common.tag,
    COMMON_KEY: common.key,
    NODE_MAJOR: String(DEFAULT_NODE_MAJOR),
    SWE_BOT_NPM_REGISTRY: settings.npmRegistry,
  });
}

/** The tag the base image for `language` has under the current settings. */
export async function baseImageTag(language: Language, settings: SandboxSettings): Promise<string> {
  return (await languageContext(language, settings, await commonContext(settings))).tag;
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
      if (!(await imageExists(deps.docker, common.tag))) {
        await once(common.tag, async () => {
          await ensureOsImage({ docker: deps.docker, logger: deps.logger, settings: deps.settings }, deps.settings.baseOsImage);
          await buildLayer(deps, common);
        });
      }
      await buildLayer(deps, context);
    });
  }
  return { language, tag: context.tag, key: context.key };
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
  logger.info({ layer: context.layer, tag: context.tag }, 'building base image');
  const tar = pack();
  for (const [name, data] of context.files) tar.entry({ name, mode: name.endsWith('.py') ? 0o755 : 0o644 }, data);
  tar.finalize();
  const started = Date.now();
  const stream = await docker.buildImage(tar as unknown as NodeJS.ReadableStream, {
    t: context.tag,
    buildargs: context.buildArgs,
    // Package installs during the build need the network even where the
    // engine has no bridge network (dockerd --bridge=none).
    networkmode: 'host',
    labels: labelsFor('base', {
      owner: deps.owner,
      ttlMs: Number.MAX_SAFE_INTEGER / 2,
      extra: { [LABEL.baseKey]: context.key, [LABEL.language]: context.layer },
    }),
    rm: true,
    forcerm: true,
  });
  const log: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      reject(new Error(`timed out after ${BASE_BUILD_TIMEOUT_MS} ms`));
    }, BASE_BUILD_TIMEOUT_MS);
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: Array<{ error?: string }>) => {
        clearTimeout(timer);
        const failed = error?.message ?? output.find((event) => event.error)?.error;
        if (failed) reject(new Error(failed));
        else resolve();
      },
      (event: { stream?: string; error?: string }) => {
        if (event.stream) log.push(event.stream);
        if (event.error) log.push(event.error);
      },
    );
  }).catch((error: unknown) => {
    // Registries and mirrors fail for a while and then work again.
    throw new ImageBuildError(`Building the base image ${context.tag} (${context.layer}) failed: ${String(error)}`, {
      kind: 'transient',
      logTail: tailLines(log.join(''), 100),
      cause: error,
    });
  });
  logger.info({ layer: context.layer, tag: context.tag, ms: Date.now() - started }, 'base image built');
}

export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}
