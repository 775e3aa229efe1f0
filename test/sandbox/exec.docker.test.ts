/**
 * Commands that time out leave nothing behind in the swe-bot process: no
 * socket to the engine stays open to keep it alive once its work is done
 * (`swe-bot fix` used to linger ~300 s after a command timed out).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testSandbox } from '../helpers/sandbox.ts';

const FIXTURE = path.join(import.meta.dirname, '..', 'fixtures', 'timed-out-exec.ts');
/** The Node 24 that `npm ci` installed (the `node` devDependency), as test/helpers/cli.ts runs. */
const NODE_24 = path.join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'node');

let image: string;

beforeAll(async () => {
  image = (await testSandbox().ensureBaseImage('node')).tag;
});

describe('a timed-out command', () => {
  it('leaves no connection to the engine open: the process exits once its work is done', async () => {
    const child = spawn(NODE_24, [FIXTURE, image], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let doneAt: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (doneAt === undefined && output.includes('done ')) doneAt = Date.now();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
    clearTimeout(killer);
    const exitedAt = Date.now();
    expect(output).toContain('done [{"timedOut":true,"exitCode":137},{"timedOut":true,"exitCode":137}]');
    // Killed by the test (null) means something held the process open for 30 s.
    expect(code).toBe(0);
    expect(exitedAt - (doneAt ?? 0)).toBeLessThan(2_000);
  });
});
