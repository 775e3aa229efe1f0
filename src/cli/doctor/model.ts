/** The OpenAI-compatible model endpoint. */
import type { Config } from '../../config/load-config.ts';
import { CHECK_NAMES, networkError, redactUrl, result, type CheckResult } from './result.ts';

export async function checkModel(model: Config['model'], timeoutMs: number): Promise<CheckResult> {
  const name = CHECK_NAMES.model;
  const base = model.baseUrl.replace(/\/+$/, '');
  const shownBase = redactUrl(base);
  const where = redactUrl(`${base}/models`);
  const unreachableHint =
    `start the model server (e.g. vLLM serving ${model.name}) or set OPENAI_BASE_URL to its /v1 address; ` +
    'not needed on a machine that only runs doctor';
  let response: Response;
  try {
    response = await fetch(`${base}/models`, {
      headers: { Authorization: `Bearer ${model.apiKey}`, Accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return result(name, 'warn', false, `cannot reach ${where}: ${networkError(error, base)}`, unreachableHint);
  }
  let body: unknown;
  try {
    body = response.ok ? await response.json() : undefined;
  } catch {
    body = undefined;
  } finally {
    if (!response.bodyUsed) await response.body?.cancel().catch(() => {});
  }
  if (response.status === 401 || response.status === 403) {
    return result(
      name,
      'warn',
      false,
      `${where} rejected the API key (HTTP ${response.status})`,
      'set OPENAI_API_KEY to the key the model server expects',
    );
  }
  if (!response.ok) {
    return result(name, 'warn', false, `${where} answered HTTP ${response.status}`, unreachableHint);
  }
  const data = (body as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) {
    return result(name, 'warn', false, `${where} did not answer an OpenAI-style model list`, unreachableHint);
  }
  const ids = data
    .map((entry) => (entry as { id?: unknown } | null)?.id)
    .filter((id): id is string => typeof id === 'string');
  if (ids.includes(model.name)) return result(name, 'ok', false, `${shownBase} serves ${model.name}`);
  const shown = ids.length === 0 ? 'no models' : ids.slice(0, 10).join(', ') + (ids.length > 10 ? ', …' : '');
  return result(
    name,
    'warn',
    false,
    `${shownBase} serves ${shown}, not ${model.name}`,
    'set SWE_BOT_MODEL to the name the server serves, or start the server with --served-model-name ' + model.name,
  );
}
