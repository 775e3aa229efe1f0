/**
 * What the agent's tools run against and what they return. Tools see the
 * sandbox only through ToolTarget, whose methods match Instance's
 * (src/sandbox/instance.ts), so an Instance is a ToolTarget as it is.
 */
import type { ToolSpec } from '../tool-spec.ts';

export interface ToolExecOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string>;
  maxOutputBytes?: number;
  user?: string;
  signal?: AbortSignal;
}

export interface ToolExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  cancelled: boolean;
  /** Output was cut in the middle by the sandbox. */
  truncated: boolean;
  /** The kernel's OOM killer ended a process of the command. */
  oomKilled?: boolean;
}

export interface ToolTarget {
  /** Runs a bash command (in /testbed unless `cwd` says otherwise). */
  exec(command: string, options?: ToolExecOptions): Promise<ToolExecResult>;
  /** A file's bytes; rejects when it is missing or not a regular file. */
  readFile(path: string): Promise<Buffer>;
  /** Writes a file byte for byte, creating missing parent folders. */
  writeFile(path: string, content: string | Buffer, options?: { mode?: number }): Promise<void>;
  /**
   * Set once the sandbox is gone for good (it passed its disk limit and was
   * removed): every call fails, and the agent run ends with this message.
   */
  readonly failure?: Error | undefined;
}

export interface ToolContext {
  target: ToolTarget;
  signal?: AbortSignal;
}

export interface ToolFinish {
  message: string;
  taskCompleted: boolean;
  /** A structured result of the run, checked by the tool that ended it (the review's submit_review). */
  data?: unknown;
}

export interface ToolOutput {
  /** The observation shown to the model. */
  text: string;
  /**
   * The tool could not do what was asked (bad arguments, refused or timed-out
   * command, failed edit). A command that ran and exited non-zero is not an
   * error of the tool: its exit code is in the text.
   */
  isError: boolean;
  /** Set by the finish tool: the agent run ends. */
  finish?: ToolFinish;
}

export interface Tool {
  spec: ToolSpec;
  /** `args` are validated and coerced against `spec` by the toolbox. */
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutput>;
}

export function errorOutput(text: string): ToolOutput {
  return { text, isError: true };
}

export function okOutput(text: string): ToolOutput {
  return { text, isError: false };
}
