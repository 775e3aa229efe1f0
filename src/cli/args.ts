/**
 * Command-line arguments, the same way in every command. Each command
 * describes its options once, with {@link defineCommand}: the parseArgs
 * configuration and the `--help` text are both generated from that table, so
 * the help cannot drift from what the parser accepts. `node:util` parseArgs
 * runs in strict mode; a bad argument prints the error and the usage to
 * stderr and the command exits with 2; `--help` or `-h` prints the usage to
 * stdout and the command exits with 0, before anything else happens.
 *
 * ```ts
 * export const THING_COMMAND = defineCommand({
 *   name: 'thing',
 *   summary: 'Does the thing.',
 *   options: { workers: { type: 'string', value: 'N', description: 'parallel things', defaultText: '2' } },
 * });
 * const parsed = parseCommand(argv, THING_COMMAND, io);
 * if (typeof parsed === 'number') return parsed; // 0 after --help, 2 after a bad argument
 * const numbers = positiveIntegers({ workers: parsed.values.workers }, THING_COMMAND.usage, io);
 * if (typeof numbers === 'number') return numbers;
 * ```
 */
import { parseArgs, type ParseArgsOptionDescriptor, type ParseArgsOptionsConfig } from 'node:util';

/** The exit code of a command given arguments it cannot use. */
export const USAGE_EXIT_CODE = 2;

/** Where errors go: the command's stderr. */
export interface ArgsIo {
  stderr: { write(text: string): unknown };
}

/** Where the help goes (stdout) and errors go (stderr). */
export interface CommandIo extends ArgsIo {
  stdout: { write(text: string): unknown };
}

type Config<O extends ParseArgsOptionsConfig, P extends boolean> = { args: string[]; options: O; strict: true; allowPositionals: P };

/** What parseArgs returns for these options: `values` typed by the options, and `positionals`. */
export type CommandArgs<O extends ParseArgsOptionsConfig, P extends boolean = false> = ReturnType<typeof parseArgs<Config<O, P>>>;

/** One option of a command: what parseArgs needs (`type`, `multiple`, `short`, `default`) and its help line. */
export interface OptionSpec extends ParseArgsOptionDescriptor {
  /** The value's name in the usage (`DIR`, `N`); string options. */
  value?: string;
  /** What the option does. */
  description: string;
  /**
   * The default in words, when the command works it out itself (from the
   * repository configuration, the cores…); a string `default` given to the
   * parser is shown as it is.
   */
  defaultText?: string;
  /**
   * Shown as required in the synopsis and the help line. parseArgs cannot
   * check it: the command does, and test/cli/main.test.ts checks the
   * two agree.
   */
  required?: boolean;
  /** Options with the same group are alternatives: `(a | b)` in the synopsis when required, `[a | b]` when not. */
  group?: string;
}

/** A command's name, what it does, and its options. */
export interface CommandSpec<O extends Record<string, OptionSpec>, P extends boolean> {
  /** `swe-bot <name>`. */
  name: string;
  /** One sentence on what the command does. */
  summary: string;
  /** Keyed by the long option name, without the dashes; listed in this order. */
  options: O;
  /** Whether positionals are allowed (the ids after `--instance-ids`). */
  allowPositionals?: P;
}

/** A {@link CommandSpec} with its usage text, generated once. */
export interface CommandDefinition<O extends Record<string, OptionSpec>, P extends boolean> extends CommandSpec<O, P> {
  /** The synopsis, the summary and a line per option, `--help` included; ends with a newline. */
  usage: string;
}

/** Every command accepts it; it is added to the parser's options and to the usage. */
const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', description: 'print this help' };

/** The widest the synopsis and the descriptions are wrapped to. */
const WIDTH = 100;
/** A longer option (`--predictions (gold|empty|PREDS.jsonl)`) gets its description on the next line, not pushing all the others right. */
const FLAG_COLUMN = 24;

/** `spec` with its usage text, generated once. */
export function defineCommand<const O extends Record<string, OptionSpec>, const P extends boolean = false>(
  spec: CommandSpec<O, P>,
): CommandDefinition<O, P> {
  return { ...spec, usage: formatUsage(spec) };
}

/** The options given to parseArgs: the table's, stripped to what parseArgs reads, and `--help`. */
export function parserOptions(spec: CommandSpec<Record<string, OptionSpec>, boolean>): ParseArgsOptionsConfig {
  const out: ParseArgsOptionsConfig = {};
  for (const [name, option] of Object.entries({ ...spec.options, help: HELP_OPTION })) {
    const { type, multiple, short, default: defaultValue } = option;
    out[name] = {
      type,
      ...(multiple === undefined ? {} : { multiple }),
      ...(short === undefined ? {} : { short }),
      ...(defaultValue === undefined ? {} : { default: defaultValue }),
    };
  }
  return out;
}

/**
 * Parses `argv` for `command`. `--help` or `-h` anywhere before `--` prints
 * the usage to stdout and returns 0, whatever else is there; a bad argument
 * prints the error and the usage to stderr and returns 2; otherwise the
 * parsed arguments.
 */
export function parseCommand<O extends Record<string, OptionSpec>, P extends boolean>(
  argv: string[],
  command: CommandDefinition<O, P>,
  io: CommandIo,
): CommandArgs<O, P> | number {
  if (asksForHelp(argv)) {
    io.stdout.write(command.usage);
    return 0;
  }
  // The cast only narrows the type: values are typed by `type`, `multiple` and `default`, which parserOptions keeps.
  return parseCommandArgs<O, P>(argv, parserOptions(command) as O, command.usage, io, {
    allowPositionals: (command.allowPositionals ?? false) as P,
  });
}

/**
 * Strict parsing would stop at the first other mistake (`fix --bogus --help`)
 * before reaching `--help`, hence the scan. It cannot mistake a value for a
 * flag: a lone `-h` after an option that takes a value is an error to strict
 * parseArgs (`--title=-h` is how to pass it), and after `--` it is a positional.
 */
function asksForHelp(argv: string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

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

/** `--repos DIR` of the dataset commands (evaluate, infer). */
export const REPOS_OPTION = {
  type: 'string',
  value: 'DIR',
  description: 'offline mirrors of the repositories, named owner__name',
  defaultText: 'clone them from GHE_HOST into SWE_BOT_DATA_DIR/repos',
} as const satisfies OptionSpec;

/** `--instance-ids` of the dataset commands (evaluate, infer); read it with {@link instanceIdList}. */
export const INSTANCE_IDS_OPTION = {
  type: 'string',
  value: 'ID',
  multiple: true,
  description: 'only these instances; ids separated by commas, or by spaces after --instance-ids',
  defaultText: 'every instance of the dataset',
} as const satisfies OptionSpec;

/**
 * `--instance-ids a,b --instance-ids c d e`: the ids given as values (comma
 * separated) and, after `--instance-ids`, as positionals. Undefined when
 * positionals came without `--instance-ids` (a usage error).
 */
export function instanceIdList(values: string[] | undefined, positionals: string[]): string[] | undefined {
  if (values === undefined && positionals.length > 0) return undefined;
  return [...(values ?? []).flatMap((value) => value.split(',')), ...positionals].filter(Boolean);
}

/**
 * `usage: swe-bot fix --repo DIR (--issue TEXT | --issue-file F) [--out DIR] …`,
 * the summary, then a line per option with its default.
 */
function formatUsage(spec: CommandSpec<Record<string, OptionSpec>, boolean>): string {
  const entries = Object.entries(spec.options);
  const head = `usage: swe-bot ${spec.name} `;
  const synopsis = wrap(synopsisParts(entries), WIDTH - head.length).join(`\n${' '.repeat(head.length)}`);
  const flags = [...entries, ['help', HELP_OPTION] as const].map(([name, option]) => [flag(name, option, true), option] as const);
  const width = Math.max(...flags.map(([text]) => text.length).filter((length) => length <= FLAG_COLUMN));
  const indent = ' '.repeat(width + 4);
  const lines = flags.map(([text, option]) => {
    const description = wrap(helpText(option, spec.options).split(' '), WIDTH - indent.length).map((line) => `${indent}${line}`);
    if (text.length > width) return [`  ${text}`, ...description].join('\n');
    return `  ${text.padEnd(width)}  ${description.join('\n').trimStart()}`;
  });
  return `${head}${synopsis}\n\n${wrap(spec.summary.split(' '), 80).join('\n')}\n\n${lines.join('\n')}\n`;
}

/** The synopsis, one piece per option or group of alternatives, in the table's order. */
function synopsisParts(entries: Array<[string, OptionSpec]>): string[] {
  const parts: string[] = [];
  const groupsDone = new Set<string>();
  for (const [name, option] of entries) {
    if (option.group === undefined) {
      parts.push(option.required ? flag(name, option) : `[${flag(name, option)}]`);
      continue;
    }
    if (groupsDone.has(option.group)) continue;
    groupsDone.add(option.group);
    const members = entries.filter(([, other]) => other.group === option.group);
    const alternatives = members.map(([memberName, member]) => flag(memberName, member)).join(' | ');
    parts.push(members.some(([, member]) => member.required) ? `(${alternatives})` : `[${alternatives}]`);
  }
  return parts;
}

/** `--repo DIR`, `--instance-ids ID ...`, `--json`; in the help lines, `-h, --help`. */
function flag(name: string, option: OptionSpec, withShort = false): string {
  const value = option.type === 'string' ? ` ${option.value ?? 'VALUE'}${option.multiple ? ' ...' : ''}` : '';
  return `${withShort && option.short !== undefined ? `-${option.short}, ` : ''}--${name}${value}`;
}

/** The description, what is required, and the default. */
function helpText(option: OptionSpec, options: Record<string, OptionSpec>): string {
  const others = Object.entries(options)
    .filter(([, other]) => option.group !== undefined && other.group === option.group && other !== option)
    .map(([name]) => `--${name}`);
  const notes: string[] = [];
  if (others.length > 0) notes.push(option.required ? `give this or ${others.join(' or ')}, ${others.length > 1 ? 'only one' : 'not both'}` : `not with ${others.join(' or ')}`);
  else if (option.required) notes.push('required');
  const shown = option.defaultText ?? (typeof option.default === 'string' ? option.default : undefined);
  if (shown !== undefined) notes.push(`default: ${shown}`);
  return `${option.description}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

/** Joins `words` with spaces into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(words: string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
