/**
 * What main.ts hands each command. Its own module because main.ts loads the
 * commands and the commands need this type: declared in main.ts, the two
 * would import each other.
 */
import type { Config } from '../config/load-config.ts';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  /** Read on first call, so `--help` works whatever the environment. */
  config: () => Config;
}
