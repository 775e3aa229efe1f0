/**
 * Runs once per `vitest run` before any Docker test: checks the engine and
 * builds the base images (OS bootstrap included) a single time, so every test
 * file shares them. Fails early with the engine error when Docker is down.
 */
import type { TestProject } from 'vitest/node';
import { createDockerClient, pingDocker } from '../../src/sandbox/docker-client.ts';
import { ensureBaseImage } from '../../src/sandbox/base-image.ts';
import { currentOwner } from '../../src/sandbox/labels.ts';
import { LANGUAGES } from '../../src/sandbox/languages.ts';
import { createLogger } from '../../src/logger.ts';
import { testConfig } from './test-config.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseImages: Record<string, string>;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const config = testConfig();
  const docker = createDockerClient(config.dockerHost);
  await pingDocker(docker, config.dockerHost);
  const logger = createLogger({ level: 'info', name: 'test-setup' });
  const started = Date.now();
  const baseImages: Record<string, string> = {};
  for (const language of LANGUAGES) {
    const image = await ensureBaseImage({ docker, settings: config.sandbox, logger, owner: currentOwner() }, language);
    baseImages[language] = image.tag;
  }
  logger.info({ baseImages, ms: Date.now() - started }, 'base images ready');
  project.provide('baseImages', baseImages);
}
