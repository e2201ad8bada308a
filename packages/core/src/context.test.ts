import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  RequestContext,
  bindToCurrentContext,
  contextStorage,
  contextWithDeadline,
  currentContext,
  currentDeadline,
  currentIngressResult,
  currentTag,
  runWithContext,
  runWithDeadline,
  runWithTag,
} from './context.js';
import { currentCompanion, enterCompanion, runWithCompanion } from './companion-context.js';
import { Deadline } from './deadline.js';
import { EMPTY_TAG, createTag } from './tag.js';

describe('runWithTag / currentTag', () => {
  it('is undefined outside any request', () => {
    expect(currentTag()).toBeUndefined();
    expect(currentContext()).toBeUndefined();
    expect(currentDeadline()).toBeUndefined();
  });

  it('sees the tag synchronously and after awaits, timers and emitters', async () => {
    const tag = createTag({ color: 'blue' });
    const emitter = new EventEmitter();
    await runWithTag(tag, async () => {
      expect(currentTag()).toBe(tag);
      await sleep(1);
      expect(currentTag()).toBe(tag);
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          expect(currentTag()).toBe(tag);
          resolve();
        }, 1),
      );
      const seen = new Promise((resolve) => emitter.once('x', () => resolve(currentTag())));
      emitter.emit('x');
      expect(await seen).toBe(tag);
    });
    expect(currentTag()).toBeUndefined();
  });

  it('never lets interleaved concurrent requests see each other’s tag', async () => {
    const seen: string[] = [];
    const one = async (i: number): Promise<void> => {
      const color = `c${i}`;
      await runWithTag(createTag({ color }), async () => {
        for (let step = 0; step < 5; step++) {
          // Random short waits interleave the requests on the event loop.
          await sleep(Math.floor(Math.random() * 3));
          if (currentTag()?.color !== color) seen.push(`${color} saw ${currentTag()?.color}`);
          await Promise.resolve();
          if (currentTag()?.color !== color) seen.push(`${color} saw ${currentTag()?.color} after microtask`);
        }
      });
    };
    await Promise.all(Array.from({ length: 200 }, (_, i) => one(i)));
    expect(seen).toEqual([]);
  });

  it('a nested scope changes the tag but keeps the deadline', () => {
    const deadline = Deadline.after(1000);
    runWithDeadline(deadline, () => {
      runWithTag(createTag({ color: 'inner' }), () => {
        expect(currentTag()?.color).toBe('inner');
        expect(currentDeadline()).toBe(deadline);
      });
    });
  });

  it('reading the tag does not allocate a new object', () => {
    const tag = createTag({ color: 'x' });
    runWithTag(tag, () => {
      expect(currentTag()).toBe(currentTag());
      expect(currentContext()).toBe(currentContext());
    });
  });
});

describe('runWithDeadline', () => {
  it('runs under the new deadline when there is none', () => {
    const deadline = Deadline.after(500);
    runWithDeadline(deadline, () => {
      expect(currentDeadline()).toBe(deadline);
      expect(currentTag()).toBe(EMPTY_TAG);
    });
  });

  it('never extends a parent deadline', () => {
    const parent = Deadline.after(100);
    const later = Deadline.after(10_000);
    runWithDeadline(parent, () => {
      runWithDeadline(later, () => expect(currentDeadline()).toBe(parent));
    });
  });

  it('shortens a parent deadline', () => {
    const parent = Deadline.after(10_000);
    const sooner = Deadline.after(100);
    runWithDeadline(parent, () => {
      runWithDeadline(sooner, () => expect(currentDeadline()).toBe(sooner));
      expect(currentDeadline()).toBe(parent);
    });
  });

  it('keeps the tag in force', () => {
    const tag = createTag({ user: 'u' });
    runWithTag(tag, () => runWithDeadline(Deadline.after(10), () => expect(currentTag()).toBe(tag)));
  });
});

describe('currentIngressResult', () => {
  it('is what the ingress put in the context, kept by nested tag and deadline scopes', () => {
    const tag = createTag({ color: 'blue' });
    const result = { tag, trusted: true, rejected: undefined, deadlineMs: undefined };
    expect(currentIngressResult()).toBeUndefined();
    runWithContext(new RequestContext(tag, undefined, result), () => {
      expect(currentIngressResult()).toBe(result);
      runWithTag(createTag({ color: 'inner' }), () => {
        runWithDeadline(Deadline.after(1000), () => expect(currentIngressResult()).toBe(result));
      });
    });
    runWithTag(tag, () => expect(currentIngressResult()).toBeUndefined());
  });
});

describe('runWithContext / bindToCurrentContext / contextStorage', () => {
  it('runs inside exactly the context given', () => {
    const context = new RequestContext(createTag({ color: 'c' }), undefined);
    runWithContext(context, () => expect(currentContext()).toBe(context));
  });

  it('binds a callback to the context it was created in', async () => {
    const tag = createTag({ color: 'bound' });
    const emitter = new EventEmitter();
    let seen: unknown = 'unset';
    runWithTag(tag, () => {
      emitter.on('later', bindToCurrentContext(() => {
        seen = currentTag();
      }));
    });
    // Emitted from another context (here: none at all).
    await sleep(1);
    runWithTag(createTag({ color: 'other' }), () => emitter.emit('later'));
    expect(seen).toBe(tag);
  });

  it('keeps one store on globalThis under the versioned symbol', () => {
    const key = Symbol.for('dyeline.context.v1');
    expect((globalThis as Record<symbol, unknown>)[key]).toBe(contextStorage());
  });
});

describe('companion context (a context manager sharing the storage)', () => {
  it('outside any request, a companion scope is no request', () => {
    runWithCompanion('otel', () => {
      expect(currentCompanion()).toBe('otel');
      expect(currentTag()).toBeUndefined();
      expect(currentContext()).toBeUndefined();
      expect(currentDeadline()).toBeUndefined();
    });
    expect(currentCompanion()).toBeUndefined();
  });

  it('passes arguments through and returns what fn returns', () => {
    expect(runWithCompanion('c', (a: number, b: number) => a + b, 2, 3)).toBe(5);
  });

  it('every dyeline scope carries the companion on, and a companion scope keeps the request', () => {
    const tag = createTag({ color: 'c' });
    const deadline = Deadline.after(60_000);
    runWithCompanion('outer', () =>
      runWithTag(tag, () =>
        runWithDeadline(deadline, () => {
          expect(currentCompanion()).toBe('outer');
          runWithCompanion('inner', () => {
            expect(currentTag()).toBe(tag);
            expect(currentDeadline()).toBe(deadline);
            expect(currentCompanion()).toBe('inner');
          });
          expect(currentCompanion()).toBe('outer');
        }),
      ),
    );
    deadline.dispose();
  });

  it('enterCompanion sets it for the rest of the execution; the function returned restores', () => {
    const tag = createTag({ color: 'kept' });
    runWithTag(tag, () => {
      const restore = enterCompanion('entered');
      expect(currentCompanion()).toBe('entered');
      expect(currentTag()).toBe(tag);
      restore();
      expect(currentCompanion()).toBeUndefined();
      expect(currentTag()).toBe(tag);
    });
  });
});

describe('contextWithDeadline', () => {
  it('is the scope in force with the deadline given, even a later one; tag and companion kept', () => {
    const tag = createTag({ color: 'c' });
    const early = Deadline.after(1_000);
    const late = Deadline.after(60_000);
    runWithCompanion('otel', () =>
      runWithTag(tag, () =>
        runWithDeadline(early, () => {
          const context = contextWithDeadline(late);
          expect(context.deadline).toBe(late);
          expect(context.tag).toBe(tag);
          expect(context.companion).toBe('otel');
        }),
      ),
    );
    early.dispose();
    late.dispose();
  });

  it('outside any request carries an empty tag', () => {
    expect(contextWithDeadline(undefined).tag).toBe(EMPTY_TAG);
    runWithCompanion('otel', () => expect(contextWithDeadline(undefined).tag).toBe(EMPTY_TAG));
  });
});

describe('runWithCompanion with the companion already in force', () => {
  it('runs fn in the scope in force, not a new one', () => {
    runWithTag(createTag({ color: 'c' }), () =>
      runWithCompanion('otel', () => {
        const scope = contextStorage().getStore();
        expect(runWithCompanion('otel', () => contextStorage().getStore())).toBe(scope);
        expect(runWithCompanion('other', () => contextStorage().getStore())).not.toBe(scope);
      }),
    );
  });
});
