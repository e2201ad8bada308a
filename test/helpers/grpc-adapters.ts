// The gRPC ingress and the gRPC outbound client of the contract suite: a
// unary `Hop` service and an `Echo` service on real grpc-js servers, with
// JSON messages (no .proto needed).
import * as grpc from '@grpc/grpc-js';
import { addDyelineService, dyelineClientInterceptor } from '@dyeline/grpc';
import type { HopParams, HopResult, IngressAdapter } from './ingress-adapters.js';
import type { OutboundClient, Seen } from './outbound-clients.js';

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): unknown => JSON.parse(bytes.toString('utf8')),
};

function unary(path: string): grpc.MethodDefinition<unknown, unknown> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  };
}

const HopService = { hop: unary('/dyeline.contract.Hop/Hop') };
const EchoService = { echo: unary('/dyeline.contract.Echo/Echo') };
type UnaryClient = grpc.Client & {
  [method: string]: (request: unknown, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, value?: unknown) => void) => void;
};
const HopClient = grpc.makeGenericClientConstructor(HopService, 'Hop') as unknown as new (...args: ConstructorParameters<typeof grpc.Client>) => UnaryClient;
const EchoClient = grpc.makeGenericClientConstructor(EchoService, 'Echo') as unknown as new (...args: ConstructorParameters<typeof grpc.Client>) => UnaryClient;

async function bind(server: grpc.Server): Promise<string> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return `127.0.0.1:${port}`;
}

function invoke(client: UnaryClient, method: string, request: unknown, metadata: grpc.Metadata): Promise<unknown> {
  return new Promise((resolve, reject) => client[method]!(request, metadata, (error, value) => (error ? reject(error) : resolve(value))));
}

// What the HTTP ingresses answer for the same outcome, so one contract fits both.
const HTTP_STATUS: Partial<Record<grpc.status, number>> = {
  [grpc.status.OK]: 200,
  [grpc.status.INVALID_ARGUMENT]: 400,
  [grpc.status.PERMISSION_DENIED]: 400,
};

/** A grpc-js server whose `Hop` handler is wrapped by `addDyelineService`. */
export const grpcIngressAdapter: IngressAdapter = {
  name: 'grpc-js server',
  async start(options, hop) {
    const server = new grpc.Server();
    const stats = addDyelineService(server, HopService, {
      hop(call: grpc.ServerUnaryCall<HopParams, HopResult>, callback: grpc.sendUnaryData<HopResult>) {
        hop(call.request).then((result) => callback(null, result), (error: Error) => callback({ code: grpc.status.INTERNAL, details: error.message }));
      },
    }, options);
    const address = await bind(server);
    const client = new HopClient(address, grpc.credentials.createInsecure());
    return {
      stats,
      async send(headers, params = {}) {
        const metadata = new grpc.Metadata();
        for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
        try {
          return { status: 200, body: (await invoke(client, 'hop', params, metadata)) as HopResult };
        } catch (error) {
          const failure = error as grpc.ServiceError;
          const code = failure.metadata?.get('x-dyeline-error')[0];
          return {
            status: HTTP_STATUS[failure.code] ?? 500,
            body: { tag: null, downstream: null, error: typeof code === 'string' ? code : failure.details },
          };
        }
      },
      close: () =>
        new Promise<void>((resolve) => {
          client.close();
          server.tryShutdown(() => resolve());
        }),
    };
  },
};

/** A grpc-js client with the dyeline interceptor, calling an `Echo` server that answers with the metadata it saw. */
export const grpcOutboundClient: OutboundClient = {
  name: 'grpc-js client',
  async setup() {
    const server = new grpc.Server();
    server.addService(EchoService, {
      echo(call: grpc.ServerUnaryCall<unknown, Seen>, callback: grpc.sendUnaryData<Seen>) {
        const seen: Seen = {};
        for (const [name, values] of Object.entries(call.metadata.toJSON())) {
          const strings = (values as unknown[]).filter((v): v is string => typeof v === 'string');
          if (strings.length > 0) seen[name] = strings.join(', ');
        }
        callback(null, seen);
      },
    });
    const address = await bind(server);
    // Baggage on: the contract checks the same wire as HTTP. The gRPC default
    // (baggage only when it carries more than the dedicated entries) is tested
    // in test/grpc-client.test.ts.
    const client = new EchoClient(address, grpc.credentials.createInsecure(), { interceptors: [dyelineClientInterceptor({ write: { baggage: true } })] });
    return {
      async call(explicit = {}) {
        const metadata = new grpc.Metadata();
        for (const [name, value] of Object.entries(explicit)) metadata.set(name, value);
        return (await invoke(client, 'echo', {}, metadata)) as Seen;
      },
      close: () =>
        new Promise<void>((resolve) => {
          client.close();
          server.tryShutdown(() => resolve());
        }),
    };
  },
};
