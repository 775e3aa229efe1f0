/**
 * Onboarding without configuration (issue #11), shared by its test
 * (test/cli/fix-onboard.docker.test.ts) and `npm run onboard`
 * (bench/onboard.ts): a repository of ../shared/corpus-onboard (OUT/<id>/repo
 * with a known bug, problem.md, gold.patch) goes through `swe-bot env` (which
 * environment and test command detection chose) and `swe-bot fix` with a
 * scripted model that applies exactly the gold patch. No
 * `.github/swe-bot.yml` is involved.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './cli.ts';
import { startScriptedModel } from './scripted-model.ts';

export interface OnboardOutcome {
  id: string;
  /** `verified` is the pass; `environment_failed` / `failed` when a command exited non-zero. */
  verdict: string;
  setup?: string[];
  test?: string;
  logParser?: string;
  baselineTests?: number;
  baselinePassing?: number;
  failToPass?: string[];
  passToFail?: string[];
  seconds: number;
  /** The end of stderr when a command failed. */
  error?: string;
}

/** Runs one project directory (OUT/<id>); `env` adds to the CLI's environment. */
export async function onboardProject(dir: string, env: Record<string, string | undefined> = {}): Promise<OnboardOutcome> {
  const id = path.basename(dir);
  const repo = path.join(dir, 'repo');
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 1000);
  const built = await runCli(['env', '--repo', repo, '--json'], env);
  if (built.code !== 0) return { id, verdict: 'environment_failed', seconds: seconds(), error: tail(built.stderr) };
  const { spec } = JSON.parse(built.stdout) as { spec: { test: string; logParser: string; setup: string[] } };
  const found = { setup: spec.setup, test: spec.test, logParser: spec.logParser };
  const gold = fs.readFileSync(path.join(dir, 'gold.patch'), 'utf8');
  const model = await startScriptedModel({
    replies: [
      `Applying the fix.\n<function=execute_bash>\n<parameter=command>\ncd /testbed && git apply <<'SWE_BOT_GOLD'\n${gold}SWE_BOT_GOLD\n</parameter>\n</function>`,
      '<function=finish>\n<parameter=message>\nApplied the fix.\n</parameter>\n</function>',
    ],
  });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `onboard-${id}-`));
  try {
    const fix = await runCli(['fix', '--repo', repo, '--issue-file', path.join(dir, 'problem.md'), '--out', out], {
      ...env,
      OPENAI_BASE_URL: model.url,
      SWE_BOT_MODEL: 'scripted-model',
      SWE_BOT_TOOL_FORMAT: 'text',
    });
    if (fix.code !== 0) return { id, verdict: 'failed', ...found, seconds: seconds(), error: tail(fix.stderr) };
    const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')) as {
      verdict: string;
      tests: { before: Record<string, string>; failToPass: string[]; passToFail: string[] };
    };
    const before = Object.values(result.tests.before);
    return {
      id,
      verdict: result.verdict,
      ...found,
      baselineTests: before.length,
      baselinePassing: before.filter((status) => status === 'PASSED').length,
      failToPass: result.tests.failToPass,
      passToFail: result.tests.passToFail,
      seconds: seconds(),
    };
  } finally {
    await model.close();
    fs.rmSync(out, { recursive: true, force: true });
  }
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-6).join('\n');
}
