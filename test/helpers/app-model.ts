/**
 * The model side of the end-to-end tests of the App (`*.app.test.ts`): the
 * scripted agent steps of a verified fix, replies picked by the
 * conversation's length, and a gate in front of the scripted model
 * (./scripted-model.ts) that can hold a request until the test releases it
 * or the client gives up on it (a model "thinking" while a job is cancelled
 * or its worker killed).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BUGGY_LINE, REPRO_TEST } from './app-repo.ts';

/** A tool call in the text format (design.md §4). */
export const call = (name: string, params: Record<string, string>): string =>
  `<function=${name}>\n${Object.entries(params).map(([k, v]) => `<parameter=${k}>\n${v}\n</parameter>`).join('\n')}\n`;

/** The agent's steps of a verified fix: a reproduction test, the fix, finish. */
export const FIX_STEPS = [
  call('str_replace_editor', { command: 'create', path: '/testbed/test/strings.test.js', file_text: REPRO_TEST }),
  call('str_replace_editor', { command: 'str_replace', path: '/testbed/index.js', old_str: BUGGY_LINE, new_str: '' }),
  call('finish', { message: 'Strings were concatenated; removed that branch and added a test.' }),
];

/**
 * Scripted replies that pick the step by the conversation's length, not by
 * the order requests come in: a run that was cut short (a killed worker, a
 * retried job) leaves the script where the next run needs it.
 */
export function byStep(steps: string[], count = 40): ((request: { body: { messages: { role: string }[] } }) => string)[] {
  const reply = (request: { body: { messages: { role: string }[] } }): string =>
    steps[request.body.messages.filter((message) => message.role === 'assistant').length] ?? call('finish', { message: 'out of script' });
  return Array.from({ length: count }, () => reply);
}

export interface ModelGate {
  /** The URL to use as OPENAI_BASE_URL. */
  url: string;
  /** Holds the next chat request; resolves once one is held. */
  holdNext(): Promise<void>;
  /** Lets a held request through to the model. */
  release(): void;
  /** Held requests whose client gave up on them (an aborted job, a killed worker). */
  readonly abandoned: number;
  close(): Promise<void>;
}

/**
 * An HTTP front of the scripted model at `target` (its `/v1` URL): passes
 * requests through, except the ones it was told to hold, which wait until
 * `release()` or until the client closes the connection.
 */
export async function startModelGate(target: string): Promise<ModelGate> {
  let holds: { onHeld: () => void }[] = [];
  let held: { release: () => void }[] = [];
  let abandoned = 0;
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const forward = (): void => {
        const body = Buffer.concat(chunks);
        const proxied = http.request(
          { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host, 'content-length': String(body.length) } },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        proxied.on('error', () => res.destroy());
        res.on('close', () => proxied.destroy());
        proxied.end(body);
      };
      const hold = req.method === 'POST' ? holds.shift() : undefined;
      if (hold === undefined) {
        forward();
        return;
      }
      let done = false;
      const entry = {
        release: () => {
          if (done) return;
          done = true;
          forward();
        },
      };
      held.push(entry);
      res.on('close', () => {
        if (!done && !res.writableFinished) {
          done = true;
          abandoned += 1;
        }
      });
      hold.onHeld();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    holdNext: () => new Promise<void>((resolve) => holds.push({ onHeld: resolve })),
    release() {
      for (const entry of held.splice(0)) entry.release();
    },
    get abandoned() {
      return abandoned;
    },
    close: () =>
      new Promise<void>((resolve) => {
        holds = [];
        held = [];
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
