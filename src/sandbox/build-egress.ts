/**
 * The way out of a networked step (an environment build, `doctor`'s
 * registry probe, the egress benchmark): a proxy on this machine that
 * allows the registries and the allowlist (egress-proxy.ts), and a forwarder
 * in the step's network namespace (egress-forwarder.ts). The step's
 * container has `NetworkMode: none` and is started before this is opened.
 */
import type Docker from 'dockerode';
import type { SandboxSettings } from '../config/load-config.ts';
import type { Logger } from '../logger.ts';
import { ensureCommonImage, type BaseImageDeps } from './base-image.ts';
import { EGRESS_ENV, startEgressForwarder } from './egress-forwarder.ts';
import { defaultEgressRules, type AllowRule } from './egress-policy.ts';
import { openEgressProxy, type EgressProxy } from './egress-proxy.ts';

export interface BuildEgress {
  proxy: EgressProxy;
  /** The variables that send a step's tools through the proxy. */
  env: Readonly<Record<string, string>>;
  /**
   * Closes the proxy and starts removing the forwarder; resolves with that
   * removal (a container removal takes ~0.1 s: a caller may wait for it
   * beside its other work). The removal never rejects.
   */
  close(): Promise<{ removed: Promise<void> }>;
}

/** The rules of a build: the defaults, SWE_BOT_EGRESS_ALLOW, and what the repository's configuration adds. */
export function buildEgressRules(settings: Pick<SandboxSettings, 'npmRegistry' | 'debianMirror' | 'egressAllow'>, repository: readonly string[] = []): AllowRule[] {
  return [
    ...defaultEgressRules(settings),
    ...settings.egressAllow.map((pattern) => ({ pattern, source: 'operator' as const })),
    ...repository.map((pattern) => ({ pattern, source: 'repository' as const })),
  ];
}

export async function openBuildEgress(
  deps: BaseImageDeps,
  options: { container: Docker.Container; rules: readonly AllowRule[]; logger?: Logger; job?: string | undefined; ttlMs: number },
): Promise<BuildEgress> {
  const proxy = await openEgressProxy({
    rules: options.rules,
    logger: options.logger ?? deps.logger,
    parentDir: deps.settings.egressDir,
    fixedParent: deps.settings.egressVolume !== undefined,
  });
  try {
    const forwarder = await startEgressForwarder(deps, {
      image: await ensureCommonImage(deps),
      buildContainerId: options.container.id,
      proxy,
      volume: deps.settings.egressVolume,
      job: options.job,
      ttlMs: options.ttlMs,
    });
    return {
      proxy,
      env: EGRESS_ENV,
      async close() {
        const removed = forwarder.remove();
        await proxy.close();
        return { removed };
      },
    };
  } catch (error) {
    await proxy.close();
    throw error;
  }
}
