/**
 * The app (design.md §1, §5): webhook events in, jobs out. Handlers are
 * thin — they filter, authorize and enqueue, and answer GitHub well within
 * its 10 s delivery timeout
 * (https://docs.github.com/en/webhooks/using-webhooks/best-practices-for-using-webhooks#respond-within-10-seconds);
 * the work happens in the workers.
 *
 * Events are routed by `@octokit/webhooks`' event handler, as in a Probot
 * app, with one difference in the context: Probot builds an authenticated
 * Octokit for every event before any handler runs (about 40 µs of CPU
 * here, a fifth of what a bare Probot app spends on a delivery;
 * bench/ingest.bench.ts),
 * whereas most deliveries here are answered from the configuration and
 * permission caches and never call GitHub. So `context.octokit()` makes the
 * installation's client on first use — the same rate-limited client the
 * workers use (src/server/github-auth.ts), so the handlers' few writes (a
 * refusal, a configuration error) are serialized and spaced with theirs.
 */
import { createEventHandler, type EmitterWebhookEvent } from '@octokit/webhooks';
import { describeError } from '../errors.ts';
import type { GitHubClient } from '../github/client.ts';
import type { AppContextExtras } from './app-context.ts';
import { isBot } from './authorize.ts';
import { parseCommand } from './commands.ts';
import { onFixComment, onIssueLabeled } from './fix-requests.ts';
import { createIntake, type AppDeps } from './intake.ts';
import { onCheckRunRerequested, onPullRequest, onReviewComment } from './review-requests.ts';

export type { AppDeps, JobIntake } from './intake.ts';
export type { AppContext } from './app-context.ts';

export interface App {
  /** Runs the handlers of one verified delivery; rejects when one of them failed (already logged). */
  receive(event: { id: string; name: string; payload: unknown }): Promise<void>;
}

export function createApp(deps: AppDeps): App {
  const intake = createIntake(deps);
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
          client ??= deps.installation(installationId);
          return client;
        },
      };
    },
  });

  events.on('issues.labeled', (context) => onIssueLabeled(intake, context));
  events.on('issue_comment.created', async (context) => {
    if (isBot(context.payload.sender)) return;
    const command = parseCommand(context.payload.comment.body);
    if (command === 'review') await onReviewComment(intake, context);
    else if (command !== undefined) await onFixComment(intake, context, command);
  });
  events.on(
    ['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened', 'pull_request.ready_for_review'],
    (context) => onPullRequest(intake, context),
  );
  events.on('check_run.rerequested', (context) => onCheckRunRerequested(intake, context));
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
    receive: (event) => events.receive(event as EmitterWebhookEvent),
  };
}
