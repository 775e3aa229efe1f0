/**
 * Progress of a job on GitHub (design.md §5): an 👀 reaction, then one status
 * comment and one check run, edited in place at each stage, then a final
 * summary. Stages are plain strings, shown in the order the caller gives
 * ({@link ProgressReporterOptions.stages}); this module knows nothing else
 * about the pipelines.
 *
 * Progress writes are best effort: a GitHub error while reporting is logged
 * and the job goes on. Edits are coalesced to at most one per
 * `minUpdateIntervalMs`, because agent steps come in fast and every edit is
 * a mutative request (GitHub asks for them to be spaced:
 * https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#pause-between-mutative-requests).
 * `finish` always writes the final state, and its errors propagate.
 */
import type { Logger } from '../logger.ts';
import { describeError } from '../errors.ts';
import type { KeyedLock } from '../util/keyed-lock.ts';
import { completeCheckRun, startCheckRun, updateCheckRun, type CheckAnnotation, type CheckConclusion, type CheckRunRef } from './check-run.ts';
import type { GitHubClient } from './client.ts';
import { notFoundAs } from './not-found.ts';
import { upsertComment } from './status-comment.ts';
import { marker } from './markers.ts';
import { truncateText } from './truncate-text.ts';

/** Default least time between two progress edits. */
export const DEFAULT_MIN_UPDATE_INTERVAL_MS = 5000;
/** A comment body's limit on GitHub. */
export const COMMENT_MAX_CHARS = 65_536;

export interface ProgressReporterOptions {
  owner: string;
  repo: string;
  /** The issue or pull request the job is about. */
  number: number;
  /** The commit the check run belongs to; without it no check run is made. */
  headSha?: string | undefined;
  kind: 'fix' | 'review' | 'setup' | 'evaluate';
  /** The check run's name, e.g. `swe-bot`. */
  checkName: string;
  /** The app's slug: its comments are `<slug>[bot]`'s. */
  appSlug: string;
  logger: Logger;
  /** Display order of the stages; stages not named follow in the order they come. Default: the order they come. */
  stages?: readonly string[];
  /** The comment that asked for the job (`/autofix`): the 👀 goes there instead of on the issue. */
  commentId?: number | undefined;
  /** Least time between two progress edits. Default 5000 ms. */
  minUpdateIntervalMs?: number;
  /** Stored on the check run (a job id). */
  externalId?: string;
  /** Linked from the check run. */
  detailsUrl?: string;
  /** Held while the status comment is looked for and created (./status-comment.ts `UpsertOptions.lock`). */
  commentLock?: KeyedLock | undefined;
}

export interface ProgressResult {
  conclusion: Exclude<CheckConclusion, 'skipped' | 'timed_out'>;
  title: string;
  /** Markdown: the check run's summary, and the status comment unless `comment` is given. */
  summary: string;
  /** Markdown: the check run's details. */
  text?: string;
  annotations?: CheckAnnotation[];
  /** Markdown for the status comment. Default: `summary`. */
  comment?: string;
  /** The job stopped in its current stage (it failed, was cancelled or paused there): that stage shows ✗, not ✓. Default false. */
  stopped?: boolean;
}

export interface ProgressReporter {
  /** Reacts with 👀, creates (or finds) the status comment and the check run. Never throws. */
  start(intro: string): Promise<void>;
  /** Records a stage and its message; written at most once per interval. Never throws, never blocks. */
  stage(stage: string, message: string): void;
  /** Writes the final comment and completes the check run. Throws what GitHub throws. */
  finish(result: ProgressResult): Promise<void>;
  /** Resolves when no progress write is in flight or scheduled (for tests and orderly shutdown). */
  idle(): Promise<void>;
}

const CONCLUSION_ICON: Record<ProgressResult['conclusion'], string> = {
  success: '✅',
  failure: '❌',
  neutral: 'ℹ️',
  cancelled: '⏹️',
  action_required: '⚠️',
};

export function createProgressReporter(octokit: GitHubClient, options: ProgressReporterOptions): ProgressReporter {
  const { owner, repo, number, logger } = options;
  const interval = options.minUpdateIntervalMs ?? DEFAULT_MIN_UPDATE_INTERVAL_MS;
  const target = { owner, repo, number };
  const markerFields = { kind: options.kind, number };
  const order = options.stages ?? [];

  let intro = '';
  /** Stage name → its latest message, in display order. */
  const stages = new Map<string, string>();
  const rank = (stage: string): number => stageRank(order, stages, stage);
  let current: string | undefined;
  let commentId: number | undefined;
  let checkRun: (CheckRunRef & { url: string }) | undefined;
  let lastWriteAt = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;
  let dirty = false;
  let finished = false;
  /** `start`'s work: later writes wait for it, so they never create a second comment or check run beside it. */
  let starting: Promise<void> = Promise.resolve();

  async function react(): Promise<void> {
    // https://docs.github.com/en/rest/reactions/reactions#create-reaction-for-an-issue
    // https://docs.github.com/en/rest/reactions/reactions#create-reaction-for-an-issue-comment
    if (options.commentId === undefined) {
      await octokit.rest.reactions.createForIssue({ owner, repo, issue_number: number, content: 'eyes' });
    } else {
      await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: options.commentId, content: 'eyes' });
    }
  }

  /** Edits the known comment; finds or creates it when unknown (or deleted meanwhile). */
  async function writeComment(text: string): Promise<void> {
    if (commentId !== undefined) {
      const body = `${marker('status', markerFields)}\n${text}`;
      // https://docs.github.com/en/rest/issues/comments#update-an-issue-comment
      const updated = await octokit.rest.issues
        .updateComment({ owner, repo, comment_id: commentId, body: truncateText(body, COMMENT_MAX_CHARS) })
        .catch(notFoundAs(undefined));
      if (updated !== undefined) return;
      commentId = undefined;
    }
    const lock = options.commentLock === undefined ? {} : { lock: options.commentLock };
    const comment = await upsertComment(octokit, target, 'status', markerFields, truncateText(text, COMMENT_MAX_CHARS - 200), options.appSlug, lock);
    commentId = comment.id;
  }

  async function ensureCheckRun(): Promise<(CheckRunRef & { url: string }) | undefined> {
    if (checkRun !== undefined || options.headSha === undefined) return checkRun;
    checkRun = await startCheckRun(octokit, {
      owner,
      repo,
      name: options.checkName,
      headSha: options.headSha,
      appSlug: options.appSlug,
      ...(options.externalId === undefined ? {} : { externalId: options.externalId }),
      ...(options.detailsUrl === undefined ? {} : { detailsUrl: options.detailsUrl }),
      output: { title: progressTitle(), summary: progressMarkdown() },
    });
    return checkRun;
  }

  function progressTitle(): string {
    return current === undefined ? 'Starting' : `${capitalize(current)}: ${stages.get(current) ?? ''}`.slice(0, 200).trim();
  }

  /**
   * The stage list: ✓ for stages before the current one, ⏳ and the message
   * for the current one; at the end ✓ for all, or ✗ and its message for the
   * one the job stopped in.
   */
  function stageList(final: boolean, stopped = false): string {
    const seen = [...stages.keys()].sort((a, b) => rank(a) - rank(b));
    const currentRank = current === undefined ? -1 : rank(current);
    return seen
      .map((name) => {
        if (final && stopped && name === current) {
          const message = stages.get(name);
          return `- ✗ **${name}**${message ? `: ${oneLine(message)}` : ''}`;
        }
        const done = final || rank(name) < currentRank;
        if (done) return `- ✓ ${name}`;
        const message = stages.get(name);
        return `- ⏳ **${name}**${message ? `: ${oneLine(message)}` : ''}`;
      })
      .join('\n');
  }

  function progressMarkdown(): string {
    const list = stageList(false);
    return [`👀 ${intro}`.trim(), list].filter(Boolean).join('\n\n');
  }

  async function writeProgress(): Promise<void> {
    await starting;
    const text = progressMarkdown();
    const errors: unknown[] = [];
    await writeComment(text).catch((error: unknown) => errors.push(error));
    await ensureCheckRun()
      .then(async (run) => {
        if (run !== undefined) await updateCheckRun(octokit, run, { title: progressTitle(), summary: text });
      })
      .catch((error: unknown) => errors.push(error));
    for (const error of errors) logger.warn({ err: error, owner, repo, number }, `progress not written to GitHub: ${describeError(error)}`);
  }

  function schedule(): void {
    dirty = true;
    if (finished || timer !== undefined || writing !== undefined) return;
    const wait = Math.max(0, lastWriteAt + interval - performance.now());
    timer = setTimeout(() => {
      timer = undefined;
      runWrite();
    }, wait);
    timer.unref();
  }

  function runWrite(): void {
    if (finished) return;
    dirty = false;
    lastWriteAt = performance.now();
    writing = writeProgress()
      .catch((error: unknown) => logger.warn({ err: error }, 'progress write failed'))
      .finally(() => {
        writing = undefined;
        if (dirty) schedule();
      });
  }

  async function finish(result: ProgressResult): Promise<void> {
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    await starting;
    await writing;
    const run = await ensureCheckRun();
    const icon = CONCLUSION_ICON[result.conclusion];
    const list = stageList(true, result.stopped ?? false);
    const details = run === undefined ? '' : `\n\n[Details](${run.url})`;
    const body = [`${icon} **${result.title}**`, result.comment ?? result.summary, list ? `<details><summary>Stages</summary>\n\n${list}\n</details>` : '']
      .filter(Boolean)
      .join('\n\n');
    await writeComment(truncateText(body, COMMENT_MAX_CHARS - 200 - details.length) + details);
    if (run !== undefined) {
      await completeCheckRun(octokit, run, {
        conclusion: result.conclusion,
        output: { title: result.title, summary: result.summary, ...(result.text === undefined ? {} : { text: result.text }) },
        ...(result.annotations === undefined ? {} : { annotations: result.annotations }),
      });
    }
  }

  return {
    start(text) {
      intro = text;
      lastWriteAt = performance.now();
      const steps: [string, () => Promise<unknown>][] = [
        ['reaction', react],
        ['status comment', () => writeComment(progressMarkdown())],
        ['check run', ensureCheckRun],
      ];
      starting = (async () => {
        for (const [what, step] of steps) {
          try {
            await step();
          } catch (error) {
            logger.warn({ err: error, owner, repo, number }, `could not add the ${what} on GitHub: ${describeError(error)}`);
          }
        }
      })();
      return starting;
    },
    stage(stage, message) {
      if (finished) return;
      stages.set(stage, message);
      if (current === undefined || rank(stage) >= rank(current)) current = stage;
      schedule();
    },
    finish,
    async idle() {
      while (writing !== undefined || timer !== undefined) {
        if (writing !== undefined) await writing;
        else await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}

/** A stage's place: its index in `order`, else after those, in the order stages came (`seen`, insertion-ordered). */
function stageRank(order: readonly string[], seen: ReadonlyMap<string, unknown>, stage: string): number {
  const index = order.indexOf(stage);
  if (index !== -1) return index;
  const arrival = [...seen.keys()].indexOf(stage);
  return order.length + (arrival === -1 ? seen.size : arrival);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
