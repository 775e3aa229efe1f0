/**
 * The webhook receiver over real HTTP on 127.0.0.1: what it answers for
 * each kind of bad request (and that the handlers never see one), that a
 * good delivery reaches the handlers with the bytes GitHub signed, and how
 * slow and failing handlers are answered.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookReceiver, type WebhookDelivery, type WebhookReceiverOptions } from '../../src/server/webhook-receiver.ts';
import { deliverWebhook, signWebhook, webhookExample } from '../helpers/github-webhooks.ts';

const SECRET = 'receiver-test-secret';
const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function start(options: Partial<WebhookReceiverOptions> = {}) {
  const received: WebhookDelivery[] = [];
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const receiver = createWebhookReceiver({
    secret: SECRET,
    logger,
    receive: (delivery) => {
      received.push(delivery);
      return Promise.resolve();
    },
    ...options,
  });
  const server = http.createServer((req, res) => void receiver(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
  return { url, received, lines };
}

const payload = () => webhookExample('issues', 'labeled', { label: { name: 'autofix' }, installation: { id: 99 } });

describe('webhook receiver', () => {
  it('hands a signed delivery to the handlers with its id, event and payload, and answers 200', async () => {
    const { url, received } = await start();
    const body = payload();
    const res = await deliverWebhook({ url, event: 'issues', payload: body, secret: SECRET, deliveryId: 'd-1' });
    expect(res.status).toBe(200);
    expect(received).toEqual([{ id: 'd-1', name: 'issues', payload: body }]);
  });

  it('checks the signature over the bytes as sent, multi-byte characters included', async () => {
    const { url, received } = await start();
    // Not what JSON.stringify would print: the signature must cover these bytes, not a re-encoding.
    const text = '{ "action": "labeled",  "issue": { "title": "café ☕ \\u00e9" } }';
    const post = (signature: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'x-github-event': 'issues', 'x-github-delivery': 'd-2', 'x-hub-signature-256': signature },
        body: Buffer.from(text, 'utf8'),
      });
    expect((await post(signWebhook(text, SECRET))).status).toBe(200);
    // The same signature in upper case (hex is hex).
    expect((await post(signWebhook(text, SECRET).replace(/[0-9a-f]+$/, (hex) => hex.toUpperCase()))).status).toBe(200);
    // One byte different: the Latin-1 bytes of the same text.
    const latin1 = `sha256=${createHmac('sha256', SECRET).update(Buffer.from(text, 'latin1')).digest('hex')}`;
    expect((await post(latin1)).status).toBe(401);
    expect(received.map((d) => (d.payload as { issue: { title: string } }).issue.title)).toEqual(['café ☕ é', 'café ☕ é']);
  });

  it('answers 401 to a wrong or missing signature, logs a warning naming WEBHOOK_SECRET, and runs nothing', async () => {
    const { url, received, lines } = await start();
    const wrong = await deliverWebhook({ url, event: 'issues', payload: payload(), secret: 'not-the-secret', deliveryId: 'bad-1' });
    const missing = await deliverWebhook({ url, event: 'issues', payload: payload(), secret: null, deliveryId: 'bad-2' });
    const garbled = await deliverWebhook({ url, event: 'issues', payload: payload(), secret: null, headers: { 'x-hub-signature-256': 'sha256=xyz' } });
    const sha1 = await deliverWebhook({ url, event: 'issues', payload: payload(), secret: null, headers: { 'x-hub-signature-256': `sha1=${'0'.repeat(40)}` } });
    expect([wrong.status, missing.status, garbled.status, sha1.status]).toEqual([401, 401, 401, 401]);
    expect((JSON.parse(wrong.body) as { error: string }).error).toContain('X-Hub-Signature-256');
    expect(received).toEqual([]);
    const warnings = lines.filter((line) => line['level'] === 40);
    expect(warnings.map((line) => [line['delivery'], line['signature']]).slice(0, 2)).toEqual([
      ['bad-1', 'wrong'],
      ['bad-2', 'missing'],
    ]);
    expect(String(warnings[0]?.['msg'])).toContain('WEBHOOK_SECRET');
  });

  it('answers 405, 415, 400 to other methods, content types, missing headers and bad JSON', async () => {
    const { url, received } = await start();
    const get = await fetch(url);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const form = await deliverWebhook({ url, event: 'issues', payload: payload(), secret: SECRET, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const noEvent = await deliverWebhook({ url, event: 'issues', payload: payload(), secret: SECRET, headers: { 'x-github-event': '' } });
    expect(noEvent.status).toBe(400);
    expect(JSON.parse(noEvent.body)).toEqual({ error: 'missing header X-GitHub-Event' });
    const text = '{"action": "labeled",';
    const badJson = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-github-delivery': 'd-3', 'x-hub-signature-256': signWebhook(text, SECRET) },
      body: text,
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toEqual({ error: 'the payload is not valid JSON' });
    expect(received).toEqual([]);
  });

  it('answers 413 to a body over the limit, declared or streamed, without keeping it', async () => {
    const { url, received } = await start({ maxBytes: 1024 });
    const big = { ...payload(), padding: 'x'.repeat(4096) };
    const declared = await deliverWebhook({ url, event: 'issues', payload: big, secret: SECRET });
    expect(declared.status).toBe(413);
    // Chunked, so no Content-Length announces the size.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-github-delivery': 'd-4', 'x-hub-signature-256': signWebhook(JSON.stringify(big), SECRET) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const text = JSON.stringify(big);
      for (let at = 0; at < text.length; at += 512) req.write(text.slice(at, at + 512));
      req.end();
    });
    expect(streamed).toBe(413);
    expect(received).toEqual([]);
    // The same delivery under the limit goes through.
    expect((await deliverWebhook({ url, event: 'issues', payload: { action: 'labeled' }, secret: SECRET })).status).toBe(200);
  });

  it('answers 500 when a handler fails, so GitHub shows the delivery as failed', async () => {
    const { url } = await start({ receive: () => Promise.reject(new Error('Redis is down')) });
    const res = await deliverWebhook({ url, event: 'issues', payload: payload(), secret: SECRET });
    expect(res.status).toBe(500);
    expect(res.body).not.toContain('Redis');
  });

  it('answers 202 to handlers that run past the answer time, and logs their failure afterwards', async () => {
    let finish: (error?: Error) => void = () => undefined;
    const { url, lines } = await start({
      answerMs: 100,
      receive: () => new Promise<void>((resolve, reject) => (finish = (error) => (error ? reject(error) : resolve()))),
    });
    const started = performance.now();
    const res = await deliverWebhook({ url, event: 'issues', payload: payload(), secret: SECRET, deliveryId: 'slow-1' });
    expect(res.status).toBe(202);
    expect(performance.now() - started).toBeLessThan(2_000);
    finish(new Error('gave up'));
    await sleep(20);
    expect(lines.filter((line) => line['level'] === 50).map((line) => line['delivery'])).toEqual(['slow-1']);
  });
});
