/**
 * `swe-bot smith` (issue #13), on a small library made from the node-repo
 * fixture (a few functions, node:test):
 *
 * - smith_validation_throughput: the time per candidate in the validation
 *   loop (a fresh container of the base snapshot, the file written, the diff
 *   read, the tests run and parsed, the container removed), against running
 *   the same test command by hand in a fresh container of the same
 *   environment image with the repository copied in (`docker run --rm …`),
 *   once per candidate. Target ≤ 1.11× the time (≥ 0.9× the throughput).
 * - smith_yield_<kind>: validated / tried per bug kind (report only).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { formatFor } from '../src/agent/formats/index.ts';
import { createModelClient } from '../src/agent/model-client.ts';
import { defaultRepoConfig } from '../src/config/repo-config.ts';
import { runSmith } from '../src/dataset/smith.ts';
import type { Logger } from '../src/logger.ts';
import { createSandbox } from '../src/sandbox/sandbox.ts';
import { fixtureRepo, type FixtureRepo } from '../test/helpers/git-fixture.ts';
import { testConfig } from '../test/helpers/test-config.ts';
import { report } from './report.ts';

const execFileAsync = promisify(execFile);
const COUNT = 10;
const MAX_CANDIDATES = 16;

export async function run(): Promise<void> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-bench-smith-'));
  const config = testConfig({ SWE_BOT_DATA_DIR: dataDir });
  const logger = pino({ name: 'bench', level: 'warn' }, pino.destination(2)) as Logger;
  const sandbox = createSandbox({ settings: config.sandbox, logger, dockerHost: config.dockerHost });
  await sandbox.ping();
  const made: FixtureRepo[] = [];
  const repoDir = fixtureLibrary(made);
  const repository = 'node-repo fixture + lib.js';
  const commit = (await execFileAsync('git', ['rev-parse', 'HEAD'], { cwd: repoDir })).stdout.trim();
  const deps = {
    sandbox,
    logger,
    // Never asked: the tests run with the detected commands.
    model: { client: createModelClient({ baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'bench', model: 'none', logger }), format: formatFor('text'), name: 'none' },
  };
  try {
    let loopStarted = 0;
    const result = await runSmith(deps, {
      source: { repoDir, commit, name: path.basename(repoDir) },
      environment: defaultRepoConfig().environment,
      count: COUNT,
      maxCandidates: MAX_CANDIDATES,
      // No model here: the template, without asking an endpoint that is not there.
      issueText: 'template',
      onProgress: (event) => {
        if (event.message.includes('candidate bugs in the source')) loopStarted = performance.now();
      },
    });
    const loopMs = performance.now() - loopStarted;
    const oursPerCandidate = loopMs / Math.max(1, result.tried);

    // By hand: the same test command in a fresh container of the same image, the repository copied in, once per candidate.
    const image = await environmentImage(sandbox, repoDir, commit);
    const script = `cp -a /src/. /testbed/ && cd /testbed && (${result.spec.test}) >/dev/null 2>&1; true`;
    const started = performance.now();
    for (let i = 0; i < result.tried; i += 1) {
      await execFileAsync('docker', ['run', '--rm', '--network', 'none', '--user', '0', '-v', `${repoDir}:/src:ro`, image, 'sh', '-c', script], {
        ...(config.dockerHost === undefined ? {} : { env: { ...process.env, DOCKER_HOST: config.dockerHost } }),
        maxBuffer: 64 * 1024 * 1024,
      });
    }
    const byHandPerCandidate = (performance.now() - started) / Math.max(1, result.tried);
    report({
      measure: 'smith_validation_throughput',
      ours: oursPerCandidate,
      baseline: byHandPerCandidate,
      target: '<= 1.11',
      unit: 'ms per candidate',
      runs: result.tried,
      details: { repository, validated: result.bugs.length, tried: result.tried },
    });
    for (const [kind, counts] of Object.entries(result.perKind)) {
      report({ measure: `smith_yield_${kind}`, ours: counts.validated, baseline: counts.tried, target: null, unit: 'validated / tried', details: { repository } });
    }
  } finally {
    for (const repo of made) repo.remove();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

/** The environment image smith used (cached by then): detection and ensureEnvironment find it again. */
async function environmentImage(sandbox: ReturnType<typeof createSandbox>, repoDir: string, commit: string): Promise<string> {
  const source = { repoDir, commit };
  return (await sandbox.ensureEnvironment(source, await sandbox.detect(source))).image;
}

/** The node-repo fixture with a few small functions and their tests. */
function fixtureLibrary(made: FixtureRepo[]): string {
  const repo = fixtureRepo('node-repo');
  made.push(repo);
  repo.commit({
    'lib.js': [
      "'use strict';",
      'function clamp(x, lo, hi) {',
      '  if (x < lo) return lo;',
      '  if (x > hi) return hi;',
      '  return x;',
      '}',
      'function range(n) {',
      '  const out = [];',
      '  for (let i = 0; i < n; i += 1) out.push(i);',
      '  return out;',
      '}',
      'module.exports = { clamp, range };',
      '',
    ].join('\n'),
    'test/lib.test.js': [
      "'use strict';",
      "const test = require('node:test');",
      "const assert = require('node:assert');",
      "const { clamp, range } = require('../lib.js');",
      "test('clamp inside', () => assert.strictEqual(clamp(5, 0, 10), 5));",
      "test('clamp low', () => assert.strictEqual(clamp(-3, 0, 10), 0));",
      "test('clamp high', () => assert.strictEqual(clamp(12, 0, 10), 10));",
      "test('range', () => assert.deepStrictEqual(range(3), [0, 1, 2]));",
      '',
    ].join('\n'),
  });
  return repo.dir;
}
