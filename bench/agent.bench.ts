/**
 * The agent loop and the fix pipeline with a scripted model (no GPU; the
 * model server is test/helpers/scripted-model.ts on 127.0.0.1), measured in
 * the same run on the same machine:
 *
 * - agent_step_overhead: what one agent step costs apart from the model.
 *   `runAgent` (text format, the real toolbox) on a real instance of
 *   test/fixtures/node-repo, scripted to run STEP_COMMANDS with execute_bash
 *   and then finish. Per step = (runAgent's wall time − the time inside the
 *   model client's `complete()` − the final diff extraction) / the number of
 *   commands; the finish step is charged to the commands too. The diff is
 *   left out because it is paid once per run, not per step (its time is
 *   printed on stderr). Baseline: the same commands through a bare
 *   `instance.exec(command)` on the same instance, as often. Both are means
 *   over every step of every run. Target: ours <= 1.2 × baseline + 5 ms.
 * - best_of_n_scaling_n2, best_of_n_scaling_n4: wall time of `runFix` with
 *   N = 2 and 4 candidates vs N = 1 (medians), every candidate scripted the
 *   same fix (a reproduction test, the fix, finish), graded in fresh
 *   containers like any other. Where the time goes is printed on stderr.
 *   Report only (target null): with a model that answers at once, a candidate
 *   is container starts, a few execs and two test runs, all bound by the CPU
 *   and the Docker daemon, so the ratio says how many cores the machine has
 *   more than anything swe-bot controls; with a real model the candidates
 *   mostly wait on the model server, which this cannot show. A `<= N` target
 *   would only check "not slower than one after another", which the shared
 *   environment, baseline and snapshot make nearly free; the serial estimate
 *   on stderr (shared part + N × one candidate) says it better.
 */
import fs from 'node:fs';
import os from 'node:os';
import { pino } from 'pino';
import { runAgent } from '../src/agent/agent-loop.ts';
import { formatFor } from '../src/agent/formats/index.ts';
import { createModelClient, type ModelClient } from '../src/agent/model-client.ts';
import { createToolbox } from '../src/agent/tools/index.ts';
import { defaultRepoConfig } from '../src/config/repo-config.ts';
import { MARKER } from '../src/harness/markers.ts';
import { runFix, type FixResult } from '../src/jobs/fix.ts';
import type { Logger } from '../src/logger.ts';
import type { Snapshot } from '../src/sandbox/instance.ts';
import { createSandbox, type Environment, type Instance, type Sandbox } from '../src/sandbox/sandbox.ts';
import { fixtureRepo, type FixtureRepo } from '../test/helpers/git-fixture.ts';
import { startScriptedModel, type RecordedRequest } from '../test/helpers/scripted-model.ts';
import { testConfig } from '../test/helpers/test-config.ts';
import { median, report, timed } from './report.ts';

/** Ordinary read-only commands an agent runs while exploring; one step each. */
const STEP_COMMANDS = [
  'ls /testbed',
  'cat /testbed/package.json',
  'grep -rn add /testbed/index.js',
  'echo hi',
  'wc -l /testbed/index.js',
  'sed -n 1,20p /testbed/test/add.test.js',
  'head -c 400 /testbed/package-lock.json',
  "find /testbed -maxdepth 2 -name '*.js' -not -path '*/node_modules/*'",
  'git -C /testbed log --oneline -1',
  'pwd && ls -la',
];
const AGENT_RUNS = 5;
const AGENT_WARMUPS = 1;
const CANDIDATE_COUNTS = [1, 2, 4];
const FIX_RUNS = 3;
const FIX_WARMUPS = 1;

const ISSUE = 'add("2", "3") returns "23" instead of 5.';
const REPRO_TEST = `'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { add } = require('../index.js');

test('adds numeric strings', () => {
  assert.strictEqual(add('2', '3'), 5);
});
`;
const BUG = "  if (typeof a === 'string' || typeof b === 'string') return a + b;\n";

interface Context {
  sandbox: Sandbox;
  logger: Logger;
  /** Environment images this run built (not found cached): removed at the end. */
  built: Map<string, Environment>;
}

export async function run(): Promise<void> {
  const config = testConfig();
  // Warnings only, and on stderr: stdout carries nothing but measure lines.
  const logger = pino({ name: 'bench', level: 'warn' }, pino.destination(2)) as Logger;
  const sandbox = createSandbox({ settings: config.sandbox, logger, dockerHost: config.dockerHost });
  await sandbox.ping();
  const ctx: Context = { sandbox, logger, built: new Map() };
  try {
    await agentStepOverhead(ctx);
    await bestOfNScaling(ctx);
  } finally {
    for (const env of ctx.built.values()) {
      // Only images this run built; another process may be using one, so no force.
      await sandbox.docker
        .getImage(env.image)
        .remove()
        .catch((error: unknown) => progress(`kept ${env.image}: ${String(error)}`));
    }
  }
}

// ---------------------------------------------------------------- agent_step_overhead

async function agentStepOverhead(ctx: Context): Promise<void> {
  const steps = STEP_COMMANDS.length;
  const fixture = fixtureRepo('node-repo');
  const model = await startScriptedModel({
    replies: Array.from({ length: (AGENT_WARMUPS + AGENT_RUNS) * (steps + 1) + 5 }, () => exploreScript),
  });
  let instance: Instance | undefined;
  try {
    const source = fixture.source();
    progress('preparing the environment (base images are built on first use)');
    const env = await ctx.sandbox.ensureEnvironment(source, await ctx.sandbox.detect(source));
    if (!env.cached) ctx.built.set(env.image, env);
    instance = await ctx.sandbox.createInstance(env, source, { job: 'bench' });
    const box = instance;

    const modelClock = { ms: 0 };
    const client = timedClient(createModelClient({ baseUrl: model.url, apiKey: 'bench', model: 'scripted-model', logger: ctx.logger }), modelClock);
    let diffMs = 0;
    const target = {
      exec: box.exec.bind(box),
      readFile: box.readFile.bind(box),
      writeFile: box.writeFile.bind(box),
      diff: async (): Promise<string> => {
        const diff = await timed(() => box.diff());
        diffMs += diff.ms;
        return diff.value;
      },
    };

    progress(`agent_step_overhead: ${AGENT_WARMUPS} warm-up + ${AGENT_RUNS} runs of ${steps} execute_bash steps and finish, each followed by the same commands bare`);
    const perStep: number[] = [];
    const bare: number[] = [];
    const parts = { wall: 0, model: 0, diff: 0 };
    for (let i = 0; i < AGENT_WARMUPS + AGENT_RUNS; i += 1) {
      modelClock.ms = 0;
      diffMs = 0;
      const agent = await timed(() =>
        runAgent(
          { model: { client, format: formatFor('text') }, toolbox: createToolbox(), target, logger: ctx.logger },
          { task: 'Look around the repository.', repo: 'fixtures/node-repo', maxIterations: steps + 5 },
        ),
      );
      if (agent.value.exit !== 'finished' || agent.value.iterations !== steps + 1) {
        throw new Error(`the scripted agent run ended ${agent.value.exit} after ${agent.value.iterations} steps: ${agent.value.reason}`);
      }
      const execs: number[] = [];
      for (const command of STEP_COMMANDS) {
        const direct = await timed(() => box.exec(command));
        if (direct.value.exitCode !== 0) throw new Error(`${command} exited ${direct.value.exitCode}: ${direct.value.stderr}`);
        execs.push(direct.ms);
      }
      if (i < AGENT_WARMUPS) continue;
      perStep.push((agent.ms - modelClock.ms - diffMs) / steps);
      bare.push(...execs);
      parts.wall += agent.ms;
      parts.model += modelClock.ms;
      parts.diff += diffMs;
    }
    const ours = mean(perStep);
    const baseline = mean(bare);
    report({
      measure: 'agent_step_overhead',
      ours,
      baseline,
      target: '<= 1.2x + 5ms',
      meets: (agentMs, execMs) => agentMs <= 1.2 * execMs + 5,
      unit: 'ms',
      runs: AGENT_RUNS * steps,
    });
    progress(
      `one agent run (${steps + 1} model calls), means in ms: whole ${(parts.wall / AGENT_RUNS).toFixed(1)}, ` +
        `in the model client ${(parts.model / AGENT_RUNS).toFixed(1)} (${(parts.model / AGENT_RUNS / (steps + 1)).toFixed(2)} a call), ` +
        `final diff ${(parts.diff / AGENT_RUNS).toFixed(1)}, the rest ${((parts.wall - parts.model - parts.diff) / AGENT_RUNS).toFixed(1)}; ` +
        `bare exec median ${median(bare).toFixed(2)}, agent step median ${median(perStep).toFixed(2)}`,
    );
  } finally {
    await instance?.remove();
    await model.close();
    fixture.remove();
  }
}

/** STEP_COMMANDS one per reply, by the conversation's length, then finish. */
function exploreScript(request: RecordedRequest): string {
  const step = request.body.messages.filter((message) => message.role === 'assistant').length;
  const command = STEP_COMMANDS[step];
  return command === undefined ? call('finish', { message: 'Looked around.' }) : call('execute_bash', { command });
}

/** The client with the time spent in `complete()` added to `clock.ms`. */
function timedClient(client: ModelClient, clock: { ms: number }): ModelClient {
  return {
    model: client.model,
    baseUrl: client.baseUrl,
    totals: () => client.totals(),
    async complete(request) {
      const started = performance.now();
      try {
        return await client.complete(request);
      } finally {
        clock.ms += performance.now() - started;
      }
    },
  };
}

// ---------------------------------------------------------------- best_of_n_scaling

const FIX_STEPS = [
  call('str_replace_editor', { command: 'create', path: '/testbed/test/strings.test.js', file_text: REPRO_TEST }),
  call('str_replace_editor', { command: 'str_replace', path: '/testbed/index.js', old_str: BUG, new_str: '' }),
  call('finish', { message: 'Strings were concatenated; removed that branch and added a test.' }),
];

/** The same fix for every candidate; the step comes from the conversation's length, so parallel candidates stay apart. */
function fixScript(request: RecordedRequest): string {
  const step = request.body.messages.filter((message) => message.role === 'assistant').length;
  return FIX_STEPS[step] ?? call('finish', { message: 'out of script' });
}

/** Where one runFix's time went, ms. Σ: summed over containers that overlap. */
interface FixPhases {
  wall: number;
  /** detect + ensureEnvironment. */
  environment: number;
  cached: boolean;
  /** createInstance of the base container. */
  baseInstance: number;
  snapshot: number;
  baselineTests: number;
  /** From runFix's start to the first candidate container's start. */
  beforeCandidates: number;
  /** Σ snapshot.start of every candidate and grading container. */
  starts: number;
  containers: number;
  /** Σ agent containers from started to removed (the agent loop, its diff and the removal). */
  agents: number;
  /** Σ test runs in grading containers. */
  gradingTests: number;
  /** Σ grading containers from the start call to removed. */
  grading: number;
}

async function bestOfNScaling(ctx: Context): Promise<void> {
  const repo: FixtureRepo = fixtureRepo('node-repo');
  const perRun = Math.max(...CANDIDATE_COUNTS) * FIX_STEPS.length;
  const model = await startScriptedModel({
    replies: Array.from({ length: (FIX_WARMUPS + FIX_RUNS * CANDIDATE_COUNTS.length) * perRun * 2 }, () => fixScript),
  });
  try {
    const index = fs.readFileSync(`${repo.dir}/index.js`, 'utf8');
    const guard = "if (!isNumber(a) || !isNumber(b)) throw new TypeError('add expects numbers');";
    if (!index.includes(guard)) throw new Error('test/fixtures/node-repo/index.js changed: the bench cannot plant its bug');
    // The bug: strings are concatenated. The existing tests do not notice.
    repo.commit({ 'index.js': index.replace(guard, `${guard}\n${BUG.trimEnd()}`) }, 'bench: plant a bug');
    const client = createModelClient({ baseUrl: model.url, apiKey: 'bench', model: 'scripted-model', logger: ctx.logger });
    const info = (await ctx.sandbox.docker.info()) as { NCPU?: number };
    progress(
      `best_of_n_scaling: N = ${CANDIDATE_COUNTS.join(', ')}, ${FIX_WARMUPS} warm-up + ${FIX_RUNS} runs each, interleaved; ` +
        `${os.availableParallelism()} cores here, ${info.NCPU ?? '?'} for Docker`,
    );

    const fix = async (candidates: number): Promise<{ phases: FixPhases; result: FixResult }> => {
      const clock = new FixClock(candidates);
      const result = await runFix(
        { sandbox: clock.instrument(ctx.sandbox, ctx.built), model: { client, format: formatFor('text'), name: 'scripted' }, logger: ctx.logger },
        { source: repo.source(), issue: ISSUE, environment: defaultRepoConfig().environment, candidates, maxIterations: 10, job: 'bench' },
      );
      return { phases: clock.done(), result };
    };

    for (let i = 0; i < FIX_WARMUPS; i += 1) await fix(1);
    const samples = new Map<number, FixPhases[]>(CANDIDATE_COUNTS.map((n) => [n, []]));
    let unverified = 0;
    for (let i = 0; i < FIX_RUNS; i += 1) {
      for (const n of CANDIDATE_COUNTS) {
        const { phases, result } = await fix(n);
        samples.get(n)?.push(phases);
        const verdicts = result.candidates.map((candidate) => candidate.verdict);
        if (verdicts.length !== n || verdicts.some((verdict) => verdict !== 'verified')) {
          unverified += 1;
          warn(`N=${n}: expected ${n} verified candidates, got ${verdicts.join(', ') || 'none'} (${result.candidates.map((c) => c.agent.reason).join('; ')})`);
        }
      }
    }

    const med = (n: number, pick: (phases: FixPhases) => number): number => median((samples.get(n) ?? []).map(pick));
    const single = med(1, (p) => p.wall);
    for (const n of CANDIDATE_COUNTS.filter((count) => count > 1)) {
      report({
        measure: `best_of_n_scaling_n${n}`,
        ours: med(n, (p) => p.wall),
        baseline: single,
        target: null,
        unit: 'ms',
        runs: FIX_RUNS,
        ...(unverified === 0 ? {} : { details: { unverified_runs: unverified } }),
      });
    }
    printFixTable(samples, single - med(1, (p) => p.beforeCandidates));
  } finally {
    await model.close();
    repo.remove();
  }
}

function printFixTable(samples: Map<number, FixPhases[]>, oneCandidateMs: number): void {
  const columns: Array<[string, (phases: FixPhases) => number]> = [
    ['wall', (p) => p.wall],
    ['env', (p) => p.environment],
    ['base', (p) => p.baseInstance],
    ['snapshot', (p) => p.snapshot],
    ['baseline tests', (p) => p.baselineTests],
    ['→ candidates', (p) => p.beforeCandidates],
    ['candidates', (p) => p.wall - p.beforeCandidates],
    ['Σ starts', (p) => p.starts],
    ['Σ agents', (p) => p.agents],
    ['Σ grading', (p) => p.grading],
    ['Σ grading tests', (p) => p.gradingTests],
    ['serial est.', () => 0],
  ];
  const width = (name: string): number => Math.max(7, name.length);
  const lines = [`${'N'.padStart(2)}  ${columns.map(([name]) => name.padStart(width(name))).join('  ')}`];
  for (const [n, runs] of samples) {
    if (runs.length === 0) continue;
    const cells = columns.map(([name, pick]) => {
      const value =
        name === 'serial est.' ? median(runs.map((p) => p.beforeCandidates)) + n * oneCandidateMs : median(runs.map(pick));
      return value.toFixed(0).padStart(width(name));
    });
    const cached = runs.every((p) => p.cached) ? '' : '  (environment built in some runs)';
    lines.push(`${String(n).padStart(2)}  ${cells.join('  ')}${cached}  containers ${runs[0]?.containers ?? 0}`);
  }
  progress(
    `runFix, medians in ms (→ candidates: runFix's start to the first candidate container; Σ: summed over overlapping ` +
      `containers; serial est.: → candidates + N × the candidates phase at N=1):\n    ${lines.join('\n    ')}`,
  );
}

/** Times one runFix through the sandbox it is given: the phases of FixPhases. */
class FixClock {
  readonly #candidates: number;
  readonly #started = performance.now();
  readonly #phases: FixPhases = {
    wall: 0,
    environment: 0,
    cached: true,
    baseInstance: 0,
    snapshot: 0,
    baselineTests: 0,
    beforeCandidates: 0,
    starts: 0,
    containers: 0,
    agents: 0,
    gradingTests: 0,
    grading: 0,
  };

  constructor(candidates: number) {
    this.#candidates = candidates;
  }

  done(): FixPhases {
    return { ...this.#phases, wall: performance.now() - this.#started };
  }

  instrument(sandbox: Sandbox, built: Map<string, Environment>): Sandbox {
    const phases = this.#phases;
    return {
      ...sandbox,
      detect: async (source, overrides) => {
        const detected = await timed(() => sandbox.detect(source, overrides));
        phases.environment += detected.ms;
        return detected.value;
      },
      ensureEnvironment: async (source, spec, options) => {
        const env = await timed(() => sandbox.ensureEnvironment(source, spec, options));
        phases.environment += env.ms;
        phases.cached &&= env.value.cached;
        if (!env.value.cached) built.set(env.value.image, env.value);
        return env.value;
      },
      createInstance: async (env, source, options) => {
        const instance = await timed(() => sandbox.createInstance(env, source, options));
        phases.baseInstance += instance.ms;
        return this.#base(instance.value);
      },
    };
  }

  /** The base container: its snapshot and its test run (the baseline) timed. */
  #base(instance: Instance): Instance {
    const phases = this.#phases;
    return new Proxy(instance, {
      get: (target, property) => {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => unknown;
        if (property === 'snapshot') {
          return async (...args: unknown[]) => {
            const snapshot = await timed(() => method.apply(target, args) as Promise<Snapshot>);
            phases.snapshot += snapshot.ms;
            return this.#snapshot(snapshot.value);
          };
        }
        if (property === 'exec') {
          return async (command: string, ...rest: unknown[]) => {
            const exec = await timed(() => method.call(target, command, ...rest) as Promise<unknown>);
            if (command.includes(MARKER.testStart)) phases.baselineTests += exec.ms;
            return exec.value;
          };
        }
        return method.bind(target);
      },
    });
  }

  /** The snapshot: runFix starts the N agent containers first (synchronously, in Promise.all), then grading ones. */
  #snapshot(snapshot: Snapshot): Snapshot {
    const phases = this.#phases;
    return new Proxy(snapshot, {
      get: (target, property) => {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => unknown;
        if (property !== 'start') return method.bind(target);
        return async (...args: unknown[]) => {
          const order = phases.containers;
          phases.containers += 1;
          const called = performance.now();
          if (order === 0) phases.beforeCandidates = called - this.#started;
          const box = await timed(() => method.apply(target, args) as Promise<Instance>);
          phases.starts += box.ms;
          return this.#box(box.value, order < this.#candidates ? 'agent' : 'grading', called);
        };
      },
    });
  }

  #box(instance: Instance, role: 'agent' | 'grading', called: number): Instance {
    const phases = this.#phases;
    const ready = performance.now();
    return new Proxy(instance, {
      get: (target, property) => {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => unknown;
        if (property === 'remove') {
          return async () => {
            await (method.call(target) as Promise<void>);
            if (role === 'agent') phases.agents += performance.now() - ready;
            else phases.grading += performance.now() - called;
          };
        }
        if (property === 'exec' && role === 'grading') {
          return async (command: string, ...rest: unknown[]) => {
            const exec = await timed(() => method.call(target, command, ...rest) as Promise<unknown>);
            if (command.includes(MARKER.testStart)) phases.gradingTests += exec.ms;
            return exec.value;
          };
        }
        return method.bind(target);
      },
    });
  }
}

// ---------------------------------------------------------------- helpers

/** A call in the text tool format, left open as the stop word leaves it. */
function call(name: string, params: Record<string, string>): string {
  return `<function=${name}>\n${Object.entries(params)
    .map(([key, value]) => `<parameter=${key}>\n${value}\n</parameter>`)
    .join('\n')}\n`;
}

function mean(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('mean of no samples');
  return samples.reduce((sum, value) => sum + value, 0) / samples.length;
}

function warn(message: string): void {
  process.stderr.write(`  WARNING: ${message}\n`);
}

function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}
