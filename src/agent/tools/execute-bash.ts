/**
 * execute_bash: one bash command in /testbed, stdout and stderr merged, the
 * exit code appended. Commands that would wait for a keyboard are refused
 * before they run (interactive.ts); pagers and editors that git or other
 * programs start on their own are switched off through the environment.
 */
import type { ToolSpec } from '../tool-spec.ts';
import { detectInteractive } from './interactive.ts';
import { OBSERVATION_MAX_CHARS, cutMiddle } from './observation.ts';
import { errorOutput, type Tool, type ToolContext, type ToolOutput } from './types.ts';

/** Time a command may run when the model gives no timeout. */
export const BASH_TIMEOUT_MS = 120_000;
/** Longest timeout the model may ask for. */
export const BASH_MAX_TIMEOUT_MS = 900_000;
/** Bytes of output the sandbox keeps per stream before cutting (the observation is cut further). */
const EXEC_OUTPUT_BYTES = 512 * 1024;

/** Set for every command: nothing may open a pager or an editor. */
export const NON_INTERACTIVE_ENV: Readonly<Record<string, string>> = {
  GIT_PAGER: 'cat',
  PAGER: 'cat',
  GIT_EDITOR: 'true',
  EDITOR: 'true',
  VISUAL: 'true',
  GIT_TERMINAL_PROMPT: '0',
  DEBIAN_FRONTEND: 'noninteractive',
};

const SPEC: ToolSpec = {
  name: 'execute_bash',
  description: [
    'Run a bash command in the repository (working directory /testbed) and get its output (stdout and stderr together) and exit code.',
    '* Each call starts a fresh shell in /testbed: `cd` and exported variables do not carry over; chain steps with `&&` in one command.',
    `* Commands are killed after ${BASH_TIMEOUT_MS / 1000} seconds unless you set \`timeout\` (at most ${BASH_MAX_TIMEOUT_MS / 1000}).`,
    '* There is no terminal and no keyboard: editors (vim, nano), pagers (less, more), REPLs (a bare `python` or `node`), `tail -f`, `watch` and interactive git (`git commit` without -m, `git rebase -i`, `git add -p`) are refused. Print files with `cat -n` or `sed -n START,ENDp`, run code with `python -c`, `python - <<\'EOF\'` or a script file.',
    '* There is no network access.',
    '* Long output is cut in the middle; redirect it to a file and search it (grep, head, tail) when you need all of it.',
  ].join('\n'),
  parameters: {
    command: { type: 'string', description: 'The bash command to run. May span several lines.' },
    timeout: {
      type: 'integer',
      description: `Seconds before the command and all its processes are killed (default ${BASH_TIMEOUT_MS / 1000}, at most ${BASH_MAX_TIMEOUT_MS / 1000}).`,
    },
  },
  required: ['command'],
};

export function createExecuteBash(): Tool {
  return { spec: SPEC, run: runBash };
}

async function runBash(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutput> {
  const command = typeof args['command'] === 'string' ? args['command'] : '';
  if (command.trim() === '') return errorOutput('The command is empty: give a bash command to run.');
  const refusal = detectInteractive(command);
  if (refusal !== undefined) {
    return errorOutput(
      `Refused: \`${refusal.program}\` is interactive and would wait for keyboard input that never comes in this sandbox. ` +
        `The command was not run.\n${refusal.hint}`,
    );
  }
  const timeoutMs = timeoutFrom(args['timeout']);
  if (typeof timeoutMs === 'string') return errorOutput(timeoutMs);
  // exec 2>&1 first: everything the command writes, syntax errors included, lands in one stream in order.
  const result = await ctx.target.exec(`exec 2>&1\n${command}`, {
    timeoutMs,
    cwd: '/testbed',
    env: { ...NON_INTERACTIVE_ENV },
    maxOutputBytes: EXEC_OUTPUT_BYTES,
    ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
  });
  let output = result.stdout;
  if (result.stderr !== '') output += (output === '' || output.endsWith('\n') ? '' : '\n') + result.stderr;
  const seconds = Math.round(timeoutMs / 1000);
  let status: string;
  let isError = false;
  if (result.timedOut) {
    status =
      `[The command timed out after ${seconds} s; it and all the processes it started were killed. ` +
      'Give a larger timeout, or make the command faster (e.g. run only the relevant tests).]';
    isError = true;
  } else if (result.cancelled) {
    status = '[The command was cancelled; its processes were killed.]';
    isError = true;
  } else if (result.oomKilled === true) {
    status = `[exit code ${result.exitCode}: a process was killed for using too much memory]`;
  } else {
    status = `[exit code ${result.exitCode}]`;
  }
  output = cutMiddle(output.replace(/\n$/, ''), OBSERVATION_MAX_CHARS - status.length - 1, result.truncated);
  return { text: output === '' ? status : `${output}\n${status}`, isError };
}

function timeoutFrom(value: unknown): number | string {
  if (value === undefined) return BASH_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    return 'timeout must be a positive whole number of seconds.';
  }
  return Math.min(value * 1000, BASH_MAX_TIMEOUT_MS);
}
