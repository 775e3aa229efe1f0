/** `swe-bot reap [--json]`: removes containers and snapshot images left by dead swe-bot processes. */
import { createLogger } from '../logger.ts';
import { createSandbox } from '../sandbox/sandbox.ts';
import { defineCommand, parseCommand } from './args.ts';
import type { CliIo } from './main.ts';

/** `swe-bot reap`'s options and usage. */
export const REAP_COMMAND = defineCommand({
  name: 'reap',
  summary:
    'Removes the containers and snapshot images that swe-bot processes on this host left behind when they died ' +
    '(crashed or killed), and those whose time ran out.',
  options: {
    json: {
      type: 'boolean',
      default: false,
      description: 'print the ids removed as JSON: {"containers": [...], "images": [...]}',
      defaultText: 'a line with the counts',
    },
  },
});

export async function runReap(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, REAP_COMMAND, io);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
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
