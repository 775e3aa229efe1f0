/**
 * The GitHub App's credentials from the configuration: the App id, the
 * private key (PRIVATE_KEY inline, or the file at PRIVATE_KEY_PATH) and the
 * webhook secret. Missing id or key means the App is not registered yet
 * (the service then serves the registration pages); a key that cannot be
 * read, or a web server without a webhook secret, is a configuration error.
 */
import fs from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import type { Config } from '../config/load-config.ts';
import { ConfigError, describeError } from '../errors.ts';

export interface AppCredentials {
  appId: string;
  privateKey: string;
  webhookSecret: string | undefined;
}

/** The credentials, or undefined when APP_ID or the private key is missing. Throws on unreadable ones. */
export function readAppCredentials(github: Config['github']): AppCredentials | undefined {
  const { appId, webhookSecret } = github;
  let privateKey = github.privateKey;
  if (privateKey === undefined && github.privateKeyPath !== undefined) {
    try {
      privateKey = fs.readFileSync(github.privateKeyPath, 'utf8');
    } catch (error) {
      throw new ConfigError(`PRIVATE_KEY_PATH=${github.privateKeyPath}: ${describeError(error)}`, {
        hint: 'point PRIVATE_KEY_PATH at the .pem file GitHub gave when the App was created',
      });
    }
  }
  if (appId === undefined || privateKey === undefined) return undefined;
  if (!/^\d+$/.test(appId)) throw new ConfigError(`APP_ID must be the App's numeric id, not "${appId}"`);
  return { appId, privateKey: normalizePrivateKey(privateKey), webhookSecret };
}

/**
 * A PEM as people paste it into environments: with real newlines, with
 * `\n` escapes (one-line .env values), or base64-encoded whole (some
 * secret stores). Checked with node:crypto so a bad key fails at start-up.
 */
export function normalizePrivateKey(text: string): string {
  let pem = text.trim().replace(/\\n/g, '\n');
  if (!pem.includes('-----BEGIN')) {
    const decoded = Buffer.from(pem, 'base64').toString('utf8');
    if (decoded.includes('-----BEGIN')) pem = decoded.trim();
  }
  try {
    createPrivateKey(pem);
  } catch (error) {
    throw new ConfigError(`PRIVATE_KEY (or the file at PRIVATE_KEY_PATH) is not a readable private key: ${describeError(error)}`, {
      hint: 'use the .pem file GitHub generated for the App (Settings → Developer settings → GitHub Apps → Private keys)',
    });
  }
  return `${pem}\n`;
}

/** The REST API base URL: api.github.com, or `<protocol>://<GHE_HOST>/api/v3` for GitHub Enterprise Server. */
export function apiBaseUrl(github: Pick<Config['github'], 'host' | 'protocol'>): string {
  return github.host === 'github.com' ? 'https://api.github.com' : `${github.protocol}://${github.host}/api/v3`;
}
