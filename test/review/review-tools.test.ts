import { describe, expect, it } from 'vitest';
import { createReviewToolbox } from '../../src/review/review-tools.ts';

describe('the submit_review tool', () => {
  it('goes through the toolbox from the text format (JSON in a string), ending the run with the review', async () => {
    const toolbox = createReviewToolbox();
    const target = { exec: () => Promise.reject(new Error('no exec')), readFile: () => Promise.reject(new Error('no')), writeFile: () => Promise.reject(new Error('no')) };
    const out = await toolbox.run(
      { id: 'c', name: 'submit_review', arguments: { summary: 'Looks good.', comments: '[{"path": "a.js", "line": 3, "body": "hm"}]' } },
      { target },
    );
    expect(out.isError).toBe(false);
    expect(out.finish?.data).toMatchObject({ summary: 'Looks good.', comments: [{ path: 'a.js', line: 3, side: 'RIGHT' }] });
    const broken = await toolbox.run({ id: 'd', name: 'submit_review', arguments: { summary: 's', comments: '[{"path": ' } }, { target });
    expect(broken).toMatchObject({ isError: true });
    expect(broken.text).toMatch(/a JSON list of objects/);
    const edit = await toolbox.run({ id: 'e', name: 'str_replace_editor', arguments: { command: 'create', path: '/testbed/x', file_text: 'x' } }, { target });
    expect(edit.text).toMatch(/"create" is not allowed; use one of: view/);
    expect(toolbox.specs.map((spec) => spec.name)).toEqual(['str_replace_editor', 'search', 'think', 'submit_review']);
  });
});
