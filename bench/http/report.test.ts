import { describe, expect, it } from 'vitest';
import { checkTargets, summarize } from './report.js';
import type { Sample } from './report.js';
import type { ScenarioName } from './scenarios.js';

const sample = (rps: number, cpuUsPerRequest: number, round = 1, userUsPerRequest = cpuUsPerRequest / 2): Sample => ({
  round,
  rps,
  p99Ms: 1,
  cpuUsPerRequest,
  userUsPerRequest,
  errors: 0,
});

describe('bench/http report', () => {
  it('compares added CPU against the als.run and cls-rtracer baselines, and the hop by req/s', () => {
    const samples = new Map<ScenarioName, Sample[]>([
      ['koa', [sample(50_000, 20), sample(40_000, 22), sample(45_000, 20)]],
      ['koa+als', [sample(45_000, 25, 1, 14)]],
      ['koa+als-again', [sample(45_000, 24.5, 1, 14)]],
      ['koa+dyeline', [sample(44_000, 26, 1, 16)]],
      ['koa+cls-rtracer', [sample(30_000, 30)]],
      ['hop-by-hand', [sample(10_000, 100)]],
      ['hop-dyeline', [sample(9_000, 110)]],
    ]);
    const summary = summarize(samples);
    expect(summary.get('koa')?.rps).toBe(45_000);
    expect(summary.get('koa+dyeline')?.addedCpuUs).toBe(6);
    const targets = checkTargets(summary);
    expect(targets[0]).toMatchObject({ value: 6 / 5, pass: true });
    // User CPU: koa's median is 10 (20, 22, 20 halved); als +4, dyeline +6.
    expect(summary.get('koa+dyeline')?.addedUserUs).toBe(6);
    expect(targets[1]).toMatchObject({ value: 6 / 4, pass: false });
    expect(targets[2]).toMatchObject({ value: 0.6, pass: true });
    expect(targets[3]).toMatchObject({ value: 0.9, pass: false });
    expect(targets[4]?.pass).toBeUndefined();
    expect(targets[5]).toMatchObject({ value: 4.5 / 5, pass: undefined });
  });

  it('pairs each round with the same round of the baseline', () => {
    const samples = new Map<ScenarioName, Sample[]>([
      ['hop-by-hand', [sample(10_000, 100, 1), sample(5_000, 100, 2), sample(8_000, 100, 3)]],
      ['hop-dyeline', [sample(9_500, 100, 1), sample(4_500, 100, 2), sample(4_000, 100, 3)]],
    ]);
    const hop = summarize(samples).get('hop-dyeline');
    // Rounds: 0.95, 0.9, 0.5 → 0.9; the ratio of medians (4,500 / 8,000) tells another story.
    expect(hop?.pairedRpsVsBaseline).toBeCloseTo(0.9);
    expect(hop?.rpsVsBaseline).toBeCloseTo(0.5625);
  });

  it('gives the Koa ratios an interval from resampled rounds around their value, when the samples are passed', () => {
    const rounds = [1, 2, 3, 4, 5, 6];
    const samples = new Map<ScenarioName, Sample[]>([
      ['koa', rounds.map((r) => sample(50_000, 20 + (r % 2) / 2, r))],
      ['koa+als', rounds.map((r) => sample(45_000, 22 + (r % 3) / 3, r))],
      ['koa+dyeline', rounds.map((r) => sample(44_000, 22.5 + (r % 4) / 4, r))],
    ]);
    const summary = summarize(samples);
    const [cpu, user, , hop] = checkTargets(summary, samples);
    for (const target of [cpu, user]) {
      const [lo, hi] = target?.interval ?? [Number.NaN, Number.NaN];
      expect(lo).toBeLessThanOrEqual(target?.value as number);
      expect(hi).toBeGreaterThanOrEqual(target?.value as number);
      expect(hi).toBeGreaterThan(lo);
    }
    expect(hop?.interval).toBeUndefined();
    expect(checkTargets(summary)[0]?.interval).toBeUndefined();
  });
});
