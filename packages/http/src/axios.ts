import type { AxiosHeaders, AxiosInstance } from 'axios';
import type { CarrierAccessor } from '@dyeline/core';
import { createPropagator } from './propagator.js';
import type { PropagationOptions } from './propagator.js';

export type { PropagationOptions } from './propagator.js';
// Routed outbound (routing helper): lives on this subpath because it needs axios at run time.
export { routedAxios } from './routed-axios.js';
export type { RoutedAxiosOptions } from './routed-axios.js';

const axiosHeadersAccessor: CarrierAccessor<AxiosHeaders> = {
  get(headers, name) {
    // AxiosHeaders.get is case-insensitive; `false`/`null` mean "unset" to axios.
    const value: unknown = headers.get(name);
    if (value === undefined || value === null || value === false) return undefined;
    return Array.isArray(value) ? value.join(', ') : String(value);
  },
  set(headers, name, value) {
    headers.set(name, value);
  },
};

/**
 * Adds a request interceptor to `instance` that writes the current tag onto
 * every request. Calls made outside any tag are left untouched; headers the
 * caller set win unless `overwrite`. Returns a function that ejects it.
 *
 * @throws {TypeError} when `instance` is not an axios instance or an option is invalid.
 */
export function axiosPropagation(instance: AxiosInstance, options: PropagationOptions = {}): () => void {
  if (typeof (instance as Partial<AxiosInstance> | undefined)?.interceptors?.request?.use !== 'function') {
    throw new TypeError('axiosPropagation: instance must be an axios instance (axios.create() or the default axios)');
  }
  const propagator = createPropagator('axiosPropagation', options);
  const id = instance.interceptors.request.use(
    (config) => {
      propagator.inject(config.headers, axiosHeadersAccessor);
      return config;
    },
    undefined,
    // It never awaits: a synchronous interceptor lets axios skip a promise hop.
    { synchronous: true },
  );
  return () => instance.interceptors.request.eject(id);
}
