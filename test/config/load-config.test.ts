import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
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
    expect(config.sandbox).toMatchObject({ memoryBytes: 4 * 1024 ** 3, cpus: 2, pids: 512, diskBytes: 4 * 1024 ** 3, cacheLevel: 'env' });
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
    const config = loadConfig({ SWE_BOT_SANDBOX_MEMORY: '512m', SWE_BOT_SANDBOX_CPUS: '1.5', SWE_BOT_IMAGE_CACHE_MAX: '2g', SWE_BOT_SANDBOX_DISK: '10g' });
    expect(config.sandbox.memoryBytes).toBe(512 * 1024 ** 2);
    expect(config.sandbox.diskBytes).toBe(10 * 1024 ** 3);
    expect(() => loadConfig({ SWE_BOT_SANDBOX_DISK: 'plenty' })).toThrow(/SWE_BOT_SANDBOX_DISK: "plenty" is not a size/);
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

  it('keeps no trajectories by default; SWE_BOT_KEEP_TRAJECTORIES_DAYS sets the days, under the data folder', () => {
    const defaults = loadConfig({ SWE_BOT_DATA_DIR: '/srv/swe-bot' });
    expect(defaults.keepTrajectoriesDays).toBe(0);
    expect(defaults.trajectoryDir).toBe('/srv/swe-bot/trajectories');
    expect(loadConfig({ SWE_BOT_KEEP_TRAJECTORIES_DAYS: '30' }).keepTrajectoriesDays).toBe(30);
    for (const bad of ['-1', '1.5', 'forever']) {
      expect(() => loadConfig({ SWE_BOT_KEEP_TRAJECTORIES_DAYS: bad }), bad).toThrow(/SWE_BOT_KEEP_TRAJECTORIES_DAYS/);
    }
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ REDIS_URL: '', SWE_BOT_EXTRA_CA_CERTS: ' ' })).toMatchObject({ redisUrl: undefined });
  });
});
