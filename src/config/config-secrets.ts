/**
 * The secrets among the settings, for the process's redactor
 * (src/util/secret-redactor.ts), which then keeps them out of every log
 * line, every text sent to GitHub and every trajectory: the App's private key
 * (as given: PRIVATE_KEY may be a one-line or base64 form of the PEM the
 * service reads), the webhook secret, the model's API key, the dashboard's
 * password, the password in REDIS_URL and the build secrets
 * (SWE_BOT_BUILD_SECRETS; of an `.npmrc`, also each credential on its own,
 * as a log may quote one line). The private key read from
 * PRIVATE_KEY_PATH and installation tokens are added where they are read or
 * minted (src/server/service.ts, src/github/secret-redaction.ts).
 */
import { buildSecretValues } from './build-secrets.ts';
import type { Config } from './load-config.ts';

export function configSecrets(config: Config): string[] {
  const build = buildSecretValues(config.sandbox.buildSecrets).flatMap((value) => [value, ...npmrcCredentials(value)]);
  const secrets = [config.github.privateKey, config.github.webhookSecret, config.model.apiKey, config.admin.password, urlPassword(config.redisUrl), ...build];
  return secrets.filter((secret): secret is string => secret !== undefined && secret !== '');
}

function urlPassword(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const password = new URL(url).password;
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}

/** The values of `_authToken`, `_auth` and `_password` lines of an `.npmrc` (https://docs.npmjs.com/cli/configuring-npm/npmrc#auth-related-configuration). */
function npmrcCredentials(text: string): string[] {
  return [...text.matchAll(/(?:_authToken|_auth|_password)\s*=\s*(\S+)/g)].map((match) => match[1] ?? '').filter(Boolean);
}
