import type Docker from 'dockerode';
import { silentLogger } from '../../src/logger.ts';
import { execInContainer } from '../../src/sandbox/exec.ts';
import { createSandbox, type Sandbox } from '../../src/sandbox/sandbox.ts';
import { testConfig } from './test-config.ts';

/** A sandbox on the real engine with test settings (overridable per variable). */
export function testSandbox(overrides: Record<string, string | undefined> = {}): Sandbox {
  const config = testConfig(overrides);
  return createSandbox({ settings: config.sandbox, logger: silentLogger(), dockerHost: config.dockerHost });
}

export async function containerExists(docker: Docker, id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

/** Removes an image, ignoring one that is already gone. */
export async function removeImage(docker: Docker, ref: string): Promise<void> {
  await docker
    .getImage(ref)
    .remove({ force: true })
    .catch((error: unknown) => {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    });
}

/** Runs `command` as `swe` in a throwaway container of `image`, without network; its standard output (throws on a non-zero exit). */
export async function runInImage(docker: Docker, image: string, command: string): Promise<string> {
  const container = await docker.createContainer({ Image: image, Cmd: ['sleep', 'infinity'], NetworkDisabled: true, User: 'swe' });
  try {
    await container.start();
    const result = await execInContainer(container, command, { timeoutMs: 60_000 });
    if (result.exitCode !== 0) throw new Error(`\`${command}\` exited with ${result.exitCode}: ${result.stderr}`);
    return result.stdout;
  } finally {
    await container.remove({ force: true });
  }
}
