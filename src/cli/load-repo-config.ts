/** The repository configuration for a CLI run: `--config FILE`, else `.github/swe-bot.yml` at the commit, else defaults. */
import fs from 'node:fs/promises';
import { defaultRepoConfig, parseRepoConfig, type RepoConfig } from '../config/repo-config.ts';
import { readSourceFile, type SourceRef } from '../sandbox/source.ts';

export async function loadRepoConfig(source: SourceRef, file: string | undefined): Promise<RepoConfig> {
  if (file !== undefined) return parseRepoConfig(await fs.readFile(file, 'utf8'), file);
  const text = await readSourceFile(source, '.github/swe-bot.yml');
  return text === undefined ? defaultRepoConfig() : parseRepoConfig(text.toString('utf8'));
}
