/**
 * The egress proxy on its Unix socket, from the host: refusals answer 403,
 * are recorded with the command once, and never open a connection; the
 * forwarder's ready call resolves `ready()`. The tunnel to an allowed host is
 * exercised by egress.docker.test.ts (tests do not leave loopback).
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { EGRESS_READY_HOST, openEgressProxy, type EgressProxy } from '../../src/sandbox/egress-proxy.ts';
import os from 'node:os';

let proxy: EgressProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

async function open(resolve: (host: string) => Promise<string[]>): Promise<EgressProxy> {
  proxy = await openEgressProxy({
    rules: [
      { pattern: 'registry.npmjs.org', source: 'default' },
      { pattern: 'rebind.example', source: 'operator' },
      { pattern: 'internal.example', source: 'repository' },
    ],
    logger: silentLogger(),
    parentDir: os.tmpdir(),
    resolve,
  });
  return proxy;
}

/** Sends `CONNECT authority` over the socket; the status line's code. */
function connect(socketPath: string, authority: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'CONNECT', path: authority });
    req.on('connect', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function get(socketPath: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: url }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('egress proxy', () => {
  it('refuses unlisted hosts, addresses and names resolving to this machine or a private range, without connecting', async () => {
    const lookups: string[] = [];
    const p = await open((host) => {
      lookups.push(host);
      if (host === 'registry.npmjs.org') return Promise.resolve(['127.0.0.1']);
      if (host === 'rebind.example') return Promise.resolve(['203.0.113.9', '169.254.169.254']);
      return Promise.resolve(['10.0.0.7']);
    });
    const server = net.createServer();
    let connections = 0;
    server.on('connection', (socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      p.setCommand('npm ci');
      expect(await connect(p.socketPath, `127.0.0.1:${port}`)).toBe(403);
      expect(await connect(p.socketPath, 'example.com:443')).toBe(403);
      expect(await connect(p.socketPath, 'registry.npmjs.org:443')).toBe(403);
      expect(await connect(p.socketPath, 'rebind.example:443')).toBe(403);
      expect(await connect(p.socketPath, 'internal.example:443')).toBe(403);
      const plain = await get(p.socketPath, `http://localhost:${port}/secret`);
      expect(plain.status).toBe(403);
      expect(plain.body).toContain('SWE_BOT_EGRESS_ALLOW');
      expect(await connect(p.socketPath, 'example.com:443')).toBe(403);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(connections).toBe(0);
    // Names off the list are not even resolved.
    expect(lookups.sort()).toEqual(['internal.example', 'rebind.example', 'registry.npmjs.org']);
    expect(p.refused()).toEqual([
      { host: '127.0.0.1', port, command: 'npm ci', reason: 'an address, not a host name' },
      { host: 'example.com', port: 443, command: 'npm ci', reason: 'not on the allowlist' },
      { host: 'registry.npmjs.org', port: 443, command: 'npm ci', reason: expect.stringMatching(/127\.0\.0\.1, which is this machine/) as string },
      { host: 'rebind.example', port: 443, command: 'npm ci', reason: expect.stringMatching(/169\.254\.169\.254/) as string },
      { host: 'internal.example', port: 443, command: 'npm ci', reason: expect.stringMatching(/private address/) as string },
      { host: 'localhost', port, command: 'npm ci', reason: 'not on the allowlist' },
    ]);
  });

  it('tunnels to a service the operator named with its port, every byte through to the server closing', async () => {
    const payload = Buffer.alloc(5 * 1024 * 1024, 'x');
    const server = net.createServer((socket) => {
      socket.once('data', () => socket.end(payload));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    proxy = await openEgressProxy({ rules: [{ pattern: `localhost:${port}`, source: 'operator' }], logger: silentLogger(), parentDir: os.tmpdir(), resolve: () => Promise.resolve(['127.0.0.1']) });
    try {
      const received = await new Promise<number>((resolve, reject) => {
        const req = http.request({ socketPath: proxy!.socketPath, method: 'CONNECT', path: `localhost:${port}` });
        req.on('connect', (res, socket) => {
          expect(res.statusCode).toBe(200);
          let bytes = 0;
          socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
          socket.on('end', () => resolve(bytes));
          socket.on('error', reject);
          socket.write('hello');
        });
        req.on('error', reject);
        req.end();
      });
      expect(received).toBe(payload.length);
      expect(proxy.refused()).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('resolves ready() when the forwarder asks for the ready host, and times out otherwise', async () => {
    const p = await open(() => Promise.resolve([]));
    await expect(p.ready(50)).rejects.toThrow(/forwarder did not start/);
    const answer = await get(p.socketPath, `http://${EGRESS_READY_HOST}/`);
    expect(answer.status).toBe(204);
    await expect(p.ready(50)).resolves.toBeUndefined();
    expect(p.refused()).toEqual([]);
  });
});
