/**
 * Removes what crashed or killed swe-bot processes left behind: containers
 * and snapshot images carrying swe-bot's labels whose owner is gone or whose
 * time is up. Runs at start-up and on a timer. Several processes may share an
 * engine: a container is only removed when (a) its expiry passed, or (b) its
 * owner ran on this host, is not this process, and that pid no longer lives
 * (or lives as another process start).
 */
import type Docker from 'dockerode';
import type { Logger } from '../logger.ts';
import { describeError } from '../errors.ts';
import { LABEL, formatOwner, parseOwner, type Owner } from './labels.ts';
import { processAlive } from '../util/process-alive.ts';

/** Default period of the reaper timer. */
export const REAP_INTERVAL_MS = 5 * 60_000;

export interface ReapReport {
  containers: string[];
  images: string[];
}

export interface ReaperDeps {
  docker: Docker;
  owner: Owner;
  logger: Logger;
  /** Whether a pid is alive on this host. Default: `process.kill(pid, 0)`. */
  isAlive?: (pid: number) => boolean;
}


export function isOrphan(labels: Record<string, string>, self: Owner, now: number, isAlive: (pid: number) => boolean): boolean {
  const expires = Number(labels[LABEL.expiresAt]);
  if (Number.isFinite(expires) && expires < now) return true;
  const owner = parseOwner(labels[LABEL.owner]);
  if (!owner) return false;
  if (formatOwner(owner) === formatOwner(self)) return false;
  if (owner.host !== self.host) return false;
  // Our own pid with another boot id: a previous run of this process slot.
  if (owner.pid === self.pid) return true;
  return !isAlive(owner.pid);
}

export async function reap(deps: ReaperDeps): Promise<ReapReport> {
  const isAlive = deps.isAlive ?? processAlive;
  const now = Date.now();
  const report: ReapReport = { containers: [], images: [] };
  const containers = await deps.docker.listContainers({ all: true, filters: { label: [`${LABEL.managed}=true`] } });
  for (const info of containers) {
    if (!isOrphan(info.Labels, deps.owner, now, isAlive)) continue;
    try {
      await deps.docker.getContainer(info.Id).remove({ force: true, v: true });
      report.containers.push(info.Id);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) {
        deps.logger.warn({ container: info.Id, err: describeError(error) }, 'reaper cannot remove container');
      }
    }
  }
  const images = await deps.docker.listImages({ filters: { label: [`${LABEL.role}=snapshot`] } });
  for (const info of images) {
    if (!isOrphan(info.Labels ?? {}, deps.owner, now, isAlive)) continue;
    try {
      await deps.docker.getImage(info.Id).remove({ force: true });
      report.images.push(info.Id);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) {
        deps.logger.warn({ image: info.Id, err: describeError(error) }, 'reaper cannot remove image');
      }
    }
  }
  if (report.containers.length + report.images.length > 0) {
    deps.logger.info({ containers: report.containers.length, images: report.images.length }, 'reaped leftovers');
  }
  return report;
}

/** Runs `reap` now and then every `intervalMs`; returns a stop function. */
export function startReaper(deps: ReaperDeps, intervalMs = REAP_INTERVAL_MS): { stop(): void; done: Promise<ReapReport> } {
  const run = (): Promise<ReapReport> =>
    reap(deps).catch((error: unknown) => {
      deps.logger.warn({ err: describeError(error) }, 'reaper failed');
      return { containers: [], images: [] };
    });
  const done = run();
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), done };
}
