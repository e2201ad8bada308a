// The gRPC greeter of the demo, after the dubbo-go triple greeter: SayHello
// answers with the serving version and the tag it saw. With `next`, it
// forwards SayHello to another greeter, so a chain shows the tag (and the
// deadline) reaching the last hop.
//
//   const greeter = await startGrpcGreeter({ version: 'v2' });
//   const client = greeterClient(`127.0.0.1:${greeter.port}`);
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { currentDeadline, currentTag, presets } from '@dyeline/core';
import { addDyelineService, dyelineClientInterceptor } from '@dyeline/grpc';
import type { DyelineClientOptions, DyelineServerOptions } from '@dyeline/grpc';

/** The proto of the greeter, next to this file. */
export const GREETER_PROTO = fileURLToPath(new URL('./proto/greeter.proto', import.meta.url));

export interface HelloRequest {
  name?: string;
  count?: number;
}

export interface SeenTag {
  color: string;
  user: string;
  shadow: boolean;
}

export interface HelloReply {
  message: string;
  version: string;
  tag: SeenTag | null;
  remainingMs: number;
  downstream: HelloReply | null;
  seen: SeenTag[];
}

type Callback<T> = (error: grpc.ServiceError | null, value?: T) => void;

/** The generated client, typed for the four methods. */
export interface GreeterClient extends grpc.Client {
  sayHello(request: HelloRequest, callback: Callback<HelloReply>): grpc.ClientUnaryCall;
  sayHello(request: HelloRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback<HelloReply>): grpc.ClientUnaryCall;
  sayHello(request: HelloRequest, options: grpc.CallOptions, callback: Callback<HelloReply>): grpc.ClientUnaryCall;
  sayHelloStream(request: HelloRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<HelloReply>;
  sayHelloStream(request: HelloRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<HelloReply>;
  collectHellos(callback: Callback<HelloReply>): grpc.ClientWritableStream<HelloRequest>;
  collectHellos(metadata: grpc.Metadata, callback: Callback<HelloReply>): grpc.ClientWritableStream<HelloRequest>;
  chat(options?: grpc.CallOptions): grpc.ClientDuplexStream<HelloRequest, HelloReply>;
  chat(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<HelloRequest, HelloReply>;
}

type GreeterConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => GreeterClient;

let loaded: { Greeter: GreeterConstructor; service: grpc.ServiceDefinition } | undefined;

/** Loads the greeter proto once: the client class and the service definition. */
export function loadGreeter(): { Greeter: GreeterConstructor; service: grpc.ServiceDefinition } {
  if (loaded === undefined) {
    const definition = loadSync(GREETER_PROTO, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      dyeline: { greeter: { Greeter: GreeterConstructor & { service: grpc.ServiceDefinition } } };
    };
    const Greeter = pkg.dyeline.greeter.Greeter;
    loaded = { Greeter, service: Greeter.service };
  }
  return loaded;
}

/** A greeter client on `address` that carries the tag (dyeline client interceptor). */
export function greeterClient(address: string, options: DyelineClientOptions = { presets: [presets.dubbo] }): GreeterClient {
  const { Greeter } = loadGreeter();
  return new Greeter(address, grpc.credentials.createInsecure(), { interceptors: [dyelineClientInterceptor(options)] });
}

/** Calls SayHello and resolves with the reply; `metadata` and `options` are passed as given. */
export function sayHello(
  client: GreeterClient,
  request: HelloRequest,
  metadata: grpc.Metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<HelloReply> {
  return new Promise((resolve, reject) => {
    client.sayHello(request, metadata, options, (error, reply) => (error ? reject(error) : resolve(reply as HelloReply)));
  });
}

function seen(): SeenTag {
  const tag = currentTag();
  return { color: tag?.color ?? '', user: tag?.user ?? '', shadow: tag?.shadow ?? false };
}

export interface GrpcGreeterOptions {
  /** The version this instance serves, echoed in every reply. */
  version: string;
  /** Port to listen on; default 0 (the OS picks). */
  port?: number;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** `host:port` of a greeter that SayHello forwards to. */
  next?: string;
  /** A client SayHello forwards to instead of `next` (e.g. a `routedGrpcClient`); not closed by `close()`. */
  downstream?: GreeterClient;
  /** Ingress options; default trusts loopback callers and reads Dubbo's `dubbo.tag` too. */
  dyeline?: DyelineServerOptions;
}

export interface GrpcGreeter {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts a greeter; resolves once it listens. */
export async function startGrpcGreeter(options: GrpcGreeterOptions): Promise<GrpcGreeter> {
  const { version } = options;
  const { service } = loadGreeter();
  const own = options.next === undefined ? undefined : greeterClient(options.next);
  const downstream = options.downstream ?? own;
  const reply = (message: string, steps: SeenTag[]): HelloReply => ({
    message,
    version,
    tag: seen(),
    remainingMs: currentDeadline()?.remaining() ?? 0,
    downstream: null,
    seen: steps,
  });

  const implementation = {
    async sayHello(call: grpc.ServerUnaryCall<HelloRequest, HelloReply>, callback: grpc.sendUnaryData<HelloReply>): Promise<void> {
      const steps = [seen()];
      await sleep(1);
      steps.push(seen());
      const out = reply(`hello ${call.request.name ?? ''} from ${version}`, steps);
      if (downstream !== undefined) {
        try {
          out.downstream = await sayHello(downstream, { name: call.request.name ?? '' });
        } catch (error) {
          callback(error as grpc.ServiceError);
          return;
        }
      }
      callback(null, out);
    },
    async sayHelloStream(call: grpc.ServerWritableStream<HelloRequest, HelloReply>): Promise<void> {
      const steps = [seen()];
      for (let i = 0; i < (call.request.count || 1); i++) {
        await sleep(1);
        steps.push(seen());
        call.write(reply(`hello ${call.request.name ?? ''} #${i} from ${version}`, [...steps]));
      }
      call.end();
    },
    collectHellos(call: grpc.ServerReadableStream<HelloRequest, HelloReply>, callback: grpc.sendUnaryData<HelloReply>): void {
      const steps = [seen()];
      const names: string[] = [];
      call.on('data', (request: HelloRequest) => {
        steps.push(seen());
        names.push(request.name ?? '');
      });
      call.on('end', () => {
        steps.push(seen());
        setImmediate(() => {
          steps.push(seen());
          callback(null, reply(`hello ${names.join(', ')} from ${version}`, steps));
        });
      });
    },
    chat(call: grpc.ServerDuplexStream<HelloRequest, HelloReply>): void {
      const steps = [seen()];
      let pending = Promise.resolve();
      call.on('data', (request: HelloRequest) => {
        const inData = seen();
        pending = pending.then(async () => {
          await sleep(1);
          call.write(reply(`hello ${request.name ?? ''} from ${version}`, [...steps, inData, seen()]));
        });
      });
      call.on('end', () => {
        const atEnd = seen();
        void pending.then(() => {
          call.write(reply(`bye from ${version}`, [...steps, atEnd, seen()]));
          call.end();
        });
      });
    },
  };

  const server = new grpc.Server();
  addDyelineService(server, service, implementation, options.dyeline ?? {
    presets: [presets.dubbo],
    trust: { trustedCidrs: ['127.0.0.0/8', '::1/128'] },
  });
  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        own?.close();
        server.tryShutdown(() => resolve());
      }),
  };
}
