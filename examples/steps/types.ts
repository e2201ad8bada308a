import type { DemoStack } from './stack.js';

/** One line of the demo's table: one class of requests and what happened to it. */
export interface DemoRow {
  /** The step that produced the row (`http`, `trust`, later `grpc`, `routing`, `shadow`). */
  step: string;
  /** The request class, e.g. `user: admin`. */
  name: string;
  requests: number;
  /** Which version answered, with counts: `{ v2: 20 }`. */
  answered: Record<string, number>;
  /** Versions allowed to answer this class. */
  expectedVersions: readonly string[];
  /** The tag the last hop must see, as `Tag.toJSON()`; shown in the table. */
  expectedTag: Record<string, unknown>;
  /** Requests whose last hop saw exactly `expectedTag`. */
  tagOk: number;
  /** Anything else the step checked (e.g. "3 dropped at the edge"); empty when nothing. */
  note: string;
  /** Every expectation of the row held. */
  ok: boolean;
}

/**
 * One step of the demo. Later examples (gRPC greeter, routing walkthrough,
 * shadow datastores) add a step each: a file in `examples/steps/` and one
 * line in `examples/steps/index.ts`.
 */
export interface DemoStep {
  readonly name: string;
  run(stack: DemoStack): Promise<DemoRow[]>;
}
