import { describe, expect, it } from 'vitest';
import { buildSecretsFor, buildSecretValues, parseBuildSecrets } from '../../src/config/build-secrets.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors.ts';

describe('build secrets (SWE_BOT_BUILD_SECRETS)', () => {
  const env = { ACME_TOKEN: 'tok-acme-123', ALL_INDEX: 'https://u:p@pypi.corp.example/simple', ACME_NPMRC: '//npm.corp.example/:_authToken=abc123' };

  it('is empty when unset: builds get nothing', () => {
    expect(parseBuildSecrets(undefined, env)).toEqual({});
    expect(buildSecretsFor({}, 'acme')).toBeUndefined();
    expect(loadConfig({}).sandbox.buildSecrets).toEqual({});
  });

  it('reads the named host variables, per account over `*`', () => {
    const secrets = parseBuildSecrets(
      JSON.stringify({ acme: { NPM_TOKEN: 'ACME_TOKEN', '.npmrc': 'ACME_NPMRC' }, '*': { PIP_INDEX_URL: 'ALL_INDEX', NPM_TOKEN: 'ALL_INDEX' } }),
      env,
    );
    expect(buildSecretsFor(secrets, 'ACME')).toEqual({
      env: { NPM_TOKEN: 'tok-acme-123', PIP_INDEX_URL: env.ALL_INDEX },
      npmrc: env.ACME_NPMRC,
    });
    expect(buildSecretsFor(secrets, 'other')).toEqual({ env: { PIP_INDEX_URL: env.ALL_INDEX, NPM_TOKEN: env.ALL_INDEX } });
    expect(buildSecretValues(secrets).sort()).toEqual([env.ACME_NPMRC, env.ALL_INDEX, env.ALL_INDEX, 'tok-acme-123'].sort());
  });

  it('fails at start-up naming the problem, never a value', () => {
    expect(() => parseBuildSecrets('{nope', env)).toThrow(/SWE_BOT_BUILD_SECRETS: not JSON/);
    expect(() => parseBuildSecrets(JSON.stringify({ acme: { NPM_TOKEN: 'MISSING_VAR' } }), env)).toThrow(
      'SWE_BOT_BUILD_SECRETS: acme.NPM_TOKEN names MISSING_VAR, which is not set',
    );
    expect(() => parseBuildSecrets(JSON.stringify({ acme: { 'bad name': 'ACME_TOKEN' } }), env)).toThrow(/expected an environment variable name/);
    expect(() => parseBuildSecrets(JSON.stringify({ acme: { NPM_TOKEN: 'tok-acme-123' } }), env)).toThrow(ConfigError);
    try {
      loadConfig({ SWE_BOT_BUILD_SECRETS: JSON.stringify({ acme: { NPM_TOKEN: 'ACME_TOKEN', X: 'NOPE' } }), ACME_TOKEN: 'tok-acme-123' });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).toMatch(/acme\.X names NOPE/);
      expect(String(error)).not.toContain('tok-acme-123');
    }
  });

  it('SWE_BOT_EGRESS_ALLOW takes names and refuses addresses, naming the variable', () => {
    expect(loadConfig({}).sandbox.egressAllow).toEqual([]);
    expect(loadConfig({ SWE_BOT_EGRESS_ALLOW: 'npm.corp.example, *.pkg.example\n' }).sandbox.egressAllow).toEqual(['npm.corp.example', '*.pkg.example']);
    expect(() => loadConfig({ SWE_BOT_EGRESS_ALLOW: 'npm.corp.example 10.0.0.1' })).toThrow(/SWE_BOT_EGRESS_ALLOW\.1: an address is not allowed/);
  });
});

describe('build secrets for the redactor', () => {
  it('are among the config secrets, with each credential of an .npmrc on its own', async () => {
    const { configSecrets } = await import('../../src/config/config-secrets.ts');
    const config = loadConfig({
      SWE_BOT_BUILD_SECRETS: JSON.stringify({ acme: { NPM_TOKEN: 'T1', '.npmrc': 'T2' } }),
      T1: 'npm_token_value_1',
      T2: 'registry=https://npm.corp.example/\n//npm.corp.example/:_authToken=npmrc_token_value_2\n',
    });
    const secrets = configSecrets(config);
    expect(secrets).toEqual(expect.arrayContaining(['npm_token_value_1', 'npmrc_token_value_2']));
    // Plain settings of the file are not secrets on their own.
    expect(secrets).not.toContain('registry=https://npm.corp.example/');
  });
});
