import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { condense, runAgent } from '../../src/agent/agent-loop.ts';
import { formatFor } from '../../src/agent/formats/index.ts';
import { createModelClient } from '../../src/agent/model-client.ts';
import { estimatePromptTokens } from '../../src/agent/token-estimate.ts';
import { createToolbox } from '../../src/agent/tools/index.ts';
import { silentLogger } from '../../src/logger.ts';
import { createSecretRedactor } from '../../src/util/secret-redactor.ts';
import { startScriptedModel } from '../helpers/scripted-model.ts';

describe('condensing the conversation', () => {
  const conversation = (): ChatCompletionMessageParam[] => [
    { role: 'system', content: 'rules' },
    { role: 'user', content: 'the task' },
    ...Array.from({ length: 10 }, (_, i): ChatCompletionMessageParam[] => [
      { role: 'assistant', content: `call ${i}` },
      { role: 'user', content: `observation ${i} ${'x'.repeat(2000)}` },
    ]).flat(),
  ];

  it('replaces the oldest observations first and keeps the task and recent messages', () => {
    const messages = conversation();
    const before = estimatePromptTokens(messages);
    expect(condense(messages, Math.floor(before / 2))).toBe(true);
    expect(estimatePromptTokens(messages)).toBeLessThanOrEqual(Math.floor(before / 2));
    expect(messages[1]).toEqual({ role: 'user', content: 'the task' });
    expect(messages[3]?.content).toMatch(/^\[condensed\]/);
    expect(messages.at(-1)?.content).toMatch(/^observation 9/);
    expect(messages.filter((message) => message.role === 'assistant').map((message) => message.content)).toHaveLength(10);
  });

  it('says when even a condensed conversation does not fit', () => {
    expect(condense(conversation(), 10)).toBe(false);
  });
});

describe('the trajectory file', () => {
  it('holds no secret the redactor knows: not in the model\'s replies, not in what commands printed', async () => {
    const secret = 'sk-live-0123456789abcdefSECRET';
    const redactor = createSecretRedactor();
    redactor.add(secret);
    const call = (name: string, params: Record<string, string>): string =>
      `<function=${name}>\n${Object.entries(params).map(([key, value]) => `<parameter=${key}>\n${value}\n</parameter>`).join('\n')}\n`;
    const model = await startScriptedModel({
      replies: [`The key is ${secret}.\n${call('execute_bash', { command: 'cat .env' })}`, call('finish', { message: `done with ${secret}` })],
    });
    // A target whose files hold the secret: what the command prints is an observation in the trajectory.
    const target = {
      exec: (command: string) => Promise.resolve({ exitCode: 0, stdout: `${command}: OPENAI_API_KEY=${secret}\n`, stderr: '', timedOut: false, cancelled: false, truncated: false }),
      readFile: () => Promise.resolve(Buffer.from('')),
      writeFile: () => Promise.resolve(),
      diff: () => Promise.resolve(''),
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-trajectory-'));
    try {
      const trajectoryFile = path.join(dir, 'trajectory.jsonl');
      const client = createModelClient({ baseUrl: model.url, apiKey: 'test-key', model: 'scripted-model', logger: silentLogger(), backoffBaseMs: 1 });
      const result = await runAgent(
        { model: { client, format: formatFor('text') }, toolbox: createToolbox(), target, logger: silentLogger(), redactor },
        { task: 'look at the configuration', trajectoryFile },
      );
      expect(result.exit).toBe('finished');
      const text = fs.readFileSync(trajectoryFile, 'utf8');
      expect(text).toContain('OPENAI_API_KEY=[redacted]');
      expect(text).toContain('The key is [redacted].');
      expect(text).not.toContain(secret);
      // Each line still JSON.
      expect(text.trim().split('\n').map((line) => (JSON.parse(line) as { role: string }).role).slice(0, 4)).toEqual(['system', 'user', 'assistant', 'user']);
    } finally {
      await model.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
