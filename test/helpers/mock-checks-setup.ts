/**
 * A setup file of every vitest project (vitest.config.ts): runs the GitHub
 * mock's end-of-test checks (./mock-checks.ts). Its hooks are registered
 * before the test file's, so `beforeEach` runs first and, hooks being run
 * as a stack, `afterEach` / `afterAll` run last: after the test's own
 * clean-up has stopped the app and closed the mock.
 */
import { afterAll, afterEach, beforeEach } from 'vitest';
import { fileFinished, MockCheckError, testFinished, testStarted } from './mock-checks.ts';

beforeEach(() => {
  testStarted();
});

afterEach((context) => {
  const problems = testFinished(context.task.result?.state === 'fail');
  if (problems.length) throw new MockCheckError(problems);
});

afterAll(() => {
  const problems = fileFinished();
  if (problems.length) throw new MockCheckError(problems);
});
