import { SCENARIOS } from './scenarios.js';
import type { ScenarioName } from './scenarios.js';
import { bootstrapInterval, median } from '../lib/stats.js';

/** One measurement of one scenario in one round. */
export interface Sample {
  round: number;
  rps: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  /**
   * The user-space part of it, where middleware code runs; system time is
   * mostly the kernel's loopback TCP work. Reported beside the total, which
   * the targets are about.
   */
  userUsPerRequest: number;
  errors: number;
}

/** Medians over the rounds, and ratios against the scenario's bare baseline. */
export interface Summary {
  rps: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  userUsPerRequest: number;
  errors: number;
  baseline: ScenarioName;
  rpsVsBaseline: number;
  /** The median of per-round req/s ratios: each round measures both, close in time. */
  pairedRpsVsBaseline: number;
  cpuVsBaseline: number;
  addedCpuUs: number;
  addedUserUs: number;
}

/** The median over rounds of `own / base`, for the rounds that measured both. */
function pairedRatio(own: readonly Sample[], base: readonly Sample[] | undefined, key: 'rps' | 'cpuUsPerRequest'): number {
  if (base === undefined) return Number.NaN;
  const ratios: number[] = [];
  for (const sample of own) {
    const other = base.find((b) => b.round === sample.round);
    if (other !== undefined) ratios.push(sample[key] / other[key]);
  }
  return median(ratios);
}

/** A target from the issue, checked on the medians. */
export interface TargetCheck {
  name: string;
  value: number;
  limit: string;
  /** `undefined` when a scenario it needs was not run. */
  pass: boolean | undefined;
  /** Where resampling the rounds puts `value` (95 %), for the ratios of added CPU. */
  interval?: [number, number];
}

type CpuKey = 'cpuUsPerRequest' | 'userUsPerRequest';

/** The rounds that measured every one of `names`, each as its samples by name. */
function completeRounds(samples: ReadonlyMap<ScenarioName, readonly Sample[]>, names: readonly ScenarioName[]): Map<ScenarioName, Sample>[] {
  const byRound = new Map<number, Map<ScenarioName, Sample>>();
  for (const name of names) {
    for (const sample of samples.get(name) ?? []) {
      let round = byRound.get(sample.round);
      if (round === undefined) byRound.set(sample.round, (round = new Map()));
      round.set(name, sample);
    }
  }
  return [...byRound.values()].filter((round) => round.size === names.length);
}

/**
 * How `value` (added CPU of `own` / added CPU of `reference`, each over
 * `base`, from medians) moves when the rounds are resampled. The run's noise,
 * made visible: the A/A control says the same in one number.
 */
function addedRatioInterval(
  samples: ReadonlyMap<ScenarioName, readonly Sample[]> | undefined,
  own: ScenarioName,
  reference: ScenarioName,
  base: ScenarioName,
  key: CpuKey,
): [number, number] | undefined {
  if (samples === undefined) return undefined;
  const rounds = completeRounds(samples, [own, reference, base]);
  if (rounds.length < 3) return undefined;
  const at = (resample: readonly Map<ScenarioName, Sample>[], name: ScenarioName): number =>
    median(resample.map((round) => (round.get(name) as Sample)[key]));
  return bootstrapInterval(rounds, (resample) => (at(resample, own) - at(resample, base)) / (at(resample, reference) - at(resample, base)));
}

export function summarize(samples: ReadonlyMap<ScenarioName, readonly Sample[]>): Map<ScenarioName, Summary> {
  const medians = new Map<ScenarioName, { rps: number; p99Ms: number; cpuUsPerRequest: number; userUsPerRequest: number; errors: number }>();
  for (const [name, list] of samples) {
    medians.set(name, {
      rps: median(list.map((s) => s.rps)),
      p99Ms: median(list.map((s) => s.p99Ms)),
      cpuUsPerRequest: median(list.map((s) => s.cpuUsPerRequest)),
      userUsPerRequest: median(list.map((s) => s.userUsPerRequest)),
      errors: list.reduce((sum, s) => sum + s.errors, 0),
    });
  }
  const out = new Map<ScenarioName, Summary>();
  for (const scenario of SCENARIOS) {
    const own = medians.get(scenario.name);
    if (own === undefined) continue;
    const base = medians.get(scenario.baseline);
    out.set(scenario.name, {
      ...own,
      baseline: scenario.baseline,
      rpsVsBaseline: base === undefined ? Number.NaN : own.rps / base.rps,
      pairedRpsVsBaseline: pairedRatio(samples.get(scenario.name) ?? [], samples.get(scenario.baseline), 'rps'),
      cpuVsBaseline: base === undefined ? Number.NaN : own.cpuUsPerRequest / base.cpuUsPerRequest,
      addedCpuUs: base === undefined ? Number.NaN : own.cpuUsPerRequest - base.cpuUsPerRequest,
      addedUserUs: base === undefined ? Number.NaN : own.userUsPerRequest - base.userUsPerRequest,
    });
  }
  return out;
}

/** The targets on the medians; with the samples, the Koa ratios get their resampled interval. */
export function checkTargets(summary: ReadonlyMap<ScenarioName, Summary>, samples?: ReadonlyMap<ScenarioName, readonly Sample[]>): TargetCheck[] {
  const added = (name: ScenarioName): number => summary.get(name)?.addedCpuUs ?? Number.NaN;
  const addedUser = (name: ScenarioName): number => summary.get(name)?.addedUserUs ?? Number.NaN;
  const rpsRatio = (name: ScenarioName): number => summary.get(name)?.rpsVsBaseline ?? Number.NaN;
  const verdict = (value: number, ok: (v: number) => boolean): boolean | undefined => (Number.isNaN(value) ? undefined : ok(value));
  const ingressVsAls = added('koa+dyeline') / added('koa+als');
  const ingressVsAlsUser = addedUser('koa+dyeline') / addedUser('koa+als');
  const ingressVsRtracer = added('koa+dyeline') / added('koa+cls-rtracer');
  const hop = rpsRatio('hop-dyeline');
  return [
    {
      name: 'koa ingress added CPU / als.run added CPU',
      value: ingressVsAls,
      limit: '≤ 1.2',
      pass: verdict(ingressVsAls, (v) => v <= 1.2),
      interval: addedRatioInterval(samples, 'koa+dyeline', 'koa+als', 'koa', 'cpuUsPerRequest'),
    },
    {
      name: 'the same, user CPU only',
      value: ingressVsAlsUser,
      limit: '≤ 1.2',
      pass: verdict(ingressVsAlsUser, (v) => v <= 1.2),
      interval: addedRatioInterval(samples, 'koa+dyeline', 'koa+als', 'koa', 'userUsPerRequest'),
    },
    { name: 'koa ingress added CPU / cls-rtracer added CPU', value: ingressVsRtracer, limit: '< 1', pass: verdict(ingressVsRtracer, (v) => v < 1) },
    { name: 'hop req/s: dyeline / by hand', value: hop, limit: '≥ 0.93', pass: verdict(hop, (v) => v >= 0.93) },
    { name: 'hop req/s: OpenTelemetry / by hand (reference)', value: rpsRatio('hop-otel'), limit: 'info', pass: undefined },
    // The same middleware in two processes: how far apart the run puts two equal costs.
    {
      name: 'A/A: als.run again / als.run, added CPU',
      value: added('koa+als-again') / added('koa+als'),
      limit: 'info',
      pass: undefined,
      interval: addedRatioInterval(samples, 'koa+als-again', 'koa+als', 'koa', 'cpuUsPerRequest'),
    },
  ];
}

const fixed = (value: number, digits: number): string => (Number.isNaN(value) ? '-' : value.toFixed(digits));

export function formatReport(summary: ReadonlyMap<ScenarioName, Summary>, targets: readonly TargetCheck[]): string {
  const header = ['scenario', 'req/s', 'p99 ms', 'CPU µs/req', 'user µs/req', 'vs', 'req/s ratio', 'paired', 'CPU ratio', '+CPU µs', '+user µs', 'errors'];
  const rows = [...summary].map(([name, s]) => [
    name,
    fixed(s.rps, 0),
    fixed(s.p99Ms, 1),
    fixed(s.cpuUsPerRequest, 1),
    fixed(s.userUsPerRequest, 1),
    s.baseline === name ? '' : s.baseline,
    s.baseline === name ? '' : fixed(s.rpsVsBaseline, 3),
    s.baseline === name ? '' : fixed(s.pairedRpsVsBaseline, 3),
    s.baseline === name ? '' : fixed(s.cpuVsBaseline, 3),
    s.baseline === name ? '' : fixed(s.addedCpuUs, 1),
    s.baseline === name ? '' : fixed(s.addedUserUs, 1),
    String(s.errors),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] as string).length)));
  const render = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === 0 || i === 5 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ');
  const lines = [render(header), ...rows.map(render), ''];
  lines.push(`${''.padEnd(48)} ${'value'.padStart(7)}  ${'target'.padEnd(6)} ${''.padEnd(4)}  95 % interval, rounds resampled`);
  for (const target of targets) {
    const verdict = target.pass === undefined ? (target.limit === 'info' ? '' : 'n/a') : target.pass ? 'PASS' : 'MISS';
    const interval = target.interval === undefined ? '' : `[${fixed(target.interval[0], 2)}, ${fixed(target.interval[1], 2)}]`;
    lines.push(`${target.name.padEnd(48)} ${fixed(target.value, 3).padStart(7)}  ${target.limit.padEnd(6)} ${verdict.padEnd(4)}  ${interval}`.trimEnd());
  }
  return lines.join('\n');
}
