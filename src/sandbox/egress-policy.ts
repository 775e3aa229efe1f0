/**
 * Which hosts an environment build may reach (issue #12): names on an
 * allowlist, never addresses, and never the machine itself, link-local
 * ranges or cloud metadata endpoints, whatever a name resolves to.
 *
 * Three sources add names:
 * - `default`: the package registries a build needs (npm and yarn's alias of
 *   it, PyPI and its file host, GitHub's codeload for git dependencies, the
 *   configured Debian mirror and npm registry);
 * - `operator`: SWE_BOT_EGRESS_ALLOW, set by whoever runs swe-bot;
 * - `repository`: `environment.egress_allow` in `.github/swe-bot.yml`.
 *
 * Default and operator names may resolve to private ranges (a company's
 * registry mirror, a transparent proxy); a name the repository added must
 * resolve to public addresses only, or a repository could point a name it
 * controls at the company's internal network.
 */
import { BlockList, isIP } from 'node:net';

export type AllowSource = 'default' | 'operator' | 'repository';

export interface AllowRule {
  /** `host.example`, `*.example` (any subdomain), optionally with `:port`. */
  pattern: string;
  source: AllowSource;
  /** The configured npm registry or Debian mirror: one exact service the operator named. */
  registry?: true;
}

/**
 * May this match reach this machine? Only when the operator named one exact
 * service: the configured npm registry or Debian mirror, or an
 * SWE_BOT_EGRESS_ALLOW entry with a port (`localhost:4873`, a registry
 * mirror beside swe-bot). Everything else on loopback stays out.
 */
export type EgressMatch = { allowed: true; source: AllowSource; exactService: boolean } | { allowed: false; reason: string };

/** Ports a rule without one allows: HTTP and HTTPS. */
export const DEFAULT_EGRESS_PORTS = [80, 443] as const;

/** Hosts every build may reach (issue #12 "allowing the package registries by default"). */
export const DEFAULT_EGRESS_HOSTS = [
  'registry.npmjs.org',
  // yarn 1 lock files name this alias of the npm registry; yarn 2+ fetches from repo.yarnpkg.com.
  'registry.yarnpkg.com',
  'repo.yarnpkg.com',
  'pypi.org',
  'files.pythonhosted.org',
  // npm fetches `github:` and git+https dependencies as tarballs from here.
  'codeload.github.com',
] as const;

/** The default rules plus the hosts of the configured registry and mirror. */
export function defaultEgressRules(urls: { npmRegistry: string; debianMirror: string }): AllowRule[] {
  const rules: AllowRule[] = DEFAULT_EGRESS_HOSTS.map((pattern) => ({ pattern, source: 'default' }));
  for (const url of [urls.npmRegistry, urls.debianMirror]) {
    const parsed = new URL(url);
    // An address as registry (a local mirror in a lab) is the operator's explicit choice: it is kept as written.
    const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    rules.push({ pattern: parsed.port === '' ? host : `${host}:${parsed.port}`, source: 'default', registry: true });
  }
  return rules;
}

/** Matches `host:port` against the rules (before any name is resolved). */
export function matchEgressRule(rules: readonly AllowRule[], host: string, port: number): EgressMatch {
  const name = host.toLowerCase().replace(/\.$/, '');
  let best: { source: AllowSource; exactService: boolean } | undefined;
  for (const rule of rules) {
    const [pattern, rulePort] = splitRule(rule.pattern);
    const portOk = rulePort === undefined ? (DEFAULT_EGRESS_PORTS as readonly number[]).includes(port) : rulePort === port;
    if (!portOk) continue;
    const hit = pattern.startsWith('*.') ? name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1 : name === pattern;
    if (!hit || (best !== undefined && rank(rule.source) <= rank(best.source))) continue;
    const exactService = rule.source !== 'repository' && !pattern.startsWith('*.') && (rulePort !== undefined || rule.registry === true);
    best = { source: rule.source, exactService };
  }
  if (best !== undefined) {
    // A literal address passes only when the operator configured that very address as the registry or mirror.
    if (isIP(name) !== 0 && !(best.source === 'default' && best.exactService)) return { allowed: false, reason: 'an address, not a host name' };
    return { allowed: true, ...best };
  }
  if (isIP(name) !== 0) return { allowed: false, reason: 'an address, not a host name' };
  return { allowed: false, reason: 'not on the allowlist' };
}

/** Operator rules trust more than defaults (private addresses), repository rules least. */
function rank(source: AllowSource): number {
  return source === 'repository' ? 0 : source === 'default' ? 1 : 2;
}

function splitRule(pattern: string): [string, number | undefined] {
  const colon = pattern.lastIndexOf(':');
  if (colon > 0 && pattern.indexOf(':') === colon) return [pattern.slice(0, colon), Number(pattern.slice(colon + 1))];
  return [pattern, undefined];
}

/**
 * Never reachable, whatever the name: this machine, unspecified, link-local
 * (cloud metadata lives at 169.254.169.254 and fd00:ec2::254), multicast and
 * reserved ranges.
 */
const NEVER = new BlockList();
NEVER.addSubnet('0.0.0.0', 8, 'ipv4');
NEVER.addSubnet('127.0.0.0', 8, 'ipv4');
NEVER.addSubnet('169.254.0.0', 16, 'ipv4');
NEVER.addSubnet('224.0.0.0', 4, 'ipv4');
NEVER.addSubnet('240.0.0.0', 4, 'ipv4');
NEVER.addAddress('::', 'ipv6');
NEVER.addAddress('::1', 'ipv6');
NEVER.addSubnet('fe80::', 10, 'ipv6');
NEVER.addSubnet('ff00::', 8, 'ipv6');
NEVER.addAddress('fd00:ec2::254', 'ipv6');

/** This machine: reachable only for one exact service the operator named (see EgressMatch). */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Internal networks: reachable only through names the operator (or the defaults) vouched for. */
const INTERNAL = new BlockList();
INTERNAL.addSubnet('10.0.0.0', 8, 'ipv4');
INTERNAL.addSubnet('172.16.0.0', 12, 'ipv4');
INTERNAL.addSubnet('192.168.0.0', 16, 'ipv4');
INTERNAL.addSubnet('100.64.0.0', 10, 'ipv4');
INTERNAL.addSubnet('198.18.0.0', 15, 'ipv4');
INTERNAL.addSubnet('fc00::', 7, 'ipv6');

/** Why a resolved address may not be used for a match, or undefined when it may. */
export function refuseAddress(address: string, match: { source: AllowSource; exactService?: boolean }): string | undefined {
  const { source } = match;
  const [ip, family] = normalize(address);
  if (match.exactService === true && LOOPBACK.check(ip, family)) return undefined;
  if (NEVER.check(ip, family)) return `resolves to ${address}, which is this machine, link-local or reserved`;
  if (source === 'repository' && INTERNAL.check(ip, family)) {
    return `resolves to ${address}, a private address, and only SWE_BOT_EGRESS_ALLOW may name internal hosts`;
  }
  return undefined;
}

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is checked as the IPv4 address it is. */
function normalize(address: string): [string, 'ipv4' | 'ipv6'] {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return [mapped[1], 'ipv4'];
  return [address, isIP(address) === 6 ? 'ipv6' : 'ipv4'];
}
