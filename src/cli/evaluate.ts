/**
 * `swe-bot evaluate --dataset F.jsonl --predictions (gold|empty|PREDS.jsonl)
 *   [--repos DIR] [--report F.json] [--workers N] [--instance-ids ID ...]`
 *
 * Prints progress to stderr (a bar on a terminal, a line per instance
 * otherwise), writes the report and per-instance logs beside it, and ends
 * with `N resolved, M unresolved, E errors`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PredictionSource } from '../harness/dataset.ts';
import { sandboxDeps } from './command-deps.ts';
import { solvedByKind } from '../dataset/solved-by-kind.ts';
import { evaluate, summaryLine, type EvaluateEvent } from '../dataset/evaluate.ts';
import { defineCommand, INSTANCE_IDS_OPTION, REPOS_OPTION, instanceIdList, parseCommand, positiveIntegers, usageError } from './args.ts';
import type { CliIo } from './cli-io.ts';
import { isTerminal, liveLines, progressBar, type ProgressStream } from './progress-display.ts';

/** `swe-bot evaluate`'s options and usage. */
export const EVALUATE_COMMAND = defineCommand({
  name: 'evaluate',
  summary:
    "Grades predictions on a SWE-bench-format dataset the way SWE-bench's harness does, in containers, and writes a report " +
    'with per-instance logs beside it.',
  options: {
    dataset: { type: 'string', value: 'F.jsonl', description: 'the SWE-bench-format dataset, one instance per line', required: true },
    predictions: {
      type: 'string',
      value: '(gold|empty|PREDS.jsonl)',
      description: "gold: each instance's own patch; empty: an empty patch; else a JSONL file of predictions",
      required: true,
    },
    repos: REPOS_OPTION,
    report: {
      type: 'string',
      value: 'F.json',
      default: 'swe-bot-evaluation.json',
      description: 'the report; per-instance logs go beside it, in F.logs/',
    },
    workers: {
      type: 'string',
      value: 'N',
      description: 'instances evaluated in parallel',
      defaultText: 'three quarters of the cores, at least 1',
    },
    'instance-ids': INSTANCE_IDS_OPTION,
  },
  allowPositionals: true,
});

export async function runEvaluate(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, EVALUATE_COMMAND, io);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (!values.dataset || !values.predictions) return usageError(EVALUATE_COMMAND.usage, io);
  const instanceIds = instanceIdList(values['instance-ids'], positionals);
  if (instanceIds === undefined) return usageError(EVALUATE_COMMAND.usage, io);
  const numbers = positiveIntegers({ workers: values.workers }, EVALUATE_COMMAND.usage, io);
  if (typeof numbers === 'number') return numbers;
  const { workers } = numbers;

  const config = io.config();
  const dataset = await fs.readFile(values.dataset, 'utf8');
  const predictions: PredictionSource =
    values.predictions === 'gold' || values.predictions === 'empty'
      ? values.predictions
      : { file: values.predictions, text: await fs.readFile(values.predictions, 'utf8') };
  const reportFile = path.resolve(values.report);
  const logDir = reportFile.replace(/\.json$/, '') + '.logs';
  const deps = await sandboxDeps(config, { command: 'evaluate', destination: io.stderr });

  const progress = progressPrinter(io.stderr);
  const report = await evaluate(
    deps,
    {
      dataset,
      predictions,
      ...(values.repos === undefined ? {} : { reposDir: path.resolve(values.repos) }),
      cloneDir: path.join(config.dataDir, 'repos'),
      logDir,
      ...(workers === undefined ? {} : { workers }),
      ...(instanceIds.length > 0 ? { instanceIds } : {}),
      githubUrl: `${config.github.protocol}://${config.github.host}`,
    },
    progress,
  );
  progress({ type: 'end' });
  for (const problem of report.dataset_errors) {
    io.stderr.write(`${problem.file}${problem.line > 0 ? ` line ${problem.line}` : ''}: ${problem.message}\n`);
  }
  for (const id of report.unknown_prediction_ids) io.stderr.write(`prediction for unknown instance ${id}\n`);
  for (const [id, reason] of Object.entries(report.errors)) io.stderr.write(`error ${id}: ${reason}\n`);
  // A dataset of `swe-bot smith` says each bug's kind: the solve rate per kind too.
  const byKind = solvedByKind(dataset, report);
  const kinds = Object.entries(byKind).sort(([a], [b]) => a.localeCompare(b));
  await fs.mkdir(path.dirname(reportFile), { recursive: true });
  await fs.writeFile(reportFile, `${JSON.stringify(kinds.length === 0 ? report : { ...report, by_kind: byKind }, null, 2)}\n`);
  io.stderr.write(`report: ${reportFile}\nlogs: ${logDir}\n`);
  for (const [kind, rate] of kinds) io.stdout.write(`  ${kind.padEnd(22)} ${rate.resolved} / ${rate.instances} resolved\n`);
  io.stdout.write(`${summaryLine(report)}\n`);
  return 0;
}

/** A progress bar on a terminal; one line per finished instance elsewhere. */
function progressPrinter(stream: ProgressStream): (event: EvaluateEvent | { type: 'end' }) => void {
  const tty = isTerminal(stream);
  const bar = liveLines(stream);
  const counts = { resolved: 0, unresolved: 0, error: 0, empty: 0 };
  let total = 0;
  const running = new Set<string>();
  return (event) => {
    switch (event.type) {
      case 'start':
        total = event.total;
        stream.write(`evaluating ${event.total} instances with ${event.workers} workers\n`);
        return;
      case 'instance-start':
        running.add(event.id);
        break;
      case 'instance-done':
        running.delete(event.id);
        counts[event.outcome] += 1;
        if (!tty) stream.write(`[${event.done}/${event.total}] ${event.id}: ${event.outcome}\n`);
        break;
      case 'end':
        if (tty) bar.end();
        return;
    }
    if (!tty) return;
    const done = counts.resolved + counts.unresolved + counts.error + counts.empty;
    const now = [...running].slice(0, 2).join(', ');
    bar.set('bar', `${progressBar(done, total)} ${done}/${total} · ✓ ${counts.resolved} · ✗ ${counts.unresolved} · ! ${counts.error}${now ? ` · ${now}` : ''}`);
  };
}
