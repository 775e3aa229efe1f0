/**
 * `swe-bot review` end to end: a fixture pull request, its tests run in real
 * containers (at the base too when the head fails), a scripted reviewer that
 * looks around with read-only tools and submits comments, some of them off
 * the diff. Every posted comment must sit on a diff line, checked here
 * against git's own hunk headers rather than the parser under test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewResult } from '../../src/jobs/review.ts';
import { defaultRepoConfig } from '../../src/config/repo-config.ts';
import { detectEnvironment } from '../../src/sandbox/detect.ts';
import { createRecipeCache } from '../../src/sandbox/recipe-cache.ts';
import { runCli } from '../helpers/cli.ts';
import { fixtureRepo, gitIn, hunkLines, type FixtureRepo } from '../helpers/git-fixture.ts';
import { startScriptedModel, type RecordedRequest, type ScriptedReply } from '../helpers/scripted-model.ts';

let repo: FixtureRepo;
let base: string;
let breaking: string;
let passing: string;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-review-'));

const HEAD_INDEX = `'use strict';
const isNumber = require('is-number');

/** Adds two numbers; refuses anything that is not a number. */
function add(a, b) {
  if (!isNumber(a) || !isNumber(b)) throw new TypeError('add expects numbers');
  return Number(a) - Number(b);
}

/** Subtracts b from a. */
function sub(a, b) {
  return a - b;
}

module.exports = { add, sub };
`;

beforeAll(() => {
  repo = fixtureRepo('node-repo');
  base = gitIn(repo.dir, 'rev-parse', 'HEAD');
  breaking = repo.commit({ 'index.js': HEAD_INDEX }, 'add sub (and break add)');
  gitIn(repo.dir, 'checkout', '-q', '-b', 'fine', base);
  passing = repo.commit(
    {
      'index.js': fs.readFileSync(path.join(repo.dir, 'index.js'), 'utf8').replace('module.exports = { add };', 'const twice = (a) => add(a, a);\n\nmodule.exports = { add, twice };'),
      'package-lock.json': fs.readFileSync(path.join(repo.dir, 'package-lock.json'), 'utf8').replace('"version": "1.0.0"', '"version": "1.0.1"'),
    },
    'add twice',
  );
});
afterAll(() => {
  repo?.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

const call = (name: string, params: Record<string, string>): string =>
  `Looking.\n<function=${name}>\n${Object.entries(params).map(([k, v]) => `<parameter=${k}>\n${v}\n</parameter>`).join('\n')}\n`;

const byStep =
  (steps: ScriptedReply[]): ScriptedReply =>
  (request: RecordedRequest) => {
    const step = request.body.messages.filter((message) => message.role === 'assistant').length;
    const reply = steps[step] ?? call('submit_review', { summary: 'out of script' });
    return typeof reply === 'function' ? reply(request) : reply;
  };

async function review(replies: ScriptedReply[], head: string, format: 'text' | 'native', extra: string[] = [], env: Record<string, string> = {}) {
  const model = await startScriptedModel({ replies: Array.from({ length: 12 }, () => byStep(replies)) });
  try {
    const out = path.join(work, `out-${Math.random().toString(36).slice(2)}`);
    const run = await runCli(['review', '--repo', repo.dir, '--base', base, '--head', head, '--out', out, '--title', 'Add sub', ...extra], {
      OPENAI_BASE_URL: model.url,
      SWE_BOT_MODEL: 'scripted-model',
      SWE_BOT_TOOL_FORMAT: format,
      ...env,
    });
    expect(run.code, run.stderr).toBe(0);
    return { run, out, model, result: JSON.parse(fs.readFileSync(path.join(out, 'review.json'), 'utf8')) as ReviewResult };
  } finally {
    await model.close();
  }
}

describe('swe-bot review', () => {
  it('returns comments that all sit on diff lines, folds the rest, and tells new test failures from old', async () => {
    const comments = [
      { path: 'index.js', line: 7, severity: 'critical', body: 'add now subtracts.', suggestion: '  return Number(a) + Number(b);' },
      { path: 'index.js', line: 7, side: 'LEFT', severity: 'minor', body: 'This line was right.' },
      { path: 'index.js', line: 11, start_line: 10, severity: 'major', body: 'sub does not check its inputs like add does.' },
      { path: 'index.js', line: 1, severity: 'nit', body: 'Far from the change.' },
      { path: 'test/add.test.js', line: 5, severity: 'minor', body: 'This file is not in the diff.' },
    ];
    const { result, model, run } = await review(
      [
        call('search', { pattern: 'function (add|sub)', include: '*.js' }),
        call('str_replace_editor', { command: 'create', path: '/testbed/evil.js', file_text: 'x' }),
        call('str_replace_editor', { command: 'view', path: '/testbed/index.js', view_range: '[5, 8]' }),
        call('submit_review', { summary: 'add is broken by this change.', comments: JSON.stringify(comments) }),
      ],
      breaking,
      'text',
    );
    // The model saw the numbered diff and the test evidence.
    const task = model.requests[0]?.body.messages[1]?.content as string;
    expect(task).toContain('      7 | +   return Number(a) - Number(b);');
    expect(task).toContain('Failing since this change (they pass at the base): adds two numbers.');
    const observations = model.requests.at(-1)!.body.messages.filter((message) => message.role === 'user').map((message) => message.content as string);
    expect(observations[1]).toMatch(/index\.js:5:function add\(a, b\) \{/);
    expect(observations[2]).toMatch(/"create" is not allowed; use one of: view/);
    expect(observations[3]).toContain('Number(a) - Number(b)');

    const diffLines = hunkLines(repo.dir, base, breaking);
    expect(result.comments.length).toBe(3);
    for (const comment of result.comments) {
      expect(diffLines.get(comment.path)?.has(`${comment.side}:${comment.line}`), JSON.stringify(comment)).toBe(true);
      if (comment.start_line !== undefined) expect(diffLines.get(comment.path)?.has(`${comment.start_side}:${comment.start_line}`)).toBe(true);
    }
    expect(result.comments[0]).toMatchObject({ path: 'index.js', line: 7, side: 'LEFT' });
    expect(result.comments[1]?.body).toBe('**critical:** add now subtracts.\n\n```suggestion\n  return Number(a) + Number(b);\n```');
    expect(result.comments[2]).toMatchObject({ start_line: 10, line: 11, side: 'RIGHT', start_side: 'RIGHT' });
    expect(result.foldedComments).toBe(2);
    expect(result.summary).toContain('`index.js:1` (nit): Far from the change.');
    expect(result.summary).toContain('`test/add.test.js:5` (minor)');
    expect(result.complete).toBe(true);

    expect(result.tests.headValid).toBe(true);
    expect(result.tests.base?.['adds two numbers']).toBe('PASSED');
    expect(result.tests.newFailures).toEqual(['adds two numbers']);
    expect(result.tests.preexistingFailures).toEqual([]);
    expect(run.stdout).toMatch(/^reviewed: 3 comment\(s\) on 1 file\(s\), 0 file\(s\) not reviewed; tests 1 passed, 1 failed \(1 new\)/);
    expect(run.stderr).toMatch(/tests: running the tests at the base to compare/);

    // Asked again (a `/review` comment, a redelivery): both runs are read, the comparison is the same.
    const again = await review([call('submit_review', { summary: 'Same as before.' })], breaking, 'text');
    expect(again.run.stderr).not.toMatch(/running the tests at the (?:head|base)/);
    expect(again.run.stderr).toMatch(/the tests at the head ran before in this environment: their results are reused/);
    expect(again.run.stderr).toMatch(/the tests at the base ran before in this environment: their results are reused/);
    expect(again.result.tests).toEqual(result.tests);
  });

  it('reviews through native tool calls, skips the lockfile, and does not run the base when the head passes', async () => {
    const { result, model } = await review(
      [
        {
          toolCalls: [
            {
              name: 'submit_review',
              arguments: {
                summary: 'Small and fine.',
                comments: [{ path: 'index.js', line: 10, body: 'twice(a) could be 2 * a.', severity: 'nit', suggestion: 'const twice = (a) => 2 * a;' }],
              },
            },
          ],
        },
      ],
      passing,
      'native',
      ['--max-comments', '5'],
    );
    expect(model.requests[0]?.body.tools?.map((tool) => (tool.type === 'function' ? tool.function.name : ''))).toEqual([
      'str_replace_editor',
      'search',
      'think',
      'submit_review',
    ]);
    const diffLines = hunkLines(repo.dir, base, passing);
    expect(result.comments).toHaveLength(1);
    expect(diffLines.get('index.js')?.has(`RIGHT:${result.comments[0]!.line}`)).toBe(true);
    expect(result.filesNotReviewed).toEqual([{ path: 'package-lock.json', reason: 'lockfile, generated by the package manager' }]);
    expect(result.tests.base).toBeUndefined();
    expect(result.tests.counts).toEqual({ passed: 2, failed: 0, skipped: 0 });
  });

  it('still reports the tests when the reviewer never submits', async () => {
    const { result, run } = await review(['I think this is fine.', 'Really fine.', 'Yes.'], passing, 'text');
    expect(result.complete).toBe(false);
    expect(result.model.exit).toBe('format_errors');
    expect(result.comments).toEqual([]);
    expect(result.summary).toMatch(/^The automated review did not finish: 3 replies in a row had no usable tool call/);
    expect(result.filesNotReviewed.map((file) => file.path)).toEqual(['package-lock.json', 'index.js']);
    expect(result.tests.counts.passed).toBe(2);
    expect(run.stdout).toMatch(/^review incomplete/);
  });

  it('does not trust a head run that exits non-zero although every test passed', async () => {
    const config = path.join(work, 'failing-command.yml');
    fs.writeFileSync(config, 'environment:\n  test: node --test --test-reporter=tap; exit 3\n  log_parser: tap\n');
    const { result, run } = await review([call('submit_review', { summary: 'Fine.' })], passing, 'text', ['--config', config]);
    expect(result.tests).toMatchObject({ headValid: false, headProblem: 'the test command exited 3 although no test failed' });
    expect(result.tests.counts).toEqual({ passed: 2, failed: 0, skipped: 0 });
    // A run that does not count calls for the base run to compare with; here the base's run does not count either.
    expect(run.stderr).toMatch(/tests: running the tests at the base to compare/);
    expect(result.tests.base).toBeUndefined();
  });

  it('runs the tests with the recipe the setup agent found for the repository', async () => {
    // The head's test script points at a file nobody committed: detection's `npm test` cannot run it.
    gitIn(repo.dir, 'checkout', '-q', '-b', 'broken-script', passing);
    const manifest = JSON.parse(fs.readFileSync(path.join(repo.dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    manifest.scripts.test = './scripts/run-tests.sh';
    const head = repo.commit({ 'package.json': `${JSON.stringify(manifest, null, 2)}\n` }, 'move the test runner');
    const data = fs.mkdtempSync(path.join(work, 'data-'));
    const detected = await detectEnvironment({ repoDir: repo.dir, commit: head }, defaultRepoConfig().environment);
    await createRecipeCache(path.join(data, 'recipes')).put(detected, { setup: detected.setup, test: 'node --test --test-reporter=tap', logParser: 'tap' });
    const { result } = await review([call('submit_review', { summary: 'Fine.' })], head, 'text', [], { SWE_BOT_DATA_DIR: data });
    expect(result.tests).toMatchObject({ headValid: true, counts: { passed: 2, failed: 0, skipped: 0 } });
  });

  it('compares with nothing when the run at the base does not count', async () => {
    // At the base (no `sub` yet) the command exits 3 although every test passed; at the head it exits as the tests do.
    const config = path.join(work, 'base-invalid.yml');
    fs.writeFileSync(config, "environment:\n  test: node --test --test-reporter=tap; code=$?; grep -q 'function sub' index.js || exit 3; exit $code\n  log_parser: tap\n");
    const { result, run } = await review([call('submit_review', { summary: 'add is broken.' })], breaking, 'text', ['--config', config]);
    expect(run.stderr).toMatch(/tests: running the tests at the base to compare/);
    expect(result.tests.headValid).toBe(true);
    expect(result.tests.base).toBeUndefined();
    // Without a base to compare with, every failure at the head is reported as the change's.
    expect(result.tests.newFailures).toEqual(['adds two numbers']);
    expect(result.tests.preexistingFailures).toEqual([]);
  });
});
