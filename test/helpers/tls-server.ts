/**
 * An HTTPS server on 127.0.0.1 with a certificate from a CA made for the test
 * (openssl on the host), standing in for a TLS-inspecting proxy in front of
 * a registry: containers do not trust it until its CA is added
 * (SWE_BOT_EXTRA_CA_CERTS). It answers `/-/ping` with `{}` and 404 otherwise.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TlsServer {
  url: string;
  /** The CA's certificate, PEM. */
  caPem: string;
  /** Paths requested so far. */
  requests: string[];
  close(): Promise<void>;
}

/** A CA and a server certificate for 127.0.0.1 signed by it. */
export function makeCertificates(): { caPem: string; keyPem: string; certPem: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=swe-bot test proxy CA');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
    const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
    return { caPem: read('ca.pem'), keyPem: read('server.key'), certPem: read('server.pem') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function startTlsServer(): Promise<TlsServer> {
  const { caPem, keyPem, certPem } = makeCertificates();
  const requests: string[] = [];
  const server = https.createServer({ key: keyPem, cert: certPem }, (req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/-/ping') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
