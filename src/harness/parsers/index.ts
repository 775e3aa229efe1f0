/**
 * The log parser registry.
 *
 * Convention for every parser file in this folder: it exports
 * `export const parser: LogParser` (no default export), with `parser.name`
 * equal to the file's name without `.ts` and to its entry in PARSER_NAMES.
 * Names follow ../shared/corpus/README.md ("Test names").
 */
import { ConfigError } from '../../errors.ts';
import type { LogParser, TestResults } from '../test-status.ts';
import { CONCRETE_PARSERS, chooseParser, parser as auto } from './auto.ts';
import { parser as workspaces } from './workspaces.ts';

export const PARSER_NAMES = [
  'tape',
  'tap',
  'mocha',
  'jest',
  'jest-json',
  'vitest',
  'vitest-json',
  'uvu',
  'pytest',
  'unittest',
  'junit',
  'workspaces',
  'auto',
] as const;
export type ParserName = (typeof PARSER_NAMES)[number];

const PARSERS: Readonly<Record<ParserName, LogParser>> = { ...CONCRETE_PARSERS, workspaces, auto };

export function isParserName(name: string): name is ParserName {
  return (PARSER_NAMES as readonly string[]).includes(name);
}

/**
 * The parser called `name`; an unknown name is a configuration error that
 * lists the known ones. (Async so that parsers could be loaded lazily; today
 * they are all imported statically.)
 */
export function loadParser(name: string): Promise<LogParser> {
  if (!isParserName(name)) {
    const error = new ConfigError(`Unknown log parser "${name}": the known log parsers are ${PARSER_NAMES.join(', ')}`, {
      hint: 'set log_parser (environment.log_parser in .github/swe-bot.yml, or the dataset field) to one of them, or to auto',
    });
    return Promise.reject(error);
  }
  return Promise.resolve(PARSERS[name]);
}

/** Parses a test log; `auto` is resolved from the command and the output, and the chosen name returned. */
export async function parseTestLog(
  name: string,
  log: string,
  command?: string,
): Promise<{ parser: string; results: TestResults }> {
  const chosen = name === 'auto' ? chooseParser(command, log) : name;
  const parser = await loadParser(chosen);
  return { parser: parser.name, results: parser.parse(log) };
}
