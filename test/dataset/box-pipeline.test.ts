import { describe, expect, it } from 'vitest';
import { boxPipeline } from '../../src/dataset/box-pipeline.ts';

function boxes() {
  const log: string[] = [];
  let next = 0;
  const start = async () => {
    const id = next++;
    log.push(`start ${id}`);
    await Promise.resolve();
    return { id, remove: () => Promise.resolve(void log.push(`remove ${id}`)) };
  };
  return { log, start };
}

describe('boxPipeline', () => {
  it('starts the next box while the current one is used, and removes every box by close', async () => {
    const { log, start } = boxes();
    const pipeline = boxPipeline(start);
    const first = await pipeline.take(true);
    expect(log).toEqual(['start 0', 'start 1']);
    pipeline.discard(first);
    const second = await pipeline.take(false);
    expect(second.id).toBe(1);
    pipeline.discard(second);
    await pipeline.close();
    expect(log.filter((line) => line.startsWith('remove')).sort()).toEqual(['remove 0', 'remove 1']);
  });

  it('removes a box started ahead and never taken', async () => {
    const { log, start } = boxes();
    const pipeline = boxPipeline(start);
    pipeline.discard(await pipeline.take(true));
    await pipeline.close();
    expect(log.filter((line) => line.startsWith('remove')).sort()).toEqual(['remove 0', 'remove 1']);
  });

  it('gives a failed start ahead to the take that gets it, not to the process', async () => {
    let calls = 0;
    const pipeline = boxPipeline(() => {
      calls += 1;
      return calls === 2 ? Promise.reject(new Error('engine gone')) : Promise.resolve({ remove: () => Promise.resolve() });
    });
    await pipeline.take(true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(pipeline.take(false)).rejects.toThrow('engine gone');
    await pipeline.close();
  });
});
