/**
 * The agent loop end to end: a scripted OpenAI-compatible model on 127.0.0.1
 * drives real tools in a real instance of the Node fixture.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent, type AgentOptions } from '../../src/agent/agent-loop.ts';
import { formatFor, type ToolFormatName } from '../../src/agent/formats/index.ts';
import { createModelClient } from '../../src/agent/model-client.ts';
import { createToolbox } from '../../src/agent/tools/index.ts';
import { silentLogger } from '../../src/logger.ts';
import type { Environment, Sandbox } from '../../src/sandbox/sandbox.ts';
import { fixtureRepo, type FixtureRepo } from '../helpers/git-fixture.ts';
import { testSandbox } from '../helpers/sandbox.ts';
import { startScriptedModel, type ScriptedReply } from '../helpers/scripted-model.ts';

const sandbox = testSandbox();
let repo: FixtureRepo;
let env: Environment;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-agent-'));

beforeAll(async () => {
  repo = fixtureRepo('node-repo');
  env = await sandbox.ensureEnvironment(repo.source(), await sandbox.detect(repo.source()));
});
afterAll(() => {
  repo?.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

async function agent(format: ToolFormatName, replies: ScriptedReply[], options: Partial<AgentOptions> = {}, within: Sandbox = sandbox) {
  const model = await startScriptedModel({ replies });
  try {
    return await within.withInstance(env, repo.source(), async (box) => {
      const client = createModelClient({ baseUrl: model.url, apiKey: 'test-key', model: 'scripted-model', logger: silentLogger(), backoffBaseMs: 1 });
      const result = await runAgent(
        { model: { client, format: formatFor(format) }, toolbox: createToolbox(), target: box, logger: silentLogger() },
        { task: 'add() should accept numeric strings', ...options },
      );
      return { result, requests: model.requests };
    });
  } finally {
    await model.close();
  }
}

const textCall = (name: string, params: Record<string, string>): string =>
  `Let me act.\n<function=${name}>\n${Object.entries(params)
    .map(([key, value]) => `<parameter=${key}>\n${value}\n</parameter>`)
    .join('\n')}\n`;

/** Spawns `sleep 1000` every 10 ms for ever: a fork bomb that does not burn the CPU. */
const FORK_BOMB = 'const { spawn } = require("child_process"); setInterval(() => { try { spawn("sleep", ["1000"], { stdio: "ignore" }).on("error", () => {}); } catch {} }, 10);';

describe('the agent loop', () => {
  it('fixes a bug through text-format tool calls and keeps a trajectory', async () => {
    const trajectoryFile = path.join(work, 'text', 'trajectory.jsonl');
    const { result, requests } = await agent(
      'text',
      [
        textCall('execute_bash', { command: 'grep -n "return" index.js' }),
        textCall('str_replace_editor', {
          command: 'str_replace',
          path: '/testbed/index.js',
          old_str: '  return Number(a) + Number(b);',
          new_str: '  return Number(a) + Number(b); // checked',
        }),
        textCall('finish', { message: 'Marked the sum as checked.', task_completed: 'true' }),
      ],
      { trajectoryFile },
    );
    expect(result).toMatchObject({ exit: 'finished', iterations: 3, finish: { message: 'Marked the sum as checked.', taskCompleted: true } });
    expect(result.diff).toContain('+  return Number(a) + Number(b); // checked');
    expect(requests[0]?.body.stop).toEqual(['</function']);
    // The observation of the first call reached the model.
    expect(JSON.stringify(requests[1]?.body.messages.at(-1))).toContain('return Number(a) + Number(b)');
    const lines = fs.readFileSync(trajectoryFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { role: string; usage?: unknown });
    expect(lines[0]?.role).toBe('system');
    expect(lines.filter((line) => line.role === 'assistant' && line.usage !== undefined)).toHaveLength(3);
  });

  it('fixes the same bug through native tool calls', async () => {
    const { result, requests } = await agent('native', [
      { toolCalls: [{ name: 'str_replace_editor', arguments: { command: 'create', path: '/testbed/NOTES.md', file_text: 'checked\n' } }] },
      { toolCalls: [{ name: 'finish', arguments: { message: 'done' } }] },
    ]);
    expect(result.exit).toBe('finished');
    expect(result.diff).toContain('+++ b/NOTES.md');
    expect(requests[0]?.body.tools?.map((tool) => (tool.type === 'function' ? tool.function.name : ''))).toEqual(
      expect.arrayContaining(['execute_bash', 'str_replace_editor', 'think', 'finish']),
    );
    expect(requests[1]?.body.messages.at(-1)).toMatchObject({ role: 'tool' });
  });

  it('ends a model that answers garbage with a clear reason and no crash', async () => {
    const { result } = await agent('text', ['I am not sure.', '¯\\_(ツ)_/¯', '<function=>']);
    expect(result.exit).toBe('format_errors');
    expect(result.reason).toMatch(/3 replies in a row had no usable tool call/);
    expect(result.diff).toBe('');
  });

  it('stops a looping model at the iteration budget and still returns the diff', async () => {
    let step = 0;
    const looping: ScriptedReply = () => textCall('execute_bash', { command: `echo step ${(step += 1)} >> progress.log` });
    const { result } = await agent('text', [looping, looping, looping, looping, looping], { maxIterations: 3 });
    expect(result).toMatchObject({ exit: 'max_iterations', iterations: 3 });
    expect(result.diff).toContain('+step 3');
  });

  it('detects a model repeating the same action with the same result', async () => {
    const same = textCall('execute_bash', { command: 'ls' });
    const { result } = await agent('text', [same, same, same, same, same, same]);
    expect(result.exit).toBe('loop');
    expect(result.iterations).toBe(4);
  });

  it('reads the diff after a fork bomb left running holds the pids limit', async () => {
    const started = Date.now();
    const { result } = await agent(
      'text',
      [
        textCall('str_replace_editor', { command: 'create', path: '/testbed/NOTES.md', file_text: 'kept\n' }),
        // Returns at once with exit 0; what it started takes every process slot
        // the pids limit leaves, within 10 ms of one being freed, and stays.
        textCall('execute_bash', { command: `nohup node -e '${FORK_BOMB}' >/dev/null 2>&1 &\nsleep 1; echo started` }),
        textCall('finish', { message: 'done' }),
      ],
      {},
      testSandbox({ SWE_BOT_SANDBOX_PIDS: '64' }),
    );
    expect(result.exit).toBe('finished');
    expect(JSON.stringify(result.messages.at(-3))).toContain('started');
    expect(result.diff).toContain('+++ b/NOTES.md');
    expect(result.diff).toContain('+kept');
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('ends the run with a clear reason when a command passes the sandbox disk limit', async () => {
    const { result, requests } = await agent(
      'text',
      [
        textCall('str_replace_editor', { command: 'create', path: '/testbed/NOTES.md', file_text: 'lost\n' }),
        textCall('execute_bash', { command: 'for i in $(seq 100); do dd if=/dev/zero of=/tmp/part$i bs=1M count=16 status=none; sleep 0.2; done' }),
        textCall('execute_bash', { command: 'ls /tmp' }),
        textCall('finish', { message: 'done' }),
      ],
      {},
      testSandbox({ SWE_BOT_SANDBOX_DISK: '64m' }),
    );
    expect(result).toMatchObject({ exit: 'sandbox_failed', iterations: 2, diff: '' });
    expect(result.reason).toBe('the sandbox passed its disk limit of 64 MiB (SWE_BOT_SANDBOX_DISK)');
    // The model was not asked again once the sandbox was gone.
    expect(requests).toHaveLength(2);
  });

  it('reports an endpoint that is down, naming OPENAI_BASE_URL', async () => {
    const result = await sandbox.withInstance(env, repo.source(), async (box) => {
      const client = createModelClient({ baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'k', model: 'm', logger: silentLogger(), backoffBaseMs: 1, maxAttempts: 2 });
      return runAgent({ model: { client, format: formatFor('text') }, toolbox: createToolbox(), target: box, logger: silentLogger() }, { task: 'x' });
    });
    expect(result.exit).toBe('model_error');
    expect(result.reason).toMatch(/OPENAI_BASE_URL=http:\/\/127\.0\.0\.1:9\/v1/);
  });
});
