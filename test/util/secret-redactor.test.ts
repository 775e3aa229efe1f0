import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretRedactor, REDACTED } from '../../src/util/secret-redactor.ts';

const TOKEN = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';
const { privateKey: PEM } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

describe('createSecretRedactor', () => {
  it('replaces a registered value wherever it appears, and leaves other text alone', () => {
    const redactor = createSecretRedactor();
    expect(redactor.redact(`token ${TOKEN}`)).toBe(`token ${TOKEN}`);
    redactor.add(TOKEN);
    expect(redactor.redact(`fatal: could not read from https://x-access-token:${TOKEN}@github.com/acme/widgets.git`)).toBe(
      `fatal: could not read from https://x-access-token:${REDACTED}@github.com/acme/widgets.git`,
    );
    expect(redactor.redact(`${TOKEN}${TOKEN}`)).toBe(`${REDACTED}${REDACTED}`);
    expect(redactor.redact('nothing secret here')).toBe('nothing secret here');
  });

  it('matches the forms a secret takes on the way out: basic auth as git sends it, base64 anywhere, URL-encoded, JSON-escaped', () => {
    const redactor = createSecretRedactor();
    redactor.add(TOKEN);
    const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    expect(redactor.redact(`Authorization: Basic ${basic}`)).toBe(`Authorization: Basic ${REDACTED}`);
    // Base64 of the token inside any longer text, at each of the three alignments.
    for (const prefix of ['', 'a', 'ab', 'user:']) {
      const encoded = Buffer.from(`${prefix}${TOKEN}!`).toString('base64');
      expect(redactor.redact(encoded), prefix).toContain(REDACTED);
    }
    const secret = 'p@ss word/with "quotes" & more';
    redactor.add(secret);
    expect(redactor.redact(`?password=${encodeURIComponent(secret)}`)).toBe(`?password=${REDACTED}`);
    expect(redactor.redact(JSON.stringify({ password: secret }))).toBe(`{"password":"${REDACTED}"}`);
  });

  it('redacts a PEM whole, JSON-escaped, and a few lines of it quoted alone', () => {
    const redactor = createSecretRedactor();
    redactor.add(PEM);
    const lines = PEM.trim().split('\n');
    expect(redactor.redact(PEM)).not.toMatch(/[A-Za-z0-9+/]{20}/);
    expect(redactor.redact(JSON.stringify({ key: PEM }))).toBe(`{"key":"${REDACTED}"}`);
    const excerpt = lines.slice(5, 8).join('\n');
    expect(redactor.redact(`the key starts ${excerpt} and so on`)).toBe(`the key starts ${REDACTED}\n${REDACTED}\n${REDACTED} and so on`);
    // As people paste it into .env files: one line with \n escapes, or base64 of the whole file.
    redactor.add(PEM.replace(/\n/g, '\\n'));
    expect(redactor.redact(`PRIVATE_KEY=${PEM.replace(/\n/g, '\\n')}`)).toBe(`PRIVATE_KEY=${REDACTED}`);
    const whole = Buffer.from(PEM).toString('base64');
    redactor.add(whole);
    expect(redactor.redact(whole)).toBe(REDACTED);
  });

  it('ignores short and empty values (they would redact ordinary words), and adding twice changes nothing', () => {
    const redactor = createSecretRedactor();
    redactor.add(undefined);
    redactor.add('');
    redactor.add('EMPTY');
    redactor.add('       x       ');
    expect(redactor.size).toBe(0);
    expect(redactor.redact('EMPTY is the default key')).toBe('EMPTY is the default key');
    redactor.add(TOKEN);
    const size = redactor.size;
    redactor.add(TOKEN);
    expect(redactor.size).toBe(size);
  });

  it('replaces the longer of two overlapping secrets whole', () => {
    const redactor = createSecretRedactor();
    redactor.add('abcdefgh');
    redactor.add('abcdefgh-and-more');
    expect(redactor.redact('x abcdefgh-and-more y abcdefgh z')).toBe(`x ${REDACTED} y ${REDACTED} z`);
  });
});
