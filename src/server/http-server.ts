/**
 * The one HTTP server of a swe-bot process (design.md §7):
 *
 * | route | roles | what |
 * |---|---|---|
 * | `POST /api/github/webhooks` | web, all | the webhook receiver (webhook-receiver.ts): signature check, then the app's handlers |
 * | `GET /healthz` | every | 200 `{"ok":true,…}` when Redis (and, for workers, Docker) answer; 503 naming what failed |
 * | `GET /metrics` | every | Prometheus text format (metrics.ts) |
 * | `/admin/queues` | web, all | Bull Board, behind HTTP basic auth; 404 when no password is set |
 * | `/`, `/setup`, `/setup/done` | setup mode | registering the GitHub App (app-registration.ts) |
 *
 * A plain `node:http` server dispatching on the path, so a webhook goes
 * straight to its receiver; express is only loaded for the dashboard,
 * which is an express router (@bull-board/express).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import type { Request, Response, Router } from 'express';
import { describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { BASIC_CHALLENGE, checkBasicAuth } from './basic-auth.ts';
import type { Metrics } from './metrics.ts';
import { WEBHOOK_PATH, type WebhookReceiver } from './webhook-receiver.ts';

/** Where the queue dashboard lives. */
export const DASHBOARD_PATH = '/admin/queues';

/**
 * Webhook requests handled at once; the rest wait unread (their bodies stay
 * in the socket buffers, TCP slows the sender). Each delivery in flight holds
 * its body, its parsed payload and its handler's state, tens of kilobytes:
 * without a bound, a burst of a thousand deliveries costs tens of
 * megabytes at once for no gain in throughput, since the handlers share one
 * CPU and one Redis connection anyway.
 */
export const MAX_WEBHOOKS_IN_FLIGHT = 64;
/** While closing, how often connections that became idle are closed. */
const IDLE_SWEEP_MS = 50;

export interface HealthReport {
  ok: boolean;
  /** One entry per dependency: `ok`, or what is wrong. */
  checks: Record<string, string>;
  [key: string]: unknown;
}

export interface HttpServerOptions {
  logger: Logger;
  health: () => Promise<HealthReport>;
  metrics: Metrics;
  /** The webhook receiver, at {@link WEBHOOK_PATH}, in web roles once the App is registered. */
  webhooks?: WebhookReceiver;
  /** Default {@link MAX_WEBHOOKS_IN_FLIGHT}. */
  maxWebhooksInFlight?: number;
  /** Bull Board over these queues (web roles). Without a password the dashboard answers 404. */
  dashboard?: { queues: Queue[]; user: string; password: string | undefined };
  /** The registration pages (setup mode): true when they answered. */
  registration?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
}

export interface HttpServer {
  readonly server: http.Server;
  /** Starts listening; resolves with the address (`port` 0 picks a free one). */
  listen(port: number, host: string): Promise<{ url: string; port: number; host: string }>;
  /**
   * Stops accepting connections, lets requests in flight finish (a webhook
   * being enqueued is answered), then cuts what is left after `timeoutMs`.
   */
  close(timeoutMs: number): Promise<void>;
}

export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { logger, metrics } = options;
  const dashboard = options.dashboard?.password ? await createDashboard(options.dashboard.queues) : undefined;
  const credentials = options.dashboard?.password ? { user: options.dashboard.user, password: options.dashboard.password } : undefined;
  const webhookSlots = createSemaphore(options.maxWebhooksInFlight ?? MAX_WEBHOOKS_IN_FLIGHT);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const pathname = query < 0 ? url : url.slice(0, query);
    const read = req.method === 'GET' || req.method === 'HEAD';

    if (pathname === '/healthz' && read) {
      const report = await options.health();
      json(res, report.ok ? 200 : 503, report);
      return;
    }
    if (pathname === '/metrics' && read) {
      const { contentType, body } = await metrics.render();
      res.writeHead(200, { 'content-type': contentType }).end(body);
      return;
    }
    if (options.dashboard && (pathname === DASHBOARD_PATH || pathname.startsWith(`${DASHBOARD_PATH}/`))) {
      if (!dashboard || !credentials) {
        // Off unless a password is set: never an open dashboard.
        json(res, 404, { error: 'not found' });
        return;
      }
      if (!checkBasicAuth(req.headers.authorization, credentials)) {
        res.writeHead(401, { 'www-authenticate': BASIC_CHALLENGE, 'content-type': 'text/plain' }).end('authentication required\n');
        return;
      }
      dashboard(req, res);
      return;
    }
    if (options.registration && (await options.registration(req, res))) return;
    if (options.webhooks && pathname === WEBHOOK_PATH) {
      const webhooks = options.webhooks;
      await webhookSlots.run(() => webhooks(req, res));
      return;
    }
    json(res, 404, { error: 'not found' });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: describeError(error), url: req.url, method: req.method }, 'request failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });

  return {
    server,
    async listen(port, host) {
      await new Promise<void>((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException): void => {
          reject(
            error.code === 'EADDRINUSE'
              ? new Error(`port ${port} on ${host} is already in use: set PORT to a free one`, { cause: error })
              : error,
          );
        };
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return { url: `http://${shown}:${address.port}`, port: address.port, host: address.address };
    },
    async close(timeoutMs) {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections would hold close() open until their clients
      // hang up: close them as soon as they are idle, also those whose
      // request in flight finishes later.
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      const timer = new AbortController();
      const inTime = await Promise.race([closed.then(() => true), sleep(timeoutMs, false, { signal: timer.signal }).catch(() => true)]);
      timer.abort();
      clearInterval(sweeper);
      if (!inTime) {
        logger.warn({ timeoutMs }, 'requests still open at shutdown: closing their connections');
        server.closeAllConnections();
        await closed;
      }
    },
  };
}

/** At most `limit` calls of `run` at once; the others wait in order. */
function createSemaphore(limit: number): { run(fn: () => Promise<void>): Promise<void> } {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async run(fn) {
      if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      else active += 1;
      try {
        await fn();
      } finally {
        // Hand the slot straight to the next waiter, or free it.
        const next = waiting.shift();
        if (next) next();
        else active -= 1;
      }
    },
  };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
}

/**
 * Bull Board (https://github.com/felixmosh/bull-board) at {@link DASHBOARD_PATH}.
 * Loaded only when the dashboard is on: express and the board's UI are not
 * needed by the webhook path.
 */
async function createDashboard(queues: Queue[]): Promise<(req: http.IncomingMessage, res: http.ServerResponse) => void> {
  const [{ default: express }, { createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
    import('express'),
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/express'),
  ]);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'swe-bot' } },
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(DASHBOARD_PATH, serverAdapter.getRouter() as Router);
  return (req, res) => {
    app(req as Request, res as Response);
  };
}
