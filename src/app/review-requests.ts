/**
 * Review requests: a pull request opened, pushed to, reopened or marked
 * ready (`pull_request.*`), a `/review` comment on it, or a re-run of the
 * app's check run (`check_run.rerequested`). Thin: filter, authorize,
 * enqueue with the head's deterministic job id (a newer head supersedes a
 * queued review of an older one, in src/queue).
 */
import type { AppContext } from './app-context.ts';
import { checkRunExternalId, JOB_DATA_VERSION, type RepositoryRef, type ReviewJobData } from '../queue/job-data.ts';
import { isBot } from './authorize.ts';
import { logEnqueued, repositoryRef, type HandlerDeps } from './handler-deps.ts';

type PullRequestContext = AppContext<'pull_request.opened' | 'pull_request.synchronize' | 'pull_request.reopened' | 'pull_request.ready_for_review'>;

/** The fields of a pull request the job needs. */
interface PullFields {
  number: number;
  head: { sha: string };
  base: { sha: string };
}

export async function onPullRequest(deps: HandlerDeps, context: PullRequestContext): Promise<void> {
  const { payload } = context;
  if (isBot(payload.sender)) return;
  const repository = repositoryRef(payload.repository);
  const request = deps.gate.at({ github: context.octokit, repository, number: payload.pull_request.number, log: context.log });
  const loaded = await request.config();
  if (loaded === undefined || !loaded.config.review.enabled) return;
  if (payload.pull_request.draft === true && loaded.config.review.skip_drafts) return;
  // Automatic reviews are not a request from the sender: someone without
  // the permission is skipped quietly (no comment); `/review` by a maintainer still works.
  if (!(await request.allows(payload.sender.login, loaded.config.fix.min_permission))) {
    context.log.info({ login: payload.sender.login }, 'automatic review skipped: sender lacks permission');
    return;
  }
  await enqueue(deps, context, repository, payload.pull_request, 'pull_request');
}

export async function onReviewComment(deps: HandlerDeps, context: AppContext<'issue_comment.created'>): Promise<void> {
  const { payload } = context;
  if (!payload.issue.pull_request) return;
  await requestReview(deps, context, payload.issue.number, 'comment');
}

export async function onCheckRunRerequested(deps: HandlerDeps, context: AppContext<'check_run.rerequested'>): Promise<void> {
  const { payload } = context;
  if (isBot(payload.sender) || payload.check_run.app?.slug !== (await deps.appSlug())) return;
  const number = checkRunExternalId.parseReview(payload.check_run.external_id);
  if (number === undefined) return;
  await requestReview(deps, context, number, 'rerequest');
}

/** A review someone asked for: configuration, permission (refused with a comment), then the pull request's current head and base. */
async function requestReview(
  deps: HandlerDeps,
  context: AppContext<'issue_comment.created'> | AppContext<'check_run.rerequested'>,
  number: number,
  trigger: 'comment' | 'rerequest',
): Promise<void> {
  const { payload } = context;
  const repository = repositoryRef(payload.repository);
  const request = deps.gate.at({ github: context.octokit, repository, number, log: context.log });
  const loaded = await request.config();
  if (loaded === undefined) return;
  if (!(await request.authorize(payload.sender.login, loaded.config.fix.min_permission, 'reviews'))) return;
  const pull = await (await context.octokit()).rest.pulls.get({ owner: repository.owner, repo: repository.name, pull_number: number });
  await enqueue(deps, context, repository, pull.data, trigger);
}

async function enqueue(
  deps: HandlerDeps,
  context: { id: string; log: AppContext<'pull_request'>['log']; payload: { installation?: { id: number }; sender: { login: string } } },
  repository: RepositoryRef,
  pull: PullFields,
  trigger: ReviewJobData['trigger'],
): Promise<void> {
  const installationId = context.payload.installation?.id;
  if (installationId === undefined) return;
  const result = await deps.queue.enqueueReview({
    v: JOB_DATA_VERSION,
    deliveryId: context.id,
    installationId,
    repository,
    requestedBy: context.payload.sender.login,
    pullRequest: { number: pull.number, headSha: pull.head.sha, baseSha: pull.base.sha },
    trigger,
  });
  const fields = { repo: `${repository.owner}/${repository.name}`, pullRequest: pull.number, head: pull.head.sha };
  logEnqueued(context.log, result, fields, 'review requested');
}
