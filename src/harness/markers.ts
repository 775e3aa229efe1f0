/**
 * The log markers of SWE-bench's harness, so logs read the same as theirs and
 * tools written for SWE-bench logs work on ours.
 */
export const MARKER = {
  applied: '>>>>> Applied Patch',
  applyFailed: '>>>>> Patch Apply Failed',
  testStart: '>>>>> Start Test Output',
  testEnd: '>>>>> End Test Output',
  timedOut: '>>>>> Tests Timed Out',
} as const;
