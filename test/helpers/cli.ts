/** Running `swe-bot <command>` in-process with captured output. */
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
