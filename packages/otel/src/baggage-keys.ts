import type { CodecOptions, PresetFieldNames } from '@dyeline/core';

const FIELDS = ['color', 'user', 'shadow'] as const;
const DEFAULT_KEYS = { color: 'color', user: 'user', shadow: 'shadow' } as const;

function names(value: PresetFieldNames[keyof PresetFieldNames]): readonly string[] {
  if (value === undefined || value === false) return [];
  return typeof value === 'string' ? [value] : value;
}

/**
 * Every baggage key that carries a part of the tag under these codec options:
 * dyeline's own keys, the presets' keys and the extra entries. The tag is the
 * only source of these keys on the way out, so they are taken out of any
 * other baggage first. (Names were already validated by `createCodec`.)
 */
export function tagBaggageKeys(options: CodecOptions): ReadonlySet<string> {
  const keys = new Set<string>();
  if (options.baggage === false) return keys;
  for (const field of FIELDS) {
    const own = options.baggage?.[field];
    if (own !== false) keys.add(own ?? DEFAULT_KEYS[field]);
    for (const preset of options.presets ?? []) for (const key of names(preset.baggage?.[field])) keys.add(key);
  }
  for (const preset of options.presets ?? []) for (const key of preset.extra ?? []) keys.add(key);
  for (const key of options.extra ?? []) keys.add(key);
  return keys;
}
