/**
 * Training data from the App's fix jobs (issue #13): with
 * SWE_BOT_KEEP_TRAJECTORIES_DAYS > 0 each fix job hands the pipeline an
 * `outDir` under the data folder, where it writes `patch.diff`,
 * `result.json` and `trajectory-N.jsonl` (through the process's secret
 * redactor), and the job adds `meta.json` naming the repository, issue and
 * commit, which `swe-bot export-trajectories` turns into instance ids. With
 * 0, nothing is written anywhere. ./trajectory-retention.ts removes old folders.
 *
 * Layout: `<dataDir>/trajectories/<owner>__<repo>/<issue>-<job id>-<delivery id>/`.
 * Job ids of fixes are one per issue (src/queue/job-data.ts); the delivery
 * that asked tells two requests on one issue apart, so a later `/autofix`
 * does not replace an earlier verified conversation, while a retried
 * attempt of the same request replaces its own.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** What the worker is told by the configuration; absent when keeping is off. */
export interface TrajectoryKeeping {
  /** `<dataDir>/trajectories` (Config.trajectoryDir). */
  dir: string;
  /** SWE_BOT_KEEP_TRAJECTORIES_DAYS; 0 means off. */
  keepDays: number;
}

/** The fix job whose conversations are kept. */
export interface KeptJobRef {
  owner: string;
  repo: string;
  issueNumber: number;
  jobId: string;
  /** The webhook delivery that asked (FixJobData.deliveryId): one folder per request. */
  deliveryId: string;
}

/** `meta.json` of a kept job folder; src/dataset/export-trajectories.ts reads it back. */
export interface TrajectoryMeta {
  /** `owner/name`. */
  repo: string;
  issue: number;
  /** The commit the fix was made on. */
  commit: string;
  job: string;
  /** The model that wrote the conversation (SWE_BOT_MODEL). */
  model: string;
  /** ISO 8601. */
  finishedAt: string;
}

export interface KeptJob {
  /** The pipeline's `outDir`. */
  outDir: string;
  /** Writes `meta.json` once the pipeline has written its files. */
  finish(meta: Pick<TrajectoryMeta, 'commit' | 'model'>): Promise<void>;
}

/**
 * Where `job` keeps its conversations, emptied first (a retried attempt
 * starts clean, without an earlier attempt's trajectories beside its own);
 * undefined, and nothing touched, when keeping is off.
 */
export async function keepTrajectories(keeping: TrajectoryKeeping | undefined, job: KeptJobRef, now: () => Date = () => new Date()): Promise<KeptJob | undefined> {
  if (keeping === undefined || keeping.keepDays <= 0) return undefined;
  const outDir = path.join(keeping.dir, `${safeSegment(job.owner)}__${safeSegment(job.repo)}`, `${job.issueNumber}-${safeSegment(job.jobId)}-${safeSegment(job.deliveryId)}`);
  await fs.rm(outDir, { recursive: true, force: true });
  return {
    outDir,
    async finish(meta) {
      const full: TrajectoryMeta = { repo: `${job.owner}/${job.repo}`, issue: job.issueNumber, commit: meta.commit, job: job.jobId, model: meta.model, finishedAt: now().toISOString() };
      await fs.mkdir(outDir, { recursive: true });
      await fs.writeFile(path.join(outDir, 'meta.json'), `${JSON.stringify(full, null, 2)}\n`);
    },
  };
}

/**
 * A path segment that stays one segment: GitHub names hold letters, digits,
 * `-`, `_` and `.`, but a job id or a future name must not reach `..` or `/`.
 */
function safeSegment(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9._-]+/g, '_');
  return /^\.*$/.test(safe) ? safe.replace(/\./g, '_') || '_' : safe;
}
