import { isDeepStrictEqual } from 'node:util';
import type { GatewayReply } from '../gateway.js';
import type { DemoStack } from './stack.js';
import type { DemoRow } from './types.js';

/** A class of requests the load generator sends to the gateway. */
export interface TrafficClass {
  name: string;
  headers: Readonly<Record<string, string>>;
  expectedVersions: readonly string[];
  /** The tag the last hop must see (`Tag.toJSON()`), `{}` for none. */
  expectedTag: Record<string, unknown>;
  /** A baggage member (`key=value`) the caller sent that must arrive unchanged at the last hop. */
  keptBaggage?: string;
}

/** Options of {@link sendTraffic}. */
export interface TrafficOptions {
  /** Requests per class. Default 20. */
  perClass?: number;
  /** Requests in flight at once, all classes mixed. Default 16. */
  concurrency?: number;
}

interface Tally {
  answered: Record<string, number>;
  tagOk: number;
  failures: number;
}

async function sendOne(stack: DemoStack, traffic: TrafficClass, tally: Tally): Promise<void> {
  try {
    const answer = await fetch(`${stack.gatewayUrl}/hello`, { headers: traffic.headers });
    if (!answer.ok) {
      await answer.body?.cancel();
      tally.failures++;
      return;
    }
    const reply = (await answer.json()) as GatewayReply;
    const version = reply.serviceVersion ?? '?';
    tally.answered[version] = (tally.answered[version] ?? 0) + 1;
    const baggageKept =
      traffic.keptBaggage === undefined || (reply.next.baggage ?? '').split(',').some((member) => member.trim() === traffic.keptBaggage);
    if (baggageKept && isDeepStrictEqual(reply.next.tag, traffic.expectedTag)) tally.tagOk++;
  } catch {
    tally.failures++;
  }
}

/**
 * Sends `perClass` requests of every class through the gateway, the classes
 * shuffled together and `concurrency` at a time (so concurrent requests with
 * different tags share every hop), and tallies per class which version
 * answered and whether the last hop saw the expected tag.
 */
export async function sendTraffic(
  stack: DemoStack,
  step: string,
  classes: readonly TrafficClass[],
  options: TrafficOptions = {},
): Promise<DemoRow[]> {
  const { perClass = 20, concurrency = 16 } = options;
  const tallies = classes.map((): Tally => ({ answered: {}, tagOk: 0, failures: 0 }));
  const queue: number[] = [];
  for (let i = 0; i < perClass; i++) for (let c = 0; c < classes.length; c++) queue.push(c);
  // A fixed shuffle: the run is mixed, and the same every time.
  let seed = 42;
  for (let i = queue.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [queue[i], queue[j]] = [queue[j] as number, queue[i] as number];
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      const c = queue[next++] as number;
      await sendOne(stack, classes[c] as TrafficClass, tallies[c] as Tally);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return classes.map((traffic, c) => {
    const tally = tallies[c] as Tally;
    const versionsOk = Object.keys(tally.answered).every((version) => traffic.expectedVersions.includes(version));
    return {
      step,
      name: traffic.name,
      requests: perClass,
      answered: tally.answered,
      expectedVersions: traffic.expectedVersions,
      expectedTag: traffic.expectedTag,
      tagOk: tally.tagOk,
      note: tally.failures === 0 ? '' : `${tally.failures} failed`,
      ok: tally.failures === 0 && versionsOk && tally.tagOk === perClass,
    };
  });
}
