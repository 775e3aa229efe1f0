/**
 * Whether the sandbox can reach the npm registry over HTTPS — checked from a
 * container of the common base layer, because that is where it matters: the
 * node image and every environment build fetch from there, trusting the
 * layer's own CA store, not the host's. Behind a TLS-inspecting proxy (common
 * in companies) the host trusts the proxy's CA and the container does not
 * until SWE_BOT_EXTRA_CA_CERTS adds it; this check says so before a build
 * fails on it.
 */
import { buildEgressRules, openBuildEgress, type BuildEgress } from '../../sandbox/build-egress.ts';
import type Docker from 'dockerode';
import type { Config } from '../../config/load-config.ts';
import { describeError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { commonImageTag, ensureCommonImage, imageExists } from '../../sandbox/base-image.ts';
import { EXTRA_CA_HINT, INSTALL_NODE_EXIT } from '../../sandbox/build-failure.ts';
import { EGRESS_ERROR_HEADER } from '../../sandbox/egress-proxy.ts';
import { containerSpec } from '../../sandbox/container-spec.ts';
import { execInContainer } from '../../sandbox/exec.ts';
import { currentOwner, labelsFor } from '../../sandbox/labels.ts';
import { shellQuote } from '../../util/shell-quote.ts';
import { CHECK_NAMES, redactUrl, result, withTimeout, type CheckResult } from './result.ts';

/** Time for creating, starting and removing the probe's container, on top of the request's own limit. */
export const PROBE_CONTAINER_OVERHEAD_MS = 8_000;

/** Small: the probe is one Python process. */
const PROBE_LIMITS = { memoryBytes: 256 * 1024 * 1024, cpus: 1, pids: 64 };

/**
 * The probe, run by the layer's python3: one GET of the registry's ping
 * endpoint. Any HTTP answer means TLS and the route work (a mirror may not
 * know `/-/ping`); the exit code says what failed otherwise, with the codes
 * `swe-bot-install-node` uses for the same failures.
 */
const PROBE = `
import ssl, sys, urllib.error, urllib.request
url, timeout = sys.argv[1], float(sys.argv[2])
try:
    with urllib.request.urlopen(url, timeout=timeout) as res:
        print(f"HTTP {res.status}")
except urllib.error.HTTPError as err:
    failed = err.headers.get("${EGRESS_ERROR_HEADER}")
    if failed:
        # The egress proxy answered for a registry it could not reach.
        print(f"egress proxy: {failed}")
        sys.exit(${INSTALL_NODE_EXIT.network})
    print(f"HTTP {err.code}")
except Exception as err:
    reason = getattr(err, "reason", err)
    print(f"{type(reason).__name__}: {reason}")
    untrusted = isinstance(reason, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(reason)
    sys.exit(${INSTALL_NODE_EXIT.untrustedCertificate} if untrusted else ${INSTALL_NODE_EXIT.network})
`;

export interface RegistryCheckOptions {
  timeoutMs: number;
  /** Build the common layer first when it is missing (`doctor --build`). */
  build: boolean;
  logger: Logger;
}

export async function checkRegistry(
  docker: Docker | undefined,
  settings: Config['sandbox'],
  options: RegistryCheckOptions,
): Promise<CheckResult> {
  const name = CHECK_NAMES.registry;
  const registry = redactUrl(settings.npmRegistry);
  if (docker === undefined) return result(name, 'skip', false, 'skipped: needs a reachable Docker engine (see docker)');
  let image = await commonImageTag(settings);
  if (!(await imageExists(docker, image))) {
    if (!options.build) {
      return result(
        name,
        'skip',
        false,
        `skipped: checked from the common base layer ${image}, which is not built yet`,
        '`npx swe-bot doctor --build` builds it (a minute or two; it needs only the Debian mirror) and then checks',
      );
    }
    try {
      image = await ensureCommonImage({ docker, settings, logger: options.logger, owner: currentOwner() });
    } catch (error) {
      return result(name, 'warn', false, `cannot build the common base layer to check from: ${describeError(error)}`);
    }
  }
  const url = `${settings.npmRegistry.replace(/\/+$/, '')}/-/ping`;
  const probe = await withTimeout(
    runProbe({ docker, settings, logger: options.logger }, image, url, options.timeoutMs),
    options.timeoutMs + PROBE_CONTAINER_OVERHEAD_MS,
    `no answer within ${options.timeoutMs + PROBE_CONTAINER_OVERHEAD_MS} ms`,
  );
  const answer = lastLine(probe.stdout) || lastLine(probe.stderr);
  if (probe.exitCode === 0) {
    const status = Number(/^HTTP (\d+)/.exec(answer)?.[1]);
    if (status >= 500) {
      return result(name, 'warn', false, `${registry} answers ${answer} from the sandbox`, 'the registry or a proxy in front of it is failing; try again later');
    }
    return result(name, 'ok', false, `${registry} answers over ${new URL(url).protocol === 'https:' ? 'HTTPS' : 'HTTP'} from the sandbox (${answer})`);
  }
  if (probe.exitCode === INSTALL_NODE_EXIT.untrustedCertificate) {
    return result(name, 'warn', false, `${registry}: the sandbox does not trust its TLS certificate (${answer})`, EXTRA_CA_HINT);
  }
  return result(
    name,
    'warn',
    false,
    `${registry} cannot be reached from the sandbox (${answer || `exit code ${probe.exitCode}`})`,
    'the sandbox builds reach it through swe-bot\'s egress proxy on this machine: check that this machine reaches SWE_BOT_NPM_REGISTRY (a proxy, a firewall, DNS)',
  );
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}

async function runProbe(
  { docker, settings, logger }: { docker: Docker; settings: Config['sandbox']; logger: Logger },
  image: string,
  url: string,
  timeoutMs: number,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const ttlMs = timeoutMs + PROBE_CONTAINER_OVERHEAD_MS + 60_000;
  const container = await docker.createContainer(
    containerSpec({ image, network: 'none', limits: PROBE_LIMITS, labels: labelsFor('probe', { owner: currentOwner(), ttlMs }) }),
  );
  let egress: BuildEgress | undefined;
  try {
    await container.start();
    // Environment builds reach the registries through the egress proxy; the probe takes the same path.
    egress = await openBuildEgress({ docker, settings, logger, owner: currentOwner() }, { container, rules: buildEgressRules(settings), ttlMs });
    const run = await execInContainer(container, `python3 - ${shellQuote(url)} ${timeoutMs / 1000}`, {
      stdin: PROBE,
      env: egress.env,
      timeoutMs: timeoutMs + 2_000,
      maxOutputBytes: 4096,
    });
    return { exitCode: run.exitCode, stdout: run.stdout, stderr: run.stderr };
  } finally {
    await (await egress?.close())?.removed;
    await container.remove({ force: true }).catch(() => undefined);
  }
}
