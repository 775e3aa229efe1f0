/**
 * Adds jobs under deterministic ids and tells new from duplicate.
 *
 * BullMQ's add ignores an id that exists and returns a Job either way
 * (https://docs.bullmq.io/guide/jobs/job-ids), so whether a call added the job
 * is read back from the stored creation timestamp. A completed or failed job
 * under the id is removed and the add repeated: a finished run must not block
 * the next request for the same issue. Two producers adding one id in the
 * same millisecond would both see `queued`; one job still exists, so the only
 * cost is a second "queued" acknowledgement.
 *
 * The read-back goes over an auto-pipelined connection: the read-backs of a
 * burst of webhooks share socket writes. (Batching the adds themselves into
 * `addBulk` was measured slower than separate adds: bench/queue.bench.ts.)
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { SweBotError } from '../errors.ts';

/** A finished job's removal can race other producers this many times before giving up (transient). */
const ADD_ROUNDS = 3;

export type AddStatus = 'queued' | 'duplicate';

/**
 * @param control an auto-pipelined connection for the read-backs
 *   (ioredis `enableAutoPipelining`).
 */
export async function addJob(queue: Queue, control: Redis, id: string, data: object): Promise<AddStatus> {
  for (let round = 0; round < ADD_ROUNDS; round += 1) {
    const job = await queue.add(queue.name, data, { jobId: id });
    const stored = await control.hget(queue.toKey(id), 'timestamp');
    if (stored === String(job.timestamp)) return 'queued';
    const state = await queue.getJobState(id);
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return 'duplicate';
    // A finished run of the same issue (or one removed in between): make room and add again.
    if (state !== 'unknown') await queue.remove(id);
  }
  throw new SweBotError(`could not add job ${id} to queue ${queue.name}: it kept changing state`, {
    kind: 'transient',
    code: 'queue_contended',
  });
}
