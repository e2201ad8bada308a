import { describe, expect, it } from 'vitest';
import { createOutlierDetector } from './outlier-detector.js';

const pool = Array.from({ length: 10 }, (_, i) => ({ address: `10.0.0.${i}:80` }));

describe('createOutlierDetector (Istio outlierDetection)', () => {
  it('ejects after consecutive 5xx for base × ejection count, and at most maxEjectionPercent of the pool', () => {
    const clock = { now: 0 };
    const detector = createOutlierDetector({ clock: () => clock.now, baseEjectionTime: '30s' });
    expect(detector.filter(pool)).toBe(pool);
    const bad = '10.0.0.1:80';
    for (let i = 0; i < 4; i++) detector.record(bad, 503);
    detector.record(bad, 200); // a success resets the run
    for (let i = 0; i < 4; i++) detector.record(bad, 500);
    expect(detector.isEjected(bad)).toBe(false);
    detector.record(bad, false); // a connection error counts as a 5xx
    expect(detector.isEjected(bad)).toBe(true);
    expect(detector.filter(pool).map((i) => i.address)).not.toContain(bad);
    // 10 % of 10 = 1: a second bad host stays in.
    for (let i = 0; i < 5; i++) detector.record('10.0.0.2:80', 503);
    expect(detector.ejected()).toEqual([bad]);
    clock.now += 30_000;
    expect(detector.isEjected(bad)).toBe(false);
    for (let i = 0; i < 5; i++) detector.record(bad, 503);
    expect(detector.isEjected(bad)).toBe(true);
    clock.now += 59_000;
    expect(detector.isEjected(bad)).toBe(true); // second ejection: 2 × 30 s
    clock.now += 1000;
    expect(detector.isEjected(bad)).toBe(false);
  });

  it('always lets one host be ejected, even in a small pool; gateway errors count separately when set', () => {
    const clock = { now: 0 };
    const detector = createOutlierDetector({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, clock: () => clock.now });
    const two = pool.slice(0, 2);
    detector.filter(two);
    detector.record('10.0.0.0:80', 500);
    detector.record('10.0.0.0:80', 500);
    expect(detector.isEjected('10.0.0.0:80')).toBe(false);
    detector.record('10.0.0.0:80', 502);
    detector.record('10.0.0.0:80', 504);
    expect(detector.filter(two)).toEqual([two[1]]);
  });

  it('rejects bad options when built', () => {
    expect(() => createOutlierDetector({ interval: 'soon' })).toThrow(/interval/);
    expect(() => createOutlierDetector({ maxEjectionPercent: 150 })).toThrow(/maxEjectionPercent/);
  });
});
