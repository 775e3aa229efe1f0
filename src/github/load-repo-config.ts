/**
 * A repository's `.github/swe-bot.yml` as the App sees it (design.md §6),
 * read through the contents API:
 * - the repository's own file; when it says `_extends: other-repo` (or
 *   `owner/repo`, optionally `:path/to/file.yml`), that file is read as the
 *   defaults under it;
 * - without a file of its own, the organisation's defaults: the same path in
 *   the owner's `.github` repository (the convention GitHub uses for
 *   community health files, https://docs.github.com/en/communities/setting-up-your-project-for-healthy-contributions/creating-a-default-community-health-file);
 * - neither: all defaults.
 * An invalid file is a ConfigError naming the file(s) and the exact problem,
 * for the App to quote on the issue or pull request.
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
    const { _extends: _ignored, ...orgData } = readConfigYaml(orgText, orgName);
    return { config: validateRepoConfig(orgData, orgName), sources: [orgName] };
  }
  const own = readConfigYaml(ownText, ownName);
  const { _extends: extendsValue, ...ownData } = own;
  if (extendsValue === undefined) return { config: validateRepoConfig(ownData, ownName), sources: [ownName] };
  if (typeof extendsValue !== 'string' || extendsValue.trim() === '') {
    throw new ConfigError(`${ownName}: _extends: expected a repository name such as ".github" or "owner/repo"`);
  }
  const target = parseExtends(extendsValue, where.owner);
  const baseName = `${target.owner}/${target.repo}:${target.path}`;
  const baseText = await readFile(octokit, target.owner, target.repo, target.path);
  if (baseText === undefined) {
    throw new ConfigError(`${ownName}: _extends: ${baseName} does not exist or the app cannot read it`);
  }
  // One level: an `_extends` in the extended file is not followed (no chains, no cycles).
  const { _extends: _nested, ...baseData } = readConfigYaml(baseText, baseName);
  return { config: validateRepoConfig(mergeConfig(baseData, ownData), `${baseName} + ${ownName}`), sources: [baseName, ownName] };
}

/** `.github`, `other`, `owner/repo`, `owner/repo:path/file.yml`. */
export function parseExtends(value: string, defaultOwner: string): { owner: string; repo: string; path: string } {
  const [repoPart = '', path = CONFIG_PATH] = value.trim().split(':', 2);
  const [first = '', second] = repoPart.split('/', 2);
  return second === undefined ? { owner: defaultOwner, repo: first, path } : { owner: first, repo: second, path };
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
