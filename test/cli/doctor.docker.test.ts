/**
 * `swe-bot doctor` against the real parts: the Docker engine, a real Redis,
 * a model endpoint served by a small HTTP server on loopback, and GitHub App
 * credentials made from a freshly generated RSA key. Only the Node version
 * and a missing redis-server binary are injected, since neither can be made
 * real inside this test process.
 */
import { createHook } from 'node:async_hooks';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDoctor, formatReport, type DoctorReport } from '../../src/cli/doctor.ts';
import { createDockerClient } from '../../src/sandbox/docker-client.ts';
import { testConfig } from '../helpers/test-config.ts';
import { runBin, runCli, type CliRun } from '../helpers/cli.ts';
import { closedPort } from '../helpers/ports.ts';

const CHECK_NAMES = ['config', 'node', 'docker', 'base images', 'npm registry', 'redis', 'model', 'github app'];

const MODEL = 'Skywork-SWE-32B';
const API_KEY = 'sk-doctor-test-0123456789abcdef';
const WEBHOOK_SECRET = 'whsec-doctor-test-fedcba9876543210';
const { privateKey: PRIVATE_KEY } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
/** A line of the key's body: what must never appear in any output. */
const KEY_BODY_LINE = PRIVATE_KEY.split('\n')[5] ?? '';

// ------------------------------------------------------------------ helpers

async function doctor(args: string[], overrides: Record<string, string | undefined>): Promise<CliRun> {
  return runCli(['doctor', ...args], overrides);
}

async function doctorJson(
  overrides: Record<string, string | undefined>,
): Promise<{ code: number; report: DoctorReport; stdout: string }> {
  const { code, stdout, stderr } = await doctor(['--json'], overrides);
  expect(stderr).toBe('');
  return { code, report: JSON.parse(stdout) as DoctorReport, stdout };
}

function check(report: DoctorReport, name: string) {
  const found = report.checks.find((entry) => entry.name === name);
  if (!found) throw new Error(`no check named ${name} in ${JSON.stringify(report)}`);
  return found;
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

async function close(server: net.Server): Promise<void> {
  if (server instanceof http.Server) server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

interface ModelServer {
  url: string;
  authorizations: string[];
  server: http.Server;
}

/** An OpenAI-style `/v1/models` endpoint serving `models`. */
async function modelServer(models: string[]): Promise<ModelServer> {
  const authorizations: string[] = [];
  const server = http.createServer((request, response) => {
    authorizations.push(request.headers.authorization ?? '');
    if (request.method === 'GET' && request.url === '/v1/models') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ object: 'list', data: models.map((id) => ({ id, object: 'model', owned_by: 'test' })) }),
      );
    } else {
      response.writeHead(404).end();
    }
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/v1`, authorizations, server };
}

async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/**
 * A real Redis: REDIS_URL from the environment, else the one on the default
 * port, else a redis-server of our own on a free loopback port.
 */
async function startRedis(): Promise<{ url: string; child?: ChildProcess }> {
  const candidates = [process.env.REDIS_URL, 'redis://127.0.0.1:6379'].filter((url) => url !== undefined);
  for (const url of candidates) if (await redisAnswers(url)) return { url };
  const port = await closedPort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (await redisAnswers(url)) return { url, child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`redis-server on port ${port} did not start`);
}

function expectNoSecrets(output: string): void {
  expect(output).not.toContain(API_KEY);
  expect(output).not.toContain(WEBHOOK_SECRET);
  expect(output).not.toContain(KEY_BODY_LINE);
  expect(output).not.toContain('PRIVATE KEY-----');
}

/**
 * Runs `fn` and returns, with its value, the timers and sockets it created
 * that still keep the process alive once it has settled.
 */
async function handlesLeftBy<T>(fn: () => Promise<T>): Promise<{ value: T; left: string[] }> {
  type Resource = { hasRef?: () => boolean; _destroyed?: boolean };
  const live = new Map<number, { type: string; resource: Resource; stack: string }>();
  let recording = true;
  const hook = createHook({
    init(asyncId, type, _triggerAsyncId, resource: Resource) {
      if (recording && (type === 'Timeout' || type === 'TCPWRAP')) {
        // Where it was made, so that a failure names the code that left it.
        const stack = (new Error().stack ?? '')
          .split('\n')
          .slice(1)
          .filter((frame) => !frame.includes('node:internal/async_hooks'))
          .slice(0, 6)
          .join('\n');
        live.set(asyncId, { type, resource, stack });
      }
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  try {
    const value = await fn();
    recording = false;
    // Node reports destroyed handles in a batch on a later turn of the event
    // loop, so a timer cleared in the last moments of fn() can still be in
    // `live`; a cleared or fired timer says so itself (`_destroyed`), and a
    // closed socket no longer holds a reference.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const left = [...live.values()]
      .filter(({ resource }) => resource._destroyed !== true && (resource.hasRef?.() ?? true))
      .map(({ type, stack }) => `${type}\n${stack}`);
    return { value, left };
  } finally {
    hook.disable();
  }
}

// ------------------------------------------------------------------ set-up

let redis: { url: string; child?: ChildProcess };
let model: ModelServer;
let tmp: string;
/** Everything good: the environment of a fully set-up host. */
let good: Record<string, string | undefined>;

beforeAll(async () => {
  redis = await startRedis();
  model = await modelServer(['some-other-model', MODEL]);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-doctor-'));
  good = {
    REDIS_URL: redis.url,
    OPENAI_BASE_URL: model.url,
    OPENAI_API_KEY: API_KEY,
    SWE_BOT_MODEL: MODEL,
    APP_ID: '123456',
    PRIVATE_KEY,
    PRIVATE_KEY_PATH: undefined,
    WEBHOOK_SECRET,
    // A loopback server stands in for the registry (tests reach no other
    // address); it does not know `/-/ping`, as some mirrors do not, and the
    // check still passes: any HTTP answer shows the sandbox gets through.
    SWE_BOT_NPM_REGISTRY: new URL(model.url).origin,
  };
});

afterAll(async () => {
  await close(model.server);
  redis.child?.kill();
  await fs.rm(tmp, { recursive: true, force: true });
});

// ------------------------------------------------------------------ tests

describe('swe-bot doctor', () => {
  it('passes every check on a fully set-up host', async () => {
    const { code, report, stdout } = await doctorJson(good);

    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((entry) => entry.name)).toEqual(CHECK_NAMES);
    for (const entry of report.checks) {
      expect(['ok', 'warn', 'fail', 'skip']).toContain(entry.status);
      expect(typeof entry.required).toBe('boolean');
      expect(entry.detail).not.toContain('\n');
    }
    expect(check(report, 'node')).toMatchObject({ status: 'ok', required: true });
    expect(check(report, 'node').detail).toContain(process.version);

    const info = (await createDockerClient(testConfig().dockerHost).info()) as { Driver: string; ServerVersion: string };
    const docker = check(report, 'docker');
    expect(docker.required).toBe(true);
    expect(docker.status).not.toBe('fail');
    expect(docker.detail).toContain(`storage driver ${info.Driver}`);
    expect(docker.detail).toContain(`Docker ${info.ServerVersion}`);
    expect(docker.detail).toMatch(/\(API \d+\.\d+\)/);

    // The docker project's globalSetup built the base images for these settings.
    expect(check(report, 'base images')).toMatchObject({ status: 'ok', required: false });
    expect(check(report, 'base images').detail).toMatch(
      /node swe-bot\/base-node:\w+ \(node \d+\.\d+\.\d+, npm \d+\.\d+\.\d+, corepack \d+\.\d+\.\d+ on debian:\w+-slim\) present/,
    );
    expect(check(report, 'npm registry')).toMatchObject({ status: 'ok', required: false });
    expect(check(report, 'npm registry').detail).toMatch(/answers over HTTP from the sandbox \(HTTP 404\)$/);

    expect(check(report, 'redis')).toMatchObject({ status: 'ok', required: true });
    expect(check(report, 'redis').detail).toMatch(/^(Redis|Valkey) \d+\.\d+/);
    expect(check(report, 'model')).toMatchObject({ status: 'ok', required: false });
    expect(check(report, 'model').detail).toContain(MODEL);
    expect(check(report, 'github app')).toMatchObject({ status: 'ok', required: false });
    expect(check(report, 'github app').detail).toContain('RSA 2048-bit');
    expect(check(report, 'github app').detail).toContain('APP_ID 123456');

    expect(model.authorizations).toContain(`Bearer ${API_KEY}`);
    expectNoSecrets(stdout);
  });

  it('fails the docker check, naming DOCKER_HOST, and skips the base images when the engine is unreachable', async () => {
    const { code, report } = await doctorJson({ ...good, DOCKER_HOST: 'unix:///tmp/nonexistent.sock' });

    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    const docker = check(report, 'docker');
    expect(docker).toMatchObject({ status: 'fail', required: true });
    expect(docker.detail).toContain('DOCKER_HOST');
    expect(docker.detail).toContain('/tmp/nonexistent.sock');
    expect(docker.hint).toContain('scripts/setup-host.sh');
    expect(check(report, 'base images')).toMatchObject({ status: 'skip', required: false });
    expect(check(report, 'redis').status).toBe('ok');
  });

  it('fails the redis check when REDIS_URL refuses connections, and leaves nothing that keeps the process alive', async () => {
    const port = await closedPort();
    const {
      value: { code, report },
      left,
    } = await handlesLeftBy(() =>
      doctorJson({ ...good, REDIS_URL: 'redis://127.0.0.1:1', OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` }),
    );

    expect(code).toBe(1);
    const redisCheck = check(report, 'redis');
    expect(redisCheck).toMatchObject({ status: 'fail', required: true });
    expect(redisCheck.detail).toContain('redis://127.0.0.1:1');
    expect(redisCheck.detail).toContain('ECONNREFUSED');
    expect(redisCheck.hint).toContain('REDIS_URL');
    expect(left).toEqual([]);
  });

  it('answers within about 4 s when Docker, Redis and the model all hang, and hangs up on each', async () => {
    // Servers that read (so that they see the client hang up) but never answer.
    const held = new Set<net.Socket>();
    const silent = () =>
      net.createServer((socket) => {
        held.add(socket);
        socket.resume();
        socket.on('close', () => held.delete(socket));
      });
    const engine = silent();
    const socketPath = path.join(tmp, 'silent-docker.sock');
    await new Promise<void>((resolve) => engine.listen(socketPath, resolve));
    const redisServer = silent();
    const modelServerPort = silent();
    const redisPort = await listen(redisServer);
    const modelPort = await listen(modelServerPort);
    try {
      const started = Date.now();
      const { code, report } = await doctorJson({
        ...good,
        DOCKER_HOST: `unix://${socketPath}`,
        REDIS_URL: `redis://:hunter2@127.0.0.1:${redisPort}`,
        OPENAI_BASE_URL: `http://127.0.0.1:${modelPort}/v1`,
      });
      expect(Date.now() - started).toBeLessThan(4_500);
      expect(code).toBe(1);
      expect(check(report, 'docker')).toMatchObject({ status: 'fail' });
      expect(check(report, 'docker').detail).toContain('no answer');
      expect(check(report, 'base images').status).toBe('skip');
      expect(check(report, 'redis')).toMatchObject({ status: 'fail' });
      expect(check(report, 'redis').detail).toContain('no answer');
      expect(check(report, 'model')).toMatchObject({ status: 'warn' });
      expect(check(report, 'model').detail).toContain('timed out');
      // The password in the URL is not printed.
      expect(JSON.stringify(report)).not.toContain('hunter2');
      // Nothing stays connected (the Docker client's own request timeout is 3.5 s).
      await expect.poll(() => held.size, { timeout: 2_000 }).toBe(0);
    } finally {
      for (const socket of held) socket.destroy();
      await Promise.all([close(engine), close(redisServer), close(modelServerPort)]);
    }
  });

  it('reports the embedded redis-server when REDIS_URL is unset', async () => {
    const { report } = await doctorJson({ ...good, REDIS_URL: undefined });
    const redisCheck = check(report, 'redis');
    expect(redisCheck).toMatchObject({ status: 'ok', required: true });
    expect(redisCheck.detail).toMatch(/redis-server \d+\.\d+\.\d+/);
  });

  it('fails the redis check when REDIS_URL is unset and redis-server is missing', async () => {
    const config = testConfig({ ...good, REDIS_URL: undefined });
    const report = await createDoctor({ config, redisServerBinary: 'redis-server-not-installed' }).run();
    expect(report.ok).toBe(false);
    const redisCheck = check(report, 'redis');
    expect(redisCheck).toMatchObject({ status: 'fail', required: true });
    expect(redisCheck.detail).toContain('not on PATH');
    expect(redisCheck.hint).toContain('apt-get install redis-server');
    expect(redisCheck.hint).toContain('REDIS_URL');
  });

  it('warns, without failing, when the model endpoint is down', async () => {
    const port = await closedPort();
    const { code, report, stdout } = await doctorJson({ ...good, OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` });

    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    const modelCheck = check(report, 'model');
    expect(modelCheck).toMatchObject({ status: 'warn', required: false });
    expect(modelCheck.detail).toContain(`127.0.0.1:${port}`);
    expect(modelCheck.hint).toContain('OPENAI_BASE_URL');
    expectNoSecrets(stdout);

    // A password in the URL is blanked out, also where an error message quotes the URL.
    const withPassword = await doctorJson({ ...good, OPENAI_BASE_URL: `http://user:pw-s3cret@127.0.0.1:${port}/v1` });
    expect(check(withPassword.report, 'model').status).toBe('warn');
    expect(withPassword.stdout).not.toContain('pw-s3cret');
  });

  it('warns when the model endpoint serves other models, naming them', async () => {
    const other = await modelServer(['qwen-coder', 'llama-3']);
    try {
      const { code, report } = await doctorJson({ ...good, OPENAI_BASE_URL: other.url });
      expect(code).toBe(0);
      const modelCheck = check(report, 'model');
      expect(modelCheck).toMatchObject({ status: 'warn', required: false });
      expect(modelCheck.detail).toContain('qwen-coder');
      expect(modelCheck.detail).toContain('llama-3');
      expect(modelCheck.detail).toContain(MODEL);
      expect(modelCheck.hint).toContain('SWE_BOT_MODEL');
    } finally {
      await close(other.server);
    }
  });

  it('warns when the GitHub App credentials are missing', async () => {
    const { code, report } = await doctorJson({
      ...good,
      APP_ID: undefined,
      PRIVATE_KEY: undefined,
      PRIVATE_KEY_PATH: undefined,
      WEBHOOK_SECRET: undefined,
    });
    expect(code).toBe(0);
    const github = check(report, 'github app');
    expect(github).toMatchObject({ status: 'warn', required: false });
    expect(github.detail).toContain('APP_ID');
    expect(github.detail).toContain('PRIVATE_KEY');
    expect(github.detail).toContain('WEBHOOK_SECRET');
    expect(github.hint).toContain('http://localhost:');
  });

  it('warns that a garbage PRIVATE_KEY does not parse, without printing it', async () => {
    const garbage = 'this-is-not-a-key-but-a-secret-Zq81xW0pLk';
    for (const args of [['--json'], []]) {
      const { code, stdout, stderr } = await doctor(args, { ...good, PRIVATE_KEY: garbage });
      expect(code).toBe(0);
      expect(stdout).toContain('does not parse');
      expect(stdout + stderr).not.toContain(garbage);
      expect(stdout + stderr).not.toContain('Zq81xW0pLk');
      expectNoSecrets(stdout + stderr);
    }
  });

  it('reads the key from PRIVATE_KEY_PATH, and warns when that file cannot be read', async () => {
    const keyFile = path.join(tmp, 'app.private-key.pem');
    await fs.writeFile(keyFile, PRIVATE_KEY, { mode: 0o600 });
    const readable = await doctorJson({ ...good, PRIVATE_KEY: undefined, PRIVATE_KEY_PATH: keyFile });
    expect(check(readable.report, 'github app')).toMatchObject({ status: 'ok' });
    expect(check(readable.report, 'github app').detail).toContain('PRIVATE_KEY_PATH');
    expectNoSecrets(readable.stdout);

    const missing = path.join(tmp, 'missing.pem');
    const unreadable = await doctorJson({ ...good, PRIVATE_KEY: undefined, PRIVATE_KEY_PATH: missing });
    expect(check(unreadable.report, 'github app')).toMatchObject({ status: 'warn' });
    expect(check(unreadable.report, 'github app').detail).toContain(`${missing} cannot be read (ENOENT)`);
  });

  it('reports an invalid environment as a failed config check, still checking Node', async () => {
    const { code, report } = await doctorJson({ ...good, PORT: 'not-a-port' });
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(check(report, 'config')).toMatchObject({ status: 'fail', required: true });
    expect(check(report, 'config').detail).toContain('PORT');
    expect(check(report, 'node').status).toBe('ok');
    for (const name of ['docker', 'base images', 'redis', 'model', 'github app']) {
      expect(check(report, name).status).toBe('skip');
    }
  });

  it('fails the node check on a Node older than 22.18', async () => {
    const report = await createDoctor({ config: testConfig(good), nodeVersion: 'v22.17.1' }).run();
    expect(report.ok).toBe(false);
    const node = check(report, 'node');
    expect(node).toMatchObject({ status: 'fail', required: true });
    expect(node.detail).toContain('v22.17.1');
    expect(node.hint).toContain('npm');
    expect(formatReport(report)).toMatch(/^✖ node +v22\.17\.1/m);
  });

  it('prints one aligned line per check and a summary in human mode', async () => {
    const { code, stdout, stderr } = await doctor([], { ...good, DOCKER_HOST: 'unix:///tmp/nonexistent.sock' });
    expect(code).toBe(1);
    expect(stderr).toBe('');
    const lines = stdout.trimEnd().split('\n');
    const checkLines = lines.filter((line) => /^[✔!✖-] /.test(line));
    expect(checkLines).toHaveLength(CHECK_NAMES.length);
    // Names padded to the longest, so that the details start in one column.
    const width = Math.max(...CHECK_NAMES.map((name) => name.length));
    checkLines.forEach((line, index) => {
      expect(line.slice(2, 2 + width).trimEnd()).toBe(CHECK_NAMES[index]);
      expect(line.slice(2 + width, 4 + width)).toBe('  ');
      expect(line.charAt(4 + width)).not.toBe(' ');
    });
    expect(checkLines[2]).toMatch(/^✖ docker .*DOCKER_HOST.* — fix: .*setup-host\.sh/);
    expect(checkLines[3]).toMatch(/^- base images +skipped: /);
    expect(lines).toHaveLength(CHECK_NAMES.length + 2);
    expect(lines.at(-1)).toMatch(/^not ready: required check failed: docker/);
  });

  it('rejects unknown flags with usage and exit code 2', async () => {
    const { code, stdout, stderr } = await doctor(['--bogus'], good);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('--bogus');
    expect(stderr).toContain('usage: swe-bot doctor [--json]');

    const help = await doctor(['--help'], good);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: swe-bot doctor [--json]');
  });

  it('runs end to end through bin/swe-bot.js, and the process exits promptly', async () => {
    const run = (overrides: Record<string, string | undefined>) => runBin(['doctor', '--json'], overrides);

    const ok = await run(good);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as DoctorReport;
    expect(report.ok).toBe(true);
    expect(report.checks.map((entry) => entry.name)).toEqual(CHECK_NAMES);
    expect(check(report, 'node').detail).toMatch(/^v24\./);
    expectNoSecrets(ok.stdout);

    // No Redis handle keeps the process alive after a failed connection.
    const failed = await run({ ...good, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(failed.code).toBe(1);
    expect(check(JSON.parse(failed.stdout) as DoctorReport, 'redis').status).toBe('fail');
    expect(failed.ms).toBeLessThan(ok.ms + 1_500);
  });
});
