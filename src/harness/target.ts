/**
 * What the harness needs of a sandbox instance. The harness sees the sandbox
 * only through this (design.md §1); src/sandbox/instance.ts satisfies it.
 */
export interface HarnessExecOptions {
  timeoutMs?: number;
  maxOutputBytes?: number;
  onStdout?: (chunk: Buffer) => void;
}

export interface HarnessExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
  durationMs: number;
}

export interface HarnessTarget {
  exec(command: string, options?: HarnessExecOptions): Promise<HarnessExecResult>;
  writeFile(path: string, content: string | Buffer): Promise<void>;
}
