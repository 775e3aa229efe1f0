/**
 * Strict by default: the checks the GitHub mock (./github-api.ts) gets when a
 * test ends, so that a test fails on a request nobody declared, on a request
 * to a host that is not mocked, and on a declared call that never came, even
 * when the app swallowed the error response and the test did not call
 * `gh.done()`. ./mock-checks-setup.ts, a setup file of every vitest project,
 * calls these around each test and file.
 *
 * Bookkeeping only, no nock: the setup file runs for every test file, and
 * importing nock would put its interception under tests that never mock.
 *
 * A mock belongs to the test that created it (in `beforeEach` or in the test)
 * and is checked in full, then closed, after that test. One created in
 * `beforeAll` or at the top of a file serves several tests: after each test
 * only its new bad requests are reported (they came from that test), and its
 * unused declared calls at the end of the file.
 */

export interface CheckedMock {
  /**
   * What went wrong and was not reported to the test yet; marks it reported.
   * `unused`: also the declared calls that did not happen as often as declared.
   */
  unreported(unused: boolean): string[];
  close(): void;
}

type Owner = 'test' | 'file';

const mocks = new Map<CheckedMock, Owner>();
const strays: string[] = [];
let running: Owner = 'file';

export function trackMock(mock: CheckedMock): void {
  mocks.set(mock, running);
}

/** A problem that belongs to no mock (a request to an unmocked host while none is open). */
export function recordStray(problem: string): void {
  strays.push(problem);
}

export function testStarted(): void {
  running = 'test';
}

/**
 * After each test: the problems to fail it with. When the test failed on its
 * own, declared calls left unused are most likely its consequence and are
 * not reported; bad requests still are, as they may be its cause.
 */
export function testFinished(testFailed: boolean): string[] {
  running = 'file';
  const problems = strays.splice(0);
  for (const [mock, owner] of mocks) {
    if (owner === 'test') {
      problems.push(...mock.unreported(!testFailed));
      mock.close();
      mocks.delete(mock);
    } else {
      problems.push(...mock.unreported(false));
    }
  }
  return problems;
}

/** After the file: what the mocks that outlived its tests still have to report. */
export function fileFinished(): string[] {
  const problems = strays.splice(0);
  for (const mock of mocks.keys()) {
    problems.push(...mock.unreported(true));
    mock.close();
  }
  mocks.clear();
  return problems;
}

export class MockCheckError extends Error {
  constructor(problems: string[]) {
    super(`${problems.length} problem(s) with the mocked GitHub API that the test did not check:\n- ${problems.join('\n- ')}`);
    this.name = 'MockCheckError';
  }
}
