/**
 * The review as the model submits it (the `submit_review` tool's arguments),
 * checked with zod. The checks are lenient where models are sloppy in
 * harmless ways (a line number as text, `right` for `RIGHT`) and strict
 * where a guess could misplace a comment.
 */
import { z } from 'zod';

export const SEVERITIES = ['critical', 'major', 'minor', 'nit'] as const;
export type Severity = (typeof SEVERITIES)[number];

const lineNumber = z.preprocess(
  (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
  z.number().int().positive(),
);
const side = z.preprocess((value) => (typeof value === 'string' ? value.trim().toUpperCase() : value), z.enum(['LEFT', 'RIGHT']));
const severity = z.preprocess((value) => (typeof value === 'string' ? value.trim().toLowerCase() : value), z.enum(SEVERITIES));

export const SubmittedCommentSchema = z
  .object({
    path: z.string().trim().min(1).transform((value) => value.replace(/^\/testbed\//, '').replace(/^\.?\//, '')),
    line: lineNumber,
    side: side.default('RIGHT'),
    start_line: lineNumber.optional(),
    severity: severity.default('minor'),
    body: z.string().trim().min(1),
    suggestion: z.string().optional(),
  })
  .strict();

export const SubmittedReviewSchema = z
  .object({
    summary: z.string().trim().min(1),
    comments: z.array(SubmittedCommentSchema).default([]),
    files_not_reviewed: z
      .array(z.object({ path: z.string().trim().min(1), reason: z.string().trim().min(1) }).strict())
      .default([]),
  })
  .strict();

export type SubmittedComment = z.infer<typeof SubmittedCommentSchema>;
export type SubmittedReview = z.infer<typeof SubmittedReviewSchema>;

/** Parses the tool's arguments; the error lists every problem with its place, for the model to correct. */
export function parseSubmittedReview(args: unknown): { review: SubmittedReview } | { error: string } {
  const parsed = SubmittedReviewSchema.safeParse(args);
  if (parsed.success) return { review: parsed.data };
  const problems = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'review'}: ${issue.message}`);
  return { error: `The review was not accepted: ${problems.join('; ')}. Fix these and call submit_review again.` };
}
