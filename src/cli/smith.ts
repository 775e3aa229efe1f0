/**
 * `swe-bot smith --repo DIR [--commit REF] [--count N] [--max-candidates N]
 * [--out DIR] [--config F] [--json]` (issue #13): bugs synthesized in a local
 * repository and kept when its own tests catch them, written as a SWE-bench
 * dataset (`OUT/dataset.jsonl`, mirrors in `OUT/repos`) that `swe-bot infer`
 * and `swe-bot evaluate --repos OUT/repos` take: the model's solve rate on
 * the user's own code. The repository itself is not changed.
 */
import path from 'node:path';
import { writeSmithDataset } from '../dataset/smith-dataset.ts';
import { runSmith, type CandidateOutcome, type SmithResult } from '../dataset/smith.ts';
import { resolveCommit, type SourceRef } from '../sandbox/source.ts';
import { defineCommand, parseCommand, usageError } from './args.ts';
import type { CliIo } from './cli-io.ts';
import { pipelineDeps } from './command-deps.ts';
import { loadRepoConfig } from './load-repo-config.ts';
import { pipelineDisplay } from './progress-display.ts';

/** `swe-bot smith`'s options and usage. */
export const SMITH_COMMAND = defineCommand({
  name: 'smith',
  summary:
    "Synthesizes bugs in a local git repository (small changes to its source), keeps those its own tests catch, and writes them as a SWE-bench dataset for `swe-bot infer` and `swe-bot evaluate`; the repository is not changed.",
  options: {
    repo: { type: 'string', value: 'DIR', description: 'the local git repository', required: true },
    commit: { type: 'string', value: 'REF', default: 'HEAD', description: 'the commit to make the bugs at' },
    count: { type: 'string', value: 'N', default: '20', description: 'validated bugs wanted' },
    'max-candidates': { type: 'string', value: 'N', description: 'candidates tried at most', defaultText: '5 × --count' },
    out: { type: 'string', value: 'DIR', default: 'smith-out', description: 'where dataset.jsonl and repos/ are written (replaced)' },
    config: { type: 'string', value: 'F', description: 'the repository configuration to use', defaultText: '.github/swe-bot.yml at the commit, else the built-in defaults' },
    rewrites: {
      type: 'string',
      value: 'N',
      default: '0',
      description: 'functions the configured model writes again from their signature and doc comment, as extra candidates (JavaScript/TypeScript)',
    },
    'issue-text': {
      type: 'string',
      value: 'auto|template',
      default: 'auto',
      description: "who writes the issue texts: the configured model (the template when it cannot be reached or gives the fix away), or the template from the failing tests' names and output",
    },
    json: { type: 'boolean', default: false, description: 'print the summary as one JSON document', defaultText: 'text' },
  },
});

export async function runSmithCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, SMITH_COMMAND, io);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const count = Number(values.count);
  const maxCandidates = values['max-candidates'] === undefined ? undefined : Number(values['max-candidates']);
  const rewrites = Number(values.rewrites);
  if (!Number.isInteger(rewrites) || rewrites < 0) return usageError(SMITH_COMMAND.usage, io, `--rewrites must be a whole number ≥ 0, not "${values.rewrites}"`);
  const issueText = values['issue-text'];
  if (issueText !== 'auto' && issueText !== 'template') return usageError(SMITH_COMMAND.usage, io, `--issue-text must be auto or template, not "${issueText}"`);
  if (!values.repo || !Number.isInteger(count) || count < 1 || (maxCandidates !== undefined && (!Number.isInteger(maxCandidates) || maxCandidates < 1))) {
    return usageError(SMITH_COMMAND.usage, io);
  }
  const config = io.config();
  const repoDir = path.resolve(values.repo);
  const name = path.basename(repoDir);
  const source: SourceRef = { repoDir, commit: await resolveCommit(repoDir, values.commit), name };
  const repoConfig = await loadRepoConfig(source, values.config);
  const deps = await pipelineDeps(config, { command: 'smith', destination: io.stderr, level: values.json ? 'warn' : config.logLevel });
  const display = pipelineDisplay(io.stderr);
  const onCandidate = (outcome: CandidateOutcome): void => {
    if (values.json) return;
    const { mutation } = outcome;
    const detail = outcome.verdict === 'validated' ? `${outcome.failToPass.length} fail, ${outcome.passToPass} still pass` : outcome.verdict.replace('_', ' ');
    io.stderr.write(`  ${outcome.verdict === 'validated' ? '✓' : '·'} ${mutation.kind} ${mutation.file}:${mutation.line}: ${detail} (${(outcome.ms / 1000).toFixed(1)} s)\n`);
  };
  let result: SmithResult;
  try {
    result = await runSmith(deps, {
      source,
      environment: repoConfig.environment,
      count,
      issueText,
      rewrites,
      ...(maxCandidates === undefined ? {} : { maxCandidates }),
      job: 'cli-smith',
      onProgress: display.listener,
      onCandidate,
    });
  } finally {
    display.end();
  }
  const outDir = path.resolve(values.out);
  const repo = `local/${name}`;
  const lines = await writeSmithDataset({ result, repoDir, repo, outDir });
  const summary = {
    commit: source.commit,
    out: outDir,
    dataset: path.join(outDir, 'dataset.jsonl'),
    repos: path.join(outDir, 'repos'),
    candidates: result.candidates,
    ...(result.unreached === undefined ? {} : { unreached: result.unreached }),
    tried: result.tried,
    validated: lines.length,
    perKind: result.perKind,
    flaky: result.flaky,
    rewrites: result.rewrites,
    issueTexts: {
      model: result.bugs.filter((bug) => bug.issueBy === 'model').length,
      template: result.bugs.filter((bug) => bug.issueBy === 'template').length,
      ...(result.issueModelUnavailable === undefined ? {} : { modelUnavailable: result.issueModelUnavailable }),
    },
    timeMs: result.timeMs,
  };
  if (values.json) {
    io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return lines.length > 0 ? 0 : 1;
  }
  const rows = Object.entries(result.perKind).map(([kind, counts]) => `  ${kind.padEnd(22)} ${String(counts.validated).padStart(4)} / ${String(counts.tried).padEnd(4)} (${Math.round((100 * counts.validated) / Math.max(1, counts.tried))}%)`);
  io.stdout.write(
    [
      `${lines.length} bug(s) validated out of ${result.tried} tried (${result.candidates} candidates${result.unreached === undefined ? '' : `, ${result.unreached} more in code the tests never run`}) at ${source.commit.slice(0, 12)} in ${Math.round(result.timeMs / 1000)} s`,
      '  kind                   validated / tried',
      ...rows,
      ...(rewrites === 0 ? [] : [`function rewrites: ${result.rewrites.made} made of ${result.rewrites.asked} asked${result.rewrites.unavailable === undefined ? '' : ` (model: ${result.rewrites.unavailable})`}`]),
      `issue texts: ${summary.issueTexts.model} by the model, ${summary.issueTexts.template} from the template${result.issueModelUnavailable === undefined ? '' : ` (model: ${result.issueModelUnavailable})`}`,
      '',
      `dataset: ${summary.dataset}`,
      `mirrors: ${summary.repos}`,
      `next:    npx swe-bot infer --dataset ${summary.dataset} --repos ${summary.repos} --output preds.jsonl`,
      `         npx swe-bot evaluate --dataset ${summary.dataset} --repos ${summary.repos} --predictions preds.jsonl`,
      '',
    ].join('\n'),
  );
  return lines.length > 0 ? 0 : 1;
}
