/**
 * A git smart-HTTP server on 127.0.0.1 for tests: `git http-backend` run as
 * CGI (https://git-scm.com/docs/git-http-backend) behind a tiny node HTTP
 * server that, like GitHub, refuses requests without the expected
 * `Authorization` header (401). Every request is recorded with its headers,
 * so a test can see how the client authenticated.
 *
 * `protocolV2: false` drops the client's `Git-Protocol` header, so the
 * backend speaks protocol v0, where fetching an unadvertised commit by id is
 * refused unless the served repository allows it
 * (`uploadpack.allowReachableSHA1InWant`): a server that "refuses".
 */
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface RecordedGitRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  status: number;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  requests: RecordedGitRequest[];
  close(): Promise<void>;
}

export async function startGitHttpServer(options: { projectRoot: string; token: string; protocolV2?: boolean }): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`x-access-token:${options.token}`).toString('base64')}`;
  const backend = path.join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-http-backend');
  const requests: RecordedGitRequest[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const record: RecordedGitRequest = { method: req.method ?? 'GET', url: req.url ?? '/', authorization: req.headers.authorization, status: 0 };
    requests.push(record);
    if (req.headers.authorization !== expected) {
      record.status = 401;
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"', 'content-type': 'text/plain' }).end('Unauthorized');
      req.resume();
      return;
    }
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: options.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: options.projectRoot,
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: 'x-access-token',
      REMOTE_ADDR: '127.0.0.1',
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(options.protocolV2 !== false && typeof req.headers['git-protocol'] === 'string' ? { GIT_PROTOCOL: req.headers['git-protocol'] } : {}),
    };
    const child = spawn(backend, [], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    req.pipe(child.stdin);
    // CGI: headers, a blank line, the body. A `Status:` header sets the status.
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const text = head.toString('latin1');
      const end = text.search(/\r?\n\r?\n/);
      if (end === -1) return;
      const separator = /\r?\n\r?\n/.exec(text.slice(end))?.[0].length ?? 2;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of text.slice(0, end).split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon === -1) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'status') status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      record.status = status;
      res.writeHead(status, headers);
      headersDone = true;
      res.write(head.subarray(end + separator));
    });
    child.stdout.on('end', () => res.end());
    child.on('error', () => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
