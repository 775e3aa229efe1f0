/**
 * Why an image build failed, and whether trying again can help — decided
 * here, where the failure is seen, from what the build printed (errors.ts:
 * errors are classified where they enter).
 *
 * - A certificate the sandbox does not trust is permanent: a TLS-inspecting
 *   proxy's CA is missing from the images until SWE_BOT_EXTRA_CA_CERTS names
 *   it, and no retry changes that.
 * - A network failure (a registry or mirror unreachable, a connection reset,
 *   DNS answering "try again", a 5xx from a proxy) is transient.
 * - Everything else — a Dockerfile error, a setup command that exits
 *   non-zero, a version the registry does not have — fails the same way on
 *   every try: permanent.
 *
 * Only the end of the log is read: a setup command's test suite may print
 * "ECONNREFUSED" long before the line that decides the build.
 */
import type { ErrorKind } from '../errors.ts';
import { stripAnsi } from '../util/ansi.ts';
import { tailLines } from '../util/output-cap.ts';

/** The exit codes `swe-bot-install-node` (docker/base/common/install-node.py) uses to say why it failed. */
export const INSTALL_NODE_EXIT = {
  /** The registry has no such version, or the arguments are wrong. */
  notFound: 3,
  /** The registry's certificate chain is not trusted. */
  untrustedCertificate: 4,
  /** The registry could not be reached, or a download broke (EX_TEMPFAIL). */
  network: 75,
} as const;

/** How many lines at the end of a build log are read to classify it. */
export const CLASSIFIED_TAIL_LINES = 60;

export const EXTRA_CA_HINT =
  'a TLS-inspecting proxy (common in companies) sits between the sandbox and the registry: set SWE_BOT_EXTRA_CA_CERTS to a PEM ' +
  'bundle holding its CA (the host\'s own store usually has it: /etc/ssl/certs/ca-certificates.crt) and run again';

export interface BuildFailure {
  kind: ErrorKind;
  /** Why, in a few words, for the user: `a TLS certificate was not trusted`. */
  reason: string;
  /** What to do about it. */
  hint?: string;
}

/** What OpenSSL, GnuTLS (apt, git), Python, Node (npm, pnpm, yarn) and curl print for an untrusted chain. */
const UNTRUSTED_CERTIFICATE = new RegExp(
  [
    'CERTIFICATE_VERIFY_FAILED',
    'certificate verify failed',
    'UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?',
    'unable to get local issuer certificate',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'self[- ]signed certificate',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'SSL certificate problem',
    'server certificate verification failed',
    'Certificate verification failed',
    'The certificate issuer is unknown',
  ].join('|'),
);

/** What apt, pip, npm, pnpm, yarn, git, curl and Python print when the network, not the request, failed. */
const NETWORK_FAILURE = new RegExp(
  [
    'Temporary failure (?:in name resolution|resolving)',
    'Could not resolve host',
    'Could not connect to',
    'Unable to connect to',
    'Failed to establish a new connection',
    'Failed to fetch https?://',
    'Connection (?:timed out|refused|reset by peer)',
    'Network is unreachable',
    'No route to host',
    '\\bE(?:CONNRESET|CONNREFUSED|TIMEDOUT|AI_AGAIN|NETUNREACH|HOSTUNREACH|SOCKETTIMEDOUT|PIPE)\\b',
    'socket hang up',
    'Read timed out',
    'Max retries exceeded',
    'RemoteDisconnected',
    'Hash Sum mismatch',
    '\\b50[234] (?:Bad Gateway|Service Unavailable|Gateway Time-?out)',
    'ERR_PNPM_META_FETCH_FAIL',
    'ERR_SOCKET_TIMEOUT',
    'UND_ERR_(?:SOCKET|CONNECT_TIMEOUT)',
  ].join('|'),
  'i',
);

/** The exit code in a failed `RUN`'s message (the classic builder and BuildKit word it differently). */
const RUN_EXIT_CODE = /(?:returned a non-zero code|exit code):\s*(\d+)/;

/**
 * Classifies a failed build step from its log and, when known, the message
 * the builder gave. `installNodeExit` is the exit code of a step that ran
 * `swe-bot-install-node`: only its codes have a meaning of their own (any
 * other command may exit 4 or 75 for reasons of its own); a builder message
 * naming that command carries it too.
 */
export function classifyBuildFailure(input: { log: string; message?: string; installNodeExit?: number }): BuildFailure {
  const tail = tailLines(stripAnsi(input.log), CLASSIFIED_TAIL_LINES);
  const text = `${tail}\n${input.message ?? ''}`;
  const exitCode = input.installNodeExit ?? installNodeExitIn(input.message);
  if (exitCode === INSTALL_NODE_EXIT.untrustedCertificate || UNTRUSTED_CERTIFICATE.test(text)) {
    return { kind: 'permanent', reason: 'a TLS certificate was not trusted', hint: EXTRA_CA_HINT };
  }
  if (exitCode === INSTALL_NODE_EXIT.network || NETWORK_FAILURE.test(text)) {
    return {
      kind: 'transient',
      reason: 'the network failed during the build',
      hint: 'check that the registries and the Debian mirror answer from this machine; it is tried again',
    };
  }
  return { kind: 'permanent', reason: 'a build step failed' };
}

function installNodeExitIn(message: string | undefined): number | undefined {
  const match = message?.includes('swe-bot-install-node') ? RUN_EXIT_CODE.exec(message) : undefined;
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
