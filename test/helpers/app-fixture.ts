/**
 * What the end-to-end tests of the App (the `*.app.test.ts` files) share:
 *
 * - a repository served over git smart-HTTP (test/helpers/git-http-server.ts)
 *   from a bare copy of test/fixtures/node-repo, behind the installation
 *   token the GitHub mock hands out; the webhook payloads' `clone_url`
 *   points there;
 * - a fake GitHub (test/helpers/github-api.ts, every request checked against
 *   GitHub's OpenAPI description) with state: comments, check runs, blobs,
 *   trees, commits, refs, pull requests and reviews behave as GitHub's do,
 *   so a job that looks for its own earlier output finds it; blob shas are
 *   git's own hash of the content, so a tree can be read back;
 * - the service as `swe-bot serve` wires it (src/cli/serve.ts
 *   `jobProcessors`: the real job runners, the real Docker sandbox, the
 *   model at OPENAI_BASE_URL), on the real Redis under a random key prefix;
 * - a gate in front of the scripted model (test/helpers/scripted-model.ts)
 *   that can hold a request until the test releases it or the client gives
 *   up on it (a model "thinking" while a job is cancelled or its worker killed);
 * - waiting for a job, listing a job's containers, signed webhook deliveries.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'bullmq';
import type Docker from 'dockerode';
import { jobProcessors } from '../../src/cli/serve.ts';
import { loadConfig, type Config } from '../../src/config/load-config.ts';
import { createLogger, silentLogger, type Logger } from '../../src/logger.ts';
import { LABEL } from '../../src/sandbox/labels.ts';
import { startService, type Service, type ServiceOptions } from '../../src/server/service.ts';
import { fixtureRepo, gitIn, type FixtureRepo } from './git-fixture.ts';
import { startGitHttpServer, type GitHttpServer } from './git-http-server.ts';
import {
  checkRun,
  collaboratorPermission,
  deliverWebhook,
  example,
  gitBlob,
  gitCommit,
  gitRef,
  gitTree,
  issueComment,
  pullRequest,
  reaction,
  replies,
  review,
  type GitHubReply,
  type GitHubRequest,
  type MockGitHub,
  type WebhookEventName,
  webhookExample,
} from './github-api.ts';
import { testEnv } from './test-config.ts';
import { deleteKeys, randomPrefix, serviceEnv, WEBHOOK_SECRET } from './service-fixture.ts';

export const OWNER = 'acme';
export const NAME = 'widgets';
export const REPO_ID = 4242;
export const INSTALLATION_ID = 99;
/** The App's slug (`GET /app`): its comments and reviews are by `swe-bot[bot]`. */
export const SLUG = 'swe-bot';
export const BOT = `${SLUG}[bot]`;
/** A maintainer (write permission) who asks for the work. */
export const MAINTAINER = 'alice';

// ------------------------------------------------------------ the repository

/** Publishing a first fix through the Git Data API: one commit (two files), a new branch, a new pull request. */
export const PUBLISH_NEW_PULL_REQUEST = [
  'git/get-commit',
  'git/create-blob',
  'git/create-blob',
  'git/create-tree',
  'git/create-commit',
  'git/get-ref',
  'git/create-ref',
  'pulls/list',
  'pulls/create',
] as const;

export interface ServedRepo {
  /** The working repository the commits are made in. */
  work: FixtureRepo;
  /** The tip of `main`. */
  base: string;
  /** `http://127.0.0.1:PORT/acme/widgets.git` */
  cloneUrl: string;
  git: GitHttpServer;
  /** Publishes `sha` under `refs/heads/<branch>` of the served repository (a push). */
  push(branch: string, sha: string): void;
  /** `git rev-parse <what>` in the working repository. */
  rev(what: string): string;
  close(): Promise<void>;
}

/**
 * test/fixtures/node-repo with `changes` committed on top (the bug, say), as
 * `main` of acme/widgets on a git smart-HTTP server that wants `token`.
 */
export async function serveRepo(token: string, changes?: (work: FixtureRepo) => void): Promise<ServedRepo> {
  const work = fixtureRepo('node-repo');
  changes?.(work);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-app-served-'));
  const bare = path.join(root, OWNER, `${NAME}.git`);
  fs.mkdirSync(bare, { recursive: true });
  gitIn(bare, 'init', '-q', '--bare');
  // What GitHub allows: any reachable commit fetched by id (also under protocol v0).
  gitIn(bare, 'config', 'uploadpack.allowReachableSHA1InWant', 'true');
  const push = (branch: string, sha: string): void => {
    gitIn(work.dir, 'push', '-q', '--force', bare, `${sha}:refs/heads/${branch}`);
  };
  const base = gitIn(work.dir, 'rev-parse', 'HEAD');
  push('main', base);
  const git = await startGitHttpServer({ projectRoot: root, token });
  return {
    work,
    base,
    cloneUrl: `${git.origin}/${OWNER}/${NAME}.git`,
    git,
    push,
    rev: (what) => gitIn(work.dir, 'rev-parse', what),
    async close() {
      await git.close();
      work.remove();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

// --------------------------------------------------------------- fake GitHub

/** git's object id of a blob with this content (`git hash-object`). */
export function blobSha(content: Buffer | string): string {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

const fakeSha = (what: unknown): string => createHash('sha1').update(JSON.stringify(what)).digest('hex');

export interface FakeCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  external_id: string | null;
  output: { title?: string; summary?: string; text?: string };
  annotations: unknown[];
}

export interface FakePull {
  number: number;
  state: 'open' | 'closed';
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  title: string;
  body: string;
  draft: boolean;
}

export interface FakeGitHub {
  comments: ReturnType<typeof issueComment>[];
  checkRuns: FakeCheckRun[];
  /** Blob sha → content. */
  blobs: Map<string, Buffer>;
  /** Tree sha → the request that made it. */
  trees: Map<string, { base_tree?: string; tree: { path: string; mode: string; type: string; sha: string | null }[] }>;
  /** Commit sha → the request that made it. */
  commits: Map<string, { message: string; tree: string; parents: string[] }>;
  /** `heads/<branch>` → commit sha (the branches the app made). */
  refs: Map<string, string>;
  pulls: FakePull[];
  reviews: ReturnType<typeof review>[];
  /** The files of a tree the app created, read back through its blobs: path → content (null: deleted). */
  treeFiles(treeSha: string): Map<string, string | null>;
}

export interface FakeGitHubOptions {
  /** `.github/swe-bot.yml` of acme/widgets; undefined: none (the org's `.github` repository has none either). */
  config?: string;
  /** The issues `issues.get` answers with. */
  issues?: Record<number, { title: string; body: string }>;
  /** The pull requests `pulls.get` answers with (those the tests open by webhook). */
  pulls?: FakePull[];
  /** The tip of the default branch (`repos.getBranch`). */
  defaultBranchSha: string;
  /** The tree of that commit (`git.getCommit`). */
  baseTreeSha?: string;
}

/**
 * Declares every route the App uses on `gh`, all optional (tests assert the
 * sequence themselves), backed by in-memory state.
 */
export function fakeGitHub(gh: MockGitHub, options: FakeGitHubOptions): FakeGitHub {
  const state: FakeGitHub = {
    comments: [],
    checkRuns: [],
    blobs: new Map(),
    trees: new Map(),
    commits: new Map(),
    refs: new Map(),
    pulls: [...(options.pulls ?? [])],
    reviews: [],
    treeFiles(treeSha) {
      const tree = state.trees.get(treeSha);
      if (tree === undefined) throw new Error(`no tree ${treeSha} was created`);
      return new Map(tree.tree.map((entry) => [entry.path, entry.sha === null ? null : (state.blobs.get(entry.sha)?.toString('utf8') ?? `<unknown blob ${entry.sha}>`)]));
    },
  };
  let nextId = 1000;
  const optional = { optional: true } as const;
  const repoUrl = `https://github.com/${OWNER}/${NAME}`;
  const bodyOf = (req: GitHubRequest): Record<string, unknown> => req.body as Record<string, unknown>;

  // The App itself, and who may ask.
  gh.on('GET /app', { body: example('apps/get-authenticated', { slug: SLUG, name: SLUG }) }, optional);
  gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', (req) => ({
    body: collaboratorPermission(String(req.params.username), String(req.params.username) === MAINTAINER ? 'write' : 'read'),
  }), optional);

  // Configuration: the raw media type answers with the file's bytes.
  gh.on('GET /repos/{owner}/{repo}/contents/{path}', (req): GitHubReply => {
    const own = req.params.owner === OWNER && req.params.repo === NAME && req.params.path === '.github/swe-bot.yml';
    if (own && options.config !== undefined) return { body: options.config, headers: { 'content-type': 'text/plain; charset=utf-8' } };
    return replies.notFound();
  }, optional);

  // Issues, the default branch.
  gh.on('GET /repos/{owner}/{repo}/issues/{issue_number}', (req): GitHubReply => {
    const number = Number(req.params.issue_number);
    const issue = options.issues?.[number];
    if (issue === undefined) return replies.notFound();
    return { body: example('issues/get', { number, title: issue.title, body: issue.body, state: 'open', pull_request: undefined }) };
  }, optional);
  gh.on('GET /repos/{owner}/{repo}/branches/{branch}', (req): GitHubReply => ({
    body: example('repos/get-branch', { name: String(req.params.branch), commit: { sha: options.defaultBranchSha } }),
  }), optional);

  // Progress: 👀, the status comment, the check run.
  gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { status: 201, body: reaction({ content: 'eyes' }) }, optional);
  gh.on('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', (req) => ({
    body: state.comments.filter((comment) => comment.issue_url.endsWith(`/issues/${String(req.params.issue_number)}`)),
  }), optional);
  gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', (req) => {
    const id = nextId++;
    const number = String(req.params.issue_number);
    const comment = issueComment({
      id,
      body: String(bodyOf(req).body),
      user: { login: BOT, type: 'Bot' },
      issue_url: `https://api.github.com/repos/${OWNER}/${NAME}/issues/${number}`,
      html_url: `${repoUrl}/issues/${number}#issuecomment-${id}`,
    });
    state.comments.push(comment);
    return { status: 201, body: comment };
  }, optional);
  gh.on('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', (req): GitHubReply => {
    const comment = state.comments.find((c) => c.id === req.params.comment_id);
    if (comment === undefined) return replies.notFound();
    comment.body = String(bodyOf(req).body);
    return { body: comment };
  }, optional);
  const checkRunBody = (run: FakeCheckRun) =>
    checkRun({
      id: run.id,
      name: run.name,
      head_sha: run.head_sha,
      status: run.status as 'completed',
      conclusion: run.conclusion as 'success',
      external_id: run.external_id,
      html_url: `${repoUrl}/runs/${run.id}`,
      app: { slug: SLUG },
    });
  gh.on('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', (req) => {
    const runs = state.checkRuns.filter((run) => run.head_sha === req.params.ref && (req.query.check_name === undefined || run.name === req.query.check_name));
    return { body: { total_count: runs.length, check_runs: runs.map(checkRunBody) } };
  }, optional);
  gh.on('POST /repos/{owner}/{repo}/check-runs', (req) => {
    const body = bodyOf(req);
    const run: FakeCheckRun = {
      id: nextId++,
      name: String(body.name),
      head_sha: String(body.head_sha),
      status: typeof body.status === 'string' ? body.status : 'queued',
      conclusion: null,
      external_id: (body.external_id as string | undefined) ?? null,
      output: (body.output as FakeCheckRun['output'] | undefined) ?? {},
      annotations: [],
    };
    state.checkRuns.push(run);
    return { status: 201, body: checkRunBody(run) };
  }, optional);
  gh.on('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', (req): GitHubReply => {
    const run = state.checkRuns.find((r) => r.id === req.params.check_run_id);
    if (run === undefined) return replies.notFound();
    const body = bodyOf(req);
    if (typeof body.status === 'string') run.status = body.status;
    if (typeof body.conclusion === 'string') {
      run.conclusion = body.conclusion;
      run.status = 'completed';
    }
    const output = body.output as (FakeCheckRun['output'] & { annotations?: unknown[] }) | undefined;
    if (output !== undefined) {
      const { annotations, ...rest } = output;
      run.output = rest;
      // GitHub appends annotations across updates.
      run.annotations.push(...(annotations ?? []));
    }
    return { body: checkRunBody(run) };
  }, optional);

  // The Git Data API: blobs, trees, commits, refs.
  gh.on('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', (req) => ({
    body: gitCommit({ sha: String(req.params.commit_sha), tree: { sha: options.baseTreeSha ?? fakeSha(['tree of', req.params.commit_sha]) } }),
  }), optional);
  gh.on('POST /repos/{owner}/{repo}/git/blobs', (req) => {
    const body = bodyOf(req);
    const content = Buffer.from(String(body.content), body.encoding === 'base64' ? 'base64' : 'utf8');
    const sha = blobSha(content);
    state.blobs.set(sha, content);
    return { status: 201, body: gitBlob({ sha, url: `https://api.github.com/repos/${OWNER}/${NAME}/git/blobs/${sha}` }) };
  }, optional);
  gh.on('POST /repos/{owner}/{repo}/git/trees', (req) => {
    const body = bodyOf(req) as { base_tree?: string; tree: { path: string; mode: string; type: string; sha: string | null }[] };
    const sha = fakeSha(body);
    state.trees.set(sha, body);
    return { status: 201, body: gitTree({ sha }) };
  }, optional);
  gh.on('POST /repos/{owner}/{repo}/git/commits', (req) => {
    const body = bodyOf(req) as { message: string; tree: string; parents: string[] };
    const sha = fakeSha({ ...body, at: nextId++ });
    state.commits.set(sha, body);
    return { status: 201, body: gitCommit({ sha, tree: { sha: body.tree }, message: body.message }) };
  }, optional);
  gh.on('GET /repos/{owner}/{repo}/git/ref/{ref}', (req): GitHubReply => {
    const sha = state.refs.get(String(req.params.ref));
    return sha === undefined ? replies.notFound() : { body: gitRef({ ref: `refs/${String(req.params.ref)}`, object: { sha, type: 'commit' } }) };
  }, optional);
  gh.on('POST /repos/{owner}/{repo}/git/refs', (req): GitHubReply => {
    const body = bodyOf(req) as { ref: string; sha: string };
    const ref = body.ref.replace(/^refs\//, '');
    if (state.refs.has(ref)) return replies.validationFailed('Reference already exists');
    state.refs.set(ref, body.sha);
    return { status: 201, body: gitRef({ ref: body.ref, object: { sha: body.sha, type: 'commit' } }) };
  }, optional);
  gh.on('PATCH /repos/{owner}/{repo}/git/refs/{ref}', (req): GitHubReply => {
    const ref = String(req.params.ref);
    if (!state.refs.has(ref)) return replies.validationFailed('Reference does not exist');
    const sha = String(bodyOf(req).sha);
    state.refs.set(ref, sha);
    return { body: gitRef({ ref: `refs/${ref}`, object: { sha, type: 'commit' } }) };
  }, optional);

  // Pull requests and reviews.
  const pullBody = (pull: FakePull) =>
    pullRequest({
      number: pull.number,
      state: pull.state,
      title: pull.title,
      body: pull.body,
      draft: pull.draft,
      merged_at: null,
      html_url: `${repoUrl}/pull/${pull.number}`,
      head: { ref: pull.head.ref, sha: pull.head.sha, label: `${OWNER}:${pull.head.ref}` },
      base: { ref: pull.base.ref, sha: pull.base.sha, label: `${OWNER}:${pull.base.ref}` },
    });
  gh.on('GET /repos/{owner}/{repo}/pulls', (req) => {
    const head = typeof req.query.head === 'string' ? req.query.head : undefined;
    const pulls = state.pulls.filter((pull) => head === undefined || `${OWNER}:${pull.head.ref}` === head);
    return { body: pulls.map(pullBody) };
  }, optional);
  gh.on('POST /repos/{owner}/{repo}/pulls', (req) => {
    const body = bodyOf(req) as { head: string; base: string; title: string; body: string; draft?: boolean };
    const pull: FakePull = {
      number: 100 + state.pulls.length,
      state: 'open',
      head: { ref: body.head, sha: state.refs.get(`heads/${body.head}`) ?? '0'.repeat(40) },
      base: { ref: body.base, sha: options.defaultBranchSha },
      title: body.title,
      body: body.body,
      draft: body.draft ?? false,
    };
    state.pulls.push(pull);
    return { status: 201, body: pullBody(pull) };
  }, optional);
  gh.on('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', (req): GitHubReply => {
    const pull = state.pulls.find((p) => p.number === req.params.pull_number);
    if (pull === undefined) return replies.notFound();
    const body = bodyOf(req) as Partial<FakePull>;
    Object.assign(pull, body.title === undefined ? {} : { title: body.title }, body.body === undefined ? {} : { body: body.body }, body.state === undefined ? {} : { state: body.state });
    pull.head.sha = state.refs.get(`heads/${pull.head.ref}`) ?? pull.head.sha;
    return { body: pullBody(pull) };
  }, optional);
  gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', (req): GitHubReply => {
    const pull = state.pulls.find((p) => p.number === req.params.pull_number);
    return pull === undefined ? replies.notFound() : { body: pullBody(pull) };
  }, optional);
  gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', (req) => ({
    body: state.reviews.filter((r) => r.pull_request_url.endsWith(`/pulls/${String(req.params.pull_number)}`)),
  }), optional);
  gh.on('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', (req) => {
    const body = bodyOf(req) as { body: string; commit_id: string };
    const id = nextId++;
    const posted = review({
      id,
      body: body.body,
      commit_id: body.commit_id,
      state: 'COMMENTED',
      user: { login: BOT, type: 'Bot' },
      html_url: `${repoUrl}/pull/${String(req.params.pull_number)}#pullrequestreview-${id}`,
      pull_request_url: `https://api.github.com/repos/${OWNER}/${NAME}/pulls/${String(req.params.pull_number)}`,
    });
    state.reviews.push(posted);
    return { body: posted };
  }, optional);
  return state;
}

/**
 * Whether a request is a progress edit: the status comment rewritten with
 * the stage list (👀 …) other than by `start` (which edits an earlier run's
 * comment right after looking it up), or the check run's output replaced
 * while it runs (no `status`: `start` sends `in_progress`, `finish` sends
 * `completed`).
 */
export function isProgressEdit(request: GitHubRequest, previous: GitHubRequest | undefined): boolean {
  const body = request.body as { body?: string; status?: string; output?: { annotations?: unknown[] } } | undefined;
  if (request.operationId === 'issues/update-comment') {
    return previous?.operationId !== 'issues/list-comments' && /^<!--[^\n]*-->\n👀 /.test(body?.body ?? '');
  }
  return request.operationId === 'checks/update' && body?.status === undefined && body?.output?.annotations === undefined;
}

/**
 * The operation ids in order, with the progress edits made while a job ran
 * left out (the issue asks for them collapsed: here they are taken out of
 * the sequence and returned beside it). The reporter writes at most one edit
 * per 5 s, when a stage changes, so how many there are (none, on a fast run)
 * and between which other calls they land (they run on a timer, possibly
 * while publishing is under way) depends on the machine's speed. Everything
 * else stays, in order: the start, the final status comment and the check
 * run's completion, which `finish` writes after everything else.
 */
export function withoutProgressEdits(requests: GitHubRequest[]): { operations: string[]; edits: GitHubRequest[] } {
  const edits = requests.filter((request, index) => isProgressEdit(request, requests[index - 1]));
  const operations = requests.filter((request) => !edits.includes(request)).map((request) => request.operationId ?? `${request.method} ${request.path}`);
  return { operations, edits };
}

// ------------------------------------------------------------------- service

export interface AppService {
  service: Service;
  config: Config;
  prefix: string;
  /** `${service.url}/api/github/webhooks` */
  webhookUrl: string;
  stop(): Promise<void>;
}

/** Logs of the service on stderr when SWE_BOT_TEST_LOG names a level (debugging a failing run). */
export function testLogger(): Logger {
  const level = process.env.SWE_BOT_TEST_LOG;
  return level ? createLogger({ level, name: 'app-test' }) : silentLogger();
}

/** The environment of a registered App on 127.0.0.1 talking to the scripted model, as the tests run it. */
export function appEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return testEnv({
    ...serviceEnv(),
    SWE_BOT_MODEL: 'scripted-model',
    SWE_BOT_TOOL_FORMAT: 'text',
    // GitHub's 1 s between writes would only slow the tests down.
    SWE_BOT_GITHUB_WRITE_SPACING_MS: '0',
    SWE_BOT_SHUTDOWN_GRACE_MS: '0',
    ...overrides,
  });
}

/**
 * `swe-bot serve --role <role>` in this process, wired as src/cli/serve.ts
 * wires it, under a fresh Redis prefix and data folder. `stop()` stops it,
 * deletes the prefix's keys and the data folder.
 */
export async function startApp(
  options: { role?: ServiceOptions['role']; env?: Record<string, string | undefined>; workerOptions?: ServiceOptions['workerOptions']; prefix?: string } = {},
): Promise<AppService> {
  const prefix = options.prefix ?? randomPrefix();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-app-data-'));
  const config = loadConfig(appEnv({ SWE_BOT_DATA_DIR: dataDir, ...options.env }));
  const role = options.role ?? 'all';
  const service = await startService({
    config,
    role,
    logger: testLogger(),
    queuePrefix: prefix,
    ...(role === 'web' ? {} : { processors: await jobProcessors(config) }),
    ...(options.workerOptions ? { workerOptions: options.workerOptions } : {}),
  });
  let stopped = false;
  return {
    service,
    config,
    prefix,
    webhookUrl: `${service.url}/api/github/webhooks`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await service.stop();
      if (options.prefix === undefined) await deleteKeys(prefix);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A signed delivery to the App, as GitHub sends it. */
export async function deliver(url: string, event: WebhookEventName, payload: unknown, deliveryId?: string): Promise<void> {
  const response = await deliverWebhook({ url, event, payload, secret: WEBHOOK_SECRET, ...(deliveryId === undefined ? {} : { deliveryId }) });
  if (response.status !== 200) throw new Error(`the webhook was answered ${response.status}: ${response.body}`);
}

/** The repository as webhook payloads carry it. */
export function payloadRepository(cloneUrl: string) {
  return { id: REPO_ID, name: NAME, full_name: `${OWNER}/${NAME}`, owner: { login: OWNER }, clone_url: cloneUrl, default_branch: 'main' };
}

export const sender = (login = MAINTAINER) => ({ login, type: 'User' as const });
export const installation = { id: INSTALLATION_ID };

/** The `issues.labeled` delivery (label `autofix`, by the maintainer) asking for a fix of issue `number` ({@link ISSUE}'s text). */
export function labeledIssue(cloneUrl: string, number: number) {
  return webhookExample('issues', 'labeled', {
    repository: payloadRepository(cloneUrl),
    sender: sender(),
    label: { name: 'autofix' },
    issue: { number, title: ISSUE.title, body: ISSUE.body },
    installation,
  });
}

/** Waits until `check` holds (polled every 100 ms); the error names `what`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Waits until the job is completed or failed for good; returns it. */
export async function settledJob(queue: { getJob(id: string): Promise<Job | undefined> }, id: string, timeoutMs = 150_000): Promise<Job> {
  await waitFor(`job ${id} to finish`, async () => {
    const state = await (await queue.getJob(id))?.getState();
    return state === 'completed' || state === 'failed';
  }, timeoutMs);
  // Read again: a job read before it settled has neither its return value nor its failure yet.
  const job = await queue.getJob(id);
  if (job === undefined) throw new Error(`job ${id} is gone`);
  return job;
}

/** Containers (running or not) that work for `jobId`. */
export async function jobContainers(docker: Docker, jobId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABEL.job}=${jobId}`] } });
}

// --------------------------------------------------------------- model gate

export interface ModelGate {
  /** The URL to use as OPENAI_BASE_URL. */
  url: string;
  /** Holds the next chat request; resolves once one is held. */
  holdNext(): Promise<void>;
  /** Lets a held request through to the model. */
  release(): void;
  /** Held requests whose client gave up on them (an aborted job, a killed worker). */
  readonly abandoned: number;
  close(): Promise<void>;
}

/**
 * An HTTP front of the scripted model at `target` (its `/v1` URL): passes
 * requests through, except the ones it was told to hold, which wait until
 * `release()` or until the client closes the connection.
 */
export async function startModelGate(target: string): Promise<ModelGate> {
  let holds: { onHeld: () => void }[] = [];
  let held: { release: () => void }[] = [];
  let abandoned = 0;
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const forward = (): void => {
        const body = Buffer.concat(chunks);
        const proxied = http.request(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host, 'content-length': String(body.length) } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        proxied.on('error', () => res.destroy());
        res.on('close', () => proxied.destroy());
        proxied.end(body);
      };
      const hold = req.method === 'POST' ? holds.shift() : undefined;
      if (hold === undefined) {
        forward();
        return;
      }
      let done = false;
      const entry = {
        release: () => {
          if (done) return;
          done = true;
          forward();
        },
      };
      held.push(entry);
      res.on('close', () => {
        if (!done && !res.writableFinished) {
          done = true;
          abandoned += 1;
        }
      });
      hold.onHeld();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    holdNext: () => new Promise<void>((resolve) => holds.push({ onHeld: resolve })),
    release() {
      for (const entry of held.splice(0)) entry.release();
    },
    get abandoned() {
      return abandoned;
    },
    close: () =>
      new Promise<void>((resolve) => {
        holds = [];
        held = [];
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ------------------------------------------------------------ the fix script

/** The bug committed on top of the fixture: numeric strings are concatenated. */
export const BUGGY_LINE = "  if (typeof a === 'string' || typeof b === 'string') return a + b;\n";
export const ISSUE = { title: 'add() concatenates numeric strings', body: 'add("2", "3") returns "23" instead of 5.' };
export const REPRO_TEST = `'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { add } = require('../index.js');

test('adds numeric strings', () => {
  assert.strictEqual(add('2', '3'), 5);
});
`;

/** Commits the bug (for {@link serveRepo}). */
export function commitBug(work: FixtureRepo): void {
  const index = fs.readFileSync(path.join(work.dir, 'index.js'), 'utf8');
  const guard = "if (!isNumber(a) || !isNumber(b)) throw new TypeError('add expects numbers');\n";
  work.commit({ 'index.js': index.replace(guard, `${guard}${BUGGY_LINE}`) }, 'accept numeric strings');
}

/** A tool call in the text format (design.md §4). */
export const call = (name: string, params: Record<string, string>): string =>
  `<function=${name}>\n${Object.entries(params).map(([k, v]) => `<parameter=${k}>\n${v}\n</parameter>`).join('\n')}\n`;

/** The agent's steps of a verified fix: a reproduction test, the fix, finish. */
export const FIX_STEPS = [
  call('str_replace_editor', { command: 'create', path: '/testbed/test/strings.test.js', file_text: REPRO_TEST }),
  call('str_replace_editor', { command: 'str_replace', path: '/testbed/index.js', old_str: BUGGY_LINE, new_str: '' }),
  call('finish', { message: 'Strings were concatenated; removed that branch and added a test.' }),
];

/**
 * Scripted replies that pick the step by the conversation's length, not by
 * the order requests come in: a run that was cut short (a killed worker, a
 * retried job) leaves the script where the next run needs it.
 */
export function byStep(steps: string[], count = 40): ((request: { body: { messages: { role: string }[] } }) => string)[] {
  const reply = (request: { body: { messages: { role: string }[] } }): string =>
    steps[request.body.messages.filter((message) => message.role === 'assistant').length] ?? call('finish', { message: 'out of script' });
  return Array.from({ length: count }, () => reply);
}

/**
 * What a webhook handler may ask GitHub when it acts on a repository it saw
 * less than a minute ago: nothing (it caches the configuration and the
 * sender's permission for 60 s, src/app/intake.ts and authorize.ts), or,
 * once those caches ran out (a slow machine, a long job in between), these
 * reads again.
 */
export const HANDLER_READS = ['repos/get-content', 'repos/get-collaborator-permission-level'];

/** Splits `operations` at the first one `isJobStart` picks: what the webhook handler asked, and what the job did. */
export function splitAtJob(requests: GitHubRequest[], isJobStart: (request: GitHubRequest) => boolean): { handler: string[]; job: GitHubRequest[] } {
  const start = requests.findIndex(isJobStart);
  if (start === -1) throw new Error(`no job call among: ${requests.map((r) => r.operationId).join(', ')}`);
  return { handler: requests.slice(0, start).map((r) => r.operationId ?? `${r.method} ${r.path}`), job: requests.slice(start) };
}

/** Resolves with `promise`, or fails as soon as the job settles first (the job died before the point the test waits for). */
export async function beforeJobSettles<T>(promise: Promise<T>, queue: { getJob(id: string): Promise<Job | undefined> }, id: string, what: string): Promise<T> {
  let settled: { value: T } | undefined;
  void promise.then((value) => (settled = { value }));
  await waitFor(what, async () => {
    if (settled) return true;
    const job = await queue.getJob(id);
    const state = await job?.getState();
    if (state === 'completed' || state === 'failed') throw new Error(`job ${id} ${state} before ${what}: ${job?.failedReason ?? ''}`);
    return false;
  }, 150_000);
  return settled!.value;
}
