/**
 * The containers this process made (label `swe-bot.owner` = this process,
 * src/sandbox/labels.ts): counted for `/metrics`, and removed at shutdown
 * once the workers have stopped, so a stopped service leaves nothing behind
 * even when a job's own `finally` did not get to run. The reaper
 * (src/sandbox/reaper.ts) handles the leftovers of processes that died.
 */
import type { Logger } from '../logger.ts';
import { describeError } from '../errors.ts';
import { LABEL, formatOwner } from '../sandbox/labels.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';

export async function countOwnContainers(sandbox: Pick<Sandbox, 'docker' | 'owner'>): Promise<number> {
  const containers = await sandbox.docker.listContainers({ filters: { label: [`${LABEL.owner}=${formatOwner(sandbox.owner)}`] } });
  return containers.length;
}

/** Removes every container of this process (running or not); returns their ids. */
export async function removeOwnContainers(sandbox: Pick<Sandbox, 'docker' | 'owner'>, logger: Logger): Promise<string[]> {
  const containers = await sandbox.docker.listContainers({ all: true, filters: { label: [`${LABEL.owner}=${formatOwner(sandbox.owner)}`] } });
  const removed: string[] = [];
  await Promise.all(
    containers.map(async (info) => {
      try {
        await sandbox.docker.getContainer(info.Id).remove({ force: true, v: true });
        removed.push(info.Id);
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return;
        logger.warn({ container: info.Id, err: describeError(error) }, 'cannot remove a container at shutdown');
      }
    }),
  );
  if (removed.length) logger.info({ containers: removed.length }, 'removed the containers jobs left at shutdown');
  return removed;
}
