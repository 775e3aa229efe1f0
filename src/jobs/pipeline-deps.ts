/**
 * What the pipelines (fix.ts, review.ts) and the dataset tools built on them
 * need: the sandbox they run containers in, the model, and the logger of the
 * job (a child logger with its ids). The App's workers, the CLI commands and
 * the benchmarks all hand over this one shape.
 */
import type { Model } from '../agent/model.ts';
import type { Logger } from '../logger.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { SecretRedactor } from '../util/secret-redactor.ts';

export interface PipelineDeps {
  sandbox: Sandbox;
  model: Model;
  logger: Logger;
  /** The process's secret redactor: what the pipelines write to disk (trajectories, results) goes through it. Default: nothing redacted. */
  redactor?: SecretRedactor;
}

/** The redactor as the agent loop takes it (`{}` without one). */
export function redactorOf(deps: Pick<PipelineDeps, 'redactor'>): { redactor?: SecretRedactor } {
  return deps.redactor === undefined ? {} : { redactor: deps.redactor };
}

/** `text` cleaned of known secrets, for files written to disk; the patch itself is never passed through (it is the change). */
export function redactText(deps: Pick<PipelineDeps, 'redactor'>, text: string): string {
  return deps.redactor?.redact(text) ?? text;
}
