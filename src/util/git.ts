/**
 * Running git on the host. Prompts, pagers and credential helpers are off, so
 * git can neither hang waiting for input nor pick up a user's credentials.
 */
import { execFile } from 'node:child_process';

/** Default limit of one git command on the host. */
export const GIT_TIMEOUT_MS = 5 * 60_000;

export class GitError extends Error {
  readonly args: string[];
  readonly stderr: string;
  readonly exitCode: number | null;

  constructor(args: string[], exitCode: number | null, stderr: string) {
    super(`git ${args.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    this.name = 'GitError';
    this.args = args;
    this.stderr = stderr;
    this.exitCode = exitCode;
  }
}

const GIT_ENV: NodeJS.ProcessEnv = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_PAGER: 'cat',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_ASKPASS: 'true',
  GIT_AUTHOR_NAME: 'swe-bot',
  GIT_AUTHOR_EMAIL: 'swe-bot@localhost',
  GIT_COMMITTER_NAME: 'swe-bot',
  GIT_COMMITTER_EMAIL: 'swe-bot@localhost',
  LC_ALL: 'C',
};

export interface GitOptions {
  cwd: string;
  timeoutMs?: number;
  /** Return stdout as a Buffer (for file contents). */
  binary?: boolean;
  /** Extra environment (PATH and HOME come from the host). */
  env?: NodeJS.ProcessEnv;
  /** Exit codes besides 0 that are answers, not failures (`diff --no-index` exits 1 when the files differ). Default none. */
  okExitCodes?: readonly number[];
}

export function git(args: string[], options: GitOptions & { binary: true }): Promise<Buffer>;
export function git(args: string[], options: GitOptions): Promise<string>;
export function git(args: string[], options: GitOptions): Promise<string | Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-c', 'credential.helper=', '-c', 'core.hooksPath=/dev/null', ...args],
      {
        cwd: options.cwd,
        timeout: options.timeoutMs ?? GIT_TIMEOUT_MS,
        maxBuffer: 512 * 1024 * 1024,
        encoding: options.binary ? 'buffer' : 'utf8',
        // Only PATH and HOME pass through from the host: no tokens, no GIT_* overrides.
        // eslint-disable-next-line no-restricted-properties -- a child's search path, not configuration
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...GIT_ENV, ...options.env },
      },
      (error, stdout, stderr) => {
        const answered = error !== null && typeof error.code === 'number' && options.okExitCodes?.includes(error.code) === true;
        if (error && !answered) {
          const code = typeof error.code === 'number' ? error.code : null;
          reject(new GitError(args, code, String(stderr) || error.message));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}
