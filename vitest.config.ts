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
        // The App end to end (issue #5): the service in-process (and `serve
        // --role worker` child processes) on the real Redis, real containers,
        // GitHub mocked, a scripted model. Needs Docker and Redis; builds the
        // base images first, as the docker project does. Runs after the other
        // projects (groupOrder 1), not beside them: its workers' reapers and
        // its timings want the engine and the 2 cores to themselves.
        test: {
          name: 'app',
          include: ['test/app/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 900_000,
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
