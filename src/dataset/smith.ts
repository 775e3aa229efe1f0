/**
 * `swe-bot smith` (issue #13): bugs synthesized in the user's own repository,
 * kept only when its own tests catch them (SWE-smith's "procedural
 * modifications", validated by execution), as SWE-bench instances that
 * `infer` and `evaluate` take, to measure a model on that repository.
 *
 * Top to bottom: the environment and a baseline that counts (as a fix job
 * gets them: configuration, detection or the setup agent), run twice so
 * flaky tests are known → candidate bugs from the source files at the commit,
 * on lines the tests run (smith-candidates.ts: small semantic changes, each
 * keeping the file parsing, and functions the model writes again) →
 * for each, a fresh container of the base commit, the changed file written,
 * the tests run with a time limit → kept when at least one test that passed
 * at the base (and is not flaky) now fails (FAIL_TO_PASS) and at least one
 * still passes (PASS_TO_PASS) → an issue text from the failing test, by the
 * model or a template (smith-issue-text.ts) → the dataset (smith-dataset.ts).
 */
import type { EnvironmentConfig } from '../config/repo-config.ts';
import { describeError } from '../errors.ts';
import { judgedTestsWithOutput, openBaseline } from '../jobs/baseline.ts';
import type { PipelineDeps } from '../jobs/pipeline-deps.ts';
import type { ProgressListener } from '../jobs/progress.ts';
import type { SourceRef } from '../sandbox/source.ts';
import type { EnvironmentSpec } from '../sandbox/detect.ts';
import { sha256 } from '../util/canonical-json.ts';
import type { BugKind, Mutation } from './mutate-js.ts';
import { boxPipeline } from './box-pipeline.ts';
import { smithCandidates, sourceTexts, type SourceTexts } from './smith-candidates.ts';
import { fileDiff, mergeEdits } from './file-edits.ts';
import { createIssueWriter, testSourceCommand, type IssueTextMode } from './smith-issue-text.ts';

/** Candidates tried per validated instance asked for, at most (SWE-smith's yields are ~10-40%). */
export const DEFAULT_CANDIDATES_PER_INSTANCE = 5;
/** A candidate's test run may take this many times the baseline's run, at least {@link MIN_CANDIDATE_TIMEOUT_MS}. */
const CANDIDATE_TIMEOUT_FACTOR = 3;
const MIN_CANDIDATE_TIMEOUT_MS = 60_000;
/** Rounds of combining validated bugs when the single changes run out: pairs, then a pair and one more. */
const COMBINATION_ROUNDS = 2;
/** Single changes in one combined bug, at most. */
const MAX_COMBINED_CHANGES = 3;
/** Finding the failing test's source (one `git grep`). */
const TEST_SOURCE_TIMEOUT_MS = 30_000;
/** Where an instance has the repository. */
const TESTBED = '/testbed';

export interface SmithInput {
  source: SourceRef;
  environment: EnvironmentConfig;
  /** Validated instances wanted. */
  count: number;
  /** Candidates tried at most. Default count × {@link DEFAULT_CANDIDATES_PER_INSTANCE}. */
  maxCandidates?: number;
  /** Functions the model rewrites from their signature and doc comment, as extra candidates (rewrite-js.ts). Default 0: none. */
  rewrites?: number;
  /** Who writes the issue texts. Default `auto`: the model, the template when it cannot be reached (smith-issue-text.ts). */
  issueText?: IssueTextMode;
  job?: string;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Told of each candidate as it is judged. */
  onCandidate?: (outcome: CandidateOutcome) => void;
}

/** A bug kind, or two validated bugs of one file made into one harder instance (SWE-smith's combination). */
export type SmithKind = BugKind | 'combined' | 'lm_rewrite';

/** A change to try: one mutation, or two merged. */
export interface Candidate extends Omit<Mutation, 'kind'> {
  kind: SmithKind;
  /** A combination's single changes (`file:line:description` each). */
  parts?: string[];
}

export interface CandidateOutcome {
  mutation: Pick<Candidate, 'kind' | 'file' | 'line' | 'functionName' | 'description'>;
  /** `validated`, or why not. */
  verdict: 'validated' | 'no_failure' | 'all_fail' | 'invalid_run';
  failToPass: string[];
  passToPass: number;
  ms: number;
}

/** A bug the tests catch, with what an instance needs. */
export interface SmithBug {
  id: string;
  mutation: Candidate;
  /** The change that makes the bug (original → buggy), as a unified diff. */
  bugPatch: string;
  /** The fix (buggy → original): the instance's gold patch. */
  fixPatch: string;
  failToPass: string[];
  passToPass: string[];
  problemStatement: string;
  /** Who wrote the problem statement. */
  issueBy: 'model' | 'template';
}

export interface SmithResult {
  spec: EnvironmentSpec;
  /** The commit the bugs were made at. */
  commit: string;
  bugs: SmithBug[];
  tried: number;
  /** Per kind: candidates tried and validated. */
  perKind: Partial<Record<SmithKind, { tried: number; validated: number }>>;
  /** Candidates found before any was tried (in code the tests run, where that was measured). */
  candidates: number;
  /** Candidates left out because the tests never run their line (reached-code.ts); absent when not measured. */
  unreached?: number;
  flaky: string[];
  /** Function rewrites asked of the model, and made (parsed and changed); why it stopped being asked, when it could not be reached. */
  rewrites: { asked: number; made: number; unavailable?: string };
  /** Why the model wrote no issue text, when it was not reached or not asked. */
  issueModelUnavailable: string | undefined;
  timeMs: number;
}

export async function runSmith(deps: PipelineDeps, input: SmithInput): Promise<SmithResult> {
  const started = Date.now();
  const progress = input.onProgress ?? (() => undefined);
  progress({ stage: 'environment', message: 'preparing the environment and a baseline that counts' });
  const spec = await deps.sandbox.detect(input.source, input.environment);
  const opened = await openBaseline(deps, { source: input.source, spec, job: input.job, signal: input.signal }, progress);
  // The next candidate's container starts while this one's tests run, and a
  // judged one is removed in the background: the loop waits for the tests only.
  const boxes = boxPipeline(() => opened.start());
  try {
    // The second run at the base gives the flaky tests and, timed, the candidates' time limit.
    const secondRunStarted = Date.now();
    const flaky = (await opened.flaky()) ?? [];
    const baselineMs = opened.remembered ? 0 : Date.now() - secondRunStarted;
    const passing = new Set([...opened.run.results].filter(([, status]) => status === 'PASSED').map(([name]) => name));
    for (const name of flaky) passing.delete(name);
    progress({ stage: 'baseline', message: `${opened.run.results.size} tests, ${passing.size} passing and not flaky` });

    // A bug that makes the tests hang costs one limit, not the repository's whole timeout.
    const limitAfter = (runMs: number): number => Math.min(opened.env.spec.timeoutMs, Math.max(MIN_CANDIDATE_TIMEOUT_MS, runMs * CANDIDATE_TIMEOUT_FACTOR));
    let timeoutMs = baselineMs === 0 ? opened.env.spec.timeoutMs : limitAfter(baselineMs);

    const texts = sourceTexts(input.source);
    const { procedural, inReach, reached, reachMs, rewrites } = await smithCandidates(deps, {
      source: input.source,
      texts,
      start: () => opened.start(),
      language: opened.env.spec.language,
      test: opened.env.spec.test,
      timeoutMs,
      rewrites: input.rewrites ?? 0,
      progress,
      ...(input.signal === undefined ? {} : { signal: input.signal }),
    });
    // A remembered baseline ran no tests here: the coverage run, when there was one, gives their time.
    if (baselineMs === 0 && reachMs !== undefined) timeoutMs = limitAfter(reachMs);
    const env = { ...opened.env, spec: { ...opened.env.spec, timeoutMs } };
    const candidates: Candidate[] = [...inReach, ...rewrites.mutations];
    const maxCandidates = input.maxCandidates ?? input.count * DEFAULT_CANDIDATES_PER_INSTANCE;
    const queue = interleave(candidates, `${input.source.commit}`).slice(0, maxCandidates);
    const reach = !reached ? '' : ` (${inReach.length} of ${procedural.length} in code the tests run)`;
    progress({ stage: 'tests', message: `${candidates.length} candidate bugs in the source${reach}; trying up to ${queue.length}` });
    const writer = createIssueWriter(deps, input.issueText ?? 'auto');
    const bugs: SmithBug[] = [];
    const perKind: SmithResult['perKind'] = {};
    let tried = 0;
    const pending: Candidate[] = [...queue];
    let combineRound = 0;
    const combined = new Set<string>();
    while (bugs.length < input.count && input.signal?.aborted !== true && tried < Math.max(maxCandidates, queue.length)) {
      const mutation = pending.shift();
      if (mutation === undefined) {
        // The single changes ran out first (a small library): pairs of validated bugs of one file.
        if (combineRound === COMBINATION_ROUNDS) break;
        combineRound += 1;
        pending.push(...(await combinations(texts, bugs, (input.count - bugs.length) * DEFAULT_CANDIDATES_PER_INSTANCE, combined)));
        if (pending.length > 0) progress({ stage: 'tests', message: `trying ${pending.length} combination(s) of two validated bugs of one file` });
        continue;
      }
      tried += 1;
      const counts = (perKind[mutation.kind] ??= { tried: 0, validated: 0 });
      counts.tried += 1;
      const t0 = Date.now();
      const box = await boxes.take(pending.length > 0);
      try {
        await box.writeFile(`${TESTBED}/${mutation.file}`, mutation.after);
        const { judged: run, output } = await judgedTestsWithOutput(box, env);
        // A test gone from the run (its file no longer loads) fails too, as SWE-bench grades it.
        const failToPass = [...passing].filter((name) => run.results.get(name) !== 'PASSED').sort();
        const passToPass = [...passing].filter((name) => run.results.get(name) === 'PASSED').sort();
        const verdict: CandidateOutcome['verdict'] = !run.validity.valid
          ? 'invalid_run'
          : failToPass.length === 0
            ? 'no_failure'
            : passToPass.length === 0
              ? 'all_fail'
              : 'validated';
        input.onCandidate?.({ mutation, verdict, failToPass, passToPass: passToPass.length, ms: Date.now() - t0 });
        if (verdict !== 'validated') continue;
        // From the texts, on the host: what the tests wrote in the container is no part of the bug.
        const bugPatch = await fileDiff(mutation.file, (await texts(mutation.file)) ?? '', mutation.after);
        if (bugPatch.trim() === '') throw new Error(`writing ${mutation.file} changed nothing`);
        counts.validated += 1;
        const id = `${mutation.kind}__${sha256(bugPatch).slice(0, 8)}`;
        // The test's source is for the model only: not looked up once it is not asked.
        const testSource =
          writer.modelUnavailable === undefined ? (await box.exec(testSourceCommand(failToPass[0] ?? ''), { timeoutMs: TEST_SOURCE_TIMEOUT_MS }).catch(() => undefined))?.stdout.trim() : undefined;
        const issue = await writer.write({ failToPass, output, testSource: testSource === '' ? undefined : testSource }, bugPatch, input.signal);
        bugs.push({
          id,
          mutation,
          bugPatch,
          fixPatch: reversePatch(bugPatch),
          failToPass,
          passToPass,
          problemStatement: issue.text,
          issueBy: issue.by,
        });
        progress({ stage: 'tests', message: `${bugs.length}/${input.count} validated (${tried} tried)` });
      } catch (error) {
        deps.logger.warn({ err: describeError(error), file: mutation.file, kind: mutation.kind }, 'a candidate bug could not be judged');
        input.onCandidate?.({ mutation, verdict: 'invalid_run', failToPass: [], passToPass: 0, ms: Date.now() - t0 });
      } finally {
        boxes.discard(box);
      }
    }
    return {
      spec: opened.spec,
      commit: input.source.commit,
      bugs,
      tried,
      perKind,
      candidates: candidates.length,
      ...(reached ? { unreached: procedural.length - inReach.length } : {}),
      flaky,
      rewrites: { asked: rewrites.asked, made: rewrites.mutations.length, ...(rewrites.unavailable === undefined ? {} : { unavailable: rewrites.unavailable }) },
      issueModelUnavailable: writer.modelUnavailable,
      timeMs: Date.now() - started,
    };
  } finally {
    await boxes.close();
    await opened.close();
    await deps.sandbox.release(opened.env).catch(() => undefined);
  }
}

/**
 * Two validated bugs of one file, merged (`git merge-file` against the
 * original: changes that touch the same lines conflict and are skipped), up
 * to `max`, in the order the bugs were found: at least one of the two a
 * single change, at most {@link MAX_COMBINED_CHANGES} changes in all, and no
 * set of changes tried twice (`seen`). The first round pairs single bugs;
 * the next adds a single bug to a validated pair.
 */
export async function combinations(texts: SourceTexts, bugs: readonly SmithBug[], max: number, seen: Set<string>): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (let i = 0; i < bugs.length && out.length < max; i += 1) {
    for (let j = i + 1; j < bugs.length && out.length < max; j += 1) {
      const [a, b] = [bugs[i]?.mutation, bugs[j]?.mutation];
      if (!a || !b || a.file !== b.file || a.line === b.line || (a.kind === 'combined' && b.kind === 'combined')) continue;
      const parts = [...partsOf(a), ...partsOf(b)];
      const key = [...new Set(parts)].sort().join('\n');
      if (new Set(parts).size !== parts.length || parts.length > MAX_COMBINED_CHANGES || seen.has(key)) continue;
      seen.add(key);
      const original = await texts(a.file);
      if (original === undefined) continue;
      const merged = await mergeEdits(original, a.after, b.after);
      if (merged === undefined || merged === a.after || merged === b.after) continue;
      const [first, second] = a.line < b.line ? [a, b] : [b, a];
      out.push({
        kind: 'combined',
        file: a.file,
        line: first.line,
        functionName: first.functionName,
        description: `${first.description}; and ${second.description}`,
        after: merged,
        parts,
      });
    }
  }
  return out;
}

/** The single changes a candidate is made of. */
function partsOf(candidate: Candidate): string[] {
  return candidate.parts ?? [`${candidate.file}:${candidate.line}:${candidate.description}`];
}

/**
 * The candidates in an order that spreads kinds and files (a repository's
 * first file would otherwise take the whole budget): round robin over kinds,
 * each kind's candidates in a pseudo-random order seeded by the commit, so a
 * run at one commit tries the same candidates again.
 */
export function interleave<T extends Pick<Mutation, 'file' | 'line' | 'description'> & { kind: string }>(mutations: readonly T[], seed: string): T[] {
  const byKind = new Map<string, T[]>();
  for (const mutation of mutations) {
    const list = byKind.get(mutation.kind) ?? [];
    list.push(mutation);
    byKind.set(mutation.kind, list);
  }
  const lists = [...byKind.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, list]) => list.map((mutation) => ({ mutation, order: sha256(`${seed}\n${mutation.file}:${mutation.line}:${mutation.description}`) })).sort((a, b) => a.order.localeCompare(b.order)));
  const out: T[] = [];
  for (let round = 0; lists.some((list) => round < list.length); round += 1) {
    for (const list of lists) {
      const item = list[round];
      if (item) out.push(item.mutation);
    }
  }
  return out;
}

/**
 * The fix: the bug's diff with its sides exchanged (`git apply -R`'s
 * reading, written out), so the instance carries it as its gold patch.
 */
export function reversePatch(patch: string): string {
  return patch
    .split('\n')
    .map((line) => {
      if (line.startsWith('--- a/') || line.startsWith('+++ b/')) return line;
      const hunk = /^@@ -(\d+(?:,\d+)?) \+(\d+(?:,\d+)?) @@(.*)$/.exec(line);
      if (hunk) return `@@ -${hunk[2]} +${hunk[1]} @@${hunk[3] ?? ''}`;
      if (line.startsWith('+')) return `-${line.slice(1)}`;
      if (line.startsWith('-')) return `+${line.slice(1)}`;
      return line;
    })
    .join('\n');
}
