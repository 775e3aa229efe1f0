/**
 * SWE_BOT_BUILD_SECRETS: what environment builds of an account get to
 * install private dependencies, as JSON naming host environment variables
 * (never the values themselves, which stay in the host's environment):
 *
 * ```json
 * { "acme": { "NPM_TOKEN": "ACME_NPM_TOKEN", ".npmrc": "ACME_NPMRC" }, "*": { "PIP_INDEX_URL": "MIRROR_URL" } }
 * ```
 *
 * Keys are account logins (the repository's owner) or `*` for every account;
 * an account's entries go over `*`'s. A name in capitals becomes an
 * environment variable of the setup commands (`NPM_TOKEN` for an `.npmrc`
 * that says `${NPM_TOKEN}`, `PIP_INDEX_URL`); `.npmrc` becomes npm's user
 * configuration file for them. Nothing of it reaches an image layer or a
 * test container (src/sandbox/env-image.ts).
 */
import { z } from 'zod';
import { ConfigError } from '../errors.ts';

/** What the setup commands of one build get. */
export interface BuildSecretSet {
  env: Record<string, string>;
  /** The content of npm's user configuration file, when given. */
  npmrc?: string;
}

export type BuildSecrets = Readonly<Record<string, BuildSecretSet>>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FILE_NAMES = ['.npmrc'] as const;

const Schema = z.record(
  z.string().regex(/^(?:\*|[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))$/, 'expected an account login or *'),
  z.record(z.string(), z.string().regex(ENV_NAME, 'expected the name of an environment variable of this machine')),
);

/** Reads the mapping and the variables it names from `env`; a ConfigError names what is wrong, never a value. */
export function parseBuildSecrets(text: string | undefined, env: NodeJS.ProcessEnv): BuildSecrets {
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`SWE_BOT_BUILD_SECRETS: not JSON (${(error as Error).message})`);
  }
  const parsed = Schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new ConfigError(`SWE_BOT_BUILD_SECRETS: ${problems.join('; ')}`);
  }
  const out: Record<string, BuildSecretSet> = {};
  for (const [account, names] of Object.entries(parsed.data)) {
    const set: BuildSecretSet = { env: {} };
    for (const [name, hostVariable] of Object.entries(names)) {
      if (!ENV_NAME.test(name) && !(FILE_NAMES as readonly string[]).includes(name)) {
        throw new ConfigError(`SWE_BOT_BUILD_SECRETS: ${account}.${name}: expected an environment variable name or one of ${FILE_NAMES.join(', ')}`);
      }
      const value = env[hostVariable];
      if (value === undefined || value === '') {
        throw new ConfigError(`SWE_BOT_BUILD_SECRETS: ${account}.${name} names ${hostVariable}, which is not set`);
      }
      if (name === '.npmrc') set.npmrc = value;
      else set.env[name] = value;
    }
    out[account] = set;
  }
  return out;
}

/** The secrets of builds of `account`'s repositories (`*`'s with the account's over them), or undefined when there are none. */
export function buildSecretsFor(secrets: BuildSecrets, account: string | undefined): BuildSecretSet | undefined {
  const all = secrets['*'];
  const own = account === undefined ? undefined : Object.entries(secrets).find(([key]) => key.toLowerCase() === account.toLowerCase())?.[1];
  if (!all && !own) return undefined;
  const npmrc = own?.npmrc ?? all?.npmrc;
  return { env: { ...all?.env, ...own?.env }, ...(npmrc === undefined ? {} : { npmrc }) };
}

/** Every secret value, for the redactor. */
export function buildSecretValues(secrets: BuildSecrets): string[] {
  return Object.values(secrets).flatMap((set) => [...Object.values(set.env), ...(set.npmrc === undefined ? [] : [set.npmrc])]);
}
