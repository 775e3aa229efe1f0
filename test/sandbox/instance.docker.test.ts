/**
 * Instances on the real engine: the repository at the right commit, exec
 * with streaming, timeouts that kill whole process trees, the pids, memory
 * and network limits, files, diffs and snapshots.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/sandbox/labels.ts';
import type { Environment, Instance } from '../../src/sandbox/sandbox.ts';
import { fixtureRepo, gitIn, type FixtureRepo } from '../helpers/git-fixture.ts';
import { containerExists, testSandbox } from '../helpers/sandbox.ts';

const sandbox = testSandbox();
let repo: FixtureRepo;
let env: Environment;
let instance: Instance;

beforeAll(async () => {
  repo = fixtureRepo('node-repo');
  const source = repo.source();
  env = await sandbox.ensureEnvironment(source, await sandbox.detect(source));
  instance = await sandbox.createInstance(env, source, { job: 'instance-test' });
});

afterAll(async () => {
  await instance?.remove();
  repo?.remove();
});

async function processes(target: Instance): Promise<string[]> {
  const result = await target.exec('ps -eo args=', { user: 'root' });
  return result.stdout.split('\n').filter(Boolean);
}

describe('an instance', () => {
  it('holds the repository at the commit in /testbed with a clean git status', async () => {
    const commit = repo.source().commit;
    const result = await instance.exec(
      'git rev-parse HEAD refs/swe-bot/baseline && git status --porcelain && stat -c %U index.js && cat index.js',
    );
    expect(result.exitCode).toBe(0);
    const [head, baseline, status] = result.stdout.split('\n');
    expect(head).toBe(commit);
    expect(baseline).toBe(commit);
    expect(status).toBe('swe');
    expect(result.stdout).toContain(fs.readFileSync(path.join(repo.dir, 'index.js'), 'utf8'));
    expect(instance.baseline).toBe(commit);
  });

  it('checks out an older commit exactly, even when newer ones exist', async () => {
    const older = repo.source();
    const newer = repo.commit({ 'index.js': 'module.exports = "newer";\n', 'added.txt': 'new file\n' });
    expect(newer).not.toBe(older.commit);
    await sandbox.withInstance(env, older, async (old) => {
      const result = await old.exec('git rev-parse HEAD; test -e added.txt && echo present || echo absent; git status --porcelain');
      expect(result.stdout.trim().split('\n')).toEqual([older.commit, 'absent']);
    });
    await sandbox.withInstance(env, repo.source(), async (latest) => {
      expect((await latest.readFile('/testbed/index.js')).toString()).toBe('module.exports = "newer";\n');
    });
  });

  it('is isolated: no network, limits, no-new-privileges, non-root, no mounts, labelled', async () => {
    const info = await instance.container.inspect();
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(info.HostConfig.Memory).toBeGreaterThan(0);
    expect(info.HostConfig.MemorySwap).toBe(info.HostConfig.Memory);
    expect(info.HostConfig.PidsLimit).toBeGreaterThan(0);
    expect(info.HostConfig.NanoCpus).toBeGreaterThan(0);
    expect(info.Mounts).toEqual([]);
    expect(info.Config.User).toBe('swe');
    expect(info.Config.Labels).toMatchObject({ [LABEL.managed]: 'true', [LABEL.role]: 'instance', [LABEL.job]: 'instance-test' });
    expect(info.Config.Env.join('\n')).not.toMatch(/TOKEN|SECRET|PASSWORD|DOCKER_HOST/i);

    const net = await instance.exec('ls /sys/class/net; test -S /var/run/docker.sock && echo socket || echo no-socket');
    expect(net.stdout.trim().split('\n')).toEqual(['lo', 'no-socket']);
    // Loopback works, and `localhost` resolves (test runners such as vitest need it).
    const hosts = await instance.exec('getent hosts localhost');
    expect(hosts.exitCode).toBe(0);
    const id = await instance.exec('id -u');
    expect(id.stdout.trim()).toBe('1000');
  });

  it('cannot reach the network', async () => {
    const script = `fetch('https://registry.npmjs.org/').then(() => { console.log('reached'); process.exit(0); },
      (e) => { console.log('refused', e.cause?.code ?? e.message); process.exit(7); })`;
    await instance.writeFile('/tmp/reach.js', script);
    const result = await instance.exec('node /tmp/reach.js', { timeoutMs: 60_000 });
    expect(result.stdout).toMatch(/^refused (EAI_AGAIN|ENOTFOUND|ENETUNREACH|ECONNREFUSED)/);
    expect(result.exitCode).toBe(7);
  });

  it('streams output as it comes and keeps stdout and stderr apart', async () => {
    const chunks: string[] = [];
    const stamps: number[] = [];
    const result = await instance.exec('echo one; sleep 0.5; echo two; echo oops >&2; exit 4', {
      onStdout: (chunk) => {
        chunks.push(chunk.toString());
        stamps.push(Date.now());
      },
    });
    expect(result).toMatchObject({ exitCode: 4, stdout: 'one\ntwo\n', stderr: 'oops\n', timedOut: false });
    expect(chunks.join('')).toBe('one\ntwo\n');
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    // The first line arrived before the command slept.
    expect((stamps.at(-1) ?? 0) - (stamps[0] ?? 0)).toBeGreaterThanOrEqual(400);
  });

  it('passes environment variables and the working directory, and runs overlapping commands side by side', async () => {
    const env = await instance.exec('echo "$GREETING from $(pwd)"', { env: { GREETING: 'hello world' }, cwd: '/tmp' });
    expect(env.stdout).toBe('hello world from /tmp\n');
    const [slow, fast] = await Promise.all([instance.exec('sleep 1; echo slow'), instance.exec('echo fast')]);
    expect(slow.stdout).toBe('slow\n');
    expect(fast.stdout).toBe('fast\n');
    expect(fast.durationMs).toBeLessThan(slow.durationMs);
    // State does not leak from one command to the next.
    await instance.exec('cd /; export LEAK=1');
    expect((await instance.exec('pwd; echo "${LEAK:-none}"')).stdout).toBe('/testbed\nnone\n');
  });

  it('ends a command when its main process ends, leaving background work running and out of later output', async () => {
    const started = Date.now();
    const first = await instance.exec('(sleep 2; echo late-output) & echo started');
    expect(first.stdout).toBe('started\n');
    expect(Date.now() - started).toBeLessThan(1_500);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const next = await instance.exec('echo next');
    expect(next.stdout).toBe('next\n');
  });

  it('keeps working after a command restarts the shell session', async () => {
    await sandbox.withInstance(env, repo.source(), async (box) => {
      // Killing the session's own bash ends the session; the next command starts a new one.
      const killed = await box.exec('kill -9 $PPID');
      expect(killed.exitCode).toBe(137);
      expect((await box.exec('echo again')).stdout).toBe('again\n');
    });
  });

  it('feeds standard input', async () => {
    const result = await instance.exec('tr a-z A-Z', { stdin: 'shout\n' });
    expect(result.stdout).toBe('SHOUT\n');
  });

  it('kills `sleep 1000` and all its children when the timeout passes', async () => {
    const started = Date.now();
    const result = await instance.exec('setsid sleep 1001 & nohup sleep 1002 >/dev/null 2>&1 & (sleep 1003 &); sleep 1000', {
      timeoutMs: 1_500,
    });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBe(137);
    expect(Date.now() - started).toBeLessThan(15_000);
    const left = (await processes(instance)).filter((line) => /sleep 100\d/.test(line));
    expect(left).toEqual([]);
  });

  it('kills the tree when the caller cancels', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await instance.exec('sleep 999', { signal: controller.signal });
    expect(result).toMatchObject({ cancelled: true, timedOut: false, exitCode: 137 });
    expect((await processes(instance)).some((line) => line.includes('sleep 999'))).toBe(false);
  });

  it('cuts a flood of output in the middle and keeps head and tail', async () => {
    const result = await instance.exec('echo FIRST; head -c 5000000 /dev/zero | tr "\\0" x; echo; echo LAST', {
      maxOutputBytes: 4096,
    });
    expect(result.exitCode).toBe(0);
    expect(result.truncated).toBe(true);
    expect(result.stdout.startsWith('FIRST\n')).toBe(true);
    expect(result.stdout.endsWith('LAST\n')).toBe(true);
    expect(result.stdout).toMatch(/\[\.\.\. \d+ bytes cut by swe-bot \.\.\.\]/);
    expect(result.stdout.length).toBeLessThan(4096 + 100);
  });

  it('reads and writes files byte for byte, creating folders', async () => {
    const binary = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0]);
    await instance.writeFile('/testbed/deep/new/dir/blob.bin', binary);
    expect(Buffer.compare(await instance.readFile('/testbed/deep/new/dir/blob.bin'), binary)).toBe(0);
    const owner = await instance.exec('stat -c %U deep/new/dir/blob.bin');
    expect(owner.stdout.trim()).toBe('swe');
    await expect(instance.readFile('/testbed/nope.txt')).rejects.toThrow(/No such file in the sandbox/);
    await instance.exec('rm -rf deep');
  });

  it('diffs against the baseline: tracked and new files, no binaries, no nested repositories, index untouched', async () => {
    await sandbox.withInstance(env, repo.source(), async (box) => {
      await box.writeFile('/testbed/index.js', 'module.exports = { changed: true };\n');
      await box.writeFile('/testbed/notes/new.md', '# new\n');
      await box.writeFile('/testbed/image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3]));
      await box.exec('mkdir nested && cd nested && git init -q && echo x > f && git add f && git commit -qm x');
      const diff = await box.diff();
      expect(diff).toContain('+++ b/index.js');
      expect(diff).toContain('+++ b/notes/new.md');
      expect(diff).not.toContain('image.png');
      expect(diff).not.toContain('nested');
      expect((await box.exec('git diff --cached --name-only')).stdout).toBe('');

      // The diff applies to the original repository.
      const work = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-apply-'));
      try {
        gitIn(work, 'clone', '-q', repo.dir, '.');
        fs.writeFileSync(path.join(work, 'change.diff'), diff);
        execFileSync('git', ['apply', '--check', 'change.diff'], { cwd: work });
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    });
  });

  it('stops a fork bomb with the pids limit and stays usable', async () => {
    const small = testSandbox({ SWE_BOT_SANDBOX_PIDS: '64' });
    await small.withInstance(env, repo.source(), async (box) => {
      const result = await box.exec('bomb() { bomb | bomb & }; bomb; sleep 30', { timeoutMs: 4_000 });
      expect(result.timedOut).toBe(true);
      const limit = await box.exec('cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null; cat /sys/fs/cgroup/pids/pids.events /sys/fs/cgroup/pids.events 2>/dev/null');
      expect(limit.stdout).toMatch(/^64$/m);
      // The kernel refused forks at the limit.
      expect(Number(/max (\d+)/.exec(limit.stdout)?.[1] ?? 0)).toBeGreaterThan(0);
      const after = await box.exec('echo still-alive');
      expect(after.stdout).toBe('still-alive\n');
      expect((await processes(box)).filter((line) => line.includes('bash')).length).toBeLessThan(5);
    });
  });

  it('reports a memory hog killed by the memory limit', async () => {
    const small = testSandbox({ SWE_BOT_SANDBOX_MEMORY: '256m' });
    await small.withInstance(env, repo.source(), async (box) => {
      const hog = 'const keep = []; for (;;) keep.push(Buffer.alloc(16 << 20, 1));';
      const result = await box.exec(`node -e '${hog}'`, { timeoutMs: 120_000 });
      expect(result.timedOut).toBe(false);
      expect(result.exitCode).toBe(137);
      expect(result.oomKilled).toBe(true);
      const fine = await box.exec('echo ok');
      expect(fine).toMatchObject({ exitCode: 0, oomKilled: false });
    });
  });

  it('snapshots its state so several containers start from it', async () => {
    await sandbox.withInstance(env, repo.source(), async (box) => {
      await box.writeFile('/testbed/index.js', '// edited before the snapshot\n');
      const snapshot = await box.snapshot();
      try {
        const [a, b] = await Promise.all([snapshot.start(), snapshot.start()]);
        try {
          await a.writeFile('/testbed/only-a.txt', 'a\n');
          expect((await b.exec('test -e only-a.txt && echo yes || echo no')).stdout).toBe('no\n');
          for (const candidate of [a, b]) {
            expect((await candidate.readFile('/testbed/index.js')).toString()).toBe('// edited before the snapshot\n');
            expect(candidate.baseline).toBe(box.baseline);
            expect(await candidate.diff()).toContain('+// edited before the snapshot');
          }
        } finally {
          await Promise.all([a.remove(), b.remove()]);
        }
      } finally {
        await snapshot.remove();
      }
    });
  });

  it('removes its container when the caller throws', async () => {
    let id = '';
    const failure = sandbox.withInstance(env, repo.source(), (box) => {
      id = box.containerId;
      throw new Error('caller failed');
    });
    await expect(failure).rejects.toThrow('caller failed');
    expect(id).not.toBe('');
    expect(await containerExists(sandbox.docker, id)).toBe(false);
  });
});
