/**
 * The Redis keys swe-bot keeps beside BullMQ's own (which live under
 * `<prefix>:<queue>:…`, https://docs.bullmq.io/guide/queues). Ours live under
 * `<prefix>:ctl:…`: `ctl` is not a queue name, so the two never collide.
 * Producers (the web process) and workers (any machine sharing the Redis)
 * must build the same names, hence one module.
 */
import type { QueueName } from './job-data.ts';

/** BullMQ's key prefix and the root of ours, unless the caller sets one. */
export const DEFAULT_PREFIX = 'swe-bot';

export interface ControlKeys {
  readonly prefix: string;
  /** Marks a webhook delivery as seen (SET NX with a TTL). */
  delivery(deliveryId: string): string;
  /** A cancel request for one job run: value `<job timestamp> <reason>`. */
  cancel(queue: QueueName, jobId: string): string;
  /** The pub/sub channel that carries cancel requests to every worker at once. */
  readonly cancelChannel: string;
  /** Sorted set of the leased slots of one installation: member = slot id, score = lease expiry (ms). */
  leases(installationId: number): string;
  /** The newest head commit asked to be reviewed for one pull request. */
  reviewHead(repositoryId: number, pullRequest: number): string;
  /** A short lock (src/queue/redis-lock.ts) named by its holder, e.g. one issue's comment of one marker. */
  lock(name: string): string;
}

export function controlKeys(prefix: string = DEFAULT_PREFIX): ControlKeys {
  const root = `${prefix}:ctl`;
  return {
    prefix,
    delivery: (deliveryId) => `${root}:delivery:${deliveryId}`,
    cancel: (queue, jobId) => `${root}:cancel:${queue}:${jobId}`,
    cancelChannel: `${root}:cancel`,
    leases: (installationId) => `${root}:leases:${installationId}`,
    reviewHead: (repositoryId, pullRequest) => `${root}:head:${repositoryId}:${pullRequest}`,
    lock: (name) => `${root}:lock:${name}`,
  };
}

/** Names one job across both queues (how workers find a running job to cancel). */
export function queueJobKey(queue: QueueName, jobId: string): string {
  return `${queue}:${jobId}`;
}

/**
 * A cancel request is bound to one run of a job id (by the job's creation
 * timestamp), so a request left over from an earlier run of the same issue
 * never cancels a later one.
 */
export function cancelValue(jobTimestamp: number, reason: CancelReason): string {
  return `${jobTimestamp} ${reason}`;
}

/** The reason of a cancel request when it targets this run, else undefined. */
export function cancelReasonFor(value: string | null | undefined, jobTimestamp: number): CancelReason | undefined {
  if (value === null || value === undefined) return undefined;
  const space = value.indexOf(' ');
  if (space < 0 || value.slice(0, space) !== String(jobTimestamp)) return undefined;
  const reason = value.slice(space + 1);
  return isCancelReason(reason) ? reason : 'requested';
}

/** Why a job was cancelled: a person asked, or a newer head of the pull request was pushed. */
export type CancelReason = 'requested' | 'superseded';

function isCancelReason(value: string): value is CancelReason {
  return value === 'requested' || value === 'superseded';
}

/** What goes over {@link ControlKeys.cancelChannel}. */
export interface CancelMessage {
  queue: QueueName;
  jobId: string;
  reason: CancelReason;
}
