import type { Instance } from '@dyeline/routing';
import { InvalidInstanceError } from './invalid-instance-error.js';

/** How an instance is written in a file or registered: `color` is shorthand for the `color` label. */
export interface InstanceInit {
  service: string;
  address: string;
  labels?: Record<string, string>;
  color?: string;
  id?: string;
}

/**
 * Validates one instance description into a frozen {@link Instance}.
 * @throws {InvalidInstanceError}
 */
export function parseInstance(value: unknown, source: string, path: string, laneLabel = 'color'): Instance {
  const fail = (field: string, message: string): never => {
    throw new InvalidInstanceError(source, `${path}${field}`, message);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('', 'must be an object');
  const v = value as Record<string, unknown>;
  for (const key of ['service', 'address'] as const) {
    if (typeof v[key] !== 'string' || v[key] === '') fail(`.${key}`, 'must be a non-empty string');
  }
  const labels: Record<string, string> = {};
  if (v.labels !== undefined) {
    if (typeof v.labels !== 'object' || v.labels === null || Array.isArray(v.labels)) fail('.labels', 'must be a map of strings');
    for (const [key, label] of Object.entries(v.labels as object)) {
      if (typeof label !== 'string') fail(`.labels.${key}`, 'must be a string');
      labels[key] = label as string;
    }
  }
  if (v.color !== undefined) {
    if (typeof v.color !== 'string') fail('.color', 'must be a string');
    if (v.color !== '') labels[laneLabel] = v.color as string;
  }
  if (v.id !== undefined && (typeof v.id !== 'string' || v.id === '')) fail('.id', 'must be a non-empty string');
  const instance: Instance = { service: v.service as string, address: v.address as string, labels: Object.freeze(labels) };
  return Object.freeze(v.id === undefined ? instance : { ...instance, id: v.id as string });
}

/**
 * Validates a list of instances: a top-level list, or `{ instances: [...] }`.
 * @throws {InvalidInstanceError} naming the entry and field.
 */
export function parseInstanceList(value: unknown, source: string, laneLabel?: string): readonly Instance[] {
  const list = Array.isArray(value) ? value : typeof value === 'object' && value !== null ? (value as { instances?: unknown }).instances : undefined;
  const prefix = Array.isArray(value) ? '' : 'instances';
  if (!Array.isArray(list)) throw new InvalidInstanceError(source, '', 'must be a list of instances or { instances: [...] }');
  return Object.freeze(list.map((entry, i) => parseInstance(entry, source, `${prefix}[${i}]`, laneLabel)));
}
