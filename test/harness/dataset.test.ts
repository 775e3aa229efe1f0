import { describe, expect, it } from 'vitest';
import { parseDataset, resolvePredictions } from '../../src/harness/dataset.ts';
import { defaultWorkers, summaryLine } from '../../src/dataset/evaluate.ts';
import { environmentConfig } from '../../src/dataset/dataset-instance.ts';

const instance = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    instance_id: id,
    repo: 'owner/name',
    base_commit: 'a'.repeat(40),
    patch: 'diff --git a/x b/x\n',
    test_patch: '',
    FAIL_TO_PASS: ['t1'],
    PASS_TO_PASS: '["t2", "t3"]',
    ...extra,
  });

describe('datasets', () => {
  it('reads lists and JSON-encoded lists, and the spec block', () => {
    const { items, problems } = parseDataset(
      `${instance('a')}\n\n${instance('b', { spec: { language: 'node', install: ['npm ci'], test_cmd: 'npm test', timeout_s: 60 } })}\n`,
    );
    expect(problems).toEqual([]);
    expect(items.map((item) => item.instance_id)).toEqual(['a', 'b']);
    expect(items[0]?.PASS_TO_PASS).toEqual(['t2', 't3']);
    expect(items[1]?.spec).toMatchObject({ language: 'node', install: ['npm ci'], log_parser: 'auto' });
  });

  it('reports a malformed line with its number and keeps the rest', () => {
    const text = [instance('a'), '{not json', instance('c', { FAIL_TO_PASS: 'not a list' }), instance('d', { repo: 'nope' }), instance('e')].join('\n');
    const { items, problems } = parseDataset(text);
    expect(items.map((item) => item.instance_id)).toEqual(['a', 'e']);
    expect(problems.map((problem) => problem.line)).toEqual([2, 3, 4]);
    expect(problems[0]?.message).toMatch(/not valid JSON/);
    expect(problems[1]?.message).toMatch(/FAIL_TO_PASS: must be a list/);
    expect(problems[2]?.message).toMatch(/repo: must be owner\/name/);
  });

  it('keeps the first of two instances with one id', () => {
    const { items, problems } = parseDataset(`${instance('a')}\n${instance('a', { patch: 'other' })}`);
    expect(items).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/more than once/);
  });
});

describe('predictions', () => {
  const { items } = parseDataset(`${instance('a')}\n${instance('b')}`);

  it('makes gold and empty predictions', () => {
    expect(resolvePredictions('gold', items).byId.get('a')?.model_patch).toBe('diff --git a/x b/x\n');
    expect(resolvePredictions('empty', items).byId.get('b')?.model_patch).toBe('');
  });

  it('reads a predictions file and reports unknown instances', () => {
    const text = [
      JSON.stringify({ instance_id: 'a', model_name_or_path: 'm', model_patch: 'p' }),
      JSON.stringify({ instance_id: 'zzz', model_name_or_path: 'm', model_patch: 'p' }),
      JSON.stringify({ instance_id: 'b', model_patch: null }),
      'garbage',
    ].join('\n');
    const set = resolvePredictions({ file: 'p.jsonl', text }, items);
    expect(set.unknown).toEqual(['zzz']);
    expect(set.byId.get('b')?.model_patch).toBe('');
    expect(set.problems).toHaveLength(1);
    expect(set.problems[0]).toMatchObject({ line: 4, message: expect.stringMatching(/not valid JSON/) as string });
  });
});

describe('evaluation helpers', () => {
  it('uses three quarters of the cores, at least one', () => {
    expect(defaultWorkers(2)).toBe(1);
    expect(defaultWorkers(8)).toBe(6);
    expect(defaultWorkers(1)).toBe(1);
  });

  it('turns a spec block into environment overrides', () => {
    expect(environmentConfig({ language: 'node', node_version: '20', install: ['x'], test_cmd: 'npm test', log_parser: 'tap', timeout_s: 120 })).toMatchObject({
      language: 'node',
      node_version: '20',
      test: 'npm test',
      log_parser: 'tap',
      timeout_minutes: 2,
    });
  });

  it('prints the closing line', () => {
    const report = { resolved_ids: ['a'], unresolved_ids: ['b', 'c'], error_ids: [] };
    expect(summaryLine(report as unknown as Parameters<typeof summaryLine>[0])).toBe('1 resolved, 2 unresolved, 0 errors');
  });
});
