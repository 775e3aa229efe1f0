/**
 * The sandbox against bare Docker, measured in the same run on the same
 * machine (medians):
 *
 * - warm_start: `createInstance` (environment cached → instance ready with the
 *   repository in /testbed) vs `docker run --rm --network none IMAGE true`.
 * - exec_round_trip: `instance.exec('true')` vs `docker exec CONTAINER true`.
 * - disk_per_instance: the container's SizeRw vs the environment image's size.
 * - env_cache_hit_vs_cold: `ensureEnvironment` with the image present vs a
 *   cold build of the same fixture with a changed manifest (report only).
 *
 * SWE_BOT_BENCH_PHASES=1 also prints where createInstance's time goes, by
 * running its pieces one after the other.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { Logger } from '../src/logger.ts';
import { containerSpec } from '../src/sandbox/container-spec.ts';
import { execInContainer } from '../src/sandbox/exec.ts';
import { Instance, type InstanceDeps } from '../src/sandbox/instance.ts';
import { currentOwner, labelsFor } from '../src/sandbox/labels.ts';
import { createSandbox, INSTANCE_TTL_MS, type Environment, type Sandbox, type SourceRef } from '../src/sandbox/sandbox.ts';
import { checkoutCommit } from '../src/sandbox/source.ts';
import { fixtureRepo, type FixtureRepo } from '../test/helpers/git-fixture.ts';
import { testConfig } from '../test/helpers/test-config.ts';
import { median, report, timed } from './report.ts';

const WARM_START_RUNS = 10;
const EXEC_RUNS = 30;
const CACHE_HIT_RUNS = 5;
const WARMUPS = 2;

const execFileAsync = promisify(execFile);

export async function run(): Promise<void> {
  const config = testConfig();
  // Warnings only, and on stderr: stdout carries nothing but measure lines.
  const logger = pino({ name: 'bench', level: 'warn' }, pino.destination(2)) as Logger;
  const sandbox = createSandbox({ settings: config.sandbox, logger, dockerHost: config.dockerHost });
  await sandbox.ping();
  const dockerEnv = { ...process.env, ...(config.dockerHost === undefined ? {} : { DOCKER_HOST: config.dockerHost }) };
  const docker = async (...args: string[]): Promise<void> => {
    await execFileAsync('docker', args, { env: dockerEnv, maxBuffer: 16 * 1024 * 1024 });
  };

  const fixture = fixtureRepo('node-repo');
  let builtHere: Environment | undefined;
  try {
    const source = fixture.source();
    const spec = await sandbox.detect(source);
    progress('preparing the environment (base images are built on first use)');
    const env = await sandbox.ensureEnvironment(source, spec);
    if (!env.cached) builtHere = env;

    await warmStart(sandbox, env, source, docker);
    await execAndDisk(sandbox, env, source, docker);
    if (process.env.SWE_BOT_BENCH_PHASES === '1') await phases(sandbox, env, source, logger, config.sandbox.execTimeoutMs);
    await envCache(sandbox, source, spec);
  } finally {
    fixture.remove();
    if (builtHere) {
      // Only an image this run built; another process may be using it, so no force.
      await sandbox.docker
        .getImage(builtHere.image)
        .remove()
        .catch((error: unknown) => progress(`kept ${builtHere?.image}: ${String(error)}`));
      await fs.rm(builtHere.logFile, { force: true });
    }
  }
}

type DockerCli = (...args: string[]) => Promise<void>;

async function warmStart(sandbox: Sandbox, env: Environment, source: SourceRef, docker: DockerCli): Promise<void> {
  progress(`warm_start: ${WARMUPS} warm-ups + ${WARM_START_RUNS} runs each, alternating`);
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < WARMUPS + WARM_START_RUNS; i += 1) {
    let instance: Instance | undefined;
    try {
      const started = await timed(() => sandbox.createInstance(env, source, { job: 'bench' }));
      instance = started.value;
      if (i >= WARMUPS) ours.push(started.ms);
    } finally {
      await instance?.remove();
    }
    const bare = await timed(() => docker('run', '--rm', '--network', 'none', env.image, 'true'));
    if (i >= WARMUPS) baseline.push(bare.ms);
  }
  report({ measure: 'warm_start', ours: median(ours), baseline: median(baseline), target: '<= 2.0', unit: 'ms', runs: WARM_START_RUNS });
}

async function execAndDisk(sandbox: Sandbox, env: Environment, source: SourceRef, docker: DockerCli): Promise<void> {
  const instance = await sandbox.createInstance(env, source, { job: 'bench' });
  try {
    // Measured first, on a fresh instance: what every instance costs on disk.
    const added = await instance.sizeBytes();
    const imageBytes = (await sandbox.docker.getImage(env.image).inspect()).Size;

    progress(`exec_round_trip: ${WARMUPS} warm-ups + ${EXEC_RUNS} runs each, alternating`);
    const ours: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < WARMUPS + EXEC_RUNS; i += 1) {
      const api = await timed(() => instance.exec('true'));
      if (api.value.exitCode !== 0) throw new Error(`instance.exec('true') exited ${api.value.exitCode}: ${api.value.stderr}`);
      const cli = await timed(() => docker('exec', instance.containerId, 'true'));
      if (i >= WARMUPS) {
        ours.push(api.ms);
        baseline.push(cli.ms);
      }
    }
    report({ measure: 'exec_round_trip', ours: median(ours), baseline: median(baseline), target: '<= 0.6', unit: 'ms', runs: EXEC_RUNS });
    report({ measure: 'disk_per_instance', ours: added, baseline: imageBytes, target: '<= 0.01', unit: 'bytes', runs: 1 });
  } finally {
    await instance.remove();
  }
}

async function envCache(sandbox: Sandbox, source: SourceRef, spec: Awaited<ReturnType<Sandbox['detect']>>): Promise<void> {
  progress(`env_cache_hit_vs_cold: ${CACHE_HIT_RUNS} cache hits, then one cold build (npm ci, with network)`);
  const hits: number[] = [];
  for (let i = 0; i < CACHE_HIT_RUNS; i += 1) {
    const hit = await timed(() => sandbox.ensureEnvironment(source, spec));
    if (!hit.value.cached) throw new Error(`expected ${hit.value.image} to be cached`);
    hits.push(hit.ms);
  }

  // Same repository, one manifest changed in a way that installs the same
  // things: a new key, so a real cold build.
  const fresh: FixtureRepo = fixtureRepo('node-repo');
  let cold: Environment | undefined;
  try {
    const manifest = JSON.parse(await fs.readFile(`${fresh.dir}/package.json`, 'utf8')) as { description: string };
    manifest.description = `${manifest.description} (bench ${Date.now()}-${process.pid})`;
    fresh.commit({ 'package.json': `${JSON.stringify(manifest, null, 2)}\n` }, 'bench: unique environment key');
    const freshSource = fresh.source();
    const freshSpec = await sandbox.detect(freshSource);
    const built = await timed(() => sandbox.ensureEnvironment(freshSource, freshSpec));
    cold = built.value;
    if (cold.cached) throw new Error(`expected a cold build, but ${cold.image} existed`);
    report({ measure: 'env_cache_hit_vs_cold', ours: median(hits), baseline: built.ms, target: null, unit: 'ms', runs: CACHE_HIT_RUNS });
  } finally {
    fresh.remove();
    if (cold && !cold.cached) {
      await sandbox.docker
        .getImage(cold.image)
        .remove({ force: true })
        .catch((error: unknown) => progress(`cannot remove ${cold?.image}: ${String(error)}`));
      await fs.rm(cold.logFile, { force: true });
    }
  }
}

/** createInstance's steps one after the other, each timed (they overlap in createInstance: container and checkout). */
async function phases(sandbox: Sandbox, env: Environment, source: SourceRef, logger: Logger, execTimeoutMs: number): Promise<void> {
  const info = (await sandbox.docker.info()) as { NCPU?: number };
  const settings = testConfig().sandbox;
  const deps: InstanceDeps = {
    docker: sandbox.docker,
    logger,
    owner: currentOwner(),
    limits: { memoryBytes: settings.memoryBytes, pids: settings.pids, cpus: Math.min(settings.cpus, info.NCPU ?? settings.cpus) },
    execTimeoutMs,
    ttlMs: INSTANCE_TTL_MS,
  };
  const samples: Record<string, number[]> = {};
  const add = (phase: string, ms: number): void => {
    (samples[phase] ??= []).push(ms);
  };
  for (let i = 0; i < WARMUPS + 5; i += 1) {
    const labels = labelsFor('instance', { owner: deps.owner, ttlMs: deps.ttlMs, job: 'bench' });
    const create = await timed(() => sandbox.docker.createContainer(containerSpec({ image: env.image, labels, network: 'none', limits: deps.limits })));
    const container = create.value;
    try {
      const checkout = await timed(() => checkoutCommit(source));
      const put = await timed(() => container.putArchive(checkout.value.tar() as unknown as NodeJS.ReadableStream, { path: '/testbed' }));
      const rm = await timed(() => checkout.value.remove());
      const start = await timed(() => container.start());
      const instance = new Instance(deps, container, source.commit, env.image);
      const prepare = await timed(() => instance.prepare());
      const trivial = await timed(() => execInContainer(container, 'true'));
      const whole = await timed(() => sandbox.createInstance(env, source, { job: 'bench' }));
      await whole.value.remove();
      if (i >= WARMUPS) {
        add('createContainer', create.ms);
        add('checkoutCommit', checkout.ms);
        add('putArchive', put.ms);
        add('checkout.remove', rm.ms);
        add('start', start.ms);
        add('prepare (exec)', prepare.ms);
        add('exec true (for scale)', trivial.ms);
        add('createInstance (whole, for scale)', whole.ms);
      }
    } finally {
      await container.remove({ force: true, v: true }).catch(() => undefined);
    }
  }
  const parts = Object.entries(samples).map(([phase, ms]) => `${phase} ${median(ms).toFixed(1)}`);
  progress(`createInstance phases, medians in ms (sequential): ${parts.join(', ')}`);
}

function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}
