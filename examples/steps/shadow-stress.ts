import { randomUUID } from 'node:crypto';
import { runAudit, runLoad } from '@dyeline/cli';
import type { AuditReport, LoadReport } from '@dyeline/cli';
import { edgeIngressOptions } from '../mesh-options.js';
import { startShadowOrders } from '../shadow-orders.js';
import { openOrdersStore } from '../shadow-store.js';
import type { OrdersCount, OrdersStore } from '../shadow-store.js';
import type { DemoStack } from './stack.js';
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

/** A row of the step: `expected` is where the rows must land, `tagOk` how many did with the right shadow flag. */
function shadowRow(fields: Pick<DemoRow, 'name' | 'requests' | 'answered' | 'expectedTag' | 'tagOk' | 'note'> & { expected: string; held: boolean }): DemoRow {
  const { expected, held, ...rest } = fields;
  return { step: 'shadow', ...rest, expectedVersions: [expected], ok: held && fields.tagOk === fields.requests };
}

function auditNote(report: AuditReport): string {
  const change = (side: string) => {
    const finding = report.findings.find((each) => each.side === side);
    return finding === undefined ? '?' : `${Number(finding.after) - Number(finding.before) >= 0 ? '+' : ''}${Number(finding.after) - Number(finding.before)}`;
  };
  return `audit ${report.ok ? 'PASS' : 'FAIL'}: loadgen rows in production ${change('production')}, shadow table ${change('shadow')}`;
}

/** Options of {@link createShadowStressStep}. */
export interface ShadowStressOptions {
  /** Opens the datastore. Default: {@link openOrdersStore} with `DYELINE_PG_URL`. */
  openStore?: () => Promise<OrdersStore>;
}

/**
 * A stress burst through an edge → orders service → database: signed shadow
 * load from the CLI's `runLoad` (autocannon) mixed with production orders and
 * forged shadow marks, wrapped in the CLI's isolation audit. Every row records
 * whether its request was shadow; afterwards the databases are queried
 * directly. Backed by two in-memory PGlite instances, or by PostgreSQL when
 * `DYELINE_PG_URL` is set.
 */
export function createShadowStressStep(options: ShadowStressOptions = {}): DemoStep {
  const openStore = options.openStore ?? (() => openOrdersStore({ pgUrl: process.env.DYELINE_PG_URL }));
  return { name: 'shadow', run: (stack) => runStep(stack, openStore) };
}

async function runStep(stack: DemoStack, openStore: () => Promise<OrdersStore>): Promise<DemoRow[]> {
  const store = await openStore();
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
    const production = await store.count('production', run);
    const shadow = await store.count('shadow', run);
    const drops = services.edgeStats.untrustedDrops - dropsBefore;
    // The two leaks that must never happen, whoever wrote the row.
    const shadowInProduction = production.filter((row) => row.shadow).reduce((sum, row) => sum + row.n, 0);
    const productionInShadow = shadow.filter((row) => !row.shadow).reduce((sum, row) => sum + row.n, 0);
    const leaks = shadowInProduction + productionInShadow;

    return [
      shadowRow({
        name: 'signed shadow burst (dyeline load)',
        requests: SHADOW_REQUESTS,
        answered: landed(rowsOf(production, 'loadgen'), rowsOf(shadow, 'loadgen')),
        expected: 'shadow db',
        expectedTag: { shadow: true },
        tagOk: rowsOf(shadow, 'loadgen', true),
        note: `${auditNote(report)}; leaks ${leaks}; ${store.label}`,
        held: report.ok && load?.ok === true && leaks === 0 && rowsOf(production, 'loadgen') === 0,
      }),
      shadowRow({
        name: 'production POST /orders',
        requests: PRODUCTION_REQUESTS,
        answered: landed(rowsOf(production, 'web'), rowsOf(shadow, 'web')),
        expected: 'production db',
        expectedTag: {},
        tagOk: rowsOf(production, 'web', false),
        note: failed === 0 ? '' : `${failed} failed`,
        held: failed === 0 && rowsOf(shadow, 'web') === 0,
      }),
      shadowRow({
        name: 'forged x-shadow: 1 (unsigned)',
        requests: FORGED_REQUESTS,
        answered: landed(rowsOf(production, 'forged'), rowsOf(shadow, 'forged')),
        expected: 'production db',
        expectedTag: {},
        tagOk: rowsOf(production, 'forged', false),
        note: `shadow dropped at the edge ${drops}/${FORGED_REQUESTS}: written as a normal order`,
        held: drops === FORGED_REQUESTS && rowsOf(shadow, 'forged') === 0,
      }),
    ];
  } finally {
    await services.close();
    await store.close();
  }
}

/** The demo's shadow step (see {@link createShadowStressStep}). */
export const shadowStressStep: DemoStep = createShadowStressStep();
