import autocannon from 'autocannon';

/** What one load window measured from the client side. */
export interface LoadResult {
  /** Mean requests per second over the window. */
  rps: number;
  /** 99th percentile latency, ms. */
  p99Ms: number;
  /** Responses that were not 2xx, plus socket errors and timeouts. */
  errors: number;
}

/**
 * Drives `url` with autocannon for `seconds`: `connections` keep-alive
 * connections, no pipelining, every request with `headers`.
 */
export async function drive(url: string, seconds: number, connections: number, headers: Record<string, string>): Promise<LoadResult> {
  const result = await autocannon({ url, duration: seconds, connections, pipelining: 1, headers });
  return {
    rps: result.requests.average,
    p99Ms: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}
