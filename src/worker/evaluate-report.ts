/**
 * What a maintainer reads after `/swe-bot evaluate`: how many of the bugs
 * made in their repository the model fixed, per kind of bug, and what that
 * number rests on (how the bugs were made and graded), with the commands to
 * reproduce it on a clone.
 */
import type { SmithEvaluation } from '../dataset/smith-evaluation.ts';

export interface EvaluationReportContext {
  /** The commit the bugs were made at. */
  commit: string;
  /** The model that fixed them. */
  model: string;
  /** Bugs asked for. */
  asked: number;
  /** Whether the dataset and trajectories are kept in the App's data folder. */
  kept: boolean;
}

export interface EvaluationReportText {
  conclusion: 'success' | 'neutral';
  title: string;
  text: string;
}

/** Errors listed, at most. */
const ERRORS_SHOWN = 5;

export function evaluationReport(result: SmithEvaluation, context: EvaluationReportContext): EvaluationReportText {
  const { smith, report } = result;
  const made = smith.bugs.length;
  const at = context.commit.slice(0, 12);
  const how = `${smith.tried} candidate change(s) tried at ${at}, ${made} caught by the tests (${smith.candidates} candidates found in the source)`;
  if (made === 0) {
    return {
      conclusion: 'neutral',
      title: 'No bug to measure with',
      text: [
        `No change to the source made a test fail while others kept passing: ${how}.`,
        'An evaluation needs tests that catch small changes in the code they cover; more tests (or tests that reach more functions) give it bugs to use.',
      ].join('\n\n'),
    };
  }
  const resolved = report.resolved_ids.length;
  const rows = Object.entries(result.byKind)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, rate]) => `| ${kind.replaceAll('_', ' ')} | ${rate.instances} | ${rate.resolved} | ${percent(rate.resolved, rate.instances)} |`);
  const errors = Object.entries({ ...result.infer.errors, ...report.errors }).slice(0, ERRORS_SHOWN);
  const issueBy = smith.bugs.filter((bug) => bug.issueBy === 'model').length;
  const text = [
    `**${context.model}** fixed **${resolved} of ${made}** bug(s) made in this repository (${percent(resolved, made)}).${made < context.asked ? ` ${context.asked} were asked for; the tests caught ${made}.` : ''}`,
    ['| kind of bug | bugs | fixed | rate |', '|---|---:|---:|---:|', ...rows].join('\n'),
    [
      `How: ${how}. Each kept bug became an issue (${issueBy === made ? 'written by the model from the failing test' : issueBy === 0 ? "from the failing tests' names and output" : `${issueBy} written by the model, ${made - issueBy} from the failing tests`}); the fix pipeline got that text and the buggy code only, and a fix counts when the tests the bug broke pass again and the others still pass.`,
      errors.length === 0 ? '' : `Not attempted or not graded: ${errors.map(([id, reason]) => `\`${id.split('.smith.').pop() ?? id}\` (${reason.slice(0, 200)})`).join('; ')}.`,
      `To run it on a clone: \`npx swe-bot smith --repo . --count ${context.asked} --out smith-out\`, then \`swe-bot infer\` and \`swe-bot evaluate\` as it prints.${context.kept ? ' The dataset, predictions and trajectories of this run are kept in the App’s data folder until the next evaluation.' : ''}`,
    ]
      .filter(Boolean)
      .join('\n\n'),
  ].join('\n\n');
  return { conclusion: 'success', title: `${resolved} of ${made} bugs fixed`, text };
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '–' : `${Math.round((100 * part) / whole)}%`;
}
