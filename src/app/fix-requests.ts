/**
 * Fix requests: the configured label on an issue (`issues.labeled`), or an
 * `/autofix` comment on it; `/autofix cancel` stops the issue's job.
 * Thin: filter, authorize, enqueue with the issue's deterministic job id.
 */
import type { AppContext, LazyClient } from './app-context.ts';
import { jobId, type FixJobData, type RepositoryRef } from '../queue/job-data.ts';
import { isBot } from './authorize.ts';
import { repositoryRef, type Intake } from './intake.ts';

type LabeledContext = AppContext<'issues.labeled'>;
type CommentContext = AppContext<'issue_comment.created'>;

export async function onIssueLabeled(intake: Intake, context: LabeledContext): Promise<void> {
  const { payload } = context;
  if (isBot(payload.sender) || payload.label === undefined) return;
  const repository = repositoryRef(payload.repository);
  const github = context.octokit;
  const loaded = await intake.config(github, repository, payload.issue.number, context.log);
  if (loaded === undefined || payload.label.name !== loaded.config.fix.label) return;
  await requestFix(intake, context, github, repository, payload.issue.number, 'label', loaded.config.fix.min_permission);
}

export async function onFixComment(intake: Intake, context: CommentContext, command: 'autofix' | 'autofix-cancel'): Promise<void> {
  const { payload } = context;
  // Pull requests are issues too; `/autofix` is for issues.
  if (payload.issue.pull_request) return;
  const repository = repositoryRef(payload.repository);
  const github = context.octokit;
  const loaded = await intake.config(github, repository, payload.issue.number, context.log);
  if (loaded === undefined) return;
  const minimum = loaded.config.fix.min_permission;
  if (command === 'autofix-cancel') {
    if (!(await intake.authorize(github, repository, payload.issue.number, payload.sender.login, minimum, 'cancels fixes', context.log))) return;
    const outcome = await intake.deps.intake.cancel('fix', jobId.fix(repository.id, payload.issue.number));
    context.log.info({ outcome }, 'fix cancel requested');
    return;
  }
  await requestFix(intake, context, github, repository, payload.issue.number, 'comment', minimum);
}

async function requestFix(
  intake: Intake,
  context: LabeledContext | CommentContext,
  github: LazyClient,
  repository: RepositoryRef,
  issue: number,
  trigger: 'label' | 'comment',
  minimum: Parameters<Intake['authorize']>[4],
): Promise<void> {
  const { payload } = context;
  if (!(await intake.authorize(github, repository, issue, payload.sender.login, minimum, 'drafts fixes', context.log))) return;
  const installationId = payload.installation?.id;
  if (installationId === undefined) return;
  const data: FixJobData = {
    v: 1,
    deliveryId: context.id,
    installationId,
    repository,
    requestedBy: payload.sender.login,
    issue: { number: issue },
    trigger,
  };
  const jobs = intake.deps.intake;
  const result = jobs.enqueueFixForDelivery
    ? await jobs.enqueueFixForDelivery(data)
    : (await jobs.seenDelivery(context.id))
      ? ({ status: 'redelivered' } as const)
      : await jobs.enqueueFix(data);
  if (result.status === 'redelivered') {
    context.log.info('delivery already handled');
    return;
  }
  // The one line per request (the queue layer logs its own at debug).
  context.log.info({ ...result, repo: `${repository.owner}/${repository.name}`, issue }, 'fix requested');
}

