import { presets } from '@dyeline/core';
import type { IngressOptions, TrustOptions } from '@dyeline/core';

// The wire names of Istio's helloworld/bookinfo examples (`user`, `end-user`,
// `x-canary`), read and written next to dyeline's own x-color/x-user/x-shadow
// and W3C baggage.
const wire = { presets: [presets.istio] } as const;

/**
 * Ingress options of the services inside the mesh (greeter, echo): callers
 * on loopback are the demo's own services, so they are trusted to set the
 * whole tag — shadow included. In a cluster this is the pod network.
 */
export const meshIngressOptions: IngressOptions = {
  ...wire,
  trust: { trustedCidrs: ['127.0.0.0/8', '::1/128'] },
};

/** Options of the outbound propagation (fetch) every service of the demo installs. */
export const meshPropagationOptions = wire;

/**
 * Trust at the public edge (the gateway): the outside world may pick a lane
 * (`x-color`), say who it is (`user`) and ask for the canary (`x-canary`), but
 * never mark traffic as shadow — only a request whose tag carries a valid
 * HMAC signature from the load-test platform (key id `loadgen`) is believed
 * in full. Loopback is deliberately *not* trusted here: every caller of the
 * gateway counts as the public internet.
 */
export function edgeTrust(signingKey: string): TrustOptions {
  return {
    allowUntrusted: ['color', 'user', 'extra'],
    signing: { keys: { loadgen: signingKey } },
  };
}

/** Ingress options of the gateway (see {@link edgeTrust}). */
export function edgeIngressOptions(signingKey: string): IngressOptions {
  return { ...wire, trust: edgeTrust(signingKey) };
}
