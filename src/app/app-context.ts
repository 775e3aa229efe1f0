/** What the app's handlers get for one delivery (src/app/app.ts makes it). */
import type { EmitterWebhookEvent, EmitterWebhookEventName } from '@octokit/webhooks';
import type { GitHubClient } from '../github/client.ts';
import type { Logger } from '../logger.ts';

/** The installation's client, made on the first call and reused for the event. */
export type LazyClient = () => Promise<GitHubClient>;

/** What a handler gets beside the event (`id`, `name`, `payload`). */
export interface AppContextExtras {
  /** The service logger with the delivery id and event name. */
  log: Logger;
  /**
   * The installation's client, made on the first call: most deliveries are
   * answered from the configuration and permission caches and need none.
   */
  octokit: LazyClient;
}

export type AppContext<E extends EmitterWebhookEventName> = EmitterWebhookEvent<E> & AppContextExtras;
