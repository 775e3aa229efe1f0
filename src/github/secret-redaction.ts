/**
 * Where what GitHub receives is cleaned of secrets, and where installation
 * tokens become known secrets; the service gives both to Probot
 * (src/server/service.ts), so every client it builds (the App's, each
 * installation's, the webhook handlers' and the workers' alike) has them.
 *
 * - {@link redactingOctokit}, an Octokit plugin
 *   (https://github.com/octokit/core.js#plugins, `request` hooks): `before`
 *   each request, the texts people read (a comment's, pull request's or
 *   review's body and title, a commit message, a check run's output and
 *   annotations, a review's inline comments) go through the redactor. File
 *   contents (blobs, tree entries) are left alone: they are the patch, and
 *   cleaning them would change what is committed.
 * - {@link tokenLearningFetch}, the `fetch` every request goes out with: the
 *   token of each `POST /app/installations/{id}/access_tokens` answer
 *   (https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app)
 *   is added before the answer is handed on, so before anything can print
 *   it. Hooks would not do: @octokit/auth-app mints an installation client's
 *   token inside its auth hook, with the request that hook wraps, which no
 *   hook added later (a plugin's) sees; and Probot gives auth-app a `request`
 *   of its own, with the `fetch` it was given but not the base URL. The
 *   transport sees them all, clone tokens and renewals included.
 */
import type { ProbotOctokit } from 'probot';
import type { SecretRedactor } from '../util/secret-redactor.ts';

/** Text fields of request bodies that people read, at the top level and inside `output`, `annotations` and `comments`. */
const TEXT_FIELDS = new Set(['body', 'title', 'message', 'summary', 'text', 'raw_details']);
/** Nested objects (or lists of them) whose text fields are cleaned too. */
const NESTED_FIELDS = new Set(['output', 'annotations', 'comments']);

/** The path of the access-token endpoint, on github.com (`/app/…`) and GHES (`/api/v3/app/…`). */
const TOKEN_PATH = /\/app\/installations\/[^/]+\/access_tokens$/;

/** `Base` with the redacting plugin: give the result to Probot (`new Probot({ Octokit: redactingOctokit(AppOctokit, redactor) })`). */
export function redactingOctokit(Base: typeof ProbotOctokit, redactor: SecretRedactor): typeof ProbotOctokit {
  return Base.plugin((octokit) => {
    octokit.hook.before('request', (options) => {
      const fields = options as Record<string, unknown>;
      for (const [field, value] of Object.entries(fields)) {
        if (TEXT_FIELDS.has(field) || NESTED_FIELDS.has(field)) fields[field] = redactTexts(value, redactor, TEXT_FIELDS.has(field));
      }
    });
  });
}

/**
 * `base` (default: the global `fetch`, looked up at each call) that adds the
 * token of every access-token answer to the redactor before handing the
 * answer on: give it to Probot as `request: { fetch }`.
 */
export function tokenLearningFetch(redactor: SecretRedactor, base?: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await (base ?? globalThis.fetch)(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    if (method === 'POST' && response.ok && TOKEN_PATH.test(new URL(url).pathname)) {
      const data = (await response.clone().json().catch(() => undefined)) as { token?: unknown } | undefined;
      if (typeof data?.token === 'string') redactor.add(data.token);
    }
    return response;
  };
}

/**
 * A copy of `value` with its texts redacted: a string when it is a text field,
 * the text fields of an object, each element of a list. The caller's objects
 * are not changed.
 */
function redactTexts(value: unknown, redactor: SecretRedactor, isText: boolean): unknown {
  if (typeof value === 'string') return isText ? redactor.redact(value) : value;
  if (Array.isArray(value)) return value.map((item) => redactTexts(item, redactor, isText));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [field, inner] of Object.entries(value)) {
    out[field] = TEXT_FIELDS.has(field) || NESTED_FIELDS.has(field) ? redactTexts(inner, redactor, TEXT_FIELDS.has(field)) : inner;
  }
  return out;
}
