import { describe, expect, it } from 'vitest';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { condense } from '../../src/agent/agent-loop.ts';
import { estimatePromptTokens } from '../../src/agent/token-estimate.ts';

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
