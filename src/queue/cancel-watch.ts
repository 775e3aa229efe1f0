/**
 * Carries cancel requests to the worker running the job, wherever it runs.
 *
 * Redis pub/sub on a connection of its own (a subscribed connection can do
 * nothing else): a request reaches every worker process within milliseconds,
 * and costs nothing while nobody cancels, unlike polling a key per running
 * job. BullMQ's guide recommends the same for remote cancellation
 * (https://bullmq.io/articles/guides/properly-cancelling-jobs/); its
 * `worker.cancelJob` only reaches jobs of the calling process
 * (https://docs.bullmq.io/guide/workers/cancelling-jobs).
 *
 * Pub/sub drops messages sent while a subscriber reconnects, so the request
 * is also written as a flag that workers read when a job starts and on every
 * lease renewal (installation-leases.ts): a lost message delays a cancel by
 * one renewal interval, it never loses it.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { CancelMessage } from './control-keys.ts';

export interface CancelWatch {
  /** Resolves once subscribed; rejects when the subscription failed (also logged). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export interface CancelWatchOptions {
  /** Duplicated: the watch owns its subscriber connection. */
  connection: Redis;
  channel: string;
  logger: Logger;
  onCancel: (message: CancelMessage) => void;
}

export function startCancelWatch(options: CancelWatchOptions): CancelWatch {
  const { channel, logger, onCancel } = options;
  // Reconnects re-subscribe on their own (ioredis autoResubscribe).
  const subscriber = options.connection.duplicate({ maxRetriesPerRequest: null });
  subscriber.on('error', (error: unknown) => logger.warn({ err: error }, 'cancel subscriber error'));
  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    const message = parseMessage(text);
    if (message) onCancel(message);
    else logger.warn({ text }, 'ignoring an unreadable cancel message');
  });
  const ready = subscriber.subscribe(channel).then(() => undefined);
  ready.catch((error: unknown) => logger.error({ err: error, channel }, 'cannot subscribe to cancel requests'));
  return {
    ready,
    async close() {
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}

function parseMessage(text: string): CancelMessage | undefined {
  try {
    const value = JSON.parse(text) as Partial<CancelMessage>;
    if ((value.queue === 'fix' || value.queue === 'review') && typeof value.jobId === 'string') {
      return { queue: value.queue, jobId: value.jobId, reason: value.reason === 'superseded' ? 'superseded' : 'requested' };
    }
  } catch {
    // fall through
  }
  return undefined;
}
