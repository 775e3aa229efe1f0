import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { parseRepoConfig, defaultRepoConfig } from '../../src/config/repo-config.ts';
import { ConfigError } from '../../src/errors.ts';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.model).toEqual({
      baseUrl: 'http://127.0.0.1:8000/v1',
      apiKey: 'EMPTY',
      name: 'Skywork-SWE-32B',
      toolFormat: 'text',
    });
    expect(config.server).toEqual({ port: 3000, host: '0.0.0.0' });
    expect(config.redisUrl).toBeUndefined();
    expect(config.workerConcurrency).toBe(2);
    expect(config.sandbox).toMatchObject({ memoryBytes: 4 * 1024 ** 3, cpus: 2, pids: 512, cacheLevel: 'env' });
  });

  it('reads the service settings: queue prefix, job lock, write spacing, per-installation cap', () => {
    const defaults = loadConfig({});
    expect([defaults.queuePrefix, defaults.jobLockMs, defaults.github.writeSpacingMs, defaults.installationConcurrency]).toEqual([undefined, 30_000, 1_000, 2]);
    const set = loadConfig({ SWE_BOT_QUEUE_PREFIX: 'staging-1', SWE_BOT_JOB_LOCK_MS: '5000', SWE_BOT_GITHUB_WRITE_SPACING_MS: '0', SWE_BOT_INSTALLATION_CONCURRENCY: '4' });
    expect([set.queuePrefix, set.jobLockMs, set.github.writeSpacingMs, set.installationConcurrency]).toEqual(['staging-1', 5_000, 0, 4]);
    expect(() => loadConfig({ SWE_BOT_QUEUE_PREFIX: 'a:b' })).toThrow(/SWE_BOT_QUEUE_PREFIX: letters, digits/);
    expect(() => loadConfig({ SWE_BOT_JOB_LOCK_MS: '10' })).toThrow(/SWE_BOT_JOB_LOCK_MS/);
  });

  it('parses sizes and numbers', () => {
    const config = loadConfig({ SWE_BOT_SANDBOX_MEMORY: '512m', SWE_BOT_SANDBOX_CPUS: '1.5', SWE_BOT_IMAGE_CACHE_MAX: '2g' });
    expect(config.sandbox.memoryBytes).toBe(512 * 1024 ** 2);
    expect(config.sandbox.cpus).toBe(1.5);
    expect(config.sandbox.imageCacheMaxBytes).toBe(2 * 1024 ** 3);
  });

  it('fails naming every bad variable', () => {
    const attempt = () =>
      loadConfig({ SWE_BOT_SANDBOX_MEMORY: 'lots', SWE_BOT_TOOL_FORMAT: 'xml', PORT: '99999', REDIS_URL: 'http://x' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      for (const name of ['SWE_BOT_SANDBOX_MEMORY', 'SWE_BOT_TOOL_FORMAT', 'PORT', 'REDIS_URL']) expect(message).toContain(name);
      expect(message).toContain('"lots" is not a size');
    }
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ REDIS_URL: '', SWE_BOT_EXTRA_CA_CERTS: ' ' })).toMatchObject({ redisUrl: undefined });
  });
});

describe('parseRepoConfig', () => {
  it('fills defaults for missing sections and keeps given values', () => {
    const config = parseRepoConfig('fix:\n  candidates: 4\nenvironment:\n  setup: ["npm ci"]\n  node_version: 20\n');
    expect(config.fix).toEqual({ ...defaultRepoConfig().fix, candidates: 4 });
    expect(config.environment.setup).toEqual(['npm ci']);
    expect(config.environment.node_version).toBe('20');
    expect(config.review.max_comments).toBe(15);
  });

  it('accepts an empty file', () => {
    expect(parseRepoConfig('')).toEqual(defaultRepoConfig());
  });

  it('quotes the exact problem: field path for schema errors', () => {
    expect(() => parseRepoConfig('fix:\n  candidates: 99\n')).toThrow(/\.github\/swe-bot\.yml: fix\.candidates: .*16/);
    expect(() => parseRepoConfig('review:\n  max_coments: 3\n')).toThrow(/review: .*max_coments/);
  });

  it('quotes the exact problem: line and column for YAML errors', () => {
    expect(() => parseRepoConfig('fix:\n  label: [unclosed\n')).toThrow(/swe-bot\.yml: .*line \d+/);
    expect(() => parseRepoConfig('- a list\n')).toThrow(/top level must be a mapping/);
  });
});
