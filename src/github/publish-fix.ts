/**
 * Publishes a change as a pull request, idempotently (design.md §5): one
 * branch (`swe-bot/issue-N` for a fix, `swe-bot/setup` for pinned test
 * commands) and one commit made through the Git Data API, then one pull
 * request from it, found again by its head branch on a re-run and updated in
 * place. Nothing is ever merged.
 *
 * The Git Data API builds the commit server-side, so no token ever reaches a
 * git remote: https://docs.github.com/en/rest/git — blobs, a tree on top of
 * the base commit's tree (`base_tree`; entries with `sha: null` delete), a
 * commit, and the ref moved with `force` because a re-run replaces the
 * earlier attempt rather than stacking on it.
 */
import type { GitHubClient } from './client.ts';
import { notFoundAs } from './not-found.ts';

/** A file as the fix leaves it; `content: null` deletes it. */
export interface ChangedFile {
  path: string;
  content: Buffer | null;
  /** Git file mode: `100644`, `100755` or `120000` (symlink). Default `100644`. */
  mode?: '100644' | '100755' | '120000';
}

export interface PublishInput {
  owner: string;
  repo: string;
  /** The pull request's head branch: one per purpose, moved by every re-run. */
  branch: string;
  /** The commit the fix was made on (the default branch's tip when the job started). */
  baseSha: string;
  /** The branch the pull request targets. */
  baseBranch: string;
  files: ChangedFile[];
  commitMessage: string;
  title: string;
  /** Must hold the hidden marker (see markers.ts) so the pull request can be told apart. */
  body: string;
  draft: boolean;
}

export interface PublishFixInput extends Omit<PublishInput, 'branch'> {
  issueNumber: number;
}

export interface PublishedFix {
  branch: string;
  commitSha: string;
  pullRequest: { number: number; url: string };
  /** False when an earlier pull request for the issue was updated. */
  created: boolean;
}

export function fixBranch(issueNumber: number): string {
  return `swe-bot/issue-${issueNumber}`;
}

export function publishFix(octokit: GitHubClient, input: PublishFixInput): Promise<PublishedFix> {
  const { issueNumber, ...rest } = input;
  return publishPullRequest(octokit, { ...rest, branch: fixBranch(issueNumber) });
}

/** One commit of `files` on `input.branch`, and the one pull request from it, created or updated. */
export async function publishPullRequest(octokit: GitHubClient, input: PublishInput): Promise<PublishedFix> {
  const { owner, repo, branch } = input;

  // The commit: blobs → tree on the base tree → commit with the base as parent.
  const base = await octokit.rest.git.getCommit({ owner, repo, commit_sha: input.baseSha });
  const tree = [];
  for (const file of input.files) {
    if (file.content === null) {
      tree.push({ path: file.path, mode: file.mode ?? '100644', type: 'blob' as const, sha: null });
      continue;
    }
    const blob = await octokit.rest.git.createBlob({ owner, repo, content: file.content.toString('base64'), encoding: 'base64' });
    tree.push({ path: file.path, mode: file.mode ?? '100644', type: 'blob' as const, sha: blob.data.sha });
  }
  const newTree = await octokit.rest.git.createTree({ owner, repo, base_tree: base.data.tree.sha, tree });
  const commit = await octokit.rest.git.createCommit({
    owner,
    repo,
    message: input.commitMessage,
    tree: newTree.data.sha,
    parents: [input.baseSha],
  });

  // The branch: moved if it exists (a re-run), created otherwise.
  const existing = await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` }).catch(notFoundAs(undefined));
  if (existing === undefined) {
    await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: commit.data.sha });
  } else {
    await octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: commit.data.sha, force: true });
  }

  // The pull request: the one already open from this branch, a closed one reopened, or a new one.
  const pulls = await octokit.rest.pulls.list({ owner, repo, head: `${owner}:${branch}`, state: 'all', per_page: 10 });
  const earlier = pulls.data.find((pull) => pull.state === 'open') ?? pulls.data.find((pull) => pull.merged_at === null);
  if (earlier !== undefined) {
    const updated = await octokit.rest.pulls.update({
      owner,
      repo,
      pull_number: earlier.number,
      title: input.title,
      body: input.body,
      ...(earlier.state === 'open' ? {} : { state: 'open' as const }),
    });
    return { branch, commitSha: commit.data.sha, pullRequest: { number: updated.data.number, url: updated.data.html_url }, created: false };
  }
  const created = await octokit.rest.pulls.create({
    owner,
    repo,
    head: branch,
    base: input.baseBranch,
    title: input.title,
    body: input.body,
    draft: input.draft,
    maintainer_can_modify: true,
  });
  return { branch, commitSha: commit.data.sha, pullRequest: { number: created.data.number, url: created.data.html_url }, created: true };
}
