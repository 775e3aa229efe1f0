/**
 * The OS image under the base Dockerfiles: bootstrapped from Debian with
 * debootstrap and imported under the requested name when it is missing.
 */
import { describe, expect, it } from 'vitest';
import { ImageBuildError } from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import { ensureOsImage } from '../../src/sandbox/os-image.ts';
import { removeImage, testSandbox } from '../helpers/sandbox.ts';
import { closedPort } from '../helpers/ports.ts';
import { testConfig } from '../helpers/test-config.ts';

const sandbox = testSandbox();
const settings = testConfig().sandbox;

describe('the OS image', () => {
  it('is bootstrapped from Debian under the requested name when missing', async () => {
    // A name the base images do not use, so the shared one stays untouched.
    const name = 'debian:bookworm';
    await removeImage(sandbox.docker, name);
    try {
      await ensureOsImage({ docker: sandbox.docker, logger: silentLogger(), settings }, name);
      const container = await sandbox.docker.createContainer({ Image: name, Cmd: ['cat', '/etc/debian_version'], NetworkDisabled: true });
      try {
        await container.start();
        await container.wait();
        const logs = await container.logs({ stdout: true, follow: false });
        expect(logs.toString('utf8')).toMatch(/^\S*12\.\d+/m);
      } finally {
        await container.remove({ force: true });
      }
    } finally {
      await removeImage(sandbox.docker, name);
    }
  }, 600_000);

  it('fails transiently, naming the mirror, when the Debian mirror does not answer', async () => {
    const mirror = `http://127.0.0.1:${await closedPort()}/debian`;
    const error = await ensureOsImage(
      { docker: sandbox.docker, logger: silentLogger(), settings: { ...settings, debianMirror: mirror } },
      'debian:trixie-slim',
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImageBuildError);
    expect((error as ImageBuildError).kind).toBe('transient');
    expect((error as ImageBuildError).message).toContain(`the Debian mirror did not answer (${mirror})`);
    expect((error as ImageBuildError).logTail).toContain('Failed getting release file');
  });

  it('explains when a missing image is not Debian and cannot be pulled', async () => {
    const error = await ensureOsImage(
      { docker: sandbox.docker, logger: silentLogger(), settings },
      'swe-bot-test/not-an-os:1',
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImageBuildError);
    expect((error as Error).message).toMatch(/not present and cannot be pulled.*SWE_BOT_BASE_OS_IMAGE/s);
  });
});
