/**
 * `npm run onboard -- OUT [id...]`: the onboarding measurement of issue #11
 * on the repositories ../shared/corpus-onboard/build.mjs wrote to OUT (see
 * test/helpers/onboard.ts). One JSON line per project on stdout, then
 * `K/N verified`. Settings are the tests' (test/helpers/test-config.ts):
 * the environment it runs in, small container limits, and the host's CA
 * bundle trusted by the images when SWE_BOT_EXTRA_CA_CERTS is unset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { onboardProject } from '../test/helpers/onboard.ts';

const [root, ...ids] = process.argv.slice(2);
if (root === undefined) {
  process.stderr.write('usage: npm run onboard -- OUT [id...]\n');
  process.exit(2);
}
const dirs = (ids.length > 0 ? ids : fs.readdirSync(root).sort()).map((id) => path.resolve(root, id)).filter((dir) => fs.existsSync(path.join(dir, 'repo')));
let verified = 0;
for (const dir of dirs) {
  const outcome = await onboardProject(dir);
  if (outcome.verdict === 'verified') verified += 1;
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}
process.stdout.write(`${verified}/${dirs.length} verified\n`);
