/** Running `swe-bot <command>` in-process with captured output. */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import { testEnv } from './test-config.ts';

export interface Captured {
  stream: Writable;
  text: () => string;
}

export function capture(): Captured {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with the test environment plus `overrides`. */
export async function runCli(args: string[], overrides: Record<string, string | undefined> = {}): Promise<CliRun> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(args, { stdout: stdout.stream, stderr: stderr.stream, env: testEnv(overrides) });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Where the repository is, and the Node 24 that `npm ci` installed (the `node` devDependency). */
const ROOT = new URL('../../', import.meta.url).pathname;
const NODE_24 = `${ROOT}node_modules/.bin/node`;

export interface BinRun extends CliRun {
  /** Wall time, ms. */
  ms: number;
}

/**
 * Runs `bin/swe-bot.js <args>` as a child process, as `npx swe-bot` does,
 * with the test environment plus `overrides` (undefined removes a variable).
 * Killed after `timeoutMs`; its exit code is then -1.
 */
export function runBin(args: string[], overrides: Record<string, string | undefined> = {}, timeoutMs = 20_000): Promise<BinRun> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(NODE_24, ['bin/swe-bot.js', ...args], { cwd: ROOT, env: testEnv(overrides), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
    });
  });
}
