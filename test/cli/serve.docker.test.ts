/**
 * `swe-bot serve` as a child process, the way `npm start` runs it: JSON logs
 * on stdout, the embedded redis-server under a temp data folder, and a clean
 * exit (code 0) on SIGTERM that leaves no container of its own and no
 * redis-server behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createDockerClient } from '../../src/sandbox/docker-client.ts';
import { LABEL, formatOwner, type Owner } from '../../src/sandbox/labels.ts';
import { PRIVATE_KEY, WEBHOOK_SECRET } from '../helpers/service-fixture.ts';
import { processAlive } from '../../src/util/process-alive.ts';

const MAIN = path.resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const IMAGE = 'swe-bot-test/empty:latest';

interface LogLine {
  msg: string;
  [key: string]: unknown;
}

interface Child {
  process: ChildProcess;
  /** Its working folder (where `.env` is read and written). */
  cwd: string;
  lines: LogLine[];
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first log line with this message (waits for it). */
  line(msg: string, timeoutMs?: number): Promise<LogLine>;
}

const children: Child[] = [];
const dirs: string[] = [];
let docker: Docker;

beforeAll(async () => {
  docker = createDockerClient(process.env.DOCKER_HOST);
  // A one-file image to make a container from, without any registry.
  const tar = pack();
  tar.entry({ name: 'empty' }, '');
  tar.finalize();
  // tar-stream's pack is a streamx Readable, which dockerode pipes like a Node one.
  const stream = await docker.importImage(tar as unknown as NodeJS.ReadableStream, { repo: 'swe-bot-test/empty', tag: 'latest' });
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())));
});

afterAll(async () => {
  // Imported again on every run: the previous one would stay as a dangling image.
  await docker.getImage(IMAGE).remove({ force: true }).catch(() => undefined);
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGKILL');
      await child.exit;
    }
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function serve(args: string[], env: Record<string, string>): Child {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-serve-'));
  dirs.push(cwd);
  const child = spawn(process.execPath, [MAIN, 'serve', ...args], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      SWE_BOT_DATA_DIR: path.join(cwd, 'data'),
      ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters: (() => void)[] = [];
  let partial = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as LogLine);
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const handle: Child = {
    process: child,
    cwd,
    lines,
    stderr: () => stderr,
    exit,
    async line(msg, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find((line) => line.msg === msg);
        if (found) return found;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`no log line "${msg}"; exit ${child.exitCode}; stderr:\n${stderr}\nstdout:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
  };
  children.push(handle);
  return handle;
}


it('runs web and workers with an embedded Redis, and on SIGTERM exits 0 leaving no container and no redis-server', async () => {
  const child = serve([], { APP_ID: '12345', PRIVATE_KEY, WEBHOOK_SECRET });
  const redisLine = await child.line('embedded redis-server started (append-only file on)');
  const dockerLine = await child.line('docker ready; leftovers reaped');
  const { url } = (await child.line('listening')) as LogLine & { url: string };
  expect(child.lines.find((line) => line.msg === 'workers ready')).toMatchObject({ queues: ['fix', 'review'] });
  const redisPid = redisLine.redisPid as number;
  expect(processAlive(redisPid)).toBe(true);
  expect(fs.existsSync(path.join(String(redisLine.dir), 'appendonlydir'))).toBe(true);

  const health = await fetch(`${url}/healthz`);
  expect(await health.json()).toMatchObject({ ok: true, role: 'all', checks: { redis: 'ok', docker: 'ok' } });

  // A container as a job of this process would have left it (created, not started).
  const owner = formatOwner(dockerLine.owner as Owner);
  const container = await docker.createContainer({
    Image: IMAGE,
    Cmd: ['/empty'],
    Labels: { [LABEL.managed]: 'true', [LABEL.role]: 'instance', [LABEL.owner]: owner, [LABEL.expiresAt]: String(Date.now() + 3600_000) },
  });

  child.process.kill('SIGTERM');
  const exit = await child.exit;
  expect(exit).toEqual({ code: 0, signal: null });
  expect(child.lines.map((line) => line.msg)).toEqual(
    expect.arrayContaining(['shutting down: no new webhooks or jobs', 'removed the containers jobs left at shutdown', 'embedded redis-server stopped', 'stopped']),
  );
  expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL.owner}=${owner}`] } })).toEqual([]);
  await expect(container.inspect()).rejects.toMatchObject({ statusCode: 404 });
  expect(processAlive(redisPid)).toBe(false);
  expect(child.stderr()).toBe('');
  // It exited by itself, not through the fallback timer.
  expect(child.lines.map((line) => line.msg)).not.toContain('something kept the process alive after shutdown: exiting');
});

it('exits at once on a second signal, stopping the embedded redis-server too', async () => {
  const child = serve(['--role', 'web'], { APP_ID: '12345', PRIVATE_KEY, WEBHOOK_SECRET });
  const redisPid = (await child.line('embedded redis-server started (append-only file on)')).redisPid as number;
  const { url } = (await child.line('listening')) as LogLine & { url: string };
  // A webhook whose body never finishes: the graceful shutdown waits for it.
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('POST /api/github/webhooks HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":');
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.process.kill('SIGTERM');
    await child.line('shutting down: no new webhooks or jobs');
    child.process.kill('SIGTERM');
    expect(await child.exit).toEqual({ code: 143, signal: null });
    expect(child.lines.map((line) => line.msg)).toContain('second signal: exiting now');
    for (let i = 0; i < 50 && processAlive(redisPid); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(processAlive(redisPid)).toBe(false);
  } finally {
    socket.destroy();
  }
});

it('serves the registration page when the App is not registered, and exits 0 on SIGINT', async () => {
  const child = serve(['--role', 'web'], {});
  const notice = (await waitForSetup(child)) as LogLine & { url: string };
  const page = await fetch(notice.url);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Register swe-bot as a GitHub App');
  child.process.kill('SIGINT');
  expect(await child.exit).toEqual({ code: 0, signal: null });
});

it('registers the App through the manifest flow and restarts with the credentials in the same process', async () => {
  // GitHub Enterprise Server stand-in: answers the manifest conversion only.
  const conversions: string[] = [];
  const ghes = http.createServer((req, res) => {
    conversions.push(`${req.method} ${req.url}`);
    res.writeHead(201, { 'content-type': 'application/json' }).end(
      JSON.stringify({ id: 4321, slug: 'swe-bot-test', html_url: 'https://ghes.test/apps/swe-bot-test', pem: PRIVATE_KEY, webhook_secret: 'whsec', client_id: 'Iv1.x', client_secret: 'cs' }),
    );
  });
  await new Promise<void>((resolve) => ghes.listen(0, '127.0.0.1', resolve));
  try {
    const child = serve(['--role', 'web'], { GHE_HOST: `127.0.0.1:${(ghes.address() as net.AddressInfo).port}`, GHE_PROTOCOL: 'http' });
    const notice = (await waitForSetup(child)) as LogLine & { url: string };
    const page = await (await fetch(notice.url)).text();
    const state = /state=([0-9a-f]+)/.exec(page)?.[1] ?? '';
    const done = await fetch(new URL(`/setup/done?code=c0de&state=${state}`, notice.url), { redirect: 'manual' });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('https://ghes.test/apps/swe-bot-test/installations/new');
    expect(conversions).toEqual(['POST /api/v3/app-manifests/c0de/conversions']);
    const { url } = (await child.line('listening')) as LogLine & { url: string };
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ ok: true, mode: 'running' });
    const envFile = path.join(child.cwd, '.env');
    expect(fs.readFileSync(envFile, 'utf8')).toContain('APP_ID="4321"');
    child.process.kill('SIGTERM');
    expect(await child.exit).toEqual({ code: 0, signal: null });
  } finally {
    await new Promise((resolve) => ghes.close(resolve));
  }
});

it('rejects an unknown role with exit code 2', async () => {
  const child = serve(['--role', 'cook'], {});
  expect(await child.exit).toEqual({ code: 2, signal: null });
  expect(child.stderr()).toContain('--role must be web, worker or all, not cook');
});

async function waitForSetup(child: Child): Promise<LogLine> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = child.lines.find((line) => line.msg.startsWith('The GitHub App is not registered yet'));
    if (found) return found;
    if (Date.now() > deadline || child.process.exitCode !== null) throw new Error(`no setup notice; stderr: ${child.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
