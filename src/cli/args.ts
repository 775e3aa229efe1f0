/**
 * Command-line arguments, the same way in every command: `node:util`
 * parseArgs in strict mode; a bad argument prints the error and the usage to
 * stderr and the command exits with 2.
 *
 * ```ts
 * const parsed = parseCommandArgs(argv, { repo: { type: 'string' } }, USAGE, io);
 * if (typeof parsed === 'number') return parsed;
 * const numbers = positiveIntegers({ workers: parsed.values.workers }, USAGE, io);
 * if (typeof numbers === 'number') return numbers;
 * ```
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** The exit code of a command given arguments it cannot use. */
export const USAGE_EXIT_CODE = 2;

/** Where errors go: the command's stderr. */
export interface ArgsIo {
  stderr: { write(text: string): unknown };
}

type Config<O extends ParseArgsOptionsConfig, P extends boolean> = { args: string[]; options: O; strict: true; allowPositionals: P };

/** What parseArgs returns for these options: `values` typed by the options, and `positionals`. */
export type CommandArgs<O extends ParseArgsOptionsConfig, P extends boolean = false> = ReturnType<typeof parseArgs<Config<O, P>>>;

/**
 * Parses `argv` against `options` (strict: unknown options are errors;
 * positionals only when `allowPositionals`). Returns the parsed arguments, or
 * the exit code 2 after printing the error and `usage` to stderr.
 */
export function parseCommandArgs<const O extends ParseArgsOptionsConfig, P extends boolean = false>(
  argv: string[],
  options: O,
  usage: string,
  io: ArgsIo,
  settings: { allowPositionals?: P } = {},
): CommandArgs<O, P> | number {
  try {
    return parseArgs<Config<O, P>>({ args: argv, options, strict: true, allowPositionals: (settings.allowPositionals ?? false) as P });
  } catch (error) {
    return usageError(usage, io, error instanceof Error ? error.message : String(error));
  }
}

/** Prints `message` (when given) and the usage to stderr; returns the exit code 2. */
export function usageError(usage: string, io: ArgsIo, message?: string): number {
  io.stderr.write(`${message === undefined ? '' : `${message}\n`}${usage.endsWith('\n') ? usage : `${usage}\n`}`);
  return USAGE_EXIT_CODE;
}

/**
 * Options that take a whole number ≥ 1, keyed by option name (without the
 * dashes) with their raw values. Returns the numbers (undefined for an
 * absent option), or the exit code 2 after printing which option is wrong
 * and the usage.
 */
export function positiveIntegers<K extends string>(
  raw: Record<K, string | undefined>,
  usage: string,
  io: ArgsIo,
): Record<K, number | undefined> | number {
  const out = {} as Record<K, number | undefined>;
  for (const name of Object.keys(raw) as K[]) {
    const value = raw[name];
    if (value === undefined) {
      out[name] = undefined;
      continue;
    }
    const number = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(number) || number < 1) {
      return usageError(usage, io, `--${name} must be a whole number ≥ 1, not ${JSON.stringify(value)}`);
    }
    out[name] = number;
  }
  return out;
}

/**
 * `--instance-ids a,b --instance-ids c d e`: the ids given as values (comma
 * separated) and, after `--instance-ids`, as positionals. Undefined when
 * positionals came without `--instance-ids` (a usage error).
 */
export function instanceIdList(values: string[] | undefined, positionals: string[]): string[] | undefined {
  if (values === undefined && positionals.length > 0) return undefined;
  return [...(values ?? []).flatMap((value) => value.split(',')), ...positionals].filter(Boolean);
}
