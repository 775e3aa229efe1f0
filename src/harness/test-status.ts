/**
 * What a log parser returns: every test the runner reported, by name, with
 * its status. Names follow ../shared/corpus/README.md ("Test names") so that
 * FAIL_TO_PASS / PASS_TO_PASS lists from datasets compare as strings.
 */
export const TEST_STATUSES = ['PASSED', 'FAILED', 'SKIPPED', 'ERROR', 'XFAIL'] as const;
export type TestStatus = (typeof TEST_STATUSES)[number];

/** Test name → status, in the order the runner reported them. */
export type TestResults = Map<string, TestStatus>;

/** A parser for one runner's output format. */
export interface LogParser {
  /** The name used in configs and datasets (`log_parser`), e.g. `tap`. */
  readonly name: string;
  /** Parses a test log (ANSI escapes may be present). Never throws on odd input. */
  parse(log: string): TestResults;
}

/**
 * Collects results, giving a name seen again ` (#2)`, ` (#3)`… in output
 * order (the corpus convention), so no result overwrites another.
 */
export class ResultCollector {
  readonly results: TestResults = new Map();
  readonly #seen = new Map<string, number>();

  add(name: string, status: TestStatus): void {
    const count = (this.#seen.get(name) ?? 0) + 1;
    this.#seen.set(name, count);
    this.results.set(count === 1 ? name : `${name} (#${count})`, status);
  }
}

export { stripAnsi } from '../util/ansi.ts';

/** True for the statuses SWE-bench counts as passing. */
export function isPassing(status: TestStatus | undefined): boolean {
  return status === 'PASSED' || status === 'XFAIL';
}

/** How many tests of a run pass ({@link isPassing}). */
export function countPassing(results: TestResults): number {
  let passing = 0;
  for (const status of results.values()) if (isPassing(status)) passing += 1;
  return passing;
}
