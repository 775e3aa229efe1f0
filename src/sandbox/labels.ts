/**
 * Labels on every container and image swe-bot makes. They let a reaper find
 * leftovers after a crash (design.md §2) and let several swe-bot processes
 * share one Docker engine without touching each other's containers.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';

export const LABEL = {
  /** Present (value `true`) on everything swe-bot creates. */
  managed: 'swe-bot.managed',
  /** base | env | env-build | instance | snapshot | probe */
  role: 'swe-bot.role',
  /** The job (or CLI run) a container works for. */
  job: 'swe-bot.job',
  /** The process that made it: `<host>/<pid>/<boot id>`. */
  owner: 'swe-bot.owner',
  /** Epoch milliseconds after which the reaper may remove it whoever owns it. */
  expiresAt: 'swe-bot.expires-at',
  /** The environment key (env images and their containers). */
  envKey: 'swe-bot.env-key',
  /** The base image key. */
  baseKey: 'swe-bot.base-key',
  /** owner/name of the repository. */
  repo: 'swe-bot.repo',
  /** Language family of a base or env image. */
  language: 'swe-bot.language',
  /** The OS image a base image was built FROM (`debian:bookworm-slim`). */
  osImage: 'swe-bot.os-image',
  /** The toolchain versions inside a base or env image (`node 24.22.3, npm 12.2.3, corepack 0.36.0 on …`). */
  toolchain: 'swe-bot.toolchain',
} as const;

/** `probe`: a short-lived container of `swe-bot doctor`. */
export type Role = 'base' | 'env' | 'env-build' | 'instance' | 'snapshot' | 'probe';

/** Identifies this process among all that share a Docker engine. */
export interface Owner {
  host: string;
  pid: number;
  /** Random per process start, so a reused pid is not mistaken for us. */
  bootId: string;
}

export function currentOwner(): Owner {
  return { host: os.hostname(), pid: process.pid, bootId: BOOT_ID };
}

const BOOT_ID = randomUUID().slice(0, 8);

export function formatOwner(owner: Owner): string {
  return `${owner.host}/${owner.pid}/${owner.bootId}`;
}

export function parseOwner(text: string | undefined): Owner | undefined {
  if (!text) return undefined;
  const match = /^(.*)\/(\d+)\/([^/]+)$/.exec(text);
  if (!match) return undefined;
  return { host: match[1] ?? '', pid: Number(match[2]), bootId: match[3] ?? '' };
}

/** Labels for something this process creates now. */
export function labelsFor(
  role: Role,
  options: { owner: Owner; ttlMs: number; job?: string | undefined; extra?: Record<string, string> },
): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL.managed]: 'true',
    [LABEL.role]: role,
    [LABEL.owner]: formatOwner(options.owner),
    [LABEL.expiresAt]: String(Date.now() + options.ttlMs),
    ...options.extra,
  };
  if (options.job !== undefined) labels[LABEL.job] = options.job;
  return labels;
}

/** Image repositories (names without tags) swe-bot uses. */
export const IMAGE_REPO = {
  base: (language: string) => `swe-bot/base-${language}`,
  env: 'swe-bot/env',
  instance: 'swe-bot/instance',
  snapshot: 'swe-bot/snapshot',
} as const;
