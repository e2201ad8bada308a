import { Queue, Worker } from 'bullmq';
import type { Job, Processor, QueueOptions, WorkerOptions } from 'bullmq';
import { currentTag } from '@dyeline/core';
import { BullLaneRouter, laneQueueName } from './bullmq-lanes.js';
import { createMessageTagger } from './message-tag.js';
import type { MessageTagger, MessageTaggerOptions } from './message-tag.js';
import { createShadowResolver } from './shadow-resolver.js';
import type { ShadowResolver } from './shadow-resolver.js';

export { laneQueueName } from './bullmq-lanes.js';

/** The reserved key of job data that carries the tag. */
export const JOB_TAG_KEY = '__dyeline';

/** Options shared by {@link shadowQueue} and {@link shadowWorker}. */
export interface ShadowBullOptions {
  /**
   * Queue: route colored jobs to the lane queue of their color when a lane
   * worker is live there (checked with BullMQ's `getWorkersCount`, cached 1 s),
   * else to the base queue. Default true.
   */
  lanes?: boolean;
  /** Shadow names and guards. Default: `createShadowResolver()` (`shadow_` prefix). */
  resolver?: ShadowResolver;
  /** Tag header names and validation, or a tagger shared with other adapters. */
  tagger?: MessageTagger | MessageTaggerOptions;
}

type AnyFn = (...args: unknown[]) => unknown;
type JobSpec = { name: string; data: unknown; opts?: unknown };

function setup(name: string, options: ShadowBullOptions | undefined, what: string): { resolver: ShadowResolver; tagger: MessageTagger } {
  if (typeof name !== 'string' || name === '') throw new TypeError(`${what}: name must be a non-empty string`);
  const resolver = options?.resolver ?? createShadowResolver();
  if (typeof resolver.name !== 'function') throw new TypeError(`${what}: option "resolver" must be a ShadowResolver`);
  if (resolver.isShadowName(name)) throw new TypeError(`${what}: name "${name}" is already a shadow name; give the production name`);
  const t = options?.tagger;
  const tagger = typeof t === 'object' && t !== null && typeof (t as MessageTagger).stamp === 'function'
    ? (t as MessageTagger)
    : createMessageTagger(t as MessageTaggerOptions | undefined);
  return { resolver, tagger };
}

/**
 * A BullMQ `Queue` for production name `name` whose `add`/`addBulk` stamp the
 * current tag into job data (under {@link JOB_TAG_KEY}) and put shadow jobs
 * on the shadow queue (`shadow_<name>`, created on first use). Every other
 * method and property is that of the current traffic's queue (a shadow
 * `drain()` drains the shadow queue); `close()` closes both.
 *
 * @throws {TypeError} when `name` or an option is invalid.
 */
export function shadowQueue<Data = unknown>(name: string, queueOptions: QueueOptions, options?: ShadowBullOptions): Queue<Data> {
  const { resolver, tagger } = setup(name, options, 'shadowQueue');
  const production = new Queue<Data>(name, queueOptions);
  let shadow: Queue<Data> | undefined;
  const target = (): Queue<Data> => {
    if (!resolver.isShadow()) return production;
    shadow ??= new Queue<Data>(resolver.shadowName(name), queueOptions);
    return shadow;
  };
  const stamp = (data: unknown): unknown => {
    // Only object data can carry the tag; a shadow job still goes to the shadow queue.
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
    const carried = tagger.stamp<Record<string, unknown>>({});
    return Object.keys(carried).length === 0 ? data : { ...data, [JOB_TAG_KEY]: carried };
  };
  const router = options?.lanes === false ? undefined : new BullLaneRouter(queueOptions);
  // The tag and the shadow/production choice are read before the first await.
  const destination = (): Promise<Queue> | Queue => {
    const queue = target();
    return router === undefined ? queue : router.pick(queue, queue.name, currentTag()?.color);
  };
  const overrides: Record<string | symbol, unknown> = Object.create(null) as Record<string | symbol, unknown>;
  overrides.add = async (jobName: string, data: Data, opts?: unknown) => {
    const stamped = stamp(data);
    const queue = await destination();
    return (queue.add as AnyFn).call(queue, jobName, stamped, opts);
  };
  overrides.addBulk = async (jobs: JobSpec[]) => {
    const stamped = jobs.map((job) => ({ ...job, data: stamp(job.data) }));
    const queue = await destination();
    return (queue.addBulk as AnyFn).call(queue, stamped);
  };
  overrides.close = async () => {
    await Promise.all([production.close(), shadow?.close(), router?.close()]);
  };
  return new Proxy(production, {
    get(_production, prop) {
      const override = overrides[prop];
      if (override !== undefined) return override;
      // Everything else (getJobs, drain, obliterate, on, …) acts on the queue of the current traffic.
      const queue = target();
      const value = (queue as unknown as Record<string | symbol, unknown>)[prop];
      return typeof value === 'function' ? (value as AnyFn).bind(queue) : value;
    },
  });
}

/**
 * A BullMQ `Worker` for production queue `name` plus one for its shadow
 * queue; the processor runs with the job's tag restored (AsyncLocalStorage),
 * and jobs of the shadow queue always run as shadow. With `color`, a lane
 * worker: it consumes the lane queues of that color (production and shadow),
 * which {@link shadowQueue} fills while the worker is live. `close`, `pause`,
 * `resume` and `run` act on both; events come from the production worker.
 *
 * @throws {TypeError} when `name`, `processor` or an option is invalid.
 */
export function shadowWorker<Data = unknown, Result = unknown>(
  name: string,
  processor: Processor<Data, Result>,
  workerOptions: WorkerOptions,
  options?: ShadowBullOptions & {
    /** Also process the shadow queue. Default true. */
    consumeShadow?: boolean;
    /** A lane worker: process only jobs of this color (its lane queues). Absent: a base worker. */
    color?: string;
  },
): Worker<Data, Result> {
  const { resolver, tagger } = setup(name, options, 'shadowWorker');
  if (typeof processor !== 'function') throw new TypeError('shadowWorker: processor must be a function');
  const wrap = (shadow: boolean): Processor<Data, Result> => (job: Job<Data, Result>, token?: string, signal?: AbortSignal) => {
    const data = job.data as Record<string, unknown> | undefined;
    const carried = typeof data === 'object' && data !== null ? (data[JOB_TAG_KEY] as Record<string, unknown> | undefined) : undefined;
    return tagger.run(typeof carried === 'object' ? carried : undefined, () => processor(job, token, signal), { shadow });
  };
  const color = options?.color;
  if (color !== undefined && (typeof color !== 'string' || !/^[A-Za-z0-9._~:@/+-]{1,128}$/.test(color))) {
    throw new TypeError('shadowWorker: option "color" must be a valid color');
  }
  const queueName = (base: string) => (color === undefined ? base : laneQueueName(base, color));
  const production = new Worker<Data, Result>(queueName(name), wrap(false), workerOptions);
  const shadow = options?.consumeShadow === false
    ? undefined
    : new Worker<Data, Result>(queueName(resolver.shadowName(name)), wrap(true), workerOptions);
  const both = (method: 'close' | 'pause' | 'resume' | 'run') => async (...args: unknown[]) => {
    const results = await Promise.all([production, shadow].map((w) => (w === undefined ? undefined : (w[method] as AnyFn).apply(w, args))));
    return results[0];
  };
  const overrides: Record<string | symbol, unknown> = Object.create(null) as Record<string | symbol, unknown>;
  for (const method of ['close', 'pause', 'resume', 'run'] as const) overrides[method] = both(method);
  return new Proxy(production, {
    get(worker, prop) {
      const override = overrides[prop];
      if (override !== undefined) return override;
      const value = (worker as unknown as Record<string | symbol, unknown>)[prop];
      return typeof value === 'function' ? (value as AnyFn).bind(worker) : value;
    },
  });
}
