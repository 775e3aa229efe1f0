/**
 * Webhook deliveries as GitHub sends them, for tests of the app's webhook
 * endpoint: payloads from `@octokit/webhooks-examples` (real deliveries
 * collected by Octokit, one or more per event and action), patched by the
 * test, signed with the app's webhook secret and POSTed with GitHub's headers.
 *
 * ```ts
 * const payload = webhookExample('issue_comment', 'created', {
 *   repository: { name: 'widgets', full_name: 'acme/widgets', owner: { login: 'acme' } },
 *   comment: { body: '@swe-bot fix' },
 * });
 * const res = await deliverWebhook({ url: `${appUrl}/api/github/webhooks`, event: 'issue_comment', payload, secret });
 * ```
 *
 * Headers: https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers
 * Signature: https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 * (HMAC-SHA256 of the exact body bytes, hex, prefixed `sha256=`, in `X-Hub-Signature-256`).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { EmitterWebhookEvent, EmitterWebhookEventName } from '@octokit/webhooks';
import type { WebhookDefinition } from '@octokit/webhooks-examples';

/** Event names without an action: `issues`, `pull_request`, `push`, ... */
export type WebhookEventName = Exclude<EmitterWebhookEventName, `${string}.${string}`>;
/** The actions of an event: `ActionOf<'issues'>` is `'opened' | 'closed' | ...`. */
export type ActionOf<E extends WebhookEventName> = EmitterWebhookEventName extends infer N ? (N extends `${E}.${infer A}` ? A : never) : never;
/** The payload type of an event, narrowed to an action when one is given. */
export type WebhookPayload<E extends WebhookEventName, A extends ActionOf<E> | undefined = undefined> =
  A extends string ? Extract<EmitterWebhookEvent<E>['payload'], { action: A }> : EmitterWebhookEvent<E>['payload'];

/** A partial copy of T for deep merging: objects merge, arrays and scalars replace, `undefined` deletes. */
export type DeepPatch<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPatch<T[K]> | undefined } : T;

/** Deliveries to a GitHub App always carry the installation; examples recorded for repository webhooks do not. */
export const DEFAULT_INSTALLATION = { id: 1, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==' } as const;

let definitions: WebhookDefinition[] | undefined;

function loadDefinitions(): WebhookDefinition[] {
  // 4 MB of JSON: read on first use only.
  definitions ??= JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@octokit/webhooks-examples'), 'utf8')) as WebhookDefinition[];
  return definitions;
}

/** Every example payload of an event (and action), as stored in `@octokit/webhooks-examples`. */
export function webhookExamples(event: WebhookEventName, action?: string): unknown[] {
  const definition = loadDefinitions().find((d) => d.name === event);
  if (!definition) throw new Error(`@octokit/webhooks-examples has no "${event}" event`);
  const examples = (definition.examples as { action?: string }[]).filter((e) => action === undefined || e.action === action);
  if (!examples.length) {
    const actions = [...new Set((definition.examples as { action?: string }[]).map((e) => e.action))].join(', ');
    throw new Error(`@octokit/webhooks-examples has no "${event}" example with action "${action}" (it has: ${actions})`);
  }
  return examples;
}

/**
 * A copy of the first example payload of `event` (with `action`), with
 * `installation` added when missing (see DEFAULT_INSTALLATION) and `patch`
 * deep-merged in.
 */
export function webhookExample<E extends WebhookEventName, A extends ActionOf<E> | undefined = undefined>(
  event: E, action?: A, patch?: DeepPatch<WebhookPayload<E, A>>,
): WebhookPayload<E, A>;
export function webhookExample(event: WebhookEventName, action?: string, patch?: unknown): unknown {
  const payload = structuredClone(webhookExamples(event, action)[0]) as Record<string, unknown>;
  payload.installation ??= { ...DEFAULT_INSTALLATION };
  return deepMerge(payload, patch);
}

/** Merges `patch` into `target` (in place, returned): objects recursively, arrays and scalars replaced, `undefined` deletes. */
export function deepMerge<T>(target: T, patch: unknown): T {
  if (patch === undefined) return target;
  if (!isPlainObject(patch) || !isPlainObject(target)) return structuredClone(patch) as T;
  const object: Record<string, unknown> = target;
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete object[key];
    else object[key] = isPlainObject(value) && isPlainObject(object[key]) ? deepMerge(object[key], value) : structuredClone(value);
  }
  return target;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `sha256=<hex HMAC-SHA256 of body>`, the `X-Hub-Signature-256` header GitHub sends. */
export function signWebhook(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WebhookDelivery {
  /** The app's webhook URL, e.g. `http://127.0.0.1:PORT/api/github/webhooks`. */
  url: string;
  event: WebhookEventName;
  payload: unknown;
  /** The webhook secret; `null` sends no signature at all. */
  secret: string | null;
  /** `X-GitHub-Delivery`; a random UUID by default. */
  deliveryId?: string;
  /** Extra or overriding headers (e.g. a wrong signature). */
  headers?: Record<string, string>;
}

export interface WebhookResponse { status: number; body: string; headers: Headers; deliveryId: string }

/** POSTs a delivery the way GitHub does: JSON body, event/delivery/signature headers. */
export async function deliverWebhook(delivery: WebhookDelivery): Promise<WebhookResponse> {
  const body = JSON.stringify(delivery.payload);
  const deliveryId = delivery.deliveryId ?? randomUUID();
  const installation = (delivery.payload as { installation?: { id?: number } } | null)?.installation;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/swe-bot-test',
    'x-github-event': delivery.event,
    'x-github-delivery': deliveryId,
    'x-github-hook-id': '1',
    'x-github-hook-installation-target-type': installation ? 'integration' : 'repository',
    'x-github-hook-installation-target-id': '1',
    ...(delivery.secret === null ? {} : { 'x-hub-signature-256': signWebhook(body, delivery.secret) }),
    ...delivery.headers,
  };
  const response = await fetch(delivery.url, { method: 'POST', headers, body });
  return { status: response.status, body: await response.text(), headers: response.headers, deliveryId };
}
