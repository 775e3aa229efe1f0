/**
 * The one place where swe-bot's containers get their limits and isolation
 * (design.md §2): non-root, no network unless building, memory without swap,
 * CPU and pids limits, no-new-privileges, a minimal init to reap zombies, no
 * mounts (so no Docker socket and no host files), no credentials.
 * https://docs.docker.com/engine/api/v1.41/#tag/Container/operation/ContainerCreate
 */
import type Docker from 'dockerode';
import type { SandboxSettings } from '../config/load-config.ts';

export interface ContainerSpecOptions {
  image: string;
  labels: Record<string, string>;
  /** `none` for instances; `host` only while an environment is built. */
  network: 'none' | 'host';
  /** Limits; `cpus` already clamped to what the engine has. */
  limits: Pick<SandboxSettings, 'memoryBytes' | 'cpus' | 'pids'>;
  name?: string;
  user?: string;
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
    },
  };
}
