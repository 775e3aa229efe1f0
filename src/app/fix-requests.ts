/**
 * Fix requests: the configured label on an issue (`issues.labeled`), or an
 * `/autofix` comment on it; `/autofix cancel` stops the issue's job.
 * Set-up requests: `/swe-bot setup` on an issue or pull request, a job of the
 * fix queue that offers the repository's confirmed test commands as a pull request.
 * Thin: filter, authorize, enqueue with a deterministic job id.
 */
import type { AppContext } from './app-context.ts';
import { JOB_DATA_VERSION, jobId, recordAskedText, type FixJobData } from '../queue/job-data.ts';
import { isBot, PERMISSION_LEVELS, type PermissionLevel } from './authorize.ts';
import { evaluateBugs } from './commands.ts';
import { logEnqueued, repositoryRef, type HandlerDeps } from './handler-deps.ts';
import type { GatedRequest } from './request-gate.ts';

type LabeledContext = AppContext<'issues.labeled'>;

/** Who may ask for an evaluation, at least. */
const EVALUATE_MIN_PERMISSION: PermissionLevel = 'maintain';

/** What a refused sender is told they may not do, per trigger. */
const WHAT_IT_DOES: Record<FixJobData['trigger'], string> = {
  label: 'drafts fixes',
  comment: 'drafts fixes',
  setup: 'sets up the tests',
  evaluate: 'evaluates the model on this repository',
};

/** The higher of two permission levels. */
function atLeast(a: PermissionLevel, b: PermissionLevel): PermissionLevel {
  return PERMISSION_LEVELS.indexOf(a) >= PERMISSION_LEVELS.indexOf(b) ? a : b;
}
type CommentContext = AppContext<'issue_comment.created'>;

export async function onIssueLabeled(deps: HandlerDeps, context: LabeledContext): Promise<void> {
  const { payload } = context;
  if (isBot(payload.sender) || payload.label === undefined) return;
  const repository = repositoryRef(payload.repository);
  const request = deps.gate.at({ github: context.octokit, repository, number: payload.issue.number, log: context.log });
  const loaded = await request.config();
  if (loaded === undefined || payload.label.name !== loaded.config.fix.label) return;
  await requestFix(deps, context, request, { trigger: 'label' }, loaded.config.fix.min_permission);
}

export async function onFixComment(deps: HandlerDeps, context: CommentContext, command: 'autofix' | 'autofix-cancel'): Promise<void> {
  const { payload } = context;
  // Pull requests are issues too; `/autofix` is for issues.
  if (payload.issue.pull_request) return;
  const repository = repositoryRef(payload.repository);
  const request = deps.gate.at({ github: context.octokit, repository, number: payload.issue.number, log: context.log });
  const loaded = await request.config();
  if (loaded === undefined) return;
  const minimum = loaded.config.fix.min_permission;
  if (command === 'autofix-cancel') {
    if (!(await request.authorize(payload.sender.login, minimum, 'cancels fixes'))) return;
    const outcome = await deps.queue.cancel('fix', jobId.fix(repository.id, payload.issue.number));
    context.log.info({ outcome }, 'fix cancel requested');
    return;
  }
  await requestFix(deps, context, request, { trigger: 'comment', commentId: payload.comment.id }, minimum);
}

export async function onSetupComment(deps: HandlerDeps, context: CommentContext): Promise<void> {
  const { payload } = context;
  const repository = repositoryRef(payload.repository);
  const request = deps.gate.at({ github: context.octokit, repository, number: payload.issue.number, log: context.log });
  const loaded = await request.config();
  if (loaded === undefined) return;
  // It opens a pull request, as a fix does: the same people may ask.
  await requestFix(deps, context, request, { trigger: 'setup', commentId: payload.comment.id }, loaded.config.fix.min_permission);
}

export async function onEvaluateComment(deps: HandlerDeps, context: CommentContext): Promise<void> {
  const { payload } = context;
  const bugs = evaluateBugs(payload.comment.body);
  if (bugs === undefined) return;
  const repository = repositoryRef(payload.repository);
  const request = deps.gate.at({ github: context.octokit, repository, number: payload.issue.number, log: context.log });
  const loaded = await request.config();
  if (loaded === undefined) return;
  // Each bug is a fix job's worth of model tokens and containers: maintainers
  // only, or whoever may draft fixes when that is set higher still.
  const minimum = atLeast(loaded.config.fix.min_permission, EVALUATE_MIN_PERMISSION);
  await requestFix(deps, context, request, { trigger: 'evaluate', commentId: payload.comment.id, bugs }, minimum);
}

/** Authorizes the sender and enqueues a job of the fix queue: a fix, or (`setup`) the test commands confirmed and offered. */
async function requestFix(
  deps: HandlerDeps,
  context: LabeledContext | CommentContext,
  request: GatedRequest,
  how: { trigger: 'label' } | { trigger: 'comment' | 'setup'; commentId: number } | { trigger: 'evaluate'; commentId: number; bugs: number },
  minimum: PermissionLevel,
): Promise<void> {
  const { payload } = context;
  if (!(await request.authorize(payload.sender.login, minimum, WHAT_IT_DOES[how.trigger]))) return;
  const installationId = payload.installation?.id;
  if (installationId === undefined) return;
  const repository = repositoryRef(payload.repository);
  const issue = payload.issue.number;
  // The text as it was when this permitted sender asked: the issue may be edited before the job runs (job-data.ts).
  // A set-up or an evaluation reads no issue, so it records none.
  const text = how.trigger === 'setup' || how.trigger === 'evaluate' ? undefined : recordAskedText(payload.issue, 'comment' in payload ? payload.comment.body : undefined);
  const data: FixJobData = {
    v: JOB_DATA_VERSION,
    deliveryId: context.id,
    installationId,
    repository,
    requestedBy: payload.sender.login,
    issue: how.trigger === 'label' ? { number: issue } : { number: issue, commentId: how.commentId },
    trigger: how.trigger,
    ...(text === undefined ? {} : { text }),
    ...(how.trigger === 'evaluate' ? { bugs: how.bugs } : {}),
  };
  logEnqueued(context.log, await deps.queue.enqueueFix(data), { repo: `${repository.owner}/${repository.name}`, issue }, `${how.trigger === 'setup' || how.trigger === 'evaluate' ? how.trigger : 'fix'} requested`);
}
