/**
 * The exact toolchains of the sandbox images, pinned in
 * docker/base/toolchains.json so that two machines building the same image
 * key get the same Node.js, npm and corepack, and so an upgrade is a
 * deliberate one-line change there (which changes every key it touches).
 *
 * Debian's packages (git, python3, pytest) follow the pinned suite of the OS
 * image; their point releases are Debian's stable updates and are not pinned
 * further.
 */
import { z } from 'zod';
import pins from '../../docker/base/toolchains.json' with { type: 'json' };
import { ConfigError } from '../errors.ts';

/** One Node.js release as an environment gets it. */
export interface NodeRelease {
  major: number;
  /** Exact version of the `node-linux-<arch>` build, e.g. `24.22.3`. */
  node: string;
  /** Exact npm version installed beside it. */
  npm: string;
  /** Exact corepack version (pnpm, yarn shims), or undefined where corepack does not run. */
  corepack: string | undefined;
}

const VERSION = z.string().regex(/^\d+\.\d+\.\d+$/, 'an exact version such as 24.22.3');

const PinsSchema = z.object({
  os_image: z.string().min(1),
  node_default_major: z.number().int().positive(),
  node: z.record(
    z.string().regex(/^\d+$/),
    z.object({ node: VERSION, npm: VERSION, corepack: VERSION.nullable() }),
  ),
});

function loadPins(): { osImage: string; defaultMajor: number; releases: Map<number, NodeRelease> } {
  // A bad edit of the JSON fails every command at start-up, naming the field.
  const parsed = PinsSchema.parse(pins);
  const releases = new Map<number, NodeRelease>();
  for (const [key, entry] of Object.entries(parsed.node)) {
    const major = Number(key);
    if (!entry.node.startsWith(`${major}.`)) {
      throw new Error(`docker/base/toolchains.json: node.${key} is ${entry.node}, not a ${major}.x release`);
    }
    releases.set(major, { major, node: entry.node, npm: entry.npm, corepack: entry.corepack ?? undefined });
  }
  if (!releases.has(parsed.node_default_major)) {
    throw new Error(`docker/base/toolchains.json: node_default_major ${parsed.node_default_major} has no release under node`);
  }
  return { osImage: parsed.os_image, defaultMajor: parsed.node_default_major, releases };
}

const PINS = loadPins();

/**
 * The OS image the base images start FROM unless SWE_BOT_BASE_OS_IMAGE says
 * otherwise: a Debian suite (`debian:bookworm-slim`), so the packages the
 * Dockerfiles install come from that suite.
 */
export const DEFAULT_BASE_OS_IMAGE = PINS.osImage;

/** The Node.js major the node base image carries (an LTS line). */
export const DEFAULT_NODE_MAJOR = PINS.defaultMajor;

/** Every major with a pinned release, newest first. */
export const NODE_MAJORS: readonly number[] = [...PINS.releases.keys()].sort((a, b) => b - a);

/** The pinned release of `major`; a ConfigError naming the supported majors when there is none. */
export function nodeRelease(major: number): NodeRelease {
  const release = PINS.releases.get(major);
  if (release === undefined) {
    const oldest = NODE_MAJORS[NODE_MAJORS.length - 1];
    const newest = NODE_MAJORS[0];
    throw new ConfigError(
      `Node.js ${major} is not available in swe-bot's sandbox: it pins a release for majors ${oldest} to ${newest}`,
      { hint: `set environment.node_version in .github/swe-bot.yml to one of ${oldest}–${newest}` },
    );
  }
  return release;
}

/** One line for people: `node 24.22.3, npm 12.2.3, corepack 0.36.0`. */
export function describeNodeRelease(release: NodeRelease): string {
  return `node ${release.node}, npm ${release.npm}${release.corepack === undefined ? '' : `, corepack ${release.corepack}`}`;
}

/**
 * The arguments of `swe-bot-install-node` (docker/base/common/install-node.py)
 * for `release`, installed under `prefix`.
 */
export function installNodeArgs(release: NodeRelease, prefix: string): string[] {
  return [
    '--node',
    release.node,
    '--npm',
    release.npm,
    ...(release.corepack === undefined ? [] : ['--corepack', release.corepack]),
    prefix,
  ];
}
