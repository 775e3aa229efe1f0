/**
 * A long-lived bash inside an instance that runs commands sent over its
 * standard input, so a command costs one write and one read instead of a
 * Docker exec (create, start, attach, inspect), which takes ~50 ms in runc.
 * Agents run hundreds of small commands; this is where their time would go.
 *
 * Protocol (all fields NUL-terminated): id, cwd, number of env entries, the
 * `K=V` entries, command. The server runs the command in a subshell with
 * SWE_BOT_EXEC_ID=id exported (so the kill-by-environment of exec.ts finds
 * the whole tree) and standard input from /dev/null, then writes an end
 * marker carrying the id and the exit code to both stdout and stderr: Docker
 * forwards the two pipes independently, so only a marker on each tells that
 * both streams are complete.
 *
 * A command ends when its main process ends; processes it left in the
 * background keep running, and output they write while no command runs is
 * dropped.
 */
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { CommandRun, demux, type ExecOptions, type ExecResult } from './exec.ts';

const SERVER_SCRIPT = [
  "while IFS= read -r -d '' id && IFS= read -r -d '' cwd && IFS= read -r -d '' count; do",
  '  vars=()',
  "  for ((i = 0; i < count; i++)); do IFS= read -r -d '' kv; vars+=(\"$kv\"); done",
  "  IFS= read -r -d '' cmd",
  '  ( cd "$cwd" && export SWE_BOT_EXEC_ID="$id" "${vars[@]}" && exec /bin/bash -c "$cmd" ) </dev/null',
  '  code=$?',
  "  printf '\\0SWEBOT-END:%s:%d\\0' \"$id\" \"$code\"",
  "  printf '\\0SWEBOT-END:%s:%d\\0' \"$id\" \"$code\" >&2",
  'done',
].join('\n');

interface StreamState {
  pending: Buffer;
  done: boolean;
}

interface Running {
  marker: Buffer;
  stdout: StreamState;
  stderr: StreamState;
  exitCode: number | undefined;
  onStdout: (chunk: Buffer) => void;
  onStderr: (chunk: Buffer) => void;
  finish: () => void;
}

export class ShellSession {
  readonly #container: Docker.Container;
  readonly #stream: Duplex;
  #running: Running | undefined;
  #dead = false;

  private constructor(container: Docker.Container, stream: Duplex) {
    this.#container = container;
    this.#stream = stream;
    demux(
      stream,
      (chunk) => this.#onData('stdout', chunk),
      (chunk) => this.#onData('stderr', chunk),
    );
    const died = (): void => {
      this.#dead = true;
      // An ended stream whose socket is not destroyed keeps the process alive.
      stream.destroy();
      this.#running?.finish();
    };
    stream.once('end', died);
    stream.once('close', died);
    stream.once('error', died);
  }

  /** Starts the server bash in the container (as the container's user). */
  static async start(container: Docker.Container): Promise<ShellSession> {
    const exec = await container.exec({
      Cmd: ['/bin/bash', '-c', SERVER_SCRIPT],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      WorkingDir: '/testbed',
    });
    const stream = (await exec.start({ hijack: true, stdin: true }));
    return new ShellSession(container, stream);
  }

  /** True when a command can be sent now. */
  get available(): boolean {
    return !this.#dead && this.#running === undefined;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Runs a command; the caller checks `available` first. */
  async run(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (!this.available) throw new Error('shell session busy or closed');
    const run = new CommandRun(this.#container, options);
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const running: Running = {
      marker: Buffer.from(`\0SWEBOT-END:${run.execId}:`),
      stdout: { pending: Buffer.alloc(0), done: false },
      stderr: { pending: Buffer.alloc(0), done: false },
      exitCode: undefined,
      onStdout: run.onStdout,
      onStderr: run.onStderr,
      finish: () => finish(),
    };
    this.#running = running;
    run.arm();
    const env = Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`);
    const fields = [run.execId, options.cwd ?? '/testbed', String(env.length), ...env, command];
    this.#stream.write(Buffer.from(fields.map((field) => `${field}\0`).join(''), 'utf8'));
    try {
      await finished;
    } finally {
      this.#running = undefined;
      await run.settle();
    }
    // No marker: the server died with the command (a restart after a failed
    // kill, the OOM killer); report the command as killed.
    return run.result(running.exitCode ?? 137);
  }

  close(): void {
    this.#dead = true;
    this.#stream.destroy();
  }

  #onData(which: 'stdout' | 'stderr', chunk: Buffer): void {
    const running = this.#running;
    // Output of background processes left by earlier commands.
    if (!running) return;
    const state = running[which];
    if (state.done) return;
    const emit = which === 'stdout' ? running.onStdout : running.onStderr;
    const data = state.pending.length === 0 ? chunk : Buffer.concat([state.pending, chunk]);
    const at = data.indexOf(running.marker);
    if (at === -1) {
      // Hold back only a tail that could be the start of a marker split
      // across chunks; everything else streams out at once.
      const keepFrom = partialMarkerStart(data, running.marker);
      if (keepFrom > 0) emit(data.subarray(0, keepFrom));
      state.pending = Buffer.from(data.subarray(keepFrom));
      return;
    }
    if (at > 0) emit(data.subarray(0, at));
    const end = data.indexOf(0, at + running.marker.length);
    if (end === -1) {
      state.pending = Buffer.from(data.subarray(at));
      return;
    }
    if (which === 'stdout') running.exitCode = Number(data.subarray(at + running.marker.length, end).toString('ascii'));
    state.pending = Buffer.alloc(0);
    state.done = true;
    if (running.stdout.done && running.stderr.done) running.finish();
  }
}

/** Where a suffix of `data` that is a proper prefix of `marker` begins (data.length when none). */
export function partialMarkerStart(data: Buffer, marker: Buffer): number {
  for (let i = Math.max(0, data.length - marker.length + 1); i < data.length; i += 1) {
    if (data[i] === marker[0] && data.subarray(i).equals(marker.subarray(0, data.length - i))) return i;
  }
  return data.length;
}
