/**
 * Review requests: a pull request opened, pushed to, reopened or marked
 * ready (`pull_request.*`), a `/review` comment on it, or a re-run of the
 * app's check run (`check_run.rerequested`). Thin: filter, authorize,
 * enqueue with the head's deterministic job id (a newer head supersedes a
 * queued review of an older one, in src/queue).
 *
 * A pull request from a fork is reviewed only when someone with the
 * permission comments `/review`: reviewing builds the head's environment,
 * which runs the head's install scripts (its author's code) in a build that
 * reaches the package registries, so it waits for a maintainer who has read
 * the change. Opening, pushing,
 * reopening, marking ready and re-running the check run start nothing for
 * a fork, and post nothing either, as for a sender without the permission:
 * every push would otherwise cost a comment lookup, and the README says how
 * to ask. A fork is a head repository other than the base (or one deleted):
 * https://docs.github.com/en/pull-requests/collaborating-with-pull-requests/working-with-forks/about-forks
 */
import type { AppContext } from './app-context.ts';
import { checkRunExternalId, JOB_DATA_VERSION, recordAskedText, type AskedText, type RepositoryRef, type ReviewJobData } from '../queue/job-data.ts';
import { isBot } from './authorize.ts';
import { logEnqueued, repositoryRef, type HandlerDeps } from './handler-deps.ts';

type PullRequestContext = AppContext<'pull_request.opened' | 'pull_request.synchronize' | 'pull_request.reopened' | 'pull_request.ready_for_review'>;

/** The fields of a pull request the job needs. */
interface PullFields {
  number: number;
  title: string;
  body: string | null;
  head: { sha: string; repo: { id: number } | null };
  base: { sha: string; repo: { id: number } };
}

/** The head is in another repository than the base (a fork), or in one since deleted. */
function fromFork(pull: PullFields): boolean {
  return pull.head.repo?.id !== pull.base.repo.id;
}

export async function onPullRequest(deps: HandlerDeps, context: PullRequestContext): Promise<void> {
  const { payload } = context;
  if (isBot(payload.sender)) return;
  if (fromFork(payload.pull_request)) {
    context.log.info({ pullRequest: payload.pull_request.number }, 'automatic review skipped: the head is in a fork; a /review comment starts one');
    return;
  }
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
  await enqueue(deps, context, repository, payload.pull_request, 'pull_request', recordAskedText(payload.pull_request));
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
  // Re-running the check run reviews the current head, which may have been pushed since anyone read it.
  if (trigger === 'rerequest' && fromFork(pull.data)) {
    context.log.info({ pullRequest: number }, 'review re-run skipped: the head is in a fork; a /review comment starts one');
    return;
  }
  // The text as the request saw it: the comment's payload carries the pull request's (as an issue); a re-run reads it now.
  const text = 'comment' in payload ? recordAskedText(payload.issue, payload.comment.body) : recordAskedText(pull.data);
  await enqueue(deps, context, repository, pull.data, trigger, text);
}

async function enqueue(
  deps: HandlerDeps,
  context: { id: string; log: AppContext<'pull_request'>['log']; payload: { installation?: { id: number }; sender: { login: string } } },
  repository: RepositoryRef,
  pull: PullFields,
  trigger: ReviewJobData['trigger'],
  text: AskedText,
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
    text,
  });
  const fields = { repo: `${repository.owner}/${repository.name}`, pullRequest: pull.number, head: pull.head.sha };
  logEnqueued(context.log, result, fields, 'review requested');
}
