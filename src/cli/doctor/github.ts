/** The GitHub App credentials. Nothing secret is ever put in the result. */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config/load-config.ts';
import { describeError } from '../../errors.ts';
import { CHECK_NAMES, result, type CheckResult } from './result.ts';

export async function checkGitHubApp(github: Config['github'], port: number, cwd: string): Promise<CheckResult> {
  const name = CHECK_NAMES.github;
  const problems: string[] = [];
  const found: string[] = [];
  if (github.appId === undefined) problems.push('APP_ID is not set');
  else found.push(`APP_ID ${github.appId}`);

  const key = await loadPrivateKey(github, cwd);
  if ('problem' in key) problems.push(key.problem);
  else found.push(`private key ${key.description}`);

  if (github.webhookSecret === undefined) problems.push('WEBHOOK_SECRET is not set');
  else found.push('WEBHOOK_SECRET set');

  if (problems.length === 0) return result(name, 'ok', false, found.join(', '));
  return result(
    name,
    'warn',
    false,
    [...problems, ...found].join('; '),
    `start the app once (npm start) and register the GitHub App at http://localhost:${port}/setup, which writes ` +
      'the credentials to .env; or set APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH) and WEBHOOK_SECRET',
  );
}

async function loadPrivateKey(
  github: Config['github'],
  cwd: string,
): Promise<{ description: string } | { problem: string }> {
  let text: string;
  let source: string;
  if (github.privateKey !== undefined) {
    // Probot takes PRIVATE_KEY first, also base64-encoded or with escaped newlines.
    source = 'PRIVATE_KEY';
    text = github.privateKey;
    if (!text.includes('-----BEGIN') && Buffer.from(text, 'base64').toString('base64') === text) {
      text = Buffer.from(text, 'base64').toString('utf8');
    }
    text = text.replace(/\\n/g, '\n');
  } else if (github.privateKeyPath !== undefined) {
    source = `PRIVATE_KEY_PATH=${github.privateKeyPath}`;
    try {
      text = await fs.readFile(path.resolve(cwd, github.privateKeyPath), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? describeError(error);
      return { problem: `${source} cannot be read (${code})` };
    }
  } else {
    return { problem: 'neither PRIVATE_KEY nor PRIVATE_KEY_PATH is set' };
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(text);
  } catch (error) {
    // Only the error code: OpenSSL's messages are safe, but nothing of the
    // key text may reach the output.
    const code = (error as { code?: unknown }).code;
    return { problem: `${source} does not parse as a PEM private key${typeof code === 'string' ? ` (${code})` : ''}` };
  }
  const type = keyObject.asymmetricKeyType ?? 'unknown';
  const bits = keyObject.asymmetricKeyDetails?.modulusLength;
  const description = `${type.toUpperCase()}${bits ? ` ${bits}-bit` : ''} (from ${source})`;
  if (type !== 'rsa') return { problem: `${source} is a ${type} key, but GitHub App keys are RSA` };
  return { description };
}
