import { setTimeout as sleep } from 'node:timers/promises';
import { Octokit } from '@octokit/rest';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { hasMarker } from '../../src/github/markers.ts';
import { createProgressReporter, type ProgressReporterOptions } from '../../src/github/progress-reporter.ts';
import type { Logger } from '../../src/logger.ts';
import { checkRun, mockGitHub, reaction, replies, type MockGitHub } from '../helpers/github-api.ts';
import { commentStore } from '../helpers/comment-store.ts';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const HEAD = 'a'.repeat(40);

/** A pino logger whose lines land in `lines`. */
function capturingLogger(): { logger: Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => { lines.push(JSON.parse(line) as { level: number; msg: string }); } });
  return { logger, lines };
}

/** Check runs kept in memory: list, create and update act on them. */
function checkRunStore(gh: MockGitHub): ReturnType<typeof checkRun>[] {
  const runs: ReturnType<typeof checkRun>[] = [];
  gh.on('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', () => ({ body: { total_count: runs.length, check_runs: runs } }), { optional: true });
  gh.on('POST /repos/{owner}/{repo}/check-runs', (req) => {
    const body = req.body as { name: string; head_sha: string; status: 'in_progress'; output?: { title: string; summary: string } };
    const run = checkRun({ id: 500 + runs.length, name: body.name, head_sha: body.head_sha, status: body.status, conclusion: null, app: { slug: 'swe-bot' }, html_url: `https://github.com/acme/widgets/runs/${500 + runs.length}` });
    run.output = { ...run.output, title: body.output?.title ?? null, summary: body.output?.summary ?? null };
    runs.push(run);
    return { status: 201, body: run };
  }, { optional: true });
  gh.on('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', (req) => {
    const run = runs.find((r) => r.id === req.params.check_run_id);
    if (!run) return replies.notFound();
    const body = req.body as { status?: 'completed'; conclusion?: 'success'; output?: { title: string; summary: string } };
    if (body.status) run.status = body.status;
    if (body.conclusion) run.conclusion = body.conclusion;
    if (body.output) run.output = { ...run.output, title: body.output.title, summary: body.output.summary };
    return { body: run };
  }, { optional: true });
  return runs;
}

describe('createProgressReporter', () => {
  let gh: MockGitHub;
  afterEach(() => gh.close());
  const octokit = (): Octokit => new Octokit({ baseUrl: gh.baseUrl, auth: gh.token, log: silent });
  const options = (patch: Partial<ProgressReporterOptions> = {}): ProgressReporterOptions => ({
    owner: 'acme', repo: 'widgets', number: 12, headSha: HEAD, kind: 'fix', checkName: 'swe-bot', appSlug: 'swe-bot',
    logger: pino({ level: 'silent' }), minUpdateIntervalMs: 200, ...patch,
  });
  const START_OPERATIONS = ['reactions/create-for-issue', 'issues/list-comments', 'issues/create-comment', 'checks/list-for-ref', 'checks/create'];

  it('start: 👀 on the issue, one status comment and one check run in progress', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { status: 201, body: reaction() });
    const comments = commentStore(gh);
    const runs = checkRunStore(gh);

    await createProgressReporter(octokit(), options({ externalId: 'fix-1-12' })).start('Working on a fix for this issue.');

    expect(gh.operations()).toEqual(START_OPERATIONS);
    expect(gh.calls('reactions/create-for-issue')[0]).toMatchObject({ path: '/repos/acme/widgets/issues/12/reactions', body: { content: 'eyes' } });
    expect(comments).toHaveLength(1);
    expect(hasMarker(comments[0]?.body, 'status', { kind: 'fix', number: 12 })).toBe(true);
    expect(comments[0]?.body).toContain('Working on a fix for this issue.');
    expect(runs).toHaveLength(1);
    expect(gh.calls('checks/create')[0]?.body).toMatchObject({ name: 'swe-bot', head_sha: HEAD, status: 'in_progress', external_id: 'fix-1-12' });
    gh.done();
  });

  it('start with a triggering comment reacts on that comment', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', { status: 201, body: reaction() });
    commentStore(gh);
    await createProgressReporter(octokit(), options({ commentId: 4242, headSha: undefined })).start('On it.');
    expect(gh.operations()).toEqual(['reactions/create-for-issue-comment', 'issues/list-comments', 'issues/create-comment']);
    expect(gh.requests[0]).toMatchObject({ path: '/repos/acme/widgets/issues/comments/4242/reactions', body: { content: 'eyes' } });
    gh.done();
  });

  it('stage: edits the comment and the check run in place, at most once per interval', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { status: 201, body: reaction() });
    const comments = commentStore(gh);
    const runs = checkRunStore(gh);
    const reporter = createProgressReporter(octokit(), options());
    await reporter.start('Fixing.');

    // 20 events over ~600 ms: with a 200 ms interval that is at most 4 edits of each.
    const started = performance.now();
    reporter.stage('environment', 'building the environment image');
    reporter.stage('baseline', 'running the tests at the base commit');
    for (let step = 1; step <= 18; step++) {
      reporter.stage('agent', `step ${step}`);
      await sleep(30);
    }
    await reporter.idle();
    const elapsed = performance.now() - started;

    const edits = gh.operations().slice(START_OPERATIONS.length);
    const commentEdits = edits.filter((op) => op === 'issues/update-comment').length;
    expect(commentEdits).toBeGreaterThanOrEqual(2);
    expect(commentEdits).toBeLessThanOrEqual(Math.ceil(elapsed / 200) + 1);
    expect(edits.filter((op) => op === 'checks/update')).toHaveLength(commentEdits);
    expect(edits).not.toContain('issues/create-comment');
    expect(edits).not.toContain('issues/list-comments');
    expect(edits).not.toContain('checks/create');

    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('- ✓ environment\n- ✓ baseline\n- ⏳ **agent**: step 18');
    expect(runs).toHaveLength(1);
    expect(runs[0]?.output).toMatchObject({ title: 'Agent: step 18' });
    expect(runs[0]?.output.summary).toContain('- ⏳ **agent**: step 18');
    gh.done();
  });

  it('stages reported while start is still running wait for it: still one comment and one check run', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { status: 201, body: reaction() });
    const comments = commentStore(gh);
    const runs = checkRunStore(gh);
    const reporter = createProgressReporter(octokit(), options({ minUpdateIntervalMs: 0 }));
    const started = reporter.start('Fixing.');
    reporter.stage('environment', 'building');
    await started;
    await reporter.idle();
    expect(comments).toHaveLength(1);
    expect(runs).toHaveLength(1);
    expect(gh.operations()).toEqual([...START_OPERATIONS, 'issues/update-comment', 'checks/update']);
    gh.done();
  });

  it('finish: the last stage is never lost, the comment shows the result, the check run completes', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { status: 201, body: reaction() });
    const comments = commentStore(gh);
    const runs = checkRunStore(gh);
    const reporter = createProgressReporter(octokit(), options({ minUpdateIntervalMs: 60_000 }));
    await reporter.start('Fixing.');
    reporter.stage('agent', 'step 1');
    reporter.stage('publish', 'opening the pull request');

    await reporter.finish({
      conclusion: 'success', title: 'Verified fix', summary: 'The fix passes the new test.', text: 'tests table',
      comment: 'Opened #31 with a verified fix.',
      annotations: [{ path: 'src/a.js', start_line: 1, end_line: 1, annotation_level: 'notice', message: 'changed here' }],
    });

    // No progress edit came between start and finish (interval of a minute); finish wrote the final state.
    expect(gh.operations()).toEqual([...START_OPERATIONS, 'issues/update-comment', 'checks/update']);
    expect(comments[0]?.body).toContain('✅ **Verified fix**');
    expect(comments[0]?.body).toContain('Opened #31 with a verified fix.');
    expect(comments[0]?.body).toContain('- ✓ agent\n- ✓ publish');
    expect(comments[0]?.body).toContain('[Details](https://github.com/acme/widgets/runs/500)');
    expect(hasMarker(comments[0]?.body, 'status', { kind: 'fix', number: 12 })).toBe(true);
    expect(gh.calls('checks/update')[0]?.body).toMatchObject({
      status: 'completed', conclusion: 'success',
      output: { title: 'Verified fix', summary: 'The fix passes the new test.', text: 'tests table', annotations: [{ path: 'src/a.js', message: 'changed here' }] },
    });
    expect(runs[0]).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(comments[0]?.body).not.toContain('✗');
    // Stages after finish are ignored.
    reporter.stage('agent', 'late');
    await sleep(50);
    await reporter.idle();
    expect(gh.requests).toHaveLength(START_OPERATIONS.length + 2);
    gh.done();
  });

  it('lists the stages in the order it is given, whatever order they are reported in', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { status: 201, body: reaction() });
    const comments = commentStore(gh);
    checkRunStore(gh);
    const reporter = createProgressReporter(octokit(), options({ minUpdateIntervalMs: 0, stages: ['environment', 'agent', 'publish'] }));
    await reporter.start('Fixing.');
    reporter.stage('publish', 'opening the pull request');
    reporter.stage('agent', 'a late step');
    await reporter.idle();
    // The latest stage in that order is the current one; the agent, before it, is done.
    expect(comments[0]?.body).toContain('- ✓ agent\n- ⏳ **publish**: opening the pull request');
    await reporter.finish({ conclusion: 'success', title: 'Done', summary: 'Done.' });
    expect(comments[0]?.body).toContain('- ✓ agent\n- ✓ publish');
    gh.done();
  });

  it('finish waits for a progress edit in flight, then writes the final state after it', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { status: 201, body: reaction() });
    const comments = commentStore(gh);
    checkRunStore(gh);
    const reporter = createProgressReporter(octokit(), options({ minUpdateIntervalMs: 0 }));
    await reporter.start('Reviewing.');
    reporter.stage('review', 'reading the diff');
    await sleep(5); // the edit has started
    await reporter.finish({ conclusion: 'neutral', title: '2 comments', summary: 'Posted a review.' });
    expect(comments[0]?.body).toContain('ℹ️ **2 comments**');
    expect(gh.operations().slice(-2)).toEqual(['issues/update-comment', 'checks/update']);
    expect(gh.calls('checks/update').at(-1)?.body).toMatchObject({ status: 'completed', conclusion: 'neutral' });
    gh.done();
  });

  it('GitHub errors while reporting progress are logged, not thrown', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', replies.error(403, 'Resource not accessible by integration'));
    gh.on('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', replies.serverError());
    gh.on('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', replies.error(403, 'Resource not accessible by integration'));
    const { logger, lines } = capturingLogger();
    const reporter = createProgressReporter(octokit(), options({ logger, minUpdateIntervalMs: 0 }));

    await expect(reporter.start('Fixing.')).resolves.toBeUndefined();
    reporter.stage('agent', 'step 1');
    await reporter.idle();

    const warnings = lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings.slice(0, 3)).toEqual([
      expect.stringContaining('could not add the reaction on GitHub'),
      expect.stringContaining('could not add the status comment on GitHub'),
      expect.stringContaining('could not add the check run on GitHub'),
    ]);
    expect(warnings.slice(3)).toEqual([expect.stringContaining('progress not written to GitHub'), expect.stringContaining('progress not written to GitHub')]);
  });

  it('finish propagates GitHub errors', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { status: 201, body: reaction() });
    // Declared first: handlers are tried in order.
    gh.on('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', replies.error(403, 'Resource not accessible by integration'), { match: (r) => (r.body as { status?: string }).status === 'completed' });
    commentStore(gh);
    checkRunStore(gh);
    const reporter = createProgressReporter(octokit(), options());
    await reporter.start('Fixing.');
    await expect(reporter.finish({ conclusion: 'success', title: 'Done', summary: 'ok' })).rejects.toMatchObject({ status: 403 });
  });

  it('a stopped finish writes the failure to the comment, marks its stage, and completes the check run as failed', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { status: 201, body: reaction() });
    const comments = commentStore(gh);
    const runs = checkRunStore(gh);
    const reporter = createProgressReporter(octokit(), options());
    await reporter.start('Fixing.');
    reporter.stage('environment', 'installing dependencies');
    await reporter.finish({ conclusion: 'failure', title: 'swe-bot could not finish', summary: 'The environment could not be built: `npm ci` exited with 1.', stopped: true });
    expect(comments[0]?.body).toContain('❌ **swe-bot could not finish**');
    expect(comments[0]?.body).toContain('`npm ci` exited with 1.');
    // The stage it stopped in is marked as such, not as done.
    expect(comments[0]?.body).toContain('- ✗ **environment**: installing dependencies');
    expect(comments[0]?.body).not.toContain('✓');
    expect(runs[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
    gh.done();
  });

  it('without a head commit there is no check run', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { status: 201, body: reaction() });
    commentStore(gh);
    const reporter = createProgressReporter(octokit(), options({ headSha: undefined, minUpdateIntervalMs: 0 }));
    await reporter.start('Fixing.');
    reporter.stage('agent', 'step 1');
    await reporter.idle();
    await reporter.finish({ conclusion: 'success', title: 'Done', summary: 'ok' });
    expect(gh.operations()).toEqual(['reactions/create-for-issue', 'issues/list-comments', 'issues/create-comment', 'issues/update-comment', 'issues/update-comment']);
    gh.done();
  });

  it('a status comment deleted meanwhile is created again', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { status: 201, body: reaction() });
    const comments = commentStore(gh);
    const reporter = createProgressReporter(octokit(), options({ headSha: undefined }));
    await reporter.start('Fixing.');
    comments.length = 0; // someone deleted it
    await reporter.finish({ conclusion: 'success', title: 'Done', summary: 'ok' });
    expect(gh.operations().slice(3)).toEqual(['issues/update-comment', 'issues/list-comments', 'issues/create-comment']);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('✅ **Done**');
  });
});
