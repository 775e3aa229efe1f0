/**
 * `npm run bench`: runs every `bench/*.bench.ts` module's exported `run()`,
 * in file-name order. Each measure is reported as one JSON line on stdout
 * (see report.ts); progress and a summary go to stderr.
 *
 *   npm run bench                # every bench
 *   npm run bench -- sandbox     # only benches whose file name contains "sandbox"
 *
 * Adding a bench: create `bench/<name>.bench.ts` exporting
 * `run(): Promise<void>` that calls `report()` for each measure.
 * A missed target does not fail the run; a bench that throws does (exit 1).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { printSummary } from './report.ts';

export interface BenchModule {
  run(): Promise<void>;
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const files = fs
    .readdirSync(import.meta.dirname)
    .filter((file) => file.endsWith('.bench.ts'))
    .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
    .sort();
  if (files.length === 0) {
    process.stderr.write(`bench: no bench/*.bench.ts matches ${filters.join(' ')}\n`);
    process.exitCode = 1;
    return;
  }
  const failed: string[] = [];
  const started = performance.now();
  for (const file of files) {
    const name = file.slice(0, -'.bench.ts'.length);
    process.stderr.write(`\n== ${name}\n`);
    const benchStarted = performance.now();
    try {
      const module = (await import(pathToFileURL(path.join(import.meta.dirname, file)).href)) as Partial<BenchModule>;
      if (typeof module.run !== 'function') throw new Error(`${file} exports no run()`);
      await module.run();
    } catch (error) {
      failed.push(name);
      process.stderr.write(`bench ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.stderr.write(`== ${name} took ${((performance.now() - benchStarted) / 1000).toFixed(1)} s\n`);
  }
  process.stderr.write(`\n`);
  printSummary(failed);
  process.stderr.write(`bench: total ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  if (failed.length > 0) process.exitCode = 1;
}

await main();
