/**
 * The app (design.md §1, §5): webhook events in, jobs out. Handlers are
 * thin — they filter, authorize and enqueue, and answer GitHub well within
 * its 10 s delivery timeout
 * (https://docs.github.com/en/webhooks/using-webhooks/best-practices-for-using-webhooks#respond-within-10-seconds);
 * the work happens in the workers.
 *
 * Events are routed by `@octokit/webhooks`' event handler, as in a Probot
 * app, with one difference in the context: Probot builds an authenticated
 * Octokit for every event before any handler runs, whereas most deliveries
 * here are answered from the configuration and permission caches and never
 * call GitHub (bench/ingest.bench.ts measures the cost). So `context.octokit()` makes the
 * installation's client on first use — the same rate-limited client the
 * workers use (src/github/github-auth.ts), so the handlers' few writes (a
 * refusal, a configuration error) are serialized and spaced with theirs.
 */
import { createEventHandler, type EmitterWebhookEvent } from '@octokit/webhooks';
import { describeError } from '../errors.ts';
import type { GitHubClient } from '../github/client.ts';
import type { GitHubAuth } from '../github/github-auth.ts';
import type { Logger } from '../logger.ts';
import type { JobIntake } from '../queue/job-queues.ts';
import type { AppContextExtras } from './app-context.ts';
import { isBot } from './authorize.ts';
import { parseCommand } from './commands.ts';
import { onFixComment, onIssueLabeled, onEvaluateComment, onSetupComment } from './fix-requests.ts';
import type { HandlerDeps } from './handler-deps.ts';
import { payloadRepositoryProblem } from './payload-check.ts';
import { createRequestGate, type RequestGateDeps } from './request-gate.ts';
import { onCheckRunRerequested, onPullRequest, onReviewComment } from './review-requests.ts';

export type { AppContext } from './app-context.ts';

export interface AppDeps extends Pick<RequestGateDeps, 'permissions' | 'loadConfig' | 'commentLock'> {
  /** The queues the handlers add to (src/queue/job-queues.ts). */
  queue: JobIntake;
  /**
   * `<GHE_PROTOCOL>://<GHE_HOST>` (payload-check.ts `cloneOrigin`): a delivery
   * whose repository's `clone_url` is not `<this>/<owner>/<name>.git` is refused.
   */
  cloneOrigin: string;
  /** GitHub as the App: the service's rate-limited installation clients (src/github/github-auth.ts) and its slug. */
  github: Pick<GitHubAuth, 'installation' | 'appSlug'>;
  logger: Logger;
}

export interface App {
  /** Runs the handlers of one verified delivery; rejects when one of them failed (already logged). */
  receive(event: { id: string; name: string; payload: unknown }): Promise<void>;
}

export function createApp(deps: AppDeps): App {
  const appSlug = (): Promise<string> => deps.github.appSlug();
  const handlers: HandlerDeps = {
    gate: createRequestGate({
      appSlug,
      ...(deps.permissions ? { permissions: deps.permissions } : {}),
      ...(deps.loadConfig ? { loadConfig: deps.loadConfig } : {}),
      ...(deps.commentLock ? { commentLock: deps.commentLock } : {}),
    }),
    queue: deps.queue,
    appSlug,
  };
  const events = createEventHandler<AppContextExtras>({
    transform: (event) => {
      const log = deps.logger.child({ delivery: event.id, event: event.name });
      let client: Promise<GitHubClient> | undefined;
      return {
        ...event,
        log,
        octokit: () => {
          const payload = event.payload as { installation?: { id?: number } };
          const installationId = payload.installation?.id;
          if (installationId === undefined) return Promise.reject(new Error(`the ${event.name} event ${event.id} names no installation, so the app cannot call GitHub for it`));
          client ??= deps.github.installation(installationId);
          return client;
        },
      };
    },
  });

  events.on('issues.labeled', (context) => onIssueLabeled(handlers, context));
  events.on('issue_comment.created', async (context) => {
    if (isBot(context.payload.sender)) return;
    const command = parseCommand(context.payload.comment.body);
    if (command === 'review') await onReviewComment(handlers, context);
    else if (command === 'setup') await onSetupComment(handlers, context);
    else if (command === 'evaluate') await onEvaluateComment(handlers, context);
    else if (command !== undefined) await onFixComment(handlers, context, command);
  });
  events.on(
    ['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened', 'pull_request.ready_for_review'],
    (context) => onPullRequest(handlers, context),
  );
  events.on('check_run.rerequested', (context) => onCheckRunRerequested(handlers, context));
  events.on(['installation.created', 'installation.deleted', 'installation_repositories'], (context) => {
    // Nothing to set up per installation: configuration is read per request.
    context.log.info({ installation: context.payload.installation.id }, 'installation changed');
  });
  events.onError((error) => {
    for (const cause of error.errors) {
      deps.logger.error({ delivery: error.event?.id, event: error.event?.name, err: describeError(cause) }, 'webhook handler failed');
    }
  });

  return {
    receive: async (event) => {
      // Before any handler: the repository's clone URL and default branch reach git and job data (payload-check.ts).
      const problem = payloadRepositoryProblem(event.payload, deps.cloneOrigin);
      if (problem !== undefined) {
        deps.logger.warn({ delivery: event.id, event: event.name, problem }, 'webhook refused: its repository fields cannot be trusted; nothing done');
        return;
      }
      await events.receive(event as EmitterWebhookEvent);
    },
  };
}
