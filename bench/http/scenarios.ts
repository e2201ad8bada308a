/** A server variant of the HTTP benchmark; each runs in its own child process. */
export interface Scenario {
  readonly name: ScenarioName;
  /** The bare variant its ratios are taken against. */
  readonly baseline: ScenarioName;
  readonly description: string;
  /** The response body must contain this, proving the variant really read / forwarded the tag. */
  readonly expectBody: string;
}

export type ScenarioName =
  | 'koa'
  | 'koa+dyeline'
  | 'koa+dyeline-nobind'
  | 'koa+als'
  | 'koa+als-again'
  | 'koa+cls-rtracer'
  | 'koa+otel'
  | 'express'
  | 'express+dyeline'
  | 'express+als'
  | 'express+dyeline-nobind'
  | 'hop-by-hand'
  | 'hop-dyeline'
  | 'hop-als'
  | 'hop-otel';

/** Headers every request of the load carries: a tag as dedicated headers and as W3C baggage. */
export const LOAD_HEADERS: Readonly<Record<string, string>> = {
  'x-color': 'feature-42',
  'x-user': 'alice',
  baggage: 'color=feature-42,user=alice',
};

const COLOR = 'feature-42';

export const SCENARIOS: readonly Scenario[] = [
  { name: 'koa', baseline: 'koa', description: 'bare Koa 3', expectBody: 'hello' },
  { name: 'koa+dyeline', baseline: 'koa', description: '@dyeline/koa ingress (parse + trust CIDR + validate + ALS)', expectBody: COLOR },
  {
    name: 'koa+dyeline-nobind',
    baseline: 'koa',
    description: '@dyeline/koa ingress with bindEmitters: false (cost of binding req/res listeners)',
    expectBody: COLOR,
  },
  { name: 'koa+als', baseline: 'koa', description: 'hand-written als.run(store, next) reading x-color/x-user', expectBody: COLOR },
  {
    name: 'koa+als-again',
    baseline: 'koa',
    description: 'koa+als once more, in its own process: the A/A control, whose difference from koa+als is the run\'s own noise',
    expectBody: COLOR,
  },
  { name: 'koa+cls-rtracer', baseline: 'koa', description: 'cls-rtracer koaMiddleware() (request id in ALS)', expectBody: 'hello ' },
  { name: 'koa+otel', baseline: 'koa', description: 'OpenTelemetry SDK + instrumentation-http, W3C trace-context + baggage', expectBody: COLOR },
  { name: 'express', baseline: 'express', description: 'bare Express 5', expectBody: 'hello' },
  { name: 'express+dyeline', baseline: 'express', description: '@dyeline/express ingress', expectBody: COLOR },
  {
    name: 'express+dyeline-nobind',
    baseline: 'express',
    description: '@dyeline/express ingress with bindEmitters: false (cost of binding req/res listeners)',
    expectBody: COLOR,
  },
  { name: 'express+als', baseline: 'express', description: 'hand-written als.run(store, next) for Express', expectBody: COLOR },
  { name: 'hop-by-hand', baseline: 'hop-by-hand', description: 'Koa gateway → fetch → downstream, tag headers copied by hand', expectBody: COLOR },
  { name: 'hop-dyeline', baseline: 'hop-by-hand', description: 'the same hop: dyeline ingress + installFetchPropagation()', expectBody: COLOR },
  {
    name: 'hop-als',
    baseline: 'hop-by-hand',
    description: 'the same hop: hand-written als.run at ingress, headers written by hand from the store',
    expectBody: COLOR,
  },
  { name: 'hop-otel', baseline: 'hop-by-hand', description: 'the same hop: OTel instrumentation-http + propagation.inject on fetch', expectBody: COLOR },
];

/** The scenario called `name`. @throws {TypeError} for an unknown name. */
export function scenario(name: string): Scenario {
  const found = SCENARIOS.find((candidate) => candidate.name === name);
  if (found === undefined) throw new TypeError(`unknown scenario "${name}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return found;
}
