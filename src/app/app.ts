/**
 * The Probot app (design.md §1, §5): webhook events in, jobs out. Handlers
 * are thin — they filter, authorize and enqueue, and answer GitHub well
 * within its 10 s delivery timeout
 * (https://docs.github.com/en/webhooks/using-webhooks/best-practices-for-using-webhooks#respond-within-10-seconds);
 * the work happens in the workers.
 */
import type { ApplicationFunction } from 'probot';
import { parseCommand } from './commands.ts';
import { onFixComment, onIssueLabeled } from './fix-requests.ts';
import { createIntake, type AppDeps } from './intake.ts';
import { isBot } from './authorize.ts';
import { onCheckRunRerequested, onPullRequest, onReviewComment } from './review-requests.ts';

export type { AppDeps, JobIntake } from './intake.ts';

export function createApp(deps: AppDeps): ApplicationFunction {
  const intake = createIntake(deps);
  return (app) => {
    app.on('issues.labeled', (context) => onIssueLabeled(intake, context));
    app.on('issue_comment.created', async (context) => {
      if (isBot(context.payload.sender)) return;
      const command = parseCommand(context.payload.comment.body);
      if (command === 'review') await onReviewComment(intake, context);
      else if (command !== undefined) await onFixComment(intake, context, command);
    });
    app.on(
      ['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened', 'pull_request.ready_for_review'],
      (context) => onPullRequest(intake, context),
    );
    app.on('check_run.rerequested', (context) => onCheckRunRerequested(intake, context));
    app.on(['installation.created', 'installation.deleted', 'installation_repositories'], (context) => {
      // Nothing to set up per installation: configuration is read per request.
      context.log.info({ event: context.name, installation: context.payload.installation.id }, 'installation changed');
    });
  };
}
