/** What the App's job runners (fix-job.ts, review-job.ts) need, injected by the service (src/cli/serve.ts builds it). */
import type { GitHubAuth } from '../github/github-auth.ts';
import type { PipelineDeps } from '../jobs/pipeline-deps.ts';
import type { KeyedLock } from '../util/keyed-lock.ts';
import type { TrajectoryKeeping } from './kept-trajectories.ts';

/**
 * The pipelines' deps without a logger (each job brings its own child
 * logger, {@link JobContext.logger}), and what the runner needs around them.
 */
export interface WorkerDeps extends Omit<PipelineDeps, 'logger'> {
  /** GitHub as the App: installation clients, clone tokens, the App's slug. */
  github: GitHubAuth;
  /** Where clones go (one folder per job attempt, removed afterwards). */
  workDir: string;
  /** Counts the model's tokens, for /metrics. */
  metrics?: { tokens(prompt: number, completion: number): void };
  /** Keeps the status comment one per issue when jobs of one issue or pull request overlap (src/queue/redis-lock.ts). */
  commentLock?: KeyedLock;
  /**
   * Where fix jobs keep their conversations as training data, and for how
   * long (./kept-trajectories.ts). Default: absent, nothing is kept
   * (SWE_BOT_KEEP_TRAJECTORIES_DAYS=0).
   */
  trajectories?: TrajectoryKeeping;
  /**
   * Where `/swe-bot evaluate` leaves each repository's dataset, predictions
   * and trajectories (`<dir>/<owner>__<name>`, replaced by the next one).
   * Default: absent, they go with the job's work folder.
   */
  evaluationsDir?: string;
}
