/**
 * An instance: a container from an environment image with the repository at
 * a commit in /testbed (working tree and .git, copied in through the Docker
 * API), a baseline ref for diffs, no network and the configured limits.
 * Everything the agent and the harness do in a sandbox goes through here.
 */
import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { SandboxError, describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { shellQuote } from '../util/shell-quote.ts';
import { readContainerFile, writeContainerFile, type WriteOptions } from './container-files.ts';
import { containerSpec, type ContainerSpecOptions } from './container-spec.ts';
import type { DiskLimit } from './disk-limit.ts';
import { execInContainer, type ExecOptions, type ExecResult } from './exec.ts';
import { ShellSession } from './shell-session.ts';
import { IMAGE_REPO, LABEL, labelsFor, type Owner } from './labels.ts';
import { checkoutCommit, type SourceRef } from './source.ts';
import { DIFF_LIST_SCRIPT, diffCommand, excludedPaths } from './diff-commands.ts';

export interface InstanceExecResult extends ExecResult {
  /** The kernel's OOM killer ended a process of this command (memory limit). */
  oomKilled: boolean;
}

export interface InstanceDeps {
  docker: Docker;
  logger: Logger;
  owner: Owner;
  limits: ContainerSpecOptions['limits'];
  /** Default exec timeout, ms. */
  execTimeoutMs: number;
  /** How long labels say a container may live before any reaper may remove it. */
  ttlMs: number;
  /** The disk limit, one per process (it remembers whether the engine takes a quota). Absent: none. */
  disk?: DiskLimit;
}

export interface CreateInstanceOptions {
  /** Job id for labels and logs. */
  job?: string;
  /** Called once the container exists, before anything else (cancellation registries). */
  onContainer?: (id: string) => void;
}

/**
 * Starts an instance from an environment image with `source` copied in.
 * On any failure the container is removed before the error propagates.
 */
export async function createInstance(
  deps: InstanceDeps,
  image: string,
  source: SourceRef,
  options: CreateInstanceOptions = {},
): Promise<Instance> {
  const labels = labelsFor('instance', {
    owner: deps.owner,
    ttlMs: deps.ttlMs,
    job: options.job,
    extra: source.name === undefined ? {} : { [LABEL.repo]: source.name },
  });
  const [created, checkout] = await Promise.allSettled([newContainer(deps, image, labels), checkoutCommit(source)]);
  if (created.status === 'rejected') {
    if (checkout.status === 'fulfilled') await checkout.value.remove();
    throw new SandboxError(`Cannot create a container from ${image}: ${describeError(created.reason)}`, {
      kind: 'transient',
      code: 'container_create_failed',
      cause: created.reason,
    });
  }
  const { container, watched } = created.value;
  const instance = new Instance(deps, container, source.commit, image);
  options.onContainer?.(container.id);
  try {
    if (checkout.status === 'rejected') throw checkout.reason;
    try {
      await container.putArchive(checkout.value.tar(), { path: '/testbed' });
    } finally {
      await checkout.value.remove();
    }
    await container.start();
    if (watched) instance.watchDisk();
    await instance.prepare();
    return instance;
  } catch (error) {
    await instance.remove();
    throw error;
  }
}

/** Starts an instance from a snapshot image (the repository is already inside). */
export async function startFromImage(
  deps: InstanceDeps,
  image: string,
  baseline: string,
  options: CreateInstanceOptions = {},
): Promise<Instance> {
  const labels = labelsFor('instance', { owner: deps.owner, ttlMs: deps.ttlMs, job: options.job });
  const { container, watched } = await newContainer(deps, image, labels);
  const instance = new Instance(deps, container, baseline, image);
  options.onContainer?.(container.id);
  try {
    await container.start();
    if (watched) instance.watchDisk();
    return instance;
  } catch (error) {
    await instance.remove();
    throw error;
  }
}

/** A container of `image` with the limits; `watched`: the disk limit needs the watchdog (the engine gave no quota). */
async function newContainer(deps: InstanceDeps, image: string, labels: Record<string, string>): Promise<{ container: Docker.Container; watched: boolean }> {
  const spec = (disk?: ContainerSpecOptions['disk']): Docker.ContainerCreateOptions =>
    containerSpec({ image, labels, network: 'none', limits: deps.limits, ...(disk === undefined ? {} : { disk }) });
  const limit = deps.disk;
  if (limit === undefined) return { container: await deps.docker.createContainer(spec()), watched: false };
  const { container, quota } = await limit.createContainer((withQuota) => spec({ bytes: limit.bytes, quota: withQuota }));
  return { container, watched: !quota };
}

/**
 * Marks what the environment build left in /testbed (dependencies, build
 * output) as excluded, so `git status` is clean and diffs show only changes
 * made in this instance; prints the OOM-kill counter of the container's cgroup.
 */
const PREPARE_SCRIPT = [
  'set -e',
  'git ls-files --others --exclude-standard --directory -z | while IFS= read -r -d "" f; do',
  "  printf '/%s\\n' \"$(printf '%s' \"$f\" | sed 's/[][*?\\\\!#]/\\\\&/g')\"",
  'done >> .git/info/exclude',
  oomCounterCommand(),
].join('\n');

function oomCounterCommand(): string {
  // cgroup v2 exposes memory.events, v1 memory.oom_control; both have `oom_kill N`.
  return 'cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null | grep "^oom_kill " || echo "oom_kill 0"';
}

function parseOomKills(text: string): number {
  return Number(/oom_kill (\d+)/.exec(text)?.[1] ?? 0);
}

export class Instance {
  readonly id = randomUUID();
  readonly container: Docker.Container;
  /** The commit diffs are taken against (also the ref refs/swe-bot/baseline). */
  readonly baseline: string;
  /** The image the container was made from. */
  readonly image: string;
  readonly #deps: InstanceDeps;
  // A fresh container's cgroup starts with no OOM kills.
  #oomKills = 0;
  #removed: Promise<void> | undefined;
  #session: Promise<ShellSession> | undefined;
  #failure: SandboxError | undefined;
  #stopDiskWatch: (() => void) | undefined;

  constructor(deps: InstanceDeps, container: Docker.Container, baseline: string, image: string) {
    this.#deps = deps;
    this.container = container;
    this.baseline = baseline;
    this.image = image;
  }

  get containerId(): string {
    return this.container.id;
  }

  /**
   * Set once the container passed its disk limit and was removed for it
   * (disk-limit.ts): every later call throws this error, and the agent loop
   * ends its run with the message.
   */
  get failure(): SandboxError | undefined {
    return this.#failure;
  }

  /** @internal Starts the disk watchdog, when the engine gave the container no storage quota. */
  watchDisk(): void {
    const limit = this.#deps.disk;
    if (limit === undefined || this.#stopDiskWatch !== undefined) return;
    this.#stopDiskWatch = limit.watch(this.container, (error) => {
      this.#failure ??= error;
      // Removed, not only killed: that frees the disk at once. A command
      // running now ends (its stream closes) and reports the failure.
      void this.remove();
    });
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure;
  }

  /** @internal Runs once after the source is copied in. */
  async prepare(): Promise<void> {
    const result = await this.exec(PREPARE_SCRIPT, { timeoutMs: 60_000 });
    if (result.exitCode !== 0) {
      throw new SandboxError(`Preparing /testbed failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
    }
    this.#oomKills = parseOomKills(result.stdout);
  }

  async #readOomKills(): Promise<number> {
    const result = await this.exec(oomCounterCommand(), { timeoutMs: 30_000 });
    return parseOomKills(result.stdout);
  }

  /**
   * The instance's shell session, started on first use and again after it
   * died (see shell-session.ts).
   */
  async #shell(): Promise<ShellSession | undefined> {
    const current = this.#session ? await this.#session.catch(() => undefined) : undefined;
    if (current && !current.dead) return current;
    this.#session = ShellSession.start(this.container);
    return this.#session.catch(() => undefined);
  }

  /**
   * Runs a bash command in /testbed. Commands go through the instance's shell
   * session when it is free; those that need standard input, another user,
   * or that overlap a running one get a Docker exec of their own.
   */
  async exec(command: string, options: ExecOptions = {}): Promise<InstanceExecResult> {
    this.#throwIfFailed();
    const settings = { timeoutMs: this.#deps.execTimeoutMs, ...options };
    const eligible = options.stdin === undefined && options.user === undefined && !command.includes('\0');
    const shell = eligible && this.#removed === undefined ? await this.#shell() : undefined;
    let result: ExecResult;
    try {
      result = shell?.available === true ? await shell.run(command, settings) : await execInContainer(this.container, command, settings);
    } catch (error) {
      throw this.#failure ?? error;
    }
    // The command was cut short by the removal: the limit, not its exit code, is what happened.
    this.#throwIfFailed();
    let oomKilled = false;
    // 137 = killed by SIGKILL, which is what the OOM killer sends.
    if (result.exitCode === 137 && !result.timedOut && !result.cancelled) {
      const before = this.#oomKills;
      this.#oomKills = await this.#readOomKills();
      oomKilled = this.#oomKills > before;
      if (!oomKilled) {
        const state = await this.container.inspect().catch(() => undefined);
        oomKilled = state?.State.OOMKilled === true;
      }
    }
    return { ...result, oomKilled };
  }

  async readFile(file: string): Promise<Buffer> {
    this.#throwIfFailed();
    try {
      return await readContainerFile(this.container, file);
    } catch (error) {
      throw this.#failure ?? error;
    }
  }

  async writeFile(file: string, content: string | Buffer, options: WriteOptions = {}): Promise<void> {
    this.#throwIfFailed();
    try {
      await writeContainerFile(this.container, file, content, options);
    } catch (error) {
      if (this.#failure) throw this.#failure;
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      const dir = file.slice(0, file.lastIndexOf('/')) || '/';
      const made = await this.exec(`mkdir -p -- ${shellQuote(dir)}`, { timeoutMs: 30_000 });
      if (made.exitCode !== 0) throw new SandboxError(`Cannot create ${dir}: ${made.stderr.trim()}`);
      await writeContainerFile(this.container, file, content, options);
    }
  }

  /**
   * The changes since the baseline as a unified diff that `git apply` takes:
   * tracked and new files, without binary files and without nested
   * repositories. The index of /testbed is left as it was.
   */
  async diff(): Promise<string> {
    const listing = await this.exec(DIFF_LIST_SCRIPT, { timeoutMs: 120_000 });
    if (listing.exitCode !== 0) throw new SandboxError(`git diff failed: ${listing.stderr.trim()}`, { code: 'diff_failed' });
    const result = await this.exec(diffCommand(excludedPaths(listing.stdout)), {
      timeoutMs: 120_000,
      maxOutputBytes: 64 * 1024 * 1024,
    });
    if (result.exitCode !== 0) throw new SandboxError(`git diff failed: ${result.stderr.trim()}`, { code: 'diff_failed' });
    return result.stdout;
  }

  /**
   * Ends every process in the container; files stay. What commands left in
   * the background (a server, a watcher, a fork bomb holding the pids limit)
   * would otherwise keep git from forking, or change files, while the diff is
   * read. A restart with `t=0` (SIGKILL, no grace: the main process is
   * `sleep infinity` under docker-init) ends them all whatever their state,
   * since the kernel kills a PID namespace with its init, in ~0.2 s.
   * https://docs.docker.com/engine/api/v1.41/#tag/Container/operation/ContainerRestart
   */
  async stopProcesses(): Promise<void> {
    this.#throwIfFailed();
    // The session's bash dies with the rest; the next command starts a new one.
    const session = this.#session;
    this.#session = undefined;
    void session?.then((shell) => shell.close(), () => undefined);
    try {
      await this.container.restart({ t: 0 });
    } catch (error) {
      throw this.#failure ?? new SandboxError(`Cannot restart container ${this.container.id.slice(0, 12)}: ${describeError(error)}`, { kind: 'transient', code: 'restart_failed', cause: error });
    }
  }

  /**
   * Freezes the container's state into an image, so N candidates can start
   * from exactly the same point (best-of-N).
   */
  async snapshot(options: CreateInstanceOptions = {}): Promise<Snapshot> {
    const tag = randomUUID().slice(0, 12);
    const labels = labelsFor('snapshot', { owner: this.#deps.owner, ttlMs: this.#deps.ttlMs, job: options.job });
    await this.container.commit({
      repo: IMAGE_REPO.snapshot,
      tag,
      pause: true,
      changes: Object.entries(labels).map(([key, value]) => `LABEL ${key}=${JSON.stringify(value)}`),
    });
    return new Snapshot(this.#deps, `${IMAGE_REPO.snapshot}:${tag}`, this.baseline);
  }

  /** Bytes this container added on top of its image. */
  async sizeBytes(): Promise<number> {
    // `size=1` makes the engine compute SizeRw (not in dockerode's types).
    const inspect = this.container.inspect.bind(this.container) as (options: { size: boolean }) => Promise<{ SizeRw?: number }>;
    const info = await inspect({ size: true });
    return info.SizeRw ?? 0;
  }

  /** Removes the container; safe to call more than once. */
  remove(): Promise<void> {
    this.#stopDiskWatch?.();
    void this.#session?.then((shell) => shell.close(), () => undefined);
    this.#removed ??= this.container.remove({ force: true, v: true }).then(
      () => undefined,
      (error: unknown) => {
        if ((error as { statusCode?: number }).statusCode === 404) return;
        this.#deps.logger.warn({ container: this.container.id, err: describeError(error) }, 'cannot remove container');
      },
    );
    return this.#removed;
  }
}

export class Snapshot {
  readonly image: string;
  readonly baseline: string;
  readonly #deps: InstanceDeps;

  constructor(deps: InstanceDeps, image: string, baseline: string) {
    this.#deps = deps;
    this.image = image;
    this.baseline = baseline;
  }

  start(options: CreateInstanceOptions = {}): Promise<Instance> {
    return startFromImage(this.#deps, this.image, this.baseline, options);
  }

  async remove(): Promise<void> {
    await this.#deps.docker
      .getImage(this.image)
      .remove({ force: true })
      .catch((error: unknown) => {
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      });
  }
}
