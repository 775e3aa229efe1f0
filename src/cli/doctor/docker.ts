/** The Docker engine and the base images in it. */
import type Docker from 'dockerode';
import type { Config } from '../../config/load-config.ts';
import { describeError } from '../../errors.ts';
import { describeBaseImage, imageExists } from '../../sandbox/base-image.ts';
import { pingDocker } from '../../sandbox/docker-client.ts';
import { LANGUAGES } from '../../sandbox/languages.ts';
import { CHECK_NAMES, result, withTimeout, type CheckResult } from './result.ts';

const DOCKER_HINT =
  'run `bash scripts/setup-host.sh` to install and start Docker, or set DOCKER_HOST to a running engine ' +
  '(e.g. unix:///var/run/docker.sock, tcp://host:2375, ssh://user@host)';

export interface DockerFindings {
  check: CheckResult;
  /** Set when the engine answered, for the checks that need it. */
  reachable: boolean;
}

export async function checkDocker(
  docker: Docker | Error,
  dockerHost: string | undefined,
  timeoutMs: number,
): Promise<DockerFindings> {
  const name = CHECK_NAMES.docker;
  if (docker instanceof Error) {
    return { reachable: false, check: result(name, 'fail', true, describeError(docker), DOCKER_HINT) };
  }
  let version: Docker.DockerVersion;
  try {
    version = await pingDocker(docker, dockerHost, timeoutMs);
  } catch (error) {
    return { reachable: false, check: result(name, 'fail', true, describeError(error), DOCKER_HINT) };
  }
  const parts = [`Docker ${version.Version} (API ${version.ApiVersion})`];
  const unsupported: string[] = [];
  try {
    const info = await withTimeout(
      docker.info() as Promise<DockerInfo>,
      timeoutMs,
      `docker info: no answer within ${timeoutMs} ms`,
    );
    parts.push(`storage driver ${info.Driver ?? 'unknown'}`);
    if (info.CgroupVersion) parts.push(`cgroup v${info.CgroupVersion}`);
    if (info.MemoryLimit === false) unsupported.push('memory');
    if (info.PidsLimit === false) unsupported.push('pids');
    if (info.CpuCfsQuota === false) unsupported.push('cpu');
  } catch (error) {
    return {
      reachable: true,
      check: result(
        name,
        'warn',
        true,
        `${parts.join(', ')}; docker info failed: ${describeError(error)}`,
        "check the engine's log (journalctl -u docker, or dockerd's output)",
      ),
    };
  }
  if (unsupported.length > 0) {
    return {
      reachable: true,
      check: result(
        name,
        'warn',
        true,
        `${parts.join(', ')}; the engine cannot enforce ${unsupported.join(', ')} limits, so sandboxes run without them`,
        'enable the cgroup controllers (cgroup v2 with memory, pids and cpu delegated, or boot with ' +
          'cgroup_enable=memory swapaccount=1) and restart dockerd',
      ),
    };
  }
  return { reachable: true, check: result(name, 'ok', true, parts.join(', ')) };
}

interface DockerInfo {
  Driver?: string;
  MemoryLimit?: boolean;
  PidsLimit?: boolean;
  CpuCfsQuota?: boolean;
  CgroupVersion?: string;
}

// ---------------------------------------------------------------- base images

export async function checkBaseImages(
  docker: Docker | undefined,
  settings: Config['sandbox'],
  timeoutMs: number,
): Promise<CheckResult> {
  const name = CHECK_NAMES.baseImages;
  if (docker === undefined) {
    return result(name, 'skip', false, 'skipped: needs a reachable Docker engine (see docker)');
  }
  const hint =
    'nothing to do: missing base images are built on first use, which takes a few minutes; to build them ahead, ' +
    'run `npx swe-bot env` on any local repository (or let the first job do it)';
  try {
    const found = await withTimeout(
      Promise.all([
        ...LANGUAGES.map(async (language) => {
          const image = await describeBaseImage(language, settings);
          return { what: `${language} ${image.tag} (${image.toolchain})`, present: await imageExists(docker, image.tag) };
        }),
        imageExists(docker, settings.baseOsImage).then((present) => ({
          what: `OS image ${settings.baseOsImage}`,
          present,
        })),
      ]),
      timeoutMs,
      `the engine did not answer within ${timeoutMs} ms`,
    );
    const baseImages = found.slice(0, LANGUAGES.length);
    const detail = found.map((image) => `${image.what} ${image.present ? 'present' : 'missing'}`).join(', ');
    const missing = baseImages.filter((image) => !image.present).length;
    if (missing === 0) return result(name, 'ok', false, detail);
    return result(name, 'warn', false, detail, hint);
  } catch (error) {
    return result(name, 'warn', false, `cannot check the base images: ${describeError(error)}`, hint);
  }
}
