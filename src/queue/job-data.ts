/**
 * What a queued job carries (design.md §5): ids and refs, never tokens. A
 * worker fetches what it needs (the issue text, an installation token) when
 * the job runs, so a job that waits an hour still acts on fresh data and
 * nothing secret sits in Redis.
 *
 * The schemas are versioned (`v`): a worker reads its own version and the
 * one before it (upgraded by {@link readJobData}, so jobs queued before an
 * upgrade still run), and refuses any other with a permanent error instead
 * of guessing, so old and new workers sharing one Redis fail loudly, not subtly.
 *
 * Version 2: a fix job names the `/autofix` comment that asked; a review job
 * no longer carries the head's clone URL or draft flag (nobody read them:
 * the base repository serves a fork's head, and drafts are filtered when
 * the request comes in).
 */
import { z } from 'zod';

/** Queue names: one per pipeline. */
export const QUEUE = { fix: 'fix', review: 'review' } as const;
export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

const RepositoryRef = z
  .object({
    id: z.number().int().positive(),
    owner: z.string().min(1),
    name: z.string().min(1),
    /** From the webhook payload, so GitHub Enterprise Server works. */
    cloneUrl: z.url(),
    defaultBranch: z.string().min(1),
  })
  .strict();

const Common = {
  /** The webhook delivery that asked for the job (X-GitHub-Delivery). */
  deliveryId: z.string().min(1),
  installationId: z.number().int().positive(),
  repository: RepositoryRef,
  /** Login of the person who asked. */
  requestedBy: z.string().min(1),
};

/** The version of the job data this code writes. */
export const JOB_DATA_VERSION = 2;

export const FixJobSchema = z
  .object({
    v: z.literal(JOB_DATA_VERSION),
    ...Common,
    issue: z
      .object({
        number: z.number().int().positive(),
        /** The `/autofix` comment that asked, when one did: the 👀 goes on it. */
        commentId: z.number().int().positive().optional(),
      })
      .strict(),
    /**
     * `setup`: `/swe-bot setup` on this issue or pull request, which asks for
     * the repository's test commands to be confirmed and offered as a pull
     * request pinning them (src/worker/setup-job.ts), not for a fix.
     */
    trigger: z.enum(['label', 'comment', 'setup']),
  })
  .strict();

export const ReviewJobSchema = z
  .object({
    v: z.literal(JOB_DATA_VERSION),
    ...Common,
    pullRequest: z
      .object({
        number: z.number().int().positive(),
        headSha: z.string().regex(/^[0-9a-f]{40}$/),
        baseSha: z.string().regex(/^[0-9a-f]{40}$/),
      })
      .strict(),
    trigger: z.enum(['pull_request', 'comment', 'rerequest']),
  })
  .strict();

export type RepositoryRef = z.infer<typeof RepositoryRef>;
export type FixJobData = z.infer<typeof FixJobSchema>;
export type ReviewJobData = z.infer<typeof ReviewJobSchema>;

/**
 * Deterministic job ids. One fix per issue and one review per pull-request
 * head at a time: BullMQ ignores an `add` whose id already exists
 * (https://docs.bullmq.io/guide/jobs/job-ids), which is what makes a
 * redelivered webhook a no-op. Ids may not contain `:` (BullMQ's key separator).
 */
export const jobId = {
  fix: (repositoryId: number, issue: number): string => `fix-${repositoryId}-${issue}`,
  /** One set-up of a repository at a time, wherever it was asked for. */
  setup: (repositoryId: number): string => `setup-${repositoryId}`,
  review: (repositoryId: number, pullRequest: number, headSha: string): string => `review-${repositoryId}-${pullRequest}-${headSha.slice(0, 12)}`,
};

/**
 * The `external_id` of the App's check runs: it leads a re-run request
 * (`check_run.rerequested`) back to the pull request, which the check run's
 * own fields do not name for a fork's head.
 * https://docs.github.com/en/rest/checks/runs#create-a-check-run
 */
export const checkRunExternalId = {
  review: (pullRequest: number): string => `review:${pullRequest}`,
  /** The pull request of a review check run's id; undefined for anything else. */
  parseReview(externalId: string | null | undefined): number | undefined {
    const match = /^review:([1-9]\d*)$/.exec(externalId ?? '');
    return match === null ? undefined : Number(match[1]);
  },
};

export type JobDataResult<T> = { ok: true; data: T } | { ok: false; message: string };

/**
 * Reads stored job data: {@link JOB_DATA_VERSION} as it is, version 1
 * upgraded, anything else refused with a message that says what is wrong.
 */
export function readJobData<T>(queue: QueueName, schema: z.ZodType<T>, raw: unknown): JobDataResult<T> {
  const version = typeof raw === 'object' && raw !== null ? (raw as { v?: unknown }).v : undefined;
  if (version !== JOB_DATA_VERSION && version !== 1) {
    return {
      ok: false,
      message:
        `${queue} job data of version ${version === undefined ? '(none)' : JSON.stringify(version)} is not one this worker reads ` +
        `(versions 1 and ${JOB_DATA_VERSION}): are swe-bot processes of different versions sharing this Redis?`,
    };
  }
  const parsed = schema.safeParse(version === 1 ? upgradeFromV1(raw as Record<string, unknown>) : raw);
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, message: `invalid ${queue} job data: ${z.prettifyError(parsed.error)}` };
}

function upgradeFromV1(raw: Record<string, unknown>): Record<string, unknown> {
  const pullRequest = raw.pullRequest;
  if (typeof pullRequest !== 'object' || pullRequest === null) return { ...raw, v: JOB_DATA_VERSION };
  const { headCloneUrl: _url, draft: _draft, ...kept } = pullRequest as Record<string, unknown>;
  return { ...raw, v: JOB_DATA_VERSION, pullRequest: kept };
}
