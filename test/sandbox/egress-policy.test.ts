import { describe, expect, it } from 'vitest';
import { EgressHostSchema } from '../../src/config/egress-hosts.ts';
import { defaultEgressRules, matchEgressRule, refuseAddress, type AllowRule } from '../../src/sandbox/egress-policy.ts';

const rules: AllowRule[] = [
  ...defaultEgressRules({ npmRegistry: 'https://npm.mirror.example:8443/', debianMirror: 'http://deb.debian.org/debian' }),
  { pattern: 'pkgs.corp.example', source: 'operator' },
  { pattern: '*.cdn.example', source: 'repository' },
];

describe('egress policy', () => {
  it('allows the registries by name, on HTTP and HTTPS ports only', () => {
    expect(matchEgressRule(rules, 'registry.npmjs.org', 443)).toEqual({ allowed: true, source: 'default', exactService: false });
    expect(matchEgressRule(rules, 'Registry.Yarnpkg.com.', 443)).toMatchObject({ allowed: true, source: 'default' });
    // The configured mirror: one exact service.
    expect(matchEgressRule(rules, 'deb.debian.org', 80)).toEqual({ allowed: true, source: 'default', exactService: true });
    expect(matchEgressRule(rules, 'registry.npmjs.org', 22)).toMatchObject({ allowed: false });
    // The configured registry keeps its own port, and only that one.
    expect(matchEgressRule(rules, 'npm.mirror.example', 8443)).toEqual({ allowed: true, source: 'default', exactService: true });
    expect(matchEgressRule(rules, 'npm.mirror.example', 443)).toMatchObject({ allowed: false });
  });

  it('refuses other hosts and every address, also one that is allowed by name elsewhere', () => {
    expect(matchEgressRule(rules, 'example.com', 443)).toEqual({ allowed: false, reason: 'not on the allowlist' });
    expect(matchEgressRule(rules, '203.0.113.80', 443)).toEqual({ allowed: false, reason: 'an address, not a host name' });
    expect(matchEgressRule(rules, '::1', 443)).toEqual({ allowed: false, reason: 'an address, not a host name' });
  });

  it('matches wildcards on subdomains only and ranks the operator above the repository', () => {
    expect(matchEgressRule(rules, 'a.cdn.example', 443)).toEqual({ allowed: true, source: 'repository', exactService: false });
    expect(matchEgressRule(rules, 'cdn.example', 443)).toMatchObject({ allowed: false });
    expect(matchEgressRule(rules, 'evilcdn.example', 443)).toMatchObject({ allowed: false });
    expect(matchEgressRule([...rules, { pattern: 'a.cdn.example', source: 'operator' }], 'a.cdn.example', 443)).toEqual({ allowed: true, source: 'operator', exactService: false });
  });

  it('never connects to this machine, link-local or metadata addresses, whoever allowed the name', () => {
    for (const address of ['127.0.0.1', '127.8.8.8', '0.0.0.0', '169.254.169.254', '::1', '::', 'fe80::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '224.0.0.1']) {
      expect(refuseAddress(address, { source: 'operator' }), address).toMatch(/this machine, link-local or reserved/);
    }
  });

  it('reaches this machine only for one exact service the operator named: an entry with a port, or the configured registry', () => {
    const local: AllowRule[] = [
      { pattern: 'localhost:4873', source: 'operator' },
      { pattern: 'mirror.local', source: 'operator' },
      { pattern: 'repo.local:4873', source: 'repository' },
      ...defaultEgressRules({ npmRegistry: 'http://127.0.0.1:4874', debianMirror: 'http://deb.debian.org/debian' }),
    ];
    const service = matchEgressRule(local, 'localhost', 4873);
    expect(service).toEqual({ allowed: true, source: 'operator', exactService: true });
    if (!service.allowed) throw new Error('unreachable');
    expect(refuseAddress('127.0.0.1', service)).toBeUndefined();
    expect(refuseAddress('::1', service)).toBeUndefined();
    // Still not link-local or metadata.
    expect(refuseAddress('169.254.169.254', service)).toMatch(/link-local/);
    const wide = matchEgressRule(local, 'mirror.local', 443);
    if (!wide.allowed) throw new Error('unreachable');
    expect(refuseAddress('127.0.0.1', wide)).toMatch(/this machine/);
    const fromRepository = matchEgressRule(local, 'repo.local', 4873);
    if (!fromRepository.allowed) throw new Error('unreachable');
    expect(refuseAddress('127.0.0.1', fromRepository)).toMatch(/this machine/);
    // The configured registry as an address, on its port only.
    expect(matchEgressRule(local, '127.0.0.1', 4874)).toEqual({ allowed: true, source: 'default', exactService: true });
    expect(matchEgressRule(local, '127.0.0.1', 4873)).toMatchObject({ allowed: false });
  });

  it('lets only operator and default names reach private addresses', () => {
    for (const address of ['10.1.2.3', '172.20.0.5', '192.168.1.1', '100.64.0.1', 'fd12::1', '::ffff:10.0.0.1']) {
      expect(refuseAddress(address, { source: 'repository' }), address).toMatch(/private address/);
      expect(refuseAddress(address, { source: 'operator' }), address).toBeUndefined();
      expect(refuseAddress(address, { source: 'default' }), address).toBeUndefined();
    }
    expect(refuseAddress('203.0.113.80', { source: 'repository' })).toBeUndefined();
  });

  it('reads allowlist entries as names and refuses addresses with a clear message', () => {
    expect(EgressHostSchema.parse(' NPM.Corp.Example ')).toBe('npm.corp.example');
    expect(EgressHostSchema.parse('*.corp.example:8443')).toBe('*.corp.example:8443');
    expect(EgressHostSchema.safeParse('10.0.0.1').error?.issues[0]?.message).toMatch(/an address is not allowed/);
    expect(EgressHostSchema.safeParse('[::1]:443').success).toBe(false);
    expect(EgressHostSchema.safeParse('http://npm.corp.example').success).toBe(false);
    expect(EgressHostSchema.safeParse('a..b').success).toBe(false);
  });
});
