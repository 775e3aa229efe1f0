/**
 * What a queued job carries (design.md §5): ids and refs, never tokens. A
 * worker fetches what it needs (an installation token, the configuration)
 * when the job runs, so nothing secret sits in Redis.
 *
 * The one exception to "fetch it fresh" is the text someone asked about
 * (issue #12): the issue's or pull request's title and body, and the comment
 * that asked, are recorded as the webhook carried them when a permitted
 * sender asked ({@link AskedText}), with a sha256 of the title and body.
 * Someone else may edit the issue between the request and the run; the
 * worker compares the text it fetches with the hash and works from the
 * recorded text when they differ, saying so. That text is public to the
 * repository's readers and cut to bounded sizes, so job data stays small.
 *
 * The schemas are versioned (`v`): a worker reads its own version and the
 * ones before it (upgraded by {@link readJobData}, so jobs queued before an
 * upgrade still run), and refuses any other with a permanent error instead
 * of guessing, so old and new workers sharing one Redis fail loudly, not subtly.
 *
 * Version 2: a fix job names the `/autofix` comment that asked; a review job
 * no longer carries the head's clone URL or draft flag (nobody read them:
 * the base repository serves a fork's head, and drafts are filtered when
 * the request comes in).
 * Version 3: fix and review jobs record the text that was asked about
 * (`text`). A version 2 job has none: its worker fetches the text when it
 * runs and uses it as it is, as version 2 workers did.
 */
import { createHash } from 'node:crypto';
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
export const JOB_DATA_VERSION = 3;

/** UTF-8 bytes of a recorded title, at most (GitHub's titles are far shorter: 256 characters). */
export const ASKED_TITLE_MAX_BYTES = 1024;
/** UTF-8 bytes of a recorded body, at most: 64 KiB (GitHub allows 65,536 characters, up to four times that in bytes). */
export const ASKED_BODY_MAX_BYTES = 64 * 1024;
/** UTF-8 bytes of a recorded comment, at most: a command and a few lines about it. */
export const ASKED_COMMENT_MAX_BYTES = 16 * 1024;

const bytesAtMost = (max: number) => z.string().refine((text) => Buffer.byteLength(text) <= max, { message: `longer than ${max} bytes` });

const AskedText = z
  .object({
    /** The issue's or pull request's title and body as the webhook carried them, each cut to its bound. */
    title: bytesAtMost(ASKED_TITLE_MAX_BYTES),
    body: bytesAtMost(ASKED_BODY_MAX_BYTES),
    /** {@link askedTextSha256} of the title and body before any cut: what the fetched text is compared with. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** The title or the body was cut to its bound. */
    cut: z.boolean(),
    /** The comment that asked (`/autofix`, `/review`) as it was posted, command included, when a comment asked. */
    comment: z.object({ body: bytesAtMost(ASKED_COMMENT_MAX_BYTES), cut: z.boolean() }).strict().optional(),
  })
  .strict();

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
    /** The issue's text when it was asked about (not for `setup`, which reads no issue; absent from upgraded version 2 jobs). */
    text: AskedText.optional(),
    /**
     * `setup`: `/swe-bot setup` on this issue or pull request, which asks for
     * the repository's test commands to be confirmed and offered as a pull
     * request pinning them (src/worker/setup-job.ts), not for a fix.
     */
    trigger: z.enum(['label', 'comment', 'setup', 'evaluate']),
    /**
     * `evaluate` only: bugs to synthesize and fix (`/swe-bot evaluate [N]`,
     * src/worker/evaluate-job.ts): the model's solve rate on this repository.
     */
    bugs: z.number().int().min(1).max(50).optional(),
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
    /** The pull request's title and description when the review was asked for (absent from upgraded version 2 jobs). */
    text: AskedText.optional(),
  })
  .strict();

export type AskedText = z.infer<typeof AskedText>;
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
  /** One evaluation of a repository at a time. */
  evaluate: (repositoryId: number): string => `evaluate-${repositoryId}`,
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

/**
 * The sha256 (hex) of an issue's or pull request's title and body, as
 * `JSON.stringify([title, body])` (a missing body is `""`): the same text
 * always hashes the same, and no title and body run into each other.
 */
export function askedTextSha256(title: string, body: string | null | undefined): string {
  return createHash('sha256').update(JSON.stringify([title, body ?? ''])).digest('hex');
}

/**
 * What a job records of the text asked about: the title and body as the
 * webhook carried them (and the comment that asked), each cut to its bound,
 * with the hash of the uncut title and body.
 */
export function recordAskedText(asked: { title: string; body: string | null | undefined }, comment?: string | null): AskedText {
  const title = cutToBytes(asked.title, ASKED_TITLE_MAX_BYTES);
  const body = cutToBytes(asked.body ?? '', ASKED_BODY_MAX_BYTES);
  const text: AskedText = { title, body, sha256: askedTextSha256(asked.title, asked.body), cut: title !== asked.title || body !== (asked.body ?? '') };
  if (comment === undefined || comment === null) return text;
  const kept = cutToBytes(comment, ASKED_COMMENT_MAX_BYTES);
  return { ...text, comment: { body: kept, cut: kept !== comment } };
}

/** The longest start of `text` that fits `max` UTF-8 bytes, never half a character. */
function cutToBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  // encodeInto stops before a character that does not fit; `read` counts UTF-16 units, never half a pair.
  const { read } = new TextEncoder().encodeInto(text, new Uint8Array(max));
  return text.slice(0, read);
}

export type JobDataResult<T> = { ok: true; data: T } | { ok: false; message: string };

/**
 * Reads stored job data: {@link JOB_DATA_VERSION} as it is, versions 1 and
 * 2 upgraded, anything else refused with a message that says what is wrong.
 */
export function readJobData<T>(queue: QueueName, schema: z.ZodType<T>, raw: unknown): JobDataResult<T> {
  const version = typeof raw === 'object' && raw !== null ? (raw as { v?: unknown }).v : undefined;
  if (version !== JOB_DATA_VERSION && version !== 1 && version !== 2) {
    return {
      ok: false,
      message:
        `${queue} job data of version ${version === undefined ? '(none)' : JSON.stringify(version)} is not one this worker reads ` +
        `(versions 1 to ${JOB_DATA_VERSION}): are swe-bot processes of different versions sharing this Redis?`,
    };
  }
  const record = raw as Record<string, unknown>;
  const upgraded = version === 1 ? upgradeFromV2(upgradeFromV1(record)) : version === 2 ? upgradeFromV2(record) : raw;
  const parsed = schema.safeParse(upgraded);
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, message: `invalid ${queue} job data: ${z.prettifyError(parsed.error)}` };
}

function upgradeFromV1(raw: Record<string, unknown>): Record<string, unknown> {
  const pullRequest = raw.pullRequest;
  if (typeof pullRequest !== 'object' || pullRequest === null) return { ...raw, v: 2 };
  const { headCloneUrl: _url, draft: _draft, ...kept } = pullRequest as Record<string, unknown>;
  return { ...raw, v: 2, pullRequest: kept };
}

/** Version 2 recorded no text: `text` stays absent, and the worker uses the text it fetches, as before. */
function upgradeFromV2(raw: Record<string, unknown>): Record<string, unknown> {
  return { ...raw, v: JOB_DATA_VERSION };
}
