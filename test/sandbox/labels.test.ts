import { describe, expect, it } from 'vitest';
import { splitPemBundle } from '../../src/sandbox/base-image.ts';
import { dockerOptions } from '../../src/sandbox/docker-client.ts';
import { excludedPaths } from '../../src/sandbox/instance.ts';
import { shellQuote } from '../../src/util/shell-quote.ts';
import { LABEL, formatOwner, labelsFor, parseOwner } from '../../src/sandbox/labels.ts';
import { isOrphan } from '../../src/sandbox/reaper.ts';

describe('labels and owners', () => {
  const self = { host: 'h1', pid: 100, bootId: 'abc' };
  it('round-trips owners', () => {
    expect(parseOwner(formatOwner(self))).toEqual(self);
    expect(parseOwner('garbage')).toBeUndefined();
  });

  it('decides what is an orphan', () => {
    const now = Date.now();
    const labels = (owner: typeof self, ttlMs = 60_000) => labelsFor('instance', { owner, ttlMs });
    const alive = () => true;
    const dead = () => false;
    expect(isOrphan(labels(self), self, now, dead)).toBe(false);
    expect(isOrphan(labels({ ...self, pid: 5 }), self, now, dead)).toBe(true);
    expect(isOrphan(labels({ ...self, pid: 5 }), self, now, alive)).toBe(false);
    expect(isOrphan(labels({ ...self, bootId: 'old' }), self, now, alive)).toBe(true);
    expect(isOrphan(labels({ ...self, host: 'h2', pid: 5 }), self, now, dead)).toBe(false);
    expect(isOrphan(labels({ ...self, host: 'h2' }, -60_000), self, now, alive)).toBe(true);
    expect(isOrphan({ [LABEL.managed]: 'true' }, self, now, dead)).toBe(false);
  });
});

describe('diff exclusions', () => {
  it('finds binary files and nested repositories', () => {
    const numstat = ['3\t1\tsrc/a.js', '-\t-\timg/logo.png', '1\t0\tnew.txt', ''].join('\0');
    const raw = [':100644 100644 aaa bbb M', 'src/a.js', ':000000 160000 000 ccc A', 'vendor/lib', ''].join('\0');
    expect(excludedPaths(`${numstat}\0--raw--\0${raw}`).sort()).toEqual(['img/logo.png', 'vendor/lib']);
    expect(excludedPaths('')).toEqual([]);
  });

  it('quotes for the shell', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe('docker options', () => {
  it('follows DOCKER_HOST schemes', () => {
    expect(dockerOptions(undefined)).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerOptions('unix:///run/user/1000/docker.sock')).toEqual({ socketPath: '/run/user/1000/docker.sock' });
    expect(dockerOptions('tcp://127.0.0.1:2375')).toMatchObject({ protocol: 'http', host: '127.0.0.1', port: 2375 });
    expect(() => dockerOptions('ftp://x')).toThrow(/DOCKER_HOST=ftp:\/\/x/);
  });
});

describe('CA bundles', () => {
  it('splits a PEM bundle into certificates', () => {
    const cert = (n: number) => `-----BEGIN CERTIFICATE-----\nMII${n}\n-----END CERTIFICATE-----`;
    expect(splitPemBundle(`# comment\n${cert(1)}\n\n${cert(2)}\n`)).toEqual([cert(1), cert(2)]);
    expect(splitPemBundle('nothing')).toEqual([]);
  });
});

describe('shell session markers', () => {
  it('holds back only a tail that may begin a marker', async () => {
    const { partialMarkerStart } = await import('../../src/sandbox/shell-session.ts');
    const marker = Buffer.from('\0SWEBOT-END:abc:');
    expect(partialMarkerStart(Buffer.from('plain output\n'), marker)).toBe(13);
    expect(partialMarkerStart(Buffer.from('output\0SWE'), marker)).toBe(6);
    expect(partialMarkerStart(Buffer.from('output\0XYZ'), marker)).toBe(10);
    expect(partialMarkerStart(Buffer.from('a\0'), marker)).toBe(1);
  });
});
