/**
 * Running commands in a container through the Docker API (no docker CLI):
 * output streamed to callbacks and captured with a cap, a wall-clock timeout
 * that kills the command's whole process tree, and the exit code.
 *
 * How the tree is found: every exec carries a unique SWE_BOT_EXEC_ID in its
 * environment, which all descendants inherit (also those that call setsid or
 * daemonize). On timeout a second exec stops, then kills, every process whose
 * environment holds that id, using only bash built-ins so that it still works
 * when the pids limit leaves no room to fork (a fork bomb).
 * Docker exec API: https://docs.docker.com/engine/api/v1.41/#tag/Exec
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { SandboxError, describeError } from '../errors.ts';
import { DEFAULT_OUTPUT_CAP_BYTES, OutputCap } from '../util/output-cap.ts';

export interface ExecOptions {
  /** Wall-clock limit in milliseconds; the whole process tree is killed after it. */
  timeoutMs?: number;
  /** User to run as. Default: the container's user (`swe`). */
  user?: string;
  /** Working directory. Default `/testbed`. */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Data written to the command's standard input, which is then closed. */
  stdin?: string | Buffer;
  /** Called with each chunk of standard output as it arrives. */
  onStdout?: (chunk: Buffer) => void;
  /** Called with each chunk of standard error as it arrives. */
  onStderr?: (chunk: Buffer) => void;
  /** Bytes of each stream kept in the result (head and tail). Default 1 MiB. */
  maxOutputBytes?: number;
  /** Aborting kills the process tree like a timeout does. */
  signal?: AbortSignal;
}

export interface ExecResult {
  /** The command's exit code; 137 when it was killed. */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Killed because the wall-clock limit passed. */
  timedOut: boolean;
  /** Killed because `signal` was aborted. */
  cancelled: boolean;
  /** True when output was cut in the middle. */
  truncated: boolean;
  durationMs: number;
}

/** Default limit of one command: 30 minutes (SWE_BOT_EXEC_TIMEOUT_MS). */
export const DEFAULT_EXEC_TIMEOUT_MS = 30 * 60_000;
/** How long the kill of a timed-out tree may take before the container is restarted. */
export const KILL_GRACE_MS = 10_000;
/** Extra pids granted for a moment when the limit leaves no room for the killer. */
const KILL_PID_HEADROOM = 16;

const KILL_SCRIPT = [
  'target="SWE_BOT_EXEC_ID=$1"',
  'for ((round = 0; round < 200; round++)); do',
  '  pids=()',
  '  for dir in /proc/[0-9]*; do',
  '    pid=${dir#/proc/}',
  '    [[ $pid == "$$" ]] && continue',
  "    { while IFS= read -r -d '' entry; do",
  '        if [[ $entry == "$target" ]]; then pids+=("$pid"); break; fi',
  '      done < "$dir/environ"; } 2>/dev/null',
  '  done',
  '  ((${#pids[@]} == 0)) && exit 0',
  '  # Stop first so nothing forks between the scan and the kill.',
  '  kill -STOP "${pids[@]}" 2>/dev/null',
  '  kill -KILL "${pids[@]}" 2>/dev/null',
  'done',
  'exit 1',
].join('\n');

/**
 * The bookkeeping one command needs however it runs (its own exec, or the
 * shell session): capped output, the timeout and the abort signal, the kill
 * of the process tree, and the result.
 */
export class CommandRun {
  readonly execId = randomUUID();
  readonly #options: ExecOptions;
  readonly #container: Docker.Container;
  readonly #stdout: OutputCap;
  readonly #stderr: OutputCap;
  readonly #started = Date.now();
  #timedOut = false;
  #cancelled = false;
  #killing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => {
    this.#cancelled = true;
    this.#kill();
  };

  constructor(container: Docker.Container, options: ExecOptions) {
    this.#container = container;
    this.#options = options;
    this.#stdout = new OutputCap(options.maxOutputBytes ?? DEFAULT_OUTPUT_CAP_BYTES);
    this.#stderr = new OutputCap(options.maxOutputBytes ?? DEFAULT_OUTPUT_CAP_BYTES);
  }

  readonly onStdout = (chunk: Buffer): void => {
    this.#stdout.push(chunk);
    this.#options.onStdout?.(chunk);
  };

  readonly onStderr = (chunk: Buffer): void => {
    this.#stderr.push(chunk);
    this.#options.onStderr?.(chunk);
  };

  /** Starts the clock and listens for the abort signal. */
  arm(): void {
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#kill();
    }, this.#options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS);
    if (this.#options.signal?.aborted) this.#onAbort();
    else this.#options.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Stops the clock; waits for a kill under way. */
  async settle(): Promise<void> {
    clearTimeout(this.#timer);
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    if (this.#killing) await this.#killing;
  }

  get killed(): boolean {
    return this.#timedOut || this.#cancelled;
  }

  result(exitCode: number): ExecResult {
    return {
      exitCode,
      stdout: this.#stdout.toString(),
      stderr: this.#stderr.toString(),
      timedOut: this.#timedOut,
      cancelled: this.#cancelled,
      truncated: this.#stdout.truncated || this.#stderr.truncated,
      durationMs: Date.now() - this.#started,
    };
  }

  #kill(): void {
    this.#killing ??= killProcessTree(this.#container, this.execId, this.#options.user).catch(() => undefined);
  }
}

/** Runs `command` with bash in the container, in an exec of its own. */
export async function execInContainer(
  container: Docker.Container,
  command: string,
  options: ExecOptions = {},
): Promise<ExecResult> {
  const run = new CommandRun(container, options);
  const env = [`SWE_BOT_EXEC_ID=${run.execId}`, ...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`)];
  const hasStdin = options.stdin !== undefined;
  const exec = await container
    .exec({
      Cmd: ['/bin/bash', '-c', command],
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: hasStdin,
      Tty: false,
      Env: env,
      WorkingDir: options.cwd ?? '/testbed',
      ...(options.user === undefined ? {} : { User: options.user }),
    })
    .catch((error: unknown) => {
      throw new SandboxError(`Cannot start a command in container ${container.id.slice(0, 12)}: ${describeError(error)}`, {
        kind: 'transient',
        code: 'exec_failed',
        cause: error,
      });
    });
  const stream = await exec.start({ hijack: true, stdin: hasStdin });
  const finished = new Promise<void>((resolve) => {
    demux(stream, run.onStdout, run.onStderr);
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  run.arm();
  if (hasStdin) stream.end(options.stdin);
  try {
    await finished;
  } finally {
    await run.settle();
    stream.destroy();
  }
  const exitCode = await waitForExitCode(exec);
  return run.result(exitCode ?? (run.killed ? 137 : -1));
}

/** The exit code, once Docker has recorded it (the stream can end first). */
async function waitForExitCode(exec: Docker.Exec): Promise<number | null> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const info = await exec.inspect();
    if (!info.Running) return info.ExitCode;
    await delay(attempt < 10 ? 5 : 50);
  }
  return null;
}

/**
 * Kills every process of one exec. When the pids limit leaves no room even
 * for the killer, the limit is raised for a moment; as a last resort the
 * container restarts (its files stay; its processes do not).
 */
export async function killProcessTree(
  container: Docker.Container,
  execId: string,
  user: string | undefined,
): Promise<void> {
  // The killer must run as the same user: reading another user's
  // /proc/PID/environ needs CAP_SYS_PTRACE, which containers do not get.
  const attempt = async (): Promise<boolean> => {
    try {
      const exec = await container.exec({
        Cmd: ['/bin/bash', '-c', KILL_SCRIPT, 'swe-bot-kill', execId],
        AttachStdout: false,
        AttachStderr: false,
        ...(user === undefined ? {} : { User: user }),
      });
      // dockerode answers even a detached start with the HTTP response as a
      // stream (docker-modem `isStream`); nothing reads it, so it would hold
      // its socket to the engine open and keep the process alive for minutes
      // after the work is done. The exec has started once the answer came:
      // https://docs.docker.com/engine/api/v1.41/#tag/Exec/operation/ExecStart
      const started = (await exec.start({ Detach: true })) as Partial<Duplex> | undefined;
      started?.destroy?.();
      const deadline = Date.now() + KILL_GRACE_MS;
      while (Date.now() < deadline) {
        const info = await exec.inspect();
        if (!info.Running) return info.ExitCode === 0;
        await delay(20);
      }
      return false;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 3; i += 1) {
    if (await attempt()) return;
  }
  const inspected = await container.inspect().catch(() => undefined);
  const limit = inspected?.HostConfig.PidsLimit;
  if (limit !== undefined && limit !== null && limit > 0) {
    try {
      await container.update({ PidsLimit: limit + KILL_PID_HEADROOM });
      const ok = await attempt();
      await container.update({ PidsLimit: limit });
      if (ok) return;
    } catch {
      // fall through to the restart
    }
  }
  await container.restart({ t: 0 });
}

/**
 * Splits Docker's multiplexed attach stream: 8-byte headers (stream type,
 * then the payload size, big-endian) before each payload.
 * https://docs.docker.com/engine/api/v1.41/#operation/ContainerAttach
 */
export function demux(stream: Duplex, onStdout: (chunk: Buffer) => void, onStderr: (chunk: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  stream.on('data', (data: Buffer) => {
    pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const payload = pending.subarray(8, 8 + size);
      if (pending[0] === 2) onStderr(payload);
      else onStdout(payload);
      pending = pending.subarray(8 + size);
    }
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
