/**
 * Slash commands in issue and pull-request comments (design.md §5). Only
 * the first non-empty line counts, and only when it starts with the command:
 * a command quoted in a reply (`> /autofix`) or mentioned mid-sentence is
 * not a request.
 */

export type SlashCommand = 'autofix' | 'autofix-cancel' | 'review' | 'setup' | 'evaluate';

/** Bugs `/swe-bot evaluate` makes and fixes when the comment names no number. */
export const EVALUATE_DEFAULT_BUGS = 10;
/** At most this many: each one is a full fix job (an agent run and the tests). */
export const EVALUATE_MAX_BUGS = 50;

export function parseCommand(body: string | null | undefined): SlashCommand | undefined {
  const first = (body ?? '').split('\n').find((line) => line.trim() !== '')?.trim().toLowerCase();
  if (first === undefined) return undefined;
  const words = first.split(/\s+/);
  if (words[0] === '/autofix') {
    if (words.length === 1) return 'autofix';
    return words[1] === 'cancel' && words.length === 2 ? 'autofix-cancel' : undefined;
  }
  if (words[0] === '/review' && words.length === 1) return 'review';
  // `/swe-bot setup`: namespaced, as it is about the App itself rather than the issue it is posted on.
  if (words[0] === '/swe-bot' && words[1] === 'setup' && words.length === 2) return 'setup';
  if (words[0] === '/swe-bot' && words[1] === 'evaluate' && (words.length === 2 || (words.length === 3 && evaluateCount(words[2]) !== undefined))) return 'evaluate';
  return undefined;
}

/**
 * The number of bugs `/swe-bot evaluate [N]` asks for: N (1 to
 * {@link EVALUATE_MAX_BUGS}), or {@link EVALUATE_DEFAULT_BUGS} without one.
 * Undefined for a comment that is not such a command.
 */
export function evaluateBugs(body: string | null | undefined): number | undefined {
  if (parseCommand(body) !== 'evaluate') return undefined;
  const words = (body ?? '').split('\n').find((line) => line.trim() !== '')?.trim().split(/\s+/) ?? [];
  return words[2] === undefined ? EVALUATE_DEFAULT_BUGS : evaluateCount(words[2]);
}

function evaluateCount(word: string | undefined): number | undefined {
  if (word === undefined || !/^\d{1,3}$/.test(word)) return undefined;
  const count = Number(word);
  return count >= 1 && count <= EVALUATE_MAX_BUGS ? count : undefined;
}
