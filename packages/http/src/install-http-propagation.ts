import http from 'node:http';
import type { ClientRequest } from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import { tagClientRequest } from './client-request.js';
import { createPropagator } from './propagator.js';
import type { PropagationOptions } from './propagator.js';

type RequestFunction = (...args: unknown[]) => ClientRequest;
type Patchable = { request: RequestFunction; get: RequestFunction };

/**
 * Makes every `http.request`/`http.get`/`https.request`/`https.get` carry the
 * current tag, for CommonJS and ES module callers alike: the module objects
 * are patched and `syncBuiltinESMExports()` updates the live bindings of
 * `import { request } from 'node:http'`. Call it before other modules load, so
 * a CommonJS `const { request } = require('http')` picks up the patched one.
 * Returns a function that restores the originals.
 *
 * Node 20 publishes `http.client.request.start` only after the headers are
 * flushed, so a diagnostics channel cannot add headers there.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function installHttpPropagation(options: PropagationOptions = {}): () => void {
  const propagator = createPropagator('installHttpPropagation', options);
  const patches = ([http, https] as unknown as Patchable[]).map((module) => {
    const original = { request: module.request, get: module.get };
    const request = function (this: unknown, ...args: unknown[]): ClientRequest {
      const clientRequest = Reflect.apply(original.request, this, args);
      tagClientRequest(propagator, 'http', clientRequest);
      return clientRequest;
    };
    // Node's own `get` calls the module-internal `request`, not the export:
    // it is rebuilt on the patched one, as Node defines it (request + end).
    const get = function (this: unknown, ...args: unknown[]): ClientRequest {
      const clientRequest = Reflect.apply(request, this, args);
      clientRequest.end();
      return clientRequest;
    };
    Object.defineProperty(request, 'name', { value: 'request' });
    Object.defineProperty(get, 'name', { value: 'get' });
    module.request = request;
    module.get = get;
    return { module, original, patched: { request, get } };
  });
  syncBuiltinESMExports();
  return () => {
    for (const { module, original, patched } of patches) {
      // Somebody who patched after us keeps their patch.
      if (module.request === patched.request) module.request = original.request;
      if (module.get === patched.get) module.get = original.get;
    }
    syncBuiltinESMExports();
  };
}
