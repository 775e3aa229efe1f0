/**
 * Recipes the setup agent found and a baseline confirmed (src/jobs/setup-agent.ts),
 * kept per repository state so the next job of the repository starts from
 * them instead of asking the model again. The key is what detection read:
 * the language, the dependency manifests and the detected commands; a
 * changed manifest or script gives a new key, and the agent runs again.
 * One JSON file per key under the data folder: shared by the jobs of one
 * machine (workers on other machines find their own).
 */
import { z } from 'zod';
import { createJsonStore } from '../util/json-store.ts';
import type { EnvironmentSpec } from './detect.ts';

const RecipeSchema = z.object({ setup: z.array(z.string()), test: z.string().min(1), logParser: z.string().min(1) });
export type Recipe = z.infer<typeof RecipeSchema>;

export interface RecipeCache {
  /** The confirmed recipe for the state `detected` describes, if one was found before. */
  get(detected: EnvironmentSpec): Promise<Recipe | undefined>;
  put(detected: EnvironmentSpec, recipe: Recipe): Promise<void>;
}

export function createRecipeCache(dir: string): RecipeCache {
  const store = createJsonStore(dir);
  const key = (detected: EnvironmentSpec) => ({ language: detected.language, manifests: detected.manifests, setup: detected.setup, test: detected.test });
  return {
    get: (detected) => store.get(key(detected), RecipeSchema),
    put: (detected, recipe) => store.put(key(detected), recipe),
  };
}
