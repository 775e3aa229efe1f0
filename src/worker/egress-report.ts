/**
 * What the environment build tried to reach and was refused, for the
 * people reading a report (as Copilot's agent lists blocked requests in its
 * pull request body): a refusal is either a build needing a host the
 * allowlist lacks, or code doing what it should not.
 */
import type { ImageBuildError } from '../errors.ts';

type Refusals = ImageBuildError['egressRefused'];

/** Refusals listed before the rest are counted. */
const SHOWN = 10;

/** A markdown section, or '' when nothing was refused. */
export function egressRefusedSection(refused: Refusals): string {
  if (refused.length === 0) return '';
  const rows = refused.slice(0, SHOWN).map((refusal) => {
    const during = refusal.command === undefined ? '' : ` during \`${refusal.command.replaceAll('`', "'").slice(0, 200)}\``;
    return `- \`${refusal.host}:${refusal.port}\`: ${refusal.reason}${during}`;
  });
  if (refused.length > SHOWN) rows.push(`- … and ${refused.length - SHOWN} more (in the build log)`);
  return [
    '**Network requests refused while the environment was built.** Builds reach only the package registries and the allowed hosts; ' +
      'a host the set-up really needs goes in `environment.egress_allow` in `.github/swe-bot.yml` (public hosts) or `SWE_BOT_EGRESS_ALLOW` (set by whoever runs swe-bot).',
    ...rows,
  ].join('\n');
}
