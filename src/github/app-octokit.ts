/**
 * The Octokit class to give Probot (`new Probot({ Octokit: AppOctokit })`):
 * ProbotOctokit with @octokit/plugin-throttling and @octokit/plugin-retry
 * turned off, because swe-bot owns rate limits and retries per installation
 * in ./rate-limit.ts (why: see there).
 *
 * Probot builds its clients with `Octokit.defaults(fn)` and passes its own
 * `throttle` options (https://github.com/probot/probot/blob/master/src/octokit/get-probot-octokit-with-defaults.ts),
 * which would override static defaults such as
 * `ProbotOctokit.defaults({ throttle: { enabled: false } })`. A defaults
 * *function* on our subclass runs after Probot's, so its word is final.
 *
 * ```ts
 * const probot = new Probot({ appId, privateKey, Octokit: AppOctokit });
 * const octokit = withRateLimits(await probot.auth(installationId), { key: installationId, logger });
 * ```
 * That is what ./github-auth.ts does for the workers and for the app's
 * webhook handlers alike (their `context.octokit()`, src/app/app.ts), so
 * every installation client the service makes is wrapped.
 */
import { ProbotOctokit } from 'probot';

export const AppOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as object | undefined), enabled: false },
  retry: { ...(options.retry as object | undefined), enabled: false },
}));

export type AppOctokit = InstanceType<typeof AppOctokit>;
