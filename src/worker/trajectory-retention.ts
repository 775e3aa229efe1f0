/**
 * Retention of the fix jobs' kept trajectories (SWE_BOT_KEEP_TRAJECTORIES_DAYS,
 * ./kept-trajectories.ts): job folders last changed more than N days ago are
 * removed. Run at worker start-up and after each fix job, so it must stay
 * cheap: two levels of readdir and a stat per job folder, no file read.
 *
 * A job folder's mtime is when its last file was created (meta.json, written
 * when the job ends), so "older than N days" means "finished more than N days
 * ago". A repository folder left empty is removed once it too is older than
 * the limit, so a job starting in it at that moment never loses its parent
 * (and `mkdir -p` would recreate it anyway).
 */
import fs from 'node:fs/promises';
import path from 'node:path';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface TrajectoryRetentionOptions {
  /** The kept trajectories: `<dir>/<owner>__<repo>/<job folder>/` (`<dataDir>/trajectories`). */
  dir: string;
  /**
   * Job folders older than this many days are removed. 0 (keeping off):
   * nothing is removed, so what an earlier setting kept can still be
   * exported; remove the folder by hand.
   */
  keepDays: number;
  /** Default `Date.now`. */
  now?: () => number;
}

export interface PruneResult {
  /** The job folders removed, as paths. */
  removed: string[];
}

/**
 * Removes the job folders under `dir` older than `keepDays`. A missing `dir`
 * is nothing to do. Entries that are not folders are left alone: only what
 * the jobs wrote is this pruner's to remove.
 */
export async function pruneTrajectories(options: TrajectoryRetentionOptions): Promise<PruneResult> {
  if (options.keepDays <= 0) return { removed: [] };
  const cutoff = (options.now ?? Date.now)() - options.keepDays * DAY_MS;
  const removed: string[] = [];
  for (const repo of await folders(options.dir)) {
    const repoDir = path.join(options.dir, repo);
    for (const job of await folders(repoDir)) {
      const jobDir = path.join(repoDir, job);
      const mtime = await mtimeOf(jobDir);
      if (mtime === undefined || mtime >= cutoff) continue;
      await fs.rm(jobDir, { recursive: true, force: true });
      removed.push(jobDir);
    }
    const repoMtime = await mtimeOf(repoDir);
    if (repoMtime !== undefined && repoMtime < cutoff && (await folders(repoDir)).length === 0) {
      // Not recursive: a folder a job has just written into stays.
      await fs.rmdir(repoDir).catch(() => undefined);
    }
  }
  return { removed };
}

/** The sub-folders of `dir`; none when it does not exist (yet, or any more). */
async function folders(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}

/** Undefined when the folder went away meanwhile (another worker pruned it). */
async function mtimeOf(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
