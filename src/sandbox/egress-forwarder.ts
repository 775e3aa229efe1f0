/**
 * How an environment build reaches the egress proxy without a network: the
 * build container has `NetworkMode: none` (loopback only), and a small
 * forwarder container joins its network namespace (`container:<id>`),
 * listening on 127.0.0.1:3128 there and passing each connection to the
 * proxy's Unix socket, mounted into the forwarder alone. The build sees one
 * local port and no mount; its processes cannot signal the forwarder's (a
 * separate PID namespace); nothing but the proxy is reachable. This works on
 * any engine: no bridge, no iptables, no user-defined network is needed
 * (scripts/setup-host.sh starts dockerd with `--bridge=none --iptables=false`).
 *
 * The forwarder is Python's asyncio in swe-bot's common base image (which
 * has python3), so a repository's own base image needs nothing.
 * https://docs.docker.com/engine/network/#container-networks
 */
import path from 'node:path';
import type Docker from 'dockerode';
import { SandboxError, describeError } from '../errors.ts';
import { EGRESS_READY_HOST, type EgressProxy } from './egress-proxy.ts';
import { labelsFor, type Owner } from './labels.ts';

/** The port the build's proxy variables name, on its own loopback. */
export const EGRESS_PORT = 3128;
/** Where the forwarder sees the folder holding the proxies' socket folders. */
const SOCKET_MOUNT = '/run/swe-bot-egress';
/** How long the forwarder may take to come up. */
export const FORWARDER_START_TIMEOUT_MS = 20_000;

const PROXY_URL = `http://127.0.0.1:${EGRESS_PORT}`;

/**
 * The proxy variables of setup commands. Most tools read `https_proxy`
 * (curl only the lower-case one for HTTP), npm and pnpm the upper-case ones,
 * yarn 1 its npm-style config, yarn 2+ its `YARN_` settings, Node itself
 * (corepack) `NODE_USE_ENV_PROXY`. No NO_PROXY:
 * an operator's registry mirror at `http://127.0.0.1:4873` means this
 * machine, as it did when builds had the host's network, so requests to
 * loopback go to the proxy too (which allows only that exact service there).
 */
export const EGRESS_ENV: Readonly<Record<string, string>> = {
  HTTP_PROXY: PROXY_URL,
  HTTPS_PROXY: PROXY_URL,
  http_proxy: PROXY_URL,
  https_proxy: PROXY_URL,
  npm_config_proxy: PROXY_URL,
  npm_config_https_proxy: PROXY_URL,
  YARN_HTTP_PROXY: PROXY_URL,
  YARN_HTTPS_PROXY: PROXY_URL,
  // Node's own fetch and http clients (Node ≥ 22.21 / 24.5), which corepack
  // downloads yarn and pnpm with: https://nodejs.org/api/cli.html#node_use_env_proxy1
  NODE_USE_ENV_PROXY: '1',
};

/**
 * The forwarder: accept on the build's loopback, connect to the Unix socket,
 * copy both ways (half-closes passed on), then ask the proxy for the ready
 * host so the builder knows the path works end to end.
 */
const FORWARDER_PY = `
import asyncio, sys
SOCK, PORT, READY = sys.argv[1], int(sys.argv[2]), sys.argv[3]
async def copy(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except Exception:
        pass
async def handle(client_r, client_w):
    try:
        up_r, up_w = await asyncio.open_unix_connection(SOCK)
    except Exception:
        client_w.close()
        return
    try:
        await asyncio.gather(copy(client_r, up_w), copy(up_r, client_w))
    finally:
        for w in (up_w, client_w):
            try:
                w.close()
            except Exception:
                pass
async def main():
    server = await asyncio.start_server(handle, '127.0.0.1', PORT, reuse_address=True)
    r, w = await asyncio.open_unix_connection(SOCK)
    w.write(('GET http://%s/ HTTP/1.0\\r\\n\\r\\n' % READY).encode())
    await w.drain()
    await r.read()
    w.close()
    async with server:
        await server.serve_forever()
asyncio.run(main())
`;

export interface ForwarderDeps {
  docker: Docker;
  owner: Owner;
}

/**
 * Starts the forwarder in the network namespace of the running container
 * `buildContainerId` and waits until it reached the proxy. The caller
 * removes it (`remove()`), also after a failure.
 */
export async function startEgressForwarder(
  deps: ForwarderDeps,
  options: {
    image: string;
    buildContainerId: string;
    proxy: EgressProxy;
    /** A volume holding the socket folders (swe-bot in a container); unset: the socket folder's parent is bind-mounted. */
    volume: string | undefined;
    job: string | undefined;
    ttlMs: number;
  },
): Promise<{ remove(): Promise<void> }> {
  // The parent, not the socket folder: with a volume, only its root can be mounted.
  const mount =
    options.volume === undefined
      ? { Type: 'bind' as const, Source: path.dirname(options.proxy.socketDir), Target: SOCKET_MOUNT, ReadOnly: true }
      : { Type: 'volume' as const, Source: options.volume, Target: SOCKET_MOUNT, ReadOnly: true };
  const socket = `${SOCKET_MOUNT}/${path.basename(options.proxy.socketDir)}/proxy.sock`;
  const container = await deps.docker.createContainer({
    Image: options.image,
    Entrypoint: [],
    Cmd: ['python3', '-c', FORWARDER_PY, socket, String(EGRESS_PORT), EGRESS_READY_HOST],
    User: 'swe',
    Labels: labelsFor('env-build', { owner: deps.owner, ttlMs: options.ttlMs, job: options.job }),
    HostConfig: {
      NetworkMode: `container:${options.buildContainerId}`,
      Mounts: [mount],
      Memory: 64 * 1024 * 1024,
      MemorySwap: 64 * 1024 * 1024,
      NanoCpus: 500_000_000,
      PidsLimit: 32,
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      LogConfig: { Type: 'none', Config: {} },
    },
  });
  const remove = async (): Promise<void> => {
    await container.remove({ force: true }).catch(() => undefined);
  };
  try {
    await container.start();
    await options.proxy.ready(FORWARDER_START_TIMEOUT_MS);
  } catch (error) {
    await remove();
    throw new SandboxError(`The egress forwarder of the environment build did not start: ${describeError(error)}`, {
      kind: 'transient',
      code: 'egress_forwarder_failed',
      cause: error,
    });
  }
  return { remove };
}
