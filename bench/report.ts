/**
 * Reporting for `npm run bench`: every measure is one JSON line on stdout
 *
 *   {"measure": "...", "ours": 1, "baseline": 2, "ratio": 0.5, "target": "<= 0.6", "met": true, "unit": "ms", "runs": 30}
 *
 * (`met` only when there is a target; `unit` and `runs` when known) and one
 * human-readable line on stderr. A missed target is marked, never fatal.
 */

export interface Measure {
  /** snake_case name, unique across all benches. */
  measure: string;
  /** What swe-bot does. */
  ours: number;
  /** The same job done by a baseline, measured in the same run on the same machine. */
  baseline: number;
  /** `<= 2.0`, `< 1`, `>= 0.5`, ... compared with ours / baseline; null: report only. */
  target: string | null;
  /**
   * For a target that is not a plain ratio (e.g. `<= 1.2x + 5ms`): decides
   * `met` instead of comparing the ratio with `target`, which is then only
   * printed. Ignored when `target` is null.
   */
  meets?: (ours: number, baseline: number) => boolean;
  unit?: string;
  /** Samples each median was taken over. */
  runs?: number;
  /** Extra fields for the JSON line (after the standard ones), e.g. `resolved`, `total`. */
  details?: Record<string, string | number | boolean>;
}

export interface MeasureResult extends Measure {
  ratio: number;
  /** undefined when there is no target. */
  met: boolean | undefined;
}

const results: MeasureResult[] = [];

/** Prints a measure (JSON on stdout, a line for people on stderr) and records it for the summary. */
export function report(measure: Measure): MeasureResult {
  const ratio = measure.baseline === 0 ? (measure.ours === 0 ? 1 : Infinity) : measure.ours / measure.baseline;
  const met =
    measure.target === null ? undefined : measure.meets ? measure.meets(measure.ours, measure.baseline) : meetsTarget(ratio, measure.target);
  const line: Record<string, unknown> = {
    measure: measure.measure,
    ours: round(measure.ours),
    baseline: round(measure.baseline),
    ratio: round(ratio),
    target: measure.target,
  };
  if (met !== undefined) line.met = met;
  if (measure.unit !== undefined) line.unit = measure.unit;
  if (measure.runs !== undefined) line.runs = measure.runs;
  for (const [key, value] of Object.entries(measure.details ?? {})) if (!(key in line)) line[key] = value;
  process.stdout.write(`${JSON.stringify(line)}\n`);

  const unit = measure.unit === undefined ? '' : ` ${measure.unit}`;
  const verdict = met === undefined ? 'report' : met ? `ok (${measure.target})` : `MISSED (${measure.target})`;
  const runs = measure.runs === undefined ? '' : `, ${measure.runs} runs`;
  const details = Object.entries(measure.details ?? {})
    .map(([key, value]) => `, ${key} ${String(value)}`)
    .join('');
  process.stderr.write(
    `${met === false ? '✗' : '•'} ${measure.measure}: ours ${fmt(measure.ours)}${unit} vs baseline ${fmt(measure.baseline)}${unit}` +
      ` → ratio ${fmt(ratio)} ${verdict}${runs}${details}\n`,
  );
  const result: MeasureResult = { ...measure, ratio, met };
  results.push(result);
  return result;
}

/** Every measure reported so far in this process. */
export function reported(): readonly MeasureResult[] {
  return results;
}

/** One line on stderr: how many targets were met, and which were missed. */
export function printSummary(failedBenches: string[] = []): void {
  const targeted = results.filter((r) => r.met !== undefined);
  const missed = targeted.filter((r) => r.met === false).map((r) => r.measure);
  const parts = [`bench: ${results.length} measures, ${targeted.length - missed.length}/${targeted.length} targets met`];
  if (missed.length > 0) parts.push(`MISSED: ${missed.join(', ')}`);
  if (failedBenches.length > 0) parts.push(`FAILED benches: ${failedBenches.join(', ')}`);
  process.stderr.write(`${parts.join('; ')}\n`);
}

/** `<= 2.0`, `<2`, `>= 0.5`, `> 1`, `== 1`. */
export function meetsTarget(ratio: number, target: string): boolean {
  const match = /^\s*(<=|>=|<|>|==)\s*(-?[\d.]+(?:e-?\d+)?)\s*$/i.exec(target);
  if (!match) throw new Error(`Unreadable bench target ${JSON.stringify(target)}`);
  const bound = Number(match[2]);
  switch (match[1]) {
    case '<=':
      return ratio <= bound;
    case '<':
      return ratio < bound;
    case '>=':
      return ratio >= bound;
    case '>':
      return ratio > bound;
    default:
      return ratio === bound;
  }
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('median of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs `fn` and returns how long it took in milliseconds, with its value. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

/** Four significant digits: enough for a ratio, short enough to read. */
function round(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Math.abs(value) >= 1000 ? Math.round(value) : Number(value.toPrecision(4));
}

function fmt(value: number): string {
  return String(round(value));
}
