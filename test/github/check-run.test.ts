import { Octokit } from '@octokit/rest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ANNOTATIONS_PER_REQUEST, CHECK_RUN_TEXT_MAX_CHARS, completeCheckRun, findCheckRun, startCheckRun, updateCheckRun, type CheckAnnotation,
} from '../../src/github/check-run.ts';
import { truncateText } from '../../src/github/truncate-text.ts';
import { checkRun, mockGitHub, type MockGitHub } from '../helpers/github-api.ts';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const HEAD = 'd'.repeat(40);
const where = { owner: 'acme', repo: 'widgets', name: 'swe-bot review', headSha: HEAD, appSlug: 'swe-bot' };
const run = { owner: 'acme', repo: 'widgets', id: 77 };

const listing = (...runs: ReturnType<typeof checkRun>[]) => ({ body: { total_count: runs.length, check_runs: runs } });
const ours = (patch: Parameters<typeof checkRun>[0] = {}) =>
  checkRun({ name: 'swe-bot review', head_sha: HEAD, app: { slug: 'swe-bot' }, status: 'in_progress', ...patch });

describe('check runs', () => {
  let gh: MockGitHub;
  afterEach(() => gh.close());
  const octokit = (): Octokit => new Octokit({ baseUrl: gh.baseUrl, auth: gh.token, log: silent });

  it('creates a run in progress when the app has none on the commit', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', listing());
    gh.on('POST /repos/{owner}/{repo}/check-runs', { status: 201, body: checkRun({ id: 77, html_url: 'https://github.com/acme/widgets/runs/77' }) });

    const started = await startCheckRun(octokit(), { ...where, externalId: 'review-1-2-abc', detailsUrl: 'https://bot.example/jobs/1', output: { title: 'Starting', summary: 'Queued' } });

    expect(started).toEqual({ owner: 'acme', repo: 'widgets', id: 77, url: 'https://github.com/acme/widgets/runs/77', created: true });
    expect(gh.operations()).toEqual(['checks/list-for-ref', 'checks/create']);
    expect(gh.requests[0]).toMatchObject({ path: `/repos/acme/widgets/commits/${HEAD}/check-runs`, query: { check_name: 'swe-bot review', filter: 'all' } });
    expect(gh.calls('checks/create')[0]?.body).toEqual({
      name: 'swe-bot review', head_sha: HEAD, status: 'in_progress', started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      external_id: 'review-1-2-abc', details_url: 'https://bot.example/jobs/1', output: { title: 'Starting', summary: 'Queued' },
    });
    gh.done();
  });

  it('reuses the app’s unfinished run (a retried job), ignoring other apps’ runs and its own completed ones', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', listing(
      ours({ id: 10, status: 'completed', conclusion: 'failure' }),
      ours({ id: 11, app: { slug: 'other-bot' } }),
      ours({ id: 12, html_url: 'https://github.com/acme/widgets/runs/12' }),
    ));
    gh.on('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', { body: ours({ id: 12 }) });

    const started = await startCheckRun(octokit(), where);

    expect(started).toMatchObject({ id: 12, created: false, url: 'https://github.com/acme/widgets/runs/12' });
    expect(gh.operations()).toEqual(['checks/list-for-ref', 'checks/update']);
    expect(gh.calls('checks/update')[0]).toMatchObject({ params: { check_run_id: 12 }, body: { status: 'in_progress' } });
    gh.done();
  });

  it('starts a new run when the app’s only run on the commit is completed', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', listing(ours({ id: 10, status: 'completed', conclusion: 'success' })));
    gh.on('POST /repos/{owner}/{repo}/check-runs', { status: 201, body: checkRun({ id: 13 }) });
    expect(await startCheckRun(octokit(), where)).toMatchObject({ id: 13, created: true });
    expect(await findCheckRun(octokit(), where)).toMatchObject({ id: 10, status: 'completed' });
    gh.done();
  });

  it('updates the output, cutting a summary over 65535 characters', async () => {
    gh = mockGitHub();
    gh.on('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', { body: ours() });
    await updateCheckRun(octokit(), run, { title: 'Agent', summary: 'x'.repeat(70_000), text: 'details' });
    const body = gh.calls('checks/update')[0]?.body as { output: { title: string; summary: string; text: string } };
    expect(Object.keys(body)).toEqual(['output']);
    expect(body.output.summary.length).toBe(CHECK_RUN_TEXT_MAX_CHARS);
    expect(body.output.summary).toMatch(/x\n\n\*… \(truncated\)\*$/);
    expect(body.output).toMatchObject({ title: 'Agent', text: 'details' });
    gh.done();
  });

  it('completes with the first 50 annotations and sends the rest in batches of at most 50', async () => {
    gh = mockGitHub();
    gh.on('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', { body: ours() }, { times: 3 });
    const annotations: CheckAnnotation[] = Array.from({ length: 120 }, (_, i) => ({
      path: 'src/a.ts', start_line: i + 1, end_line: i + (i % 2 === 0 ? 1 : 2), start_column: 1, end_column: 4, annotation_level: 'warning', message: `finding ${i}`,
    }));

    await completeCheckRun(octokit(), run, { conclusion: 'neutral', output: { title: '3 findings', summary: 'See the review.', text: 'table' }, annotations });

    const bodies = gh.calls('checks/update').map((r) => r.body as { status?: string; conclusion?: string; completed_at?: string; output: { title: string; summary: string; text?: string; annotations: CheckAnnotation[] } });
    expect(bodies.map((b) => b.output.annotations.length)).toEqual([ANNOTATIONS_PER_REQUEST, 50, 20]);
    expect(bodies[0]).toMatchObject({ status: 'completed', conclusion: 'neutral', completed_at: expect.any(String) as unknown });
    expect(bodies[1]).not.toHaveProperty('status');
    expect(bodies[2]).not.toHaveProperty('conclusion');
    expect(bodies.every((b) => b.output.title === '3 findings' && b.output.summary === 'See the review.' && b.output.text === 'table')).toBe(true);
    expect(bodies.flatMap((b) => b.output.annotations.map((a) => a.message))).toEqual(annotations.map((a) => a.message));
    // Columns only where start and end line are the same, as GitHub requires.
    expect(bodies[0]?.output.annotations[0]).toMatchObject({ start_line: 1, end_line: 1, start_column: 1, end_column: 4 });
    expect(bodies[0]?.output.annotations[1]).not.toHaveProperty('start_column');
    gh.done();
  });

  it('completes without annotations in one request', async () => {
    gh = mockGitHub();
    gh.on('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', { body: ours() });
    await completeCheckRun(octokit(), run, { conclusion: 'success', output: { title: 'Verified fix', summary: 'ok' } });
    expect(gh.calls('checks/update')[0]?.body).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: 'Verified fix', summary: 'ok' } });
    expect((gh.calls('checks/update')[0]?.body as { output: object }).output).not.toHaveProperty('annotations');
    gh.done();
  });
});

describe('truncateText', () => {
  it('leaves short text alone', () => {
    expect(truncateText('abc', 10)).toBe('abc');
  });

  it('cuts to the limit with a note, never inside a surrogate pair, closing an open code fence', () => {
    const text = `intro\n\`\`\`\n${'😀'.repeat(100)}\n\`\`\`\n`;
    for (let max = 40; max < 80; max++) {
      const cut = truncateText(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut).toMatch(/\n```\n\n\*… \(truncated\)\*$/);
      expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    }
  });
});
