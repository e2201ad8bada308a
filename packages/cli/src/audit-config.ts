import { readFile } from 'node:fs/promises';
import { YAMLParseError, parse } from 'yaml';
import { AuditConfigError } from './audit-config-error.js';

/** A count read from a SQL database: PostgreSQL by `url`, or PGlite by `dataDir`. */
export interface SqlProbe {
  readonly kind: 'sql';
  /** `postgres://…` connection string. */
  readonly url: string | undefined;
  /** A PGlite data directory (or `memory://…` for a connection handed in programmatically). */
  readonly dataDir: string | undefined;
  /** A query whose first column of its first row is the value watched, e.g. `SELECT count(*) FROM orders`. */
  readonly query: string;
}

/** The number of Redis keys matching a pattern, counted with SCAN (never KEYS). */
export interface RedisProbe {
  readonly kind: 'redis';
  /** `redis://host:port/db` */
  readonly url: string;
  readonly pattern: string;
}

/** The message count of a RabbitMQ queue (`checkQueue`); a queue that does not exist reads as `null`. */
export interface RabbitProbe {
  readonly kind: 'rabbitmq';
  /** `amqp://user:pass@host:port/vhost` */
  readonly url: string;
  readonly queue: string;
}

/** One thing the audit reads, before and after. */
export type AuditProbe = SqlProbe | RedisProbe | RabbitProbe;

/** A production target that must not change, and the shadow target that may. */
export interface AuditCheck {
  readonly name: string;
  readonly production: AuditProbe;
  /** Reported as expected change; optional. */
  readonly shadow: AuditProbe | undefined;
}

/** A validated audit configuration. */
export interface AuditConfig {
  readonly checks: readonly AuditCheck[];
}

/** Options of {@link parseAuditConfig}. */
export interface ParseAuditConfigOptions {
  /** Where `${NAME}` in `url`/`dataDir` fields is looked up. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

type Raw = Record<string, unknown>;
const KINDS = ['sql', 'redis', 'rabbitmq'] as const;
type Kind = (typeof KINDS)[number];
const WHAT: Record<Kind, 'query' | 'pattern' | 'queue'> = { sql: 'query', redis: 'pattern', rabbitmq: 'queue' };
const SCHEMES: Record<Kind, RegExp> = { sql: /^postgres(ql)?:\/\//, redis: /^rediss?:\/\//, rabbitmq: /^amqps?:\/\// };
const SCHEME_NAMES: Record<Kind, string> = { sql: 'postgres://', redis: 'redis://', rabbitmq: 'amqp://' };

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(field: string, value: Raw, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new AuditConfigError(`${field}.${key}`, `unknown field (expected one of: ${allowed.join(', ')})`);
  }
}

function text(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new AuditConfigError(field, 'must be a non-empty string');
  return value;
}

function expand(field: string, value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => {
    const found = env[name];
    if (found === undefined || found === '') throw new AuditConfigError(field, `environment variable ${name} is not set`);
    return found;
  });
}

interface Location {
  url: string | undefined;
  dataDir: string | undefined;
}

function location(field: string, raw: Raw, kind: Kind, env: Readonly<Record<string, string | undefined>>, inherited?: Location): Location {
  let url = raw.url === undefined ? undefined : expand(`${field}.url`, text(`${field}.url`, raw.url), env);
  let dataDir = raw.dataDir === undefined ? undefined : expand(`${field}.dataDir`, text(`${field}.dataDir`, raw.dataDir), env);
  if (dataDir !== undefined && kind !== 'sql') throw new AuditConfigError(`${field}.dataDir`, 'only sql checks (PGlite) take a dataDir');
  if (url !== undefined && dataDir !== undefined) throw new AuditConfigError(field, 'give either url or dataDir, not both');
  if (url !== undefined && !SCHEMES[kind].test(url)) throw new AuditConfigError(`${field}.url`, `must start with ${SCHEME_NAMES[kind]}`);
  if (url === undefined && dataDir === undefined && inherited !== undefined) ({ url, dataDir } = inherited);
  return { url, dataDir };
}

function probe(field: string, raw: unknown, kind: Kind, shared: Location, env: Readonly<Record<string, string | undefined>>): AuditProbe {
  const what = WHAT[kind];
  let value: string;
  let where = shared;
  if (typeof raw === 'string') {
    value = text(field, raw);
  } else if (isObject(raw)) {
    onlyKeys(field, raw, kind === 'sql' ? ['url', 'dataDir', what] : ['url', what]);
    value = text(`${field}.${what}`, raw[what]);
    where = location(field, raw, kind, env, shared);
  } else {
    throw new AuditConfigError(field, `must be a ${what} string or an object with a ${what}`);
  }
  if (where.url === undefined && where.dataDir === undefined) {
    throw new AuditConfigError(`${field}.url`, kind === 'sql' ? 'a url or a dataDir is required' : 'a url is required');
  }
  if (kind === 'sql') return { kind, url: where.url, dataDir: where.dataDir, query: value };
  if (kind === 'redis') return { kind, url: where.url as string, pattern: value };
  return { kind, url: where.url as string, queue: value };
}

function check(field: string, raw: unknown, env: Readonly<Record<string, string | undefined>>): AuditCheck {
  if (!isObject(raw)) throw new AuditConfigError(field, 'must be an object with a name and one of: sql, redis, rabbitmq');
  onlyKeys(field, raw, ['name', ...KINDS]);
  const name = text(`${field}.name`, raw.name);
  const kinds = KINDS.filter((kind) => raw[kind] !== undefined);
  if (kinds.length !== 1) throw new AuditConfigError(field, 'must have exactly one of: sql, redis, rabbitmq');
  const kind = kinds[0] as Kind;
  const body = raw[kind];
  const at = `${field}.${kind}`;
  if (!isObject(body)) throw new AuditConfigError(at, 'must be an object with production (and optionally shadow)');
  onlyKeys(at, body, kind === 'sql' ? ['url', 'dataDir', 'production', 'shadow'] : ['url', 'production', 'shadow']);
  const shared = location(at, body, kind, env);
  if (body.production === undefined) throw new AuditConfigError(`${at}.production`, 'is required: the production target to watch');
  return {
    name,
    production: probe(`${at}.production`, body.production, kind, shared, env),
    shadow: body.shadow === undefined ? undefined : probe(`${at}.shadow`, body.shadow, kind, shared, env),
  };
}

/**
 * Validates an audit configuration: YAML text, or the already parsed object.
 *
 * ```yaml
 * checks:
 *   - name: orders
 *     sql:
 *       url: ${DATABASE_URL}
 *       production: SELECT count(*) FROM orders
 *       shadow: SELECT count(*) FROM shadow_orders
 *   - name: carts
 *     redis: { url: redis://127.0.0.1:6379, production: 'cart:*', shadow: 'shadow_cart:*' }
 *   - name: order events
 *     rabbitmq: { url: amqp://127.0.0.1, production: orders, shadow: shadow_orders }
 * ```
 *
 * @throws {AuditConfigError} naming the field that is wrong.
 */
export function parseAuditConfig(input: unknown, options: ParseAuditConfigOptions = {}): AuditConfig {
  const env = options.env ?? process.env;
  let raw = input;
  if (typeof input === 'string') {
    try {
      raw = parse(input);
    } catch (error) {
      const where = error instanceof YAMLParseError && error.linePos !== undefined ? ` at line ${error.linePos[0].line}` : '';
      throw new AuditConfigError('(yaml)', `not valid YAML${where}: ${(error as Error).message.split('\n')[0] ?? ''}`, { cause: error });
    }
  }
  if (!isObject(raw)) throw new AuditConfigError('(root)', 'must be an object with a checks list');
  onlyKeys('(root)', raw, ['checks']);
  if (!Array.isArray(raw.checks) || raw.checks.length === 0) throw new AuditConfigError('checks', 'must be a non-empty list');
  const checks = raw.checks.map((each: unknown, i: number) => check(`checks[${i}]`, each, env));
  const seen = new Set<string>();
  checks.forEach((each, i) => {
    if (seen.has(each.name)) throw new AuditConfigError(`checks[${i}].name`, `duplicate name "${each.name}"`);
    seen.add(each.name);
  });
  return { checks };
}

/**
 * Reads and validates an audit configuration file (YAML or JSON).
 *
 * @throws {AuditConfigError} when the file cannot be read or is invalid.
 */
export async function loadAuditConfig(path: string, options: ParseAuditConfigOptions = {}): Promise<AuditConfig> {
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (error) {
    throw new AuditConfigError('(file)', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseAuditConfig(source, options);
}
