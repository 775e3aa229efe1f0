/**
 * `swe-bot export-trajectories`: the conversations of verified fixes as
 * supervised fine-tuning data (issue #13, as in Skywork-SWE and SWE-smith),
 * one JSON line per conversation in OpenAI's chat fine-tuning format:
 *
 * `{"messages": [...], "tools": [...], "instance_id", "verdict", "usage": {"prompt_tokens", "completion_tokens"}}`
 *
 * - `messages` are exactly what the model saw and said (src/agent/agent-loop.ts
 *   writes them one a line), minus the per-message `usage` each reply carries,
 *   which is summed into the line's `usage`. A text-format run keeps its
 *   `<function=…>` blocks in the content: converting them would teach a
 *   format the model was not served in.
 * - `tools` only when the run used native tool calls (an assistant message
 *   with `tool_calls`, or a `tool` message): the fix pipeline's toolbox as
 *   function tools, what a native run is sent. They are today's specs, not
 *   a record of the run's.
 *
 * Sources, found up to two folders deep under each `--runs` folder:
 * - `swe-bot infer --out` folders: `<DIR>/<instance_id>/result.json` and
 *   `trajectory-N.jsonl`; the folder names the instance.
 * - the App's kept fix jobs (src/worker/kept-trajectories.ts):
 *   `<dataDir>/trajectories/<owner>__<repo>/<issue>-<job>-<delivery>/` with `meta.json`;
 *   the instance is `<owner>__<repo>-<issue>`, SWE-bench's naming.
 *
 * Which runs count: only the chosen candidate's trajectory
 * (`result.chosen`, else candidate 0, whose verdict is the result's) of a run
 * whose `result.json` says `verified`: a test that failed at the base passes
 * with the fix, and nothing that passed fails. `plausible` does not count:
 * it means no test shows the fix works (a candidate that changes nothing
 * that is tested is plausible), which is not what the model should learn
 * from. With an `evaluate` report, infer runs are judged by it instead: the
 * gold tests of SWE-bench's grading are the better judge, and `verdict` is
 * `resolved` (or `unresolved` with `all`). `all` exports every run with its
 * verdict, for analysis.
 *
 * Bad input loses nothing else: a run folder without a usable result, a
 * trajectory with a malformed line (the whole conversation: one missing
 * message would teach a broken exchange) is skipped with the reason.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { toOpenAiTools } from '../agent/formats/native.ts';
import { createToolbox } from '../agent/tools/index.ts';
import { SweBotError } from '../errors.ts';
import type { CandidateVerdict } from '../harness/grading.ts';
import type { SecretRedactor } from '../util/secret-redactor.ts';
import { safeName } from './dataset-instance.ts';

export interface ExportTrajectoriesOptions {
  /** Folders of runs: `infer --out` folders, the App's `<dataDir>/trajectories`, or single run folders. Read in this order. */
  runs: string[];
  /** The JSONL written (replaced). */
  output: string;
  /** An `evaluate --report` file; infer runs are then judged by it. Default: none, each run's own verdict. */
  report?: { file: string; text: string };
  /** Export runs that are not verified (or not resolved) too, with their verdict. Default false. */
  all?: boolean;
  /** Cleans each line of secrets by value (runs written before a secret was configured). Default: nothing redacted. */
  redactor?: Pick<SecretRedactor, 'redact'>;
  /** Function tools given with native-format conversations. Default: the fix pipeline's toolbox. */
  tools?: ChatCompletionFunctionTool[];
}

export type ExportVerdict = CandidateVerdict | 'resolved' | 'unresolved';

/** One line of the output. */
export interface ExportedConversation {
  messages: Array<Record<string, unknown>>;
  tools?: ChatCompletionFunctionTool[];
  instance_id: string;
  verdict: ExportVerdict;
  usage: { prompt_tokens: number; completion_tokens: number };
}

export interface ExportSummary {
  /** Run folders found. */
  runs: number;
  /** Instance ids of the conversations written, in output order. */
  written: string[];
  /** Runs read but not exported because they are not verified (or not resolved); never with `all`. */
  notVerified: Array<{ run: string; instance_id: string; verdict: ExportVerdict }>;
  /** Runs that could not be used, with why. */
  skipped: Array<{ run: string; reason: string }>;
}

/** What `evaluate --report` wrote, as far as judging runs needs it. */
const ReportSchema = z.object({
  resolved_ids: z.array(z.string()),
  unresolved_ids: z.array(z.string()).default([]),
  error_ids: z.array(z.string()).default([]),
  empty_patch_ids: z.array(z.string()).default([]),
});

const VERDICTS = ['verified', 'plausible', 'regression', 'not_applied', 'no_patch'] as const satisfies readonly CandidateVerdict[];

/** The part of src/jobs/fix.ts's FixResult read here (JSON drops an undefined `chosen`). */
const ResultSchema = z.object({
  verdict: z.enum(VERDICTS),
  chosen: z.number().int().min(0).nullish(),
});

/** src/worker/kept-trajectories.ts's TrajectoryMeta, as far as naming the instance needs it. */
const MetaSchema = z.object({ repo: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'owner/name'), issue: z.number().int().positive() });

/** A trajectory line: any chat message (kept as it is), with the agent loop's usage on replies. */
const MessageSchema = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  usage: z.object({ prompt_tokens: z.number().min(0), completion_tokens: z.number().min(0) }).optional(),
});

/** The files that make a folder a run: what runFix, infer and the App write. */
const RUN_FILES = new Set(['result.json', 'meta.json', 'error.txt', 'patch.diff']);

/** Writes the conversations of `options.runs` to `options.output`; see the module comment for which. */
export async function exportTrajectories(options: ExportTrajectoriesOptions): Promise<ExportSummary> {
  const report = options.report === undefined ? undefined : parseReport(options.report);
  const tools = options.tools ?? toOpenAiTools(createToolbox().specs);
  const runDirs: string[] = [];
  for (const root of options.runs) runDirs.push(...(await findRuns(root)));
  const summary: ExportSummary = { runs: runDirs.length, written: [], notVerified: [], skipped: [] };
  await fs.mkdir(path.dirname(path.resolve(options.output)), { recursive: true });
  const out = await fs.open(options.output, 'w');
  try {
    for (const run of runDirs) {
      const read = await readRun(run, report);
      if ('reason' in read) {
        summary.skipped.push({ run, reason: read.reason });
        continue;
      }
      if (!options.all && read.verdict !== 'verified' && read.verdict !== 'resolved') {
        summary.notVerified.push({ run, instance_id: read.instance_id, verdict: read.verdict });
        continue;
      }
      const conversation = await readConversation(run, read.trajectory, tools);
      if ('reason' in conversation) {
        summary.skipped.push({ run, reason: conversation.reason });
        continue;
      }
      const line: ExportedConversation = { ...conversation, instance_id: read.instance_id, verdict: read.verdict };
      await out.write(`${redactLine(JSON.stringify(line), options.redactor)}\n`);
      summary.written.push(read.instance_id);
    }
  } finally {
    await out.close();
  }
  return summary;
}

/** The closing line: `N conversations written (V not verified, S skipped)`. */
export function exportSummaryLine(summary: ExportSummary): string {
  const count = summary.written.length;
  return `${count} conversation${count === 1 ? '' : 's'} written (${summary.notVerified.length} not verified, ${summary.skipped.length} skipped)`;
}

type Report = z.infer<typeof ReportSchema>;

function parseReport(source: { file: string; text: string }): Report {
  let value: unknown;
  try {
    value = JSON.parse(source.text);
  } catch (error) {
    throw new SweBotError(`${source.file}: not JSON (${(error as Error).message})`, { kind: 'permanent', code: 'report_invalid' });
  }
  const parsed = ReportSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(report)'}: ${issue.message}`).join('; ');
    throw new SweBotError(`${source.file}: not a swe-bot evaluate report (${issues})`, {
      kind: 'permanent',
      code: 'report_invalid',
      hint: 'give the file `swe-bot evaluate --report` wrote',
    });
  }
  return parsed.data;
}

/**
 * The run folders under `root`: itself, its sub-folders (an infer folder, or
 * the App's trajectories given one repository deep) or theirs (the App's
 * trajectories folder), in name order. A missing root is an error: a
 * mistyped path must not pass for "nothing verified".
 */
async function findRuns(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { withFileTypes: true }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new SweBotError(`${root}: no such folder`, {
      kind: 'permanent',
      code: 'runs_missing',
      hint: 'give an `infer --out` folder, or the App\'s SWE_BOT_DATA_DIR/trajectories (kept when SWE_BOT_KEEP_TRAJECTORIES_DAYS > 0)',
    });
  });
  if (isRun(entries)) return [root];
  const runs: string[] = [];
  for (const child of sortedFolders(entries)) {
    const dir = path.join(root, child);
    const inner = await fs.readdir(dir, { withFileTypes: true });
    if (isRun(inner)) {
      runs.push(dir);
      continue;
    }
    for (const grandchild of sortedFolders(inner)) {
      const jobDir = path.join(dir, grandchild);
      if (isRun(await fs.readdir(jobDir, { withFileTypes: true }))) runs.push(jobDir);
    }
  }
  return runs;
}

function isRun(entries: Array<{ name: string; isFile(): boolean }>): boolean {
  return entries.some((entry) => entry.isFile() && (RUN_FILES.has(entry.name) || /^trajectory-\d+\.jsonl$/.test(entry.name)));
}

function sortedFolders(entries: Array<{ name: string; isDirectory(): boolean }>): string[] {
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

type RunRead = { instance_id: string; verdict: ExportVerdict; trajectory: string } | { reason: string };

/** The run's instance, verdict and chosen trajectory, or why it cannot be used. */
async function readRun(dir: string, report: Report | undefined): Promise<RunRead> {
  const resultText = await readOptional(path.join(dir, 'result.json'));
  if (resultText === undefined) {
    const error = await readOptional(path.join(dir, 'error.txt'));
    return { reason: error === undefined ? 'no result.json (the run did not finish)' : `the run failed: ${firstLine(error)}` };
  }
  const result = parseJson(resultText, ResultSchema);
  if ('reason' in result) return { reason: `result.json: ${result.reason}` };
  const trajectory = path.join(dir, `trajectory-${result.value.chosen ?? 0}.jsonl`);

  const metaText = await readOptional(path.join(dir, 'meta.json'));
  if (metaText !== undefined) {
    // An App job: its own verdict; the report grades dataset instances only.
    const meta = parseJson(metaText, MetaSchema);
    if ('reason' in meta) return { reason: `meta.json: ${meta.reason}` };
    return { instance_id: `${meta.value.repo.replace('/', '__')}-${meta.value.issue}`, verdict: result.value.verdict, trajectory };
  }
  const folder = path.basename(dir);
  if (report === undefined) return { instance_id: folder, verdict: result.value.verdict, trajectory };
  // infer names folders by safeName(instance_id): the report has the ids themselves.
  const byFolder = (ids: string[]): string | undefined => ids.find((id) => id === folder) ?? ids.find((id) => safeName(id) === folder);
  const resolved = byFolder(report.resolved_ids);
  if (resolved !== undefined) return { instance_id: resolved, verdict: 'resolved', trajectory };
  const other = byFolder([...report.unresolved_ids, ...report.error_ids, ...report.empty_patch_ids]);
  if (other !== undefined) return { instance_id: other, verdict: 'unresolved', trajectory };
  return { reason: `${folder} is not in the report` };
}

type ConversationRead = Pick<ExportedConversation, 'messages' | 'tools' | 'usage'> | { reason: string };

/** The trajectory's messages without their usage, its summed usage, and the tools when it is a native-format run. */
async function readConversation(dir: string, file: string, tools: ChatCompletionFunctionTool[]): Promise<ConversationRead> {
  const name = path.relative(dir, file);
  const text = await readOptional(file);
  if (text === undefined) return { reason: `no ${name} (the chosen candidate's trajectory)` };
  const messages: Array<Record<string, unknown>> = [];
  const usage = { prompt_tokens: 0, completion_tokens: 0 };
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    const parsed = parseJson(raw, MessageSchema);
    if ('reason' in parsed) return { reason: `${name} line ${index + 1}: ${parsed.reason}` };
    const { usage: lineUsage, ...message } = parsed.value;
    if (lineUsage !== undefined) {
      usage.prompt_tokens += lineUsage.prompt_tokens;
      usage.completion_tokens += lineUsage.completion_tokens;
    }
    messages.push(message);
  }
  if (!messages.some((message) => message.role === 'assistant')) return { reason: `${name}: no reply of the model in it` };
  const native = messages.some((message) => message.role === 'tool' || (message.role === 'assistant' && Array.isArray(message['tool_calls'])));
  return { messages, ...(native ? { tools } : {}), usage };
}

/**
 * `line` cleaned of secrets. Each secret's JSON-escaped form is one the
 * redactor knows, so the line stays JSON; should a replacement ever cut an
 * escape in two, the strings are cleaned one by one instead.
 */
function redactLine(line: string, redactor: Pick<SecretRedactor, 'redact'> | undefined): string {
  if (redactor === undefined) return line;
  const redacted = redactor.redact(line);
  try {
    JSON.parse(redacted);
    return redacted;
  } catch {
    return JSON.stringify(JSON.parse(line), (_key, value: unknown) => (typeof value === 'string' ? redactor.redact(value) : value));
  }
}

function parseJson<T>(text: string, schema: z.ZodType<T>): { value: T } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { reason: `not valid JSON (${(error as Error).message})` };
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { value: parsed.data };
  return { reason: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`).join('; ') };
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
