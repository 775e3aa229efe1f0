/** finish: ends the agent run with a message for the user. */
import type { ToolSpec } from '../tool-spec.ts';
import type { Tool, ToolOutput } from './types.ts';

const SPEC: ToolSpec = {
  name: 'finish',
  description:
    'End the task. Call it when the change is made and checked, or when you cannot make progress. ' +
    'Your changes to the files in /testbed are the result; the message summarises them for the user.',
  parameters: {
    message: { type: 'string', description: 'What you changed and how you checked it, or why the task could not be done.' },
    task_completed: {
      type: 'boolean',
      description: 'true if the task is done and verified, false if it is not or you are unsure (default true).',
    },
  },
  required: ['message'],
};

export function createFinish(): Tool {
  return {
    spec: SPEC,
    run(args): Promise<ToolOutput> {
      const message = typeof args['message'] === 'string' ? args['message'].trim() : '';
      const taskCompleted = args['task_completed'] !== false;
      return Promise.resolve({
        text: `Finished (${taskCompleted ? 'task completed' : 'task not completed'}).`,
        isError: false,
        finish: { message, taskCompleted },
      });
    },
  };
}
