import { Queue } from 'bullmq';
import type { QueueOptions } from 'bullmq';

/** The queue of color `color`'s lane of queue `queue` (`:` is not allowed in BullMQ names). */
export function laneQueueName(queue: string, color: string): string {
  return `${queue}.lane.${color.replace(/[%:]/g, (c) => (c === ':' ? '%3A' : '%25'))}`;
}

interface Lane {
  readonly queue: Queue;
  live: boolean;
  checkedAt: number;
  pending: Promise<void> | undefined;
}

/**
 * Picks, for a colored job, the lane queue of its color when a lane worker
 * is live on it (BullMQ's own `getWorkersCount`, cached for `ttlMs`), else
 * the base queue. At most `maxLanes` lane queues are tracked; beyond, colors
 * go to base.
 */
export class BullLaneRouter {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly queueOptions: QueueOptions,
    private readonly ttlMs = 1000,
    private readonly maxLanes = 64,
  ) {}

  /** The queue a job of `color` for base queue `base` (named `baseName`) goes to. */
  async pick<Q extends Queue>(base: Q, baseName: string, color: string | undefined): Promise<Q | Queue> {
    if (color === undefined) return base;
    const name = laneQueueName(baseName, color);
    let lane = this.lanes.get(name);
    if (lane === undefined) {
      if (this.lanes.size >= this.maxLanes) return base;
      lane = { queue: new Queue(name, this.queueOptions), live: false, checkedAt: 0, pending: undefined };
      this.lanes.set(name, lane);
    }
    if (Date.now() - lane.checkedAt > this.ttlMs) {
      const current = lane;
      current.pending ??= current.queue.getWorkersCount().then(
        (count) => {
          current.live = count > 0;
        },
        () => {
          // Cannot tell: base is always served.
          current.live = false;
        },
      ).finally(() => {
        current.checkedAt = Date.now();
        current.pending = undefined;
      });
      await current.pending;
    }
    return lane.live ? lane.queue : base;
  }

  /** Closes the lane queues it opened. */
  async close(): Promise<void> {
    await Promise.all([...this.lanes.values()].map((lane) => lane.queue.close()));
    this.lanes.clear();
  }
}
