/**
 * GitHub's REST API description (`@octokit/openapi`), reduced to what request
 * validation and fake responses need. See ./openapi-validator.ts.
 *
 * The deref file is 73 MB; reading and parsing it takes about a second
 * and ~200 MB of heap. So it is read once per process, lazily, reduced to what
 * validation needs (operations, parameter and body schemas without their
 * prose, and one example per success response) and that reduction (~3 MB) is
 * cached under node_modules/.cache/, keyed by the package version and file
 * size, so later test processes load in a few tens of milliseconds.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
export type JsonSchema = Record<string, unknown>;
export type DescriptionName = 'api.github.com' | 'ghec' | `ghes-3.${number}`;

/** One operation of the description, as kept in the (cached) reduced form. */
export interface Operation {
  operationId: string;
  method: HttpMethod;
  /** Path template, e.g. `/repos/{owner}/{repo}/pulls/{pull_number}/reviews`. */
  path: string;
  parameters: { name: string; in: 'path' | 'query'; required: boolean; multiSegment: boolean; schema: JsonSchema }[];
  requestBody?: { required: boolean; content: Record<string, JsonSchema> };
  /** Success status codes (2xx/3xx) in ascending order. */
  successStatuses: number[];
  /** First example per success status, when the description has one. */
  examples: Record<string, unknown>;
  enabledForGitHubApps: boolean;
  deprecated: boolean;
}

// Part of the cache key: bump it whenever reduce() or stripProse() changes.
const CACHE_FORMAT = 1;
const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head']);
const require = createRequire(import.meta.url);
const cacheDir = fileURLToPath(new URL('../../node_modules/.cache/swe-bot-openapi/', import.meta.url));

export interface LoadStats { description: string; fromCache: boolean; ms: number; operations: number }
const loaded = new Map<string, { operations: Operation[]; stats: LoadStats }>();

/** The reduced description, loaded once per process (`stats` says how long that took). */
export function loadOperations(description: DescriptionName = 'api.github.com'): { operations: Operation[]; stats: LoadStats } {
  const hit = loaded.get(description);
  if (hit) return hit;
  const started = performance.now();
  const file = require.resolve(`@octokit/openapi/generated/${description}.deref.json`);
  const { version } = require('@octokit/openapi/package.json') as { version: string };
  const cacheFile = path.join(cacheDir, `${description}-${version}-${statSync(file).size}-v${CACHE_FORMAT}.json`);
  let operations: Operation[] | undefined;
  let fromCache = false;
  try {
    operations = JSON.parse(readFileSync(cacheFile, 'utf8')) as Operation[];
    fromCache = true;
  } catch {
    operations = reduce(JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, RawOperation>> });
    try {
      mkdirSync(cacheDir, { recursive: true });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(operations));
      renameSync(tmp, cacheFile); // atomic: parallel test processes never see half a file
    } catch { /* a read-only tree only costs the next process a second */ }
  }
  const result = { operations, stats: { description, fromCache, ms: Math.round(performance.now() - started), operations: operations.length } };
  loaded.set(description, result);
  return result;
}

interface RawOperation {
  operationId: string;
  deprecated?: boolean;
  parameters?: { name: string; in: string; required?: boolean; schema?: JsonSchema; 'x-multi-segment'?: boolean }[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { content?: Record<string, { examples?: Record<string, { value?: unknown }> }> }>;
  'x-github'?: { enabledForGitHubApps?: boolean };
}

function reduce(doc: { paths: Record<string, Record<string, RawOperation>> }): Operation[] {
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const successStatuses = Object.keys(op.responses ?? {}).map(Number).filter((s) => s >= 200 && s < 400).sort((a, b) => a - b);
      const examples: Record<string, unknown> = {};
      for (const status of successStatuses) {
        const first = Object.values(op.responses?.[status]?.content?.['application/json']?.examples ?? {})[0];
        if (first && 'value' in first) examples[status] = first.value;
      }
      const content: Record<string, JsonSchema> = {};
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) content[type] = stripProse(media.schema ?? {});
      operations.push({
        operationId: op.operationId,
        method: method.toUpperCase() as HttpMethod,
        path: template,
        parameters: (op.parameters ?? []).filter((p) => p.in === 'path' || p.in === 'query').map((p) => ({
          name: p.name, in: p.in as 'path' | 'query', required: p.required === true,
          multiSegment: p['x-multi-segment'] === true, schema: stripProse(p.schema ?? {}),
        })),
        ...(op.requestBody ? { requestBody: { required: op.requestBody.required === true, content } } : {}),
        successStatuses,
        examples,
        enabledForGitHubApps: op['x-github']?.enabledForGitHubApps !== false,
        deprecated: op.deprecated === true,
      });
    }
  }
  return operations;
}

export const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf'] as const;

/** Drops descriptions and examples from a schema, leaving property names (which may be "description") alone. */
function stripProse(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description' || key === 'example' || key === 'examples' || key === 'title' || key.startsWith('x-')) continue;
    if (key === 'properties' && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isObject(v) ? stripProse(v) : v]));
    } else if ((key === 'items' || key === 'additionalProperties' || key === 'not') && isObject(value)) {
      out[key] = stripProse(value);
    } else if ((SUBSCHEMA_LISTS as readonly string[]).includes(key) && Array.isArray(value)) {
      out[key] = value.map((v: unknown) => (isObject(v) ? stripProse(v) : v));
    } else {
      out[key] = value;
    }
  }
  return out;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A copy of the description's example response body for an operation (the
 * first success status unless `status` is given), or `undefined` if it has none.
 */
export function exampleResponse(operationId: string, status?: number, description?: DescriptionName): unknown {
  const operation = loadOperations(description).operations.find((o) => o.operationId === operationId);
  if (!operation) throw new Error(`no operation ${operationId} in GitHub's OpenAPI description`);
  const code = status ?? operation.successStatuses.find((s) => s < 300);
  const example = code === undefined ? undefined : operation.examples[code];
  return example === undefined ? undefined : structuredClone(example);
}
