/**
 * The GitHub client type the publishing code needs: the REST endpoint
 * methods of @octokit/rest. Probot's installation clients
 * (`app.auth(installationId)`) carry the same methods, so both fit.
 */
import type { Octokit } from '@octokit/rest';

export type GitHubClient = Pick<Octokit, 'rest' | 'request' | 'paginate'>;
