/**
 * A fake GitHub REST API for tests, built on nock, that refuses to be more
 * lenient than GitHub: every request it intercepts is checked against
 * GitHub's OpenAPI description (./openapi-validator.ts,
 * https://docs.github.com/en/rest), answered only if the test declared the
 * call, and recorded in order.
 *
 * ```ts
 * const gh = mockGitHub();
 * gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', (req) => ({
 *   status: 201, body: issueComment({ body: String((req.body as { body: string }).body) }),
 * }));
 * gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', replies.serverError(), { times: 1 });
 * gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', { body: pullRequest({ number: 7 }) });
 * ... run the app ...
 * expect(gh.operations()).toEqual(['apps/create-installation-access-token', 'issues/create-comment']);
 * gh.done();   // throws on invalid requests, unexpected requests and declared calls that never happened
 * gh.close();  // in afterEach
 * ```
 *
 * - A request that does not match the description is answered 422 with the
 *   problem as `message` and recorded in `gh.errors`; one with no declared
 *   handler is answered 404 and recorded too. `done()` / `assertValid()` throw
 *   on them, so an app that swallows the error response still fails the test.
 * - Strict by default: when a test ends, whatever `done()` would throw for
 *   and the test did not see fails that test, whether or not it called
 *   `done()` (./mock-checks.ts, run by the setup file ./mock-checks-setup.ts);
 *   the mock is then closed. Opt out per declared call: `{ optional: true }`
 *   for a call that may or may not happen (a retry, a best-effort edit). A
 *   problem the test checked, `expect(() => gh.done()).toThrow(...)`, counts
 *   as seen and is not reported again.
 * - `POST /app/installations/{installation_id}/access_tokens` has a default
 *   handler (the app authenticates as an installation, via @octokit/auth-app,
 *   which reads `token`, `expires_at`, `permissions`, `repository_selection`):
 *   https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app
 * - Handlers without a reply answer with the description's example response.
 *
 * Network: from the import of this module on, real connections are refused
 * except to localhost / 127.0.0.1 (the scripted model server, the app's own
 * HTTP server, Docker) and to the `allowNetConnect` hosts of open mocks; a
 * request to another host fails, and fails the test that made it (recorded
 * in the open mocks' `errors`, or as a stray if none is open). nock 15 intercepts
 * through @mswjs/interceptors, which also sees requests that go to a Unix
 * socket: dockerode's requests to /var/run/docker.sock reach nock as
 * `http://localhost/<path>` (e.g. `http://localhost/_ping`), and the
 * `enableNetConnect` matcher is called with host `localhost:80`. Allowing
 * `localhost` therefore lets Docker through (checked with a real
 * `docker.ping()`, `exec` with `hijack: true` and stdin); the consequence is
 * that a nock scope for `http://localhost` would capture Docker's API calls,
 * so tests must not declare one. Importing this module activates nock's
 * interception for the whole test file.
 *
 * HTTP face: nock patches only the process it runs in. For a client in
 * another process (`swe-bot serve --role worker` as a child), `await
 * gh.listen()` also serves the mock over real HTTP on 127.0.0.1, through the
 * same validation, handlers and `gh.requests`; it resolves to the base URL
 * (`http://127.0.0.1:PORT` plus the mock's base path, so create the mock
 * with a GHES-style `baseUrl` such as `https://ghe.test/api/v3` and point the
 * child at it with GHE_HOST=127.0.0.1:PORT, GHE_PROTOCOL=http).
 *
 * One mock per origin at a time: `close()` it in `afterEach`. Give Probot
 * `Octokit: TestOctokit` (below), or plugin-throttling spaces its writes 1 s
 * apart. Webhook fixtures (`webhookExample`, `signWebhook`, `deliverWebhook`)
 * are re-exported from ./github-webhooks.ts.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import type { RestEndpointMethodTypes } from '@octokit/rest';
import { ProbotOctokit } from 'probot';
import { createOpenApiValidator, exampleResponse, OpenApiValidationError, type DescriptionName } from './openapi-validator.ts';
import { deepMerge, type DeepPatch } from './github-webhooks.ts';
import { recordStray, trackMock } from './mock-checks.ts';

export * from './github-webhooks.ts';

export interface MockGitHubOptions {
  /** Default `https://api.github.com`; a GHES URL such as `https://ghe.test/api/v3` works too. */
  baseUrl?: string;
  /** Installation token returned by the default access-token handler; `false` removes that handler. */
  installationToken?: string | false;
  /** Permissions the fake installation token reports. */
  permissions?: Record<string, 'read' | 'write' | 'admin'>;
  /** OpenAPI description to validate against (default `api.github.com`). */
  description?: DescriptionName;
  /** Reject operations GitHub Apps cannot call (x-github.enabledForGitHubApps: false). Default true. */
  githubApp?: boolean;
  /** Accept body fields the schema does not list. Default false. */
  allowUnknownBodyProperties?: boolean;
  /** Other hosts (`host:port`) that may be reached for real. */
  allowNetConnect?: (host: string) => boolean;
}

/** One intercepted request, as recorded in `gh.requests`. */
export interface GitHubRequest {
  method: string;
  /** Decoded path without the base path: `/repos/o/r/git/refs/heads/swe-bot/issue-1`. */
  path: string;
  url: string;
  /** `issues/create-comment`; undefined when the route is unknown. */
  operationId: string | undefined;
  /** `POST /repos/{owner}/{repo}/issues/{issue_number}/comments`. */
  route: string | undefined;
  params: Record<string, unknown>;
  query: Record<string, string | string[]>;
  /** Parsed JSON body, or the raw text, or undefined. */
  body: unknown;
  headers: Record<string, string>;
  /** Status the mock answered with. */
  status: number;
}

export interface GitHubReply {
  /** Default: the operation's first 2xx status in the description. */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type GitHubHandler = GitHubReply | ((request: GitHubRequest) => GitHubReply | Promise<GitHubReply>);

export interface HandlerOptions {
  /** Answer at most this many requests, then let later handlers answer; `done()` expects exactly this many. */
  times?: number;
  /** The call may not happen: neither `done()` nor the end-of-test check complains if it did not. */
  optional?: boolean;
  /** Only requests this returns true for (e.g. on `req.query.state`). */
  match?: (request: GitHubRequest) => boolean;
}

/** A declared call: `calls` lists the requests it answered. */
export interface Expectation {
  readonly description: string;
  readonly operationId: string;
  readonly calls: GitHubRequest[];
}

export interface MockGitHub {
  readonly baseUrl: string;
  /** The token the default handler hands out (`token <this>` is what the app should send). */
  readonly token: string;
  readonly requests: GitHubRequest[];
  readonly errors: string[];
  /**
   * Declares a call: `route` is `'METHOD /template'` (parameter names are free:
   * `/repos/{o}/{r}/pulls/{n}`), `'METHOD /concrete/path'` or an operation id
   * (`'pulls/create'`); it must exist in the description. Handlers are tried
   * in declaration order.
   */
  on(route: string, handler?: GitHubHandler, options?: HandlerOptions): Expectation;
  /** Recorded requests for a route or operation id. */
  calls(route: string): GitHubRequest[];
  /** Operation ids of all requests, in order (unknown routes as `METHOD path`). */
  operations(): string[];
  /**
   * Serves the mock over real HTTP on 127.0.0.1 too (see the module comment);
   * resolves to `http://127.0.0.1:PORT<base path>`. Idempotent; `close()` stops it.
   */
  listen(): Promise<string>;
  /** Throws if any request failed validation or had no handler. */
  assertValid(): void;
  /** assertValid(), and throws if a declared (non-optional) call did not happen as often as declared. */
  done(): void;
  /** Removes the interceptors (the network stays limited to local hosts). Idempotent. */
  close(): void;
}

const LOCAL_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;
const activeOrigins = new Set<string>();

/** The open mocks' say in the network policy: extra hosts they allow, and where a refused request is recorded. */
interface NetUser { allowNetConnect: ((host: string) => boolean) | undefined; errors: string[] }
const netUsers = new Set<NetUser>();
const mayConnect = (host: string): boolean => LOCAL_HOST.test(host) || [...netUsers].some((user) => user.allowNetConnect?.(host) ?? false);
// One policy for the whole file, set at import rather than per mock, so that
// a request made while no mock is open (before the first, after a close())
// cannot reach the real GitHub either.
nock.disableNetConnect();
nock.enableNetConnect(mayConnect);
nock.emitter.on('no match', (request: Request) => {
  const { host, protocol } = new URL(request.url);
  const hostPort = host.includes(':') ? host : `${host}:${protocol === 'https:' ? 443 : 80}`;
  if (mayConnect(hostPort)) return;
  const problem = `${request.method} ${request.url}: request to an unmocked host (the network is disabled in tests)`;
  if (netUsers.size === 0) recordStray(`${problem}, while no GitHub mock was open`);
  for (const user of netUsers) user.errors.push(problem);
});
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
const DOCS = 'https://docs.github.com/rest';
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'expect', 'upgrade']);

export function mockGitHub(options: MockGitHubOptions = {}): MockGitHub {
  const baseUrl = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  if (activeOrigins.has(base.origin)) throw new Error(`mockGitHub: a mock for ${base.origin} is still open; close() it (afterEach(() => gh.close()))`);
  const token = options.installationToken === false ? '' : (options.installationToken ?? `ghs_test${randomUUID().replace(/-/g, '')}`);
  const validator = createOpenApiValidator({
    baseUrl,
    githubApp: options.githubApp ?? true,
    ...(options.description ? { description: options.description } : {}),
    ...(options.allowUnknownBodyProperties ? { allowUnknownBodyProperties: true } : {}),
  });
  const requests: GitHubRequest[] = [];
  const errors: string[] = [];
  interface Entry extends Expectation { handler: GitHubHandler | undefined; options: HandlerOptions; path: string | undefined; builtIn: boolean }
  const entries: Entry[] = [];

  /** A route, template or operation id → the operation, and the decoded path when it names a concrete one. */
  function resolve(route: string): { operationId: string; path: string | undefined } {
    const operation = validator.findOperation(route);
    if (!operation) throw new Error(`${JSON.stringify(route)}: no such operation in GitHub's OpenAPI description`);
    const concrete = /^[A-Za-z]+\s+(\/[^?\s]*)$/.exec(route.trim())?.[1];
    return { operationId: operation.operationId, path: concrete && !concrete.includes('{') ? decodePath(stripBase(concrete)) : undefined };
  }

  function on(route: string, handler?: GitHubHandler, handlerOptions: HandlerOptions = {}, builtIn = false): Expectation {
    const { operationId, path } = resolve(route);
    const entry: Entry = { description: `${route} (${operationId})`, operationId, path, calls: [], handler, options: handlerOptions, builtIn };
    // Built-in defaults go last so that tests can override them.
    if (builtIn) entries.push(entry);
    else entries.splice(entries.findIndex((e) => e.builtIn) === -1 ? entries.length : entries.findIndex((e) => e.builtIn), 0, entry);
    return entry;
  }

  if (token) {
    on('POST /app/installations/{installation_id}/access_tokens', (req) => {
      // GitHub wants the app's JWT here: https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
      if (!/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i.test(req.headers.authorization ?? '')) {
        errors.push(`${req.method} ${req.path}: needs "Authorization: Bearer <app JWT>", got ${JSON.stringify(req.headers.authorization ?? null)}`);
        return replies.error(401, 'A JSON web token could not be decoded');
      }
      return {
        status: 201,
        body: {
          token,
          expires_at: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          permissions: options.permissions ?? { contents: 'write', issues: 'write', pull_requests: 'write', checks: 'write', metadata: 'read' },
          repository_selection: 'all',
        },
      };
    }, { optional: true }, true);
  }

  function stripBase(pathname: string): string {
    return basePath && pathname.startsWith(`${basePath}/`) ? pathname.slice(basePath.length) : pathname;
  }

  async function handle(request: Request): Promise<[number, string, Record<string, string>]> {
    const url = new URL(request.url);
    const headers = Object.fromEntries(request.headers);
    const text = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text();
    const record: GitHubRequest = {
      method: request.method, path: decodePath(stripBase(url.pathname)), url: request.url,
      operationId: undefined, route: undefined, params: {}, query: Object.fromEntries(url.searchParams), body: text || undefined, headers, status: 0,
    };
    requests.push(record);
    let reply: GitHubReply;
    try {
      reply = await answer(record, url, text);
    } catch (error) {
      errors.push(`${record.method} ${record.path}: the mock failed: ${error instanceof Error ? error.stack : String(error)}`);
      reply = replies.serverError();
    }
    record.status = reply.status ?? 200;
    const status = record.status;
    const responseHeaders: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': randomUUID().toUpperCase().slice(0, 23),
      'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-used': '1', 'x-ratelimit-resource': 'core',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      ...reply.headers,
    };
    const noBody = status === 204 || status === 304 || request.method === 'HEAD' || reply.body === undefined;
    return [status, noBody ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body), responseHeaders];
  }

  async function answer(record: GitHubRequest, url: URL, text: string): Promise<GitHubReply> {
    const label = `${record.method} ${record.path}`;
    if (basePath && !url.pathname.startsWith(`${basePath}/`)) {
      errors.push(`${label}: outside the API base path ${basePath}`);
      return replies.notFound();
    }
    let operation;
    try {
      const validated = validator.validateRequest({ method: record.method, url: record.url, headers: record.headers, body: text });
      Object.assign(record, { operationId: validated.operationId, route: validated.route, params: validated.params, query: validated.query, body: validated.body });
      operation = validated.operation;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push(message);
      if (error instanceof OpenApiValidationError && error.operationId) {
        record.operationId = error.operationId;
        record.route = error.route;
        return replies.validationFailed(message);
      }
      return replies.notFound(message);
    }
    const entry = entries.find((e) => e.operationId === record.operationId
      && (e.path === undefined || e.path === record.path)
      && (e.options.times === undefined || e.calls.length < e.options.times)
      && (!e.options.match || e.options.match(record)));
    if (!entry) {
      errors.push(`${label}: no handler for ${record.route} (${record.operationId}); declare it with gh.on(${JSON.stringify(record.route)}, ...)`);
      return replies.notFound();
    }
    entry.calls.push(record);
    try {
      const reply = typeof entry.handler === 'function' ? await entry.handler(record) : entry.handler;
      const status = reply?.status ?? operation.successStatuses.find((s) => s < 300) ?? 200;
      const body = reply && 'body' in reply ? reply.body : exampleResponse(operation.operationId, status, options.description);
      return { status, body, ...(reply?.headers ? { headers: reply.headers } : {}) };
    } catch (error) {
      errors.push(`${label}: handler for ${entry.description} threw: ${error instanceof Error ? error.stack : String(error)}`);
      return replies.serverError();
    }
  }

  const netUser: NetUser = { allowNetConnect: options.allowNetConnect, errors };
  netUsers.add(netUser);
  activeOrigins.add(base.origin);
  const scope = nock(base.origin).persist();
  const interceptors = METHODS.map((method) => {
    const interceptor = scope.intercept(() => true, method);
    interceptor.reply((request: Request) => handle(request));
    return interceptor;
  });

  let server: http.Server | undefined;
  let listening: Promise<string> | undefined;
  /** The HTTP face: each request becomes a fetch `Request` and goes through `handle`, as nock's do. */
  function listen(): Promise<string> {
    listening ??= new Promise<string>((resolve, reject) => {
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const method = req.method ?? 'GET';
          const headers = new Headers();
          for (const [name, value] of Object.entries(req.headers)) {
            // Hop-by-hop and framing headers belong to this connection, not to the request.
            if (value !== undefined && !HOP_BY_HOP.has(name)) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          const body = Buffer.concat(chunks);
          const request = new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`, {
            method,
            headers,
            ...(method === 'GET' || method === 'HEAD' || body.length === 0 ? {} : { body }),
          });
          handle(request).then(
            ([status, text, responseHeaders]) => res.writeHead(status, responseHeaders).end(text),
            (error: unknown) => {
              errors.push(`${method} ${req.url ?? ''}: the mock's HTTP face failed: ${error instanceof Error ? error.stack : String(error)}`);
              res.writeHead(500).end();
            },
          );
        });
      });
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server?.address() as AddressInfo).port}${basePath}`));
    });
    return listening;
  }

  // What the test has seen: problems that done() / assertValid() threw are
  // not reported again by the end-of-test check.
  let errorsSeen = 0;
  const missingSeen = new Set<Entry>();
  const missingCalls = (): Entry[] =>
    entries.filter((e) => !e.options.optional && (e.options.times === undefined ? e.calls.length === 0 : e.calls.length < e.options.times));
  const describeMissing = (missing: Entry[]): string =>
    missing.map((e) => `${e.description}: ${e.calls.length} of ${e.options.times ?? 'at least 1'}`).join('\n- ');

  let closed = false;
  const gh: MockGitHub = {
    baseUrl, token, requests, errors,
    on: (route, handler, handlerOptions) => on(route, handler, handlerOptions),
    calls(route) {
      const { operationId, path } = resolve(route);
      return requests.filter((r) => r.operationId === operationId && (path === undefined || r.path === path));
    },
    operations: () => requests.map((r) => r.operationId ?? `${r.method} ${r.path}`),
    listen,
    assertValid() {
      if (!errors.length) return;
      errorsSeen = errors.length;
      throw new Error(`GitHub mock: ${errors.length} bad request(s):\n- ${errors.join('\n- ')}`);
    },
    done() {
      gh.assertValid();
      const missing = missingCalls();
      if (missing.length) {
        for (const entry of missing) missingSeen.add(entry);
        throw new Error(`GitHub mock: declared calls that did not happen:\n- ${describeMissing(missing)}\nRequests seen: ${gh.operations().join(', ') || 'none'}`);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      activeOrigins.delete(base.origin);
      netUsers.delete(netUser);
      for (const interceptor of interceptors) nock.removeInterceptor(interceptor);
      server?.closeAllConnections();
      server?.close();
    },
  };
  trackMock({
    unreported(unused) {
      const problems = errors.slice(errorsSeen).map((error) => `${baseUrl}: ${error}`);
      errorsSeen = errors.length;
      const missing = unused ? missingCalls().filter((entry) => !missingSeen.has(entry)) : [];
      for (const entry of missing) missingSeen.add(entry);
      if (missing.length) {
        problems.push(`${baseUrl}: declared calls that did not happen (declare a call that may not happen with { optional: true }):\n- ${describeMissing(missing)}\nRequests seen: ${gh.operations().join(', ') || 'none'}`);
      }
      return problems;
    },
    close: () => gh.close(),
  });
  return gh;
}

function decodePath(pathname: string): string {
  return pathname.split('/').map((s) => {
    try { return decodeURIComponent(s); } catch { return s; }
  }).join('/');
}

/**
 * ProbotOctokit for tests (`new Probot({ Octokit: TestOctokit, ... })`):
 * plugin-throttling off, because it spaces writes (POST/PATCH/PUT/DELETE) at
 * least 1 s apart in a process-wide queue, so every test after the first
 * waits; plugin-retry waits 1 ms instead of 1 s per retry. Probot passes its
 * own `throttle` options when it builds the installation client, so a plain
 * `ProbotOctokit.defaults({ throttle: { enabled: false } })` is overridden;
 * a defaults function is applied after them.
 */
export const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as object | undefined), enabled: false },
  retry: { retryAfterBaseValue: 1, ...(options.retry as object | undefined) },
}));

// ------------------------------------------------------------------ replies

/** Error replies in GitHub's shape (`message`, `documentation_url`, `status`). */
export const replies = {
  error(status: number, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): GitHubReply {
    return { status, body: { message, documentation_url: DOCS, status: String(status), ...extra }, headers };
  },
  notFound(message = 'Not Found'): GitHubReply {
    return replies.error(404, message);
  },
  serverError(): GitHubReply {
    return replies.error(500, 'Server Error');
  },
  /** 422 as GitHub sends for semantic errors: https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api */
  validationFailed(message = 'Validation Failed', errors: unknown[] = []): GitHubReply {
    return replies.error(422, message, { errors });
  },
  /** https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits */
  secondaryRateLimit(retryAfterSeconds = 1): GitHubReply {
    return replies.error(403, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', {}, { 'retry-after': String(retryAfterSeconds) });
  },
  /** Primary rate limit exhausted until `resetInSeconds` from now. */
  rateLimited(resetInSeconds = 1): GitHubReply {
    return replies.error(403, 'API rate limit exceeded for installation.', {}, {
      'x-ratelimit-remaining': '0', 'x-ratelimit-limit': '5000', 'x-ratelimit-used': '5000',
      'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + resetInSeconds),
    });
  },
};

// ----------------------------------------------------------------- builders

type Data<G extends keyof RestEndpointMethodTypes, M extends keyof RestEndpointMethodTypes[G]> =
  RestEndpointMethodTypes[G][M] extends { response: { data: infer D } } ? D : never;

/** The description's example response for `operationId`, with `patch` deep-merged in. */
export function example<T = Record<string, unknown>>(operationId: string, patch?: DeepPatch<T>, status?: number): T {
  const body = exampleResponse(operationId, status);
  if (body === undefined) throw new Error(`GitHub's OpenAPI description has no example response for ${operationId}`);
  return deepMerge(body as T, patch);
}

export const issueComment = (patch: DeepPatch<Data<'issues', 'createComment'>> = {}) => example<Data<'issues', 'createComment'>>('issues/create-comment', patch);
export const reaction = (patch: DeepPatch<Data<'reactions', 'createForIssue'>> = {}) => example<Data<'reactions', 'createForIssue'>>('reactions/create-for-issue', patch, 201);
export const pullRequest = (patch: DeepPatch<Data<'pulls', 'create'>> = {}) => example<Data<'pulls', 'create'>>('pulls/create', patch);
export const review = (patch: DeepPatch<Data<'pulls', 'createReview'>> = {}) => example<Data<'pulls', 'createReview'>>('pulls/create-review', patch);
export const checkRun = (patch: DeepPatch<Data<'checks', 'create'>> = {}) => example<Data<'checks', 'create'>>('checks/create', patch);
export const gitRef = (patch: DeepPatch<Data<'git', 'createRef'>> = {}) => example<Data<'git', 'createRef'>>('git/create-ref', patch);
export const gitCommit = (patch: DeepPatch<Data<'git', 'createCommit'>> = {}) => example<Data<'git', 'createCommit'>>('git/create-commit', patch);
export const gitTree = (patch: DeepPatch<Data<'git', 'createTree'>> = {}) => example<Data<'git', 'createTree'>>('git/create-tree', patch);
export const gitBlob = (patch: DeepPatch<Data<'git', 'createBlob'>> = {}) => example<Data<'git', 'createBlob'>>('git/create-blob', patch);

/** `GET /repos/{owner}/{repo}/collaborators/{username}/permission` for a user with `permission`. */
export const collaboratorPermission = (login: string, permission: 'admin' | 'write' | 'read' | 'none') =>
  example<Data<'repos', 'getCollaboratorPermissionLevel'>>('repos/get-collaborator-permission-level', { permission, role_name: permission, user: { login } });

/** `GET /repos/{owner}/{repo}/contents/{path}` for a file (content base64-encoded, as GitHub sends it). */
export const fileContent = (path: string, content: string) => example<Extract<Data<'repos', 'getContent'>, { type: 'file' }>>('repos/get-content', {
  type: 'file', encoding: 'base64', path, name: path.split('/').pop() ?? path,
  size: Buffer.byteLength(content), content: Buffer.from(content).toString('base64'),
});
