/**
 * `swe-bot serve` (npm start). For now the service holds the sandbox side:
 * it checks the Docker engine, reaps leftovers at start-up and on a timer,
 * and answers /healthz. The GitHub App handlers and queue workers attach
 * here as they are built (design.md §1, §5).
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { createLogger } from '../logger.ts';
import { createSandbox } from '../sandbox/sandbox.ts';
import type { CliIo } from './main.ts';

/** How long shutdown waits for open connections. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

export async function runServe(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { role: { type: 'string', default: 'all' } },
    strict: true,
  });
  if (!['web', 'worker', 'all'].includes(values.role)) {
    io.stderr.write(`--role must be web, worker or all, not ${values.role}\n`);
    return 2;
  }
  const config = io.config();
  const logger = createLogger({ level: config.logLevel });
  const sandbox = createSandbox({ settings: config.sandbox, logger, dockerHost: config.dockerHost });
  const version = await sandbox.ping();
  logger.info({ docker: version.Version, role: values.role }, 'Docker engine reachable');
  const reaper = sandbox.startReaper();

  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, role: values.role }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(config.server.port, config.server.host, resolve));
  logger.info({ host: config.server.host, port: config.server.port }, 'listening');

  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      reaper.stop();
      server.close(() => resolve());
      setTimeout(resolve, SHUTDOWN_TIMEOUT_MS).unref();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
