/**
 * Connecting to the Docker engine. dockerode follows `DOCKER_HOST` the way
 * the docker CLI does (unix socket, tcp://, ssh://); the value comes from the
 * validated config, never from process.env directly.
 */
import Docker from 'dockerode';
import { DockerUnavailableError, describeError } from '../errors.ts';

/** How long a ping may take before the engine counts as unreachable. */
export const DOCKER_PING_TIMEOUT_MS = 5_000;

const DEFAULT_SOCKET = 'unix:///var/run/docker.sock';

/** Options for dockerode derived from a DOCKER_HOST value. */
export function dockerOptions(dockerHost: string | undefined): Docker.DockerOptions {
  if (dockerHost === undefined) return { socketPath: '/var/run/docker.sock' };
  const url = new URL(dockerHost);
  switch (url.protocol) {
    case 'unix:':
      return { socketPath: url.pathname };
    case 'tcp:':
    case 'http:':
      return { protocol: 'http', host: url.hostname, port: Number(url.port || 2375) };
    case 'https:':
      return { protocol: 'https', host: url.hostname, port: Number(url.port || 2376) };
    case 'ssh:':
      return { protocol: 'ssh', host: url.hostname, port: Number(url.port || 22), username: url.username || 'root' };
    default:
      throw new DockerUnavailableError(`DOCKER_HOST=${dockerHost} uses an unsupported scheme ${url.protocol}`, {
        hint: 'Use unix:///path/to/docker.sock, tcp://host:2375 or ssh://user@host',
      });
  }
}

export function createDockerClient(dockerHost: string | undefined): Docker {
  return new Docker(dockerOptions(dockerHost));
}

/**
 * Pings the engine and returns its version; throws an error that names
 * DOCKER_HOST and what to do, since "connect ENOENT" alone helps nobody.
 */
export async function pingDocker(
  docker: Docker,
  dockerHost: string | undefined,
  timeoutMs = DOCKER_PING_TIMEOUT_MS,
): Promise<Docker.DockerVersion> {
  const where = dockerHost ?? `${DEFAULT_SOCKET} (DOCKER_HOST unset)`;
  try {
    const version = await withTimeout(docker.version(), timeoutMs, `no answer within ${timeoutMs} ms`);
    return version;
  } catch (error) {
    throw new DockerUnavailableError(
      `Cannot reach the Docker engine at ${where}: ${describeError(error)}. ` +
        'Start the engine (sudo dockerd, or scripts/setup-host.sh) or point DOCKER_HOST at a running one.',
      { cause: error, hint: 'Set DOCKER_HOST to the engine address, e.g. unix:///var/run/docker.sock' },
    );
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
