/**
 * A fake GitHub for the end-to-end tests of the App (`*.app.test.ts`): on
 * the GitHub mock (./github-api.ts, every request checked against GitHub's
 * OpenAPI description), every route the App uses, with state: comments,
 * check runs, blobs, trees, commits, refs, pull requests and reviews behave
 * as GitHub's do, so a job that looks for its own earlier output finds it;
 * blob shas are git's own hash of the content, so a tree can be read back.
 */
import { createHash } from 'node:crypto';
import { BOT, MAINTAINER, NAME, OWNER, SLUG } from './app-repo.ts';
import {
  checkRun,
  collaboratorPermission,
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
} from './github-api.ts';

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
  /** Permission per login; default: the maintainer (alice) has write, anyone else read. */
  permissions?: Record<string, 'admin' | 'write' | 'read' | 'none'>;
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
    body: collaboratorPermission(String(req.params.username), options.permissions?.[String(req.params.username)] ?? (String(req.params.username) === MAINTAINER ? 'write' : 'read')),
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
  // On the `/autofix` comment that asked, when a comment did.
  gh.on('POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', { status: 201, body: reaction({ content: 'eyes' }) }, optional);
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
