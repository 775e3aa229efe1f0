/**
 * Run folders as `swe-bot infer --out` and the App's kept fix jobs leave
 * them (src/jobs/fix.ts, src/worker/kept-trajectories.ts), for the tests of
 * `export-trajectories`: written by hand, so no model or container is needed.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** A value the tests treat as a secret (long enough for the redactor). */
export const RUN_SECRET = 'sk-live-4f9a1c2e7b3d';

/** A text-format conversation: `<function=…>` blocks in the content, results as user messages; usage on the replies. */
export function textTrajectory(task: string, extra = ''): object[] {
  return [
    { role: 'system', content: 'You are a careful engineer.\n<function=execute_bash> ...' },
    { role: 'user', content: task },
    {
      role: 'assistant',
      content: '<function=execute_bash>\n<parameter=command>npm test</parameter>\n</function>',
      usage: { prompt_tokens: 100, completion_tokens: 20 },
    },
    { role: 'user', content: `EXECUTION RESULT of [execute_bash]:\n1 failing${extra}` },
    {
      role: 'assistant',
      content: '<function=finish>\n<parameter=message>fixed</parameter>\n</function>',
      usage: { prompt_tokens: 150, completion_tokens: 30 },
    },
    { role: 'user', content: 'EXECUTION RESULT of [finish]:\nFinished (task completed).' },
  ];
}

/** A native-format conversation: `tool_calls` and `tool` messages. */
export function nativeTrajectory(): object[] {
  const call = { id: 'call_1', type: 'function', function: { name: 'execute_bash', arguments: '{"command":"npm test"}' } };
  return [
    { role: 'system', content: 'Act by calling the provided tools.' },
    { role: 'user', content: 'Fix it.' },
    { role: 'assistant', content: null, tool_calls: [call], usage: { prompt_tokens: 7, completion_tokens: 3 } },
    { role: 'tool', tool_call_id: 'call_1', content: 'ok' },
  ];
}

export interface RunFolder {
  /** result.json's verdict; undefined: no result.json. */
  verdict?: string;
  chosen?: number;
  /** trajectory-N.jsonl by N: messages, or raw text. */
  trajectories?: Record<number, object[] | string>;
  meta?: object;
  error?: string;
  /** result.json's text as it is (overrides verdict). */
  resultText?: string;
}

export async function writeRun(dir: string, run: RunFolder): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  if (run.resultText !== undefined) await fs.writeFile(path.join(dir, 'result.json'), run.resultText);
  else if (run.verdict !== undefined) {
    const result = { verdict: run.verdict, patch: 'diff --git a/x b/x\n', chosen: run.chosen, tokens: { prompt: 1, completion: 1 }, candidates: [] };
    await fs.writeFile(path.join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    await fs.writeFile(path.join(dir, 'patch.diff'), result.patch);
  }
  for (const [index, lines] of Object.entries(run.trajectories ?? {})) {
    const text = typeof lines === 'string' ? lines : `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;
    await fs.writeFile(path.join(dir, `trajectory-${index}.jsonl`), text);
  }
  if (run.meta !== undefined) await fs.writeFile(path.join(dir, 'meta.json'), `${JSON.stringify(run.meta, null, 2)}\n`);
  if (run.error !== undefined) await fs.writeFile(path.join(dir, 'error.txt'), `${run.error}\n`);
  return dir;
}

/**
 * An infer `--out` folder of six instances (two verified, one of them
 * native; one plausible; one verified with a malformed line; one failed; one
 * with a broken result.json) and an App trajectories folder with a verified
 * and a regression job.
 */
export async function writeRunFixtures(root: string): Promise<{ inferDir: string; appDir: string }> {
  const inferDir = path.join(root, 'preds.runs');
  const appDir = path.join(root, 'data', 'trajectories');
  await writeRun(path.join(inferDir, 'acme__lib-1'), {
    verdict: 'verified',
    chosen: 1,
    trajectories: { 0: textTrajectory('candidate zero'), 1: textTrajectory('candidate one', `\nTOKEN=${RUN_SECRET}`) },
  });
  await writeRun(path.join(inferDir, 'acme__lib-2'), { verdict: 'verified', chosen: 0, trajectories: { 0: nativeTrajectory() } });
  await writeRun(path.join(inferDir, 'acme__lib-3'), { verdict: 'plausible', chosen: 0, trajectories: { 0: textTrajectory('plausible one') } });
  const good = textTrajectory('malformed one').map((line) => JSON.stringify(line));
  await writeRun(path.join(inferDir, 'acme__lib-4'), { verdict: 'verified', chosen: 0, trajectories: { 0: `${good[0]}\n${good[1]}\n{"role": "assistant", "content": \n` } });
  await writeRun(path.join(inferDir, 'acme__lib-5'), { error: 'the environment build failed\nmore detail' });
  await writeRun(path.join(inferDir, 'acme__lib-6'), { resultText: '{"verdict": ' });
  await writeRun(path.join(appDir, 'acme__widgets', '12-fix-77-12'), {
    verdict: 'verified',
    chosen: 0,
    trajectories: { 0: textTrajectory('app job') },
    meta: { repo: 'acme/widgets', issue: 12, commit: 'a'.repeat(40), job: 'fix-77-12', model: 'm', finishedAt: '2026-06-30T12:00:00.000Z' },
  });
  await writeRun(path.join(appDir, 'acme__widgets', '13-fix-77-13'), {
    verdict: 'regression',
    chosen: 0,
    trajectories: { 0: textTrajectory('app regression') },
    meta: { repo: 'acme/widgets', issue: 13, commit: 'a'.repeat(40), job: 'fix-77-13', model: 'm', finishedAt: '2026-06-30T12:00:00.000Z' },
  });
  return { inferDir, appDir };
}
