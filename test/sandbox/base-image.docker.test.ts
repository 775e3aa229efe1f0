/**
 * Base images on the real engine (issue #9): the common layer builds with
 * SWE_BOT_EXTRA_CA_CERTS unset — the default most users run — and under
 * another key than with certificates; the node image carries exactly the
 * pinned toolchain and says so in its labels; a failed layer build says
 * whether trying again can help.
 */
import fs from 'node:fs';
import { afterAll, afterEach, describe, expect, inject, it, vi } from 'vitest';
import pins from '../../docker/base/toolchains.json' with { type: 'json' };
import { ImageBuildError } from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import { commonImageTag, ensureCommonImage, splitPemBundle } from '../../src/sandbox/base-image.ts';
import { currentOwner, LABEL } from '../../src/sandbox/labels.ts';
import { DEFAULT_BASE_OS_IMAGE, DEFAULT_NODE_MAJOR, describeNodeRelease, nodeRelease } from '../../src/sandbox/toolchains.ts';
import { closedPort } from '../helpers/ports.ts';
import { runInImage, testSandbox } from '../helpers/sandbox.ts';
import { testConfig } from '../helpers/test-config.ts';
import { startTlsServer, type TlsServer } from '../helpers/tls-server.ts';

const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const sandbox = testSandbox();
const docker = sandbox.docker;
let tls: TlsServer | undefined;

afterAll(async () => {
  await tls?.close();
});

async function labelsOf(image: string): Promise<Record<string, string>> {
  return (await docker.getImage(image).inspect()).Config.Labels;
}

describe('the common layer', () => {
  it('builds with SWE_BOT_EXTRA_CA_CERTS unset, under its own key, and trusts only the OS store then', async () => {
    const unset = testConfig({ SWE_BOT_EXTRA_CA_CERTS: undefined }).sandbox;
    expect(unset.extraCaCertsFile).toBeUndefined();
    const tag = await ensureCommonImage({ docker, settings: unset, logger: silentLogger(), owner: currentOwner() });
    expect(tag).toBe(await commonImageTag(unset));

    const labels = await labelsOf(tag);
    expect(labels[LABEL.role]).toBe('base');
    expect(labels[LABEL.osImage]).toBe(DEFAULT_BASE_OS_IMAGE);
    expect(labels[LABEL.toolchain]).toContain(`on ${DEFAULT_BASE_OS_IMAGE}`);
    const inside = await runInImage(docker, tag, 'ls -A /usr/local/share/ca-certificates/swe-bot | wc -l; git --version; id -u');
    expect(inside.trim().split('\n').map((line) => line.trim())).toEqual(['0', expect.stringMatching(/^git version 2\./), '1000']);

    if (fs.existsSync(HOST_CA_BUNDLE)) {
      // With certificates the key differs, and the image holds each of them.
      const withCa = testConfig({ SWE_BOT_EXTRA_CA_CERTS: HOST_CA_BUNDLE }).sandbox;
      const caTag = await ensureCommonImage({ docker, settings: withCa, logger: silentLogger(), owner: currentOwner() });
      expect(caTag).not.toBe(tag);
      const count = splitPemBundle(fs.readFileSync(HOST_CA_BUNDLE, 'utf8')).length;
      expect(Number((await runInImage(docker, caTag, 'ls /usr/local/share/ca-certificates/swe-bot/*.crt | wc -l')).trim())).toBe(count);
    }
  });
});

describe('the node base image', () => {
  it('carries exactly the pinned Node.js, npm and corepack, and names them in its labels', async () => {
    const image = inject('baseImages').node;
    expect(image).toBeDefined();
    const release = nodeRelease(DEFAULT_NODE_MAJOR);
    const versions = await runInImage(docker, image!, 'node --version; npm --version; corepack --version');
    expect(versions.trim().split('\n').map((line) => line.trim())).toEqual([`v${release.node}`, release.npm, release.corepack]);
    const labels = await labelsOf(image!);
    expect(labels[LABEL.toolchain]).toBe(`${describeNodeRelease(release)} on ${DEFAULT_BASE_OS_IMAGE}`);
    expect(labels[LABEL.osImage]).toBe(DEFAULT_BASE_OS_IMAGE);
  });
});

describe('a failed layer build', () => {
  afterEach(() => {
    vi.doUnmock('../../docker/base/toolchains.json');
    vi.resetModules();
  });

  /** ensureBaseImage('node') with a default-major pin no machine has built (a new key), fetching from `registry`. */
  async function buildNodeWithFreshPin(registry: string): Promise<ImageBuildError> {
    const copy = structuredClone(pins);
    const entry = copy.node[String(DEFAULT_NODE_MAJOR) as keyof typeof copy.node];
    entry.node = `${DEFAULT_NODE_MAJOR}.${Date.now() % 100_000}.0`;
    vi.resetModules();
    vi.doMock('../../docker/base/toolchains.json', () => ({ default: copy }));
    const { ensureBaseImage } = await import('../../src/sandbox/base-image.ts');
    const settings = testConfig({ SWE_BOT_NPM_REGISTRY: registry }).sandbox;
    const error = await ensureBaseImage({ docker, settings, logger: silentLogger(), owner: currentOwner() }, 'node').catch(
      (caught: unknown) => caught,
    );
    // A class from the freshly imported module graph: compare by name.
    expect((error as Error).name).toBe(ImageBuildError.name);
    return error as ImageBuildError;
  }

  it('is permanent, with the SWE_BOT_EXTRA_CA_CERTS hint, when the registry certificate is not trusted', async () => {
    tls ??= await startTlsServer();
    const error = await buildNodeWithFreshPin(tls.url);
    expect(error.kind).toBe('permanent');
    expect(error.message).toMatch(/^Building the base image swe-bot\/base-node:\w+ \(node\) failed: a TLS certificate was not trusted: `.*swe-bot-install-node.*` exited with code 4$/);
    expect(error.hint).toContain('SWE_BOT_EXTRA_CA_CERTS');
    // The step's own words, without the builder's bookkeeping lines or colours.
    expect(error.logTail).toContain("the registry's TLS certificate is not trusted");
    expect(error.logTail).not.toMatch(/Removing intermediate container|---> Running in/);
    expect(error.logTail).not.toContain('\u001b[');
  });

  it('is transient when the registry cannot be reached', async () => {
    const error = await buildNodeWithFreshPin(`http://127.0.0.1:${await closedPort()}`);
    expect(error.kind).toBe('transient');
    expect(error.message).toContain('the network failed during the build');
    expect(error.logTail).toContain('Connection refused');
  });
});
