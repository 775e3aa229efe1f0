/**
 * What the pipelines (fix.ts, review.ts) and the dataset tools built on them
 * need: the sandbox they run containers in, the model, and the logger of the
 * job (a child logger with its ids). The App's workers, the CLI commands and
 * the benchmarks all hand over this one shape.
 */
import type { Model } from '../agent/model.ts';
import type { Logger } from '../logger.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';

export interface PipelineDeps {
  sandbox: Sandbox;
  model: Model;
  logger: Logger;
}
