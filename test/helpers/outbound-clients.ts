import http from 'node:http';
import { installFetchPropagation, installHttpPropagation, wrapHttpRequest } from '@dyeline/http';
import { axiosPropagation } from '@dyeline/http/axios';
import { dyelineInterceptor } from '@dyeline/http/undici';
import axios from 'axios';
import { Agent, request as undiciRequest } from 'undici';
import { startEcho } from './http-server.js';
import type { RunningServer } from './http-server.js';

/** Headers (or metadata) as the downstream saw them, names lowercase. */
export type Seen = Record<string, string | string[] | undefined>;

/** A client ready to call its own downstream echo. */
export interface ActiveClient {
  /** Calls the downstream (with `explicit` headers set by the caller) and returns what it saw. */
  call(explicit?: Readonly<Record<string, string>>): Promise<Seen>;
  /** Uninstalls what `setup` installed and stops the downstream. */
  close(): Promise<void>;
}

/**
 * One way a service calls the next hop, with dyeline's propagation set up. To
 * add one (e.g. gRPC): `setup` starts a downstream that reports the headers or
 * metadata it received and installs the propagation; `call` makes one call.
 */
export interface OutboundClient {
  readonly name: string;
  setup(): Promise<ActiveClient>;
}

function readBody(response: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (body += chunk));
    response.on('end', () => resolve(body));
    response.on('error', reject);
  });
}

function httpCall(requestFn: typeof http.request, url: string, explicit: Readonly<Record<string, string>> = {}): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = requestFn(url, { headers: { ...explicit } }, (response) => {
      readBody(response).then((body) => resolve(JSON.parse(body) as Seen), reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function withEcho(install: () => () => void, call: (echo: RunningServer, explicit?: Readonly<Record<string, string>>) => Promise<Seen>): Promise<ActiveClient> {
  const echo = await startEcho();
  const uninstall = install();
  return {
    call: (explicit) => call(echo, explicit),
    async close() {
      uninstall();
      await echo.close();
    },
  };
}

/** Every HTTP client dyeline propagates through. */
export const httpOutboundClients: readonly OutboundClient[] = [
  {
    name: 'global fetch',
    setup: () =>
      withEcho(
        () => installFetchPropagation(),
        async (echo, explicit) => (await (await fetch(echo.url, { headers: { ...explicit } })).json()) as Seen,
      ),
  },
  {
    name: 'undici dispatcher',
    async setup() {
      const dispatcher = new Agent().compose(dyelineInterceptor());
      const client = await withEcho(
        () => () => undefined,
        async (echo, explicit) => (await (await undiciRequest(echo.url, { dispatcher, headers: { ...explicit } })).body.json()) as Seen,
      );
      return { call: client.call, close: async () => (await client.close(), await dispatcher.close()) };
    },
  },
  {
    name: 'node:http wrapper',
    setup() {
      const request = wrapHttpRequest(http.request);
      return withEcho(() => () => undefined, (echo, explicit) => httpCall(request, echo.url, explicit));
    },
  },
  {
    name: 'node:http global install',
    // http.request is looked up at call time, after the install patched it.
    setup: () => withEcho(() => installHttpPropagation(), (echo, explicit) => httpCall(((url: string, options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void) => http.request(url, options, callback)) as typeof http.request, echo.url, explicit)),
  },
  {
    name: 'axios',
    setup() {
      const instance = axios.create();
      return withEcho(
        () => axiosPropagation(instance),
        async (echo, explicit) => (await instance.get<Seen>(echo.url, { headers: { ...explicit } })).data,
      );
    },
  },
];
