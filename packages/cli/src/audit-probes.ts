import type { ChannelModel } from 'amqplib';
import type { AuditProbe, RabbitProbe, RedisProbe, SqlProbe } from './audit-config.js';

/** What a probe read: a number (a count), another scalar as text, or `null` (nothing there: no row, no queue). */
export type AuditValue = number | string | null;

/** A SQL connection you already hold (a pg `Pool`/`Client`, a `PGlite`). */
export interface SqlConnection {
  query(sql: string): Promise<{ rows: readonly unknown[] }>;
}

/** A Redis connection you already hold (an ioredis client). */
export interface RedisConnection {
  scan(cursor: string, matchToken: 'MATCH', pattern: string, countToken: 'COUNT', count: number): Promise<[cursor: string, keys: string[]]>;
}

/**
 * Connections handed in by a program instead of opened by the audit, keyed
 * by the `url` or `dataDir` the configuration names (e.g. an in-memory
 * PGlite under `memory://orders`). The audit never closes them.
 */
export interface AuditConnections {
  sql?: Readonly<Record<string, SqlConnection>>;
  redis?: Readonly<Record<string, RedisConnection>>;
}

const TIMEOUT_MS = 5000;

function scalar(value: unknown): AuditValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  // pg hands count(*) (int8) back as text.
  if (typeof value === 'string') return /^-?\d+(\.\d+)?$/.test(value) && Number.isFinite(Number(value)) ? Number(value) : value;
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

function firstCell(rows: readonly unknown[]): AuditValue {
  const row = rows[0];
  if (row === undefined) return null;
  if (Array.isArray(row)) return scalar(row[0]);
  if (typeof row === 'object' && row !== null) return scalar(Object.values(row)[0]);
  return scalar(row);
}

/**
 * Opens each datasource once per snapshot, reads every probe on it, and
 * closes what it opened.
 */
export class ProbeReader {
  private readonly sql = new Map<string, Promise<SqlConnection>>();
  private readonly redis = new Map<string, Promise<RedisConnection>>();
  private readonly rabbit = new Map<string, Promise<ChannelModel>>();
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(private readonly given: AuditConnections = {}) {}

  /** Reads one probe. @throws {Error} when the datasource cannot be reached or the read fails. */
  read(probe: AuditProbe): Promise<AuditValue> {
    if (probe.kind === 'sql') return this.readSql(probe);
    if (probe.kind === 'redis') return this.readRedis(probe);
    return this.readRabbit(probe);
  }

  /** Closes every connection this reader opened; never throws. */
  async close(): Promise<void> {
    await Promise.allSettled(this.closers.splice(0).map((close) => close()));
  }

  private async readSql(probe: SqlProbe): Promise<AuditValue> {
    const key = probe.url ?? (probe.dataDir as string);
    let connection = this.sql.get(key);
    if (connection === undefined) {
      connection = this.given.sql?.[key] !== undefined ? Promise.resolve(this.given.sql[key]) : this.openSql(probe);
      this.sql.set(key, connection);
    }
    const result = await (await connection).query(probe.query);
    return firstCell(result.rows);
  }

  private async openSql(probe: SqlProbe): Promise<SqlConnection> {
    if (probe.url !== undefined) {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: probe.url, connectionTimeoutMillis: TIMEOUT_MS });
      client.on('error', () => {
        // A dropped connection fails the next query; the audit reports that.
      });
      this.closers.push(() => client.end());
      await client.connect();
      return client;
    }
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(probe.dataDir as string);
    this.closers.push(() => db.close());
    return db;
  }

  private async readRedis(probe: RedisProbe): Promise<AuditValue> {
    let connection = this.redis.get(probe.url);
    if (connection === undefined) {
      const given = this.given.redis?.[probe.url];
      connection = given !== undefined ? Promise.resolve(given) : this.openRedis(probe.url);
      this.redis.set(probe.url, connection);
    }
    const client = await connection;
    // SCAN, not KEYS: it does not block the server. SCAN may return a key
    // twice while the table is rehashed, hence the set.
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', probe.pattern, 'COUNT', 1000);
      for (const key of batch) keys.add(key);
      cursor = next;
    } while (cursor !== '0');
    return keys.size;
  }

  private async openRedis(url: string): Promise<RedisConnection> {
    const { Redis } = await import('ioredis');
    const client = new Redis(url, { lazyConnect: true, connectTimeout: TIMEOUT_MS, maxRetriesPerRequest: 1, retryStrategy: () => null });
    client.on('error', () => {
      // Surfaces as the failed command instead.
    });
    this.closers.push(async () => {
      client.disconnect();
    });
    await client.connect();
    return client;
  }

  private async readRabbit(probe: RabbitProbe): Promise<AuditValue> {
    let connection = this.rabbit.get(probe.url);
    if (connection === undefined) {
      connection = this.openRabbit(probe.url);
      this.rabbit.set(probe.url, connection);
    }
    // A channel per check: RabbitMQ closes the channel when the queue is missing.
    const channel = await (await connection).createChannel();
    channel.on('error', () => {
      // The 404 of a missing queue closes the channel; handled below.
    });
    try {
      const { messageCount } = await channel.checkQueue(probe.queue);
      await channel.close();
      return messageCount;
    } catch (error) {
      if ((error as { code?: unknown }).code === 404) return null;
      throw error;
    }
  }

  private async openRabbit(url: string): Promise<ChannelModel> {
    const { connect } = await import('amqplib');
    const model = await connect(url, { timeout: TIMEOUT_MS });
    model.on('error', () => {
      // Surfaces as the failed check instead.
    });
    this.closers.push(() => model.close());
    return model;
  }
}
