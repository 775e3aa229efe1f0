/**
 * Slash commands in issue and pull-request comments (design.md §5). Only
 * the first non-empty line counts, and only when it starts with the command:
 * a command quoted in a reply (`> /autofix`) or mentioned mid-sentence is
 * not a request.
 */

export type SlashCommand = 'autofix' | 'autofix-cancel' | 'review' | 'setup';

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
  return undefined;
}
