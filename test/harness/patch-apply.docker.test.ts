/**
 * The patch apply chain and test runs in a real instance of the Node fixture.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKER } from '../../src/harness/markers.ts';
import { applyPatch } from '../../src/harness/patch-apply.ts';
import { runTests } from '../../src/harness/test-run.ts';
import type { Environment, Instance } from '../../src/sandbox/sandbox.ts';
import { fixtureRepo, type FixtureRepo } from '../helpers/git-fixture.ts';
import { testSandbox } from '../helpers/sandbox.ts';

const sandbox = testSandbox();
let repo: FixtureRepo;
let env: Environment;

beforeAll(async () => {
  repo = fixtureRepo('node-repo');
  env = await sandbox.ensureEnvironment(repo.source(), await sandbox.detect(repo.source()));
});
afterAll(() => repo?.remove());

function withBox<T>(fn: (box: Instance) => Promise<T>): Promise<T> {
  return sandbox.withInstance(env, repo.source(), fn);
}

const CLEAN_PATCH = `diff --git a/index.js b/index.js
--- a/index.js
+++ b/index.js
@@ -1,5 +1,6 @@
 'use strict';
 const isNumber = require('is-number');
+// added by a clean patch
 
 /** Adds two numbers; refuses anything that is not a number. */
 function add(a, b) {
`;

// The first context line differs from the file, and the line numbers are off:
// only patch(1) with fuzz takes it.
const FUZZY_PATCH = `--- a/index.js
+++ b/index.js
@@ -3,5 +3,6 @@
 'use strict'; // not quite the same
 const isNumber = require('is-number');
+// added by a fuzzy patch
 
 /** Adds two numbers; refuses anything that is not a number. */
 function add(a, b) {
`;

describe('the patch apply chain', () => {
  it('applies a clean patch with git apply and logs the marker', async () => {
    await withBox(async (box) => {
      const result = await applyPatch(box, CLEAN_PATCH);
      expect(result).toMatchObject({ applied: true, method: 'git apply', alreadyApplied: false });
      expect(result.log).toContain(MARKER.applied);
      expect((await box.readFile('/testbed/index.js')).toString()).toContain('// added by a clean patch');
    });
  });

  it('recognises a patch that is already applied', async () => {
    await withBox(async (box) => {
      await applyPatch(box, CLEAN_PATCH);
      const again = await applyPatch(box, CLEAN_PATCH);
      expect(again).toMatchObject({ applied: true, alreadyApplied: true });
      expect((await box.readFile('/testbed/index.js')).toString().match(/clean patch/g)).toHaveLength(1);
    });
  });

  it('falls back to patch --fuzz when git apply refuses the context', async () => {
    await withBox(async (box) => {
      const result = await applyPatch(box, FUZZY_PATCH);
      expect(result).toMatchObject({ applied: true, method: 'patch --fuzz=5' });
      expect(result.log).toContain('$ git apply --verbose --3way');
      expect(result.log).toMatch(/with fuzz/);
      expect((await box.readFile('/testbed/index.js')).toString()).toContain('// added by a fuzzy patch');
      // No backup files are left to leak into a later diff.
      expect((await box.exec('git status --porcelain')).stdout).toBe(' M index.js\n');
    });
  });

  it('reports a patch that applies nowhere and leaves the tree as it was', async () => {
    await withBox(async (box) => {
      await box.writeFile('/testbed/work-in-progress.txt', 'keep me\n');
      const partial = `${CLEAN_PATCH}diff --git a/missing.js b/missing.js
--- a/missing.js
+++ b/missing.js
@@ -1,2 +1,2 @@
-nothing here
+matches
 at all
`;
      const result = await applyPatch(box, partial);
      expect(result).toMatchObject({ applied: false, method: undefined });
      expect(result.log).toContain(MARKER.applyFailed);
      const status = await box.exec('git status --porcelain; find . -name "*.rej" -o -name "*.orig" | grep -v node_modules');
      expect(status.stdout).toBe('?? work-in-progress.txt\n');
      expect((await box.readFile('/testbed/index.js')).toString()).toBe(fs.readFileSync(`${repo.dir}/index.js`, 'utf8'));
      expect((await applyPatch(box, 'this is not a diff')).applied).toBe(false);
    });
  });
});

describe('test runs', () => {
  it('runs the test command between the markers and records the exit code', async () => {
    await withBox(async (box) => {
      const ok = await runTests(box, 'npm test', { timeoutMs: 120_000 });
      expect(ok).toMatchObject({ exitCode: 0, timedOut: false });
      expect(ok.log.startsWith(`${MARKER.testStart}\n`)).toBe(true);
      expect(ok.log).toContain(MARKER.testEnd);
      expect(ok.output).toMatch(/^\S+ pass 2$/m);
      const failing = await runTests(box, 'echo out; echo err >&2; exit 3', { timeoutMs: 30_000 });
      expect(failing).toMatchObject({ exitCode: 3, output: 'out\nerr\n' });
    });
  });

  it('cuts a run that hangs at its timeout and keeps the partial log', async () => {
    await withBox(async (box) => {
      const hung = await runTests(box, 'echo "started the suite"; sleep 1000', { timeoutMs: 1_500 });
      expect(hung.timedOut).toBe(true);
      expect(hung.output).toContain('started the suite');
      expect(hung.log).toContain(MARKER.timedOut);
      expect(hung.log).not.toContain(MARKER.testEnd);
    });
  });
});
