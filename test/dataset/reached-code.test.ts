import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isReached, reachedCode } from '../../src/dataset/reached-code.ts';

const LIB = [
  "'use strict';", //                 1
  'function used(x) {', //            2
  '  if (x > 0) {', //                3
  '    return x;', //                 4
  '  }', //                           5
  '  return -x;', //                  6
  '}', //                             7
  'function unused(x) {', //          8
  '  return x * 2;', //               9
  '}', //                             10
  'module.exports = { used, unused };', // 11
  '',
].join('\n');

/** Runs a command with bash on the host, as a box's exec does in a container. */
const hostExec = (command: string, options: { timeoutMs: number }) =>
  new Promise<{ exitCode: number; stdout: string; stderr: string }>((resolve) => {
    execFile('bash', ['-c', command], { timeout: options.timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ exitCode: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('reachedCode', () => {
  it("gives the lines V8 saw run, from a real run of the tests: a branch not taken and a function never called are not reached", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-reach-'));
    dirs.push(root);
    fs.writeFileSync(path.join(root, 'lib.js'), LIB);
    fs.mkdirSync(path.join(root, 'node_modules', 'dep'), { recursive: true });
    fs.writeFileSync(path.join(root, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
    fs.writeFileSync(path.join(root, 'test.js'), "const { used } = require('./lib.js');\nrequire('./node_modules/dep/index.js');\nif (used(3) !== 3) process.exit(1);\n");
    const reached = await reachedCode(hostExec, 'node test.js', 60_000, root);
    expect(reached).toBeDefined();
    expect([...(reached?.keys() ?? [])].sort()).toEqual(['lib.js', 'test.js']);
    const lines = reached?.get('lib.js');
    if (lines === undefined || lines === 'loaded') throw new Error('no lines for lib.js');
    for (const line of [2, 3, 4]) expect(lines.has(line), `line ${line}`).toBe(true);
    for (const line of [6, 9]) expect(lines.has(line), `line ${line}`).toBe(false);
    expect(isReached(reached!, 'lib.js', 4)).toBe(true);
    expect(isReached(reached!, 'lib.js', 9)).toBe(false);
    // A .js file never loaded is not reached; a kind of file V8 saw none of is kept.
    expect(isReached(reached!, 'other.js', 1)).toBe(false);
    expect(isReached(reached!, 'src/a.ts', 1)).toBe(true);
  });

  it('says nothing when the run left no coverage of the repository', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-reach-'));
    dirs.push(root);
    expect(await reachedCode(hostExec, 'true', 60_000, root)).toBeUndefined();
  });

  it('takes only "loaded" from a file whose functions V8 places where the file does not name them (transformed code)', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-reach-'));
    dirs.push(root);
    fs.writeFileSync(path.join(root, 'lib.js'), LIB);
    // What a runner that compiled lib.js before running it reports: its functions at the compiled code's offsets.
    const coverage = { result: [{ url: `file://${root}/lib.js`, functions: [
      { functionName: 'used', ranges: [{ startOffset: 50, endOffset: 57, count: 1 }] },
      { functionName: 'unused', ranges: [{ startOffset: 60, endOffset: 70, count: 0 }] },
    ] }] };
    fs.writeFileSync(path.join(root, 'coverage.json'), JSON.stringify(coverage));
    const reached = await reachedCode(hostExec, 'mkdir -p "$NODE_V8_COVERAGE" && cp coverage.json "$NODE_V8_COVERAGE/"', 60_000, root);
    expect(reached?.get('lib.js')).toBe('loaded');
  });

  it('marks transformed files as loaded only', () => {
    const reached = new Map([['src/a.ts', 'loaded' as const]]);
    expect(isReached(reached, 'src/a.ts', 999)).toBe(true);
    expect(isReached(reached, 'src/b.ts', 1)).toBe(false);
  });
});
