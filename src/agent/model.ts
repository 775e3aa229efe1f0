/**
 * The model the pipelines talk to, as one value: the client for the
 * endpoint, the tool-call format it is spoken in, and its name (for the
 * reports). Built once from the configuration by {@link createModel}; every
 * command and the App's workers use the same function.
 */
import type { Config } from '../config/load-config.ts';
import type { Logger } from '../logger.ts';
import { formatFor, type ToolFormat } from './formats/index.ts';
import { createModelClient, type ModelClient } from './model-client.ts';

export interface Model {
  client: ModelClient;
  /** How tool calls travel: `text` (in the reply) or `native` (`tool_calls`). */
  format: ToolFormat;
  /** The served model's name, as the endpoint knows it (`SWE_BOT_MODEL`). */
  name: string;
}

/** The model of `settings` (the environment's `OPENAI_BASE_URL`, `OPENAI_API_KEY`, `SWE_BOT_MODEL`, `SWE_BOT_TOOL_FORMAT`). */
export function createModel(settings: Config['model'], logger: Logger): Model {
  return {
    client: createModelClient({ baseUrl: settings.baseUrl, apiKey: settings.apiKey, model: settings.name, logger }),
    format: formatFor(settings.toolFormat),
    name: settings.name,
  };
}
