/**
 * The egress proxy of one environment build (issue #12): an HTTP proxy on a
 * Unix socket of this machine, the build's only way out. It answers
 * `CONNECT host:port` (HTTPS, tunnelled as is: the build's own CA store
 * decides what it trusts) and absolute-form plain HTTP requests (Debian's
 * mirror), for host names on the allowlist (egress-policy.ts) only. It
 * resolves each name itself and connects to the address it checked, so a
 * name cannot be re-resolved to somewhere else between check and use.
 * Everything refused is answered with 403, logged with the host and the
 * setup command that asked, and kept for the job's report.
 *
 * HTTP proxy semantics: https://www.rfc-editor.org/rfc/rfc9110#name-connect
 * and https://www.rfc-editor.org/rfc/rfc9112#name-absolute-form
 */
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../logger.ts';
import { matchEgressRule, refuseAddress, type AllowRule, type EgressMatch } from './egress-policy.ts';

/** A connection the proxy refused. */
export interface EgressRefusal {
  host: string;
  port: number;
  /** The setup command running at the time, when one was. */
  command: string | undefined;
  reason: string;
}

/** How long resolving and connecting to an allowed host may take. */
export const EGRESS_CONNECT_TIMEOUT_MS = 30_000;
/** On a 502 of the proxy itself (it could not connect upstream): why, for tools that show headers (doctor's probe). */
export const EGRESS_ERROR_HEADER = 'x-swe-bot-egress-error';
/** Refusals kept per build (the log has every one). */
const MAX_REFUSALS = 50;
/** The name the forwarder asks for to say it is up (never resolved, never forwarded). */
export const EGRESS_READY_HOST = 'swe-bot-egress-ready.invalid';
/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with the NUL). */
const MAX_SOCKET_PATH = 107;

export interface EgressProxy {
  /** The folder holding `proxy.sock`; the forwarder reaches it through its parent (see egress-forwarder.ts). */
  socketDir: string;
  socketPath: string;
  /** Refused connections so far, without repeats of one host and command. */
  refused(): EgressRefusal[];
  /** Names the setup command now running, for the refusal log. */
  setCommand(command: string | undefined): void;
  /** Resolves when the forwarder in the build's network namespace has reached the proxy. */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface EgressProxyOptions {
  rules: readonly AllowRule[];
  logger: Logger;
  /**
   * Where the socket folder is made. When the path would be too long for a
   * socket it falls back to the system's temporary folder, unless
   * `fixedParent` (the folder is a volume's, which the forwarder reaches only there).
   */
  parentDir: string;
  fixedParent?: boolean;
  /** Resolves names; injectable for tests. Default: the system resolver (`dns.lookup`). */
  resolve?: (host: string) => Promise<string[]>;
}

export async function openEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const resolve = options.resolve ?? (async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address));
  const socketDir = await makeSocketDir(options.parentDir, options.fixedParent === true);
  const socketPath = path.join(socketDir, 'proxy.sock');
  const refusals: EgressRefusal[] = [];
  const seen = new Set<string>();
  const sockets = new Set<net.Socket>();
  let command: string | undefined;
  let markReady: () => void = () => undefined;
  const readyPromise = new Promise<void>((done) => (markReady = done));

  function refuse(host: string, port: number, reason: string): void {
    const key = `${host}:${port}\n${command ?? ''}`;
    options.logger.warn({ host, port, command, reason }, 'egress refused');
    if (seen.has(key) || refusals.length >= MAX_REFUSALS) return;
    seen.add(key);
    refusals.push({ host, port, command, reason });
  }

  /**
   * The addresses of a name, asked once per build: a package manager opens
   * dozens of connections to one registry, and a build that saw one answer
   * keeps it (which also keeps a name from changing its answer mid-build).
   */
  const resolved = new Map<string, Promise<string[]>>();
  function addressesOf(host: string): Promise<string[]> {
    let pending = resolved.get(host);
    if (!pending) {
      pending = withTimeout(resolve(host), EGRESS_CONNECT_TIMEOUT_MS);
      resolved.set(host, pending);
      // A failed lookup is asked again next time (a resolver's hiccup).
      pending.catch(() => resolved.delete(host));
    }
    return pending;
  }

  /** The address to connect to, or the reason there is none. */
  async function admit(host: string, port: number): Promise<{ address: string } | { reason: string }> {
    const decision = matchEgressRule(options.rules, host, port);
    if (!decision.allowed) return { reason: decision.reason };
    let addresses: string[];
    if (net.isIP(host) !== 0) addresses = [host];
    else {
      try {
        addresses = await addressesOf(host);
      } catch (error) {
        return { reason: `cannot resolve: ${(error as Error).message}` };
      }
    }
    return pickAddress(addresses, decision);
  }

  const server = http.createServer((req, res) => {
    void forwardPlain(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function forwardPlain(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('swe-bot egress proxy: absolute-form requests only\n');
      return;
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (host === EGRESS_READY_HOST) {
      markReady();
      res.writeHead(204).end();
      return;
    }
    const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
    if (target.protocol !== 'http:') {
      refuse(host, port, `${target.protocol} is not proxied as plain HTTP`);
      res.writeHead(403, { 'content-type': 'text/plain' }).end(refusalText(host, port, 'only http: URLs are proxied without CONNECT'));
      return;
    }
    const admitted = await admit(host, port);
    if ('reason' in admitted) {
      refuse(host, port, admitted.reason);
      res.writeHead(403, { 'content-type': 'text/plain' }).end(refusalText(host, port, admitted.reason));
      return;
    }
    const headers = { ...req.headers };
    for (const name of HOP_BY_HOP) delete headers[name];
    const upstream = http.request({
      host: admitted.address,
      port,
      method: req.method,
      path: `${target.pathname}${target.search}`,
      headers: { ...headers, host: target.host },
      setHost: false,
      // A connection per request: pooled sockets to upstreams would outlive the build (and keep a CLI process alive).
      agent: false,
      timeout: EGRESS_CONNECT_TIMEOUT_MS,
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('timeout', () => upstream.destroy(new Error('upstream timed out')));
    upstream.on('error', (error) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain', [EGRESS_ERROR_HEADER]: error.message }).end(`swe-bot egress proxy: ${error.message}\n`);
      } else res.destroy();
    });
    req.pipe(upstream);
  }

  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    void tunnel(req, client, head);
  });

  async function tunnel(req: http.IncomingMessage, client: net.Socket, head: Buffer): Promise<void> {
    client.on('error', () => client.destroy());
    const [host, port] = splitAuthority(req.url ?? '');
    if (host === undefined || port === undefined) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const admitted = await admit(host, port);
    if ('reason' in admitted) {
      refuse(host, port, admitted.reason);
      const body = refusalText(host, port, admitted.reason);
      client.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    // No Nagle: TLS handshakes are small writes that wait for an ACK otherwise (tens of ms per connection).
    const upstream = net.connect({ host: admitted.address, port, noDelay: true });
    client.setNoDelay(true);
    sockets.add(upstream);
    upstream.setTimeout(EGRESS_CONNECT_TIMEOUT_MS, () => upstream.destroy(new Error('connect timed out')));
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (error) => {
      if (!client.writableEnded && upstream.connecting) {
        client.end(`HTTP/1.1 502 Bad Gateway\r\n${EGRESS_ERROR_HEADER}: ${error.message}\r\n\r\nswe-bot egress proxy: ${error.message}\n`);
      }
      else client.destroy();
    });
    // A clean end travels through pipe() (end after the last byte is written);
    // destroying here would drop what the client has not read yet.
    upstream.on('close', (hadError) => {
      sockets.delete(upstream);
      if (hadError) client.destroy();
    });
    client.on('close', () => upstream.destroy());
  }

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(socketPath, () => done());
  });
  // The forwarder runs as the sandbox user (uid 1000), not as this process's user.
  await fs.chmod(socketPath, 0o666);

  return {
    socketDir,
    socketPath,
    refused: () => [...refusals],
    setCommand(next) {
      command = next;
    },
    async ready(timeoutMs) {
      await withTimeout(readyPromise, timeoutMs, 'the egress forwarder did not start');
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => server.close(() => done()));
      await fs.rm(socketDir, { recursive: true, force: true });
    },
  };
}

/** The first resolved address the rule's source may use; a name with any forbidden address is refused whole. */
function pickAddress(addresses: string[], match: Extract<EgressMatch, { allowed: true }>): { address: string } | { reason: string } {
  if (addresses.length === 0) return { reason: 'resolves to no address' };
  for (const address of addresses) {
    const reason = refuseAddress(address, match);
    // One bad answer among good ones is how DNS rebinding starts: refuse the name.
    if (reason !== undefined) return { reason };
  }
  const first = addresses.find((address) => net.isIPv4(address)) ?? addresses[0];
  return first === undefined ? { reason: 'resolves to no address' } : { address: first };
}

const HOP_BY_HOP = ['connection', 'proxy-connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'upgrade'];

function splitAuthority(authority: string): [string | undefined, number | undefined] {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(authority);
  if (!match?.[1] || !match[2]) return [undefined, undefined];
  const port = Number(match[2]);
  return port > 0 && port < 65536 ? [match[1].toLowerCase(), port] : [undefined, undefined];
}

function refusalText(host: string, port: number, reason: string): string {
  return (
    `swe-bot egress proxy refused ${host}:${port}: ${reason}.\n` +
    'Environment builds reach only the package registries and the hosts in SWE_BOT_EGRESS_ALLOW or environment.egress_allow (.github/swe-bot.yml).\n'
  );
}

async function makeSocketDir(parentDir: string, fixedParent: boolean): Promise<string> {
  const name = `egress-${randomBytes(6).toString('hex')}`;
  let parent = parentDir;
  if (path.join(parent, name, 'proxy.sock').length > MAX_SOCKET_PATH) {
    if (fixedParent) throw new Error(`SWE_BOT_EGRESS_DIR=${parentDir} is too long for a Unix socket path (${MAX_SOCKET_PATH} bytes): use a shorter one`);
    // A folder of its own: the forwarders mount the parent.
    parent = path.join(os.tmpdir(), 'swe-bot-egress');
  }
  await fs.mkdir(parent, { recursive: true });
  const dir = path.join(parent, name);
  await fs.mkdir(dir, { mode: 0o755 });
  await fs.chmod(dir, 0o755);
  return dir;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message = `timed out after ${ms} ms`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
