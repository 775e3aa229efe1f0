/**
 * The reviewer's tools. They only read: the reviewer looks around the head
 * of the pull request (files with line numbers, directory listings, a
 * search) and submits its review; nothing it can call changes a file or runs
 * the repository's code. (The container is thrown away afterwards anyway.)
 */
import type { ToolSpec } from '../agent/tool-spec.ts';
import { createToolbox, type Tool, type Toolbox } from '../agent/tools/index.ts';
import { createEditor } from '../agent/tools/str-replace-editor.ts';
import { createThink } from '../agent/tools/think.ts';
import { errorOutput, okOutput } from '../agent/tools/types.ts';
import { shellQuote } from '../util/shell-quote.ts';
import { SEVERITIES, parseSubmittedReview } from './review-schema.ts';

/** Matching lines shown by one search. */
export const SEARCH_MAX_LINES = 200;
/** Limit of one search, ms. */
export const SEARCH_TIMEOUT_MS = 30_000;

export function createReviewToolbox(): Toolbox {
  return createToolbox([createViewer(), createSearch(), createThink(), createSubmitReview()]);
}

/** str_replace_editor with `view` only: the name CodeAct-trained models know, without the edits. */
function createViewer(): Tool {
  const editor = createEditor();
  const spec: ToolSpec = {
    name: 'str_replace_editor',
    description: [
      'Read files and folders of the pull request head, checked out at /testbed. Paths are absolute.',
      '* view of a file shows it with line numbers (the head version); `view_range` [start, end] limits it (end -1 = to the end).',
      '* view of a folder lists it two levels deep, without hidden entries and node_modules.',
      'This reviewer copy is read-only: view is the only command.',
    ].join('\n'),
    parameters: {
      command: { type: 'string', description: 'Always view.', enum: ['view'] },
      path: { type: 'string', description: 'Absolute path of the file or folder.' },
      view_range: { type: 'array', items: { type: 'integer' }, description: '[start, end] of a file view, 1-based, inclusive.' },
    },
    required: ['command', 'path'],
  };
  return { spec, run: (args, ctx) => editor.run(args, ctx) };
}

function createSearch(): Tool {
  const spec: ToolSpec = {
    name: 'search',
    description:
      'Search the files under a folder for a regular expression (grep -E), skipping .git, node_modules and binary files. ' +
      `Shows up to ${SEARCH_MAX_LINES} matching lines as path:line:text.`,
    parameters: {
      pattern: { type: 'string', description: 'An extended regular expression, e.g. function add\\b' },
      path: { type: 'string', description: 'Folder or file to search (default /testbed).' },
      include: { type: 'string', description: 'Only files whose name matches this glob, e.g. *.js' },
    },
    required: ['pattern'],
  };
  return {
    spec,
    async run(args, ctx) {
      const pattern = String(args['pattern']);
      const where = typeof args['path'] === 'string' && args['path'].trim() !== '' ? args['path'].trim() : '/testbed';
      const include = typeof args['include'] === 'string' && args['include'].trim() !== '' ? ` --include=${shellQuote(args['include'].trim())}` : '';
      const command =
        `grep -rnIE --color=never --exclude-dir=.git --exclude-dir=node_modules${include} -e ${shellQuote(pattern)} -- ${shellQuote(where)}` +
        ` | head -n ${SEARCH_MAX_LINES + 1}; exit "\${PIPESTATUS[0]}"`;
      const result = await ctx.target.exec(command, { timeoutMs: SEARCH_TIMEOUT_MS, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      if (result.timedOut) return errorOutput(`The search took longer than ${SEARCH_TIMEOUT_MS / 1000} s: narrow the path or the pattern.`);
      // grep: 0 = matches, 1 = none, 2 = trouble (a bad pattern, a missing path). head may end grep early (141).
      if (result.exitCode === 1) return okOutput(`No matches for /${pattern}/ under ${where}.`);
      if (result.exitCode === 2) return errorOutput(`The search failed: ${result.stderr.trim() || 'grep reported an error'}`);
      const lines = result.stdout.split('\n').filter((line) => line !== '');
      const shown = lines.slice(0, SEARCH_MAX_LINES);
      const more = lines.length > SEARCH_MAX_LINES ? `\n[more matches not shown: narrow the search]` : '';
      return okOutput(`${shown.join('\n')}${more}`);
    },
  };
}

function createSubmitReview(): Tool {
  const spec: ToolSpec = {
    name: 'submit_review',
    description:
      'Submit your review and end. Comment only on lines shown in the diff, using the numbers printed there: ' +
      'side RIGHT with the head number for added (+) and unchanged lines, side LEFT with the base number for deleted (-) lines. ' +
      'Put each finding on the line it is about; keep the summary to the overall assessment.',
    parameters: {
      summary: { type: 'string', description: 'The overall assessment in a few sentences: what the change does, whether it is correct, the main risks.' },
      comments: {
        type: 'array',
        description: 'Findings tied to diff lines (may be empty: []).',
        items: {
          type: 'object',
          properties: {
            path: { type: 'string', description: 'File path relative to the repository root, as in the diff header.' },
            line: { type: 'integer', description: 'The line the comment is about (last line of a range).' },
            side: { type: 'string', description: 'RIGHT (head) or LEFT (base); default RIGHT.', enum: ['RIGHT', 'LEFT'] },
            start_line: { type: 'integer', description: 'First line of a multi-line range on the same side, if any.' },
            severity: { type: 'string', description: 'How much it matters; default minor.', enum: SEVERITIES },
            body: { type: 'string', description: 'The finding: what is wrong and why, concretely.' },
            suggestion: {
              type: 'string',
              description: 'Optional replacement text for the commented line(s) on the RIGHT side, exactly as the code should read.',
            },
          },
          required: ['path', 'line', 'body'],
        },
      },
      files_not_reviewed: {
        type: 'array',
        description: 'Changed files you did not review, each {"path", "reason"} (may be omitted).',
        items: {
          type: 'object',
          properties: {
            path: { type: 'string', description: 'File path.' },
            reason: { type: 'string', description: 'Why it was not reviewed.' },
          },
          required: ['path', 'reason'],
        },
      },
    },
    required: ['summary'],
  };
  return {
    spec,
    run(args) {
      const parsed = parseSubmittedReview(args);
      if ('error' in parsed) return Promise.resolve(errorOutput(parsed.error));
      const count = parsed.review.comments.length;
      return Promise.resolve({
        text: `Review submitted with ${count} comment${count === 1 ? '' : 's'}.`,
        isError: false,
        finish: { message: parsed.review.summary, taskCompleted: true, data: parsed.review },
      });
    },
  };
}
