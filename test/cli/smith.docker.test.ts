/**
 * `swe-bot smith` end to end (issue #13) on a small library with tests:
 * candidate bugs are validated by running the tests, the dataset and its
 * mirror are written, `swe-bot evaluate` resolves every instance with the
 * gold patches and none with empty ones, and the mirror keeps no commit of
 * the original history.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { git } from '../../src/util/git.ts';
import { mutationsOf } from '../../src/dataset/mutate-js.ts';
import { runCli } from '../helpers/cli.ts';
import { fixtureRepo, type FixtureRepo } from '../helpers/git-fixture.ts';
import { startScriptedModel, type RecordedRequest } from '../helpers/scripted-model.ts';
import { SMITH_LIB as LIB, SMITH_LIB_TEST as LIB_TEST, call, textOf } from '../helpers/smith-fixture.ts';


const PY_LIB = `"""Small helpers."""


def clamp(x, lo, hi):
    """Keeps x within [lo, hi]."""
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def count_up(n):
    """The numbers 0 ... n-1."""
    out = []
    i = 0
    while i < n:
        out.append(i)
        i += 1
    return out


def every(items, test):
    """Whether every item passes."""
    ok = True
    for item in items:
        ok = ok and test(item)
    return ok
`;

const PY_TEST = `from lib import clamp, count_up, every


def test_clamp_inside():
    assert clamp(5, 0, 10) == 5


def test_clamp_low():
    assert clamp(-3, 0, 10) == 0


def test_clamp_high():
    assert clamp(12, 0, 10) == 10


def test_count_up():
    assert count_up(3) == [0, 1, 2]


def test_every_true():
    assert every([2, 4], lambda x: x % 2 == 0) is True


def test_every_false():
    assert every([2, 3], lambda x: x % 2 == 0) is False
`;

const repos: FixtureRepo[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const repo of repos) repo.remove();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

interface SmithJson {
  candidates: number;
  unreached?: number;
  tried: number;
  validated: number;
  perKind: Record<string, { tried: number; validated: number }>;
  dataset: string;
  repos: string;
  issueTexts: { model: number; template: number; modelUnavailable?: string };
  rewrites: { asked: number; made: number; unavailable?: string };
}

interface Line {
  instance_id: string;
  base_commit: string;
  patch: string;
  FAIL_TO_PASS: string[];
  PASS_TO_PASS: string[];
  problem_statement: string;
  smith: { kind: string; file: string; issue_by: string };
}


describe('swe-bot smith', () => {
  it('writes validated bugs as a dataset that evaluate resolves with the gold patches and not with empty ones', async () => {
    const repo = fixtureRepo('node-repo');
    repos.push(repo);
    repo.commit({ 'lib.js': LIB, 'test/lib.test.js': LIB_TEST });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-smith-'));
    dirs.push(out);
    const env = { SWE_BOT_DATA_DIR: path.join(out, 'data') };

    // More bugs than the library's single changes give: pairs of validated bugs of one file make up the rest.
    const made = await runCli(['smith', '--repo', repo.dir, '--count', '40', '--max-candidates', '60', '--out', out, '--json'], env);
    expect(made.code, made.stderr).toBe(0);
    const summary = JSON.parse(made.stdout) as SmithJson;
    expect(summary.candidates).toBeLessThan(40);
    // The function no test calls gives no candidate: its lines never ran under V8's coverage.
    const inTwice = mutationsOf('lib.js', LIB).filter((mutation) => mutation.functionName === 'twice');
    expect(inTwice.length).toBeGreaterThan(0);
    expect(summary.unreached).toBe(inTwice.length);
    expect(summary.validated).toBeGreaterThanOrEqual(summary.candidates / 3);
    expect(summary.tried).toBeLessThanOrEqual(60);
    expect(summary.perKind.combined?.validated).toBeGreaterThan(0);
    expect(Object.values(summary.perKind).reduce((sum, kind) => sum + kind.validated, 0)).toBe(summary.validated);
    expect(summary.issueTexts).toMatchObject({ model: 0, template: summary.validated, modelUnavailable: expect.stringMatching(/\S/) as unknown });
    // The warning says so on stderr, as a log line; stdout holds the JSON alone.
    expect(made.stderr).toMatch(/"msg":"issue texts: the model could not be reached; using the template"/);

    const lines = fs.readFileSync(path.join(out, 'dataset.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Line);
    expect(lines).toHaveLength(summary.validated);
    for (const line of lines) {
      expect(line.FAIL_TO_PASS.length).toBeGreaterThan(0);
      expect(line.PASS_TO_PASS.length).toBeGreaterThan(0);
      // No model answers at the default endpoint: the template, which names the failing tests.
      expect(line.smith.issue_by).toBe('template');
      expect(line.problem_statement).toContain(line.FAIL_TO_PASS[0]);
      expect(line.patch).toContain(`--- a/${line.smith.file}`);
    }

    // The mirror: parentless buggy commits only; the original commit and its history are gone.
    const mirror = path.join(out, 'repos', `local__${path.basename(repo.dir)}`);
    const original = (await git(['rev-parse', 'HEAD'], { cwd: repo.dir })).trim();
    await expect(git(['cat-file', '-e', `${original}^{commit}`], { cwd: mirror })).rejects.toThrow();
    for (const line of lines) {
      const parents = (await git(['rev-list', '--parents', '-n', '1', line.base_commit], { cwd: mirror })).trim().split(' ');
      expect(parents).toEqual([line.base_commit]);
    }
    expect((await git(['for-each-ref', '--format=%(refname)'], { cwd: mirror })).trim().split('\n').every((ref) => ref.startsWith('refs/heads/smith/'))).toBe(true);

    const dataset = path.join(out, 'dataset.jsonl');
    const repoArgs = ['--dataset', dataset, '--repos', path.join(out, 'repos'), '--workers', '1'];
    const gold = await runCli(['evaluate', ...repoArgs, '--predictions', 'gold', '--report', path.join(out, 'gold.json')], env);
    expect(gold.code, gold.stderr).toBe(0);
    const goldReport = JSON.parse(fs.readFileSync(path.join(out, 'gold.json'), 'utf8')) as { resolved_ids: string[]; total: number };
    expect(goldReport.resolved_ids.sort()).toEqual(lines.map((line) => line.instance_id).sort());
    const empty = await runCli(['evaluate', ...repoArgs, '--predictions', 'empty', '--report', path.join(out, 'empty.json')], env);
    expect(empty.code, empty.stderr).toBe(0);
    const emptyReport = JSON.parse(fs.readFileSync(path.join(out, 'empty.json'), 'utf8')) as { resolved_ids: string[] };
    expect(emptyReport.resolved_ids).toEqual([]);
  });

  it('with a model: issue texts in its words, and a model that reverses each bug solves them through infer and evaluate', async () => {
    const repo = fixtureRepo('node-repo');
    repos.push(repo);
    repo.commit({ 'lib.js': LIB, 'test/lib.test.js': LIB_TEST });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-smith-model-'));
    dirs.push(out);
    const dataset = path.join(out, 'dataset.jsonl');
    const fixes = new Map<string, string>();

    /** The issue writer gets a user's report; the agent reads HEAD, applies the reverse of that commit's bug and finishes. */
    const reply = (request: RecordedRequest): string => {
      const messages = request.body.messages;
      const system = textOf(messages[0]?.content);
      if (system.includes('You implement one function')) return '```js\nfunction anything() {\n  return undefined;\n}\n```';
      if (system.includes('You write GitHub issues')) {
        const failing = /\n([^\n]+)\n/.exec(textOf(messages[1]?.content))?.[1] ?? 'a test';
        return `# Wrong result from the library\n\nDoing what "${failing}" does gives a different value than documented. I expected the documented value.`;
      }
      const step = messages.filter((message) => message.role === 'assistant').length;
      if (step === 0) return call('execute_bash', { command: 'git -C /testbed rev-parse HEAD' });
      if (step === 1) {
        if (fixes.size === 0) {
          for (const line of fs.readFileSync(dataset, 'utf8').trim().split('\n').map((text) => JSON.parse(text) as Line)) fixes.set(line.base_commit, line.patch);
        }
        const head = /\b[0-9a-f]{40}\b/.exec(textOf(messages.at(-1)?.content))?.[0] ?? '';
        const patch = fixes.get(head);
        if (patch === undefined) return call('finish', { message: `no bug known at ${head}` });
        return call('execute_bash', { command: `cd /testbed && git apply <<'SMITH_EOF'\n${patch.endsWith('\n') ? patch : `${patch}\n`}SMITH_EOF` });
      }
      return call('finish', { message: 'Put the original behaviour back.' });
    };
    const model = await startScriptedModel({ replies: Array.from({ length: 200 }, () => reply) });
    const env = { SWE_BOT_DATA_DIR: path.join(out, 'data'), OPENAI_BASE_URL: model.url, SWE_BOT_MODEL: 'scripted-model', SWE_BOT_TOOL_FORMAT: 'text' };
    try {
      const made = await runCli(['smith', '--repo', repo.dir, '--count', '3', '--rewrites', '2', '--out', out, '--json'], env);
      expect(made.code, made.stderr).toBe(0);
      const summary = JSON.parse(made.stdout) as SmithJson;
      expect(summary.validated).toBe(3);
      expect(summary.issueTexts).toEqual({ model: 3, template: 0 });
      // Two functions written again by the model, as candidates beside the procedural ones.
      expect(summary.rewrites).toEqual({ asked: 2, made: 2 });
      const lines = fs.readFileSync(dataset, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Line);
      for (const line of lines) {
        expect(line.smith.issue_by).toBe('model');
        expect(line.problem_statement).toMatch(/^# Wrong result from the library/);
      }
      // The writer saw the failing test's source (found by its name) and never the change.
      const changed = lines.flatMap((line) => line.patch.split('\n').filter((text) => /^[+-] /.test(text)).map((text) => text.slice(1).trim()));
      expect(changed.length).toBeGreaterThan(0);
      const asked = model.requests.filter((request) => textOf(request.body.messages[0]?.content).includes('You write GitHub issues'));
      expect(asked).toHaveLength(3);
      for (const request of asked) {
        const user = textOf(request.body.messages[1]?.content);
        expect(user).toMatch(/BEGIN UNTRUSTED the source of the first failing test[\s\S]*test\('/);
        for (const text of changed) expect(user).not.toContain(text);
      }

      const repoArgs = ['--dataset', dataset, '--repos', path.join(out, 'repos')];
      const predictions = path.join(out, 'preds.jsonl');
      const inferred = await runCli(['infer', ...repoArgs, '--output', predictions, '--out', path.join(out, 'runs')], env);
      expect(inferred.code, inferred.stderr).toBe(0);
      expect(inferred.stdout.trim().split('\n').at(-1)).toBe('3 predictions, 0 errors');
      const report = path.join(out, 'report.json');
      const evaluated = await runCli(['evaluate', ...repoArgs, '--predictions', predictions, '--workers', '1', '--report', report], env);
      expect(evaluated.code, evaluated.stderr).toBe(0);
      const resolved = (JSON.parse(fs.readFileSync(report, 'utf8')) as { resolved_ids: string[] }).resolved_ids;
      expect(resolved.sort()).toEqual(lines.map((line) => line.instance_id).sort());
    } finally {
      await model.close();
    }
  });

  it('makes Python bugs with ast in the container, and evaluate resolves them with the gold patches', async () => {
    const repo = fixtureRepo('python-repo');
    repos.push(repo);
    repo.commit({ 'lib.py': PY_LIB, 'tests/test_lib.py': PY_TEST });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-smith-py-'));
    dirs.push(out);
    const env = { SWE_BOT_DATA_DIR: path.join(out, 'data') };
    const made = await runCli(['smith', '--repo', repo.dir, '--count', '5', '--max-candidates', '30', '--issue-text', 'template', '--out', out, '--json'], env);
    expect(made.code, made.stderr).toBe(0);
    const summary = JSON.parse(made.stdout) as SmithJson;
    expect(summary.candidates).toBeGreaterThan(0);
    expect(summary.validated).toBeGreaterThanOrEqual(3);
    const lines = fs.readFileSync(path.join(out, 'dataset.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Line);
    for (const line of lines) {
      expect(['lib.py', 'calc.py']).toContain(line.smith.file);
      expect(line.patch).toContain(`--- a/${line.smith.file}`);
      expect(line.FAIL_TO_PASS.every((name) => name.startsWith('tests/test_'))).toBe(true);
      expect(line.PASS_TO_PASS.length).toBeGreaterThan(0);
    }
    const repoArgs = ['--dataset', path.join(out, 'dataset.jsonl'), '--repos', path.join(out, 'repos'), '--workers', '1'];
    const gold = await runCli(['evaluate', ...repoArgs, '--predictions', 'gold', '--report', path.join(out, 'gold.json')], env);
    expect(gold.code, gold.stderr).toBe(0);
    const goldReport = JSON.parse(fs.readFileSync(path.join(out, 'gold.json'), 'utf8')) as { resolved_ids: string[] };
    expect(goldReport.resolved_ids.sort()).toEqual(lines.map((line) => line.instance_id).sort());
    const empty = await runCli(['evaluate', ...repoArgs, '--predictions', 'empty', '--report', path.join(out, 'empty.json')], env);
    expect(empty.code, empty.stderr).toBe(0);
    expect((JSON.parse(fs.readFileSync(path.join(out, 'empty.json'), 'utf8')) as { resolved_ids: string[] }).resolved_ids).toEqual([]);
  });

  it('refuses an unknown --issue-text', async () => {
    const wrong = await runCli(['smith', '--repo', '.', '--issue-text', 'poem']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^--issue-text must be auto or template, not "poem"\nusage: swe-bot smith/);
  });
});
