/**
 * The setup pipeline (`/swe-bot setup`, `swe-bot setup`): the commands a
 * repository's tests run with, confirmed the way a fix would confirm them
 * (src/jobs/baseline.ts: detection, a remembered recipe, or the setup agent,
 * and a baseline run that counts), reported with where they came from, so a
 * maintainer can pin them in `.github/swe-bot.yml`. Nothing is fixed and no
 * model is asked unless detection fails.
 */
import type { EnvironmentConfig } from '../config/repo-config.ts';
import { describeError } from '../errors.ts';
import { countPassing } from '../harness/test-status.ts';
import type { EnvironmentSpec } from '../sandbox/detect.ts';
import type { EgressRefusal, SourceRef } from '../sandbox/sandbox.ts';
import { readSourceFile } from '../sandbox/source.ts';
import { openBaseline } from './baseline.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { ignoreProgress, type ProgressListener } from './progress.ts';

/** Where a repository keeps swe-bot's configuration. */
const REPO_CONFIG_PATH = '.github/swe-bot.yml';

export interface SetupInput {
  source: SourceRef;
  environment: EnvironmentConfig;
  job?: string;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export interface SetupResult {
  /** The commands, and where each came from. */
  environment: Pick<EnvironmentSpec, 'setup' | 'test' | 'logParser' | 'origin'>;
  tests: { total: number; passing: number; flaky: string[] };
  /** The baseline was read from an earlier run at this commit. */
  remembered: boolean;
  /** What the egress proxy refused while the environment was built for this request (none when cached). */
  egressRefused: EgressRefusal[];
  /** The repository's own `.github/swe-bot.yml` at the commit (not organisation defaults), which a pin edits; undefined when it has none. */
  currentConfig: string | undefined;
  timeMs: number;
}

export async function runSetup(deps: PipelineDeps, input: SetupInput): Promise<SetupResult> {
  const started = Date.now();
  const progress = input.onProgress ?? ignoreProgress;
  progress({ stage: 'environment', message: 'preparing the environment image (built unless cached)' });
  const detected = await deps.sandbox.detect(input.source, input.environment);
  const opened = await openBaseline(deps, { source: input.source, spec: detected, job: input.job, signal: input.signal }, progress);
  try {
    const { spec, run } = opened;
    // Twice, as a fix would: a pinned recipe whose tests are flaky should say so.
    const flaky = (await opened.flaky()) ?? [];
    progress({ stage: 'done', message: `${run.results.size} tests, ${countPassing(run.results)} passing, with \`${spec.test}\`` });
    return {
      environment: { setup: spec.setup, test: spec.test, logParser: spec.logParser, origin: spec.origin },
      tests: { total: run.results.size, passing: countPassing(run.results), flaky },
      remembered: opened.remembered,
      egressRefused: opened.env.egressRefused,
      currentConfig: (await readSourceFile(input.source, REPO_CONFIG_PATH))?.toString('utf8'),
      timeMs: Date.now() - started,
    };
  } finally {
    await opened.close();
    await deps.sandbox.release(opened.env).catch((error: unknown) => deps.logger.warn({ err: describeError(error) }, 'cannot apply the cache level'));
  }
}
