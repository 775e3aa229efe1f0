/**
 * Adds jobs under deterministic ids and tells new from duplicate, in one
 * Redis round trip.
 *
 * BullMQ's add ignores an id that exists and returns a Job either way
 * (https://docs.bullmq.io/guide/jobs/job-ids), so it cannot say whether it
 * added anything. Instead of reading the job back after the add, the add
 * runs as one Lua script of our own: a prelude, then BullMQ's own
 * `addStandardJob` script unchanged (wrapped in a function). The prelude
 *
 * 1. optionally records a webhook delivery id (SET NX PX): when it was
 *    recorded before, the script stops with `redelivered` and adds nothing;
 * 2. stops with `duplicate` when a job with the id exists and is not
 *    finished (waiting, delayed, prioritized, active), and with `finished`
 *    when it completed or failed;
 * 3. otherwise runs BullMQ's add, which stores the job and returns its id.
 *
 * All of it is one atomic script, so a delivery is recorded in the same
 * step that adds its job or finds one in the way (the previous way, SET NX
 * and then the add, could record a delivery whose add then failed, and
 * GitHub's retry of it was ignored). BullMQ builds the script's keys and
 * arguments itself (its RedisQueueBackend.addJobToTransaction, given a
 * stand-in "client" that runs our script where BullMQ would run its own), so
 * the job stored is what `Queue.add` stores (test/queue/job-queues.redis.test.ts
 * compares them); the prelude's own keys and arguments go after BullMQ's
 * and are read from the end, so BullMQ may change its own layout between
 * versions.
 *
 * A finished job (`finished`) must not block the next request for the same
 * issue: it is removed and the add repeated the plain way ({@link addJob}),
 * which is rare enough not to matter for speed; should that fail, the
 * delivery record is deleted again.
 *
 * Why not `Queue.add` and a read-back: on the webhook path each Redis round
 * trip costs a socket write, an event-loop wake-up and ioredis's per-command
 * work, and the three of them (delivery record, add, read-back) were half
 * the cost of ingesting a webhook (bench/ingest.bench.ts). Calls issued
 * while a batch is in flight share one socket write (the connection is
 * auto-pipelined). Also measured, and no better within the noise: a batch per
 * event-loop turn of our own, several batches in flight at once
 * (`addBulk`-like), and building BullMQ's arguments ourselves.
 *
 * Should BullMQ's script source not be where this module looks for it (a
 * major upgrade), the adder falls back to SET NX + `Queue.add` + read-back,
 * which keeps the same rules at three round trips.
 */
import { createRequire } from 'node:module';
import { Job, type JobsOptions, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { SweBotError } from '../errors.ts';

/** A finished job's removal can race other producers this many times before giving up (transient). */
const ADD_ROUNDS = 3;

export type AddStatus = 'queued' | 'duplicate';
/** `redelivered`: the delivery id had been recorded before; nothing was looked at or added. */
export type DeliveryAddStatus = AddStatus | 'redelivered';

/** A webhook delivery to record with the add (see {@link JobAdder.addForDelivery}). */
export interface DeliveryRecord {
  key: string;
  ttlMs: number;
}

export interface JobAdder {
  /**
   * Adds `data` under `id`: `queued`, or `duplicate` when a job with that id
   * is waiting, delayed or running (nothing added); a completed or failed
   * one is replaced.
   */
  add(id: string, data: object): Promise<AddStatus>;
  /**
   * The same, after setting the delivery key (NX, with its TTL) in the same
   * atomic step: `redelivered` when it was already set, and nothing else done.
   */
  addForDelivery(id: string, data: object, delivery: DeliveryRecord): Promise<DeliveryAddStatus>;
}

/**
 * @param control an auto-pipelined connection (ioredis `enableAutoPipelining`)
 *   to the queue's Redis, for the script and the read-backs.
 * @param jobOptions the queue's default job options (`defaultJobOptions`),
 *   which `Queue.add` would merge in.
 * @param options `plain`: the fallback's three round trips (tests).
 */
export function createJobAdder(queue: Queue, control: Redis, jobOptions: JobsOptions, options: { plain?: boolean } = {}): JobAdder {
  const found = options.plain ? undefined : addScript();
  if (found === undefined) return fallbackAdder(queue, control);
  const script: AddScript = found;
  const run = defineScript(control, script);
  const completedKey = queue.toKey('completed');
  const failedKey = queue.toKey('failed');
  async function add(id: string, data: object, delivery?: DeliveryRecord): Promise<DeliveryAddStatus> {
    const jobKey = queue.toKey(id);
    // The same steps as Queue.add → Job.create, minus validateOptions
    // (protected; our options and ids are fixed and valid).
    const job = new Job(queue, queue.name, data, { ...jobOptions, jobId: id }, id);
    const runner = {
      runCommand(name: string, args: unknown[]): Promise<unknown> {
        if (!name.startsWith(`${script.bullmqName}:`)) {
          return Promise.reject(new SweBotError(`BullMQ chose its ${name} script for job ${id}, not ${script.bullmqName}`, { kind: 'permanent', code: 'queue_add_unsupported' }));
        }
        return run([
          ...args.slice(0, script.bullmqKeys),
          delivery?.key ?? jobKey,
          jobKey,
          completedKey,
          failedKey,
          ...args.slice(script.bullmqKeys),
          delivery === undefined ? '' : String(delivery.ttlMs),
          id,
        ]);
      },
    };
    const reply: unknown = await queue.getBackend().addJobToTransaction(runner as never, job.asJSON(), id);
    if (reply === id) return 'queued';
    if (reply === 'duplicate' || reply === 'redelivered') return reply;
    if (reply !== 'finished') throw new SweBotError(`unexpected answer adding job ${id} to queue ${queue.name}: ${String(reply)}`, { kind: 'transient', code: 'queue_add_failed' });
    // A finished run of the same issue: make room and add again. Should
    // that fail, forget the delivery, so that GitHub's retry of it can add
    // the job (it answered 5xx).
    try {
      await queue.remove(id);
      return await addJob(queue, control, id, data);
    } catch (error) {
      if (delivery) await control.del(delivery.key).catch(() => undefined);
      throw error;
    }
  }
  return {
    // Without a delivery the script never answers `redelivered`.
    add: (id, data) => add(id, data) as Promise<AddStatus>,
    addForDelivery: add,
  };
}

/**
 * The plain way: `Queue.add`, then a read-back of the stored creation
 * timestamp and data (both equal to this add's: it stored the job;
 * otherwise a job with the id existed). The timestamp alone is not enough:
 * two adds of one id often fall in the same millisecond. A completed or
 * failed job under the id is removed and the add repeated. Two producers
 * adding the same data under one id in the same millisecond would both see
 * `queued`; one job still exists, and it is what both asked for.
 */
export async function addJob(queue: Queue, control: Redis, id: string, data: object): Promise<AddStatus> {
  const json = JSON.stringify(data);
  for (let round = 0; round < ADD_ROUNDS; round += 1) {
    const job = await queue.add(queue.name, data, { jobId: id });
    const [timestamp, storedData] = await control.hmget(queue.toKey(id), 'timestamp', 'data');
    if (timestamp === String(job.timestamp) && storedData === json) return 'queued';
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

function fallbackAdder(queue: Queue, control: Redis): JobAdder {
  return {
    add: (id, data) => addJob(queue, control, id, data),
    async addForDelivery(id, data, delivery) {
      if ((await control.set(delivery.key, '1', 'PX', delivery.ttlMs, 'NX')) === null) return 'redelivered';
      try {
        return await addJob(queue, control, id, data);
      } catch (error) {
        await control.del(delivery.key).catch(() => undefined);
        throw error;
      }
    },
  };
}

interface AddScript {
  /** BullMQ's name of the script it runs for a plain add (`addStandardJob`). */
  bullmqName: string;
  /** How many of BullMQ's arguments are keys. */
  bullmqKeys: number;
  /** Keys the prelude adds after BullMQ's. */
  ownKeys: number;
  lua: string;
}

/** Our prelude's keys after BullMQ's, and arguments after BullMQ's, read from the end. */
const PRELUDE = `
local keyCount, argCount = #KEYS, #ARGV
local deliveryKey, jobKey = KEYS[keyCount - 3], KEYS[keyCount - 2]
local completedKey, failedKey = KEYS[keyCount - 1], KEYS[keyCount]
local deliveryTtl, ownJobId = ARGV[argCount - 1], ARGV[argCount]
if deliveryTtl ~= '' and not redis.call('SET', deliveryKey, '1', 'PX', deliveryTtl, 'NX') then
  return 'redelivered'
end
if redis.call('EXISTS', jobKey) == 1 then
  if redis.call('ZSCORE', completedKey, ownJobId) or redis.call('ZSCORE', failedKey, ownJobId) then
    return 'finished'
  end
  return 'duplicate'
end
`;

let cachedScript: AddScript | null | undefined;

/** Our script around BullMQ's `addStandardJob`, or undefined when BullMQ's script source is not found. */
function addScript(): AddScript | undefined {
  if (cachedScript === undefined) {
    cachedScript = null;
    try {
      // BullMQ's Lua sources, as its RedisConnection loads them (the CommonJS build is the one `import 'bullmq'` loads).
      const scripts = createRequire(import.meta.url)('bullmq/dist/cjs/scripts/index.js') as Record<string, { name?: unknown; content?: unknown; keys?: unknown } | undefined>;
      const source = scripts.addStandardJob;
      if (source && typeof source.name === 'string' && typeof source.content === 'string' && typeof source.keys === 'number') {
        cachedScript = {
          bullmqName: source.name,
          bullmqKeys: source.keys,
          ownKeys: 4,
          lua: `${PRELUDE}\nlocal function bullmqAdd()\n${source.content}\nend\nreturn bullmqAdd()\n`,
        };
      }
    } catch {
      // Not there: the fallback adder.
    }
  }
  return cachedScript ?? undefined;
}

type ScriptRunner = (args: unknown[]) => Promise<unknown>;

/** Defines the script on the connection once (ioredis runs it by EVALSHA, loading it when Redis lacks it). */
function defineScript(control: Redis, script: AddScript): ScriptRunner {
  const name = 'sweBotAddJob';
  const commands = control as unknown as Record<string, ((...args: unknown[]) => Promise<unknown>) | undefined>;
  if (typeof commands[name] !== 'function') control.defineCommand(name, { numberOfKeys: script.bullmqKeys + script.ownKeys, lua: script.lua });
  return (args) => (commands[name] as (...args: unknown[]) => Promise<unknown>).apply(control, args);
}
