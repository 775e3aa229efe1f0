/**
 * egress_proxy_overhead (issue #12): a cold `npm ci` of a mid-size lock file
 * (express, mocha, chai and eslint: a few hundred packages) in a container
 * without a network, through the egress proxy and its forwarder (the
 * forwarder's start counted), against the same install in a container with
 * the host's network, as builds ran before. Fresh containers of the same
 * base image each time (npm's cache empty), the two alternating, medians of
 * RUNS. Target ≤ 1.1×.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { pino } from 'pino';
import type { Logger } from '../src/logger.ts';
import { buildEgressRules, openBuildEgress } from '../src/sandbox/build-egress.ts';
import { containerSpec } from '../src/sandbox/container-spec.ts';
import { execInContainer } from '../src/sandbox/exec.ts';
import { currentOwner, labelsFor } from '../src/sandbox/labels.ts';
import { createSandbox } from '../src/sandbox/sandbox.ts';
import { testConfig } from '../test/helpers/test-config.ts';
import { median, report, timed } from './report.ts';

const RUNS = 5;
const DEPENDENCIES = { express: '4.19.2', mocha: '10.4.0', chai: '4.4.1', eslint: '8.57.0' };
const INSTALL = 'npm ci --ignore-scripts --no-audit --no-fund --loglevel=error';
const execFileAsync = promisify(execFile);

export async function run(): Promise<void> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-bench-egress-'));
  const config = testConfig({ SWE_BOT_DATA_DIR: dataDir });
  const logger = pino({ name: 'bench', level: 'warn' }, pino.destination(2)) as Logger;
  const sandbox = createSandbox({ settings: config.sandbox, logger, dockerHost: config.dockerHost });
  const base = await sandbox.ensureBaseImage('node');
  const project = await lockedProject(dataDir);
  const deps = { docker: sandbox.docker, settings: config.sandbox, logger, owner: currentOwner() };
  const ours: number[] = [];
  const hostNetwork: number[] = [];
  let packages = 0;
  const removals: Promise<void>[] = [];
  try {
    for (let i = 0; i < RUNS; i += 1) {
      const order = i % 2 === 0 ? (['proxy', 'host'] as const) : (['host', 'proxy'] as const);
      for (const way of order) {
        process.stderr.write(`  egress: run ${i + 1}/${RUNS}, ${way === 'proxy' ? 'through the proxy' : 'host network'}\n`);
        const container = await projectContainer(sandbox.docker, base.tag, project, way === 'host');
        try {
          const { ms, value } = await timed(async () => {
            if (way === 'host') return execInContainer(container, INSTALL, { timeoutMs: 15 * 60_000, maxOutputBytes: 64 * 1024 });
            const egress = await openBuildEgress(deps, { container, rules: buildEgressRules(config.sandbox), ttlMs: 20 * 60_000 });
            try {
              return await execInContainer(container, INSTALL, { timeoutMs: 15 * 60_000, env: egress.env, maxOutputBytes: 64 * 1024 });
            } finally {
              // Forwarder removal goes on beside the job, as in a build.
              removals.push((await egress.close()).removed);
            }
          });
          if (value.exitCode !== 0) throw new Error(`${INSTALL} failed (${way}): ${value.stderr || value.stdout}`);
          packages = Number((await execInContainer(container, 'ls -d node_modules/* node_modules/@*/* 2>/dev/null | wc -l', { timeoutMs: 60_000 })).stdout.trim());
          (way === 'proxy' ? ours : hostNetwork).push(ms);
        } finally {
          await container.remove({ force: true, v: true }).catch(() => undefined);
        }
      }
    }
  } finally {
    await Promise.all(removals);
    await fs.rm(dataDir, { recursive: true, force: true });
  }
  report({
    measure: 'egress_proxy_overhead',
    ours: median(ours),
    baseline: median(hostNetwork),
    target: '<= 1.1',
    unit: 'ms',
    runs: RUNS,
    details: { packages, install: INSTALL },
  });
}

/** package.json and a lock file resolved now by the host's npm (no install). */
async function lockedProject(dir: string): Promise<Map<string, Buffer>> {
  const projectDir = path.join(dir, 'project');
  await fs.mkdir(projectDir, { recursive: true });
  const manifest = { name: 'egress-bench', version: '1.0.0', private: true, dependencies: DEPENDENCIES };
  await fs.writeFile(path.join(projectDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await execFileAsync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: projectDir });
  return new Map([
    ['package.json', await fs.readFile(path.join(projectDir, 'package.json'))],
    ['package-lock.json', await fs.readFile(path.join(projectDir, 'package-lock.json'))],
  ]);
}

/** A started container of the base image with the project in /testbed: no network, or (the baseline) the host's. */
async function projectContainer(docker: Docker, image: string, files: Map<string, Buffer>, hostNetwork: boolean): Promise<Docker.Container> {
  const spec = containerSpec({
    image,
    network: 'none',
    limits: { memoryBytes: 4 * 1024 ** 3, cpus: 2, pids: 1024 },
    labels: labelsFor('probe', { owner: currentOwner(), ttlMs: 30 * 60_000 }),
  });
  if (hostNetwork) spec.HostConfig = { ...spec.HostConfig, NetworkMode: 'host' };
  const container = await docker.createContainer(spec);
  const tar = pack();
  for (const [name, content] of files) tar.entry({ name, uid: 1000, gid: 1000 }, content);
  tar.finalize();
  await container.putArchive(tar as unknown as NodeJS.ReadableStream, { path: "/testbed" });
  await container.start();
  return container;
}
