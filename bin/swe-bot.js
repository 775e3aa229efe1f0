#!/usr/bin/env node
// Entry point for `npx swe-bot`. The sources are TypeScript run by Node's
// built-in type stripping (Node >= 22.18), so there is no build step.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `swe-bot needs Node.js >= 22.18 (this is ${process.version}). ` +
      'Run it through npm (npx swe-bot, npm start): the project installs Node 24 as a dependency.\n',
  );
  process.exit(1);
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
