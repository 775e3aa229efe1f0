/**
 * One error taxonomy for all of swe-bot, classified where errors enter
 * (Docker, git, the model, GitHub):
 * - transient: worth retrying with backoff (an engine restarting, a registry
 *   dropping a connection, a 5xx);
 * - permanent: retrying cannot help (bad config, a setup command that fails,
 *   a patch that does not apply). The queue turns these into BullMQ's
 *   `UnrecoverableError` and the user gets `message` as the explanation.
 *
 * `message` is written for the person who has to act on it; `hint` says how.
 * How an error of any origin is read against this taxonomy: error-kind.ts.
 */
export type ErrorKind = 'transient' | 'permanent';

export interface SweBotErrorOptions {
  kind: ErrorKind;
  /** Stable machine-readable code, e.g. `docker_unreachable`. */
  code: string;
  /** What to do about it. */
  hint?: string;
  cause?: unknown;
}

export class SweBotError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly hint: string | undefined;

  constructor(message: string, options: SweBotErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = options.kind;
    this.code = options.code;
    this.hint = options.hint;
  }

  get transient(): boolean {
    return this.kind === 'transient';
  }
}

/** The environment or a config file is invalid. Permanent. */
export class ConfigError extends SweBotError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { kind: 'permanent', code: 'config_invalid', ...options });
  }
}

/** The Docker engine cannot be reached. Transient: engines restart. */
export class DockerUnavailableError extends SweBotError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { kind: 'transient', code: 'docker_unreachable', ...options });
  }
}

/** An image (base or environment) could not be built. */
export class ImageBuildError extends SweBotError {
  /** The command that failed, when a setup command failed. */
  readonly command: string | undefined;
  /** The last lines of the build output. */
  readonly logTail: string;
  /** Where the full build log is kept. */
  readonly logFile: string | undefined;
  /** Hosts the egress proxy refused during the build (src/sandbox/egress-proxy.ts): often why it failed. */
  readonly egressRefused: ReadonlyArray<{ host: string; port: number; command: string | undefined; reason: string }>;

  constructor(
    message: string,
    options: {
      kind?: ErrorKind;
      command?: string;
      logTail: string;
      logFile?: string;
      hint?: string;
      cause?: unknown;
      egressRefused?: ImageBuildError['egressRefused'];
    },
  ) {
    super(message, { kind: options.kind ?? 'permanent', code: 'image_build_failed', ...stripKind(options) });
    this.command = options.command;
    this.logTail = options.logTail;
    this.logFile = options.logFile;
    this.egressRefused = options.egressRefused ?? [];
  }
}

/** No recipe ran a repository's tests (detection's, then the setup agent's proposals): each one tried, with the end of its log. */
export class NoTestRecipeError extends SweBotError {
  readonly attempts: ReadonlyArray<{ recipe: string; problem: string; logTail: string }>;

  constructor(message: string, options: { attempts: NoTestRecipeError['attempts']; hint: string }) {
    super(message, { kind: 'permanent', code: 'no_test_recipe', hint: options.hint });
    this.attempts = options.attempts;
  }
}

/** Something went wrong inside the sandbox (a container vanished, a copy failed). */
export class SandboxError extends SweBotError {
  constructor(message: string, options: { kind?: ErrorKind; code?: string; hint?: string; cause?: unknown } = {}) {
    super(message, { kind: options.kind ?? 'permanent', code: options.code ?? 'sandbox_failed', ...stripKind(options) });
  }
}

function stripKind(options: { hint?: string; cause?: unknown }): { hint?: string; cause?: unknown } {
  const out: { hint?: string; cause?: unknown } = {};
  if (options.hint !== undefined) out.hint = options.hint;
  if (options.cause !== undefined) out.cause = options.cause;
  return out;
}

/** How deep {@link causeChain} follows `cause`: wrappers nest a few levels, never more. */
const MAX_CAUSE_DEPTH = 8;

/** `error`, then its `cause`, that one's `cause`, … (at most eight). */
export function* causeChain(error: unknown): Generator<unknown> {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current !== undefined && current !== null; depth += 1) {
    yield current;
    current = typeof current === 'object' && 'cause' in current ? current.cause : undefined;
  }
}

/** The first of swe-bot's own errors along the `cause` chain, where the error was classified. */
export function findSweBotError(error: unknown): SweBotError | undefined {
  for (const link of causeChain(error)) if (link instanceof SweBotError) return link;
  return undefined;
}

/** A short, single-line description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
