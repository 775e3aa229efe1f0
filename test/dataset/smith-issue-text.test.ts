import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { formatFor } from '../../src/agent/formats/index.ts';
import { createModelClient } from '../../src/agent/model-client.ts';
import { createIssueWriter, issueText, testSourceCommand, unusable, type IssueEvidence } from '../../src/dataset/smith-issue-text.ts';
import { silentLogger } from '../../src/logger.ts';
import { fixtureRepo, type FixtureRepo } from '../helpers/git-fixture.ts';
import { startScriptedModel, type ScriptedModel } from '../helpers/scripted-model.ts';

const BUG_PATCH = [
  '--- a/lib/clamp.js',
  '+++ b/lib/clamp.js',
  '@@ -2,3 +2,3 @@',
  ' function clamp(x, lo, hi) {',
  '-  if (x < lo) return lo;',
  '+  if (x >= lo) return lo;',
  '   return x;',
].join('\n');

const EVIDENCE: IssueEvidence = {
  failToPass: ['clamp keeps values inside'],
  output: 'ok 1 - other\nnot ok 2 - clamp keeps values inside\n  expected: 5\n  actual: 0\n',
  testSource: "test('clamp keeps values inside', () => assert.strictEqual(clamp(5, 0, 10), 5));",
};

const USER_TEXT = [
  '# clamp() returns the lower bound for values inside the range',
  '',
  '```js',
  'clamp(5, 0, 10) // 0',
  '```',
  '',
  'I expected 5, since 5 is between 0 and 10, but got 0.',
].join('\n');

const servers: ScriptedModel[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function writerFor(replies: Parameters<typeof startScriptedModel>[0]['replies'], mode: 'auto' | 'template' = 'auto') {
  const model = await startScriptedModel({ replies });
  servers.push(model);
  const client = createModelClient({ baseUrl: model.url, apiKey: 'k', model: 'scripted', logger: silentLogger(), backoffBaseMs: 1, maxAttempts: 1 });
  return { model, writer: createIssueWriter({ model: { client, format: formatFor('text'), name: 'scripted' }, logger: silentLogger() }, mode) };
}

describe('smith issue texts', () => {
  it("uses the model's text, asked with the test's source and output and not the change", async () => {
    const { model, writer } = await writerFor([`\`\`\`markdown\n${USER_TEXT}\n\`\`\``]);
    const written = await writer.write(EVIDENCE, BUG_PATCH);
    expect(written).toEqual({ text: USER_TEXT, by: 'model' });
    const asked = JSON.stringify(model.requests[0]?.body.messages);
    expect(asked).toContain('clamp(5, 0, 10), 5)');
    expect(asked).toContain('actual: 0');
    expect(asked).not.toContain('x >= lo');
    expect(asked).not.toContain('lib/clamp.js');
  });

  it('falls back to the template when the text gives the fix away or says nothing', async () => {
    const { writer } = await writerFor(['The bug is `if (x >= lo) return lo;` which should be `<`. ' + USER_TEXT, 'ok', 'See lib/clamp.js line 3. ' + USER_TEXT]);
    for (let i = 0; i < 3; i += 1) {
      const written = await writer.write(EVIDENCE, BUG_PATCH);
      expect(written).toEqual({ text: issueText(EVIDENCE.failToPass, EVIDENCE.output), by: 'template' });
    }
    // Unusable answers are not an unreachable model: it is still asked.
    expect(writer.modelUnavailable).toBeUndefined();
  });

  it('asks an unreachable endpoint once, then uses the template', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = createModelClient({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'k', model: 'm', logger: silentLogger(), backoffBaseMs: 1, maxAttempts: 1 });
    let calls = 0;
    const counting = { ...client, complete: (request: Parameters<typeof client.complete>[0]) => ((calls += 1), client.complete(request)) };
    const writer = createIssueWriter({ model: { client: counting, format: formatFor('text'), name: 'm' }, logger: silentLogger() }, 'auto');
    expect((await writer.write(EVIDENCE, BUG_PATCH)).by).toBe('template');
    expect((await writer.write(EVIDENCE, BUG_PATCH)).by).toBe('template');
    expect(calls).toBe(1);
    expect(writer.modelUnavailable).toMatch(/\S/);
  });

  it('never asks the model in template mode', async () => {
    const { model, writer } = await writerFor([USER_TEXT], 'template');
    expect((await writer.write(EVIDENCE, BUG_PATCH)).by).toBe('template');
    expect(model.requests).toHaveLength(0);
  });

  it('judges texts: short, long, quoting a changed line or naming the file', () => {
    expect(unusable(USER_TEXT, BUG_PATCH)).toBeUndefined();
    expect(unusable('short', BUG_PATCH)).toMatch(/too short/);
    expect(unusable('x'.repeat(7_000), BUG_PATCH)).toMatch(/too long/);
    expect(unusable(`${USER_TEXT}\nif (x < lo) return lo;`, BUG_PATCH)).toMatch(/quotes a changed line/);
    expect(unusable(`${USER_TEXT}\nin lib/clamp.js`, BUG_PATCH)).toMatch(/names the changed file/);
  });
});

describe('testSourceCommand', () => {
  let repo: FixtureRepo | undefined;
  afterEach(() => repo?.remove());

  it("prints the lines around the test's name in a tracked file, and nothing for an unknown test", () => {
    repo = fixtureRepo('node-repo');
    const lines = Array.from({ length: 60 }, (_, i) => `// line ${i + 1}`);
    lines[19] = "test('it's a \"quoted\" $name', () => {});";
    repo.commit({ 'test/q.test.js': `${lines.join('\n')}\n` });
    const run = (name: string) => execFileSync('bash', ['-c', testSourceCommand(name, repo?.dir ?? '')], { encoding: 'utf8' });
    const shown = run('suite > it\'s a "quoted" $name').split('\n');
    expect(shown[0]).toBe('// line 17');
    expect(shown[3]).toContain('quoted');
    expect(shown.at(-2)).toBe('// line 50');
    expect(run('no such test anywhere')).toBe('');
  });
});
