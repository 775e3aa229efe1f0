/**
 * A repository's `.github/swe-bot.yml` as the App sees it (design.md §6),
 * read through the contents API:
 * - the repository's own file; when it says `_extends: other-repo` (or
 *   `owner/repo`, optionally `:.github/file.yml`), that file is read as the
 *   defaults under it. Only a repository of the same owner, and only a YAML
 *   file under `.github/`: the App can read every repository of the
 *   installation, private ones included, and `_extends` must not turn that
 *   into a way for anyone who can edit one repository to read another's files;
 *   {@link parseExtends} refuses anything else;
 * - without a file of its own, the organisation's defaults: the same path in
 *   the owner's `.github` repository (the convention GitHub uses for
 *   community health files, https://docs.github.com/en/communities/setting-up-your-project-for-healthy-contributions/creating-a-default-community-health-file);
 * - neither: all defaults.
 * An invalid file is a ConfigError naming the file(s) and the exact problem,
 * for the App to quote on the issue or pull request. Only the repository's
 * own file is quoted (its lines, its keys): an error in an extended file or
 * the organisation's defaults names the file, the field and the problem,
 * never a line or a key of it, since the comment may be on a public
 * repository and that file in a private one (repo-config.ts `ConfigErrorDetail`).
 */
import {
  defaultRepoConfig,
  mergeConfig,
  readConfigYaml,
  validateRepoConfig,
  type RepoConfig,
} from '../config/repo-config.ts';
import { ConfigError } from '../errors.ts';
import type { GitHubClient } from './client.ts';
import { notFoundAs } from './not-found.ts';

export const CONFIG_PATH = '.github/swe-bot.yml';
/** The repository holding an organisation's defaults. */
export const ORG_DEFAULTS_REPO = '.github';

export interface LoadedRepoConfig {
  config: RepoConfig;
  /** Where it came from, most general first, e.g. `acme/.github:.github/swe-bot.yml`; empty for all defaults. */
  sources: string[];
}

export async function loadRepoConfigFromGitHub(
  octokit: GitHubClient,
  where: { owner: string; repo: string; ref?: string },
): Promise<LoadedRepoConfig> {
  const ownName = `${where.owner}/${where.repo}:${CONFIG_PATH}`;
  const ownText = await readFile(octokit, where.owner, where.repo, CONFIG_PATH, where.ref);
  if (ownText === undefined) {
    if (where.repo === ORG_DEFAULTS_REPO) return { config: defaultRepoConfig(), sources: [] };
    const orgText = await readFile(octokit, where.owner, ORG_DEFAULTS_REPO, CONFIG_PATH);
    if (orgText === undefined) return { config: defaultRepoConfig(), sources: [] };
    const orgName = `${where.owner}/${ORG_DEFAULTS_REPO}:${CONFIG_PATH}`;
    const { _extends: _ignored, ...orgData } = readConfigYaml(orgText, orgName, FOREIGN);
    return { config: validateRepoConfig(orgData, orgName, FOREIGN), sources: [orgName] };
  }
  const own = readConfigYaml(ownText, ownName);
  const { _extends: extendsValue, ...ownData } = own;
  if (extendsValue === undefined) return { config: validateRepoConfig(ownData, ownName), sources: [ownName] };
  if (typeof extendsValue !== 'string' || extendsValue.trim() === '') {
    throw new ConfigError(`${ownName}: _extends: expected a repository name such as ".github" or "owner/repo"`);
  }
  const target = parseExtends(extendsValue, where.owner, ownName);
  const baseName = `${target.owner}/${target.repo}:${target.path}`;
  const baseText = await readFile(octokit, target.owner, target.repo, target.path);
  if (baseText === undefined) {
    throw new ConfigError(`${ownName}: _extends: ${baseName} does not exist or the app cannot read it`);
  }
  // One level: an `_extends` in the extended file is not followed (no chains, no cycles).
  const { _extends: _nested, ...baseData } = readConfigYaml(baseText, baseName, FOREIGN);
  // Merged, an unknown key may come from either file: only the own file's are named.
  const merged = { quote: false, quotableKey: (path: readonly PropertyKey[], key: string) => hasPath(ownData, [...path, key]) };
  return { config: validateRepoConfig(mergeConfig(baseData, ownData), `${baseName} + ${ownName}`, merged), sources: [baseName, ownName] };
}

/** Errors about a file of another repository name the file and the problem, never its content. */
const FOREIGN = { quote: false } as const;

/** A GitHub account login (GitHub's rule, plus `_` for Enterprise Managed Users' `_shortcode`). */
const OWNER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,38})$/;
/** A repository name: letters, digits, `.`, `_` and `-` (not `.` or `..`). */
const REPO_NAME = /^[A-Za-z0-9._-]{1,100}$/;
/** What `_extends` may read: a YAML file under `.github/`, with plain path segments. */
const EXTENDS_PATH = /^\.github\/(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*\.ya?ml$/;

/**
 * `.github`, `other`, `owner/repo`, `repo:.github/file.yml`, `owner/repo:.github/file.yml`; `owner` must be `sameOwner`
 * (GitHub logins compare without case) and the path a `.github/….yml` or `.yaml` file without `..`. Anything else is a
 * ConfigError naming the rule, prefixed with `file` (the file that says `_extends`).
 */
export function parseExtends(value: string, sameOwner: string, file = CONFIG_PATH): { owner: string; repo: string; path: string } {
  const refuse = (why: string): ConfigError => new ConfigError(`${file}: _extends: ${JSON.stringify(value)} is refused: ${why}`);
  const match = /^(?:([^/:]+)\/)?([^/:]+)(?::(.*))?$/.exec(value.trim());
  if (match === null) throw refuse('expected "repo", "owner/repo" or either followed by ":.github/file.yml"');
  const [, owner = sameOwner, repo = '', path = CONFIG_PATH] = match;
  if (!OWNER_NAME.test(owner) || !REPO_NAME.test(repo) || repo === '.' || repo === '..') throw refuse('that is not a repository name');
  if (owner.toLowerCase() !== sameOwner.toLowerCase()) {
    throw refuse(`only repositories of the same owner (${sameOwner}) can be extended`);
  }
  if (!EXTENDS_PATH.test(path) || path.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw refuse('only a .yml or .yaml file under .github/ can be extended (e.g. ".github/swe-bot.yml"), without ".." in its path');
  }
  return { owner, repo, path };
}

function hasPath(data: unknown, path: readonly PropertyKey[]): boolean {
  let node = data;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return false;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return true;
}

/** A file's text at `ref` (default branch when absent); undefined when it does not exist. */
async function readFile(octokit: GitHubClient, owner: string, repo: string, path: string, ref?: string): Promise<string | undefined> {
  // The raw media type returns the file's bytes instead of base64 in JSON:
  // https://docs.github.com/en/rest/repos/contents#get-repository-content
  const response = await octokit.rest.repos
    .getContent({ owner, repo, path, ...(ref === undefined ? {} : { ref }), mediaType: { format: 'raw' } })
    .catch(notFoundAs(undefined));
  if (response === undefined) return undefined;
  const data: unknown = response.data;
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  // A server (or proxy) that ignores the raw media type answers with the JSON form: base64 content.
  if (typeof data === 'object' && data !== null && 'type' in data && data.type === 'file' && 'content' in data && typeof data.content === 'string') {
    return Buffer.from(data.content, 'base64').toString('utf8');
  }
  throw new ConfigError(`${owner}/${repo}:${path} is not a file`);
}
