/**
 * The agent loop (design.md §4): the model proposes one tool call at a time,
 * the call runs in the instance, its output goes back to the model, until
 * the model calls `finish` or a budget ends the run. Every exit path still
 * extracts the current diff, so a run cut short leaves its work to grade.
 *
 * Budgets: iterations, context tokens (old observations are condensed before
 * the prompt would overflow), output tokens per reply, wall time. A run also
 * stops on repeated identical actions with identical results, repeated
 * identical errors, and a run of unusable replies.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { SweBotError, describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { SecretRedactor } from '../util/secret-redactor.ts';
import type { Model } from './model.ts';
import { estimatePromptTokens } from './token-estimate.ts';
import { buildSystemPrompt, buildTaskMessage } from './prompts.ts';
import type { Toolbox, ToolFinish, ToolTarget } from './tools/index.ts';

/** Default iteration budget. */
export const AGENT_MAX_ITERATIONS = 100;
/** Default context window of the model, tokens. */
export const AGENT_CONTEXT_TOKENS = 32_768;
/** Default output budget of one reply, tokens. */
export const AGENT_MAX_OUTPUT_TOKENS = 4_096;
/** Default wall-clock budget of one run, ms. */
export const AGENT_WALL_TIME_MS = 30 * 60_000;
/** Unusable replies in a row before the run stops. */
export const MAX_FORMAT_ERRORS_IN_A_ROW = 3;
/** The same action with the same result this many times in a row is a loop. */
export const LOOP_REPEATS = 4;
/** Observations this recent are never condensed. */
const KEEP_RECENT_MESSAGES = 6;

export type AgentExit = 'finished' | 'max_iterations' | 'context' | 'wall_time' | 'loop' | 'format_errors' | 'model_error' | 'cancelled' | 'sandbox_failed';

export interface AgentOptions {
  /** The issue text (untrusted: quoted as data in the prompt). */
  task: string;
  /** owner/name, for the prompt. */
  repo?: string;
  /** Default {@link AGENT_MAX_ITERATIONS}. */
  maxIterations?: number;
  /** Default {@link AGENT_CONTEXT_TOKENS}. */
  contextTokens?: number;
  /** Default {@link AGENT_MAX_OUTPUT_TOKENS}. */
  maxOutputTokens?: number;
  /** Default {@link AGENT_WALL_TIME_MS}. */
  wallTimeMs?: number;
  /** Default 0 (best-of-N raises it). */
  temperature?: number;
  /** JSONL trajectory in OpenAI chat format, one message a line. */
  trajectoryFile?: string;
  signal?: AbortSignal;
  /**
   * The prompts to use instead of the fix prompts (buildSystemPrompt /
   * buildTaskMessage): the review pipeline brings its own. `system` gets the
   * format's tool description appended.
   */
  prompts?: { system: string; task: string };
  /** Called after each tool call with the iteration number and the tool's name. Must not throw. */
  onStep?: (iteration: number, tool: string) => void;
}

export interface AgentDeps {
  /** The endpoint and its tool-call format; the name is not needed here. */
  model: Pick<Model, 'client' | 'format'>;
  toolbox: Toolbox;
  /**
   * `stopProcesses` ends what the run left running before the diff is read
   * (a fork bomb holding the pids limit would keep git from starting).
   */
  target: ToolTarget & { diff(): Promise<string>; stopProcesses?(): Promise<void> };
  logger: Logger;
  /** Cleans the trajectory file of known secrets by value (src/util/secret-redactor.ts): a command's output or the model's reply may quote one. */
  redactor?: Pick<SecretRedactor, 'redact'>;
}

export interface AgentResult {
  exit: AgentExit;
  /** Why the run ended, for people. */
  reason: string;
  finish: ToolFinish | undefined;
  diff: string;
  iterations: number;
  usage: { promptTokens: number; completionTokens: number; calls: number };
  durationMs: number;
  messages: ChatCompletionMessageParam[];
}

type TrajectoryLine = ChatCompletionMessageParam & { usage?: { prompt_tokens: number; completion_tokens: number } };

export async function runAgent(deps: AgentDeps, options: AgentOptions): Promise<AgentResult> {
  const started = Date.now();
  const maxIterations = options.maxIterations ?? AGENT_MAX_ITERATIONS;
  const contextTokens = options.contextTokens ?? AGENT_CONTEXT_TOKENS;
  const maxOutputTokens = options.maxOutputTokens ?? AGENT_MAX_OUTPUT_TOKENS;
  const deadline = started + (options.wallTimeMs ?? AGENT_WALL_TIME_MS);
  const specs = deps.toolbox.specs;
  const { client, format } = deps.model;
  const trajectory: TrajectoryLine[] = [];
  const messages: ChatCompletionMessageParam[] = [];
  const push = (message: ChatCompletionMessageParam, usage?: TrajectoryLine['usage']): void => {
    messages.push(message);
    trajectory.push(usage ? { ...message, usage } : message);
  };
  const suffix = format.systemPromptSuffix(specs);
  push({ role: 'system', content: options.prompts ? `${options.prompts.system}\n\n${suffix}`.trim() : buildSystemPrompt(suffix) });
  push({ role: 'user', content: options.prompts?.task ?? buildTaskMessage(options.task, options.repo) });

  const usage = { promptTokens: 0, completionTokens: 0, calls: 0 };
  let exit: AgentExit = 'max_iterations';
  let reason = `the iteration budget (${maxIterations}) ran out`;
  let finish: ToolFinish | undefined;
  let iterations = 0;
  let formatErrors = 0;
  let lastAction = '';
  let repeats = 0;
  const errorCounts = new Map<string, number>();

  run: while (iterations < maxIterations) {
    if (options.signal?.aborted) {
      [exit, reason] = ['cancelled', 'the run was cancelled'];
      break;
    }
    const lost = failureOf(deps.target);
    if (lost !== undefined) {
      [exit, reason] = ['sandbox_failed', lost.message];
      break;
    }
    if (Date.now() > deadline) {
      [exit, reason] = ['wall_time', `the wall-time budget (${options.wallTimeMs ?? AGENT_WALL_TIME_MS} ms) ran out`];
      break;
    }
    if (!condense(messages, contextTokens - maxOutputTokens)) {
      [exit, reason] = ['context', `the conversation no longer fits the context (${contextTokens} tokens) even condensed`];
      break;
    }
    iterations += 1;
    let reply;
    try {
      reply = await client.complete({
        messages,
        temperature: options.temperature ?? 0,
        maxTokens: maxOutputTokens,
        ...format.requestOptions(specs),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (error instanceof SweBotError && error.code === 'context_overflow' && condense(messages, Math.floor((contextTokens - maxOutputTokens) / 2))) {
        iterations -= 1;
        continue;
      }
      [exit, reason] = options.signal?.aborted ? ['cancelled', 'the run was cancelled'] : ['model_error', describeError(error)];
      break;
    }
    usage.calls += 1;
    usage.promptTokens += reply.usage.promptTokens;
    usage.completionTokens += reply.usage.completionTokens;
    push(format.historyMessage(reply.message), {
      prompt_tokens: reply.usage.promptTokens,
      completion_tokens: reply.usage.completionTokens,
    });

    const parsed = format.parse(reply.message);
    if (parsed.error !== undefined || parsed.calls.length === 0) {
      formatErrors += 1;
      const problem = parsed.error ?? 'The reply holds no tool call.';
      deps.logger.debug({ problem }, 'unusable model reply');
      // Native tool calls each need an answer before the next request.
      for (const call of reply.message.tool_calls ?? []) {
        push(format.result({ id: call.id, name: call.type === 'function' ? call.function.name : 'unknown', arguments: {} }, `Not run: ${problem}`));
      }
      if (formatErrors >= MAX_FORMAT_ERRORS_IN_A_ROW) {
        [exit, reason] = ['format_errors', `${formatErrors} replies in a row had no usable tool call; the last: ${problem}`];
        break;
      }
      push(format.corrective(problem));
      continue;
    }
    formatErrors = 0;
    for (const call of parsed.calls) {
      const output = await deps.toolbox.run(call, { target: deps.target, ...(options.signal ? { signal: options.signal } : {}) });
      push(format.result(call, output.text));
      options.onStep?.(iterations, call.name);
      // The sandbox is gone (its disk limit): later calls could only fail.
      const gone = failureOf(deps.target);
      if (gone !== undefined) {
        [exit, reason] = ['sandbox_failed', gone.message];
        break run;
      }
      if (output.finish) {
        finish = output.finish;
        [exit, reason] = ['finished', `the model finished: ${output.finish.message}`];
        break run;
      }
      const action = `${call.name} ${JSON.stringify(call.arguments)} => ${output.text}`;
      repeats = action === lastAction ? repeats + 1 : 1;
      lastAction = action;
      if (repeats >= LOOP_REPEATS) {
        [exit, reason] = ['loop', `the same ${call.name} call gave the same result ${repeats} times in a row`];
        break run;
      }
      if (output.isError) {
        const count = (errorCounts.get(output.text) ?? 0) + 1;
        errorCounts.set(output.text, count);
        if (count >= LOOP_REPEATS) {
          [exit, reason] = ['loop', `the same error came back ${count} times: ${output.text.slice(0, 200)}`];
          break run;
        }
      }
    }
  }

  const diff = await finalDiff(deps);
  if (options.trajectoryFile !== undefined) {
    await fs.mkdir(path.dirname(options.trajectoryFile), { recursive: true });
    const redact = (line: string): string => deps.redactor?.redact(line) ?? line;
    await fs.writeFile(options.trajectoryFile, trajectory.map((line) => redact(JSON.stringify(line))).join('\n') + '\n');
  }
  deps.logger.info({ exit, iterations, ...usage }, 'agent run ended');
  return { exit, reason, finish, diff, iterations, usage, durationMs: Date.now() - started, messages };
}

/** A function, not a property read, so that TypeScript does not keep an earlier check's narrowing across calls that may set it. */
function failureOf(target: ToolTarget): Error | undefined {
  return target.failure;
}

/**
 * The run's diff, read once what it left running is stopped; '' when the
 * sandbox is gone or the diff cannot be read.
 */
async function finalDiff(deps: AgentDeps): Promise<string> {
  if (failureOf(deps.target) !== undefined) return '';
  try {
    await deps.target.stopProcesses?.();
    return await deps.target.diff();
  } catch (error) {
    deps.logger.warn({ err: describeError(error) }, 'cannot extract the diff');
    return '';
  }
}

/**
 * Shrinks the conversation to `budget` tokens by replacing the oldest tool
 * observations with a one-line note; the system prompt, the task and the most
 * recent messages stay. Returns false when even that is not enough.
 */
export function condense(messages: ChatCompletionMessageParam[], budget: number): boolean {
  if (estimatePromptTokens(messages) <= budget) return true;
  for (let i = 2; i < messages.length - KEEP_RECENT_MESSAGES; i += 1) {
    const message = messages[i];
    if (message === undefined || message.role === 'assistant' || message.role === 'system') continue;
    const content = typeof message.content === 'string' ? message.content : '';
    if (content.startsWith('[condensed]')) continue;
    messages[i] = { ...message, content: `[condensed] An earlier observation of ${content.length} characters was removed to save context.` };
    if (estimatePromptTokens(messages) <= budget) return true;
  }
  return estimatePromptTokens(messages) <= budget;
}
