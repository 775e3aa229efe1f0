/**
 * `swe-bot <command> --help` for every command but doctor (which has its own,
 * test/cli/doctor.test.ts): the usage on stdout, exit 0, whatever else is on
 * the command line, and without reading the configuration. Every option the
 * parser accepts is taken from the same table the parser gets, so an option
 * without a help line fails here.
 */
import { describe, expect, it } from 'vitest';
import { parserOptions, type CommandDefinition, type OptionSpec } from '../../src/cli/args.ts';
import { ENV_COMMAND } from '../../src/cli/env.ts';
import { SETUP_COMMAND } from '../../src/cli/setup.ts';
import { EVALUATE_COMMAND } from '../../src/cli/evaluate.ts';
import { EXPORT_TRAJECTORIES_COMMAND } from '../../src/cli/export-trajectories.ts';
import { FIX_COMMAND } from '../../src/cli/fix.ts';
import { INFER_COMMAND } from '../../src/cli/infer.ts';
import { main } from '../../src/cli/main.ts';
import { REAP_COMMAND } from '../../src/cli/reap.ts';
import { REVIEW_COMMAND } from '../../src/cli/review.ts';
import { SERVE_COMMAND } from '../../src/cli/serve.ts';
import { SMITH_COMMAND } from '../../src/cli/smith.ts';
import { capture } from '../helpers/cli.ts';

type AnyCommand = CommandDefinition<Record<string, OptionSpec>, boolean>;

const COMMANDS: AnyCommand[] = [ENV_COMMAND, SETUP_COMMAND, SMITH_COMMAND, REAP_COMMAND, FIX_COMMAND, REVIEW_COMMAND, INFER_COMMAND, EVALUATE_COMMAND, EXPORT_TRAJECTORIES_COMMAND, SERVE_COMMAND];

/** loadConfig throws on it: a command that reads the configuration fails with 1, before any Docker or Redis. */
const BROKEN_ENV: NodeJS.ProcessEnv = { PORT: 'notanumber' };

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await main(argv, { stdout: stdout.stream, stderr: stderr.stream, env: BROKEN_ENV });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** A value the parser takes for `option`; nothing for a flag. */
function argsFor(name: string, option: OptionSpec): string[] {
  return option.type === 'string' ? [`--${name}`, 'x'] : [`--${name}`];
}

/** Every required option, the first of each required group, with a value. */
function requiredArgs(command: AnyCommand): string[] {
  const seenGroups = new Set<string>();
  return Object.entries(command.options).flatMap(([name, option]) => {
    if (!option.required) return [];
    if (option.group !== undefined) {
      if (seenGroups.has(option.group)) return [];
      seenGroups.add(option.group);
    }
    return argsFor(name, option);
  });
}

/** `args` without these options and their values. */
function withoutOptions(args: string[], options: string[]): string[] {
  const flags = new Set(options.map((option) => `--${option}`));
  return args.filter((arg, index) => !flags.has(arg) && !flags.has(args[index - 1] ?? ''));
}

describe('swe-bot <command> --help', () => {
  it('covers every command main knows, doctor aside', async () => {
    const top = await run(['help']);
    expect(top.code).toBe(0);
    const listed = [...top.stdout.matchAll(/^ {2}(\S+) {2,}/gm)].map((match) => match[1]);
    expect(listed.filter((name) => name !== 'doctor').sort()).toEqual(COMMANDS.map((command) => command.name).sort());
    expect(top.stdout).toContain('swe-bot <command> --help');
  });

  describe.each(COMMANDS.map((command) => [command.name, command] as const))('%s', (name, command) => {
    it.each(['--help', '-h'])('%s prints the usage with a line per option to stdout and exits 0', async (flag) => {
      const result = await run([name, flag]);
      expect(result).toEqual({ code: 0, stdout: command.usage, stderr: '' });
      expect(result.stdout).toMatch(new RegExp(`^usage: swe-bot ${name}( |\\n)`));
      for (const [option, spec] of Object.entries(parserOptions(command))) {
        const short = spec.short === undefined ? '' : `-${spec.short}, `;
        expect(result.stdout, `--${option}`).toMatch(new RegExp(`^  ${short}--${option}( |$)`, 'm'));
      }
    });

    it('prints the help even beside missing, unknown or invalid options', async () => {
      const [first, firstSpec] = Object.entries(command.options)[0] ?? [];
      const attempts = [[name, '--no-such-option', '--help'], [name, 'stray', '-h']];
      if (first !== undefined && firstSpec !== undefined) attempts.push([name, ...argsFor(first, firstSpec), '--help']);
      for (const argv of attempts) expect(await run(argv), argv.join(' ')).toEqual({ code: 0, stdout: command.usage, stderr: '' });
    });

    it('is what swe-bot help <command> prints', async () => {
      expect(await run(['help', name])).toEqual({ code: 0, stdout: command.usage, stderr: '' });
    });

    it('exits 2 with the error and the usage on stderr for an unknown option', async () => {
      const result = await run([name, '--no-such-option']);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^Unknown option '--no-such-option'/);
      expect(result.stderr.endsWith(`\n${command.usage}`)).toBe(true);
    });

    it('takes --help after -- as an argument, not a request for help', async () => {
      const result = await run([name, ...requiredArgs(command), '--', '--help']);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(command.usage);
    });

    // The help says which options are required; the command checks them itself.
    // reap and serve have none (and serve, once past its arguments, would read ./.env into this process).
    if (requiredArgs(command).length > 0) {
      it('requires exactly the options its help calls required', async () => {
        const complete = requiredArgs(command);
        // Past its argument checks a command reads the configuration, which BROKEN_ENV makes fail with 1.
        const reached = await run([name, ...complete]);
        expect(reached.code, reached.stderr).toBe(1);
        expect(reached.stderr).toContain('PORT');
        for (const [option, spec] of Object.entries(command.options)) {
          if (!spec.required || spec.group !== undefined) continue;
          const result = await run([name, ...withoutOptions(complete, [option])]);
          expect(result.code, `without --${option}`).toBe(2);
          expect(result.stderr).toContain(command.usage);
        }
      });
    }

    const groups = Map.groupBy(
      Object.entries(command.options).filter(([, spec]) => spec.group !== undefined),
      ([, spec]) => spec.group,
    );
    if (groups.size > 0) {
      it('refuses two options of one group together, and none of a required group', async () => {
        for (const members of groups.values()) {
          const rest = withoutOptions(requiredArgs(command), members.map(([option]) => option));
          const both = [...rest, ...members.flatMap(([option, spec]) => argsFor(option, spec))];
          expect((await run([name, ...both])).code, both.join(' ')).toBe(2);
          if (members.some(([, spec]) => spec.required)) expect((await run([name, ...rest])).code, rest.join(' ')).toBe(2);
        }
      });
    }
  });
});
