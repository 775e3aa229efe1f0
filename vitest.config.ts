import { defineConfig } from 'vitest/config';

// Tests mirror the sources: the tests of src/<path>/<name>.ts are
// test/<path>/<name>[-<aspect>][.docker|.redis|.app].test.ts, and the suffix
// says what the test needs, which picks its project:
// - no suffix (`unit`): Node alone. GitHub is mocked (test/helpers/github-api.ts),
//   git runs on the host against a server on 127.0.0.1; some tests measure real waits.
// - `.redis`: the Redis that scripts/setup-host.sh starts (REDIS_URL, else
//   127.0.0.1:6379). One file at a time: they measure timings (cancel within a
//   second, stalled-job recovery); each test uses its own key prefix.
// - `.docker`: a Docker engine (and Redis). One file at a time: the machine
//   has 2 cores and the tests measure real limits. The base images are built
//   once, first (test/helpers/global-setup.ts).
// - `.app`: the App end to end: the service in-process (and `serve --role
//   worker` child processes) on the real Redis, real containers, GitHub
//   mocked, a scripted model. Runs after the other projects (groupOrder 1),
//   not beside them: its workers' reapers and its timings want the engine
//   and the 2 cores to themselves.
const SUFFIXED = ['test/**/*.docker.test.ts', 'test/**/*.redis.test.ts', 'test/**/*.app.test.ts'];
// Every project: the GitHub mock fails the test that leaves a bad request
// unchecked or a declared call unused (test/helpers/mock-checks.ts).
const setupFiles = ['test/helpers/mock-checks-setup.ts'];

export default defineConfig({
  test: {
    exclude: ['**/node_modules/**', 'test/fixtures/**'],
    projects: [
      {
        test: {
          name: 'unit',
          setupFiles,
          include: ['test/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'test/fixtures/**', ...SUFFIXED],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'redis',
          setupFiles,
          include: ['test/**/*.redis.test.ts'],
          exclude: ['**/node_modules/**', 'test/fixtures/**'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'docker',
          setupFiles,
          include: ['test/**/*.docker.test.ts'],
          exclude: ['**/node_modules/**', 'test/fixtures/**'],
          globalSetup: ['test/helpers/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 900_000,
        },
      },
      {
        test: {
          name: 'app',
          setupFiles,
          include: ['test/**/*.app.test.ts'],
          exclude: ['**/node_modules/**', 'test/fixtures/**'],
          globalSetup: ['test/helpers/global-setup.ts'],
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
