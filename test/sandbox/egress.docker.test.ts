/**
 * Environment builds on the real engine reach the outside only through the
 * egress proxy (issue #12): a server on this machine's loopback is not
 * reachable (with the host's network it was), addresses and hosts outside the
 * allowlist are refused and reported with the command, and the registry
 * still installs. Build secrets reach the setup commands and no image layer.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRepoConfig } from '../../src/config/repo-config.ts';
import { ImageBuildError } from '../../src/errors.ts';
import { fixtureRepo, type FixtureRepo } from '../helpers/git-fixture.ts';
import { removeImage, testSandbox } from '../helpers/sandbox.ts';

/** Asks the proxy (CONNECT for https, absolute form for http) and then directly; prints one line per target. */
const PROBE = `
import http from 'node:http';
import net from 'node:net';
const proxy = new URL(process.env.HTTPS_PROXY);
function viaProxy(target) {
  return new Promise((resolve) => {
    const url = new URL(target);
    // Its own agent: the request is already written for the proxy (NODE_USE_ENV_PROXY would rewrite it again).
    const options = { host: proxy.hostname, port: proxy.port, timeout: 20000, agent: false };
    if (url.protocol === 'https:') {
      const req = http.request({ ...options, method: 'CONNECT', path: url.hostname + ':' + (url.port || 443) });
      req.on('connect', (res, socket) => { socket.destroy(); resolve(res.statusCode); });
      req.on('error', (e) => resolve(e.code));
      req.end();
    } else {
      http.get({ ...options, path: target, headers: { host: url.host } }, (res) => { res.resume(); resolve(res.statusCode); }).on('error', (e) => resolve(e.code));
    }
  });
}
// A bare TCP connection: no proxy variable applies to it.
function direct(target) {
  const url = new URL(target);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), timeout: 5000 });
    socket.on('connect', () => { socket.destroy(); resolve('connected'); });
    socket.on('timeout', () => { socket.destroy(); resolve('timeout'); });
    socket.on('error', (e) => resolve(e.code));
  });
}
for (const target of process.argv.slice(2)) console.log('probe ' + target + ' proxy=' + (await viaProxy(target)) + ' direct=' + (await direct(target)));
`;

const sandbox = testSandbox();
const images = new Set<string>();
const repos: FixtureRepo[] = [];
let server: http.Server;
let port = 0;
let hits = 0;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    hits += 1;
    res.end('host secret');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  for (const image of images) await removeImage(sandbox.docker, image);
  for (const repo of repos) repo.remove();
});

function probeRepo(): FixtureRepo {
  const repo = fixtureRepo('node-repo');
  repo.commit({ 'probe.mjs': PROBE, 'package.json': fs.readFileSync(`${repo.dir}/package.json`, 'utf8').replace('"version": "1.0.0"', `"version": "1.0.0", "nonce": "${randomUUID()}"`) });
  repos.push(repo);
  return repo;
}

describe('environment builds behind the egress proxy', () => {
  it('cannot reach this machine, addresses or unlisted hosts, and still installs from the registry', async () => {
    const repo = probeRepo();
    const source = repo.source();
    const targets = [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`, 'http://169.254.169.254/latest/meta-data/', 'https://example.com/', 'https://registry.npmjs.org/'];
    const probe = `node probe.mjs ${targets.join(' ')} && node -e "fetch('https://registry.npmjs.org/is-number').then((r) => console.log('node fetch', r.status))"`;
    const config = defaultRepoConfig();
    const spec = await sandbox.detect(source, { ...config.environment, setup: ['npm ci', probe] });

    const env = await sandbox.ensureEnvironment(source, spec);
    images.add(env.image);
    const log = fs.readFileSync(env.logFile, 'utf8');
    const result = (target: string) => new RegExp(`probe ${target.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} proxy=(\\S+) direct=(\\S+)`).exec(log)?.slice(1);

    expect(hits).toBe(0);
    // This machine's loopback: the proxy refuses, and directly there is only the build's own loopback.
    expect(result(`http://127.0.0.1:${port}/`)).toEqual(['403', 'ECONNREFUSED']);
    expect(result(`http://localhost:${port}/`)?.[0]).toBe('403');
    expect(result('http://169.254.169.254/latest/meta-data/')?.[0]).toBe('403');
    expect(result('https://example.com/')?.[0]).toBe('403');
    // The registry is allowed (the tunnel opens); directly, the build has no network at all.
    expect(result('https://registry.npmjs.org/')?.[0]).toBe('200');
    expect(result('https://registry.npmjs.org/')?.[1]).not.toBe('connected');
    // Node's own fetch (corepack's downloads) goes through the proxy too.
    expect(log).toContain('node fetch 200');

    const refused = env.egressRefused.map((refusal) => refusal.host).sort();
    expect(refused).toEqual(['127.0.0.1', '169.254.169.254', 'example.com', 'localhost']);
    expect(env.egressRefused.every((refusal) => refusal.command === probe)).toBe(true);
    expect(log).toMatch(/# egress refused: example\.com:443 \(not on the allowlist\)/);

    // npm ci went through the proxy: the dependency is in the image.
    await sandbox.withInstance(env, source, async (instance) => {
      expect((await instance.exec('ls node_modules')).stdout).toContain('is-number');
    });
  });

  it('fails a build whose setup needs a refused host with a permanent error naming it and the setting', async () => {
    const repo = probeRepo();
    const source = repo.source();
    const command = `node probe.mjs https://npm.internal.example/ && node -e "process.exit(1)"`;
    const spec = await sandbox.detect(source, { ...defaultRepoConfig().environment, setup: [command] });
    const error = await sandbox.ensureEnvironment(source, spec).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ImageBuildError);
    const build = error as ImageBuildError;
    expect(build.kind).toBe('permanent');
    expect(build.message).toContain("egress proxy refused npm.internal.example");
    expect(build.hint).toContain('environment.egress_allow');
    expect(build.egressRefused).toEqual([expect.objectContaining({ host: 'npm.internal.example', port: 443, command })]);
  });

  it('works with the sockets in a Docker volume, as when swe-bot runs in a container (SWE_BOT_EGRESS_VOLUME)', async () => {
    // swe-bot in a container mounts the volume at SWE_BOT_EGRESS_DIR; here, as root on the engine's
    // machine, the volume's own folder stands in for that mount.
    const volume = `swe-bot-egress-test-${randomUUID().slice(0, 8)}`;
    await sandbox.docker.createVolume({ Name: volume });
    try {
      const { Mountpoint } = (await sandbox.docker.getVolume(volume).inspect()) as { Mountpoint: string };
      const inVolume = testSandbox({ SWE_BOT_EGRESS_DIR: Mountpoint, SWE_BOT_EGRESS_VOLUME: volume });
      const repo = probeRepo();
      const source = repo.source();
      const spec = await inVolume.detect(source, { ...defaultRepoConfig().environment, setup: ['npm ci'] });
      const env = await inVolume.ensureEnvironment(source, spec);
      images.add(env.image);
      expect(env.cached).toBe(false);
      await inVolume.withInstance(env, source, async (instance) => {
        expect((await instance.exec('ls node_modules')).stdout).toContain('is-number');
      });
      // Each proxy's socket folder is gone once its build is.
      expect(fs.readdirSync(Mountpoint)).toEqual([]);
    } finally {
      await sandbox.docker.getVolume(volume).remove({ force: true });
    }
  });

  it('gives setup commands their build secrets and leaves none in the saved image or its containers', async () => {
    const token = `npm-token-${randomUUID()}`;
    const fileSecret = `npmrc-secret-${randomUUID()}`;
    const secretBox = testSandbox({
      SWE_BOT_BUILD_SECRETS: JSON.stringify({ '*': { NPM_TOKEN: 'TEST_BUILD_NPM_TOKEN', '.npmrc': 'TEST_BUILD_NPMRC' } }),
      TEST_BUILD_NPM_TOKEN: token,
      TEST_BUILD_NPMRC: `//npm.internal.example/:_authToken=${fileSecret}\n`,
    });
    const repo = probeRepo();
    const source = repo.source();
    const check = `test "$NPM_TOKEN" = "${token}" && grep -q "${fileSecret}" "$NPM_CONFIG_USERCONFIG" && echo "got $NPM_TOKEN and $(cat "$NPM_CONFIG_USERCONFIG")"`;
    const spec = await secretBox.detect(source, { ...defaultRepoConfig().environment, setup: ['npm ci', check] });
    const env = await secretBox.ensureEnvironment(source, spec);
    images.add(env.image);

    const log = fs.readFileSync(env.logFile, 'utf8');
    expect(log).toContain('got [redacted] and [redacted]');
    expect(log).not.toContain(token);

    const found = await imageContains(secretBox.docker, env.image, [token, fileSecret]);
    expect(found).toEqual([]);
    await secretBox.withInstance(env, source, async (instance) => {
      const result = await instance.exec('env; ls -a /run/swe-bot-secrets 2>&1; cat ~/.npmrc 2>&1');
      expect(result.stdout).not.toContain(token);
      expect(result.stdout).not.toContain(fileSecret);
      expect(result.stdout).not.toContain('NPM_CONFIG_USERCONFIG');
    });

    // A pull request's head (a review) gets none.
    const headSpec = await secretBox.detect(source, { ...defaultRepoConfig().environment, setup: ['test -z "$NPM_TOKEN" && test -z "$NPM_CONFIG_USERCONFIG" && echo no secrets'] });
    const head = await secretBox.ensureEnvironment(source, headSpec, { untrusted: true });
    images.add(head.image);
    expect(fs.readFileSync(head.logFile, 'utf8')).toContain('no secrets');
  });
});

/** Which of `needles` occur anywhere in `docker save` of the image (every layer, the configuration, the history). */
async function imageContains(docker: ReturnType<typeof testSandbox>['docker'], image: string, needles: string[]): Promise<string[]> {
  const stream = await docker.getImage(image).get();
  const longest = Math.max(...needles.map((needle) => needle.length));
  const found = new Set<string>();
  let carry = '';
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    const text = carry + chunk.toString('latin1');
    for (const needle of needles) if (text.includes(needle)) found.add(needle);
    carry = text.slice(-longest);
  }
  expect(bytes).toBeGreaterThan(1_000_000);
  return [...found];
}
