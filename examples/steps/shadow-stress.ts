import { randomUUID } from 'node:crypto';
import { formatAuditReport, runAudit, runLoad } from '@dyeline/cli';
import type { AuditReport, LoadReport } from '@dyeline/cli';
import { edgeIngressOptions } from '../mesh-options.js';
import { startShadowOrders } from '../shadow-orders.js';
import { openOrdersStore } from '../shadow-store.js';
import type { OrdersCount } from '../shadow-store.js';
import type { DemoRow, DemoStep } from './types.js';

const SHADOW_REQUESTS = 300;
const PRODUCTION_REQUESTS = 60;
const FORGED_REQUESTS = 20;

/** `count` requests of one class through the edge, 4 at a time; returns how many failed. */
async function post(edgeUrl: string, query: string, headers: Record<string, string>, count: number): Promise<number> {
  let next = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next++ < count) {
      try {
        const answer = await fetch(`${edgeUrl}/orders?${query}`, { method: 'POST', headers });
        await answer.arrayBuffer();
        if (!answer.ok) failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return failed;
}

function rowsOf(counts: readonly OrdersCount[], client: string, shadow?: boolean): number {
  return counts.filter((row) => row.client === client && (shadow === undefined || row.shadow === shadow)).reduce((sum, row) => sum + row.n, 0);
}

function landed(production: number, shadow: number): Record<string, number> {
  const answered: Record<string, number> = {};
  if (production > 0) answered['production db'] = production;
  if (shadow > 0) answered['shadow db'] = shadow;
  return answered;
}

function auditNote(report: AuditReport): string {
  const change = (side: string) => {
    const finding = report.findings.find((each) => each.side === side);
    return finding === undefined ? '?' : `${Number(finding.after) - Number(finding.before) >= 0 ? '+' : ''}${Number(finding.after) - Number(finding.before)}`;
  };
  return `audit ${report.ok ? 'PASS' : 'FAIL'}: loadgen rows in production ${change('production')}, shadow table ${change('shadow')}`;
}

/**
 * A stress burst through an edge → orders service → database: signed shadow
 * load from the CLI's `runLoad` (autocannon) mixed with production orders and
 * forged shadow marks, wrapped in the CLI's isolation audit. Every row records
 * whether its request was shadow; afterwards the databases are queried
 * directly. Backed by two in-memory PGlite instances, or by PostgreSQL when
 * `DYELINE_PG_URL` is set.
 */
export const shadowStressStep: DemoStep = {
  name: 'shadow',
  async run(stack) {
    const store = await openOrdersStore({ pgUrl: process.env.DYELINE_PG_URL });
    const services = await startShadowOrders({ db: store.db, edgeIngress: edgeIngressOptions(stack.signingKey) }).catch(async (error: unknown) => {
      await store.close();
      throw error;
    });
    const run = randomUUID().slice(0, 8);
    try {
      const dropsBefore = services.edgeStats.untrustedDrops;
      let load: LoadReport | undefined;
      let failed = 0;
      const report = await runAudit({
        ...store.audit,
        run: async () => {
          const [shadowLoad, web, forged] = await Promise.all([
            runLoad({
              url: `${services.edgeUrl}/orders?run=${run}&client=loadgen`,
              method: 'POST',
              shadow: true,
              signing: { keyId: 'loadgen', key: stack.signingKey },
              amount: SHADOW_REQUESTS,
              connections: 8,
              maxErrorRate: 0,
            }),
            post(services.edgeUrl, `run=${run}&client=web`, {}, PRODUCTION_REQUESTS),
            // Somebody on the internet claims to be the stress test, without a signature.
            post(services.edgeUrl, `run=${run}&client=forged`, { 'x-shadow': '1' }, FORGED_REQUESTS),
          ]);
          load = shadowLoad;
          failed = web + forged;
        },
      });
      if (!report.ok && process.env.DYELINE_DEMO_VERBOSE !== undefined) process.stderr.write(`${formatAuditReport(report)}\n`);
      const production = await store.count('production', run);
      const shadow = await store.count('shadow', run);
      const drops = services.edgeStats.untrustedDrops - dropsBefore;
      // The two leaks that must never happen, whoever wrote the row.
      const shadowInProduction = production.filter((row) => row.shadow).reduce((sum, row) => sum + row.n, 0);
      const productionInShadow = shadow.filter((row) => !row.shadow).reduce((sum, row) => sum + row.n, 0);
      const leaks = shadowInProduction + productionInShadow;

      const burstOk = rowsOf(shadow, 'loadgen', true);
      const webOk = rowsOf(production, 'web', false);
      const forgedOk = rowsOf(production, 'forged', false);
      const row = (name: string, requests: number, answered: Record<string, number>, expected: string, tag: Record<string, unknown>, tagOk: number, note: string, ok: boolean): DemoRow => ({
        step: 'shadow',
        name,
        requests,
        answered,
        expectedVersions: [expected],
        expectedTag: tag,
        tagOk,
        note,
        ok: ok && tagOk === requests,
      });
      return [
        row(
          'signed shadow burst (dyeline load)',
          SHADOW_REQUESTS,
          landed(rowsOf(production, 'loadgen'), rowsOf(shadow, 'loadgen')),
          'shadow db',
          { shadow: true },
          burstOk,
          `${auditNote(report)}; leaks ${leaks}; ${store.label}`,
          report.ok && load?.ok === true && leaks === 0 && rowsOf(production, 'loadgen') === 0,
        ),
        row(
          'production POST /orders',
          PRODUCTION_REQUESTS,
          landed(rowsOf(production, 'web'), rowsOf(shadow, 'web')),
          'production db',
          {},
          webOk,
          failed === 0 ? '' : `${failed} failed`,
          failed === 0 && rowsOf(shadow, 'web') === 0,
        ),
        row(
          'forged x-shadow: 1 (unsigned)',
          FORGED_REQUESTS,
          landed(rowsOf(production, 'forged'), rowsOf(shadow, 'forged')),
          'production db',
          {},
          forgedOk,
          `shadow dropped at the edge ${drops}/${FORGED_REQUESTS}: written as a normal order`,
          drops === FORGED_REQUESTS && rowsOf(shadow, 'forged') === 0,
        ),
      ];
    } finally {
      await services.close();
      await store.close();
    }
  },
};
