/**
 * What a queued job carries (design.md §5): ids and refs, never tokens. A
 * worker fetches what it needs (the issue text, an installation token) when
 * the job runs, so a job that waits an hour still acts on fresh data and
 * nothing secret sits in Redis.
 *
 * The schemas are versioned (`v`): a worker refuses data of a version it
 * does not know with a permanent error instead of guessing, so a rolling
 * upgrade with old and new workers sharing one Redis fails loudly, not subtly.
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

export const FixJobSchema = z
  .object({
    v: z.literal(1),
    ...Common,
    issue: z.object({ number: z.number().int().positive() }).strict(),
    trigger: z.enum(['label', 'comment']),
  })
  .strict();

export const ReviewJobSchema = z
  .object({
    v: z.literal(1),
    ...Common,
    pullRequest: z
      .object({
        number: z.number().int().positive(),
        headSha: z.string().regex(/^[0-9a-f]{40}$/),
        baseSha: z.string().regex(/^[0-9a-f]{40}$/),
        /** The fork's clone URL when the head lives elsewhere. */
        headCloneUrl: z.url(),
        draft: z.boolean(),
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
  review: (repositoryId: number, pullRequest: number, headSha: string): string => `review-${repositoryId}-${pullRequest}-${headSha.slice(0, 12)}`,
};
