/**
 * Build failures classified from what real tools printed
 * (test/fixtures/build-logs, recorded in swe-bot's base images): an
 * untrusted certificate and a failing step are permanent, a network failure
 * is transient.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXTRA_CA_HINT, INSTALL_NODE_EXIT, classifyBuildFailure } from '../../src/sandbox/build-failure.ts';

const log = (name: string): string => fs.readFileSync(new URL(`../fixtures/build-logs/${name}`, import.meta.url), 'utf8');

describe('classifyBuildFailure', () => {
  it.each(['pip-untrusted.txt', 'npm-untrusted.txt', 'git-untrusted.txt'])(
    'calls an untrusted certificate permanent and names SWE_BOT_EXTRA_CA_CERTS (%s)',
    (name) => {
      const failure = classifyBuildFailure({ log: log(name) });
      expect(failure).toEqual({ kind: 'permanent', reason: 'a TLS certificate was not trusted', hint: EXTRA_CA_HINT });
      expect(failure.hint).toContain('SWE_BOT_EXTRA_CA_CERTS');
    },
  );

  it.each(['apt-offline.txt', 'pip-offline.txt', 'npm-offline.txt', 'npm-refused.txt'])(
    'calls a network failure transient (%s)',
    (name) => {
      expect(classifyBuildFailure({ log: log(name) })).toMatchObject({ kind: 'transient' });
    },
  );

  it('calls a step that fails on its own permanent', () => {
    expect(classifyBuildFailure({ log: log('npm-ci-nolock.txt') })).toEqual({ kind: 'permanent', reason: 'a build step failed' });
    expect(classifyBuildFailure({ log: 'FAIL test/a.test.js\n1 failing\n' })).toMatchObject({ kind: 'permanent' });
  });

  it('gives the exit codes 4 and 75 a meaning only for swe-bot-install-node', () => {
    const other = (code: number) => `The command '/bin/sh -c make setup' returned a non-zero code: ${code}`;
    expect(classifyBuildFailure({ log: 'make: *** [setup] Error 4\n', message: other(4) })).toEqual({ kind: 'permanent', reason: 'a build step failed' });
    expect(classifyBuildFailure({ log: 'make: *** [setup] Error 75\n', message: other(75) }).kind).toBe('permanent');
    expect(classifyBuildFailure({ log: '', installNodeExit: INSTALL_NODE_EXIT.untrustedCertificate }).hint).toBe(EXTRA_CA_HINT);
    expect(classifyBuildFailure({ log: '', installNodeExit: INSTALL_NODE_EXIT.network }).kind).toBe('transient');
  });

  it('calls a Dockerfile error permanent', () => {
    const message = 'COPY failed: file not found in build context or excluded by .dockerignore: stat ca/: file does not exist';
    expect(classifyBuildFailure({ log: 'Step 2/9 : COPY ca/ /usr/local/share/ca-certificates/swe-bot/\n', message })).toMatchObject({
      kind: 'permanent',
    });
  });

  it("reads swe-bot-install-node's exit code from either builder's message", () => {
    const classic = (code: number) => `The command '/bin/sh -c swe-bot-install-node --node 24.22.3 --npm 12.2.3 /opt/node-24' returned a non-zero code: ${code}`;
    const buildkit = (code: number) => `process "/bin/sh -c swe-bot-install-node ..." did not complete successfully: exit code: ${code}`;
    for (const message of [classic, buildkit]) {
      expect(classifyBuildFailure({ log: '', message: message(INSTALL_NODE_EXIT.network) }).kind).toBe('transient');
      expect(classifyBuildFailure({ log: '', message: message(INSTALL_NODE_EXIT.untrustedCertificate) })).toMatchObject({
        kind: 'permanent',
        hint: EXTRA_CA_HINT,
      });
      expect(classifyBuildFailure({ log: '', message: message(INSTALL_NODE_EXIT.notFound) }).kind).toBe('permanent');
    }
  });

  it('reads only the end of the log: an old network message does not make a later failure transient', () => {
    const early = 'npm warn a test printed ECONNREFUSED while checking the database\n';
    const later = Array.from({ length: 200 }, (_, index) => `compiling file ${index}`).join('\n');
    expect(classifyBuildFailure({ log: `${early}${later}\nerror TS2322: Type 'string' is not assignable\n` }).kind).toBe(
      'permanent',
    );
  });

  it('ignores terminal colours around the words it looks for', () => {
    expect(classifyBuildFailure({ log: '\u001b[91mnpm error code \u001b[1mECONNRESET\u001b[0m\n' }).kind).toBe('transient');
  });
});
