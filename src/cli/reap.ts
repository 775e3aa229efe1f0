/** `swe-bot reap [--json]`: removes containers and snapshot images left by dead swe-bot processes. */
import { sandboxDeps } from './command-deps.ts';
import { defineCommand, parseCommand } from './args.ts';
import type { CliIo } from './cli-io.ts';

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
  const { sandbox } = await sandboxDeps(config, { command: 'reap', destination: io.stderr });
  const report = await sandbox.reap();
  if (values.json) io.stdout.write(`${JSON.stringify(report)}\n`);
  else io.stdout.write(`removed ${report.containers.length} containers and ${report.images.length} images\n`);
  return 0;
}
