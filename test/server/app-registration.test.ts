/**
 * The first start: without App credentials the web role serves the
 * registration pages (GitHub's manifest flow, with GitHub mocked), writes
 * what GitHub hands over to the env file, and ends with `registered`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { writeCredentials } from '../../src/server/app-registration.ts';
import { startService, type Service } from '../../src/server/service.ts';
import { example, mockGitHub, type MockGitHub } from '../helpers/github-api.ts';
import { PRIVATE_KEY, serviceConfig } from '../helpers/service-fixture.ts';

let gh: MockGitHub | undefined;
let service: Service | undefined;
const dirs: string[] = [];

afterEach(async () => {
  gh?.close();
  gh = undefined;
  await service?.stop();
  service = undefined;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-registration-'));
  dirs.push(dir);
  return dir;
}

async function startUnregistered(env: Record<string, string | undefined> = {}): Promise<{ service: Service; envFile: string }> {
  const envFile = path.join(tempDir(), '.env');
  service = await startService({
    config: serviceConfig({ APP_ID: undefined, PRIVATE_KEY: undefined, WEBHOOK_SECRET: undefined, ...env }),
    role: 'all',
    logger: silentLogger(),
    envFile,
  });
  return { service, envFile };
}

function formOf(html: string): { action: string; manifest: Record<string, unknown> } {
  const action = /<form action="([^"]+)" method="post">/.exec(html)?.[1] ?? '';
  const value = /name="manifest" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const decoded = value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return { action: action.replace(/&amp;/g, '&'), manifest: JSON.parse(decoded) as Record<string, unknown> };
}

describe('registration (GitHub App manifest flow)', () => {
  it('serves the registration page, with /healthz 503 until registered', async () => {
    const { service } = await startUnregistered();
    expect(service.mode).toBe('setup');
    const root = await fetch(`${service.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/setup');
    const health = await fetch(`${service.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ ok: false, mode: 'setup', checks: { github: expect.stringMatching(/not registered/) as unknown } });
    expect((await fetch(`${service.url}/api/github/webhooks`, { method: 'POST', body: '{}' })).status).toBe(404);

    const { action, manifest } = formOf(await (await fetch(`${service.url}/setup`)).text());
    expect(action).toMatch(/^https:\/\/github\.com\/settings\/apps\/new\?state=[0-9a-f]{32}$/);
    expect(manifest).toMatchObject({
      name: 'swe-bot',
      public: false,
      hook_attributes: { url: `${service.url}/api/github/webhooks` },
      redirect_url: `${service.url}/setup/done`,
      default_events: ['issues', 'issue_comment', 'pull_request', 'check_run'],
      default_permissions: { metadata: 'read', contents: 'write', issues: 'write', pull_requests: 'write', checks: 'write' },
    });
    const forOrg = formOf(await (await fetch(`${service.url}/setup?org=acme`)).text());
    expect(forOrg.action).toMatch(/^https:\/\/github\.com\/organizations\/acme\/settings\/apps\/new\?state=/);
  });

  it('uses SWE_BOT_PUBLIC_URL for the webhook and the redirect', async () => {
    const { service } = await startUnregistered({ SWE_BOT_PUBLIC_URL: 'https://bot.example.com/' });
    const { manifest } = formOf(await (await fetch(`${service.url}/setup`)).text());
    expect(manifest).toMatchObject({ hook_attributes: { url: 'https://bot.example.com/api/github/webhooks' }, redirect_url: 'https://bot.example.com/setup/done' });
  });

  it('exchanges the code for the credentials, writes them, and ends with `registered`', async () => {
    gh = mockGitHub({ githubApp: false, installationToken: false });
    const conversion = example('apps/create-from-manifest', { id: 4321, slug: 'swe-bot-acme', html_url: 'https://github.com/apps/swe-bot-acme', pem: PRIVATE_KEY, webhook_secret: 'whsec' }, 201);
    gh.on('POST /app-manifests/{code}/conversions', { status: 201, body: conversion });
    const { service, envFile } = await startUnregistered();
    fs.writeFileSync(envFile, '# mine\nLOG_LEVEL=debug\nAPP_ID=old\n');
    const { action } = formOf(await (await fetch(`${service.url}/setup`)).text());
    const state = new URL(action).searchParams.get('state') ?? '';

    const forged = await fetch(`${service.url}/setup/done?code=abc&state=${'0'.repeat(32)}`, { redirect: 'manual' });
    expect(forged.status).toBe(400);
    expect(gh.requests).toEqual([]);

    const done = await fetch(`${service.url}/setup/done?code=abc123&state=${state}`, { redirect: 'manual' });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('https://github.com/apps/swe-bot-acme/installations/new');
    expect(await service.done).toBe('registered');
    expect(gh.calls('POST /app-manifests/{code}/conversions').map((r) => r.path)).toEqual(['/app-manifests/abc123/conversions']);
    gh.done();

    const text = fs.readFileSync(envFile, 'utf8');
    expect(text.startsWith('# mine\nLOG_LEVEL=debug\n')).toBe(true);
    expect(parseEnv(text)).toMatchObject({ LOG_LEVEL: 'debug', APP_ID: '4321', PRIVATE_KEY, WEBHOOK_SECRET: 'whsec' });
    expect(fs.statSync(envFile).mode & 0o777).toBe(0o600);
    // A used state does not work twice.
    const replay = await fetch(`${service.url}/setup/done?code=abc123&state=${state}`, { redirect: 'manual' }).catch(() => undefined);
    expect(replay?.status ?? 'closed').not.toBe(302);
  });
});

describe('writeCredentials', () => {
  it('replaces our keys (also multi-line quoted ones), keeps the rest, and reads back', () => {
    const file = path.join(tempDir(), '.env');
    fs.writeFileSync(file, 'A=1\nPRIVATE_KEY="-----BEGIN X-----\nabc\n-----END X-----"\nexport WEBHOOK_SECRET=old\nB="two words"');
    writeCredentials(file, { PRIVATE_KEY: 'line1\nline2', WEBHOOK_SECRET: 'new' });
    expect(parseEnv(fs.readFileSync(file, 'utf8'))).toEqual({ A: '1', B: 'two words', PRIVATE_KEY: 'line1\nline2', WEBHOOK_SECRET: 'new' });
    expect(() => writeCredentials(file, { X: 'has "quotes"' })).toThrow(/quote or backslash/);
  });
});
