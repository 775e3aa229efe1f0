/**
 * SWE-bench datasets and predictions (design.md §8): JSONL, one object a
 * line. FAIL_TO_PASS / PASS_TO_PASS may be lists or JSON-encoded lists, as
 * SWE-bench ships them. A bad line is reported with its number and the
 * others still load.
 */
import { z } from 'zod';

const NameList = z
  .union([z.array(z.string()), z.string()])
  .transform((value, ctx) => {
    if (Array.isArray(value)) return value;
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'must be a list of test names or a JSON-encoded list' });
    return z.NEVER;
  });

export const SpecSchema = z.object({
  language: z.enum(['node', 'python']),
  base_image: z.string().min(1).optional(),
  node_version: z.union([z.string(), z.number()]).transform(String).optional(),
  install: z.array(z.string()).default([]),
  test_cmd: z.string().min(1),
  log_parser: z.string().min(1).default('auto'),
  timeout_s: z.number().positive().optional(),
});

export const InstanceSchema = z.object({
  instance_id: z.string().min(1),
  repo: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'must be owner/name'),
  base_commit: z.string().regex(/^[0-9a-f]{7,40}$/i, 'must be a commit id'),
  patch: z.string().default(''),
  test_patch: z.string().default(''),
  problem_statement: z.string().default(''),
  version: z.union([z.string(), z.number()]).transform(String).optional(),
  FAIL_TO_PASS: NameList,
  PASS_TO_PASS: NameList.default([]),
  spec: SpecSchema.optional(),
});

export type DatasetInstance = z.infer<typeof InstanceSchema>;
export type InstanceSpec = z.infer<typeof SpecSchema>;

export const PredictionSchema = z.object({
  instance_id: z.string().min(1),
  model_name_or_path: z.string().default('unknown'),
  model_patch: z.string().nullable().transform((patch) => patch ?? ''),
});

export type Prediction = z.infer<typeof PredictionSchema>;

export interface LineProblem {
  line: number;
  message: string;
}

export interface Parsed<T> {
  items: T[];
  problems: LineProblem[];
}

/** Parses JSONL text with a schema; blank lines are skipped. */
export function parseJsonl<T>(text: string, schema: z.ZodType<T>): Parsed<T> {
  const items: T[] = [];
  const problems: LineProblem[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problems.push({ line, message: `not valid JSON: ${(error as Error).message}` });
      return;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(line)'}: ${issue.message}`);
      problems.push({ line, message: issues.join('; ') });
      return;
    }
    items.push(parsed.data);
  });
  return { items, problems };
}

export function parseDataset(text: string): Parsed<DatasetInstance> {
  const parsed = parseJsonl(text, InstanceSchema);
  // A repeated id would make the report ambiguous: keep the first.
  const seen = new Set<string>();
  const items: DatasetInstance[] = [];
  for (const item of parsed.items) {
    if (seen.has(item.instance_id)) {
      parsed.problems.push({ line: 0, message: `instance ${item.instance_id} appears more than once; the first is used` });
      continue;
    }
    seen.add(item.instance_id);
    items.push(item);
  }
  return { items, problems: parsed.problems };
}

/** The instances named in `ids` (all of them when none are named), in dataset order. */
export function selectInstances(instances: DatasetInstance[], ids: readonly string[] | undefined): DatasetInstance[] {
  if (ids === undefined || ids.length === 0) return instances;
  const wanted = new Set(ids);
  return instances.filter((instance) => wanted.has(instance.instance_id));
}

export type PredictionSource = 'gold' | 'empty' | { file: string; text: string };

export interface PredictionSet {
  byId: Map<string, Prediction>;
  /** Predictions whose instance the dataset lacks. */
  unknown: string[];
  problems: LineProblem[];
}

/** The predictions for a dataset: the gold patches, empty ones, or a JSONL file. */
export function resolvePredictions(source: PredictionSource, instances: DatasetInstance[]): PredictionSet {
  const byId = new Map<string, Prediction>();
  if (source === 'gold' || source === 'empty') {
    for (const instance of instances) {
      byId.set(instance.instance_id, {
        instance_id: instance.instance_id,
        model_name_or_path: source,
        model_patch: source === 'gold' ? instance.patch : '',
      });
    }
    return { byId, unknown: [], problems: [] };
  }
  const parsed = parseJsonl(source.text, PredictionSchema);
  const known = new Set(instances.map((instance) => instance.instance_id));
  const unknown: string[] = [];
  for (const prediction of parsed.items) {
    if (!known.has(prediction.instance_id)) unknown.push(prediction.instance_id);
    else byId.set(prediction.instance_id, prediction);
  }
  return { byId, unknown, problems: parsed.problems };
}
