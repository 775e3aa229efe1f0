/**
 * `POST /api/github/webhooks`: a GitHub delivery in, the app's handlers
 * run, an answer out once they are done (for a fix or review request: once
 * its job is in Redis, never before).
 *
 * The checks are those GitHub documents, the same `@octokit/webhooks`'
 * middleware makes: a JSON body, the event, delivery and signature headers,
 * and the HMAC-SHA256 signature of the body with the webhook secret,
 * compared in constant time
 * (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
 * The signature is computed over the bytes as received, which is what GitHub
 * signs, with a key made once, rather than over the body turned into a
 * string and back as that middleware does: this sits on every delivery's
 * path, so it does no more per request than it must (bench/ingest.bench.ts).
 * The handlers are the app's (src/app/app.ts), given through `receive`.
 *
 * Answers: 200 once the handlers finish; 202 when they run past
 * {@link WEBHOOK_ANSWER_MS} (GitHub gives up at 10 s and records a failure
 * that nobody retries; the handlers go on and their outcome is logged);
 * 400 for a missing header or a body that is not JSON; 401 for a missing or
 * wrong signature; 405 for another method; 413 past {@link MAX_WEBHOOK_BYTES};
 * 415 for another content type; 500 when a handler fails (GitHub then shows
 * the delivery as failed, and it can be redelivered from the App's settings).
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type http from 'node:http';
import type { Logger } from '../logger.ts';

/** GitHub caps webhook payloads at 25 MB (https://docs.github.com/en/webhooks/webhook-events-and-payloads#payload-cap). */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;
/** Answer 202 once the handlers have run this long, ms, within GitHub's 10 s delivery timeout. */
export const WEBHOOK_ANSWER_MS = 9_000;
/** Where GitHub delivers webhooks (Probot's default path). */
export const WEBHOOK_PATH = '/api/github/webhooks';

/** A verified, parsed delivery. */
export interface WebhookDelivery {
  /** `X-GitHub-Delivery`. */
  id: string;
  /** `X-GitHub-Event`, such as `issues`. */
  name: string;
  payload: unknown;
}

export interface WebhookReceiverOptions {
  /** The webhook secret of the App (`WEBHOOK_SECRET`). */
  secret: string;
  /** Runs the handlers; a rejection answers 500 and is not logged here (the app logs its handlers' errors). */
  receive(delivery: WebhookDelivery): Promise<void>;
  logger: Logger;
  /** Default {@link MAX_WEBHOOK_BYTES}. */
  maxBytes?: number;
  /** Default {@link WEBHOOK_ANSWER_MS}. */
  answerMs?: number;
}

/** Handles one request known to be for the webhook path; resolves when it has been answered. */
export type WebhookReceiver = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

const JSON_TYPE = /^\s*application\/json\s*(?:;|$)/i;
const SIGNATURE = /^sha256=[0-9a-f]{64}$/i;

export function createWebhookReceiver(options: WebhookReceiverOptions): WebhookReceiver {
  // A KeyObject made once: given a Buffer, createHmac makes one per call (3× the HMAC's own cost on a 10 KB payload).
  const key = createSecretKey(Buffer.from(options.secret, 'utf8'));
  const maxBytes = options.maxBytes ?? MAX_WEBHOOK_BYTES;
  const answerMs = options.answerMs ?? WEBHOOK_ANSWER_MS;
  const { logger } = options;

  return async (req, res) => {
    if (req.method !== 'POST') {
      answer(res, 405, { error: `${req.method ?? 'this method'} is not allowed here: GitHub delivers webhooks with POST` }, { allow: 'POST' });
      req.resume();
      return;
    }
    const contentType = req.headers['content-type'];
    if (contentType === undefined || !JSON_TYPE.test(contentType)) {
      // GitHub Apps always deliver JSON; a form-encoded hook is a repository webhook set up by hand.
      answer(res, 415, { error: 'the webhook content type must be application/json' });
      req.resume();
      return;
    }
    const name = header(req, 'x-github-event');
    const id = header(req, 'x-github-delivery');
    if (name === undefined || id === undefined) {
      const missing = [name === undefined ? 'X-GitHub-Event' : '', id === undefined ? 'X-GitHub-Delivery' : ''].filter(Boolean);
      answer(res, 400, { error: `missing header ${missing.join(' and ')}` });
      req.resume();
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      answer(res, 413, { error: `payload over ${maxBytes} bytes` }, { connection: 'close' });
      req.resume();
      return;
    }
    const body = await readBody(req, maxBytes);
    if (body === undefined) {
      answer(res, 413, { error: `payload over ${maxBytes} bytes` }, { connection: 'close' });
      return;
    }
    const signature = header(req, 'x-hub-signature-256');
    if (signature === undefined || !verify(key, body, signature)) {
      // Logged at warn: a wrong secret is a set-up mistake someone has to see.
      logger.warn(
        { delivery: id, event: name, signature: signature === undefined ? 'missing' : 'wrong' },
        'webhook rejected: the X-Hub-Signature-256 header does not match WEBHOOK_SECRET',
      );
      answer(res, 401, { error: 'X-Hub-Signature-256 is missing or does not match the payload and the webhook secret' });
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      answer(res, 400, { error: 'the payload is not valid JSON' });
      return;
    }

    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), answerMs);
    });
    const handled = options.receive({ id, name, payload }).then(
      () => 'done' as const,
      (error: unknown) => ({ error }),
    );
    const first = await Promise.race([handled, late]);
    clearTimeout(timer);
    if (first === 'done') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (first === 'late') {
      res.writeHead(202, { 'content-type': 'text/plain' }).end('still processing\n');
      const outcome = await handled;
      if (outcome !== 'done') logger.error({ delivery: id, event: name }, 'webhook handlers failed after the delivery was answered 202');
    } else {
      answer(res, 500, { error: 'the handlers failed; see the server log for this delivery id' });
    }
  };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The whole body, or undefined once it grows past `maxBytes` (the rest is drained, not kept). */
function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxBytes) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(tooLarge ? undefined : chunks.length === 1 ? (chunks[0]) : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

function verify(key: KeyObject, body: Buffer, signature: string): boolean {
  if (!SIGNATURE.test(signature)) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', key).update(body).digest('hex')}`, 'latin1');
  return timingSafeEqual(expected, Buffer.from(signature.toLowerCase(), 'latin1'));
}

function answer(res: http.ServerResponse, status: number, body: { error: string }, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
