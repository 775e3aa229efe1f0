/**
 * Registering the GitHub App on the first start, through GitHub's manifest
 * flow (https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest):
 * while APP_ID or the private key is missing, the server shows a page at `/`
 * whose button sends `app.yml` to GitHub; GitHub creates the App and
 * redirects back with a code, which is exchanged for the App's id, private
 * key and webhook secret; those are written to `.env` and the service starts
 * for real.
 *
 * Probot has the same flow (`probot/lib/apps/setup.js`), but it is not part
 * of Probot's public exports, reads `process.env` itself, registers the
 * webhook at `/` (the service receives it at `/api/github/webhooks`), and
 * fetches smee-client with npx outside production. This is that flow
 * without those: the webhook URL is `SWE_BOT_PUBLIC_URL` (or the address the
 * page was opened at) plus the webhook path, and a `state` value guards the
 * redirect against forged codes.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseEnv } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** Paths of the registration pages. */
export const REGISTRATION_PATH = { start: '/setup', done: '/setup/done' } as const;
/** How long a registration started on the page may take to come back, ms. */
export const REGISTRATION_STATE_TTL_MS = 60 * 60_000;

export interface RegisteredApp {
  id: number;
  slug: string;
  htmlUrl: string;
}

export interface RegistrationOptions {
  github: { host: string; protocol: 'https' | 'http' };
  /** Where the credentials go (`.env` in the working folder). */
  envFile: string;
  /** The App manifest (`app.yml`). */
  manifestFile: string;
  /** SWE_BOT_PUBLIC_URL; unset: the address the page is opened at. */
  publicUrl: string | undefined;
  /** Where the service receives webhooks. */
  webhookPath: string;
  logger: Logger;
  /** Called once the credentials are written (after the answer is sent). */
  onRegistered(app: RegisteredApp): void;
  /** For tests: the fetch that calls GitHub. */
  fetch?: typeof fetch;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export function createRegistrationHandler(options: RegistrationOptions): RequestHandler {
  const { github, logger } = options;
  const web = `${github.protocol}://${github.host}`;
  const api = github.host === 'github.com' ? 'https://api.github.com' : `${web}/api/v3`;
  const doFetch = options.fetch ?? fetch;
  const states = new Map<string, number>();
  let registered = false;

  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/') {
      res.writeHead(302, { location: REGISTRATION_PATH.start }).end();
      return true;
    }
    if (url.pathname === REGISTRATION_PATH.start) {
      const base = options.publicUrl ?? requestBase(req);
      const org = url.searchParams.get('org')?.trim() || undefined;
      const state = randomBytes(16).toString('hex');
      const now = Date.now();
      for (const [key, expires] of states) if (expires < now) states.delete(key);
      states.set(state, now + REGISTRATION_STATE_TTL_MS);
      const manifest = buildManifest(options.manifestFile, base, options.webhookPath);
      const target = `${web}${org ? `/organizations/${encodeURIComponent(org)}` : ''}/settings/apps/new?state=${state}`;
      html(res, 200, startPage({ target, manifest, org, base, webhookUrl: manifest.hook_attributes.url, registered }));
      return true;
    }
    if (url.pathname === REGISTRATION_PATH.done) {
      const code = url.searchParams.get('code') ?? '';
      const state = url.searchParams.get('state') ?? '';
      const expires = states.get(state);
      if (!/^[\w-]{1,200}$/.test(code) || expires === undefined || expires < Date.now()) {
        html(res, 400, page('Registration not recognised', `<p>This link did not come from a registration started here (or it expired). <a href="${REGISTRATION_PATH.start}">Start again</a>.</p>`));
        return true;
      }
      states.delete(state);
      try {
        const app = await convert(doFetch, api, code);
        writeCredentials(options.envFile, {
          APP_ID: String(app.id),
          PRIVATE_KEY: app.pem,
          WEBHOOK_SECRET: app.webhook_secret,
          GITHUB_CLIENT_ID: app.client_id,
          GITHUB_CLIENT_SECRET: app.client_secret,
        });
        registered = true;
        const done: RegisteredApp = { id: app.id, slug: app.slug, htmlUrl: app.html_url };
        logger.info({ appId: app.id, slug: app.slug, envFile: options.envFile }, 'GitHub App registered: credentials written; starting');
        // Next: install it (GitHub's page), while the service restarts with the credentials.
        res.once('finish', () => options.onRegistered(done));
        res.writeHead(302, { location: `${app.html_url}/installations/new` }).end();
      } catch (error) {
        logger.error({ err: describeError(error) }, 'GitHub App registration failed');
        html(res, 502, page('Registration failed', `<p>GitHub did not hand over the App's credentials: ${escapeHtml(describeError(error))}</p><p><a href="${REGISTRATION_PATH.start}">Try again</a>.</p>`));
      }
      return true;
    }
    return false;
  };
}

interface Manifest {
  name?: string;
  url?: string;
  hook_attributes: { url: string; active?: boolean };
  redirect_url: string;
  [key: string]: unknown;
}

/** app.yml with the addresses of this server filled in (what app.yml sets itself wins). */
export function buildManifest(manifestFile: string, base: string, webhookPath: string): Manifest {
  const fromFile = (parseYaml(fs.readFileSync(manifestFile, 'utf8')) ?? {}) as Record<string, unknown>;
  const hook = (fromFile.hook_attributes ?? {}) as Record<string, unknown>;
  return {
    ...fromFile,
    hook_attributes: { ...hook, url: typeof hook.url === 'string' ? hook.url : `${base}${webhookPath}` },
    redirect_url: typeof fromFile.redirect_url === 'string' ? fromFile.redirect_url : `${base}${REGISTRATION_PATH.done}`,
  };
}

interface Conversion {
  id: number;
  slug: string;
  html_url: string;
  pem: string;
  webhook_secret: string;
  client_id: string;
  client_secret: string;
}

/** https://docs.github.com/en/rest/apps/apps#create-a-github-app-from-a-manifest (no authentication: the code is the credential). */
async function convert(doFetch: typeof fetch, api: string, code: string): Promise<Conversion> {
  const response = await doFetch(`${api}/app-manifests/${encodeURIComponent(code)}/conversions`, {
    method: 'POST',
    headers: { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'swe-bot' },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST /app-manifests/{code}/conversions answered ${response.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as Partial<Conversion>;
  if (typeof body.id !== 'number' || !body.pem || !body.webhook_secret) throw new Error('the answer lacks id, pem or webhook_secret');
  return body as Conversion;
}

/**
 * Sets `values` in the env file: other lines (comments included) stay, our
 * keys are replaced. Values are double-quoted with `\n` for newlines, which
 * Node's own parser (`--env-file`, `process.loadEnvFile`,
 * https://nodejs.org/api/util.html#utilparseenvcontent) and dotenv read back
 * as newlines. Owner-only permissions: the file holds a private key.
 */
export function writeCredentials(file: string, values: Record<string, string>): void {
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  for (const key of Object.keys(values)) {
    // A value may be a double-quoted string spanning lines.
    text = text.replace(new RegExp(`^[ \\t]*(?:export[ \\t]+)?${key}[ \\t]*=(?:[ \\t]*"(?:[^"\\\\]|\\\\.)*"[^\\n]*|[^\\n]*)\\n?`, 'gm'), '');
  }
  if (text && !text.endsWith('\n')) text += '\n';
  for (const [key, value] of Object.entries(values)) {
    // Node's parser expands `\n` in double quotes and nothing else, so a quote or backslash cannot be written safely.
    if (/["\\]/.test(value)) throw new Error(`${key}: a value with a quote or backslash cannot be written to ${file}`);
    text += `${key}="${value.replace(/\r?\n/g, '\\n')}"\n`;
  }
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  // Read back: a file Node cannot parse would fail the restart in a confusing way.
  const parsed = parseEnv(fs.readFileSync(file, 'utf8'));
  for (const [key, value] of Object.entries(values)) {
    if (parsed[key] !== value) throw new Error(`${file}: ${key} does not read back as written`);
  }
}

function requestBase(req: IncomingMessage): string {
  const forwardedProto = headerValue(req.headers['x-forwarded-proto']);
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const protocol = forwardedProto ?? (encrypted ? 'https' : 'http');
  const host = headerValue(req.headers['x-forwarded-host']) ?? req.headers.host ?? 'localhost';
  return `${protocol}://${host}`;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
  return first || undefined;
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(body);
}

function startPage(view: { target: string; manifest: Manifest; org: string | undefined; base: string; webhookUrl: string; registered: boolean }): string {
  const owner = view.org ? `the organisation <b>${escapeHtml(view.org)}</b>` : 'your personal account';
  const local = /^https?:\/\/(localhost|127\.|\[::1\])/.test(view.webhookUrl);
  return page(
    'Register swe-bot as a GitHub App',
    `${view.registered ? '<p><b>An App was registered already</b>: the service restarts with it. Registering again makes a second App.</p>' : ''}
<p>swe-bot has no GitHub App credentials yet (<code>APP_ID</code>, <code>PRIVATE_KEY</code>, <code>WEBHOOK_SECRET</code>).
The button sends the manifest below to GitHub, which creates the App for ${owner}; GitHub then sends you back here, the
credentials are written to <code>.env</code>, and the service starts.</p>
<form action="${escapeHtml(view.target)}" method="post">
  <input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(view.manifest))}">
  <button type="submit">Create the GitHub App on ${escapeHtml(new URL(view.target).host)}</button>
</form>
<form action="${REGISTRATION_PATH.start}" method="get">
  <p>For an organisation instead: <input name="org" placeholder="organisation login" value="${escapeHtml(view.org ?? '')}"> <button type="submit">Use it</button></p>
</form>
<p>Webhooks will go to <code>${escapeHtml(view.webhookUrl)}</code>.${local ? ' <b>GitHub cannot reach that address.</b> Set <code>SWE_BOT_PUBLIC_URL</code> to the address GitHub reaches this server at and restart, or change the webhook URL in the App\'s settings afterwards.' : ''}</p>
<details><summary>Manifest (from app.yml)</summary><pre>${escapeHtml(JSON.stringify(view.manifest, null, 2))}</pre></details>`,
  );
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem}button{font-size:1rem;padding:.4rem .9rem}pre{background:#f4f4f4;padding:.6rem;overflow:auto}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
