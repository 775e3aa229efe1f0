/**
 * A folder of small JSON files addressed by a value's hash: what swe-bot
 * remembers between jobs on one machine (the setup agent's recipes, test runs
 * at a commit). A file that is missing, half-written by a crash or of an older
 * format reads as absent; a write goes to a file aside and is renamed over the
 * old one, so a reader never sees half a file.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { hashJson, type JsonValue } from './canonical-json.ts';

export interface JsonStore {
  /** The value stored under `key`, when there is one `schema` accepts. */
  get<T>(key: JsonValue, schema: z.ZodType<T>): Promise<T | undefined>;
  put(key: JsonValue, value: unknown): Promise<void>;
}

export function createJsonStore(dir: string): JsonStore {
  const file = (key: JsonValue): string => path.join(dir, `${hashJson(key)}.json`);
  return {
    async get(key, schema) {
      const text = await fs.readFile(file(key), 'utf8').catch(() => undefined);
      if (text === undefined) return undefined;
      const parsed = schema.safeParse(safeJson(text));
      return parsed.success ? parsed.data : undefined;
    },
    async put(key, value) {
      await fs.mkdir(dir, { recursive: true });
      const target = file(key);
      const temporary = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await fs.writeFile(temporary, `${JSON.stringify(value)}\n`);
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
