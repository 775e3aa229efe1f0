/**
 * The agent's tools against a real instance of the node fixture: bash with
 * exit codes, cut output, timeouts and refused interactive commands; the
 * editor's view, create, str_replace, insert and undo; think and finish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolbox, OBSERVATION_MAX_CHARS, type Toolbox, type ToolOutput } from '../../../src/agent/tools/index.ts';
import type { Instance } from '../../../src/sandbox/sandbox.ts';
import { fixtureRepo, type FixtureRepo } from '../../helpers/git-fixture.ts';
import { testSandbox } from '../../helpers/sandbox.ts';

const sandbox = testSandbox();
let repo: FixtureRepo;
let instance: Instance;

beforeAll(async () => {
  repo = fixtureRepo('node-repo');
  const source = repo.source();
  const env = await sandbox.ensureEnvironment(source, await sandbox.detect(source));
  instance = await sandbox.createInstance(env, source, { job: 'agent-tools-test' });
});

afterAll(async () => {
  await instance?.remove();
  repo?.remove();
});

let counter = 0;
function run(toolbox: Toolbox, name: string, args: Record<string, unknown>): Promise<ToolOutput> {
  counter += 1;
  return toolbox.run({ id: `call_${counter}`, name, arguments: args }, { target: instance });
}

async function exists(file: string): Promise<boolean> {
  return (await instance.exec(`test -e ${file}`)).exitCode === 0;
}

describe('execute_bash', () => {
  const toolbox = createToolbox();
  const bash = (command: string, timeout?: number): Promise<ToolOutput> =>
    run(toolbox, 'execute_bash', timeout === undefined ? { command } : { command, timeout: String(timeout) });

  it('runs in /testbed and reports output and exit codes, stderr merged in order', async () => {
    expect(await bash('pwd && test -f package.json && echo yes')).toEqual({ text: '/testbed\nyes\n[exit code 0]', isError: false });
    expect(await bash('echo out; echo err >&2; exit 3')).toEqual({ text: 'out\nerr\n[exit code 3]', isError: false });
    expect((await bash('true')).text).toBe('[exit code 0]');
  });

  it('sets no pager and no editor for git', async () => {
    const output = await bash('echo "$GIT_PAGER $PAGER $GIT_EDITOR $EDITOR" && git log --oneline | head -1');
    expect(output.text).toMatch(/^cat cat true true\n[0-9a-f]{7,} fixture node-repo\n\[exit code 0\]$/);
  });

  it('reports a syntax error with the exit code', async () => {
    const output = await bash('echo before\nif then fi');
    expect(output.text).toMatch(/syntax error/);
    expect(output.text).toMatch(/\[exit code 2\]$/);
  });

  it('cuts a flood of output in the middle and keeps the tail', async () => {
    const output = await bash('seq 1 200000; echo THE-END');
    expect(output.text.length).toBeLessThanOrEqual(OBSERVATION_MAX_CHARS);
    expect(output.text).toMatch(/^1\n2\n3\n/);
    expect(output.text).toMatch(/\n\[\.\.\. more than \d+ characters cut from the middle of this output \.\.\.\]\n/);
    expect(output.text).toMatch(/199999\n200000\nTHE-END\n\[exit code 0\]$/);
  });

  it('kills a command that runs past its timeout, with everything it started', async () => {
    const started = Date.now();
    const output = await bash('sleep 300 & echo started; sleep 300', 2);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(output.isError).toBe(true);
    expect(output.text).toMatch(/^started\n/);
    expect(output.text).toMatch(/timed out after 2 s; it and all the processes it started were killed/);
    const left = await instance.exec('ps -eo args= | grep -c "^sleep 300" || true');
    expect(left.stdout.trim()).toBe('0');
  });

  const interactive = [
    'vim x',
    'nano x',
    'less package.json',
    'cat package.json | more',
    'man ls',
    'top',
    'tail -f package.json',
    'watch ls',
    'git commit -a',
    'git rebase -i HEAD',
    'git add -p',
    'python3',
    'node',
  ];
  it.each(interactive)('refuses %j without running anything', async (command) => {
    const output = await bash(`touch /tmp/ran-before; ${command}; touch /tmp/ran`);
    expect(output.isError).toBe(true);
    expect(output.text).toMatch(/^Refused: `[^`]+` is interactive/);
    expect(output.text).toContain('The command was not run.');
    expect(await exists('/tmp/ran-before')).toBe(false);
    expect(await exists('/tmp/ran')).toBe(false);
  });

  it('runs the non-interactive forms the hints suggest', async () => {
    expect((await bash('node -e "console.log(6 * 7)"')).text).toBe('42\n[exit code 0]');
    expect((await bash("node - <<'EOF'\nconsole.log('heredoc')\nEOF")).text).toBe('heredoc\n[exit code 0]');
    expect((await bash('sed -n 1,1p package.json')).text).toBe('{\n[exit code 0]');
  });
});

describe('str_replace_editor', () => {
  const toolbox = createToolbox();
  const edit = (args: Record<string, unknown>): Promise<ToolOutput> => run(toolbox, 'str_replace_editor', args);
  const read = async (file: string): Promise<string> => (await instance.readFile(file)).toString('utf8');

  beforeAll(async () => {
    await instance.writeFile('/testbed/notes/a.txt', 'alpha\nbeta\ngamma\nbeta\ndelta\n');
    await instance.writeFile('/testbed/notes/deep/er/still.txt', 'deep\n');
    await instance.writeFile('/testbed/notes/.hidden/secret.txt', 'secret\n');
    await instance.writeFile('/testbed/notes/.dotfile', 'dot\n');
    await instance.writeFile('/testbed/notes/node_modules/pkg/index.js', 'x\n');
    await instance.writeFile('/testbed/notes/blob.bin', Buffer.from([0x89, 0x50, 0, 1, 0xff, 0xfe]));
  });

  it('views a file with line numbers, whole or in a range', async () => {
    expect(await edit({ command: 'view', path: '/testbed/notes/a.txt' })).toEqual({
      text: '     1\talpha\n     2\tbeta\n     3\tgamma\n     4\tbeta\n     5\tdelta',
      isError: false,
    });
    expect((await edit({ command: 'view', path: '/testbed/notes/a.txt', view_range: '[2, 3]' })).text).toBe(
      '     2\tbeta\n     3\tgamma',
    );
    expect((await edit({ command: 'view', path: '/testbed/notes/a.txt', view_range: [4, -1] })).text).toBe(
      '     4\tbeta\n     5\tdelta',
    );
  });

  it('cuts the view of a long file in the middle and points to view_range', async () => {
    await instance.exec('seq 1 5000 | sed "s/^/line /" > /testbed/notes/long.txt');
    const output = await edit({ command: 'view', path: '/testbed/notes/long.txt' });
    expect(output.text.length).toBeLessThanOrEqual(OBSERVATION_MAX_CHARS);
    expect(output.text).toMatch(/^ {5}1\tline 1\n/);
    expect(output.text).toContain('characters cut from the middle');
    expect(output.text).toMatch(/ {2}5000\tline 5000\n\(\/testbed\/notes\/long\.txt has 5000 lines and only part is shown: use view_range/);
    await instance.exec('rm /testbed/notes/long.txt');
  });

  it('explains invalid ranges', async () => {
    const beyond = await edit({ command: 'view', path: '/testbed/notes/a.txt', view_range: [9, 12] });
    expect(beyond).toMatchObject({ isError: true });
    expect(beyond.text).toMatch(/start 9 is out of range: .* has 5 lines/);
    const backwards = await edit({ command: 'view', path: '/testbed/notes/a.txt', view_range: [3, 2] });
    expect(backwards.text).toMatch(/end 2 is before its start 3/);
    const single = await edit({ command: 'view', path: '/testbed/notes/a.txt', view_range: [3] });
    expect(single.text).toMatch(/two whole numbers/);
  });

  it('lists a directory two levels deep without hidden entries or node_modules', async () => {
    const output = await edit({ command: 'view', path: '/testbed/notes/' });
    expect(output.isError).toBe(false);
    const entries = output.text.split('\n').slice(1);
    expect(entries).toEqual(['/testbed/notes/a.txt', '/testbed/notes/blob.bin', '/testbed/notes/deep/', '/testbed/notes/deep/er/']);
    const top = await edit({ command: 'view', path: '/testbed' });
    const topEntries = top.text.split('\n').slice(1);
    expect(topEntries).toContain('/testbed/package.json');
    expect(topEntries).toContain('/testbed/notes/');
    expect(topEntries.filter((entry) => entry.includes('/.') || entry.includes('node_modules'))).toEqual([]);
    expect(topEntries).not.toContain('/testbed/notes/deep/er/');
  });

  it('refuses binary files and missing paths', async () => {
    const binary = await edit({ command: 'view', path: '/testbed/notes/blob.bin' });
    expect(binary).toMatchObject({ isError: true });
    expect(binary.text).toMatch(/not UTF-8 text/);
    const missing = await edit({ command: 'view', path: '/testbed/notes/nope.txt' });
    expect(missing.text).toBe('/testbed/notes/nope.txt does not exist.');
  });

  it('refuses a relative path', async () => {
    const output = await edit({ command: 'view', path: 'notes/a.txt' });
    expect(output.isError).toBe(true);
    expect(output.text).toMatch(/not absolute.*Did you mean \/testbed\/notes\/a\.txt\?/);
  });

  it('creates files with their folders and exact content, and refuses existing ones', async () => {
    const created = await edit({ command: 'create', path: '/testbed/new/dir/made.js', file_text: 'const a = 1;\nexport default a;\n' });
    expect(created).toEqual({ text: 'Created /testbed/new/dir/made.js (2 lines).', isError: false });
    expect(await read('/testbed/new/dir/made.js')).toBe('const a = 1;\nexport default a;\n');
    await edit({ command: 'create', path: '/testbed/new/no-newline.txt', file_text: 'last' });
    expect(await read('/testbed/new/no-newline.txt')).toBe('last');
    const again = await edit({ command: 'create', path: '/testbed/new/dir/made.js', file_text: 'x' });
    expect(again.isError).toBe(true);
    expect(again.text).toMatch(/already exists.*Use str_replace or insert.*view/);
    expect(await read('/testbed/new/dir/made.js')).toBe('const a = 1;\nexport default a;\n');
    const status = await instance.exec('git status --porcelain new');
    expect(status.stdout).toBe('?? new/\n');
  });

  it('replaces text that occurs exactly once and shows the edited region', async () => {
    const output = await edit({ command: 'str_replace', path: '/testbed/notes/a.txt', old_str: 'gamma\n', new_str: 'GAMMA\nGAMMA2\n' });
    expect(output.isError).toBe(false);
    expect(output.text).toContain('     3\tGAMMA\n     4\tGAMMA2\n     5\tbeta');
    expect(await read('/testbed/notes/a.txt')).toBe('alpha\nbeta\nGAMMA\nGAMMA2\nbeta\ndelta\n');
  });

  it('refuses text that is missing or occurs several times, naming the lines', async () => {
    const none = await edit({ command: 'str_replace', path: '/testbed/notes/a.txt', old_str: 'epsilon', new_str: 'x' });
    expect(none.isError).toBe(true);
    expect(none.text).toMatch(/old_str was not found in \/testbed\/notes\/a\.txt/);
    expect(none.text).toContain('> epsilon');
    const several = await edit({ command: 'str_replace', path: '/testbed/notes/a.txt', old_str: 'beta', new_str: 'x' });
    expect(several.isError).toBe(true);
    expect(several.text).toMatch(/occurs 2 times .*starting at lines 2, 5\./);
    expect(await read('/testbed/notes/a.txt')).toBe('alpha\nbeta\nGAMMA\nGAMMA2\nbeta\ndelta\n');
  });

  it('deletes with an empty new_str', async () => {
    const output = await edit({ command: 'str_replace', path: '/testbed/notes/a.txt', old_str: 'GAMMA2\n', new_str: '' });
    expect(output.isError).toBe(false);
    expect(await read('/testbed/notes/a.txt')).toBe('alpha\nbeta\nGAMMA\nbeta\ndelta\n');
  });

  it('inserts lines at the top and after a line, and checks the line number', async () => {
    const top = await edit({ command: 'insert', path: '/testbed/notes/a.txt', insert_line: '0', new_str: 'first' });
    expect(top.text).toContain('     1\tfirst\n     2\talpha');
    const middle = await edit({ command: 'insert', path: '/testbed/notes/a.txt', insert_line: 3, new_str: 'm1\nm2\n' });
    expect(middle.text).toContain('     3\tbeta\n     4\tm1\n     5\tm2\n     6\tGAMMA');
    expect(await read('/testbed/notes/a.txt')).toBe('first\nalpha\nbeta\nm1\nm2\nGAMMA\nbeta\ndelta\n');
    const beyond = await edit({ command: 'insert', path: '/testbed/notes/a.txt', insert_line: 99, new_str: 'x' });
    expect(beyond.isError).toBe(true);
    expect(beyond.text).toMatch(/out of range: .* has 8 lines, so use 0 to 8/);
  });

  it('keeps a file without a final newline that way when inserting at the end', async () => {
    await edit({ command: 'insert', path: '/testbed/new/no-newline.txt', insert_line: 1, new_str: 'after' });
    expect(await read('/testbed/new/no-newline.txt')).toBe('last\nafter');
  });

  it('undoes edits one by one back to the original bytes, keeping the file mode', async () => {
    const original = Buffer.from('#!/bin/sh\r\necho "héllo"\r\n\r\nexit 0');
    await instance.writeFile('/testbed/script.sh', original, { mode: 0o755 });
    await edit({ command: 'str_replace', path: '/testbed/script.sh', old_str: 'héllo', new_str: 'bye' });
    await edit({ command: 'insert', path: '/testbed/script.sh', insert_line: 1, new_str: 'set -e' });
    expect((await instance.exec('stat -c %a script.sh')).stdout.trim()).toBe('755');
    const first = await edit({ command: 'undo_edit', path: '/testbed/script.sh' });
    expect(first.text).toMatch(/1 earlier version left to undo/);
    expect((await instance.readFile('/testbed/script.sh')).toString()).toContain('bye');
    await edit({ command: 'undo_edit', path: '/testbed/script.sh' });
    expect(Buffer.compare(await instance.readFile('/testbed/script.sh'), original)).toBe(0);
    expect((await instance.exec('stat -c %a script.sh')).stdout.trim()).toBe('755');
    const none = await edit({ command: 'undo_edit', path: '/testbed/script.sh' });
    expect(none).toEqual({ text: 'There is no edit of /testbed/script.sh to undo.', isError: true });
  });

  it('undoes a creation by removing the file', async () => {
    await edit({ command: 'create', path: '/testbed/temp.txt', file_text: 'tmp\n' });
    const output = await edit({ command: 'undo_edit', path: '/testbed/temp.txt' });
    expect(output.text).toMatch(/removed/);
    expect(await exists('/testbed/temp.txt')).toBe(false);
  });

  it('keeps undo history per toolbox', async () => {
    const other = createToolbox();
    await edit({ command: 'str_replace', path: '/testbed/notes/a.txt', old_str: 'first\n', new_str: '' });
    const output = await run(other, 'str_replace_editor', { command: 'undo_edit', path: '/testbed/notes/a.txt' });
    expect(output.isError).toBe(true);
  });
});

describe('think and finish', () => {
  const toolbox = createToolbox();

  it('think acknowledges and changes nothing', async () => {
    const before = (await instance.exec('git status --porcelain')).stdout;
    expect(await run(toolbox, 'think', { thought: 'The bug is probably in index.js.' })).toEqual({
      text: 'Your thought has been noted.',
      isError: false,
    });
    expect((await instance.exec('git status --porcelain')).stdout).toBe(before);
  });

  it('finish carries the message and whether the task was completed', async () => {
    const output = await run(toolbox, 'finish', { message: 'Fixed the parser.', task_completed: 'true' });
    expect(output).toEqual({
      text: 'Finished (task completed).',
      isError: false,
      finish: { message: 'Fixed the parser.', taskCompleted: true },
    });
  });
});
