/**
 * `swe-bot fix` end to end: a scripted model drives the agent in real
 * containers; the harness grades candidates against the baseline run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixResult } from '../../src/jobs/fix.ts';
import { fixtureRepo, type FixtureRepo } from '../helpers/git-fixture.ts';
import { runCli } from '../helpers/cli.ts';
import { startScriptedModel, type RecordedRequest, type ScriptedReply } from '../helpers/scripted-model.ts';

let repo: FixtureRepo;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-fix-'));
const ISSUE = 'add("2", "3") returns "23" instead of 5.';
const REPRO_TEST = `'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { add } = require('../index.js');

test('adds numeric strings', () => {
  assert.strictEqual(add('2', '3'), 5);
});
`;

beforeAll(() => {
  repo = fixtureRepo('node-repo');
  const index = fs.readFileSync(path.join(repo.dir, 'index.js'), 'utf8');
  // The bug: strings are concatenated. The existing tests do not notice.
  repo.commit({
    'index.js': index
      .replace("if (!isNumber(a) || !isNumber(b)) throw new TypeError('add expects numbers');", "if (!isNumber(a) || !isNumber(b)) throw new TypeError('add expects numbers');\n  if (typeof a === 'string' || typeof b === 'string') return a + b;"),
  });
});
afterAll(() => {
  repo?.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

const call = (name: string, params: Record<string, string>): string =>
  `<function=${name}>\n${Object.entries(params).map(([k, v]) => `<parameter=${k}>\n${v}\n</parameter>`).join('\n')}\n`;

const GOOD_STEPS = [
  call('str_replace_editor', { command: 'create', path: '/testbed/test/strings.test.js', file_text: REPRO_TEST }),
  call('str_replace_editor', { command: 'str_replace', path: '/testbed/index.js', old_str: "  if (typeof a === 'string' || typeof b === 'string') return a + b;\n", new_str: '' }),
  call('finish', { message: 'Strings were concatenated; removed that branch and added a test.' }),
];
const REGRESSING_STEPS = [
  call('str_replace_editor', { command: 'str_replace', path: '/testbed/index.js', old_str: "throw new TypeError('add expects numbers');", new_str: 'return NaN;' }),
  call('finish', { message: 'Returned NaN for bad input.' }),
];

/** The stages named by the progress lines, each run of one stage once. */
/** Stages in the order they first appear (the baseline's result may arrive while the agent works). */
function stagesOf(stderr: string): string[] {
  const stages = [...stderr.matchAll(/^(?:candidate \d+ · )?(environment|baseline|agent|tests|done): /gm)].map((match) => match[1] ?? '');
  return [...new Set(stages)];
}

/** Picks the script by temperature and the step by the conversation's length, so parallel candidates stay apart. */
function scripted(byTemperature: Record<string, string[]>): ScriptedReply {
  return (request: RecordedRequest) => {
    const steps = byTemperature[String(request.body.temperature ?? 0)] ?? [];
    const step = request.body.messages.filter((message) => message.role === 'assistant').length;
    return steps[step] ?? call('finish', { message: 'out of script' });
  };
}

async function fix(byTemperature: Record<string, string[]>, extra: string[] = []) {
  const model = await startScriptedModel({ replies: Array.from({ length: 40 }, () => scripted(byTemperature)) });
  try {
    const out = path.join(work, `out-${Math.random().toString(36).slice(2)}`);
    const run = await runCli(['fix', '--repo', repo.dir, '--issue', ISSUE, '--out', out, ...extra], {
      OPENAI_BASE_URL: model.url,
      SWE_BOT_MODEL: 'scripted-model',
      SWE_BOT_TOOL_FORMAT: 'text',
    });
    expect(run.code, run.stderr).toBe(0);
    return { run, out, result: JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')) as FixResult };
  } finally {
    await model.close();
  }
}

describe('swe-bot fix', () => {
  it('verifies a fix whose reproduction test fails at the base and passes with it', async () => {
    const before = fs.readFileSync(path.join(repo.dir, 'index.js'), 'utf8');
    const { run, out, result } = await fix({ '0': GOOD_STEPS });
    expect(result.verdict).toBe('verified');
    expect(result.tests.failToPass).toEqual(['adds numeric strings']);
    expect(result.tests.passToFail).toEqual([]);
    expect(result.tests.before['adds two numbers']).toBe('PASSED');
    expect(result.tests.after['adds numeric strings']).toBe('PASSED');
    expect(fs.readFileSync(path.join(out, 'patch.diff'), 'utf8')).toContain("-  if (typeof a === 'string'");
    expect(fs.existsSync(path.join(out, 'trajectory-0.jsonl'))).toBe(true);
    expect(run.stdout).toMatch(/^verified \(candidate 0\)/);
    // Progress on a non-terminal stderr: plain lines naming the stages in order, no line per agent step.
    expect(stagesOf(run.stderr)).toEqual(['environment', 'baseline', 'agent', 'tests', 'done']);
    expect(run.stderr).toMatch(/^baseline: 2 tests at the base commit, 2 passing$/m);
    expect(run.stderr).toContain('candidate 0 · tests: verified\n');
    expect(run.stderr).toContain('done: verified (candidate 0)\n');
    expect(run.stderr).not.toMatch(/step \d+:/);
    expect(run.stderr).not.toContain('\x1b[');
    // The working copy is untouched.
    expect(fs.readFileSync(path.join(repo.dir, 'index.js'), 'utf8')).toBe(before);
  });

  it('verifies the same fix through native tool calls', async () => {
    const steps: ScriptedReply[] = [
      { toolCalls: [{ name: 'str_replace_editor', arguments: { command: 'create', path: '/testbed/test/strings.test.js', file_text: REPRO_TEST } }] },
      { toolCalls: [{ name: 'str_replace_editor', arguments: { command: 'str_replace', path: '/testbed/index.js', old_str: "  if (typeof a === 'string' || typeof b === 'string') return a + b;\n", new_str: '' } }] },
      { toolCalls: [{ name: 'finish', arguments: { message: 'fixed' } }] },
    ];
    const model = await startScriptedModel({ replies: steps });
    try {
      const out = path.join(work, 'native');
      const run = await runCli(['fix', '--repo', repo.dir, '--issue', ISSUE, '--out', out], {
        OPENAI_BASE_URL: model.url,
        SWE_BOT_MODEL: 'scripted-model',
        SWE_BOT_TOOL_FORMAT: 'native',
      });
      expect(run.code, run.stderr).toBe(0);
      const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')) as FixResult;
      expect(result.verdict).toBe('verified');
      expect(model.requests[0]?.body.tools).toBeDefined();
      // The first test fixed the same commit in the same environment: its baseline is read, not run again.
      expect(run.stderr).toMatch(/^baseline: the tests ran at this commit with this environment before: their results are reused$/m);
      expect(run.stderr).not.toContain('running the tests at the base commit');
      expect(result.tests.before).toEqual({ 'adds two numbers': 'PASSED', 'rejects strings that are not numbers': 'PASSED' });
    } finally {
      await model.close();
    }
  });

  it('picks the good candidate over a regressing one (best of 2)', async () => {
    const { run, result } = await fix({ '0': REGRESSING_STEPS, '0.7': GOOD_STEPS }, ['--candidates', '2']);
    expect(result.candidates.map((candidate) => candidate.verdict)).toEqual(['regression', 'verified']);
    expect(result.chosen).toBe(1);
    expect(run.stderr).toContain('candidate 0 · agent: started\n');
    expect(run.stderr).toContain('candidate 1 · tests: verified\n');
    expect(result.verdict).toBe('verified');
  });

  it('runs the baseline twice and counts a test whose outcome changes neither way', async () => {
    // Passes on the first run in a container, fails on every later one: the second baseline run shows it.
    const flakyTest = `'use strict';
const fs = require('node:fs');
const test = require('node:test');
const assert = require('node:assert');

test('depends on the run', () => {
  const mark = '/tmp/swe-bot-flaky-mark';
  const seen = fs.existsSync(mark);
  fs.writeFileSync(mark, '');
  assert.ok(!seen);
});
`;
    const flakyRepo = fixtureRepo('node-repo');
    try {
      const index = fs.readFileSync(path.join(flakyRepo.dir, 'index.js'), 'utf8');
      flakyRepo.commit({
        'index.js': index.replace("throw new TypeError('add expects numbers');", "throw new TypeError('add expects numbers');\n  if (typeof a === 'string' || typeof b === 'string') return a + b;"),
        'test/flaky.test.js': flakyTest,
      });
      const model = await startScriptedModel({ replies: Array.from({ length: 10 }, () => scripted({ '0': GOOD_STEPS })) });
      try {
        const out = path.join(work, 'flaky');
        const run = await runCli(['fix', '--repo', flakyRepo.dir, '--issue', ISSUE, '--out', out], { OPENAI_BASE_URL: model.url, SWE_BOT_MODEL: 'scripted-model', SWE_BOT_TOOL_FORMAT: 'text' });
        expect(run.code, run.stderr).toBe(0);
        const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')) as FixResult;
        expect(run.stderr).toMatch(/^baseline: 1 flaky test\(s\) at the base commit: counted neither way$/m);
        expect(result.tests.flaky).toEqual(['depends on the run']);
        expect(result.verdict).toBe('verified');
        expect(result.tests.failToPass).toEqual(['adds numeric strings']);

        // The next fix of that commit reads both baseline runs' verdict: the flaky test is still known, with no run at the base.
        const again = await runCli(['fix', '--repo', flakyRepo.dir, '--issue', ISSUE, '--out', path.join(work, 'flaky-again')], { OPENAI_BASE_URL: model.url, SWE_BOT_MODEL: 'scripted-model', SWE_BOT_TOOL_FORMAT: 'text' });
        expect(again.code, again.stderr).toBe(0);
        const second = JSON.parse(fs.readFileSync(path.join(work, 'flaky-again', 'result.json'), 'utf8')) as FixResult;
        expect(again.stderr).toContain('their results are reused');
        expect(second.tests.flaky).toEqual(['depends on the run']);
        expect(second.verdict).toBe('verified');
        expect(second.tests.failToPass).toEqual(['adds numeric strings']);
      } finally {
        await model.close();
      }
    } finally {
      flakyRepo.remove();
    }
  });

  it('takes no evidence from a run of the new test at the base that times out', async () => {
    // The reproduction test hangs on the unfixed source instead of failing: its run at the base proves nothing.
    const hangingTest = REPRO_TEST.replace("test('adds numeric strings', () => {\n", "test('adds numeric strings', () => {\n  while (add('2', '3') !== 5);\n");
    const steps = [call('str_replace_editor', { command: 'create', path: '/testbed/test/strings.test.js', file_text: hangingTest }), ...GOOD_STEPS.slice(1)];
    const config = path.join(work, 'short-timeout.yml');
    fs.writeFileSync(config, 'environment:\n  timeout_minutes: 0.1\n');
    const { result } = await fix({ '0': steps }, ['--config', config]);
    const candidate = result.candidates[0];
    expect(candidate?.after['adds numeric strings']).toBe('PASSED');
    expect(candidate?.moves.failToPass).toEqual([]);
    expect(result.verdict).toBe('plausible');
  });

  describe('when the detected commands give no baseline', () => {
    const textOf = (content: unknown): string => (typeof content === 'string' ? content : '');
    /** The bug, and a test script that points at a file nobody committed: detection's `npm test` cannot run. */
    function brokenScriptRepo(): FixtureRepo {
      const made = fixtureRepo('node-repo');
      const index = fs.readFileSync(path.join(made.dir, 'index.js'), 'utf8');
      const manifest = JSON.parse(fs.readFileSync(path.join(made.dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
      manifest.scripts.test = './scripts/run-tests.sh';
      made.commit({
        'index.js': index.replace("throw new TypeError('add expects numbers');", "throw new TypeError('add expects numbers');\n  if (typeof a === 'string' || typeof b === 'string') return a + b;"),
        'package.json': `${JSON.stringify(manifest, null, 2)}\n`,
        'README.md': '# calc\n\nRun the tests with `node --test`.\n',
      });
      return made;
    }
    const proposal = (test: string, parser: string): string => `Here is the recipe.\n\n\`\`\`yaml\nenvironment:\n  test: ${test}\n  log_parser: ${parser}\n\`\`\`\n`;
    /** The setup agent's requests get `setup`, one per request; the fix agent's get GOOD_STEPS. */
    const replies = (setup: string[]): ScriptedReply => (request: RecordedRequest) => {
      const setupRequest = textOf(request.body.messages[0]?.content).startsWith("You set up a repository's test suite");
      const step = request.body.messages.filter((message) => message.role === 'assistant').length;
      return (setupRequest ? setup[step] : GOOD_STEPS[step]) ?? call('finish', { message: 'out of script' });
    };

    /** A data folder of the test's own: the recipes the agent finds are remembered there. */
    const dataDir = (): string => fs.mkdtempSync(path.join(work, 'data-'));

    it('asks the setup agent, checks each proposal by a baseline, fixes with the one that counts, and remembers it', async () => {
      const made = brokenScriptRepo();
      const data = dataDir();
      const model = await startScriptedModel({ replies: Array.from({ length: 10 }, () => replies([proposal('npm run no-such-script', 'tap'), proposal('node --test --test-reporter=tap', 'tap')])) });
      const env = { OPENAI_BASE_URL: model.url, SWE_BOT_MODEL: 'scripted-model', SWE_BOT_TOOL_FORMAT: 'text', SWE_BOT_DATA_DIR: data };
      try {
        const out = path.join(work, 'setup-agent');
        const run = await runCli(['fix', '--repo', made.dir, '--issue', ISSUE, '--out', out], env);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stderr).toMatch(/^environment: the detected commands did not give a baseline \(.*\): asking the setup agent$/m);
        expect(run.stderr).toContain('environment: setup agent, attempt 2: `node --test --test-reporter=tap`');
        const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')) as FixResult;
        expect(result.verdict).toBe('verified');
        expect(result.environment).toMatchObject({ test: 'node --test --test-reporter=tap', logParser: 'tap', origin: { setup: 'setup-agent', test: 'setup-agent' } });
        const setupRequests = model.requests.filter((request) => textOf(request.body.messages[0]?.content).startsWith('You set up'));
        expect(setupRequests).toHaveLength(2);
        // It read the repository's files, and heard why its first proposal failed.
        expect(textOf(setupRequests[0]?.body.messages[1]?.content)).toContain('<file path="README.md">\n# calc');
        expect(textOf(setupRequests[1]?.body.messages.at(-1)?.content)).toMatch(/^That did not work: /);

        // The next job of the repository starts from the remembered recipe: the agent is not asked again.
        const asked = model.requests.length;
        const again = await runCli(['fix', '--repo', made.dir, '--issue', ISSUE, '--out', path.join(work, 'setup-agent-again')], env);
        expect(again.code, again.stderr).toBe(0);
        expect(again.stderr).not.toContain('asking the setup agent');
        expect(model.requests.slice(asked).filter((request) => textOf(request.body.messages[0]?.content).startsWith('You set up'))).toEqual([]);
        const second = JSON.parse(fs.readFileSync(path.join(work, 'setup-agent-again', 'result.json'), 'utf8')) as FixResult;
        expect(second).toMatchObject({ verdict: 'verified', environment: { test: 'node --test --test-reporter=tap', origin: { test: 'setup-agent' } } });
      } finally {
        await model.close();
        made.remove();
      }
    });

    it('gives up after its attempts with one error that lists what was tried', async () => {
      const made = brokenScriptRepo();
      const model = await startScriptedModel({ replies: Array.from({ length: 10 }, () => replies(['I am not sure.', proposal('npm run no-such-script', 'tap'), proposal('node -e 0', 'tap')])) });
      try {
        const out = path.join(work, 'setup-agent-gives-up');
        const run = await runCli(['fix', '--repo', made.dir, '--issue', ISSUE, '--out', out], {
          OPENAI_BASE_URL: model.url,
          SWE_BOT_MODEL: 'scripted-model',
          SWE_BOT_TOOL_FORMAT: 'text',
          SWE_BOT_DATA_DIR: dataDir(),
        });
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(
          /No way to run this repository's tests was found: detected `npm test` after `npm ci` \(.*\); an answer that could not be used \(no ```yaml block\); proposed `npm run no-such-script` after `npm ci` \(.*\); proposed `node -e 0` after `npm ci` \(.*exit 0.*\)\./,
        );
        expect(run.stderr).toMatch(/^hint: set environment\.setup, environment\.test and environment\.log_parser in \.github\/swe-bot\.yml/m);
        expect(model.requests).toHaveLength(3);
        expect(fs.existsSync(path.join(out, 'result.json'))).toBe(false);
      } finally {
        await model.close();
        made.remove();
      }
    });
  });

  it("takes a candidate's test run past the sandbox disk limit as a run that does not count, and finishes the job", async () => {
    // 16 MiB at a time (under the per-file cap), up to 1.6 GB: only the watchdog stops it.
    const filling = `'use strict';
const test = require('node:test');
const fs = require('node:fs');
test('fills the disk', async () => {
  for (let i = 0; i < 100; i += 1) {
    fs.writeFileSync('/tmp/blob-' + i, Buffer.alloc(16 << 20));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});
`;
    const steps = [
      call('str_replace_editor', { command: 'create', path: '/testbed/test/fill.test.js', file_text: filling }),
      call('finish', { message: 'added a test' }),
    ];
    const model = await startScriptedModel({ replies: steps });
    try {
      const out = path.join(work, 'disk');
      const started = Date.now();
      const run = await runCli(['fix', '--repo', repo.dir, '--issue', ISSUE, '--out', out], {
        OPENAI_BASE_URL: model.url,
        SWE_BOT_MODEL: 'scripted-model',
        SWE_BOT_TOOL_FORMAT: 'text',
        SWE_BOT_SANDBOX_DISK: '64m',
      });
      expect(run.code, run.stderr).toBe(0);
      const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')) as FixResult;
      expect(result.candidates.map((candidate) => candidate.verdict)).toEqual(['regression']);
      expect(result.candidates[0]?.patch).toContain('+++ b/test/fill.test.js');
      // Stopped within seconds, not after 100 writes of 16 MiB every 0.2 s.
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      await model.close();
    }
  });

  it('stops before the agent when the tests at the base commit time out', async () => {
    // The suite itself passes, then the command hangs past a 3 s limit.
    const config = path.join(work, 'hanging-tests.yml');
    fs.writeFileSync(config, 'environment:\n  test: node --test --test-reporter=tap && sleep 600\n  log_parser: tap\n  timeout_minutes: 0.05\n');
    const model = await startScriptedModel({ replies: [call('finish', { message: 'never asked' })] });
    try {
      const out = path.join(work, 'hanging');
      const run = await runCli(['fix', '--repo', repo.dir, '--issue', ISSUE, '--out', out, '--config', config], {
        OPENAI_BASE_URL: model.url,
        SWE_BOT_MODEL: 'scripted-model',
        SWE_BOT_TOOL_FORMAT: 'text',
      });
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain('swe-bot fix: The tests at the base commit cannot serve as a baseline: the tests timed out.');
      expect(run.stderr).toMatch(/^hint: raise environment\.timeout_minutes \(now 0\.05\)/m);
      expect(stagesOf(run.stderr)).toEqual(['environment', 'baseline']);
      expect(model.requests).toHaveLength(0);
      expect(fs.existsSync(path.join(out, 'result.json'))).toBe(false);
    } finally {
      await model.close();
    }
  });
});
