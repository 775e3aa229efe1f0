/**
 * The steps of an environment build and what they are given (env-image.ts
 * runs them): the Node.js release when another is asked for, the
 * repository's setup commands, the clean-up before the commit; the build
 * secrets of setup commands (exec variables and a tmpfs file, never a layer);
 * and how a failed build is told (a refused host, the disk limit).
 */
import type Docker from 'dockerode';
import type { BuildSecretSet } from '../config/build-secrets.ts';
import { ImageBuildError, SandboxError } from '../errors.ts';
import { tailLines } from '../util/output-cap.ts';
import type { EnvironmentSpec } from './detect.ts';
import type { EgressRefusal } from './egress-proxy.ts';
import { execInContainer } from './exec.ts';
import { DEFAULT_NODE_MAJOR, installNodeArgs, nodeRelease } from './toolchains.ts';

/** Lines of output an ImageBuildError carries. */
export const BUILD_LOG_TAIL_LINES = 100;

export interface SetupStep {
  command: string;
  root: boolean;
  /** One of the repository's own setup commands: the only ones given build secrets. */
  repository?: true;
  /** Runs swe-bot-install-node, whose exit codes say why it failed (build-failure.ts). */
  installsNode?: true;
}

/**
 * What package managers downloaded, kept only to install faster next time:
 * the image never installs again, and every byte left is copied by the commit
 * (seconds for a real project) and stored. Not yarn 2+'s cache, which Plug'n'Play
 * reads the packages from.
 */
const DOWNLOAD_CACHES = ['"$HOME/.npm/_cacache"', '"$HOME/.npm/_logs"', '"$HOME/.cache/yarn"', '"$HOME/.cache/pip"'];

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
  for (const command of spec.setup) steps.push({ command, root: false, repository: true });
  steps.push({
    command: `git ls-files -z | xargs -0 -r rm -f -- && rm -rf .git && rm -rf ${DOWNLOAD_CACHES.join(' ')}`,
    root: false,
  });
  return steps;
}

/** Where a build's secret files are: a tmpfs of the build container, never committed. */
export const SECRETS_DIR = '/run/swe-bot-secrets';

/** The variables that give setup commands their secrets. */
export function secretEnv(secrets: BuildSecretSet): Record<string, string> {
  return { ...secrets.env, ...(secrets.npmrc === undefined ? {} : { NPM_CONFIG_USERCONFIG: `${SECRETS_DIR}/npmrc` }) };
}

/** Writes npm's user configuration into the secrets tmpfs; the content travels as an exec variable, never as a file of a layer. */
export async function writeNpmrc(container: Docker.Container, content: string): Promise<void> {
  const result = await execInContainer(container, `umask 077 && printf '%s' "$SWE_BOT_NPMRC" > ${SECRETS_DIR}/npmrc`, {
    timeoutMs: 30_000,
    env: { SWE_BOT_NPMRC: content },
    maxOutputBytes: 4096,
  });
  if (result.exitCode !== 0) {
    throw new SandboxError(`Could not give the build its .npmrc (exit code ${result.exitCode})`, { code: 'build_secrets_failed' });
  }
}

/** A build stopped at the disk limit: permanent (the same install writes as much again), with the setting to raise. */
export function diskBuildError(error: SandboxError, transcript: readonly string[], logFile: string): ImageBuildError {
  return new ImageBuildError(`Environment setup stopped: ${error.message}`, {
    logTail: tailLines(transcript.join(''), BUILD_LOG_TAIL_LINES),
    logFile,
    cause: error,
    ...(error.hint === undefined ? {} : { hint: error.hint }),
  });
}

/** A failed step during which the proxy refused a host: that is the likely cause, and retrying will not help. */
export function refusalFailure(refused: readonly EgressRefusal[], command: string): { kind: 'permanent'; reason: string; hint: string } | undefined {
  const hosts = [...new Set(refused.filter((refusal) => refusal.command === command).map((refusal) => refusal.host))];
  if (hosts.length === 0) return undefined;
  return {
    kind: 'permanent',
    reason: `the sandbox's egress proxy refused ${hosts.join(', ')}`,
    hint: `builds reach only the package registries and the allowed hosts: add the host names to environment.egress_allow in .github/swe-bot.yml (public hosts) or SWE_BOT_EGRESS_ALLOW (any host)`,
  };
}

/** `text` with every secret value replaced. */
export function redactValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) if (value.length >= 4) out = out.replaceAll(value, '[redacted]');
  return out;
}
