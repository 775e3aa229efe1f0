import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing but Node; `docker` needs a Docker engine
// (and Redis), started by scripts/setup-host.sh. Docker tests run one file at
// a time: the machine has 2 cores and the tests measure real limits.
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
