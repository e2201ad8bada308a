import type { Metadata, NextCall } from '@grpc/grpc-js';
import type { Tag } from '@dyeline/core';
import type { EntryWriter } from './tag-entries.js';

type Call = ReturnType<NextCall>;
type Listener = Parameters<Call['start']>[1];
type MessageContext = Parameters<Call['sendMessageWithContext']>[0];

/**
 * The call the dyeline client interceptor returns: grpc-js's next call with
 * the tag's entries added to the metadata at `start`, everything else passed
 * straight through. It stands in for an `InterceptingCall` with a requester,
 * which allocates a requester copy, a bound listener and closures per call.
 */
export class TaggedCall implements Call {
  readonly #next: Call;
  readonly #tag: Tag;
  readonly #entries: readonly string[];
  readonly #writer: EntryWriter;

  constructor(next: Call, tag: Tag, entries: readonly string[], writer: EntryWriter) {
    this.#next = next;
    this.#tag = tag;
    this.#entries = entries;
    this.#writer = writer;
  }

  start(metadata: Metadata, listener?: Listener): void {
    this.#writer.write(metadata, this.#tag, this.#entries);
    this.#next.start(metadata, listener);
  }

  cancelWithStatus(...args: Parameters<Call['cancelWithStatus']>): void {
    this.#next.cancelWithStatus(...args);
  }

  getPeer(): string {
    return this.#next.getPeer();
  }

  sendMessageWithContext(context: MessageContext, message: any): void {
    this.#next.sendMessageWithContext(context, message);
  }

  sendMessage(message: any): void {
    this.#next.sendMessage(message);
  }

  startRead(): void {
    this.#next.startRead();
  }

  halfClose(): void {
    this.#next.halfClose();
  }

  getAuthContext(): ReturnType<Call['getAuthContext']> {
    // Absent before grpc-js 1.13.
    return typeof this.#next.getAuthContext === 'function' ? this.#next.getAuthContext() : null;
  }
}
