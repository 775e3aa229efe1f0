import { defineConfig } from 'vitest/config';

// Projects: `unit` needs nothing but Node; `redis` (the queue tests) needs the Redis that
// scripts/setup-host.sh starts (REDIS_URL, else 127.0.0.1:6379); `docker`
// needs a Docker engine (and Redis). Docker tests run one file at a time: the
// machine has 2 cores and the tests measure real limits. Queue tests measure
// timings too (cancel within a second, stalled-job recovery), so they also run
// one file at a time; each test uses its own key prefix.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        // GitHub mocked (test/helpers/github-api.ts), git on the host against
        // a local HTTP server; the rate-limit tests measure real waits.
        test: {
          name: 'github',
          include: ['test/github/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'redis',
          include: ['test/queue/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        // The service (src/server): HTTP routes, webhooks to Redis, the
        // embedded redis-server, `swe-bot serve` as a child process. Needs
        // Redis and a Docker engine; GitHub is mocked.
        test: {
          name: 'server',
          include: ['test/server/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'docker',
          include: ['test/sandbox/**/*.test.ts', 'test/cli/**/*.test.ts', 'test/harness/**/*.test.ts', 'test/agent/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
