import { describe, expect, it } from 'vitest';
import type { SmithEvaluation } from '../../src/dataset/smith-evaluation.ts';
import type { SmithBug } from '../../src/dataset/smith.ts';
import { evaluationReport } from '../../src/worker/evaluate-report.ts';

const COMMIT = 'a'.repeat(40);
const bug = (id: string, issueBy: SmithBug['issueBy']): SmithBug =>
  ({ id, issueBy, mutation: { kind: 'flip_comparison' } }) as unknown as SmithBug;

function evaluation(overrides: { bugs?: SmithBug[]; resolved?: string[]; byKind?: SmithEvaluation['byKind']; errors?: Record<string, string> }): SmithEvaluation {
  return {
    smith: { bugs: overrides.bugs ?? [], tried: 12, candidates: 40, perKind: {}, flaky: [] },
    infer: { errors: overrides.errors ?? {} },
    report: { resolved_ids: overrides.resolved ?? [], errors: {} },
    byKind: overrides.byKind ?? {},
  } as unknown as SmithEvaluation;
}

describe('evaluationReport', () => {
  it('gives the rate, a row per kind, how the bugs were made, and how to reproduce it', () => {
    const result = evaluation({
      bugs: [bug('a', 'model'), bug('b', 'template'), bug('c', 'model')],
      resolved: ['x.smith.a', 'x.smith.c'],
      byKind: { flip_comparison: { instances: 2, resolved: 2 }, remove_guard: { instances: 1, resolved: 0 } },
      errors: { 'local__x.smith.b': 'no candidate got an answer from the model' },
    });
    const report = evaluationReport(result, { commit: COMMIT, model: 'Skywork-SWE-32B', asked: 5, kept: true });
    expect(report.conclusion).toBe('success');
    expect(report.title).toBe('2 of 3 bugs fixed');
    expect(report.text).toContain('**Skywork-SWE-32B** fixed **2 of 3** bug(s) made in this repository (67%). 5 were asked for; the tests caught 3.');
    expect(report.text).toContain('| flip comparison | 2 | 2 | 100% |');
    expect(report.text).toContain('| remove guard | 1 | 0 | 0% |');
    expect(report.text).toContain(`12 candidate change(s) tried at ${COMMIT.slice(0, 12)}, 3 caught by the tests`);
    expect(report.text).toContain('2 written by the model, 1 from the failing tests');
    expect(report.text).toContain('`b` (no candidate got an answer from the model)');
    expect(report.text).toContain('npx swe-bot smith --repo . --count 5');
    expect(report.text).toContain('kept in the App’s data folder');
  });

  it('says so when no change was caught by the tests', () => {
    const report = evaluationReport(evaluation({}), { commit: COMMIT, model: 'm', asked: 10, kept: false });
    expect(report.conclusion).toBe('neutral');
    expect(report.title).toBe('No bug to measure with');
    expect(report.text).toContain('12 candidate change(s) tried');
    expect(report.text).not.toContain('data folder');
  });
});
