/**
 * The HTTP server's own behaviour, with fake parts: webhook requests in
 * flight are bounded, a failing handler answers 500, close() waits for
 * requests in flight, and basic auth compares exactly.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { checkBasicAuth, parseBasicAuth } from '../../src/server/basic-auth.ts';
import { createHttpServer, type HttpServer } from '../../src/server/http-server.ts';
import type { WebhookReceiver } from '../../src/server/webhook-receiver.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { basic } from '../helpers/service-fixture.ts';

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close(1000)));
});

async function start(webhooks: WebhookReceiver, maxWebhooksInFlight?: number): Promise<string> {
  const server = await createHttpServer({
    logger: silentLogger(),
    metrics: createMetrics({ processMetrics: false }),
    health: () => Promise.resolve({ ok: true, checks: {} }),
    webhooks,
    ...(maxWebhooksInFlight === undefined ? {} : { maxWebhooksInFlight }),
  });
  servers.push(server);
  return (await server.listen(0, '127.0.0.1')).url;
}

describe('http server', () => {
  it('handles at most maxWebhooksInFlight webhook requests at once, the rest in order', async () => {
    let inFlight = 0;
    let most = 0;
    const order: string[] = [];
    const url = await start(async (req, res) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await sleep(30);
      order.push(req.headers['x-n'] as string);
      inFlight -= 1;
      res.writeHead(200).end();
    }, 2);
    const statuses = await Promise.all(
      Array.from({ length: 6 }, (_, i) => fetch(`${url}/api/github/webhooks`, { method: 'POST', headers: { 'x-n': String(i) }, body: '{}' }).then((r) => r.status)),
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect(most).toBe(2);
    expect(order).toHaveLength(6);
  });

  it('answers 500 when a handler throws, and keeps serving', async () => {
    let calls = 0;
    const url = await start(() => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
      return Promise.resolve(undefined);
    });
    expect((await fetch(`${url}/api/github/webhooks`, { method: 'POST', body: '{}' })).status).toBe(500);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('lets a request in flight finish when it closes', async () => {
    const server = await createHttpServer({
      logger: silentLogger(),
      metrics: createMetrics({ processMetrics: false }),
      health: () => Promise.resolve({ ok: true, checks: {} }),
      webhooks: async (_req, res) => {
        await sleep(200);
        res.writeHead(200).end('done');
      },
    });
    const { url } = await server.listen(0, '127.0.0.1');
    const pending = fetch(`${url}/api/github/webhooks`, { method: 'POST', body: '{}' }).then(async (r) => `${r.status} ${await r.text()}`);
    await sleep(50);
    await server.close(5000);
    expect(await pending).toBe('200 done');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('says which port is taken', async () => {
    const first = await createHttpServer({ logger: silentLogger(), metrics: createMetrics({ processMetrics: false }), health: () => Promise.resolve({ ok: true, checks: {} }) });
    servers.push(first);
    const { port } = await first.listen(0, '127.0.0.1');
    const second = await createHttpServer({ logger: silentLogger(), metrics: createMetrics({ processMetrics: false }), health: () => Promise.resolve({ ok: true, checks: {} }) });
    await expect(second.listen(port, '127.0.0.1')).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use: set PORT to a free one`);
  });
});

describe('basic auth', () => {
  const expected = { user: 'admin', password: 'pa:ss wörd' };
  it('accepts exactly the configured user and password', () => {
    expect(checkBasicAuth(basic('admin', 'pa:ss wörd').authorization, expected)).toBe(true);
    expect(checkBasicAuth(basic('admin', 'pa:ss wörd ').authorization, expected)).toBe(false);
    expect(checkBasicAuth(basic('Admin', 'pa:ss wörd').authorization, expected)).toBe(false);
    expect(checkBasicAuth(basic('admin', '').authorization, { user: 'admin', password: '' })).toBe(true);
    expect(checkBasicAuth(undefined, expected)).toBe(false);
    expect(checkBasicAuth('Bearer abc', expected)).toBe(false);
    expect(checkBasicAuth(`Basic ${Buffer.from('no-colon').toString('base64')}`, expected)).toBe(false);
  });

  it('splits at the first colon (passwords may hold colons)', () => {
    expect(parseBasicAuth(`basic ${Buffer.from('u:a:b').toString('base64')}`)).toEqual({ user: 'u', password: 'a:b' });
  });
});
