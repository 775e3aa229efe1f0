/**
 * Recipes the setup agent found and a baseline confirmed (src/jobs/setup-agent.ts),
 * kept per repository state so the next job of the repository starts from
 * them instead of asking the model again. The key is what detection read:
 * the language, the dependency manifests and the detected commands; a
 * changed manifest or script gives a new key, and the agent runs again.
 * One JSON file per key under the data folder: shared by the jobs of one
 * machine (workers on other machines find their own).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { hashJson } from '../util/canonical-json.ts';
import type { EnvironmentSpec } from './detect.ts';

const RecipeSchema = z.object({ setup: z.array(z.string()), test: z.string().min(1), logParser: z.string().min(1) });
export type Recipe = z.infer<typeof RecipeSchema>;

export interface RecipeCache {
  /** The confirmed recipe for the state `detected` describes, if one was found before. */
  get(detected: EnvironmentSpec): Promise<Recipe | undefined>;
  put(detected: EnvironmentSpec, recipe: Recipe): Promise<void>;
}

export function createRecipeCache(dir: string): RecipeCache {
  const file = (detected: EnvironmentSpec): string =>
    path.join(dir, `${hashJson({ language: detected.language, manifests: detected.manifests, setup: detected.setup, test: detected.test })}.json`);
  return {
    async get(detected) {
      const text = await fs.readFile(file(detected), 'utf8').catch(() => undefined);
      if (text === undefined) return undefined;
      // A file that does not parse (a crash mid-write, an older format) is as good as none.
      const parsed = RecipeSchema.safeParse(safeJson(text));
      return parsed.success ? parsed.data : undefined;
    },
    async put(detected, recipe) {
      await fs.mkdir(dir, { recursive: true });
      // Written aside and renamed: a reader never sees half a file.
      const target = file(detected);
      const temporary = `${target}.${process.pid}.tmp`;
      await fs.writeFile(temporary, `${JSON.stringify(recipe)}\n`);
      await fs.rename(temporary, target);
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
