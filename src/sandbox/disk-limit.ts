/**
 * The disk limit of instances (`SWE_BOT_SANDBOX_DISK`): what one container may
 * write on top of its image, the repository copy included, so that a runaway
 * command (`dd if=/dev/zero of=/tmp/big bs=1M count=20000`) cannot fill the
 * engine's disk. Three parts:
 *
 * - the engine's storage quota, `HostConfig.StorageOpt.size`, where the
 *   storage driver enforces one (devicemapper, btrfs, zfs, overlay2 on xfs
 *   mounted with `pquota`): writes past it fail with ENOSPC and the agent can
 *   clean up. Asked once per process: the first container is created with
 *   it, and a refusal ("--storage-opt is supported only for overlay over xfs
 *   with 'pquota' mount option") is remembered;
 *   https://docs.docker.com/engine/api/v1.41/#tag/Container/operation/ContainerCreate
 * - RLIMIT_FSIZE at the same size (container-spec.ts), everywhere: one file
 *   cannot grow past the limit, whatever the driver, and stops at once;
 * - without a quota, a watchdog that measures the writable layer
 *   (`GET /containers/{id}/json?size=true` → `SizeRw`) every few seconds and
 *   removes a container past the limit, which frees the disk at once; the
 *   instance then answers every call with {@link diskLimitError}.
 *   https://docs.docker.com/engine/api/v1.41/#tag/Container/operation/ContainerInspect
 *
 * Not a size-limited tmpfs on /tmp: Docker's archive endpoints, through which
 * every file is read and written (the agent's editor, patches), do not see
 * tmpfs mounts (a file put into /tmp lands under the mount, invisible to
 * commands, as `docker cp`'s documentation warns), and tmpfs pages count
 * against the memory limit. /tmp stays in the writable layer, where the
 * watchdog counts it, and snapshots (docker commit) never needed it.
 *
 * What a measurement costs: the engine walks the files of the writable layer
 * only (not the image): ~10 ms for a fresh instance, ~110 ms with 50,000 files
 * written (overlay2 on ext4, engine 20.10). `GET /system/df` would measure
 * every container and image at once. The watchdog waits at least
 * {@link DISK_CHECK_INTERVAL_MS} and at least 20 times the last measurement,
 * so it takes at most ~5% of an engine thread per container. Between two
 * checks a writer gets ~2 s: ~1 GB at the ~400 MB/s measured here, and
 * RLIMIT_FSIZE bounds each file meanwhile.
 */
import type Docker from 'dockerode';
import { SandboxError, describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { formatBytes } from '../util/units.ts';

/** Least time between two measurements of one container's writable layer. */
export const DISK_CHECK_INTERVAL_MS = 2_000;
/** The watchdog waits this many times the last measurement's cost before the next one. */
const DISK_CHECK_COST_FACTOR = 20;
/** The code of {@link diskLimitError}, for callers that treat it apart. */
export const DISK_LIMIT_CODE = 'sandbox_disk_limit';

export interface DiskLimitOptions {
  docker: Docker;
  logger: Logger;
  /** `SWE_BOT_SANDBOX_DISK`, bytes. */
  bytes: number;
  /** Least time between two measurements. Default {@link DISK_CHECK_INTERVAL_MS}. */
  intervalMs?: number;
}

export interface DiskLimit {
  readonly bytes: number;
  /**
   * Creates a container from `spec(quota)`, with the engine's quota when the
   * storage driver takes one. `quota: false` in the answer: the caller
   * watches the container ({@link DiskLimit.watch}).
   */
  createContainer(spec: (quota: boolean) => Docker.ContainerCreateOptions): Promise<{ container: Docker.Container; quota: boolean }>;
  /** Measures `container` until the returned function is called; calls `onPassed` once it is past the limit, and stops. */
  watch(container: Docker.Container, onPassed: (error: SandboxError) => void): () => void;
}

/** The error of a sandbox past its disk limit: permanent, with what to change. */
export function diskLimitError(bytes: number): SandboxError {
  return new SandboxError(`the sandbox passed its disk limit of ${formatBytes(bytes).replace('.0 ', ' ')} (SWE_BOT_SANDBOX_DISK)`, {
    code: DISK_LIMIT_CODE,
    hint: 'Raise SWE_BOT_SANDBOX_DISK (e.g. 8g) if the repository needs more disk for its tests, or make them write less.',
  });
}

export function createDiskLimit(options: DiskLimitOptions): DiskLimit {
  const { docker, logger, bytes } = options;
  const intervalMs = options.intervalMs ?? DISK_CHECK_INTERVAL_MS;
  /** Whether the engine takes the quota; undefined until a create has told. */
  let quotaTaken: boolean | undefined;
  /** The create asking the engine, which the others wait for. */
  let asking: Promise<unknown> | undefined;

  async function createContainer(spec: (quota: boolean) => Docker.ContainerCreateOptions): Promise<{ container: Docker.Container; quota: boolean }> {
    while (quotaTaken === undefined && asking !== undefined) await asking.catch(() => undefined);
    if (quotaTaken !== undefined) return { container: await docker.createContainer(spec(quotaTaken)), quota: quotaTaken };
    const attempt = docker.createContainer(spec(true));
    asking = attempt;
    try {
      const container = await attempt;
      quotaTaken = true;
      return { container, quota: true };
    } catch (error) {
      if (!refusesQuota(error)) throw error;
      quotaTaken = false;
      logger.info({ reason: describeError(error) }, 'the storage driver takes no per-container quota: a watchdog measures each sandbox instead');
      return { container: await docker.createContainer(spec(false)), quota: false };
    } finally {
      asking = undefined;
    }
  }

  function watch(container: Docker.Container, onPassed: (error: SandboxError) => void): () => void {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    // `size=true` makes the engine compute SizeRw (not in dockerode's types).
    const inspect = container.inspect.bind(container) as (options: { size: boolean }) => Promise<{ SizeRw?: number }>;
    const schedule = (delayMs: number): void => {
      if (stopped) return;
      timer = setTimeout(() => void check(), delayMs);
      // The watchdog alone never keeps the process alive.
      timer.unref();
    };
    const check = async (): Promise<void> => {
      const started = performance.now();
      let used: number | undefined;
      try {
        used = (await inspect({ size: true })).SizeRw;
      } catch (error) {
        // Removed: nothing left to watch.
        if ((error as { statusCode?: number }).statusCode === 404) stopped = true;
        else logger.debug({ container: container.id, err: describeError(error) }, 'cannot measure the sandbox disk');
      }
      if (stopped) return;
      if (used !== undefined && used > bytes) {
        stopped = true;
        logger.warn({ container: container.id, usedBytes: used, limitBytes: bytes }, 'the sandbox passed its disk limit');
        onPassed(diskLimitError(bytes));
        return;
      }
      schedule(Math.max(intervalMs, (performance.now() - started) * DISK_CHECK_COST_FACTOR));
    };
    schedule(intervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  return { bytes, createContainer, watch };
}

/** The engine's refusal of `StorageOpt` (the storage driver cannot enforce it), not any other create error. */
function refusesQuota(error: unknown): boolean {
  return /storage[- ]?opt|quota/i.test(describeError(error));
}
