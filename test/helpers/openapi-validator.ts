/**
 * Checks HTTP requests against GitHub's REST API description, so that a test
 * whose fake GitHub answers "201 Created" also proves that the request it
 * answered would have been accepted by the real GitHub: right route, path
 * parameters of the right type, known query parameters, and a JSON body that
 * matches the operation's `requestBody` schema.
 *
 * The description is GitHub's own OpenAPI 3.0 document as packaged by
 * `@octokit/openapi` (`generated/api.github.com.deref.json`, every `$ref`
 * already inlined). Reference: https://docs.github.com/en/rest and
 * https://github.com/github/rest-api-description.
 *
 * ```ts
 * const { operationId } = validateRequest({
 *   method: 'POST',
 *   url: 'https://api.github.com/repos/o/r/pulls/1/reviews',
 *   body: { event: 'COMMENT', body: 'LGTM', comments: [{ path: 'a.ts', line: 3, body: 'nit' }] },
 * }); // 'pulls/create-review'; a bad request throws an OpenApiValidationError
 * ```
 *
 * Loading and caching the description: ./openapi-description.ts. Schemas
 * are compiled with ajv per operation on first use, never all up front.
 *
 * What the description says that a plain JSON Schema validator would get
 * wrong (see `toJsonSchema`):
 * - OpenAPI 3.0 `nullable: true` is not JSON Schema. ajv understands it next
 *   to `type` but throws when it stands next to `oneOf`/`anyOf` only (13
 *   request schemas do that) and does not add `null` to an `enum` (11 do, for
 *   example `state_reason` of `PATCH /repos/{owner}/{repo}/issues/{issue_number}`).
 *   We rewrite it into `type: [T, 'null']` / `enum: [..., null]` / `anyOf`.
 * - Path parameters that may contain slashes (`ref` of
 *   `/repos/{owner}/{repo}/git/refs/{ref}`, `path` of `/contents/{path}`,
 *   `branch`, `sha`, ...) are flagged `x-multi-segment: true`. Octokit sends
 *   them percent-encoded (`heads%2Fswe-bot%2Fissue-1`), other clients raw; both
 *   are accepted. Every other parameter is one segment, and a literal segment
 *   wins over a parameter (`/pulls/comments` is not pull number "comments").
 * - Request objects never say `additionalProperties: false`, so GitHub's
 *   schemas accept any misspelt field. Unless `allowUnknownBodyProperties` is
 *   set, objects with `properties` are closed, so `{ commit_sha }` instead of
 *   `{ commit_id }` fails here instead of being silently ignored by GitHub.
 * - `x-github.enabledForGitHubApps: false` marks operations an installation
 *   token cannot call; with `githubApp: true` they are rejected.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { isObject, loadOperations, SUBSCHEMA_LISTS, type DescriptionName, type JsonSchema, type LoadStats, type Operation } from './openapi-description.ts';

// ajv-formats is CommonJS (`module.exports = plugin; exports.default = plugin`);
// TypeScript types the default import as the module object, so take `.default`.
const addFormats: FormatsPlugin = addFormatsModule.default;

export { exampleResponse, loadOperations, type DescriptionName, type LoadStats, type Operation } from './openapi-description.ts';

export interface RequestToValidate {
  method: string;
  /** Absolute URL, or a path with query (`/repos/o/r/pulls?state=all`). */
  url: string;
  headers?: Record<string, string | undefined>;
  /** Raw body text or an already parsed value; `undefined` or `''` when there is none. */
  body?: unknown;
}

export interface ValidatedRequest {
  operation: Operation;
  operationId: string;
  /** `POST /repos/{owner}/{repo}/...`. */
  route: string;
  /** Path parameters, decoded and converted to their schema type. */
  params: Record<string, unknown>;
  query: Record<string, string | string[]>;
  /** The body, parsed when it was JSON text. */
  body: unknown;
}

export interface Problem {
  /** Where: `path.issue_number`, `query.per_page`, `body.comments[0].path`, `route`, `header.user-agent`. */
  at: string;
  message: string;
}

/** Thrown by `validateRequest`; the message names the operation, the place and the problem. */
export class OpenApiValidationError extends Error {
  readonly operationId: string | undefined;
  /** `METHOD /template` of the operation, when the route was found. */
  readonly route: string | undefined;
  readonly problems: Problem[];
  constructor(request: string, operation: { operationId: string; route: string } | undefined, problems: Problem[]) {
    const where = operation ? `${request} → ${operation.route} (${operation.operationId})` : request;
    super(`${where} does not match GitHub's OpenAPI description: ${problems.map((p) => `${p.at}: ${p.message}`).join('; ')}`);
    this.name = 'OpenApiValidationError';
    this.operationId = operation?.operationId;
    this.route = operation?.route;
    this.problems = problems;
  }
}

export interface ValidatorOptions {
  /** Which description of `@octokit/openapi` (default `api.github.com`). */
  description?: DescriptionName;
  /** Reject operations marked `enabledForGitHubApps: false` (default false). */
  githubApp?: boolean;
  /** Let request bodies carry fields the schema does not list (default false). */
  allowUnknownBodyProperties?: boolean;
  /** The API's base URL or base path, stripped before routing; `/api/v3` (GHES) is always stripped. */
  baseUrl?: string;
}

// ------------------------------------------------------ OpenAPI -> JSON Schema

/**
 * Rewrites an OpenAPI 3.0 schema object into JSON Schema that ajv checks the
 * way GitHub means it: `nullable: true` becomes a `null` type (and enum
 * member), and, when `close` is set, objects listing `properties` reject
 * unknown ones (except where that would break `allOf`/`anyOf`/`oneOf`).
 */
export function toJsonSchema(schema: JsonSchema, close = false): JsonSchema {
  return convert(schema, close);
}

function convert(schema: JsonSchema, mayClose: boolean): JsonSchema {
  const { nullable, ...rest } = schema;
  const out: JsonSchema = {};
  const combined = SUBSCHEMA_LISTS.some((k) => k in rest);
  for (const [key, value] of Object.entries(rest)) {
    if (key === 'properties' && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isObject(v) ? convert(v, mayClose) : v]));
    } else if ((key === 'items' || key === 'additionalProperties' || key === 'not') && isObject(value)) {
      out[key] = convert(value, mayClose);
    } else if ((SUBSCHEMA_LISTS as readonly string[]).includes(key) && Array.isArray(value)) {
      // allOf branches must stay open (each sees only part of the object), and
      // so must oneOf/anyOf branches when the parent declares properties itself.
      const branchMayClose = mayClose && key !== 'allOf' && !('properties' in rest);
      out[key] = value.map((v: unknown) => (isObject(v) ? convert(v, branchMayClose) : v));
    } else if (key === 'exclusiveMinimum' || key === 'exclusiveMaximum') {
      // OpenAPI 3.0: a boolean modifying minimum/maximum; JSON Schema: a number.
      const bound = key === 'exclusiveMinimum' ? 'minimum' : 'maximum';
      if (value === true && typeof rest[bound] === 'number') out[key] = rest[bound];
      else if (typeof value === 'number') out[key] = value;
    } else {
      out[key] = value;
    }
  }
  if (out.exclusiveMinimum !== undefined) delete out.minimum;
  if (out.exclusiveMaximum !== undefined) delete out.maximum;
  if (mayClose && isObject(out.properties) && out.additionalProperties === undefined && !combined) {
    out.additionalProperties = false;
  }
  if (nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
    return out;
  }
  return { anyOf: [{ type: 'null' }, out] };
}

// ------------------------------------------------------------------ routing

interface CompiledRoute {
  operation: Operation;
  segments: ({ literal: string } | { param: string; multi: boolean })[];
}

interface RouteMatch { route: CompiledRoute; params: Record<string, string>; rank: number[] }

/** Matches decoded path segments against a template; multi-segment parameters take one or more segments. */
function matchSegments(route: CompiledRoute, segments: string[]): RouteMatch | undefined {
  const params: Record<string, string> = {};
  const rank: number[] = []; // per concrete segment: 0 literal, 1 parameter, 2 continuation of a multi-segment parameter
  const walk = (t: number, s: number): boolean => {
    if (t === route.segments.length) return s === segments.length;
    const part = route.segments[t]!;
    if ('literal' in part) {
      if (segments[s] !== part.literal) return false;
      rank.push(0);
      if (walk(t + 1, s + 1)) return true;
      rank.pop();
      return false;
    }
    const maxTake = part.multi ? segments.length - s : Math.min(1, segments.length - s);
    for (let take = 1; take <= maxTake; take++) {
      const value = segments.slice(s, s + take).join('/');
      if (value === '' && !(part.multi && s + take === segments.length)) continue; // only a trailing multi-segment parameter may be empty (`/contents/`)
      params[part.param] = value;
      rank.push(1, ...Array<number>(take - 1).fill(2));
      if (walk(t + 1, s + take)) return true;
      rank.length -= take;
    }
    delete params[part.param];
    return false;
  };
  return walk(0, 0) ? { route, params, rank } : undefined;
}

function compareRank(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

// --------------------------------------------------------------- validator

export interface OpenApiValidator {
  readonly stats: LoadStats;
  /** Validates a request; returns the operation and the decoded parameters, or throws OpenApiValidationError. */
  validateRequest(request: RequestToValidate): ValidatedRequest;
  /** The operation for `'METHOD /template'` (any parameter names), `'METHOD /concrete/path'` or an operation id. */
  findOperation(routeOrOperationId: string): Operation | undefined;
}

export function createOpenApiValidator(options: ValidatorOptions = {}): OpenApiValidator {
  const { operations, stats } = loadOperations(options.description);
  const close = options.allowUnknownBodyProperties !== true;
  const basePath = options.baseUrl ? new URL(options.baseUrl, 'http://base.invalid').pathname.replace(/\/+$/, '') : '';
  const byMethod = new Map<string, CompiledRoute[]>();
  const byId = new Map<string, Operation>();
  const byTemplate = new Map<string, Operation>();
  for (const operation of operations) {
    const segments = operation.path.split('/').slice(1).map((s) => {
      const m = /^\{(.+)\}$/.exec(s);
      if (!m) return { literal: s };
      return { param: m[1]!, multi: operation.parameters.some((p) => p.name === m[1] && p.multiSegment) };
    });
    const list = byMethod.get(operation.method) ?? [];
    list.push({ operation, segments });
    byMethod.set(operation.method, list);
    byId.set(operation.operationId, operation);
    byTemplate.set(`${operation.method} ${normalizeTemplate(operation.path)}`, operation);
  }

  const ajv = new Ajv({
    strict: false, // the description carries OpenAPI and x- keywords ajv does not know
    allErrors: true,
    logger: false,
  });
  addFormats(ajv);
  ajv.addFormat('repo.nwo', /^[\w.-]+\/[\w.-]+$/); // GitHub's own format: "owner/name"
  const compiled = new Map<string, ValidateFunction>();
  const compile = (key: string, schema: JsonSchema): ValidateFunction => {
    let fn = compiled.get(key);
    if (!fn) {
      fn = ajv.compile(toJsonSchema(schema, close));
      compiled.set(key, fn);
    }
    return fn;
  };

  function route(method: string, pathname: string): { match: RouteMatch; candidates: RouteMatch[] } | undefined {
    const segments = pathname.split('/').slice(1).map((s) => {
      try { return decodeURIComponent(s); } catch { return s; }
    });
    const candidates = (byMethod.get(method) ?? [])
      .map((r) => matchSegments(r, segments))
      .filter((m): m is RouteMatch => m !== undefined)
      .sort((a, b) => compareRank(a.rank, b.rank));
    return candidates[0] ? { match: candidates[0], candidates } : undefined;
  }

  function stripBase(pathname: string): string {
    if (basePath && (pathname === basePath || pathname.startsWith(`${basePath}/`))) return pathname.slice(basePath.length) || '/';
    if (pathname.startsWith('/api/v3/')) return pathname.slice('/api/v3'.length);
    return pathname;
  }

  function checkParam(operation: Operation, param: Operation['parameters'][number], raw: string | string[], at: string, problems: Problem[]): unknown {
    const value = coerce(param.schema, raw);
    const validate = compile(`${operation.operationId} ${param.in} ${param.name}`, param.schema);
    if (!validate(value)) problems.push(...formatErrors(validate.errors ?? [], at, value));
    return value;
  }

  function validateRequest(request: RequestToValidate): ValidatedRequest {
    const method = request.method.toUpperCase();
    const url = new URL(request.url, 'https://api.github.com');
    const pathname = stripBase(url.pathname);
    const label = `${method} ${pathname}`;
    const found = route(method, pathname);
    if (!found) {
      const otherMethods = [...byMethod.keys()].filter((m) => m !== method && route(m, pathname));
      throw new OpenApiValidationError(label, undefined, [{
        at: 'route',
        message: otherMethods.length ? `no ${method} operation on this path (it takes ${otherMethods.join(', ')})` : 'no such operation in the REST API',
      }]);
    }
    // Several templates can match; the most literal one wins unless only a less literal one has valid parameters.
    let problems: Problem[] = [];
    let chosen = found.match;
    let params: Record<string, unknown> = {};
    for (const candidate of found.candidates) {
      const candidateProblems: Problem[] = [];
      const candidateParams: Record<string, unknown> = {};
      for (const p of candidate.route.operation.parameters.filter((p) => p.in === 'path')) {
        candidateParams[p.name] = checkParam(candidate.route.operation, p, candidate.params[p.name] ?? '', `path.${p.name}`, candidateProblems);
      }
      if (candidate === found.match || candidateProblems.length === 0) {
        chosen = candidate; params = candidateParams; problems = candidateProblems;
        if (candidateProblems.length === 0) break;
      }
    }
    const operation = chosen.route.operation;
    const routeLabel = `${operation.method} ${operation.path}`;

    if (options.githubApp && !operation.enabledForGitHubApps) {
      problems.push({ at: 'route', message: 'GitHub Apps cannot call this operation (x-github.enabledForGitHubApps: false)' });
    }
    const headers = lowerCaseKeys(request.headers ?? {});
    if (request.headers && !headers['user-agent']) {
      // https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent
      problems.push({ at: 'header.user-agent', message: 'is required by GitHub' });
    }

    const query: Record<string, string | string[]> = {};
    for (const [rawName, value] of url.searchParams) {
      const name = rawName.endsWith('[]') ? rawName.slice(0, -2) : rawName;
      const previous = query[name];
      query[name] = previous === undefined ? (rawName.endsWith('[]') ? [value] : value) : [...[previous].flat(), value];
    }
    const queryParams = new Map(operation.parameters.filter((p) => p.in === 'query').map((p) => [p.name, p]));
    for (const [name, raw] of Object.entries(query)) {
      const param = queryParams.get(name);
      if (!param) {
        problems.push({ at: `query.${name}`, message: `is not a parameter of this operation${queryParams.size ? ` (known: ${[...queryParams.keys()].join(', ')})` : ''}` });
      } else {
        checkParam(operation, param, raw, `query.${name}`, problems);
      }
    }
    for (const param of queryParams.values()) {
      if (param.required && query[param.name] === undefined) problems.push({ at: `query.${param.name}`, message: 'is required' });
    }

    let body = request.body;
    const hasBody = !(body === undefined || body === null || body === '' || (Buffer.isBuffer(body) && body.length === 0));
    const contentType = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (hasBody && typeof body === 'string' && (contentType === '' || contentType.endsWith('json'))) {
      try {
        body = JSON.parse(body);
      } catch {
        problems.push({ at: 'body', message: 'is not valid JSON' });
      }
    }
    const spec = operation.requestBody;
    if (!spec) {
      if (hasBody && method !== 'GET' && method !== 'HEAD' && !(isObject(body) && Object.keys(body).length === 0)) {
        problems.push({ at: 'body', message: 'this operation takes no request body' });
      }
    } else if (!hasBody) {
      if (spec.required) problems.push({ at: 'body', message: 'is required' });
    } else {
      const jsonSchema = spec.content['application/json'];
      const declared = Object.keys(spec.content);
      if (contentType && !contentType.endsWith('json') && declared.includes(contentType)) {
        // raw uploads (text/x-markdown, application/octet-stream): nothing to check
      } else if (jsonSchema && typeof body !== 'string') {
        const validate = compile(`${operation.operationId} body`, jsonSchema);
        if (!validate(body)) problems.push(...formatErrors(validate.errors ?? [], 'body', body));
      } else if (!jsonSchema) {
        problems.push({ at: 'header.content-type', message: `must be one of ${declared.join(', ')}` });
      }
    }

    if (problems.length) throw new OpenApiValidationError(label, { operationId: operation.operationId, route: routeLabel }, problems);
    return { operation, operationId: operation.operationId, route: routeLabel, params, query, body };
  }

  function findOperation(routeOrOperationId: string): Operation | undefined {
    const m = /^([A-Za-z]+)\s+(\/\S*)$/.exec(routeOrOperationId.trim());
    if (!m) return byId.get(routeOrOperationId);
    const method = m[1]!.toUpperCase();
    const target = m[2]!;
    if (target.includes('{')) return byTemplate.get(`${method} ${normalizeTemplate(target)}`);
    return route(method, stripBase(target.split('?')[0]!))?.match.route.operation;
  }

  return { stats, validateRequest, findOperation };
}

/** `/repos/{o}/{r}` and `/repos/{owner}/{repo}` are the same template. */
export function normalizeTemplate(template: string): string {
  return template.replace(/\{[^}]*\}/g, '{}').replace(/\/+$/, '');
}

/** Query and path values are text; convert them to what the schema expects so ajv can check them. */
function coerce(schema: JsonSchema, raw: string | string[]): unknown {
  const types = new Set<string>();
  const collect = (s: unknown): void => {
    if (!isObject(s)) return;
    if (typeof s.type === 'string') types.add(s.type);
    for (const k of SUBSCHEMA_LISTS) if (Array.isArray(s[k])) (s[k] as unknown[]).forEach(collect);
  };
  collect(schema);
  const itemSchema = isObject(schema.items) ? schema.items : {};
  if (Array.isArray(raw)) {
    return types.has('array') ? raw.map((v) => coerceScalar(itemSchema, v)) : raw; // repeated scalar: left as an array, which fails the schema
  }
  if (types.has('array') && !types.has('string')) return raw.split(',').map((v) => coerceScalar(itemSchema, v));
  return coerceScalar(schema, raw, types);
}

function coerceScalar(schema: JsonSchema, raw: string, known?: Set<string>): unknown {
  const types = known ?? new Set(typeof schema.type === 'string' ? [schema.type] : []);
  if ((types.has('integer') || types.has('number')) && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (types.has('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

function lowerCaseKeys(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** ajv's errors as `body.comments[0].path: is required`, oneOf noise folded. */
function formatErrors(errors: ErrorObject[], root: string, data: unknown): Problem[] {
  const problems = new Map<string, Problem>();
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  for (const e of specific.length ? specific : errors) {
    let at = root + e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s.replace(/~1/g, '/').replace(/~0/g, '~')}`)).join('');
    let message = e.message ?? e.keyword;
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'required') { at += `.${String(params.missingProperty)}`; message = 'is required'; }
    if (e.keyword === 'additionalProperties') { at += `.${String(params.additionalProperty)}`; message = 'is not a property of this schema'; }
    if (e.keyword === 'enum') message = `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}; got ${JSON.stringify(valueAt(data, e.instancePath))}`;
    if (e.keyword === 'type') message = `${message}; got ${JSON.stringify(valueAt(data, e.instancePath))}`;
    problems.set(`${at} ${message}`, { at, message });
  }
  return [...problems.values()].slice(0, 8);
}

function valueAt(data: unknown, pointer: string): unknown {
  let value = data;
  for (const key of pointer.split('/').slice(1)) value = isObject(value) || Array.isArray(value) ? (value as Record<string, unknown>)[key.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return value;
}

// ---------------------------------------------------------- shared default

let shared: OpenApiValidator | undefined;

/** Validates against api.github.com's description with a process-wide validator (see createOpenApiValidator). */
export function validateRequest(request: RequestToValidate): ValidatedRequest {
  shared ??= createOpenApiValidator();
  return shared.validateRequest(request);
}
