import type { ServerResponse } from 'node:http';
import type { CarrierAccessor } from './carrier.js';
import { createIngress } from './ingress.js';
import type { Ingress, IngressOptions } from './ingress.js';

// Framework-neutral (node:http types only): shared by the Koa and Express adapters.

/** Options every HTTP server adapter takes on top of the ingress options. */
export interface ServerAdapterOptions extends IngressOptions {
  /** Echo the request's tag in the response headers (as an outbound call would write it). Default `false`. */
  echo?: boolean;
  /** The serving version, written to `versionHeader` on every response (Istio helloworld's `Service-Version`). */
  version?: string;
  /** Header for `version`. Default `service-version`. */
  versionHeader?: string;
  /** Status of the answer when the ingress policy rejects a request. Default 400. */
  rejectStatus?: number;
  /** Run listeners added to req/res (body parsers, `finish`) in the request's context. Default `true`. */
  bindEmitters?: boolean;
}

/** The options, checked once, as {@link resolveServerOptions} returns them. */
export interface ServerAdapterSettings {
  readonly ingress: Ingress;
  readonly echo: boolean;
  readonly version: string | undefined;
  readonly versionHeader: string;
  readonly rejectStatus: number;
  readonly bindEmitters: boolean;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const HEADER_VALUE = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * Validates the adapter options and builds the ingress.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function resolveServerOptions(who: string, options: ServerAdapterOptions): ServerAdapterSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${who}: options must be an object`);
  const { echo = false, version, versionHeader = 'service-version', rejectStatus = 400, bindEmitters = true } = options;
  if (typeof echo !== 'boolean') throw new TypeError(`${who}: options.echo must be a boolean`);
  if (typeof bindEmitters !== 'boolean') throw new TypeError(`${who}: options.bindEmitters must be a boolean`);
  if (version !== undefined && (typeof version !== 'string' || !HEADER_VALUE.test(version))) {
    throw new TypeError(`${who}: options.version must be a non-empty printable header value`);
  }
  if (typeof versionHeader !== 'string' || !HEADER_NAME.test(versionHeader)) {
    throw new TypeError(`${who}: options.versionHeader must be a lowercase header name`);
  }
  if (!Number.isInteger(rejectStatus) || rejectStatus < 400 || rejectStatus > 599) {
    throw new TypeError(`${who}: options.rejectStatus must be an HTTP error status (400-599)`);
  }
  return { ingress: createIngress(options), echo, version, versionHeader, rejectStatus, bindEmitters };
}

/** Reads and writes the headers of a Node `ServerResponse`. */
export const responseHeadersAccessor: CarrierAccessor<ServerResponse> = {
  get(response, name) {
    const value = response.getHeader(name);
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.join(', ') : String(value);
  },
  set(response, name, value) {
    response.setHeader(name, value);
  },
};
