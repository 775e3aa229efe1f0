/**
 * Which source lines the tests reach, for `swe-bot smith` (issue #13: bugs
 * go in "functions the tests reach"; a change the tests never run can only
 * fail to validate, and on a large code base most candidates are such).
 *
 * For Node repositories, V8's own coverage: the test command runs once more
 * with `NODE_V8_COVERAGE` set, which makes every Node process it starts (a
 * runner's workers included) write its block coverage as JSON when it exits
 * (https://nodejs.org/api/cli.html#node_v8_coveragedir). A small script, run
 * by the container's `node`, reduces those files to the lines of /testbed's
 * own files that ran: a line counts when the innermost range around its
 * first character ran at least once. No instrumentation, no dependency.
 *
 * What V8 reports is the code it ran: for a file a runner transformed first
 * (TypeScript through ts-jest or Vite, JavaScript through babel-jest or
 * vite-node), offsets are the transformed code's, so for those only "the
 * file was loaded" is used. A file counts as transformed when it is not
 * plain JavaScript, or when V8's named functions do not start where the
 * file has those names. When the run produced no
 * coverage of the repository's files at all (another runtime, a runner that
 * strips the variable), nothing is filtered. Python is not measured.
 */
import { z } from 'zod';
import { shellQuote } from '../util/shell-quote.ts';

/** Where the coverage files go in the container. */
const COVERAGE_DIR = '/tmp/swe-bot-coverage';
/** The reduced answer, at most: a line list per file. Bytes. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
/** Extensions whose V8 offsets are the file's own (not transformed before running). */
const PLAIN_JS = /\.(?:c|m)?js$/;

/** Per repository-relative file the tests loaded: its lines that ran (1-based), or `'loaded'` where lines cannot be told. */
export type ReachedCode = Map<string, Set<number> | 'loaded'>;

type Exec = (command: string, options: { timeoutMs: number; maxOutputBytes?: number }) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

const AnswerSchema = z.record(z.string(), z.union([z.literal('loaded'), z.array(z.tuple([z.number().int().positive(), z.number().int().positive()]))]));

/**
 * Runs `testCommand` with V8 coverage in the box and reduces it; undefined
 * when no coverage of /testbed's files came out (then nothing should be
 * filtered) or the reduction failed.
 */
export async function reachedCode(exec: Exec, testCommand: string, timeoutMs: number, root = '/testbed'): Promise<ReachedCode | undefined> {
  const command = [
    `rm -rf ${COVERAGE_DIR}`,
    `(cd ${shellQuote(root)} && export NODE_V8_COVERAGE=${COVERAGE_DIR} && bash -c ${shellQuote(testCommand)}) >/dev/null 2>&1`,
    `node -e ${shellQuote(REDUCE_SCRIPT)} ${COVERAGE_DIR} ${shellQuote(root)}`,
  ].join('\n');
  const result = await exec(command, { timeoutMs, maxOutputBytes: MAX_ANSWER_BYTES });
  if (result.exitCode !== 0) return undefined;
  let parsed: z.infer<typeof AnswerSchema>;
  try {
    parsed = AnswerSchema.parse(JSON.parse(result.stdout));
  } catch {
    return undefined;
  }
  const reached: ReachedCode = new Map();
  for (const [file, spans] of Object.entries(parsed)) {
    if (spans === 'loaded' || !PLAIN_JS.test(file)) {
      reached.set(file, 'loaded');
      continue;
    }
    const lines = new Set<number>();
    for (const [from, to] of spans) for (let line = from; line <= to; line += 1) lines.add(line);
    reached.set(file, lines);
  }
  return reached.size === 0 ? undefined : reached;
}

/**
 * Whether a candidate at `file:line` is in code the tests reach. Files of a
 * kind (extension) the coverage says nothing of are kept: V8 saw no such
 * file, which says more about the runner than about the tests.
 */
export function isReached(reached: ReachedCode, file: string, line: number): boolean {
  const seen = reached.get(file);
  if (seen === 'loaded') return true;
  if (seen !== undefined) return seen.has(line);
  const extension = /\.[^./]+$/.exec(file)?.[0];
  return ![...reached.keys()].some((other) => other.endsWith(extension ?? '\0'));
}

/**
 * Node script: argv[1] is the coverage folder, argv[2] the repository's
 * folder. Prints `{file: [[from, to], …]}` for the files under it (not
 * node_modules), the line spans that ran.
 * Plain ES2020, for any Node the repository's image has.
 */
const REDUCE_SCRIPT = String.raw`
const fs = require('fs');
const path = require('path');
const NAME_SLACK = 16; // characters: an arrow's range starts after its name, a declaration's at its keyword
const dir = process.argv[1];
const root = process.argv[2].replace(/\/$/, '') + '/';
const ranges = new Map();
let names = [];
try { names = fs.readdirSync(dir).filter((n) => n.endsWith('.json')); } catch (e) { names = []; }
for (const name of names) {
  let data;
  try { data = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')); } catch (e) { continue; }
  for (const script of data.result || []) {
    const url = script.url || '';
    let file = url.startsWith('file://') ? decodeURIComponent(url.slice(7)) : url;
    if (!file.startsWith(root) || file.includes('/node_modules/')) continue;
    file = file.slice(root.length);
    const list = ranges.get(file) || [];
    for (const fn of script.functions || []) (fn.ranges || []).forEach((r, i) => list.push(i === 0 ? Object.assign({ functionName: fn.functionName }, r) : r));
    ranges.set(file, list);
  }
}
const out = {};
for (const [file, list] of ranges) {
  let text;
  try { text = fs.readFileSync(path.join(root, file), 'utf8'); } catch (e) { continue; }
  // Offsets of transformed code: the named functions V8 ran are not where the file names them.
  const named = list.filter((r) => r.functionName);
  const placed = named.filter((r) => text.slice(Math.max(0, r.startOffset - NAME_SLACK), r.startOffset + r.functionName.length + NAME_SLACK).includes(r.functionName));
  if (named.length > 0 && placed.length < 0.9 * named.length) { out[file] = 'loaded'; continue; }
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  const spans = [];
  let open = 0;
  for (let line = 0; line < starts.length; line++) {
    const end = line + 1 < starts.length ? starts[line + 1] : text.length;
    let at = starts[line];
    while (at < end && /\s/.test(text[at])) at++;
    let inner;
    // The innermost range around the line's first character decides (V8 block coverage nests them).
    for (const r of list) {
      if (r.startOffset <= at && at < r.endOffset && (!inner || r.endOffset - r.startOffset <= inner.endOffset - inner.startOffset)) inner = r;
    }
    const ran = inner !== undefined && inner.count > 0;
    if (ran && open === 0) open = line + 1;
    if (!ran && open !== 0) { spans.push([open, line]); open = 0; }
  }
  if (open !== 0) spans.push([open, starts.length]);
  out[file] = spans;
}
process.stdout.write(JSON.stringify(out));
`;
