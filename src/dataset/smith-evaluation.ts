/**
 * How well the configured model fixes bugs in one repository (issue #13, the
 * App's `/swe-bot evaluate`): bugs synthesized there (smith.ts) → written as
 * a SWE-bench dataset (smith-dataset.ts) → the fix pipeline on each one, as
 * `swe-bot infer` runs it → graded by the harness, as `swe-bot evaluate`
 * does → the solve rate, overall and per bug kind.
 *
 * The same three steps a maintainer runs by hand on a local clone; here in
 * one call, with everything left in `outDir` (the dataset, its mirror, the
 * predictions, each instance's trajectories and the report), so the numbers
 * can be re-run and the trajectories exported.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { EnvironmentConfig } from '../config/repo-config.ts';
import type { PipelineDeps } from '../jobs/pipeline-deps.ts';
import type { ProgressListener } from '../jobs/progress.ts';
import type { SourceRef } from '../sandbox/source.ts';
import { evaluate, type EvaluationReport } from './evaluate.ts';
import { infer, type InferSummary } from './infer.ts';
import { writeSmithDataset } from './smith-dataset.ts';
import { runSmith, type SmithResult } from './smith.ts';
import { solvedByKind, type KindRate } from './solved-by-kind.ts';

export interface SmithEvaluationInput {
  source: SourceRef;
  /** `owner/name`, as the instances name the repository. */
  repo: string;
  environment: EnvironmentConfig;
  /** Bugs to make and fix. */
  count: number;
  /** Best-of-N per bug. Default 1. */
  candidates?: number;
  /** Where the dataset, mirror, predictions, runs and report go (replaced). */
  outDir: string;
  job?: string;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export interface SmithEvaluation {
  smith: SmithResult;
  infer: InferSummary;
  report: EvaluationReport;
  /** Per bug kind (`smith.kind` of each instance). */
  byKind: Record<string, KindRate>;
  files: { dataset: string; predictions: string; report: string };
  timeMs: number;
}

export async function runSmithEvaluation(deps: PipelineDeps, input: SmithEvaluationInput): Promise<SmithEvaluation> {
  const started = Date.now();
  const progress = input.onProgress ?? (() => undefined);
  const signal = input.signal === undefined ? {} : { signal: input.signal };
  await fs.rm(input.outDir, { recursive: true, force: true });
  await fs.mkdir(input.outDir, { recursive: true });

  const smith = await runSmith(deps, { source: input.source, environment: input.environment, count: input.count, ...(input.job === undefined ? {} : { job: input.job }), ...signal, onProgress: progress });
  const files = {
    dataset: path.join(input.outDir, 'dataset.jsonl'),
    predictions: path.join(input.outDir, 'predictions.jsonl'),
    report: path.join(input.outDir, 'report.json'),
  };
  await writeSmithDataset({ result: smith, repoDir: input.source.repoDir, repo: input.repo, outDir: input.outDir });
  const dataset = await fs.readFile(files.dataset, 'utf8');
  const repos = { reposDir: path.join(input.outDir, 'repos'), cloneDir: path.join(input.outDir, 'clones') };

  progress({ stage: 'agent', message: `fixing ${smith.bugs.length} synthesized bug(s) with ${deps.model.name}` });
  const inferred = await infer(
    deps,
    {
      ...repos,
      dataset,
      output: files.predictions,
      outDir: path.join(input.outDir, 'runs'),
      modelName: deps.model.name,
      ...(input.candidates === undefined ? {} : { candidates: input.candidates }),
      ...signal,
    },
    (event) => {
      if (event.type === 'instance-done') progress({ stage: 'agent', message: `${event.index}/${event.total} bugs attempted` });
    },
  );

  progress({ stage: 'tests', message: 'grading the fixes with the instances’ tests' });
  const predictions = await fs.readFile(files.predictions, 'utf8').catch(() => '');
  // One worker: the App runs one job's containers at a time per worker slot.
  const report = await evaluate(deps, { ...repos, dataset, predictions: { file: files.predictions, text: predictions }, logDir: path.join(input.outDir, 'logs'), workers: 1 });
  await fs.writeFile(files.report, `${JSON.stringify(report, null, 2)}\n`);
  return { smith, infer: inferred, report, byKind: solvedByKind(dataset, report), files, timeMs: Date.now() - started };
}
