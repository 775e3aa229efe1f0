/**
 * Where `swe-bot smith`'s candidate bugs come from (issue #13): the small
 * changes of mutate-js.ts (JS/TS, parsed on the host) and mutate-py.ts
 * (Python, parsed by the environment's own Python in a box), kept only on
 * lines the tests run where that can be measured (reached-code.ts, Node),
 * and, when asked, functions the model writes again (rewrite-js.ts).
 */
import { describeError } from '../errors.ts';
import type { PipelineDeps } from '../jobs/pipeline-deps.ts';
import type { ProgressListener } from '../jobs/progress.ts';
import type { Logger } from '../logger.ts';
import type { Language } from '../sandbox/languages.ts';
import type { Instance } from '../sandbox/instance.ts';
import { listFiles, readSourceFile, type SourceRef } from '../sandbox/source.ts';
import { isMutableSource, mutationsOf, type Mutation } from './mutate-js.ts';
import { isMutablePythonSource, pythonMutations } from './mutate-py.ts';
import { isReached, reachedCode, type ReachedCode } from './reached-code.ts';
import { pickTargets, rewriteCandidates, rewriteTargets, type RewriteOutcome, type RewriteTarget } from './rewrite-js.ts';

/** Source files bigger than this are not changed (generated or bundled, most likely). */
const MAX_SOURCE_BYTES = 512 * 1024;

type Box = Pick<Instance, 'exec' | 'remove'>;

/** A source file's text at the commit (undefined when it is not there or is bigger than {@link MAX_SOURCE_BYTES}), each read once. */
export type SourceTexts = (file: string) => Promise<string | undefined>;

export function sourceTexts(source: SourceRef): SourceTexts {
  const texts = new Map<string, Promise<string | undefined>>();
  return (file) => {
    let text = texts.get(file);
    if (text === undefined) {
      text = readSourceFile(source, file).then((content) => (content === undefined || content.length > MAX_SOURCE_BYTES ? undefined : content.toString('utf8')));
      texts.set(file, text);
    }
    return text;
  };
}

export interface SmithCandidatesInput {
  source: SourceRef;
  /** The source files' texts, shared with the caller (which reads the originals of the bugs again). */
  texts: SourceTexts;
  /** A fresh container of the base commit; the caller's, removed here after use. */
  start: () => Promise<Box>;
  language: Language;
  /** The test command and its time limit, for the coverage run. */
  test: string;
  timeoutMs: number;
  /** Functions to have the model rewrite; 0 for none. */
  rewrites: number;
  progress: ProgressListener;
  signal?: AbortSignal;
}

export interface SmithCandidates {
  /** Every small change found. */
  procedural: Mutation[];
  /** Those on lines the tests run (all of them when that was not measured). */
  inReach: Mutation[];
  /** Whether the tests' reach was measured. */
  reached: boolean;
  /** How long the coverage run of the tests took, ms, when it ran. */
  reachMs?: number;
  rewrites: RewriteOutcome;
}

export async function smithCandidates(deps: PipelineDeps, input: SmithCandidatesInput): Promise<SmithCandidates> {
  const files = (await listFiles(input.source)).sort();
  const procedural = await candidateBugs(files, input.texts, { start: input.start, logger: deps.logger });
  const started = Date.now();
  const reached = input.language === 'node' ? await measureReach(deps, input.start, input.test, input.timeoutMs, input.progress) : undefined;
  const reachMs = input.language === 'node' ? Date.now() - started : undefined;
  const inReach = reached === undefined ? procedural : procedural.filter((mutation) => isReached(reached, mutation.file, mutation.line));
  const rewrites = await rewrittenFunctions(deps, files, input);
  return { procedural, inReach, reached: reached !== undefined, rewrites, ...(reached === undefined || reachMs === undefined ? {} : { reachMs }) };
}

/** What candidateBugs needs besides the source: a box for the Python files, and where to say that they gave none. */
interface CandidateContext {
  /** A fresh container of the base commit; candidateBugs removes it. */
  start: () => Promise<Box>;
  logger: Logger;
}

/**
 * Every candidate bug in the mutable source files at the commit: JS/TS
 * files parsed here, from git; Python files by the environment's own Python,
 * in one box started only when there are some (mutate-py.ts). A box without
 * a usable Python costs the Python candidates, not the run.
 */
async function candidateBugs(files: readonly string[], texts: SourceTexts, context: CandidateContext): Promise<Mutation[]> {
  const out: Mutation[] = [];
  for (const file of files.filter(isMutableSource)) {
    const text = await texts(file);
    if (text !== undefined) out.push(...mutationsOf(file, text));
  }
  const python = files.filter(isMutablePythonSource);
  if (python.length === 0) return out;
  const box = await context.start();
  try {
    out.push(...(await pythonMutations((command, options) => box.exec(command, options), python)));
  } catch (error) {
    context.logger.warn({ err: describeError(error), files: python.length }, 'no candidate bugs from the Python files');
  } finally {
    await box.remove();
  }
  return out;
}

/** The code the tests run (reached-code.ts), measured in a box of its own; undefined when it cannot be told. */
async function measureReach(
  deps: PipelineDeps,
  start: () => Promise<Box>,
  test: string,
  timeoutMs: number,
  progress: ProgressListener,
): Promise<ReachedCode | undefined> {
  progress({ stage: 'tests', message: 'running the tests once with V8 coverage, to change only code they run' });
  const box = await start();
  try {
    return await reachedCode((command, options) => box.exec(command, options), test, timeoutMs);
  } catch (error) {
    deps.logger.warn({ err: describeError(error) }, 'coverage of the tests could not be measured; every candidate is tried');
    return undefined;
  } finally {
    await box.remove();
  }
}

/** `input.rewrites` functions of the JS/TS sources, picked by the commit, rewritten by the model. */
async function rewrittenFunctions(deps: PipelineDeps, files: readonly string[], input: SmithCandidatesInput): Promise<RewriteOutcome> {
  const wanted = input.rewrites;
  if (wanted <= 0) return { mutations: [], asked: 0, unavailable: undefined };
  const targets: RewriteTarget[] = [];
  for (const file of files.filter(isMutableSource)) {
    const text = await input.texts(file);
    if (text !== undefined) targets.push(...rewriteTargets(file, text));
  }
  return rewriteCandidates(deps, pickTargets(targets, wanted, input.source.commit), input.signal);
}
