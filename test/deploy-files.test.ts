/**
 * The deployment files: docker-compose.yml (parsed as YAML, and checked by
 * `docker-compose config` when that is installed), the Dockerfile's shape,
 * and the App manifest's events and permissions.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '..');
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  group_add?: string[];
  stop_grace_period?: string;
  init?: boolean;
  user?: string;
  healthcheck?: { test: string[] };
  deploy?: { resources: { reservations: { devices: { driver: string; count: string | number; capabilities: string[] }[] } } };
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes: Record<string, unknown> };

  it('runs the app with Redis, the Docker socket, and a shutdown grace longer than the jobs get', () => {
    const app = compose.services.app;
    expect(app).toMatchObject({ build: '.', command: ['serve', '--role', 'all'], init: true, stop_grace_period: '60s' });
    expect(app?.environment).toMatchObject({ REDIS_URL: 'redis://redis:6379', OPENAI_BASE_URL: '${OPENAI_BASE_URL:-http://vllm:8000/v1}' });
    expect(app?.volumes).toEqual(expect.arrayContaining(['swe-bot-data:/app/.data', '/var/run/docker.sock:/var/run/docker.sock']));
    expect(app?.group_add?.[0]).toMatch(/^\$\{DOCKER_GID:\?/);
    // The comment on the socket mount says what it implies.
    expect(read('docker-compose.yml')).toMatch(/controls this socket controls the host/);
  });

  it('shares the egress sockets with environment builds through a volume of a fixed name, as the image expects', () => {
    for (const name of ['app', 'worker']) {
      expect(compose.services[name]?.volumes).toEqual(expect.arrayContaining(['swe-bot-egress:/run/swe-bot-egress']));
    }
    expect(compose.volumes['swe-bot-egress']).toEqual({ name: 'swe-bot-egress' });
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/SWE_BOT_EGRESS_DIR=\/run\/swe-bot-egress/);
    expect(dockerfile).toMatch(/SWE_BOT_EGRESS_VOLUME=swe-bot-egress/);
  });

  it('keeps Redis data in an append-only file on a volume', () => {
    const redis = compose.services.redis;
    expect(redis?.entrypoint).toEqual(expect.arrayContaining(['redis-server', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    expect(redis?.volumes).toEqual(['redis-data:/var/lib/redis']);
    expect(redis?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['swe-bot-data', 'redis-data']));
  });

  it('has an optional vLLM service serving Skywork-SWE-32B on GPUs, and optional workers', () => {
    const vllm = compose.services.vllm;
    expect(vllm?.profiles).toEqual(['vllm']);
    const command = vllm?.command ?? [];
    expect(command.slice(command.indexOf('--model'), command.indexOf('--model') + 2)).toEqual(['--model', 'Skywork/Skywork-SWE-32B']);
    expect(command.slice(command.indexOf('--served-model-name'), command.indexOf('--served-model-name') + 2)).toEqual(['--served-model-name', 'Skywork-SWE-32B']);
    expect(command).toEqual(expect.arrayContaining(['--port', '8000']));
    expect(vllm?.deploy?.resources.reservations.devices).toEqual([{ driver: 'nvidia', count: 'all', capabilities: ['gpu'] }]);
    expect(compose.services.worker).toMatchObject({ profiles: ['workers'], command: ['serve', '--role', 'worker'] });
  });

  it('passes `docker-compose config` when docker-compose is installed', (context) => {
    const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    if (probe.error) {
      context.skip();
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-compose-'));
    try {
      fs.writeFileSync(path.join(dir, '.env'), '');
      const args = ['-f', path.join(ROOT, 'docker-compose.yml'), '--project-directory', dir, '--profile', 'vllm', '--profile', 'workers', 'config', '-q'];
      const result = spawnSync('docker-compose', args, { encoding: 'utf8', env: { ...process.env, DOCKER_GID: '999' } });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      // Without DOCKER_GID it stops with the message that says what to set.
      const env = { ...process.env };
      delete env.DOCKER_GID;
      const missing = spawnSync('docker-compose', args, { encoding: 'utf8', env });
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain('set DOCKER_GID to the group id of /var/run/docker.sock');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('is multi-stage, runs as a non-root user, and starts `swe-bot serve`', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    const users = [...dockerfile.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe('swebot');
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "bin\/swe-bot\.js"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["serve"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
  });
});

describe('app.yml', () => {
  it('asks for the events swe-bot handles and the least permissions it needs', () => {
    const manifest = parse(read('app.yml')) as { default_events: string[]; default_permissions: Record<string, string>; public: boolean };
    expect([...manifest.default_events].sort()).toEqual(['check_run', 'issue_comment', 'issues', 'pull_request']);
    expect(manifest.default_permissions).toEqual({ metadata: 'read', contents: 'write', issues: 'write', pull_requests: 'write', checks: 'write' });
    expect(manifest.public).toBe(false);
  });
});
