/**
 * `swe-bot doctor`'s registry check (issue #9): HTTPS from a container of the
 * common base layer to SWE_BOT_NPM_REGISTRY, which here is a server on
 * 127.0.0.1 whose certificate comes from a CA of the test's own, as a
 * TLS-inspecting proxy's does. The container does not trust it until
 * SWE_BOT_EXTRA_CA_CERTS holds that CA.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../../src/cli/doctor.ts';
import { commonImageTag } from '../../../src/sandbox/base-image.ts';
import { DEFAULT_NODE_MAJOR, describeNodeRelease, nodeRelease } from '../../../src/sandbox/toolchains.ts';
import { runCli } from '../../helpers/cli.ts';
import { closedPort } from '../../helpers/ports.ts';
import { removeImage, testSandbox } from '../../helpers/sandbox.ts';
import { testConfig } from '../../helpers/test-config.ts';
import { startTlsServer, type TlsServer } from '../../helpers/tls-server.ts';

const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

let tls: TlsServer;
let plain: http.Server;
let plainUrl: string;
let tmp: string;

beforeAll(async () => {
  tls = await startTlsServer();
  plain = http.createServer((req, res) => res.writeHead(req.url === '/-/ping' ? 200 : 404).end('{}'));
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-doctor-registry-'));
});

afterAll(async () => {
  await tls?.close();
  plain?.closeAllConnections();
  await new Promise((resolve) => plain?.close(resolve));
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function registryCheck(args: string[], overrides: Record<string, string | undefined>) {
  const run = await runCli(['doctor', '--json', ...args], overrides);
  const report = JSON.parse(run.stdout) as DoctorReport;
  const found = report.checks.find((entry) => entry.name === 'npm registry');
  if (!found) throw new Error(`no registry check in ${run.stdout}`);
  return { ...found, report, stderr: run.stderr };
}

describe('swe-bot doctor: the npm registry from the sandbox', () => {
  it('passes for a registry the sandbox reaches, and names the pinned toolchain of the base images', async () => {
    const found = await registryCheck([], { SWE_BOT_NPM_REGISTRY: plainUrl });
    expect(found).toMatchObject({ status: 'ok', required: false });
    expect(found.detail).toBe(`${plainUrl}/ answers over HTTP from the sandbox (HTTP 200)`);
    const images = found.report.checks.find((entry) => entry.name === 'base images');
    expect(images?.detail).toContain(describeNodeRelease(nodeRelease(DEFAULT_NODE_MAJOR)));
  });

  it("warns, saying to set SWE_BOT_EXTRA_CA_CERTS, when the sandbox does not trust the registry's certificate", async () => {
    const found = await registryCheck([], { SWE_BOT_NPM_REGISTRY: tls.url });
    expect(found.status).toBe('warn');
    expect(found.detail).toContain('the sandbox does not trust its TLS certificate');
    expect(found.detail).toContain('CERTIFICATE_VERIFY_FAILED');
    expect(found.hint).toContain('SWE_BOT_EXTRA_CA_CERTS');
    // Not a required check: doctor still says ready.
    expect(found.report.ok).toBe(true);
  });

  it('tells an unreachable registry from an untrusted one', async () => {
    const found = await registryCheck([], { SWE_BOT_NPM_REGISTRY: `http://127.0.0.1:${await closedPort()}` });
    expect(found.status).toBe('warn');
    // Through the egress proxy, which says why it could not connect.
    expect(found.detail).toMatch(/cannot be reached from the sandbox \(egress proxy: connect ECONNREFUSED 127\.0\.0\.1:\d+/);
    expect(found.hint).not.toContain('SWE_BOT_EXTRA_CA_CERTS');
  });

  it('with the CA in SWE_BOT_EXTRA_CA_CERTS: skipped until that common layer exists, then --build builds it and the check passes', async () => {
    const bundle = path.join(tmp, 'with-proxy-ca.pem');
    const host = fs.existsSync(HOST_CA_BUNDLE) ? fs.readFileSync(HOST_CA_BUNDLE, 'utf8') : '';
    fs.writeFileSync(bundle, `${host}\n${tls.caPem}`);
    const env = { SWE_BOT_NPM_REGISTRY: tls.url, SWE_BOT_EXTRA_CA_CERTS: bundle };
    const image = await commonImageTag(testConfig(env).sandbox);
    const { docker } = testSandbox();
    await removeImage(docker, image);
    try {
      const before = await registryCheck([], env);
      expect(before.status).toBe('skip');
      expect(before.detail).toContain(image);
      expect(before.hint).toContain('swe-bot doctor --build');

      const requestsBefore = tls.requests.length;
      const after = await registryCheck(['--build'], env);
      expect(after.status, after.detail).toBe('ok');
      expect(after.detail).toContain('answers over HTTPS from the sandbox (HTTP 200)');
      expect(tls.requests.slice(requestsBefore)).toEqual(['/-/ping']);
      // The build's progress went to stderr, not into the JSON on stdout.
      expect(after.stderr).toContain(image);
    } finally {
      await removeImage(docker, image);
    }
  });
});
