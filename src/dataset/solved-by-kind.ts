/**
 * The solve rate per bug kind of a dataset `swe-bot smith` wrote (issue #13):
 * each instance's line says its kind (`smith.kind`), the evaluation report
 * says which were resolved. Kept apart from smith.ts so `swe-bot evaluate`
 * does not load the TypeScript compiler to print it.
 */
import type { EvaluationReport } from './evaluate.ts';

/** Instances and resolved ones of one bug kind. */
export interface KindRate {
  instances: number;
  resolved: number;
}

/**
 * Instances and resolved ones per bug kind, for a dataset `swe-bot smith`
 * wrote (each line's `smith.kind`); empty for a dataset without kinds.
 */
export function solvedByKind(datasetText: string, report: Pick<EvaluationReport, 'resolved_ids'>): Record<string, KindRate> {
  const resolved = new Set(report.resolved_ids);
  const out: Record<string, KindRate> = {};
  for (const line of datasetText.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue; // evaluate reports unreadable lines itself
    }
    const { instance_id: id, smith } = (parsed ?? {}) as { instance_id?: unknown; smith?: { kind?: unknown } };
    if (typeof id !== 'string' || typeof smith?.kind !== 'string') continue;
    const rate = (out[smith.kind] ??= { instances: 0, resolved: 0 });
    rate.instances += 1;
    if (resolved.has(id)) rate.resolved += 1;
  }
  return out;
}
