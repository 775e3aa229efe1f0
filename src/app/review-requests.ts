/**
 * Review requests: a pull request opened, pushed to, reopened or marked
 * ready (`pull_request.*`), a `/review` comment on it, or a re-run of the
 * app's check run (`check_run.rerequested`). Thin: filter, authorize,
 * enqueue with the head's deterministic job id (a newer head supersedes a
 * queued review of an older one, in src/queue).
 */
import type { AppContext } from './app-context.ts';
import type { ReviewJobData } from '../queue/job-data.ts';
import { isBot } from './authorize.ts';
import { repositoryRef, type Intake } from './intake.ts';

type PullRequestContext = AppContext<'pull_request.opened' | 'pull_request.synchronize' | 'pull_request.reopened' | 'pull_request.ready_for_review'>;

/** The fields of a pull request the job needs. */
interface PullFields {
  number: number;
  draft?: boolean | undefined;
  head: { sha: string; repo: { clone_url: string } | null };
  base: { sha: string };
}

export async function onPullRequest(intake: Intake, context: PullRequestContext): Promise<void> {
  const { payload } = context;
  if (isBot(payload.sender)) return;
  const github = context.octokit;
  const repository = repositoryRef(payload.repository);
  const loaded = await intake.config(github, repository, payload.pull_request.number, context.log);
  if (loaded === undefined || !loaded.config.review.enabled) return;
  if (payload.pull_request.draft === true && loaded.config.review.skip_drafts) return;
  // Automatic reviews are not a request from the sender: someone without
  // the permission is skipped quietly (no comment); `/review` by a maintainer still works.
  const allowed = await intake.permissions.allows(github, repository.owner, repository.name, payload.sender.login, loaded.config.fix.min_permission);
  if (!allowed) {
    context.log.info({ login: payload.sender.login }, 'automatic review skipped: sender lacks permission');
    return;
  }
  await enqueue(intake, context, repository, payload.pull_request, 'pull_request', payload.sender.login);
}

export async function onReviewComment(intake: Intake, context: AppContext<'issue_comment.created'>): Promise<void> {
  const { payload } = context;
  if (!payload.issue.pull_request) return;
  const github = context.octokit;
  const repository = repositoryRef(payload.repository);
  const loaded = await intake.config(github, repository, payload.issue.number, context.log);
  if (loaded === undefined) return;
  const minimum = loaded.config.fix.min_permission;
  if (!(await intake.authorize(github, repository, payload.issue.number, payload.sender.login, minimum, 'reviews', context.log))) return;
  const pull = await (await github()).rest.pulls.get({ owner: repository.owner, repo: repository.name, pull_number: payload.issue.number });
  await enqueue(intake, context, repository, pull.data, 'comment', payload.sender.login);
}

export async function onCheckRunRerequested(intake: Intake, context: AppContext<'check_run.rerequested'>): Promise<void> {
  const { payload } = context;
  if (isBot(payload.sender) || payload.check_run.app?.slug !== (await intake.deps.appSlug())) return;
  const match = /^review:(\d+)$/.exec(payload.check_run.external_id ?? '');
  if (match === null) return;
  const github = context.octokit;
  const repository = repositoryRef(payload.repository);
  const number = Number(match[1]);
  const loaded = await intake.config(github, repository, number, context.log);
  if (loaded === undefined) return;
  if (!(await intake.authorize(github, repository, number, payload.sender.login, loaded.config.fix.min_permission, 'reviews', context.log))) return;
  const pull = await (await github()).rest.pulls.get({ owner: repository.owner, repo: repository.name, pull_number: number });
  await enqueue(intake, context, repository, pull.data, 'rerequest', payload.sender.login);
}

async function enqueue(
  intake: Intake,
  context: { id: string; log: AppContext<'pull_request'>['log']; payload: { installation?: { id: number } } },
  repository: ReviewJobData['repository'],
  pull: PullFields,
  trigger: ReviewJobData['trigger'],
  requestedBy: string,
): Promise<void> {
  const installationId = context.payload.installation?.id;
  if (installationId === undefined) return;
  if (await intake.deps.intake.seenDelivery(context.id)) {
    context.log.info('delivery already handled');
    return;
  }
  const result = await intake.deps.intake.enqueueReview({
    v: 1,
    deliveryId: context.id,
    installationId,
    repository,
    requestedBy,
    pullRequest: {
      number: pull.number,
      headSha: pull.head.sha,
      baseSha: pull.base.sha,
      // A deleted fork has no repository; its head is still fetchable from the base repository.
      headCloneUrl: pull.head.repo?.clone_url ?? repository.cloneUrl,
      draft: pull.draft === true,
    },
    trigger,
  });
  // The one line per request (the queue layer logs its own at debug).
  context.log.info({ ...result, repo: `${repository.owner}/${repository.name}`, pullRequest: pull.number, head: pull.head.sha }, 'review requested');
}
