/**
 * The per-installation cap: at most `limit` jobs of one GitHub App
 * installation run at once across every worker sharing the Redis, so one
 * organisation cannot occupy all the machines while the others wait.
 *
 * Accounting is by leased slots, not by a counter: one sorted set per
 * installation, member = a slot id unique to this process, score = when the
 * lease expires (Redis server time, so machines with skewed clocks agree). A
 * running job's slot is renewed on a timer; a worker killed with SIGKILL stops
 * renewing, so its slots free themselves once their leases expire, instead of
 * leaking forever as a counter would. The lease lives as long as BullMQ's job
 * lock, so by the time the stalled checker hands a dead worker's job to
 * another worker, the dead slot is gone or about to go.
 *
 * Cost, because every job pays it:
 * - a finished job's slot stays with this process for {@link SLOT_IDLE_MS}:
 *   a busy worker's next job of the same installation takes it over without
 *   any call to Redis (the slot and its count do not change). Such a job's
 *   cancel flag is not read at its start: a request for it reaches it by
 *   pub/sub, or at the latest with the next renewal;
 * - the acquires and releases requested in one turn of the event loop go to
 *   Redis as one Lua script call (atomic: releases first, so a slot freed in
 *   the batch can be taken in it), and an acquire also returns the job's
 *   cancel flag; keys travel in one JSON argument, not as KEYS, because one
 *   argument costs far less to encode than dozens. Like BullMQ's own scripts
 *   this needs all keys on one node: one Redis, not a cluster
 *   (https://redis.io/docs/latest/develop/programmability/eval-intro/);
 * - renew covers every running job of the process in one call and returns
 *   their cancel flags.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

// ARGV[1] limit, ARGV[2] ttl, ARGV[3] JSON {r: [lease set, slot, …], a: [lease set, cancel flag, slot, …]}.
// Returns, per acquire: 1 or 0 (acquired or not), then its cancel flag ('' when none).
const BATCH_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local batch = cjson.decode(ARGV[3])
local r = batch['r']
for i = 1, #r, 2 do
  redis.call('ZREM', r[i], r[i + 1])
end
local a = batch['a']
local out = {}
local pruned = {}
for i = 1, #a, 3 do
  local leases = a[i]
  if not pruned[leases] then
    redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
    pruned[leases] = true
  end
  local acquired = 0
  if redis.call('ZCARD', leases) < limit then
    redis.call('ZADD', leases, now + ttl, a[i + 2])
    redis.call('PEXPIRE', leases, ttl * 2)
    acquired = 1
  end
  out[#out + 1] = acquired
  out[#out + 1] = redis.call('GET', a[i + 1]) or ''
end
return out
`;

// KEYS: lease set and cancel flag of each job, in pairs; ARGV: ttl, then one slot per job.
// Renewal re-adds a lease that expired meanwhile (a stall longer than the
// TTL): the job does run, so it counts, even if that briefly exceeds the cap.
const RENEW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local flags = {}
for i = 1, #KEYS / 2 do
  local leases = KEYS[2 * i - 1]
  redis.call('ZADD', leases, now + ttl, ARGV[i + 1])
  redis.call('PEXPIRE', leases, ttl * 2)
  flags[i] = redis.call('GET', KEYS[2 * i]) or ''
end
return flags
`;

/** How long a finished job's slot waits in this process for the next job of its installation. */
export const SLOT_IDLE_MS = 20;

interface LeaseCommands {
  sweBotLeaseBatch(limit: number, ttlMs: number, batch: string): Promise<(number | string)[]>;
  sweBotLeaseRenew(numberOfKeys: number, ...args: (string | number)[]): Promise<string[]>;
}

/** One unit of an installation's capacity, leased by this process. */
export interface Slot {
  /** The installation's lease set ({@link ControlKeys.leases}). */
  readonly leasesKey: string;
  readonly id: string;
}

export interface AcquireResult {
  /** Undefined: the installation is at its cap. */
  slot: Slot | undefined;
  /** The job's cancel flag as stored ('' when none or not read: see `cancelReasonFor`). */
  cancelFlag: string;
}

export interface InstallationLeases {
  /** A slot of the installation whose lease set is `leasesKey`, for the job whose cancel flag is `cancelKey`. */
  acquire(leasesKey: string, cancelKey: string): Promise<AcquireResult>;
  /** Extends the leases of every running job in one round trip; returns their cancel flags in the same order. */
  renew(held: readonly { slot: Slot; cancelKey: string }[]): Promise<string[]>;
  /**
   * Gives the slot back. `now`: released in this turn of the event loop (the
   * promise resolves once Redis has it); otherwise kept {@link SLOT_IDLE_MS}
   * for the next job of the installation (the promise resolves at once).
   */
  release(slot: Slot, now?: boolean): Promise<void>;
  /** Releases the idle slots and sends everything pending (before closing the connection). */
  drain(): Promise<void>;
}

export interface InstallationLeasesOptions {
  /** A connection this module may define commands on. */
  redis: Redis;
  /** Jobs of one installation allowed to run at once. */
  limit: number;
  /** How long a lease lives without renewal. */
  ttlMs: number;
  /** Told when the release of an idle slot fails: its lease expires on its own. */
  onError?: (error: unknown) => void;
}

interface Callbacks<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

interface Acquire extends Callbacks<AcquireResult> {
  slot: Slot;
  cancelKey: string;
}
interface Release extends Callbacks<void> {
  slot: Slot;
}
interface IdleSlot {
  slot: Slot;
  since: number;
}

export function createInstallationLeases(options: InstallationLeasesOptions): InstallationLeases {
  const { redis, limit, ttlMs } = options;
  redis.defineCommand('sweBotLeaseBatch', { numberOfKeys: 0, lua: BATCH_LUA });
  redis.defineCommand('sweBotLeaseRenew', { lua: RENEW_LUA });
  const commands = redis as unknown as LeaseCommands;
  // Slot ids: unique across processes and restarts.
  const owner = randomBytes(6).toString('hex');
  let sequence = 0;

  let acquires: Acquire[] = [];
  let releases: Release[] = [];
  /** Slots of finished jobs, by lease set, most recent last. */
  const idle = new Map<string, IdleSlot[]>();
  let immediate: NodeJS.Immediate | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;

  /** After this turn's I/O callbacks: every job started by the replies just read joins the same call. */
  function schedule(): void {
    immediate ??= setImmediate(() => void flush());
  }

  /** Releases slots idle for SLOT_IDLE_MS; one timer for all of them, armed only while some wait. */
  function armSweep(): void {
    sweepTimer ??= setTimeout(() => {
      sweepTimer = undefined;
      const cutoff = performance.now() - SLOT_IDLE_MS;
      for (const [key, slots] of idle) {
        while (slots.length > 0 && (slots[0] as IdleSlot).since <= cutoff) {
          releases.push({ slot: (slots.shift() as IdleSlot).slot, resolve: noop, reject: options.onError ?? noop });
        }
        if (slots.length === 0) idle.delete(key);
      }
      if (idle.size > 0) armSweep();
      schedule();
    }, SLOT_IDLE_MS);
  }

  /** Sends what is pending; resolves when Redis answered (never rejects: the callers get the error). */
  function flush(): Promise<void> {
    if (immediate !== undefined) clearImmediate(immediate);
    immediate = undefined;
    if (acquires.length === 0 && releases.length === 0) return Promise.resolve();
    const [acquiring, releasing] = [acquires, releases];
    acquires = [];
    releases = [];
    const batch: { r: string[]; a: string[] } = { r: [], a: [] };
    for (const { slot } of releasing) batch.r.push(slot.leasesKey, slot.id);
    for (const { slot, cancelKey } of acquiring) batch.a.push(slot.leasesKey, cancelKey, slot.id);
    return commands.sweBotLeaseBatch(limit, ttlMs, JSON.stringify(batch)).then(
      (out) => {
        for (const release of releasing) release.resolve();
        acquiring.forEach((acquire, index) => {
          acquire.resolve({ slot: out[2 * index] === 1 ? acquire.slot : undefined, cancelFlag: String(out[2 * index + 1] ?? '') });
        });
      },
      (error: unknown) => {
        for (const pending of [...releasing, ...acquiring]) pending.reject(error);
      },
    );
  }

  return {
    acquire(leasesKey, cancelKey) {
      const slots = idle.get(leasesKey);
      const taken = slots?.pop();
      if (slots?.length === 0) idle.delete(leasesKey);
      if (taken) return Promise.resolve({ slot: taken.slot, cancelFlag: '' });
      sequence += 1;
      const slot: Slot = { leasesKey, id: `${owner}:${sequence}` };
      return new Promise<AcquireResult>((resolve, reject) => {
        acquires.push({ slot, cancelKey, resolve, reject });
        schedule();
      });
    },
    async renew(held) {
      if (held.length === 0) return [];
      const keys = held.flatMap(({ slot, cancelKey }) => [slot.leasesKey, cancelKey]);
      return commands.sweBotLeaseRenew(keys.length, ...keys, ttlMs, ...held.map(({ slot }) => slot.id));
    },
    release(slot, now = false) {
      if (!now) {
        const entry = { slot, since: performance.now() };
        const slots = idle.get(slot.leasesKey);
        if (slots) slots.push(entry);
        else idle.set(slot.leasesKey, [entry]);
        armSweep();
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        releases.push({ slot, resolve, reject });
        schedule();
      });
    },
    async drain() {
      if (sweepTimer !== undefined) clearTimeout(sweepTimer);
      sweepTimer = undefined;
      for (const slots of idle.values()) for (const { slot } of slots) releases.push({ slot, resolve: noop, reject: options.onError ?? noop });
      idle.clear();
      await flush();
    },
  };
}

function noop(): void {
  // Nobody waits for an idle slot's release.
}
