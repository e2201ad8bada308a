/** What a tag is built from. Every field is optional. */
export interface TagInit {
  /** The lane (color) of the request, e.g. `feature-42` or `v2`. */
  color?: string | undefined;
  /** A stable user key: routing on `user: admin`, sticky canaries, A/B buckets. */
  user?: string | undefined;
  /** The stress-test mark: writes go to shadow datastores. */
  shadow?: boolean | undefined;
  /** Further entries allowed by configuration (e.g. `tenant`, `x-canary`). */
  extra?: Readonly<Record<string, string>> | undefined;
  /**
   * Baggage members of the incoming request that are not part of the tag,
   * already serialised; outbound calls write them back unchanged.
   */
  passthroughBaggage?: string | undefined;
}

const EMPTY_EXTRA: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);

function freezeExtra(extra: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> {
  if (extra === undefined || extra === EMPTY_EXTRA) return EMPTY_EXTRA;
  const copy = Object.create(null) as Record<string, string>;
  let any = false;
  for (const key of Object.keys(extra)) {
    const value = extra[key];
    if (typeof value !== 'string') throw new TypeError(`Tag extra entry "${key}" must be a string, got ${typeof value}`);
    copy[key] = value;
    any = true;
  }
  return any ? Object.freeze(copy) : EMPTY_EXTRA;
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new TypeError(`Tag ${name} must be a string, got ${typeof value}`);
  return value;
}

/**
 * The immutable traffic context of one request. Create one with
 * {@link createTag}; derive a changed copy with {@link Tag.with}.
 */
export class Tag {
  /** The lane; `undefined` means the base lane. */
  readonly color: string | undefined;
  /** The user key, if any. */
  readonly user: string | undefined;
  /** True for stress-test traffic. */
  readonly shadow: boolean;
  /** Allowed extra entries; a frozen null-prototype record. */
  readonly extra: Readonly<Record<string, string>>;
  /** Unrelated incoming baggage members, serialised, to write back outbound. */
  readonly passthroughBaggage: string | undefined;

  // The tag's wire form, worked out by the codec that first writes it (see
  // codec.ts). Private fields, not a WeakMap keyed by tag: a tag per request
  // means an ephemeron entry per request, which costs the GC more than the
  // cache saves. Object.freeze leaves private fields writable.
  #wireOwner: object | undefined;
  #wireForm: unknown;
  // The baggage header a codec read this tag from: whoever sees the same
  // header knows the passthrough members are that header's other members,
  // without parsing it again (DyelinePropagator passes them on so).
  #baggageSource: string | undefined;

  /** @internal Use {@link createTag}. */
  constructor(init: TagInit) {
    this.color = optionalString('color', init.color);
    this.user = optionalString('user', init.user);
    if (init.shadow !== undefined && typeof init.shadow !== 'boolean') {
      throw new TypeError(`Tag shadow must be a boolean, got ${typeof init.shadow}`);
    }
    this.shadow = init.shadow === true;
    this.extra = freezeExtra(init.extra);
    this.passthroughBaggage = optionalString('passthroughBaggage', init.passthroughBaggage);
    Object.freeze(this);
  }

  /** @internal The wire form `owner` (a codec) stored with {@link Tag.rememberWireForm}, if it was the last to. */
  wireFormFor(owner: object): unknown {
    return this.#wireOwner === owner ? this.#wireForm : undefined;
  }

  /** @internal Keeps one codec's wire form of this tag; a later codec's replaces it. */
  rememberWireForm(owner: object, form: unknown): void {
    this.#wireOwner = owner;
    this.#wireForm = form;
  }

  /** @internal The baggage header a codec read this tag from, if one did (see {@link Tag.rememberBaggageSource}). */
  baggageSource(): string | undefined {
    return this.#baggageSource;
  }

  /** @internal Set by the codec that reads the tag from `header`; its passthrough is that header's other members. */
  rememberBaggageSource(header: string): void {
    this.#baggageSource = header;
  }

  /** True when the tag carries nothing at all. */
  get isEmpty(): boolean {
    return (
      this.color === undefined &&
      this.user === undefined &&
      !this.shadow &&
      this.extra === EMPTY_EXTRA &&
      this.passthroughBaggage === undefined
    );
  }

  /**
   * A new tag with `patch` applied; fields absent from `patch` are kept, and
   * `extra` entries are merged (an entry set to `''` is removed).
   */
  with(patch: TagInit): Tag {
    let extra = this.extra;
    if (patch.extra !== undefined) {
      const merged = Object.create(null) as Record<string, string>;
      Object.assign(merged, this.extra);
      for (const key of Object.keys(patch.extra)) {
        const value = patch.extra[key];
        if (value === '' || value === undefined) delete merged[key];
        else merged[key] = value;
      }
      extra = merged;
    }
    const keepsPassthrough = !('passthroughBaggage' in patch);
    const derived = new Tag({
      color: 'color' in patch ? patch.color : this.color,
      user: 'user' in patch ? patch.user : this.user,
      shadow: 'shadow' in patch ? patch.shadow : this.shadow,
      extra,
      passthroughBaggage: keepsPassthrough ? this.passthroughBaggage : patch.passthroughBaggage,
    });
    // Same passthrough, same header it came from.
    if (keepsPassthrough && this.#baggageSource !== undefined) derived.#baggageSource = this.#baggageSource;
    return derived;
  }

  /** A plain object for logs and JSON; omits empty fields. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.color !== undefined) out.color = this.color;
    if (this.user !== undefined) out.user = this.user;
    if (this.shadow) out.shadow = true;
    if (this.extra !== EMPTY_EXTRA) out.extra = { ...this.extra };
    return out;
  }
}

/** The tag of a request that carries nothing. Shared, so reading it allocates nothing. */
export const EMPTY_TAG: Tag = new Tag({});

/**
 * Creates an immutable tag.
 *
 * @throws {TypeError} when a field has the wrong type.
 */
export function createTag(init: TagInit = {}): Tag {
  if (
    init.color === undefined &&
    init.user === undefined &&
    (init.shadow === undefined || init.shadow === false) &&
    init.extra === undefined &&
    init.passthroughBaggage === undefined
  ) {
    return EMPTY_TAG;
  }
  const tag = new Tag(init);
  // Empty strings and an empty extra record also make an empty tag; keep it the shared one.
  return tag.isEmpty ? EMPTY_TAG : tag;
}
