/**
 * Onboarding a repository nobody configured (issue #11), medians of a few
 * runs, measured in the same run on the same machine:
 *
 * - onboarding_cold: a repository never seen before (a fixture with a
 *   manifest made unique, so its environment key is new) → detection →
 *   environment image built → an instance → the first baseline that counts,
 *   against the same install and test commands run by hand in one container
 *   of the same base image (`docker run … sh -c 'npm ci && <test>'`).
 *   Target ≤ 1.2×.
 * - onboarding_cached: the next job on that repository at the same commit,
 *   up to its baseline (the environment image reused, the baseline read from
 *   the run cache), against onboarding_cold. Target ≤ 0.1×.
 * - onboarding_new_commit: the next job after a push (the environment image
 *   reused, the tests run at the new commit), against onboarding_cold (report only).
 * Each on the node-repo fixture and, when ../shared/corpus-onboard is there,
 * on commander 9.4.1's release tree.
 * - setup_agent_cost: a repository whose detected test command cannot run,
 *   up to the first baseline that counts, with a scripted model whose first
 *   proposal fails and second works, against the same repository with the
 *   working commands configured, at its next commit (report only; proposals and builds in the line).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { formatFor } from '../src/agent/formats/index.ts';
import { createModelClient } from '../src/agent/model-client.ts';
import { defaultRepoConfig } from '../src/config/repo-config.ts';
import { openBaseline, type Baseline } from '../src/jobs/baseline.ts';
import type { PipelineDeps } from '../src/jobs/pipeline-deps.ts';
import type { ProgressListener } from '../src/jobs/progress.ts';
import type { Logger } from '../src/logger.ts';
import { createSandbox, type Environment, type SourceRef } from '../src/sandbox/sandbox.ts';
import { fixtureRepo, type FixtureRepo } from '../test/helpers/git-fixture.ts';
import { startScriptedModel, type ScriptedModel } from '../test/helpers/scripted-model.ts';
import { testConfig } from '../test/helpers/test-config.ts';
import { median, report, timed } from './report.ts';

const RUNS = 3;
const execFileAsync = promisify(execFile);

export async function run(): Promise<void> {
  // A data folder of its own: recipes remembered by earlier runs would spare the setup agent its work.
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-bench-onboard-'));
  const config = testConfig({ SWE_BOT_DATA_DIR: dataDir });
  const logger = pino({ name: 'bench', level: 'warn' }, pino.destination(2)) as Logger;
  const sandbox = createSandbox({ settings: config.sandbox, logger, dockerHost: config.dockerHost });
  await sandbox.ping();
  const dockerEnv = { ...process.env, ...(config.dockerHost === undefined ? {} : { DOCKER_HOST: config.dockerHost }) };
  const base = await sandbox.ensureBaseImage('node');
  // The model only the setup agent (setup_agent_cost) talks to: its first proposal fails, its second works.
  const proposal = (test: string): string => `\`\`\`yaml\nenvironment:\n  test: ${test}\n  log_parser: tap\n\`\`\`\n`;
  const model = await startScriptedModel({ replies: [proposal('npm run no-such-script'), proposal('node --test --test-reporter=tap')] });
  const deps: PipelineDeps = {
    sandbox,
    logger,
    model: { client: createModelClient({ baseUrl: model.url, apiKey: 'bench', model: 'scripted', logger, backoffBaseMs: 1 }), format: formatFor('text'), name: 'scripted' },
  };
  try {
    for (const subject of subjects()) await onboarding(deps, base.tag, dockerEnv, subject);
    await setupAgentCost(deps, model);
  } finally {
    await model.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

/** A repository to onboard: a fixture, or a real project's tree. */
interface Subject {
  /** Printed in each line. */
  repository: string;
  /** Appended to the measures' names (names are unique across benches): '' for the fixture. */
  suffix: string;
  /** Where the tree is: a test/fixtures name or an absolute path. */
  tree: string;
  /** A file whose change makes a new commit without touching the environment. */
  sourceFile: string;
}

/** onboarding_cold, onboarding_cached and onboarding_new_commit, on one repository. */
async function onboarding(deps: PipelineDeps, baseTag: string, dockerEnv: NodeJS.ProcessEnv, subject: Subject): Promise<void> {
  const { sandbox } = deps;
  const cold: number[] = [];
  const cached: number[] = [];
  const newCommit: number[] = [];
  const byHand: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const fixture = unseenRepository(subject.tree, i);
    const built: Environment[] = [];
    try {
      const source = fixture.source();
      progress(`${subject.repository}, run ${i + 1}/${RUNS}: cold`);
      cold.push((await timed(async () => built.push(await firstBaseline(deps, source)))).ms);
      progress(`${subject.repository}, run ${i + 1}/${RUNS}: cached`);
      cached.push((await timed(() => firstBaseline(deps, source))).ms);
      // The next job after a push: the environment is reused, the tests run at the new commit.
      const file = path.join(fixture.dir, subject.sourceFile);
      fixture.commit({ [subject.sourceFile]: `${readFileSync(file, 'utf8')}\n` }, 'bench: a new commit');
      progress(`${subject.repository}, run ${i + 1}/${RUNS}: new commit`);
      newCommit.push((await timed(() => firstBaseline(deps, fixture.source()))).ms);
      const spec = await sandbox.detect(source);
      progress(`${subject.repository}, run ${i + 1}/${RUNS}: by hand (${spec.setup.join(' && ')} && ${spec.test})`);
      // The same commands in one container of the same base image, the repository copied in (as root: the
      // fixture's folder is the host user's).
      const script = `cp -a /src/. /tmp/work && cd /tmp/work && ${spec.setup.join(' && ')} && (${spec.test}) >/dev/null 2>&1; true`;
      byHand.push(
        (
          await timed(() =>
            execFileAsync('docker', ['run', '--rm', '--network', 'host', '--user', '0', '-v', `${fixture.dir}:/src:ro`, baseTag, 'sh', '-c', script], {
              env: dockerEnv,
              maxBuffer: 64 * 1024 * 1024,
            }),
          )
        ).ms,
      );
    } finally {
      fixture.remove();
      for (const env of built) {
        await sandbox.docker.getImage(env.image).remove().catch(() => undefined);
        await fs.rm(env.logFile, { force: true });
      }
    }
  }
  const [details, suffix] = [{ repository: subject.repository }, subject.suffix];
  report({ measure: `onboarding_cold${suffix}`, ours: median(cold), baseline: median(byHand), target: '<= 1.2', unit: 'ms', runs: RUNS, details });
  report({ measure: `onboarding_cached${suffix}`, ours: median(cached), baseline: median(cold), target: '<= 0.1', unit: 'ms', runs: RUNS, details });
  report({ measure: `onboarding_new_commit${suffix}`, ours: median(newCommit), baseline: median(cold), target: null, unit: 'ms', runs: RUNS, details });
}

/**
 * The fixture (a dependency and two tests: Docker's fixed costs dominate),
 * and, when ../shared/corpus-onboard is beside the project, a real project's
 * release tree (commander 9.4.1: jest, 1,051 tests) as a new user's repository is.
 */
function subjects(): Subject[] {
  const fixture: Subject = { repository: 'test/fixtures/node-repo', suffix: '', tree: 'node-repo', sourceFile: 'index.js' };
  const corpus = path.resolve(import.meta.dirname, '..', '..', 'shared', 'corpus-onboard');
  if (!existsSync(path.join(corpus, 'build.mjs'))) {
    progress(`${corpus} is missing: the real project is not measured`);
    return [fixture];
  }
  const out = mkdtempSync(path.join(os.tmpdir(), 'swe-bot-bench-corpus-'));
  const id = 'commander-suggest-transposition';
  execFileSync(process.execPath, [path.join(corpus, 'build.mjs'), path.join(corpus, 'recipes.json'), out, id], { stdio: ['ignore', 'ignore', 'inherit'] });
  return [fixture, { repository: 'commander 9.4.1 (corpus-onboard)', suffix: '_commander', tree: path.join(out, id, 'repo'), sourceFile: 'index.js' }];
}

/** The setup agent's price: two proposals (one fails), against the working recipe configured. */
async function setupAgentCost(deps: PipelineDeps, model: ScriptedModel): Promise<void> {
  const { sandbox } = deps;
  const fixture = fixtureRepo('node-repo');
  const manifest = JSON.parse(readFileSync(`${fixture.dir}/package.json`, 'utf8')) as { scripts: Record<string, string> };
  manifest.scripts.test = './scripts/run-tests.sh';
  fixture.commit({ 'package.json': `${JSON.stringify(manifest, null, 2)}\n` }, 'bench: a test script detection cannot run');
  const opened: Baseline[] = [];
  try {
    const source = fixture.source();
    const builds: string[] = [];
    const progressOf: ProgressListener = (event) => {
      if (event.stage === 'environment' && /^(?:built|cached) /.test(event.message)) builds.push(event.message);
    };
    progress('setup_agent_cost: with the agent');
    const detected = await sandbox.detect(source);
    const withAgent = await timed(async () => opened.push(await openBaseline(deps, { source, spec: detected }, progressOf)));
    // Another commit (the environment the agent's recipe built is reused, as before): at the same one, the
    // agent's confirmed baseline would be read from the run cache and the comparison would be with nothing.
    fixture.commit({ 'README.md': '# bench\n' }, 'bench: another commit');
    const next = fixture.source();
    const configuredSpec = await sandbox.detect(next, { ...defaultRepoConfig().environment, test: 'node --test --test-reporter=tap', log_parser: 'tap' });
    progress('setup_agent_cost: configured');
    const configured = await timed(async () => opened.push(await openBaseline(deps, { source: next, spec: configuredSpec }, () => undefined)));
    report({
      measure: 'setup_agent_cost',
      ours: withAgent.ms,
      baseline: configured.ms,
      target: null,
      unit: 'ms',
      details: { proposals: model.requests.length, environmentsPrepared: builds.length },
    });
  } finally {
    for (const baseline of opened) await baseline.close();
    fixture.remove();
  }
}

/** The tree with a package.json no environment was built for: installs the same, keys differently. */
function unseenRepository(tree: string, run: number): FixtureRepo {
  const fixture = fixtureRepo(tree);
  const manifest = JSON.parse(readFileSync(`${fixture.dir}/package.json`, 'utf8')) as { description: string };
  manifest.description = `${manifest.description} (bench ${Date.now()}-${process.pid}-${run})`;
  fixture.commit({ 'package.json': `${JSON.stringify(manifest, null, 2)}\n` }, 'bench: a repository never seen before');
  return fixture;
}

/** Detection → environment → instance and its snapshot → a baseline that counts, as a fix job starts (src/jobs/baseline.ts). */
async function firstBaseline(deps: PipelineDeps, source: SourceRef): Promise<Environment> {
  const opened = await openBaseline(deps, { source, spec: await deps.sandbox.detect(source) }, () => undefined);
  await opened.close();
  return opened.env;
}

function progress(message: string): void {
  process.stderr.write(`  onboard: ${message}\n`);
}
