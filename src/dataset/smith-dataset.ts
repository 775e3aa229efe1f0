/**
 * The output of `swe-bot smith --out DIR` (issue #13), as `infer` and
 * `evaluate` read it:
 *
 * - `DIR/dataset.jsonl`: one SWE-bench instance per bug. `base_commit` is
 *   the buggy commit, `patch` (the gold patch) undoes the bug, `test_patch`
 *   is empty (the repository's own tests catch it), FAIL_TO_PASS are the
 *   tests the bug broke and PASS_TO_PASS those it left passing; `spec` holds
 *   the commands the tests were validated with; `smith` says what was changed.
 * - `DIR/repos/<owner>__<name>`: a bare repository (what `--repos` expects)
 *   holding one commit per bug, each without a parent: no branch, tag, reflog
 *   or commit of the original history is kept (the objects the bugs' trees
 *   share are), so the answer cannot be read back from history (the DeepSWE
 *   audit found agents reading fixes from `.git`). Instances never see this
 *   repository anyway: a container gets the tree of one commit and a fresh
 *   history (src/sandbox/source.ts).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { InstanceSpec } from '../harness/dataset.ts';
import type { EnvironmentSpec } from '../sandbox/detect.ts';
import { git } from '../util/git.ts';
import type { SmithBug, SmithResult } from './smith.ts';

/** Author, committer and date of the buggy commits: the same bug gives the same commit id. */
const COMMIT_ENV = {
  GIT_AUTHOR_NAME: 'swe-bot smith',
  GIT_AUTHOR_EMAIL: 'smith@swe-bot.invalid',
  GIT_AUTHOR_DATE: '2000-01-01T00:00:00Z',
  GIT_COMMITTER_NAME: 'swe-bot smith',
  GIT_COMMITTER_EMAIL: 'smith@swe-bot.invalid',
  GIT_COMMITTER_DATE: '2000-01-01T00:00:00Z',
};

export interface SmithDatasetInput {
  result: SmithResult;
  /** The repository the bugs were made in. */
  repoDir: string;
  /** `owner/name` as the instances name it. */
  repo: string;
  outDir: string;
}

export interface SmithInstanceLine {
  instance_id: string;
  repo: string;
  base_commit: string;
  patch: string;
  test_patch: string;
  problem_statement: string;
  FAIL_TO_PASS: string[];
  PASS_TO_PASS: string[];
  spec: InstanceSpec;
  smith: { kind: string; file: string; line: number; function: string | null; description: string; made_at: string; issue_by: 'model' | 'template' };
}

/** Writes the mirror and `dataset.jsonl` (both replaced); returns the instances written. */
export async function writeSmithDataset(input: SmithDatasetInput): Promise<SmithInstanceLine[]> {
  const { result, repo } = input;
  const mirror = path.join(input.outDir, 'repos', repo.replace('/', '__'));
  await fs.rm(mirror, { recursive: true, force: true });
  await fs.mkdir(mirror, { recursive: true });
  await git(['init', '--quiet', '--bare', mirror], { cwd: input.outDir });
  // The original commit comes in to build the buggy trees from, and goes again below.
  const baseRef = 'refs/smith/base';
  await git(['fetch', '--quiet', '--no-tags', input.repoDir, `+${result.commit}:${baseRef}`], { cwd: mirror });
  const lines: SmithInstanceLine[] = [];
  for (const bug of result.bugs) {
    const buggy = await buggyCommit(mirror, result.commit, bug);
    await git(['update-ref', `refs/heads/smith/${bug.id}`, buggy], { cwd: mirror });
    lines.push(instanceLine(repo, buggy, bug, result));
  }
  await git(['update-ref', '-d', baseRef], { cwd: mirror });
  await git(['reflog', 'expire', '--expire=now', '--all'], { cwd: mirror });
  await git(['gc', '--quiet', '--prune=now'], { cwd: mirror });
  await fs.writeFile(path.join(input.outDir, 'dataset.jsonl'), lines.map((line) => JSON.stringify(line)).join('\n') + (lines.length > 0 ? '\n' : ''));
  return lines;
}

/** A parentless commit of the original tree with the bug's file changed. */
async function buggyCommit(mirror: string, original: string, bug: SmithBug): Promise<string> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-smith-'));
  const index = path.join(scratch, 'index');
  const env = { GIT_INDEX_FILE: index, ...COMMIT_ENV };
  try {
    await git(['read-tree', original], { cwd: mirror, env });
    const file = bug.mutation.file;
    const entry = (await git(['ls-tree', original, '--', file], { cwd: mirror })).trim();
    const mode = /^(\d{6}) /.exec(entry)?.[1] ?? '100644';
    const content = path.join(scratch, 'content');
    await fs.writeFile(content, bug.mutation.after);
    const blob = (await git(['hash-object', '-w', '--', content], { cwd: mirror })).trim();
    await git(['update-index', '--cacheinfo', `${mode},${blob},${file}`], { cwd: mirror, env });
    const tree = (await git(['write-tree'], { cwd: mirror, env })).trim();
    return (await git(['commit-tree', tree, '-m', `smith: ${bug.id}`], { cwd: mirror, env })).trim();
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

function instanceLine(repo: string, buggy: string, bug: SmithBug, result: SmithResult): SmithInstanceLine {
  return {
    instance_id: `${repo.replace('/', '__')}.smith.${bug.id}`,
    repo,
    base_commit: buggy,
    patch: bug.fixPatch,
    test_patch: '',
    problem_statement: bug.problemStatement,
    FAIL_TO_PASS: bug.failToPass,
    PASS_TO_PASS: bug.passToPass,
    spec: instanceSpec(result.spec),
    smith: {
      kind: bug.mutation.kind,
      file: bug.mutation.file,
      line: bug.mutation.line,
      function: bug.mutation.functionName ?? null,
      description: bug.mutation.description,
      made_at: result.commit,
      issue_by: bug.issueBy,
    },
  };
}

/** The commands the bugs were validated with, as a dataset's `spec` says them. */
function instanceSpec(spec: EnvironmentSpec): InstanceSpec {
  return {
    language: spec.language,
    ...(spec.baseImage === 'auto' ? {} : { base_image: spec.baseImage }),
    ...(spec.nodeMajor === undefined ? {} : { node_version: String(spec.nodeMajor) }),
    install: spec.setup,
    test_cmd: spec.test,
    log_parser: spec.logParser,
    timeout_s: Math.round(spec.timeoutMs / 1000),
  };
}
