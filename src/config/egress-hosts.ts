/**
 * How people write the hosts an environment build may reach (SWE_BOT_EGRESS_ALLOW,
 * `environment.egress_allow`): names, never addresses, since an address
 * names no one and slips past the checks a name gets (src/sandbox/egress-policy.ts).
 */
import { isIP } from 'node:net';
import { z } from 'zod';

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** `host.example`, `*.example` (any subdomain), optionally with `:port`. */
export const EGRESS_HOST_PATTERN = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*(?::(\\d{1,5}))?$`);

/** An allowlist entry: `npm.example.com`, `*.example.com` or `npm.example.com:8443`. */
export const EgressHostSchema = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => isIP(withoutPort(value)) === 0 && !value.startsWith('['), {
    message: 'an address is not allowed: name the host (e.g. npm.example.com)',
  })
  .refine((value) => EGRESS_HOST_PATTERN.test(value), {
    message: 'expected a host name such as npm.example.com or *.example.com, optionally with :port',
  });

function withoutPort(value: string): string {
  const colon = value.lastIndexOf(':');
  return colon > 0 && value.indexOf(':') === colon ? value.slice(0, colon) : value;
}
