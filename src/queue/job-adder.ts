/**
 * Adds jobs under deterministic ids and tells new from duplicate, in one
 * Redis round trip: a webhook is answered only once its job is in Redis, and
 * round trips are much of what ingesting one costs (bench/ingest.bench.ts).
 *
 * BullMQ's add ignores an id that exists and returns a Job either way
 * (https://docs.bullmq.io/guide/jobs/job-ids), so it cannot say whether it
 * added anything. The add here is one Lua script of our own: a prelude, then
 * BullMQ's own `addStandardJob` script unchanged (wrapped in a function). The
 * prelude
 *
 * 1. optionally records a webhook delivery id (SET NX PX): when it was
 *    recorded before, the script stops with `redelivered` and adds nothing;
 *    a new delivery may also set one key of the caller's (its `mark`);
 * 2. stops with `duplicate` when a job with the id exists and is not
 *    finished (waiting, delayed, prioritized, active), and with `finished`
 *    when it completed or failed;
 * 3. otherwise runs BullMQ's add, which stores the job and returns its id.
 *
 * Being one atomic script, it records a delivery in the same step that adds
 * its job or finds one in the way: a delivery is never recorded for an add
 * that then failed, which would make GitHub's retry of it be ignored.
 *
 * This reaches into BullMQ beyond its documented API: the Lua source comes
 * from its build (`bullmq/dist/cjs/scripts`), and the script's keys and
 * arguments from its `RedisQueueBackend.addJobToTransaction`, given a
 * stand-in "client" that runs our script where BullMQ would run its own, so
 * the job stored is what `Queue.add` stores (test/queue/job-queues.redis.test.ts
 * compares them). Hence bullmq's minor version is pinned in package.json
 * (`~`). The prelude's keys and arguments go after BullMQ's and are read from
 * the end, so BullMQ may change its own layout. When the script source is not
 * found, the adder falls back to SET NX + `Queue.add` + read-back
 * ({@link addJob}): the same rules at three round trips
 * (test/queue/job-adder-fallback.redis.test.ts).
 *
 * A finished job (`finished`) must not block the next request for the same
 * issue: it is removed and the add repeated the plain way, rare enough not to
 * matter for speed; should that fail, the delivery record is deleted again.
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
  /**
   * A key to set, in the same atomic step, when the delivery is new, before
   * the job is added (so a worker that takes the job at once already sees
   * it): a review's latest head of its pull request.
   */
  mark?: { key: string; value: string; ttlMs: number };
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
        const mark = delivery?.mark;
        return run([
          ...args.slice(0, script.bullmqKeys),
          delivery?.key ?? jobKey,
          mark?.key ?? jobKey,
          jobKey,
          completedKey,
          failedKey,
          ...args.slice(script.bullmqKeys),
          delivery === undefined ? '' : String(delivery.ttlMs),
          mark === undefined ? '' : String(mark.ttlMs),
          mark?.value ?? '',
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
        if (delivery.mark) await control.set(delivery.mark.key, delivery.mark.value, 'PX', delivery.mark.ttlMs);
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
local deliveryKey, markKey, jobKey = KEYS[keyCount - 4], KEYS[keyCount - 3], KEYS[keyCount - 2]
local completedKey, failedKey = KEYS[keyCount - 1], KEYS[keyCount]
local deliveryTtl, markTtl, markValue, ownJobId = ARGV[argCount - 3], ARGV[argCount - 2], ARGV[argCount - 1], ARGV[argCount]
if deliveryTtl ~= '' and not redis.call('SET', deliveryKey, '1', 'PX', deliveryTtl, 'NX') then
  return 'redelivered'
end
if markTtl ~= '' then
  redis.call('SET', markKey, markValue, 'PX', markTtl)
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
          ownKeys: 5,
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
