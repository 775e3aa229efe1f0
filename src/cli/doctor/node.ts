/** The Node.js running swe-bot. */
import semver from 'semver';
import { CHECK_NAMES, result, type CheckResult } from './result.ts';

/** The oldest Node.js that runs the sources (type stripping without a flag). */
export const MIN_NODE_VERSION = '22.18.0';

export function checkNode(version: string, execPath: string): CheckResult {
  const name = CHECK_NAMES.node;
  const parsed = semver.coerce(version);
  const hint =
    `swe-bot needs Node.js >= ${MIN_NODE_VERSION}: run it through npm (npx swe-bot …, npm start), ` +
    'which uses the Node 24 the project installs, or install Node 24';
  if (!parsed) return result(name, 'fail', true, `cannot tell the version of ${version}`, hint);
  if (semver.lt(parsed, MIN_NODE_VERSION)) {
    return result(name, 'fail', true, `${version} (${execPath}) is older than ${MIN_NODE_VERSION}`, hint);
  }
  return result(name, 'ok', true, `${version} (${execPath})`);
}
