/**
 * `.github/swe-bot.yml`, the per-repository configuration (design.md §6).
 * Every field has a default, so an absent file means "all defaults"; an
 * invalid file is an error that quotes the exact problem, and nothing runs.
 */
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { EgressHostSchema } from './egress-hosts.ts';

const PERMISSIONS = ['read', 'triage', 'write', 'maintain', 'admin'] as const;

const FixSchema = z
  .object({
    /** Label that requests a fix. Default `autofix`. */
    label: z.string().min(1).default('autofix'),
    /** Least permission the sender needs. Default `write`. */
    min_permission: z.enum(PERMISSIONS).default('write'),
    /** Candidates for best-of-N. Default 1. */
    candidates: z.number().int().min(1).max(16).default(1),
    /** Agent iterations per candidate. Default 100. */
    max_iterations: z.number().int().min(1).max(1000).default(100),
    /** Open a draft pull request when no candidate is verified. Default false. */
    draft: z.boolean().default(false),
  })
  .strict()
  .prefault({});

const ReviewSchema = z
  .object({
    enabled: z.boolean().default(true),
    skip_drafts: z.boolean().default(true),
    max_comments: z.number().int().min(0).max(100).default(15),
  })
  .strict()
  .prefault({});

const EnvironmentSchema = z
  .object({
    /** `auto` detects node or python from the repository. */
    language: z.enum(['auto', 'node', 'python']).default('auto'),
    /** `auto`: swe-bot's base image for the language; otherwise an image name. */
    base_image: z.string().min(1).default('auto'),
    /** Node repositories: `auto` reads .nvmrc / engines, else the current LTS. */
    node_version: z.union([z.string().min(1), z.number().int().positive()]).transform(String).default('auto'),
    /** Commands run once per environment image, through the egress proxy. Empty: detected. */
    setup: z.array(z.string().min(1)).default([]),
    /** The test command; `auto` detects npm / pnpm / yarn / pytest. */
    test: z.string().min(1).default('auto'),
    log_parser: z.string().min(1).default('auto'),
    timeout_minutes: z.number().positive().max(24 * 60).default(30),
    /** Hosts the setup commands may reach besides the package registries (names, not addresses). Default none. */
    egress_allow: z.array(EgressHostSchema).max(50).default([]),
  })
  .strict()
  .prefault({});

export const RepoConfigSchema = z
  .object({
    /** Inherit from another file, e.g. `.github` (the org's `.github` repository). */
    _extends: z.string().optional(),
    fix: FixSchema,
    review: ReviewSchema,
    environment: EnvironmentSchema,
  })
  .strict();

export type RepoConfig = z.infer<typeof RepoConfigSchema>;
export type EnvironmentConfig = RepoConfig['environment'];

/** The configuration of a repository without a config file. */
export function defaultRepoConfig(): RepoConfig {
  return RepoConfigSchema.parse({});
}

/**
 * Parses the YAML text of a config file. Throws a ConfigError whose message
 * names the file, the line and the field, e.g.
 * `.github/swe-bot.yml: fix.candidates: Too big: expected number to be <=16`.
 */
export function parseRepoConfig(text: string, file = '.github/swe-bot.yml'): RepoConfig {
  return validateRepoConfig(readConfigYaml(text, file), file);
}

/**
 * Aliases a config file may expand, the yaml library's default made explicit:
 * past it `toJS` throws instead of expanding a "billion laughs" file
 * (https://eemeli.org/yaml/#tojs-options, `maxAliasCount`).
 */
export const MAX_YAML_ALIAS_COUNT = 100;

/**
 * How much of a file an error may show. `quote` (the default): the file is
 * the repository's own, whose issues the error is posted on, so the YAML
 * error's excerpt and the names of unknown keys are shown. `false`: another
 * repository's file (`_extends`, the organisation's `.github`), possibly
 * private: the error names the file, the problem and where, never its lines,
 * keys or values.
 */
export interface ConfigErrorDetail {
  quote?: boolean;
  /** With `quote: false`: unknown keys at this path that may still be named (they come from the own file of a merge). */
  quotableKey?: (path: readonly PropertyKey[], key: string) => boolean;
}

/** The YAML of a config file as a plain mapping (not yet validated); a ConfigError names the file and the problem. */
export function readConfigYaml(text: string, file: string, detail: ConfigErrorDetail = {}): Record<string, unknown> {
  const doc = parseDocument(text, { prettyErrors: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    if (detail.quote !== false) throw new ConfigError(`${file}: ${yamlError.message}`);
    const at = yamlError.linePos?.[0];
    throw new ConfigError(`${file}: not valid YAML (${yamlError.code}${at ? ` at line ${at.line}, column ${at.col}` : ''})`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT }) ?? {};
  } catch (error) {
    // The library's ReferenceError for an alias bomb (or an alias to nothing): the same report as any invalid file, not a crash.
    if (!(error instanceof Error)) throw error;
    // The library's messages may name an anchor of the file: quoted only when the file may be.
    const why = detail.quote === false ? 'an alias it cannot expand' : error.message;
    throw new ConfigError(`${file}: the YAML could not be read: ${why} (at most ${MAX_YAML_ALIAS_COUNT} alias expansions are allowed)`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(`${file}: the top level must be a mapping (fix:, review:, environment:)`);
  }
  return data as Record<string, unknown>;
}

/**
 * Checks a mapping against the schema and fills in defaults; `file` names the source in the error (`a.yml + b.yml` when merged).
 * The paths in errors are the schema's own field names (its objects are strict); zod's messages name expected types and
 * limits, not the values found, except `unrecognized_keys`, which quotes the keys: {@link ConfigErrorDetail} decides.
 */
export function validateRepoConfig(data: Record<string, unknown>, file: string, detail: ConfigErrorDetail = {}): RepoConfig {
  const parsed = RepoConfigSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      if (issue.code === 'unrecognized_keys' && detail.quote === false) {
        const named = issue.keys.filter((key) => detail.quotableKey?.(issue.path, key) === true);
        const hidden = issue.keys.length - named.length;
        const parts = [
          ...(named.length > 0 ? [`unknown field(s) ${named.map((key) => JSON.stringify(key)).join(', ')}`] : []),
          ...(hidden > 0 ? [`${hidden} unknown field(s) in a file of another repository (not quoted here)`] : []),
        ];
        return `${where}: ${parts.join('; ')}`;
      }
      return `${where}: ${issue.message}`;
    });
    throw new ConfigError(`${file}: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/**
 * Org defaults under a repository's own settings: mappings merge key by key
 * (the repository wins), anything else (lists included) is replaced whole,
 * so `setup: []` in a repository really means "no setup commands".
 */
export function mergeConfig(defaults: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(own)) {
    const base = out[key];
    out[key] = isMapping(base) && isMapping(value) ? mergeConfig(base, value) : value;
  }
  return out;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
