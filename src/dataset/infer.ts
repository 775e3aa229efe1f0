/**
 * `swe-bot infer`: the fix pipeline on each instance of a dataset, written
 * as predictions in SWE-bench's format (design.md §7, §8), one JSON line per
 * instance: `{instance_id, model_name_or_path, model_patch}`.
 *
 * The agent sees the instance's `problem_statement` and its repository at
 * `base_commit`, nothing else: the gold `patch` and the `test_patch` never
 * leave the dataset. Instances run one after the other (the candidates of
 * one run in parallel). Each prediction is appended as soon as it is made,
 * so a crash loses nothing, and instances already in the output are skipped:
 * a second run resumes. An instance that fails (repository missing,
 * environment build error, the model unreachable) is reported and not
 * written, so the next run tries it again.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describeError, SweBotError } from '../errors.ts';
import { parseDataset, parseJsonl, PredictionSchema, selectInstances, type DatasetInstance, type LineProblem, type Prediction } from '../harness/dataset.ts';
import { environmentConfig, instanceEnvironment, instanceSource, repositoryResolver, safeName, type RepositoryOptions, type RepositoryResolver } from './dataset-instance.ts';
import { runFix, type FixResult } from '../jobs/fix.ts';
import type { PipelineDeps } from '../jobs/pipeline-deps.ts';
import type { ProgressEvent } from '../jobs/progress.ts';

export interface InferOptions extends RepositoryOptions {
  /** Text of the dataset JSONL. */
  dataset: string;
  /** The predictions file: read to skip what is done, appended to. */
  output: string;
  /** Per-instance trajectories, patch.diff and result.json go to `<outDir>/<instance_id>/`. */
  outDir: string;
  /** `model_name_or_path` of every prediction. */
  modelName: string;
  /** Best-of-N per instance. Default 1. */
  candidates?: number;
  maxIterations?: number;
  /** Only these instances. */
  instanceIds?: string[];
  signal?: AbortSignal;
}

export type InferEvent =
  | { type: 'start'; total: number; skipped: number }
  | { type: 'instance-start'; id: string; index: number; total: number }
  | { type: 'instance-progress'; id: string; event: ProgressEvent }
  | { type: 'instance-done'; id: string; index: number; total: number; outcome: 'predicted'; result: FixResult }
  | { type: 'instance-done'; id: string; index: number; total: number; outcome: 'error'; reason: string };

export interface InferSummary {
  /** Instances selected (after --instance-ids), skipped ones included. */
  total: number;
  /** Already in the output before this run. */
  skipped: string[];
  /** Written by this run. */
  predicted: string[];
  /** Instances that failed, with the reason; not written. */
  errors: Record<string, string>;
  /** Lines of the dataset or of the existing output that could not be read. */
  problems: Array<LineProblem & { file: 'dataset' | 'output' }>;
}

export async function infer(
  deps: PipelineDeps,
  options: InferOptions,
  onEvent: (event: InferEvent) => void = () => undefined,
): Promise<InferSummary> {
  const dataset = parseDataset(options.dataset);
  const instances = selectInstances(dataset.items, options.instanceIds);
  const existing = await readOutput(options.output);
  const summary: InferSummary = {
    total: instances.length,
    skipped: instances.filter((instance) => existing.done.has(instance.instance_id)).map((instance) => instance.instance_id),
    predicted: [],
    errors: {},
    problems: [
      ...dataset.problems.map((problem) => ({ ...problem, file: 'dataset' as const })),
      ...existing.problems.map((problem) => ({ ...problem, file: 'output' as const })),
    ],
  };
  const todo = instances.filter((instance) => !existing.done.has(instance.instance_id));
  onEvent({ type: 'start', total: todo.length, skipped: summary.skipped.length });
  const repository = repositoryResolver(options);

  for (const [position, instance] of todo.entries()) {
    if (options.signal?.aborted) break;
    const id = instance.instance_id;
    const step = { id, index: position + 1, total: todo.length };
    onEvent({ type: 'instance-start', ...step });
    const dir = path.join(options.outDir, safeName(id));
    try {
      const result = await fixInstance(deps, options, instance, dir, repository, (event) => onEvent({ type: 'instance-progress', id, event }));
      const prediction: Prediction = { instance_id: id, model_name_or_path: options.modelName, model_patch: result.patch };
      await fs.appendFile(options.output, `${JSON.stringify(prediction)}\n`);
      summary.predicted.push(id);
      onEvent({ type: 'instance-done', ...step, outcome: 'predicted', result });
    } catch (error) {
      const reason = describeError(error) + (error instanceof SweBotError && error.hint ? ` (${error.hint})` : '');
      summary.errors[id] = reason;
      deps.logger.info({ instance: id, err: error }, 'inference failed');
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, 'error.txt'), `${reason}\n`);
      onEvent({ type: 'instance-done', ...step, outcome: 'error', reason });
    }
  }
  return summary;
}

/** One instance: its repository at the base commit, its environment, the fix pipeline on its problem statement. */
async function fixInstance(
  deps: PipelineDeps,
  options: InferOptions,
  instance: DatasetInstance,
  dir: string,
  repository: RepositoryResolver,
  onProgress: (event: ProgressEvent) => void,
): Promise<FixResult> {
  if (instance.problem_statement.trim() === '') throw new Error('the instance has no problem_statement');
  const source = await instanceSource(repository, instance);
  const spec = await instanceEnvironment(deps.sandbox, source, instance);
  const result = await runFix(deps, {
    source,
    issue: instance.problem_statement,
    environment: environmentConfig(instance.spec),
    spec,
    ...(options.candidates === undefined ? {} : { candidates: options.candidates }),
    ...(options.maxIterations === undefined ? {} : { maxIterations: options.maxIterations }),
    outDir: dir,
    job: `infer:${instance.instance_id}`,
    onProgress,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  // No patch because the model could not be reached is a failure to retry,
  // not an answer: SWE-bench would count the empty patch as unresolved.
  const unreachable = result.candidates.every((candidate) => candidate.agent.exit === 'model_error' || candidate.agent.exit === 'cancelled');
  if (result.patch.trim() === '' && unreachable) {
    throw new Error(`no candidate got an answer from the model: ${result.candidates[0]?.agent.reason ?? 'no candidate ran'}`);
  }
  return result;
}

/**
 * The instances the output file already has a prediction for. A line cut
 * short by a crash is reported and its instance runs again; the file is made
 * to end with a newline so the next line starts on its own.
 */
async function readOutput(file: string): Promise<{ done: Set<string>; problems: LineProblem[] }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await fs.mkdir(path.dirname(file), { recursive: true });
    return { done: new Set(), problems: [] };
  }
  if (text !== '' && !text.endsWith('\n')) await fs.appendFile(file, '\n');
  const parsed = parseJsonl(text, PredictionSchema);
  return { done: new Set(parsed.items.map((prediction) => prediction.instance_id)), problems: parsed.problems };
}

/** The closing line of an inference run. */
export function inferSummaryLine(summary: InferSummary): string {
  return `${summary.predicted.length} predictions, ${Object.keys(summary.errors).length} errors`;
}
