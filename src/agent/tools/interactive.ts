/**
 * Spotting commands that wait for a keyboard: editors, pagers, REPLs, git's
 * interactive modes, `tail -f`. The sandbox has no terminal, so such a
 * command would either hang until its timeout or do nothing useful; the
 * model gets a refusal with the non-interactive way instead.
 *
 * The command is split roughly the way bash would (quotes, escapes, `;`,
 * `&&`, `||`, `|`, `&`, newlines, parentheses, heredoc bodies) and the first
 * word of each simple command is looked at, after assignments and wrappers
 * such as `sudo`, `env` or `timeout`. It is a heuristic, not a parser: it
 * errs towards letting commands through.
 */

/** Why a command was refused and what to run instead. */
export interface InteractiveRefusal {
  /** The program that was refused, e.g. `vim` or `git commit`. */
  program: string;
  hint: string;
}

interface SimpleCommand {
  words: string[];
  /** Standard input comes from a pipe, a redirection, a heredoc or a here-string. */
  stdinGiven: boolean;
}

/** The first interactive part of `command`, if any. */
export function detectInteractive(command: string): InteractiveRefusal | undefined {
  for (const simple of splitCommands(command)) {
    const refusal = checkSimple(simple);
    if (refusal !== undefined) return refusal;
  }
  return undefined;
}

const EDITORS = new Set(['vim', 'vi', 'nvim', 'view', 'vimdiff', 'nano', 'pico', 'emacs', 'joe', 'mcedit', 'micro', 'ed']);
const PAGERS = new Set(['less', 'more', 'most', 'pg']);
const MONITORS = new Set(['top', 'htop', 'atop', 'btop', 'iotop']);
/** Wrappers whose arguments are another command. */
const WRAPPERS = new Set(['sudo', 'env', 'timeout', 'nohup', 'exec', 'time', 'nice', 'command', 'builtin', 'stdbuf', 'unbuffer']);
/** Shell words that may open a simple command. */
const KEYWORDS = new Set(['{', '}', '!', 'if', 'then', 'else', 'elif', 'do', 'while', 'until']);
/** Python flags that do not make the interpreter run anything. */
const PYTHON_PLAIN_FLAGS = new Set(['-u', '-B', '-q', '-E', '-s', '-S', '-O', '-OO', '-I', '-b', '-bb', '-d', '-v']);

const HINT = {
  editor: 'Use the str_replace_editor tool to view, create and edit files (or `cat -n FILE`, `sed -n 10,40p FILE` to read them).',
  pager: 'Print the file instead: `cat -n FILE`, `sed -n 1,50p FILE`, `head -n 50 FILE` or `tail -n 50 FILE`.',
  man: 'Use `PROGRAM --help` instead.',
  monitor: 'Use a one-shot command such as `ps aux` instead.',
  follow: 'Use `tail -n 50 FILE` to see the latest lines; run it again later to see more.',
  watch: 'Run the command once (and again later if needed) instead of `watch`.',
  gitCommit: 'Give the message on the command line: `git commit -m "message"` (or `-F FILE`, or `--no-edit` with `--amend`).',
  gitRebase: 'Interactive rebase needs an editor; use non-interactive git commands (`git rebase BRANCH`, `git reset`, `git cherry-pick`).',
  gitPatch: 'Choosing hunks interactively is not possible; name the files instead (e.g. `git add FILE`), or edit the files first.',
  python: 'A bare interpreter is an interactive REPL. Run code with `python -c "CODE"`, `python - <<\'EOF\'` … `EOF`, or write a script file and run `python FILE.py`.',
  node: 'A bare `node` is an interactive REPL. Run code with `node -e "CODE"` or write a script file and run `node FILE.js`.',
  repl: 'A bare interpreter is an interactive REPL. Pass the code or a script file as an argument instead.',
} as const;

function checkSimple(simple: SimpleCommand): InteractiveRefusal | undefined {
  const words = stripPrefixes(simple.words);
  const first = words[0];
  if (first === undefined) return undefined;
  const program = first.slice(first.lastIndexOf('/') + 1);
  const args = words.slice(1);
  if (EDITORS.has(program)) {
    if (program === 'emacs' && args.includes('--batch')) return undefined;
    if (program === 'ed' && simple.stdinGiven) return undefined;
    return { program, hint: HINT.editor };
  }
  if (PAGERS.has(program)) return { program, hint: HINT.pager };
  if (program === 'man' || program === 'info') return { program, hint: HINT.man };
  if (MONITORS.has(program)) {
    if (program === 'top' && args.some((arg) => /^-\w*b/.test(arg))) return undefined; // batch mode
    return { program, hint: HINT.monitor };
  }
  if (program === 'watch') return { program, hint: HINT.watch };
  if (program === 'tail' && args.some(isFollowFlag)) return { program: 'tail -f', hint: HINT.follow };
  if (program === 'git') return checkGit(args);
  if (/^python(\d+(\.\d+)?)?$/.test(program) || program === 'pypy' || program === 'pypy3') {
    if (isPythonRepl(args, simple.stdinGiven)) return { program, hint: HINT.python };
    return undefined;
  }
  if (program === 'ipython' || program === 'bpython' || program === 'ptpython') {
    if (args.length === 0 || args.includes('-i')) return { program, hint: HINT.python };
    return undefined;
  }
  if (program === 'node' || program === 'nodejs') {
    if (args.includes('-i') || args.includes('--interactive')) return { program, hint: HINT.node };
    if (!simple.stdinGiven && args.every((arg) => arg.startsWith('-') && !isNodeRunFlag(arg))) return { program, hint: HINT.node };
    return undefined;
  }
  if (['irb', 'ghci', 'sqlite3', 'psql', 'mysql', 'R', 'lua', 'php', 'ruby', 'perl', 'julia'].includes(program)) {
    if (args.length === 0 && !simple.stdinGiven && program !== 'ruby' && program !== 'perl' && program !== 'php') {
      return { program, hint: HINT.repl };
    }
    if (program === 'php' && args.includes('-a')) return { program, hint: HINT.repl };
  }
  return undefined;
}

function isFollowFlag(arg: string): boolean {
  if (arg === '--follow' || arg.startsWith('--follow=') || arg === '--retry') return arg !== '--retry';
  return /^-[a-zA-Z0-9]*[fF]/.test(arg) && !arg.startsWith('--');
}

function isNodeRunFlag(arg: string): boolean {
  return ['-e', '--eval', '-p', '--print', '-v', '--version', '-h', '--help', '--test', '--run', '-c', '--check'].some(
    (flag) => arg === flag || arg.startsWith(`${flag}=`),
  );
}

function isPythonRepl(args: string[], stdinGiven: boolean): boolean {
  if (args.includes('-i')) return true;
  if (stdinGiven) return false;
  // Only flags that change how code runs, and no code, module or script.
  return args.every((arg) => PYTHON_PLAIN_FLAGS.has(arg));
}

function checkGit(args: string[]): InteractiveRefusal | undefined {
  let index = 0;
  // Global options before the subcommand; -C and -c take a value.
  while (index < args.length) {
    const arg = args[index] ?? '';
    if (arg === '-C' || arg === '-c' || arg === '--git-dir' || arg === '--work-tree' || arg === '--namespace') index += 2;
    else if (arg.startsWith('-')) index += 1;
    else break;
  }
  const sub = args[index];
  const rest = args.slice(index + 1);
  const has = (...flags: string[]): boolean =>
    rest.some((arg) => flags.includes(arg) || flags.some((flag) => flag.startsWith('--') && arg.startsWith(`${flag}=`)));
  const hasShort = (letter: string): boolean => rest.some((arg) => /^-[a-zA-Z]+$/.test(arg) && arg.includes(letter));
  switch (sub) {
    case 'commit': {
      const given =
        hasShort('m') || hasShort('F') || hasShort('C') || has('--message', '--file', '--reuse-message', '--no-edit', '--fixup');
      if (hasShort('p') || has('--patch', '--interactive')) return { program: 'git commit --patch', hint: HINT.gitPatch };
      if (!given) return { program: 'git commit', hint: HINT.gitCommit };
      if (hasShort('e') || has('--edit')) return { program: 'git commit --edit', hint: HINT.gitCommit };
      return undefined;
    }
    case 'rebase':
      if (hasShort('i') || has('--interactive', '--edit-todo')) return { program: 'git rebase -i', hint: HINT.gitRebase };
      return undefined;
    case 'add':
      if (hasShort('p') || hasShort('i') || hasShort('e') || has('--patch', '--interactive', '--edit')) {
        return { program: `git ${sub} --patch`, hint: HINT.gitPatch };
      }
      return undefined;
    case 'checkout':
    case 'reset':
    case 'restore':
    case 'stash':
      if (hasShort('p') || has('--patch')) return { program: `git ${sub} --patch`, hint: HINT.gitPatch };
      return undefined;
    case 'clean':
      if (hasShort('i') || has('--interactive')) return { program: 'git clean -i', hint: HINT.gitPatch };
      return undefined;
    case 'tag':
      if ((hasShort('a') || hasShort('s')) && !(hasShort('m') || hasShort('F') || has('--message', '--file'))) {
        return { program: 'git tag -a', hint: 'Give the message on the command line: `git tag -a NAME -m "message"`.' };
      }
      return undefined;
    case 'merge':
      if (has('--edit') || hasShort('e')) return { program: 'git merge --edit', hint: 'Use `git merge --no-edit`.' };
      return undefined;
    default:
      return undefined;
  }
}

function stripPrefixes(words: string[]): string[] {
  let index = 0;
  while (index < words.length) {
    const word = words[index] ?? '';
    if (KEYWORDS.has(word) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) {
      index += 1;
      continue;
    }
    if (!WRAPPERS.has(word)) break;
    index += 1;
    // The wrapper's own options, and timeout's duration.
    while (index < words.length) {
      const next = words[index] ?? '';
      if (next.startsWith('-')) {
        index += ['-u', '-g', '-n', '-s', '-k', '--signal', '--kill-after', '--user'].includes(next) ? 2 : 1;
      } else if (word === 'timeout' && /^\d+(\.\d+)?[smhd]?$/.test(next)) {
        index += 1;
      } else if (word === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(next)) {
        index += 1;
      } else {
        break;
      }
    }
  }
  return words.slice(index);
}

/**
 * Splits a command line into simple commands with their words (quotes
 * removed, redirections and their targets left out).
 */
export function splitCommands(command: string): SimpleCommand[] {
  const out: SimpleCommand[] = [];
  let words: string[] = [];
  let stdinGiven = false;
  let word: string | undefined;
  /** The next word is a redirection target (dropped), or a heredoc delimiter. */
  let pendingTarget: 'file' | 'heredoc' | 'heredoc-dash' | undefined;
  const heredocs: { delimiter: string; dash: boolean }[] = [];
  let wordQuoted = false;

  const endWord = (): void => {
    if (word === undefined) return;
    if (pendingTarget === 'heredoc' || pendingTarget === 'heredoc-dash') {
      heredocs.push({ delimiter: word, dash: pendingTarget === 'heredoc-dash' });
    } else if (pendingTarget !== 'file') {
      words.push(word);
    }
    pendingTarget = undefined;
    word = undefined;
    wordQuoted = false;
  };
  const endCommand = (pipeNext: boolean): void => {
    endWord();
    pendingTarget = undefined;
    if (words.length > 0) out.push({ words, stdinGiven });
    words = [];
    stdinGiven = pipeNext;
  };

  let i = 0;
  while (i < command.length) {
    const ch = command.charAt(i);
    if (ch === '\\' && i + 1 < command.length) {
      if (command.charAt(i + 1) !== '\n') word = (word ?? '') + command.charAt(i + 1);
      i += 2;
      continue;
    }
    if (ch === "'") {
      const close = command.indexOf("'", i + 1);
      const end = close === -1 ? command.length : close;
      word = (word ?? '') + command.slice(i + 1, end);
      wordQuoted = true;
      i = end + 1;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      let text = '';
      while (j < command.length && command.charAt(j) !== '"') {
        if (command.charAt(j) === '\\' && j + 1 < command.length) {
          text += command.charAt(j + 1);
          j += 2;
        } else {
          text += command.charAt(j);
          j += 1;
        }
      }
      word = (word ?? '') + text;
      wordQuoted = true;
      i = j + 1;
      continue;
    }
    if (ch === '#' && word === undefined) {
      // A comment runs to the end of the line.
      const newline = command.indexOf('\n', i);
      i = newline === -1 ? command.length : newline;
      continue;
    }
    if (ch === '\n') {
      endCommand(false);
      i = skipHeredocBodies(command, i + 1, heredocs);
      heredocs.length = 0;
      continue;
    }
    if (ch === ' ' || ch === '\t') {
      endWord();
      i += 1;
      continue;
    }
    if (ch === ';' || ch === '(' || ch === ')' || ch === '`') {
      endCommand(false);
      i += 1;
      continue;
    }
    if (ch === '|' || ch === '&') {
      const next = command.charAt(i + 1);
      if (ch === '&' && next === '>') {
        // &> and &>>: both streams to a file.
        endWord();
        pendingTarget = 'file';
        i += command.charAt(i + 2) === '>' ? 3 : 2;
        continue;
      }
      const doubled = next === ch;
      // `|` and `|&` pipe into the next command; `||`, `&&` and `&` do not.
      endCommand(ch === '|' && !doubled);
      i += doubled || (ch === '|' && next === '&') ? 2 : 1;
      continue;
    }
    if (ch === '$' && command.charAt(i + 1) === '(') {
      endCommand(false);
      i += 2;
      continue;
    }
    if (ch === '<' || ch === '>') {
      // A number right before is the file descriptor, not a word.
      if (word !== undefined && !wordQuoted && /^\d+$/.test(word)) word = undefined;
      endWord();
      let op = ch;
      let j = i + 1;
      while (j < command.length && /[<>&|-]/.test(command.charAt(j)) && op.length < 3) {
        op += command.charAt(j);
        j += 1;
      }
      i = j;
      if (op.startsWith('<<<')) {
        stdinGiven = true;
        pendingTarget = 'file';
      } else if (op.startsWith('<<')) {
        stdinGiven = true;
        pendingTarget = op === '<<-' ? 'heredoc-dash' : 'heredoc';
      } else if (/^[<>]&$/.test(op) || /^\d*>&\d*$/.test(op)) {
        // Duplication such as 2>&1: the descriptor number follows.
        if (op.startsWith('<')) stdinGiven = true;
        pendingTarget = 'file';
      } else {
        if (op.startsWith('<')) stdinGiven = true;
        pendingTarget = 'file';
      }
      continue;
    }
    word = (word ?? '') + ch;
    i += 1;
  }
  endCommand(false);
  return out;
}

/** From `start` (the line after a command with heredocs), past each heredoc's body. */
function skipHeredocBodies(command: string, start: number, heredocs: { delimiter: string; dash: boolean }[]): number {
  let pos = start;
  for (const heredoc of heredocs) {
    while (pos < command.length) {
      const newline = command.indexOf('\n', pos);
      const lineEnd = newline === -1 ? command.length : newline;
      const line = command.slice(pos, lineEnd);
      pos = lineEnd + 1;
      if ((heredoc.dash ? line.replace(/^\t+/, '') : line) === heredoc.delimiter) break;
    }
  }
  return Math.min(pos, command.length);
}
