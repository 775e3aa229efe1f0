/**
 * From a dataset instance (design.md §8) to what the sandbox works on, the
 * same way for `evaluate` and `infer`: its repository (an offline mirror or
 * a clone), its base commit, and its environment (the `spec` block, or
 * detection).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { defaultRepoConfig, type EnvironmentConfig } from '../config/repo-config.ts';
import type { DatasetInstance, InstanceSpec } from '../harness/dataset.ts';
import type { EnvironmentSpec } from '../sandbox/detect.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { resolveCommit, type SourceRef } from '../sandbox/source.ts';
import { git } from '../util/git.ts';

/** `owner/name` → a local git repository holding it. */
export type RepositoryResolver = (repo: string) => Promise<string>;

export interface RepositoryOptions {
  /** Offline mirrors named `owner__name`; without it repositories are cloned. */
  reposDir?: string;
  /** Where repositories are cloned when there is no reposDir. */
  cloneDir: string;
  /** GitHub host to clone from when there is no reposDir. Default github.com. */
  githubUrl?: string;
}

/**
 * `owner/name` → a local git repository: the offline mirror
 * `<reposDir>/owner__name`, or a clone (made once, fetched again by later
 * runs) under cloneDir.
 */
export function repositoryResolver(options: RepositoryOptions): RepositoryResolver {
  const clones = new Map<string, Promise<string>>();
  return async (repo) => {
    const folder = repo.replace('/', '__');
    if (options.reposDir !== undefined) {
      const dir = path.join(options.reposDir, folder);
      await fs.access(dir).catch(() => {
        throw new Error(`no offline mirror ${dir} for ${repo} (--repos holds folders named owner__name)`);
      });
      return dir;
    }
    let pending = clones.get(repo);
    if (!pending) {
      const dir = path.join(options.cloneDir, folder);
      pending = (async () => {
        await fs.mkdir(options.cloneDir, { recursive: true });
        const exists = await fs.access(path.join(dir, 'HEAD')).then(() => true, () => false);
        const url = `${(options.githubUrl ?? 'https://github.com').replace(/\/$/, '')}/${repo}.git`;
        if (exists) await git(['fetch', '--quiet', url, '+refs/heads/*:refs/heads/*'], { cwd: dir });
        else await git(['clone', '--quiet', '--bare', url, dir], { cwd: options.cloneDir });
        return dir;
      })();
      clones.set(repo, pending);
    }
    return pending;
  };
}

/** The instance's repository at its base commit. */
export async function instanceSource(repository: RepositoryResolver, instance: DatasetInstance): Promise<SourceRef> {
  const repoDir = await repository(instance.repo);
  return { repoDir, commit: await resolveCommit(repoDir, instance.base_commit), name: instance.repo };
}

/** The dataset's `spec` block as the overrides of .github/swe-bot.yml. */
export function environmentConfig(spec: InstanceSpec | undefined): EnvironmentConfig {
  const defaults = defaultRepoConfig().environment;
  if (!spec) return defaults;
  return {
    ...defaults,
    language: spec.language,
    base_image: spec.base_image ?? 'auto',
    node_version: spec.node_version ?? 'auto',
    test: spec.test_cmd,
    log_parser: spec.log_parser,
    ...(spec.timeout_s === undefined ? {} : { timeout_minutes: spec.timeout_s / 60 }),
  };
}

/**
 * The environment of an instance: detection with the `spec` block's
 * overrides, and exactly the block's `install` commands (an empty list means
 * no setup, where the config file's empty `setup` means "detect").
 */
export async function instanceEnvironment(sandbox: Sandbox, source: SourceRef, instance: DatasetInstance): Promise<EnvironmentSpec> {
  const spec = await sandbox.detect(source, environmentConfig(instance.spec));
  if (instance.spec) spec.setup = instance.spec.install;
  return spec;
}

/** Instance ids as folder names. */
export function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_');
}
