/**
 * The evaluation harness (`swe-bot evaluate`) on the npm bug-fix corpus
 * (../shared/corpus), measured in the same run on the same machine (medians):
 *
 * - evaluate_overhead: evaluating ONE instance with gold predictions, one
 *   worker and its environment image warm, vs running the same test command
 *   with `docker run --rm --network none -w /testbed IMAGE bash -c CMD` on an
 *   image made (untimed) from that environment with the gold and test patches
 *   already applied. The instance is the first of fastq, qs whose test run
 *   takes at least a second; where the time goes is printed on stderr.
 * - corpus_throughput_warm: instances per minute evaluating the whole corpus
 *   with gold predictions and warm environments vs cold ones (the corpus's
 *   environment images removed first, so npm installs are included); report only.
 *
 * Gold predictions must resolve every instance; when they do not, a warning is
 * printed and the measure's JSON line carries `resolved` and `total`.
 * Without ../shared/corpus there is nothing to measure (a line says so).
 * The corpus's environment images are left in place (warm) at the end.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { parseDataset, type DatasetInstance } from '../src/harness/dataset.ts';
import { MARKER } from '../src/harness/markers.ts';
import { applyPatch } from '../src/harness/patch-apply.ts';
import { evaluate, type EvaluateEvent, type EvaluateOptions, type EvaluationReport } from '../src/dataset/evaluate.ts';
import { environmentConfig, safeName } from '../src/dataset/dataset-instance.ts';
import type { Logger } from '../src/logger.ts';
import type { CreateInstanceOptions } from '../src/sandbox/instance.ts';
import { LABEL } from '../src/sandbox/labels.ts';
import { createSandbox, type Environment, type Instance, type Sandbox, type SourceRef } from '../src/sandbox/sandbox.ts';
import { resolveCommit } from '../src/sandbox/source.ts';
import { testConfig } from '../test/helpers/test-config.ts';
import { median, report, timed } from './report.ts';

const CORPUS = path.resolve(import.meta.dirname, '..', '..', 'shared', 'corpus');
/** Packages tried for evaluate_overhead, in order; the first whose test run takes MIN_TEST_MS wins. */
const OVERHEAD_CANDIDATES = ['fastq', 'qs'];
const MIN_TEST_MS = 1_000;
const OVERHEAD_RUNS = 7;
const WARMUPS = 1;
const DIRECT_IMAGE_REPO = 'swe-bot-bench/direct';
/** How long to keep retrying the removal of an environment image another process is using. */
const IMAGE_REMOVAL_PATIENCE_MS = 20 * 60_000;
const DOCKER_RUN_TIMEOUT_MS = 15 * 60_000;

const execFileAsync = promisify(execFile);

interface Corpus {
  dataset: string;
  reposDir: string;
  instances: DatasetInstance[];
}

interface Context {
  sandbox: Sandbox;
  logger: Logger;
  work: string;
  corpus: Corpus;
  docker: (...args: string[]) => Promise<string>;
}

export async function run(): Promise<void> {
  if (!fs.existsSync(path.join(CORPUS, 'build-dataset.mjs'))) {
    progress(`no corpus at ${CORPUS} (build-dataset.mjs missing): nothing to measure`);
    return;
  }
  const config = testConfig();
  // Warnings only, and on stderr: stdout carries nothing but measure lines.
  const logger = pino({ name: 'bench', level: 'warn' }, pino.destination(2)) as Logger;
  const sandbox = createSandbox({ settings: config.sandbox, logger, dockerHost: config.dockerHost });
  await sandbox.ping();
  const dockerEnv = { ...process.env, ...(config.dockerHost === undefined ? {} : { DOCKER_HOST: config.dockerHost }) };
  const docker = async (...args: string[]): Promise<string> => {
    const { stdout } = await execFileAsync('docker', args, { env: dockerEnv, maxBuffer: 256 * 1024 * 1024, timeout: DOCKER_RUN_TIMEOUT_MS });
    return stdout;
  };

  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'swe-bot-bench-harness-'));
  try {
    progress('building the corpus dataset and its offline mirrors');
    await execFileAsync(process.execPath, [path.join(CORPUS, 'build-dataset.mjs'), path.join(CORPUS, 'recipes.json'), work], {
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const dataset = await fsp.readFile(path.join(work, 'dataset.jsonl'), 'utf8');
    const parsed = parseDataset(dataset);
    if (parsed.problems.length > 0) throw new Error(`the corpus dataset has bad lines: ${JSON.stringify(parsed.problems)}`);
    const ctx: Context = { sandbox, logger, work, corpus: { dataset, reposDir: path.join(work, 'repos'), instances: parsed.items }, docker };

    await evaluateOverhead(ctx);
    await corpusThroughput(ctx);
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- evaluate_overhead

interface Candidate {
  instance: DatasetInstance;
  env: Environment;
  /** The environment with gold and test patches applied, for `docker run`. */
  directImage: string;
  probeMs: number;
}

async function evaluateOverhead(ctx: Context): Promise<void> {
  const made: Candidate[] = [];
  try {
    let chosen: Candidate | undefined;
    for (const name of OVERHEAD_CANDIDATES) {
      const instance = ctx.corpus.instances.find((item) => item.repo === `npm/${name}`);
      if (!instance) continue;
      const candidate = await prepareCandidate(ctx, instance);
      made.push(candidate);
      progress(`${instance.instance_id}: direct test run took ${(candidate.probeMs / 1000).toFixed(2)} s`);
      if (candidate.probeMs >= MIN_TEST_MS) {
        chosen = candidate;
        break;
      }
    }
    chosen ??= [...made].sort((a, b) => b.probeMs - a.probeMs)[0];
    if (!chosen) throw new Error(`the corpus has none of ${OVERHEAD_CANDIDATES.join(', ')}`);
    await measureOverhead(ctx, chosen);
  } finally {
    for (const candidate of made) {
      await ctx.sandbox.docker
        .getImage(candidate.directImage)
        .remove({ force: true })
        .catch((error: unknown) => progress(`cannot remove ${candidate.directImage}: ${String(error)}`));
    }
  }
}

/** Warm-up evaluate (builds the environment when missing), then the direct image, then one probe run. */
async function prepareCandidate(ctx: Context, instance: DatasetInstance): Promise<Candidate> {
  const id = instance.instance_id;
  progress(`${id}: warm-up evaluate (builds its environment if missing)`);
  const warm = await runEvaluate(ctx, 'warmup', { workers: 1, instanceIds: [id] });
  if (!warm.resolved_ids.includes(id)) warn(`${id} was not resolved by its gold patch in the warm-up: ${describeOutcome(warm, id)}`);

  // The environment evaluateInstance uses: same overrides, same setup.
  const repoDir = path.join(ctx.corpus.reposDir, instance.repo.replace('/', '__'));
  const source: SourceRef = { repoDir, commit: await resolveCommit(repoDir, instance.base_commit), name: instance.repo };
  const spec = await ctx.sandbox.detect(source, environmentConfig(instance.spec));
  if (instance.spec) spec.setup = instance.spec.install;
  const env = await ctx.sandbox.ensureEnvironment(source, spec, { job: 'bench' });
  if (!env.cached) warn(`${env.image} was built again after the warm-up: the environment key differs from evaluate's`);

  const tag = `${safeName(id).toLowerCase().replace(/[^a-z0-9_.-]/g, '_')}-${process.pid}-${Date.now()}`.slice(0, 120);
  const directImage = `${DIRECT_IMAGE_REPO}:${tag}`;
  const box = await ctx.sandbox.createInstance(env, source, { job: 'bench' });
  try {
    for (const [what, patch] of [
      ['gold patch', instance.patch],
      ['test patch', instance.test_patch],
    ] as const) {
      if (patch.trim() === '') continue;
      const applied = await applyPatch(box, patch);
      if (!applied.applied) throw new Error(`${id}: the ${what} does not apply:\n${applied.log}`);
    }
    await box.container.commit({ repo: DIRECT_IMAGE_REPO, tag });
  } finally {
    await box.remove();
  }
  const candidate: Candidate = { instance, env, directImage, probeMs: 0 };
  candidate.probeMs = (await timed(() => directRun(ctx, candidate))).ms;
  return candidate;
}

/** The test command straight in a container from the patched image; throws when it fails. */
async function directRun(ctx: Context, candidate: Candidate): Promise<void> {
  await ctx.docker('run', '--rm', '--network', 'none', '-w', '/testbed', candidate.directImage, 'bash', '-c', candidate.env.spec.test);
}

async function measureOverhead(ctx: Context, candidate: Candidate): Promise<void> {
  const id = candidate.instance.instance_id;
  progress(`evaluate_overhead on ${id}: ${WARMUPS} warm-up + ${OVERHEAD_RUNS} runs each, alternating`);
  const ours: number[] = [];
  const baseline: number[] = [];
  const phases: Array<Map<string, number>> = [];
  let resolved = 0;
  for (let i = 0; i < WARMUPS + OVERHEAD_RUNS; i += 1) {
    const clock = new PhaseClock();
    const evaluated = await timed(() => runEvaluate({ ...ctx, sandbox: instrument(ctx.sandbox, clock) }, 'overhead', { workers: 1, instanceIds: [id] }));
    const direct = await timed(() => directRun(ctx, candidate));
    if (i < WARMUPS) continue;
    ours.push(evaluated.ms);
    baseline.push(direct.ms);
    clock.add('whole evaluate', evaluated.ms);
    phases.push(clock.totals);
    if (evaluated.value.resolved_ids.includes(id)) resolved += 1;
    else warn(`${id} was not resolved by its gold patch: ${describeOutcome(evaluated.value, id)}`);
  }
  report({
    measure: 'evaluate_overhead',
    ours: median(ours),
    baseline: median(baseline),
    target: '<= 1.3',
    unit: 'ms',
    runs: OVERHEAD_RUNS,
    ...(resolved === OVERHEAD_RUNS ? {} : { details: { resolved, total: OVERHEAD_RUNS } }),
  });
  const names = [...new Set(phases.flatMap((totals) => [...totals.keys()]))];
  const parts = names.map((name) => `${name} ${median(phases.map((totals) => totals.get(name) ?? 0)).toFixed(0)}`);
  progress(`where evaluate's time goes, medians in ms: ${parts.join(', ')}; direct docker run ${median(baseline).toFixed(0)}`);
}

/** Sums of the time spent in each phase of one evaluate. */
class PhaseClock {
  readonly totals = new Map<string, number>();

  add(name: string, ms: number): void {
    this.totals.set(name, (this.totals.get(name) ?? 0) + ms);
  }

  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      this.add(name, performance.now() - started);
    }
  }
}

/** The sandbox with its steps timed (the wrappers themselves cost microseconds). */
function instrument(sandbox: Sandbox, clock: PhaseClock): Sandbox {
  return {
    ...sandbox,
    detect: (source, overrides) => clock.time('detect', () => sandbox.detect(source, overrides)),
    ensureEnvironment: (source, spec, options) => clock.time('ensureEnvironment', () => sandbox.ensureEnvironment(source, spec, options)),
    release: (env) => clock.time('release', () => sandbox.release(env)),
    async withInstance<T>(env: Environment, source: SourceRef, fn: (instance: Instance) => Promise<T>, options?: CreateInstanceOptions): Promise<T> {
      const instance = await clock.time('createInstance', () => sandbox.createInstance(env, source, options));
      try {
        return await fn(timedInstance(instance, clock));
      } finally {
        await clock.time('instance.remove', () => instance.remove());
      }
    },
  };
}

/** The instance with exec and writeFile timed: the test run apart from the patch steps. */
function timedInstance(instance: Instance, clock: PhaseClock): Instance {
  return new Proxy(instance, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === 'exec') {
        return (command: string, ...rest: unknown[]) =>
          clock.time(command.includes(MARKER.testStart) ? 'test run (exec)' : 'patch execs', () => method.call(target, command, ...rest) as Promise<unknown>);
      }
      if (property === 'writeFile') {
        return (...args: unknown[]) => clock.time('patch writeFile', () => method.apply(target, args) as Promise<unknown>);
      }
      return method.bind(target);
    },
  });
}

// ---------------------------------------------------------------- corpus_throughput_warm

async function corpusThroughput(ctx: Context): Promise<void> {
  const total = ctx.corpus.instances.length;
  const repos = new Set(ctx.corpus.instances.map((instance) => instance.repo));
  progress(`corpus_throughput_warm: removing the corpus's environment images (${[...repos].join(', ')})`);
  await removeEnvironments(ctx, repos);

  progress(`cold evaluate of ${total} instances (environment builds with npm installs)`);
  const cold = await timed(() => runEvaluate(ctx, 'cold', {}, printEvent));
  const built = await environmentsBuilt(path.join(ctx.work, 'logs', 'cold'), ctx.corpus.instances);
  progress(`cold run: ${(cold.ms / 1000).toFixed(1)} s; ${built.built} of ${built.envs} environments built by this run`);
  if (built.built < built.envs) warn(`the cold run found ${built.envs - built.built} environments already there (another process built them): not fully cold`);

  progress(`warm evaluate of ${total} instances`);
  const warm = await timed(() => runEvaluate(ctx, 'warm', {}, printEvent));
  progress(`warm run: ${(warm.ms / 1000).toFixed(1)} s`);

  for (const [label, result] of [
    ['cold', cold.value],
    ['warm', warm.value],
  ] as const) {
    const each = ctx.corpus.instances.map((instance) => {
      const ms = result.instances[instance.instance_id]?.duration_ms;
      return `${instance.repo.replace(/^npm\//, '')} ${ms === undefined ? '-' : (ms / 1000).toFixed(1)}`;
    });
    progress(`${label} run, seconds per instance: ${each.join(', ')}`);
  }

  const perMinute = (ms: number): number => (total * 60_000) / ms;
  const details: Record<string, number> = {};
  for (const [label, result] of [
    ['cold', cold.value],
    ['warm', warm.value],
  ] as const) {
    const resolved = result.resolved_ids.length;
    if (resolved === total) continue;
    warn(`the ${label} gold run resolved ${resolved} of ${total}: ${ctx.corpus.instances
      .filter((instance) => !result.resolved_ids.includes(instance.instance_id))
      .map((instance) => describeOutcome(result, instance.instance_id))
      .join('; ')}`);
    if (label === 'warm') details.resolved = resolved;
    else details.cold_resolved = resolved;
    details.total = total;
  }
  report({
    measure: 'corpus_throughput_warm',
    ours: perMinute(warm.ms),
    baseline: perMinute(cold.ms),
    target: null,
    unit: 'instances/min',
    runs: 1,
    ...(Object.keys(details).length === 0 ? {} : { details }),
  });
}

/**
 * Removes the environment images of the corpus's repositories (label
 * swe-bot.repo), and nothing else. An image another process's container is
 * using cannot go: wait and try again.
 */
async function removeEnvironments(ctx: Context, repos: Set<string>): Promise<void> {
  const deadline = Date.now() + IMAGE_REMOVAL_PATIENCE_MS;
  for (;;) {
    const images = await ctx.sandbox.docker.listImages({ filters: { label: [`${LABEL.role}=env`] } });
    const ours = images.filter((image) => repos.has(image.Labels?.[LABEL.repo] ?? ''));
    if (ours.length === 0) return;
    let busy = 0;
    for (const image of ours) {
      const refs = image.RepoTags?.filter((tag) => tag !== '<none>:<none>') ?? [];
      for (const ref of refs.length > 0 ? refs : [image.Id]) {
        try {
          await ctx.sandbox.docker.getImage(ref).remove();
          progress(`removed ${ref} (${image.Labels?.[LABEL.repo]})`);
        } catch (error) {
          const status = (error as { statusCode?: number }).statusCode;
          if (status === 404) continue;
          if (status !== 409) throw error;
          busy += 1;
          progress(`${ref} is in use (${String((error as Error).message).split('\n')[0]}); will retry`);
        }
      }
    }
    if (busy === 0) continue;
    if (Date.now() > deadline) throw new Error(`environment images still in use after ${IMAGE_REMOVAL_PATIENCE_MS / 60_000} min`);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
}

/** From the per-instance logs: how many environments this run built rather than found. */
async function environmentsBuilt(logDir: string, instances: DatasetInstance[]): Promise<{ built: number; envs: number }> {
  const states = new Map<string, boolean>();
  for (const instance of instances) {
    const log = await fsp.readFile(path.join(logDir, safeName(instance.instance_id), 'run_instance.log'), 'utf8').catch(() => '');
    const match = /environment (\S+) \((built|cached)\)/.exec(log);
    if (match?.[1] !== undefined) states.set(match[1], (states.get(match[1]) ?? false) || match[2] === 'built');
  }
  return { built: [...states.values()].filter(Boolean).length, envs: states.size };
}

// ---------------------------------------------------------------- helpers

let evaluations = 0;

/** `swe-bot evaluate` of the corpus with gold predictions; logs under `<work>/logs/<label>[-n]`. */
async function runEvaluate(
  ctx: Pick<Context, 'sandbox' | 'logger' | 'work' | 'corpus'>,
  label: string,
  options: Pick<EvaluateOptions, 'workers' | 'instanceIds'>,
  onEvent?: (event: EvaluateEvent) => void,
): Promise<EvaluationReport> {
  evaluations += 1;
  const logDir = path.join(ctx.work, 'logs', label === 'cold' || label === 'warm' ? label : `${label}-${evaluations}`);
  return evaluate(
    { sandbox: ctx.sandbox, logger: ctx.logger },
    {
      dataset: ctx.corpus.dataset,
      predictions: 'gold',
      reposDir: ctx.corpus.reposDir,
      cloneDir: path.join(ctx.work, 'clones'),
      logDir,
      ...options,
    },
    onEvent,
  );
}

function printEvent(event: EvaluateEvent): void {
  if (event.type === 'start') progress(`  ${event.total} instances, ${event.workers} workers`);
  if (event.type === 'instance-done') progress(`  [${event.done}/${event.total}] ${event.id}: ${event.outcome}`);
}

function describeOutcome(result: EvaluationReport, id: string): string {
  if (result.errors[id] !== undefined) return `${id} error: ${result.errors[id]}`;
  const instance = result.instances[id];
  if (!instance) return `${id}: ${result.empty_patch_ids.includes(id) ? 'empty patch' : 'not evaluated'}`;
  const failing = [...instance.tests_status.FAIL_TO_PASS.failure, ...instance.tests_status.PASS_TO_PASS.failure];
  return `${id} ${instance.status}${instance.invalid ? ` (invalid: ${instance.invalid})` : ''}; failing ${failing.slice(0, 5).join(', ')}${failing.length > 5 ? ', …' : ''}`;
}

function warn(message: string): void {
  process.stderr.write(`  WARNING: ${message}\n`);
}

function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}
