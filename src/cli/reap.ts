/** `swe-bot reap [--json]`: removes containers and snapshot images left by dead swe-bot processes. */
import { parseArgs } from 'node:util';
import { createLogger } from '../logger.ts';
import { createSandbox } from '../sandbox/sandbox.ts';
import type { CliIo } from './main.ts';

export async function runReap(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } }, strict: true });
  const config = io.config();
  const sandbox = createSandbox({
    settings: config.sandbox,
    logger: createLogger({ level: 'warn', name: 'swe-bot-reap' }),
    dockerHost: config.dockerHost,
  });
  await sandbox.ping();
  const report = await sandbox.reap();
  if (values.json) io.stdout.write(`${JSON.stringify(report)}\n`);
  else io.stdout.write(`removed ${report.containers.length} containers and ${report.images.length} images\n`);
  return 0;
}
