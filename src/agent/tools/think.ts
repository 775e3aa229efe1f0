/** think: a place for the model to reason at length; nothing happens. */
import type { ToolSpec } from '../tool-spec.ts';
import { okOutput, type Tool } from './types.ts';

const SPEC: ToolSpec = {
  name: 'think',
  description:
    'Write down your reasoning: analyse the problem, weigh possible fixes, plan the next steps. Nothing is run and nothing changes; ' +
    'use it when a step needs careful thought before acting.',
  parameters: { thought: { type: 'string', description: 'Your reasoning.' } },
  required: ['thought'],
};

export function createThink(): Tool {
  return { spec: SPEC, run: () => Promise.resolve(okOutput('Your thought has been noted.')) };
}
