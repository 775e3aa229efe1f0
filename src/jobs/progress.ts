/**
 * Progress of a pipeline (fix or review), reported as it goes. The CLI draws
 * it on a terminal; the App (issue #5) updates its status comment and check
 * run from it, so the stages are the ones users see (design.md §5).
 */

/** The stages of a pipeline, in order (the App's status comment lists them so). */
export const STAGES = ['environment', 'baseline', 'agent', 'tests', 'review', 'publish', 'done'] as const;
export type Stage = (typeof STAGES)[number];

export interface ProgressEvent {
  stage: Stage;
  /** What is happening, for people: "building the environment image". */
  message: string;
  /** Which candidate (best-of-N), when the event is about one. */
  candidate?: number;
  /** Agent steps taken by that candidate so far. */
  step?: number;
}

/** Receives progress. It must not throw and must not block: it is called inline. */
export type ProgressListener = (event: ProgressEvent) => void;

/** A listener that ignores everything: the default. */
export const ignoreProgress: ProgressListener = () => undefined;
