import type { CodecPreset } from './codec.js';

/**
 * Wire names used in the field, ready to pass as `createCodec({ presets: [...] })`.
 * Each preset adds sources read after dyeline's own of the same kind, and
 * names written next to them (unless `write.presets` is false).
 */
export const presets: {
  /** Kratos' color metadata, `x-md-global-color` → color. */
  readonly kratos: CodecPreset;
  /** MSE / Higress lanes, `x-mse-tag` → color. */
  readonly mse: CodecPreset;
  /** OpenSergo traffic lanes, `x-opensergo-traffic` → color. */
  readonly opensergo: CodecPreset;
  /** Signadot sandboxes, baggage `sd-routing-key` → color. */
  readonly signadot: CodecPreset;
  /** The Istio examples: `user` and `end-user` → user (in that order); `x-canary` as an extra entry. */
  readonly istio: CodecPreset;
  /** Dubbo tag routing, `dubbo.tag` → color (gRPC/triple metadata, or an HTTP header). */
  readonly dubbo: CodecPreset;
  /** Takin full-link stress tests, `p-pradar-cluster-test: 1` → shadow. */
  readonly takin: CodecPreset;
} = Object.freeze({
  kratos: Object.freeze({ name: 'kratos', headers: Object.freeze({ color: 'x-md-global-color' }) }),
  mse: Object.freeze({ name: 'mse', headers: Object.freeze({ color: 'x-mse-tag' }) }),
  opensergo: Object.freeze({ name: 'opensergo', headers: Object.freeze({ color: 'x-opensergo-traffic' }) }),
  signadot: Object.freeze({ name: 'signadot', baggage: Object.freeze({ color: 'sd-routing-key' }) }),
  istio: Object.freeze({
    name: 'istio',
    headers: Object.freeze({ user: Object.freeze(['user', 'end-user']) }),
    extra: Object.freeze(['x-canary']),
  }),
  dubbo: Object.freeze({ name: 'dubbo', headers: Object.freeze({ color: 'dubbo.tag' }) }),
  takin: Object.freeze({ name: 'takin', headers: Object.freeze({ shadow: 'p-pradar-cluster-test' }) }),
});
