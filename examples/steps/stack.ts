import { randomBytes } from 'node:crypto';
import { installFetchPropagation } from '@dyeline/http';
import type { IngressStats } from '@dyeline/core';
import { startEcho } from '../echo.js';
import { startGateway } from '../gateway.js';
import type { VersionPicker } from '../gateway.js';
import { startGreeter } from '../greeter.js';
import { edgeIngressOptions, meshPropagationOptions } from '../mesh-options.js';

/** The running services of the demo: gateway → greeter v1|v2 → echo. */
export interface DemoStack {
  /** Base URL of the gateway (the public edge). */
  readonly gatewayUrl: string;
  /** The gateway's ingress counters (untrusted drops, refused signatures). */
  readonly gatewayStats: Readonly<IngressStats>;
  /** The HMAC key of the load-test platform (key id `loadgen`), made up for this run. */
  readonly signingKey: string;
  /** Base URL per greeter version. */
  readonly greeters: Readonly<Record<string, string>>;
  /** Base URL of the last hop. */
  readonly echoUrl: string;
  /** Stops every service and restores the global fetch dispatcher. */
  close(): Promise<void>;
}

/** Options of {@link startDemoStack}. */
export interface DemoStackOptions {
  /** The gateway's version choice (the routing seam). Default: `pickByTag`. */
  pick?: VersionPicker;
}

/**
 * Starts, in this process on 127.0.0.1 port 0: echo (Koa), greeter v1 and v2
 * (Express), and the gateway (Koa + @koa/router); installs dyeline's
 * propagation on the global `fetch` that the gateway and greeters call with.
 */
export async function startDemoStack(options: DemoStackOptions = {}): Promise<DemoStack> {
  const uninstall = installFetchPropagation(meshPropagationOptions);
  const started: { close(): Promise<void> }[] = [];
  try {
    const echo = await startEcho();
    started.push(echo);
    const v1 = await startGreeter({ version: 'v1', next: echo.url });
    started.push(v1);
    const v2 = await startGreeter({ version: 'v2', next: echo.url });
    started.push(v2);
    const signingKey = randomBytes(32).toString('base64url');
    const greeters = { v1: v1.url, v2: v2.url };
    const gateway = await startGateway({
      upstreams: greeters,
      ingress: edgeIngressOptions(signingKey),
      ...(options.pick === undefined ? {} : { pick: options.pick }),
    });
    started.push(gateway);
    return {
      gatewayUrl: gateway.url,
      gatewayStats: gateway.stats,
      signingKey,
      greeters,
      echoUrl: echo.url,
      close: async () => {
        await Promise.all(started.map((service) => service.close()));
        uninstall();
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((service) => service.close()));
    uninstall();
    throw error;
  }
}
