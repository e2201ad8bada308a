import type { IncomingMessage } from 'node:http';
import axios from 'axios';
import { routedFetch, routedHttpRequest } from '@dyeline/http';
import type { RoutedClientOptions } from '@dyeline/http';
import { routedAxios } from '@dyeline/http/axios';

/** What the serving instance saw. */
export interface Seen {
  status: number;
  version: string;
  path: string;
  body: string;
  headers: Record<string, string>;
}
export interface Call {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}
/** One routed outbound client; `call` resolves with what the instance answered (any status). */
export interface RoutedClient {
  name: string;
  build(options: RoutedClientOptions): (url: string, call?: Call) => Promise<Seen>;
}

export const readAll = (stream: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let body = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (body += c));
    stream.on('end', () => resolve(body));
    stream.on('error', reject);
  });

const parse = (status: number, text: string): Seen => ({ status, ...(text.startsWith('{') ? (JSON.parse(text) as Omit<Seen, 'status'>) : { version: text, path: '', body: '', headers: {} }) });

/** Adding a routed client (gRPC, undici.request) to this suite is one entry here. */
export const routedClients: RoutedClient[] = [
  {
    name: 'fetch',
    build(options) {
      const fetch = routedFetch(options);
      return async (url, call = {}) => {
        const res = await fetch(url, { method: call.method, headers: call.headers, body: call.body });
        return parse(res.status, await res.text());
      };
    },
  },
  {
    name: 'node:http',
    build(options) {
      const request = routedHttpRequest({ ...options, runPolicy: undefined });
      return (url, call = {}) =>
        new Promise((resolve, reject) => {
          const req = request(url, { method: call.method ?? 'GET', headers: call.headers }, (res) => {
            readAll(res).then((text) => resolve(parse(res.statusCode ?? 0, text)), reject);
          });
          req.on('error', reject);
          if (call.body !== undefined) req.write(call.body.slice(0, 3));
          req.end(call.body?.slice(3));
        });
    },
  },
  {
    name: 'axios',
    build(options) {
      const instance = axios.create({ validateStatus: () => true, responseType: 'text', transformResponse: (d: unknown) => d });
      routedAxios(instance, options);
      return async (url, call = {}) => {
        const res = await instance.request<string>({ url, method: call.method ?? 'GET', headers: call.headers, data: call.body });
        return parse(res.status, res.data);
      };
    },
  },
];
