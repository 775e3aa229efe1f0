import { describe, expect, it } from 'vitest';
import { liveLines, pipelineDisplay, progressBar, type ProgressStream } from '../../src/cli/progress-display.ts';
import type { ProgressEvent } from '../../src/jobs/progress.ts';

function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { text: () => string } {
  const chunks: string[] = [];
  return {
    isTTY,
    ...(columns === undefined ? {} : { columns }),
    write: (text: string) => chunks.push(text),
    text: () => chunks.join(''),
  };
}

/** What a terminal shows after the writes: \r, cursor up and erase-line honoured. */
function screen(output: string): string[] {
  const rows: string[] = [''];
  let row = 0;
  // eslint-disable-next-line no-control-regex
  for (const token of output.match(/\x1b\[\d*[AK]|\r|\n|[^\x1b\r\n]+/g) ?? []) {
    if (token === '\r') continue;
    if (token === '\n') {
      row += 1;
      rows[row] ??= '';
    } else if (token === '\x1b[2K') rows[row] = '';
    else if (token.endsWith('A')) row -= Number(token.slice(2, -1) || '1');
    else rows[row] = (rows[row] ?? '') + token;
  }
  return rows;
}

const EVENTS: ProgressEvent[] = [
  { stage: 'environment', message: 'detecting the environment' },
  { stage: 'environment', message: 'cached swe-bot/env:abc' },
  { stage: 'baseline', message: 'running the tests at the base commit' },
  { stage: 'agent', candidate: 0, message: 'started' },
  { stage: 'agent', candidate: 1, message: 'started' },
  { stage: 'agent', candidate: 0, step: 1, message: 'step 1: execute_bash' },
  { stage: 'agent', candidate: 1, step: 1, message: 'step 1: think' },
  { stage: 'agent', candidate: 0, step: 2, message: 'step 2: finish' },
  { stage: 'tests', candidate: 0, message: 'grading the patch' },
  { stage: 'tests', candidate: 0, message: 'verified' },
  { stage: 'tests', candidate: 1, message: 'no patch to grade' },
  { stage: 'done', message: 'verified (candidate 0)' },
];

describe('pipeline progress display', () => {
  it('writes a plain line per event, without agent steps, when stderr is not a terminal', () => {
    const stream = fakeStream(false);
    const display = pipelineDisplay(stream, { prefix: '[1/2] x · ' });
    for (const event of EVENTS) display.listener(event);
    display.end();
    expect(stream.text()).not.toContain('\x1b');
    expect(stream.text()).not.toContain('\r');
    expect(stream.text().split('\n')).toEqual([
      '[1/2] x · environment: detecting the environment',
      '[1/2] x · environment: cached swe-bot/env:abc',
      '[1/2] x · baseline: running the tests at the base commit',
      '[1/2] x · candidate 0 · agent: started',
      '[1/2] x · candidate 1 · agent: started',
      '[1/2] x · candidate 0 · tests: grading the patch',
      '[1/2] x · candidate 0 · tests: verified',
      '[1/2] x · candidate 1 · tests: no patch to grade',
      '[1/2] x · done: verified (candidate 0)',
      '',
    ]);
  });

  it('keeps one line per candidate, updated in place, on a terminal', () => {
    const stream = fakeStream(true);
    const display = pipelineDisplay(stream);
    for (const event of EVENTS.slice(0, 7)) display.listener(event);
    expect(screen(stream.text())).toEqual([
      'baseline: running the tests at the base commit',
      'candidate 0 · agent: step 1: execute_bash',
      'candidate 1 · agent: step 1: think',
    ]);
    for (const event of EVENTS.slice(7)) display.listener(event);
    display.end();
    expect(screen(stream.text())).toEqual([
      'baseline: running the tests at the base commit',
      'candidate 0 · tests: verified',
      'candidate 1 · tests: no patch to grade',
      'done: verified (candidate 0)',
      '',
    ]);
    expect(stream.text()).toContain('\x1b[2K');
    expect(stream.text()).toContain('\r\x1b[2A');
  });

  it('cuts lines to the terminal width so redraws stay aligned', () => {
    const stream = fakeStream(true, 20);
    const display = pipelineDisplay(stream);
    display.listener({ stage: 'environment', message: 'building the environment image from scratch' });
    display.end();
    const [line] = screen(stream.text());
    expect(line).toBe('environment: build…');
    expect([...(line ?? '')].length).toBe(19);
  });
});

describe('live lines and bars', () => {
  it('redraws one line in place and moves below it at the end', () => {
    const stream = fakeStream(true);
    const live = liveLines(stream);
    live.set('bar', 'one');
    live.set('bar', 'one');
    live.set('bar', 'two');
    live.end();
    expect(stream.text()).toBe('\r\x1b[2Kone\r\x1b[2Ktwo\n');
    live.set('bar', 'next block');
    expect(screen(stream.text())).toEqual(['two', 'next block']);
  });

  it('draws bars in proportion', () => {
    expect(progressBar(0, 4, 8)).toBe('░░░░░░░░');
    expect(progressBar(2, 4, 8)).toBe('████░░░░');
    expect(progressBar(4, 4, 8)).toBe('████████');
    expect(progressBar(0, 0, 4)).toBe('████');
  });
});
