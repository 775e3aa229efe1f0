/**
 * `swe-bot evaluate`: a SWE-bench-style evaluation of predictions on a
 * dataset, in containers (design.md §7, §8). Instances run on a pool of
 * workers; instances of one repository and version share an environment
 * image (the environment key covers the same manifests and setup commands).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import { describeError } from '../errors.ts';
import { parseDataset, resolvePredictions, selectInstances, type DatasetInstance, type LineProblem, type PredictionSource } from '../harness/dataset.ts';
import type { PipelineDeps } from '../jobs/pipeline-deps.ts';
import type { Environment } from '../sandbox/sandbox.ts';
import { repositoryResolver, type RepositoryOptions, type RepositoryResolver } from './dataset-instance.ts';
import { evaluateInstance, type InstanceReport } from './evaluate-instance.ts';

export interface EvaluateOptions extends RepositoryOptions {
  /** Text of the dataset JSONL. */
  dataset: string;
  predictions: PredictionSource;
  /** Per-instance logs go to `<logDir>/<instance_id>/`. */
  logDir: string;
  /** Parallel instances. Default: three quarters of the cores, at least 1. */
  workers?: number;
  /** Only these instances. */
  instanceIds?: string[];
}

export interface EvaluationReport {
  total: number;
  submitted: number;
  completed: number;
  resolved_ids: string[];
  unresolved_ids: string[];
  error_ids: string[];
  empty_patch_ids: string[];
  /** Predictions naming instances the dataset does not have. */
  unknown_prediction_ids: string[];
  /** Lines of the dataset or predictions that could not be read. */
  dataset_errors: Array<LineProblem & { file: 'dataset' | 'predictions' }>;
  /** Why each errored instance failed. */
  errors: Record<string, string>;
  instances: Record<string, InstanceReport>;
}

export type EvaluateEvent =
  | { type: 'start'; total: number; workers: number }
  | { type: 'instance-start'; id: string }
  | { type: 'instance-done'; id: string; outcome: 'resolved' | 'unresolved' | 'error' | 'empty'; done: number; total: number };

/** Grading runs no model: the pipelines' deps without it. */
export type EvaluateDeps = Omit<PipelineDeps, 'model'>;

export function defaultWorkers(cores = os.availableParallelism()): number {
  return Math.max(1, Math.floor((cores * 3) / 4));
}

export async function evaluate(
  deps: EvaluateDeps,
  options: EvaluateOptions,
  onEvent: (event: EvaluateEvent) => void = () => undefined,
): Promise<EvaluationReport> {
  const dataset = parseDataset(options.dataset);
  const instances = selectInstances(dataset.items, options.instanceIds);
  const predictions = resolvePredictions(options.predictions, instances);
  const report: EvaluationReport = {
    total: instances.length,
    submitted: predictions.byId.size,
    completed: 0,
    resolved_ids: [],
    unresolved_ids: [],
    error_ids: [],
    empty_patch_ids: [],
    unknown_prediction_ids: [...predictions.unknown].sort(),
    dataset_errors: [
      ...dataset.problems.map((problem) => ({ ...problem, file: 'dataset' as const })),
      ...predictions.problems.map((problem) => ({ ...problem, file: 'predictions' as const })),
    ],
    errors: {},
    instances: {},
  };
  const workers = Math.max(1, options.workers ?? defaultWorkers());
  onEvent({ type: 'start', total: instances.length, workers });
  await fs.mkdir(options.logDir, { recursive: true });

  const repository = repositoryResolver(options);
  const envs = new Map<string, Environment>();
  let done = 0;
  const queue = [...instances];
  const worker = async (): Promise<void> => {
    for (let instance = queue.shift(); instance !== undefined; instance = queue.shift()) {
      onEvent({ type: 'instance-start', id: instance.instance_id });
      const outcome = await runOne(deps, instance, predictions.byId.get(instance.instance_id), repository, options.logDir);
      const id = instance.instance_id;
      let kind: 'resolved' | 'unresolved' | 'error' | 'empty';
      switch (outcome.kind) {
        case 'graded':
          envs.set(outcome.env.image, outcome.env);
          report.instances[id] = outcome.report;
          report.completed += 1;
          kind = outcome.report.resolved ? 'resolved' : 'unresolved';
          (outcome.report.resolved ? report.resolved_ids : report.unresolved_ids).push(id);
          break;
        case 'empty_patch':
          report.empty_patch_ids.push(id);
          report.unresolved_ids.push(id);
          kind = 'empty';
          break;
        case 'error':
          report.error_ids.push(id);
          report.errors[id] = outcome.reason;
          kind = 'error';
          break;
      }
      done += 1;
      onEvent({ type: 'instance-done', id, outcome: kind, done, total: instances.length });
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, Math.max(1, instances.length)) }, () => worker()));
  for (const env of envs.values()) await deps.sandbox.release(env).catch(() => undefined);
  for (const list of [report.resolved_ids, report.unresolved_ids, report.error_ids, report.empty_patch_ids]) list.sort();
  return report;
}

async function runOne(
  deps: EvaluateDeps,
  instance: DatasetInstance,
  prediction: { instance_id: string; model_name_or_path: string; model_patch: string } | undefined,
  repository: RepositoryResolver,
  logDir: string,
): Promise<Awaited<ReturnType<typeof evaluateInstance>>> {
  // An instance without a prediction is evaluated like an empty patch.
  const given = prediction ?? { instance_id: instance.instance_id, model_name_or_path: 'none', model_patch: '' };
  try {
    return await evaluateInstance({ ...deps, repository }, instance, given, logDir);
  } catch (error) {
    return { kind: 'error', reason: describeError(error) };
  }
}

/** The closing line of an evaluation. */
export function summaryLine(report: EvaluationReport): string {
  return `${report.resolved_ids.length} resolved, ${report.unresolved_ids.length} unresolved, ${report.error_ids.length} errors`;
}
