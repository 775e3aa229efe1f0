/**
 * What stays on disk between jobs. Cache levels follow SWE-bench's harness:
 * `none` keeps nothing, `base` keeps base images, `env` also keeps
 * environment images (the default), `instance` also keeps per-commit
 * instance images. Environment images beyond the disk cap are evicted least
 * recently used first; "used" is the image's LastTagTime, which swe-bot
 * refreshes on every use by tagging it again, so the order is shared by all
 * processes on one engine.
 */
import type Docker from 'dockerode';
import type { CacheLevel } from '../config/load-config.ts';
import type { Logger } from '../logger.ts';
import { describeError } from '../errors.ts';
import { LABEL } from './labels.ts';

export interface CachedImage {
  id: string;
  role: string;
  tags: string[];
  /** Bytes not shared with other images. */
  uniqueBytes: number;
  lastUsed: number;
  inUse: boolean;
}

const KEPT_ROLES: Record<CacheLevel, string[]> = {
  none: [],
  base: ['base'],
  env: ['base', 'env'],
  instance: ['base', 'env', 'instance'],
};

/** Roles whose images a cache level keeps after a job. */
export function keptRoles(level: CacheLevel): string[] {
  return KEPT_ROLES[level];
}

type DiskUsage = { Images?: Array<Docker.ImageInfo & { SharedSize?: number; Containers?: number }> };

/** The engine runs one disk-usage computation at a time and refuses a second. */
async function diskUsage(docker: Docker): Promise<DiskUsage> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return (await docker.df()) as DiskUsage;
    } catch (error) {
      if (attempt >= 20 || !/already running/.test(describeError(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 + attempt * 100));
    }
  }
}

export async function listCachedImages(docker: Docker): Promise<CachedImage[]> {
  // /system/df reports per-image shared and unique sizes and container counts.
  const df = await diskUsage(docker);
  const out: CachedImage[] = [];
  for (const image of df.Images ?? []) {
    const labels = image.Labels ?? {};
    if (labels[LABEL.managed] !== 'true') continue;
    const role = labels[LABEL.role] ?? '';
    const inspect = (await docker
      .getImage(image.Id)
      .inspect()
      .catch(() => undefined)) as (Docker.ImageInspectInfo & { Metadata?: { LastTagTime?: string } }) | undefined;
    const lastTag = inspect?.Metadata?.LastTagTime ? Date.parse(String(inspect.Metadata.LastTagTime)) : NaN;
    out.push({
      id: image.Id,
      role,
      tags: image.RepoTags ?? [],
      uniqueBytes: Math.max(0, image.Size - Math.max(0, image.SharedSize ?? 0)),
      lastUsed: Number.isFinite(lastTag) && lastTag > 0 ? lastTag : image.Created * 1000,
      inUse: (image.Containers ?? 0) > 0,
    });
  }
  return out;
}

/**
 * Removes environment (and instance) images, least recently used first,
 * until their unique bytes fit `maxBytes`. Images in use are skipped.
 */
export function enforceDiskCap(docker: Docker, maxBytes: number, logger: Logger): Promise<string[]> {
  // One eviction pass at a time per process; a waiting one sees the result.
  const run = capQueue.then(() => evict(docker, maxBytes, logger));
  capQueue = run.catch(() => undefined);
  return run;
}

let capQueue: Promise<unknown> = Promise.resolve();

async function evict(docker: Docker, maxBytes: number, logger: Logger): Promise<string[]> {
  const images = (await listCachedImages(docker)).filter((image) => image.role === 'env' || image.role === 'instance');
  let total = images.reduce((sum, image) => sum + image.uniqueBytes, 0);
  const removed: string[] = [];
  for (const image of images.sort((a, b) => a.lastUsed - b.lastUsed)) {
    if (total <= maxBytes) break;
    if (image.inUse) continue;
    try {
      await docker.getImage(image.id).remove({ force: false });
      total -= image.uniqueBytes;
      removed.push(image.id);
      logger.info({ image: image.tags[0] ?? image.id, bytes: image.uniqueBytes }, 'evicted environment image');
    } catch (error) {
      logger.warn({ image: image.id, err: describeError(error) }, 'cannot evict image');
    }
  }
  return removed;
}

/** Applies a cache level after a job: removes the images of roles it does not keep. */
export async function applyCacheLevel(docker: Docker, level: CacheLevel, images: Array<{ ref: string; role: string }>): Promise<void> {
  const kept = new Set(keptRoles(level));
  for (const image of images) {
    if (kept.has(image.role)) continue;
    await docker
      .getImage(image.ref)
      .remove({ force: false })
      .catch(() => undefined);
  }
}
