/** What the App's job runners (fix-job.ts, review-job.ts) need, injected by the service. */
import type { ToolFormat } from '../agent/formats/index.ts';
import type { ModelClient } from '../agent/model-client.ts';
import type { GitHubClient } from '../github/client.ts';
import type { Logger } from '../logger.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';

export interface JobRunnerDeps {
  /** A client acting as the installation (rate limited per installation). */
  installation(installationId: number): Promise<GitHubClient>;
  /** A short-lived token that can only read the contents of one repository, for cloning. */
  cloneToken(installationId: number, repositoryId: number): Promise<string>;
  /** The app's slug: its comments and reviews are by `<slug>[bot]`. */
  appSlug(): Promise<string>;
  sandbox: Sandbox;
  model: { client: ModelClient; format: ToolFormat; name: string };
  /** Where clones go (one folder per job attempt, removed afterwards). */
  workDir: string;
  logger: Logger;
  metrics?: { tokens(prompt: number, completion: number): void };
}
