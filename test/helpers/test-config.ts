/**
 * Settings for tests: the real environment (so DOCKER_HOST and friends are
 * honoured) with small limits, and the host's CA bundle trusted by the images
 * when the host has one (a TLS-inspecting proxy may sit in front of the npm
 * registry; see README "Extra CA certificates").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/load-config.ts';

const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export function testEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (env.SWE_BOT_EXTRA_CA_CERTS === undefined && fs.existsSync(HOST_CA_BUNDLE)) {
    env.SWE_BOT_EXTRA_CA_CERTS = HOST_CA_BUNDLE;
  }
  env.SWE_BOT_DATA_DIR ??= path.join(os.tmpdir(), 'swe-bot-test-data');
  env.SWE_BOT_SANDBOX_MEMORY ??= '2g';
  env.SWE_BOT_SANDBOX_CPUS ??= '2';
  env.SWE_BOT_SANDBOX_PIDS ??= '256';
  // No registry is reachable from test machines; do not even ask one.
  env.SWE_BOT_OS_IMAGE_PULL ??= 'never';
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig(testEnv(overrides));
}
