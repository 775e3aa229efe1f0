/**
 * The service logger's faster redaction (skipRedactionOfScalars) writes
 * every line byte for byte as pino's own redaction does, secrets censored.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACT_PATHS, type Logger } from '../../src/logger.ts';
import { createServiceLogger, skipRedactionOfScalars } from '../../src/server/service-logger.ts';
import { createSecretRedactor } from '../../src/util/secret-redactor.ts';

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

function logger(fast: boolean): { log: Logger; lines: string[] } {
  const { stream, lines } = capture();
  const log = pino({ name: 'swe-bot', level: 'info', timestamp: false, base: { pid: 1 }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, stream);
  if (fast) skipRedactionOfScalars(log, REDACT_PATHS);
  return { log, lines };
}

/** The same calls on a logger: the lines it wrote. */
function write(log: Logger, error: Error): void {
  log.info({ jobId: 'fix-1-2', status: 'queued', issue: 2, ok: true, nothing: null, gone: undefined, big: 10n, list: [1, 'two'] }, 'fix requested');
  log.info({ token: 'ghs_top', password: 'hunter2', privateKey: 'pem', apiKey: 'k', webhookSecret: 's', authorization: 'Bearer t' }, 'top-level secrets');
  log.info({ github: { token: 'ghs_nested', user: 'alice' }, model: { apiKey: 'sk', name: 'm' }, headers: { authorization: 'Bearer h', accept: 'json' } }, 'nested');
  log.info({ req: { headers: { authorization: 'Bearer r', host: 'x' }, url: '/' }, res: { headers: { authorization: 'Bearer s' } } }, 'request');
  log.info({ err: error }, 'failed');
  log.info({ config: { deep: { token: 'two levels down is not a path' } } }, 'deep');
  log.info('interpolated %j and %s', { token: 'ghs_fmt', ok: 1 }, 'text');
  log.warn('just a message');
  const child = log.child({ role: 'web', id: 'delivery-1', token: 'ghs_binding', repo: { name: 'widgets', token: 'ghs_repo' } });
  child.info({ n: 1 }, 'from a child');
  child.child({ name: 'event', id: 'delivery-2' }).info({ status: 'duplicate' }, 'grandchild');
}

describe('service logger redaction', () => {
  it('writes the same lines as pino redacting everything itself', () => {
    const reference = logger(false);
    const fast = logger(true);
    const error = Object.assign(new Error('boom'), { token: 'ghs_in_error' });
    write(reference.log, error);
    write(fast.log, error);
    expect(fast.lines).toEqual(reference.lines);
    expect(fast.lines.length).toBe(10);
    const text = fast.lines.join('\n');
    for (const secret of ['ghs_top', 'hunter2', 'Bearer', 'ghs_nested', '"sk"', 'ghs_in_error', 'ghs_binding', 'ghs_repo', '"pem"']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('two levels down is not a path');
    expect(JSON.parse(fast.lines[0] ?? '{}')).toMatchObject({ jobId: 'fix-1-2', status: 'queued', issue: 2, ok: true, nothing: null, big: 10, msg: 'fix requested' });
  });

  it('leaves redaction to pino when pino keeps its internals elsewhere', () => {
    const error = new Error('boom');
    for (const missing of [pino.symbols.stringifiersSym, pino.symbols.stringifySym]) {
      const reference = logger(false);
      const plain = logger(false);
      const stringifiers = (plain.log as unknown as Record<symbol, Record<string | symbol, unknown>>)[pino.symbols.stringifiersSym] ?? {};
      const before = Reflect.ownKeys(stringifiers).map((key) => stringifiers[key]);
      expect(before.length).toBeGreaterThan(0);
      // The logger as a pino that moved this internal would show it.
      skipRedactionOfScalars(Object.create(plain.log, { [missing]: { value: undefined } }) as Logger, REDACT_PATHS);
      expect(Reflect.ownKeys(stringifiers).map((key) => stringifiers[key])).toEqual(before);
      write(reference.log, error);
      write(plain.log, error);
      expect(plain.lines).toEqual(reference.lines);
    }
  });

  it('cleans every line of the secrets the redactor knows, by value, wherever they are (children too)', async () => {
    const token = 'ghs_valueRedactedWhereverItIs0123456789';
    const redactor = createSecretRedactor();
    redactor.add(token);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-log-'));
    const file = path.join(dir, 'log.jsonl');
    const fd = fs.openSync(file, 'w');
    try {
      const log = createServiceLogger({ level: 'info', fd, redact: (line) => redactor.redact(line) });
      log.info(`git said: could not read https://x-access-token:${token}@github.com/acme/widgets.git`);
      log.info({ err: { message: `401 for ${token}`, stack: `Error: ${token}\n    at x` }, output: { tail: `echo ${token}` } }, 'failed');
      log.child({ clone: `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}` }).warn({ args: ['--token', token] }, 'child');
      redactor.add('a-secret-registered-later');
      log.info({ note: 'a-secret-registered-later' }, 'after');
      await new Promise<void>((resolve, reject) => log.flush((error) => (error ? reject(error) : resolve())));
      const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
      expect(lines).toHaveLength(4);
      const text = lines.join('\n');
      expect(text).not.toContain(token);
      expect(text).not.toContain(Buffer.from(`x-access-token:${token}`).toString('base64'));
      expect(text).not.toContain('a-secret-registered-later');
      // Still JSON, the rest of each line untouched.
      expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>).map((entry) => entry['msg'])).toEqual([
        'git said: could not read https://x-access-token:[redacted]@github.com/acme/widgets.git',
        'failed',
        'child',
        'after',
      ]);
    } finally {
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is applied to the service logger', () => {
    const log = createServiceLogger({ level: 'info', fd: 2 });
    const stringifiers = (log as unknown as Record<symbol, Record<symbol, (value: unknown) => unknown>>)[pino.symbols.stringifiersSym];
    const wildcard = stringifiers?.[pino.symbols.wildcardFirstSym];
    expect(wildcard?.('a string')).toBe('"a string"');
    expect(wildcard?.({ token: 'x' })).toBe('{"token":"[redacted]"}');
  });
});
