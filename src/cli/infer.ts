/**
 * `swe-bot infer --dataset F.jsonl --output PREDS.jsonl [--repos DIR]
 *   [--out DIR] [--candidates N] [--max-iterations N] [--instance-ids ID ...]`
 *
 * Runs the fix pipeline on each instance's problem statement at its base
 * commit and appends SWE-bench predictions to --output; instances already
 * there are skipped, so an interrupted run resumes. Trajectories, patch.diff
 * and result.json of each instance go to `--out/<instance_id>/` (default: a
 * folder beside the output). Progress goes to stderr; the last line is
 * `N predictions, E errors`. Exit code 0 when the run completed, even if
 * some instances failed (they are listed, not written, and retried by the
 * next run).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { AGENT_MAX_ITERATIONS } from '../agent/agent-loop.ts';
import { normalizeDiff } from '../harness/fix-selection.ts';
import { infer, inferSummaryLine, type InferEvent } from '../dataset/infer.ts';
import { pipelineDeps } from './command-deps.ts';
import { defineCommand, INSTANCE_IDS_OPTION, REPOS_OPTION, instanceIdList, parseCommand, positiveIntegers, usageError } from './args.ts';
import type { CliIo } from './cli-io.ts';
import { pipelineDisplay, type PipelineDisplay, type ProgressStream } from './progress-display.ts';

/** `swe-bot infer`'s options and usage. */
export const INFER_COMMAND = defineCommand({
  name: 'infer',
  summary:
    "Runs the fix pipeline on each instance's problem_statement at its base_commit and appends SWE-bench predictions " +
    'to --output; instances already there are skipped, so a run resumes where the last one stopped.',
  options: {
    dataset: { type: 'string', value: 'F.jsonl', description: 'the SWE-bench-format dataset, one instance per line', required: true },
    output: {
      type: 'string',
      value: 'PREDS.jsonl',
      description: 'the predictions file, appended to; instances already in it are skipped',
      required: true,
    },
    repos: REPOS_OPTION,
    out: {
      type: 'string',
      value: 'DIR',
      description: "where each instance's trajectories, patch.diff and result.json go, in <instance_id>/",
      defaultText: 'PREDS.runs beside --output',
    },
    candidates: { type: 'string', value: 'N', description: 'best-of-N candidates per instance', defaultText: '1' },
    'max-iterations': {
      type: 'string',
      value: 'N',
      description: 'agent steps allowed to each candidate',
      defaultText: String(AGENT_MAX_ITERATIONS),
    },
    'instance-ids': INSTANCE_IDS_OPTION,
  },
  allowPositionals: true,
});

export async function runInfer(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, INFER_COMMAND, io);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (!values.dataset || !values.output) return usageError(INFER_COMMAND.usage, io);
  const instanceIds = instanceIdList(values['instance-ids'], positionals);
  if (instanceIds === undefined) return usageError(INFER_COMMAND.usage, io);
  const numbers = positiveIntegers({ candidates: values.candidates, 'max-iterations': values['max-iterations'] }, INFER_COMMAND.usage, io);
  if (typeof numbers === 'number') return numbers;

  const config = io.config();
  const dataset = await fs.readFile(values.dataset, 'utf8');
  const output = path.resolve(values.output);
  const outDir = path.resolve(values.out ?? `${output.replace(/\.jsonl$/, '')}.runs`);
  const deps = await pipelineDeps(config, { command: 'infer', destination: io.stderr });

  const summary = await infer(
    deps,
    {
      dataset,
      output,
      outDir,
      modelName: config.model.name,
      ...(values.repos === undefined ? {} : { reposDir: path.resolve(values.repos) }),
      cloneDir: path.join(config.dataDir, 'repos'),
      githubUrl: `${config.github.protocol}://${config.github.host}`,
      ...(numbers.candidates === undefined ? {} : { candidates: numbers.candidates }),
      ...(numbers['max-iterations'] === undefined ? {} : { maxIterations: numbers['max-iterations'] }),
      ...(instanceIds.length > 0 ? { instanceIds } : {}),
    },
    progressPrinter(io.stderr, config.model.name, output),
  );
  for (const problem of summary.problems) {
    io.stderr.write(`${problem.file === 'dataset' ? 'dataset' : output}${problem.line > 0 ? ` line ${problem.line}` : ''}: ${problem.message}\n`);
  }
  const failed = Object.keys(summary.errors);
  if (failed.length > 0) io.stderr.write(`failed (not written; the next run retries them): ${failed.join(', ')}\n`);
  io.stderr.write(`predictions: ${output}\nruns: ${outDir}\n`);
  io.stdout.write(`${inferSummaryLine(summary)}\n`);
  return 0;
}

/** A pipeline display per instance, its lines led by `[i/n] id`; a line per finished instance. */
function progressPrinter(stream: ProgressStream, model: string, output: string): (event: InferEvent) => void {
  let display: PipelineDisplay | undefined;
  let prefix = '';
  return (event) => {
    switch (event.type) {
      case 'start':
        stream.write(
          `inferring ${event.total} instance(s) with ${model}` +
            `${event.skipped > 0 ? `; ${event.skipped} already in ${path.basename(output)}, skipped` : ''}\n`,
        );
        return;
      case 'instance-start':
        prefix = `[${event.index}/${event.total}] ${event.id} · `;
        display = pipelineDisplay(stream, { prefix });
        return;
      case 'instance-progress':
        display?.listener(event.event);
        return;
      case 'instance-done':
        display?.end();
        display = undefined;
        stream.write(
          event.outcome === 'predicted'
            ? `${prefix}prediction written (${event.result.verdict}, ${patchSize(event.result.patch)})\n`
            : `${prefix}error: ${event.reason}\n`,
        );
        return;
    }
  };
}

function patchSize(patch: string): string {
  const changed = normalizeDiff(patch).split('\n').filter(Boolean).length;
  return changed === 0 ? 'empty patch' : `${changed} changed line${changed === 1 ? '' : 's'}`;
}
