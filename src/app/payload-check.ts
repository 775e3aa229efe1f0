/**
 * The repository a delivery names, checked before any handler reads it: its
 * `clone_url` reaches git on the workers (src/github/clone.ts) and its
 * `default_branch` the API and the pull requests, so neither is taken as
 * given. A verified signature says the delivery came from GitHub, yet a
 * payload can still carry what the App must not act on (a fuzzing run put
 * `file:///etc`, another host and `--upload-pack=…` into job data), and the
 * check costs nothing.
 *
 * The clone URL must be exactly what GitHub sends for the configured host,
 * `<GHE_PROTOCOL>://<GHE_HOST>/<owner>/<name>.git`, for the repository's own
 * full name (https://docs.github.com/en/webhooks/webhook-events-and-payloads,
 * the `repository` object); owner and name must be names GitHub allows; the
 * default branch must be a branch name git accepts (../util/git-ref-name.ts).
 */
import { branchNameProblem } from '../util/git-ref-name.ts';

/** A GitHub account login (GitHub's rule, plus `_` for Enterprise Managed Users' `_shortcode`). */
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})$/;
/** A repository name: letters, digits, `.`, `_` and `-`, at most 100, not `.` or `..`. */
const REPOSITORY_NAME = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;

/** `https://github.com`, or `<GHE_PROTOCOL>://<GHE_HOST>` for GitHub Enterprise Server. */
export function cloneOrigin(github: { protocol: string; host: string }): string {
  return `${github.protocol}://${github.host}`;
}

/** The only clone URL a payload may name for `owner/name` under `origin`. */
export function expectedCloneUrl(origin: string, owner: string, name: string): string {
  return `${origin}/${owner}/${name}.git`;
}

/**
 * Why the payload's `repository` must not be acted on, or undefined when it
 * is fine (or absent: installation events name none). `origin` is
 * {@link cloneOrigin} of the configuration.
 */
export function payloadRepositoryProblem(payload: unknown, origin: string): string | undefined {
  if (typeof payload !== 'object' || payload === null || !('repository' in payload)) return undefined;
  const repository = payload.repository;
  if (repository === undefined || repository === null) return undefined;
  if (typeof repository !== 'object') return 'repository is not an object';
  const { id, name, full_name: fullName, owner, clone_url: cloneUrl, default_branch: defaultBranch } = repository as Record<string, unknown>;
  const login = typeof owner === 'object' && owner !== null ? (owner as { login?: unknown }).login : undefined;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return `repository.id ${show(id)} is not a positive integer`;
  if (typeof login !== 'string' || !LOGIN.test(login)) return `repository.owner.login ${show(login)} is not a GitHub login`;
  if (typeof name !== 'string' || !REPOSITORY_NAME.test(name)) return `repository.name ${show(name)} is not a repository name`;
  if (fullName !== `${login}/${name}`) return `repository.full_name ${show(fullName)} is not ${show(`${login}/${name}`)}`;
  const expected = expectedCloneUrl(origin, login, name);
  // Scheme and host compare without case (GHE_HOST may be written otherwise than GitHub writes it); the path exactly.
  const matches = typeof cloneUrl === 'string' && cloneUrl.slice(0, origin.length).toLowerCase() === origin.toLowerCase() && cloneUrl.slice(origin.length) === expected.slice(origin.length);
  if (!matches) return `repository.clone_url ${show(cloneUrl)} is not ${show(expected)} (the configured GitHub host and the repository's own name)`;
  const branch = branchNameProblem(defaultBranch);
  if (branch !== undefined) return `repository.default_branch ${show(defaultBranch)} is not a branch name: ${branch}`;
  return undefined;
}

/** A value for the log line: JSON (control characters escaped), cut short. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
