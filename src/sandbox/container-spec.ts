/**
 * The one place where swe-bot's containers get their limits and isolation
 * (design.md §2): non-root, no network (builds go through the egress proxy), memory without swap,
 * CPU and pids limits, no-new-privileges, a minimal init to reap zombies, no
 * mounts (so no Docker socket and no host files), no credentials.
 * https://docs.docker.com/engine/api/v1.41/#tag/Container/operation/ContainerCreate
 */
import type Docker from 'dockerode';
import type { SandboxSettings } from '../config/load-config.ts';

export interface ContainerSpecOptions {
  image: string;
  labels: Record<string, string>;
  /**
   * Always `none`: builds reach the registries through the egress proxy
   * (build-egress.ts), never through a network of their own.
   */
  network: 'none';
  /** Limits; `cpus` already clamped to what the engine has. */
  limits: Pick<SandboxSettings, 'memoryBytes' | 'cpus' | 'pids'>;
  name?: string;
  user?: string;
  /**
   * The disk limit (src/sandbox/disk-limit.ts): `bytes` caps every file a
   * process writes (RLIMIT_FSIZE), and with `quota` the engine's storage
   * quota caps the writable layer too. Absent: no disk limit (builds).
   */
  disk?: { bytes: number; quota: boolean };
}

/** Capabilities Docker grants by default that a test run never needs. */
const DROPPED_CAPABILITIES = ['NET_RAW', 'MKNOD', 'AUDIT_WRITE', 'SYS_CHROOT', 'SETFCAP', 'NET_BIND_SERVICE'];

export function containerSpec(options: ContainerSpecOptions): Docker.ContainerCreateOptions {
  return {
    Image: options.image,
    ...(options.name === undefined ? {} : { name: options.name }),
    // The container only idles; all work happens through exec.
    Cmd: ['sleep', 'infinity'],
    Entrypoint: [],
    User: options.user ?? 'swe',
    WorkingDir: '/testbed',
    Labels: options.labels,
    // NetworkMode `none` alone isolates the container (loopback only).
    // NetworkDisabled would also leave /etc/hosts empty, and test runners
    // (vite, vitest) look up `localhost` when they start.
    HostConfig: {
      NetworkMode: options.network,
      Memory: options.limits.memoryBytes,
      // Equal to Memory: no swap, so a memory hog is killed instead of thrashing.
      MemorySwap: options.limits.memoryBytes,
      NanoCpus: Math.round(options.limits.cpus * 1e9),
      PidsLimit: options.limits.pids,
      SecurityOpt: ['no-new-privileges'],
      CapDrop: DROPPED_CAPABILITIES,
      Init: true,
      Binds: [],
      Mounts: [],
      Privileged: false,
      ReadonlyRootfs: false,
      LogConfig: { Type: 'none', Config: {} },
      ...diskLimits(options.disk),
    },
  };
}

/**
 * `fsize` is in bytes (setrlimit(2)); execs inherit the container's rlimits,
 * so one runaway `dd` stops at the limit at once (SIGXFSZ, "File size limit
 * exceeded") instead of between two watchdog checks. `StorageOpt.size` is
 * refused by drivers that cannot enforce it (overlay2 off xfs with pquota).
 */
function diskLimits(disk: ContainerSpecOptions['disk']): Pick<Docker.HostConfig, 'Ulimits' | 'StorageOpt'> {
  if (disk === undefined) return {};
  return {
    Ulimits: [{ Name: 'fsize', Soft: disk.bytes, Hard: disk.bytes }],
    ...(disk.quota ? { StorageOpt: { size: String(disk.bytes) } } : {}),
  };
}
